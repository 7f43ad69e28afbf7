//! Unit tests of routes and snapshots.

use std::sync::Arc;

use super::*;
use crate::bucket;
use crate::model::Status;
use crate::model::{AppId, MiniProgramId, Percentage, Version};
use crate::model::{Channel, Release, ReleaseId, Salt, TestGroup};

fn release(id: ReleaseId, version: &str, status: Status, percent: f64) -> Release {
    Release {
        id,
        mini_program: MiniProgramId::parse("mp-a").expect("id"),
        version: Version::parse(version).expect("version"),
        app: AppId::parse("app").expect("id"),
        env: Env::Production,
        status,
        percentage: Percentage::from_percent(percent).expect("percent"),
        salt: Salt::parse("00112233445566aa").expect("salt"),
        config: Arc::default(),
        test_group_size: 0,
        applied_by: None,
        plan: None,
        guard: None,
        targeting: None,
        predecessor: None,
        revision: 1,
        created_at: 0,
        updated_at: 0,
    }
}

fn input(r: &Release, group: &[&str]) -> ReleaseInput<'static> {
    let r: &'static Release = Box::leak(Box::new(r.clone()));
    let group = (!group.is_empty()).then(|| Arc::new(TestGroup::parse(group).expect("group")));
    ReleaseInput {
        release: r,
        package_url: "https://cdn.example.com/p.zip",
        test_group: group,
        tally: Default::default(),
    }
}

fn key() -> RouteKey {
    RouteKey {
        app: AppId::parse("app").expect("id"),
        env: Env::Production,
        mini_program: MiniProgramId::parse("mp-a").expect("id"),
    }
}

#[test]
fn precedence_is_pilot_then_grayscale_then_full() {
    let full = release(1, "1.0.0", Status::FullRelease, 0.0);
    let gray = release(2, "2.0.0", Status::GrayscaleRelease, 50.0);
    let m = Metrics::new();
    let route = Route::build(Some(input(&full, &[])), Some(input(&gray, &["vip"])), &m);
    let route = route.expect("route");
    let pick = |u: &str| {
        route
            .resolve(&Subject::user(u))
            .map(|s| (s.channel, s.release_id))
    };
    assert_eq!(pick("vip"), Some((Channel::Pilot, 2)));
    let users: Vec<String> = (0..2000).map(|i| format!("user-{i}")).collect();
    let gray_count = users
        .iter()
        .filter(|u| pick(u) == Some((Channel::Grayscale, 2)))
        .count();
    let full_count = users
        .iter()
        .filter(|u| pick(u) == Some((Channel::Full, 1)))
        .count();
    assert_eq!(gray_count + full_count, users.len());
    assert!(
        (850..1150).contains(&gray_count),
        "about half in grayscale: {gray_count}"
    );
    for u in &users {
        let in_gray = bucket::bucket("00112233445566aa", u) < 500_000;
        assert_eq!(
            pick(u).map(|p| p.0),
            Some(if in_gray {
                Channel::Grayscale
            } else {
                Channel::Full
            })
        );
    }
}

#[test]
fn pilot_testing_serves_only_the_group_and_preparation_nothing() {
    let pilot = release(2, "2.0.0", Status::PilotTesting, 0.0);
    let m = Metrics::new();
    let route = Route::build(None, Some(input(&pilot, &["tester"])), &m).expect("route");
    assert_eq!(
        route.resolve(&Subject::user("tester")).map(|s| s.channel),
        Some(Channel::Pilot)
    );
    assert!(route.resolve(&Subject::user("someone-else")).is_none());
    let prep = release(3, "3.0.0", Status::ReleasePreparation, 0.0);
    assert!(Route::build(None, Some(input(&prep, &["tester"])), &m).is_none());
}

#[test]
fn fragments_are_the_answer_without_revision() {
    let full = release(1, "1.0.0", Status::FullRelease, 0.0);
    let m = Metrics::new();
    let route = Route::build(Some(input(&full, &[])), None, &m).expect("route");
    let served = route.resolve(&Subject::user("anyone")).expect("served");
    let mut body = served.fragment.to_vec();
    body.extend_from_slice(b",\"revision\":7}");
    let v: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
    assert_eq!(v["version"], "1.0.0");
    assert_eq!(v["channel"], "full");
    assert_eq!(v["release_id"], 1);
    assert_eq!(v["revision"], 7);
}

#[test]
fn changes_replace_and_remove_routes_and_target_lists() {
    let full = release(1, "1.0.0", Status::FullRelease, 0.0);
    let m = Metrics::new();
    let route = Route::build(Some(input(&full, &[])), None, &m);
    let s1 = Snapshot::new(&m).with_changes(1, vec![(key(), route)], &m);
    assert_eq!(s1.revision(), 1);
    assert_eq!(
        s1.resolve("app", Env::Production, "mp-a", &Subject::user("u"))
            .map(|s| s.release_id),
        Some(1)
    );
    assert_eq!(s1.target("app", Env::Production).map(|t| t.len()), Some(1));
    assert!(
        s1.resolve("app", Env::Sandbox, "mp-a", &Subject::user("u"))
            .is_none()
    );
    let s2 = s1.with_changes(2, vec![(key(), None)], &m);
    assert!(
        s2.resolve("app", Env::Production, "mp-a", &Subject::user("u"))
            .is_none()
    );
    assert!(s2.target("app", Env::Production).is_none());
    assert!(
        s1.resolve("app", Env::Production, "mp-a", &Subject::user("u"))
            .is_some(),
        "old snapshots are immutable"
    );
}

/// A snapshot at revision 3 with `routes` for `key()`.
fn snapshot_with(route: Option<Route>, m: &Metrics) -> Snapshot {
    Snapshot::new(m).with_changes(3, vec![(key(), route)], m)
}

fn explain(s: &Snapshot, user: &str) -> serde_json::Value {
    let e = s.explain("app", Env::Production, "mp-a", &Subject::user(user));
    serde_json::to_value(e).expect("serializable")
}

#[test]
fn explain_says_what_was_decided_and_why_at_each_rule() {
    let m = Metrics::new();
    let full = release(1, "1.0.0", Status::FullRelease, 0.0);
    let gray = release(2, "2.0.0", Status::GrayscaleRelease, 50.0);
    let route = Route::build(Some(input(&full, &[])), Some(input(&gray, &["vip"])), &m);
    let s = snapshot_with(route, &m);
    let matched = |e: &serde_json::Value| -> Vec<bool> {
        let steps = e["steps"].as_array().cloned().unwrap_or_default();
        steps.iter().map(|s| s["matched"] == true).collect()
    };
    let vip = explain(&s, "vip");
    assert_eq!(
        (vip["outcome"].clone(), matched(&vip)),
        ("pilot".into(), vec![true, false, false])
    );
    let users: Vec<String> = (0..200).map(|i| format!("user-{i}")).collect();
    let outside = users
        .iter()
        .find(|u| bucket::bucket("00112233445566aa", u) >= 500_000)
        .expect("someone outside the 50 % grayscale");
    let e = explain(&s, outside);
    assert_eq!(
        (e["outcome"].clone(), matched(&e)),
        ("full".into(), vec![false, false, true])
    );
    let why = e["steps"][1]["reason"].as_str().unwrap_or_default();
    assert!(why.contains("not below the threshold 500000"), "{why}");
    let pilot_why = e["steps"][0]["reason"].as_str().unwrap_or_default();
    assert!(
        pilot_why.contains("not in the pilot test group of release 2"),
        "{pilot_why}"
    );

    let nothing = snapshot_with(None, &m);
    let e = explain(&nothing, "u");
    assert_eq!(
        (e["outcome"].clone(), matched(&e)),
        ("not_released".into(), vec![false; 3])
    );
    assert!(e["decision"].is_null());
    let why = e["steps"][2]["reason"].as_str().unwrap_or_default();
    assert!(
        why.contains("no release of this route is in full release"),
        "{why}"
    );
}

#[test]
fn report_tokens_are_rebuilt_only_when_one_changes() {
    let metrics = Metrics::new();
    let token = |b: &str| crate::model::TokenSha256::parse(&b.repeat(32)).expect("hash");
    let (a, b) = (token("0a"), token("0b"));
    let mut snapshot = Snapshot::new(&metrics);
    assert!(snapshot.report_token("app").is_none());
    snapshot.set_report_tokens([("app", a), ("other", b)].into_iter());
    assert_eq!(snapshot.report_token("app"), Some(&a));
    assert_eq!(snapshot.report_token("other"), Some(&b));
    let mut next = snapshot.with_changes(2, Vec::new(), &metrics);
    next.set_report_tokens([("other", b), ("app", a)].into_iter());
    assert!(
        Arc::ptr_eq(&snapshot.report_tokens, &next.report_tokens),
        "the same tokens are shared, not rebuilt"
    );
    next.set_report_tokens([("app", b)].into_iter());
    assert_eq!(
        next.report_token("app"),
        Some(&b),
        "a changed token is taken"
    );
    assert!(
        next.report_token("other").is_none(),
        "a removed one is gone"
    );
    assert_eq!(
        snapshot.report_token("app"),
        Some(&a),
        "older snapshots keep theirs"
    );
    next.set_report_tokens(std::iter::empty());
    assert!(next.report_token("app").is_none());
}
