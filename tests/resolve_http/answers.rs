//! The resolve answer of SPEC §4: its fields, its `ETag` and `If-None-Match`, explain
//! agreeing with it, and read-your-writes after every admin answer.

use serde_json::{Value, json};

use crate::checks::*;
use crate::common::Gateway;
use crate::support::*;
use graygate::bucket::bucket;

const TARGET: (&str, &str) = (APP, PROD);

/// The first of `user-0`, `user-1`, … whose bucket in `salt` satisfies `pick`.
fn user_where(salt: &str, pick: impl Fn(u32) -> bool) -> String {
    users("user", 10_000)
        .into_iter()
        .find(|u| pick(bucket(salt, u)))
        .expect("some user in 10,000 qualifies")
}

/// A `GET /v1/resolve` for `user` of [`MP`] with `If-None-Match: tag`.
fn resolve_if_none_match(gw: &Gateway, user: &str, tag: &str) -> crate::common::Reply {
    let q = crate::common::query(&[
        ("app", APP),
        ("env", PROD),
        ("mini_program", MP),
        ("user", user),
    ]);
    gw.client("GET", &format!("/v1/resolve?{q}"))
        .header("if-none-match", tag)
        .send()
}

/// Pilot, grayscale and full answers carry exactly the fields of SPEC §4 with the
/// release's version, id, package URL and config; `revision` is the served revision and
/// the `ETag` names it; explain agrees on each.
#[test]
fn every_answer_carries_the_spec_fields_and_explain_agrees() {
    let gw = gateway();
    let old_config = json!({ "network_allowlist": ["api.example.com"], "theme": "dark" });
    let v1 = create(&gw, MP, "1.0.0", TARGET, json!({ "config": old_config }));
    v1.apply();
    v1.go_to_full();
    let config = json!({
        "network_allowlist": ["api.example.com", "img.example.com"],
        "payment": { "merchant": "m-1", "sandbox": false },
        "feature": { "nested": [1, 2, 3] },
    });
    let extra = json!({ "config": config, "test_group": ["pilot-1"] });
    let v2 = create(&gw, MP, "2.0.0", TARGET, extra);
    v2.to_grayscale(50.0);

    let inside = user_where(&v2.salt, |b| b < 500_000);
    let outside = user_where(&v2.salt, |b| b >= 500_000);
    let revision = gw.revision();
    let cases = [
        ("pilot-1", "2.0.0", "pilot", v2.id, &config),
        (inside.as_str(), "2.0.0", "grayscale", v2.id, &config),
        (outside.as_str(), "1.0.0", "full", v1.id, &old_config),
    ];
    for (user, version, channel, id, config) in cases {
        let a = resolved(&gw, TARGET, MP, user).expect("served");
        let expected = json!({
            "mini_program": MP,
            "version": version,
            "channel": channel,
            "release_id": id,
            "package_url": package_url(MP, version),
            "config": config,
            "revision": revision,
        });
        assert_eq!(a.body, expected, "answer for {user:?}");
        let e = assert_explain_agrees(&gw, TARGET, MP, user);
        assert_eq!(e["in_flight"]["release_id"], v2.id);
        assert_eq!(e["in_flight"]["salt"], v2.salt.as_str());
        assert_eq!(e["in_flight"]["threshold"], 500_000);
        assert_eq!(e["in_flight"]["pilot_member"], channel == "pilot");
        assert_eq!(e["full"]["release_id"], v1.id);
    }
    let e = assert_explain_agrees(&gw, TARGET, "mp-never", "pilot-1");
    assert!(e["decision"].is_null() && e["in_flight"].is_null(), "{e}");
}

/// Admin changes that do not touch what [`MP`] serves.
const UNRELATED_CHANGES: [&str; 6] = [
    "upload a version",
    "edit another release's config",
    "set another release's test group",
    "apply another release",
    "approve another release",
    "create another release",
];

/// Performs one of [`UNRELATED_CHANGES`], on `other` where it needs a release.
fn unrelated_change(gw: &Gateway, other: &Release<'_>, change: &str) {
    match change {
        "upload a version" => drop(upload(gw, "mp-other", "9.9.9")),
        "edit another release's config" => drop(other.edit_config(&json!({ "a": 1 }))),
        "set another release's test group" => drop(other.set_test_group(&["x"])),
        "apply another release" => drop(other.apply()),
        "approve another release" => drop(other.approve()),
        "create another release" => drop(create(gw, "mp-third", "1.0.0", (APP, DEV), json!({}))),
        other => panic!("unknown change {other}"),
    }
}

/// `If-None-Match` with the current ETag answers 304 with the ETag and no body; after
/// any admin change, even to another mini program, the same tag gets 200 and a new one.
#[test]
fn etag_answers_304_until_any_admin_change() {
    let gw = gateway();
    released_full(&gw, MP, "1.0.0", TARGET);
    let other = create(&gw, "mp-other", "1.0.0", TARGET, json!({}));
    let mut tag = resolve_if_none_match(&gw, "user-1", "\"none\"")
        .header("etag")
        .expect("an ETag")
        .to_string();
    for change in UNRELATED_CHANGES {
        for user in ["user-1", "user-2"] {
            let reply = resolve_if_none_match(&gw, user, &tag).expect(304);
            assert_eq!(
                reply.header("etag"),
                Some(tag.as_str()),
                "304 keeps the ETag"
            );
            assert!(
                reply.text.is_empty(),
                "304 without a body: {:?}",
                reply.text
            );
        }
        unrelated_change(&gw, &other, change);
        let reply = resolve_if_none_match(&gw, "user-1", &tag);
        let a = answer(reply.clone(), MP).unwrap_or_else(|| panic!("served after {change}"));
        let new_tag = reply.header("etag").expect("an ETag").to_string();
        assert_ne!(new_tag, tag, "{change} must change the ETag");
        assert_eq!(
            a.revision,
            gw.revision(),
            "{change}: answer at the new revision"
        );
        tag = new_tag;
    }
    for stale in ["\"0\"", "\"garbage\"", ""] {
        resolve_if_none_match(&gw, "user-1", stale).expect(200);
    }
    // Preconditions apply to answers that would be 200: a miss stays 404.
    let q = crate::common::query(&[
        ("app", APP),
        ("env", PROD),
        ("mini_program", "mp-never"),
        ("user", "u"),
    ]);
    let miss = gw
        .client("GET", &format!("/v1/resolve?{q}"))
        .header("if-none-match", &tag)
        .send();
    not_released(miss);
}

/// RFC 9110 §13.1.2: `If-None-Match` uses the weak comparison and takes a list or `*`.
#[test]
fn if_none_match_accepts_weak_tags_lists_and_star() {
    let gw = gateway();
    released_full(&gw, MP, "1.0.0", TARGET);
    let tag = resolve_if_none_match(&gw, "user-1", "\"none\"")
        .header("etag")
        .expect("an ETag")
        .to_string();
    let weak = format!("W/{tag}");
    let list = format!("\"stale\", {tag}");
    let got: Vec<(&str, u16)> = [weak.as_str(), list.as_str(), "*"]
        .into_iter()
        .map(|header| (header, resolve_if_none_match(&gw, "user-1", header).status))
        .collect();
    assert!(
        got.iter().all(|(_, status)| *status == 304),
        "If-None-Match for ETag {tag} must answer 304: {got:?}"
    );
}

/// Asserts what `user` gets for [`MP`] in production of [`APP`] and, when served, that
/// the answer is at `revision`.
#[track_caller]
fn serves_at(gw: &Gateway, user: &str, expected: Option<(&str, &str)>, revision: u64) {
    let a = resolved(gw, TARGET, MP, user);
    let got = a.as_ref().map(|a| (a.version.as_str(), a.channel.as_str()));
    assert_eq!(got, expected, "{user:?} right after revision {revision}");
    if let Some(a) = a {
        assert_eq!(a.revision, revision, "{user:?}: the answer's revision");
    }
}

/// Every admin answer is visible to the very next resolve on the same node: the answer
/// is at the revision the admin call reported, with no waiting.
#[test]
fn resolves_read_the_admin_writes_they_follow() {
    let gw = gateway();
    let rev = |release: &Value| release["revision"].as_u64().expect("revision");
    let dev = create(&gw, MP, "0.9.0", (APP, DEV), json!({}));
    let applied = dev.apply();
    let a = resolved(&gw, (APP, DEV), MP, "tester").expect("development goes live on apply");
    assert_eq!((a.version.as_str(), a.revision), ("0.9.0", rev(&applied)));

    let v1 = create(
        &gw,
        MP,
        "1.0.0",
        TARGET,
        json!({ "test_group": ["tester"] }),
    );
    serves_at(&gw, "tester", None, 0);
    v1.apply();
    serves_at(&gw, "tester", None, 0);
    let approved = v1.approve();
    serves_at(&gw, "tester", Some(("1.0.0", "pilot")), rev(&approved));
    let regrouped = v1.set_test_group(&["tester-2"]);
    serves_at(&gw, "tester", None, 0);
    serves_at(&gw, "tester-2", Some(("1.0.0", "pilot")), rev(&regrouped));
    let ready = v1.complete_testing();
    serves_at(&gw, "tester-2", Some(("1.0.0", "pilot")), rev(&ready));

    let crowd = users("user", 20);
    for step in 1..=20 {
        let percentage = f64::from(step) * 4.5;
        let moved = v1.go_live_grayscale(percentage);
        for user in &crowd {
            let inside = bucket(&v1.salt, user) < threshold(percentage);
            serves_at(
                &gw,
                user,
                inside.then_some(("1.0.0", "grayscale")),
                rev(&moved),
            );
        }
    }
    let full = v1.go_live_full();
    for user in crowd
        .iter()
        .map(String::as_str)
        .chain(["tester", "tester-2"])
    {
        serves_at(&gw, user, Some(("1.0.0", "full")), rev(&full));
    }
    let v2 = create(
        &gw,
        MP,
        "2.0.0",
        TARGET,
        json!({ "test_group": ["tester"] }),
    );
    v2.apply();
    let piloting = v2.approve();
    serves_at(&gw, "tester", Some(("2.0.0", "pilot")), rev(&piloting));
    let canceled = v2.cancel();
    assert_eq!(canceled["status"], "canceled");
    serves_at(&gw, "tester", Some(("1.0.0", "full")), rev(&canceled));
}
