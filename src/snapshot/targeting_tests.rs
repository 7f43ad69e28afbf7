//! Targeting on the resolver (SPEC §10), by seeded property tests on real routes:
//! raising the percentage never removes a targeted user from the grayscale; removing
//! rules never removes an eligible one; a client the rules exclude never gets the
//! grayscale at any percentage; pilot members get the pilot whatever their attributes.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::*;
use crate::model::{AppId, MiniProgramId, Percentage, Release, Salt, Status, Targeting, Version};
use crate::model::{Channel, TestGroup};

fn release(id: u64, status: Status, ppm: u32, targeting: Option<Arc<Targeting>>) -> Release {
    Release {
        id,
        mini_program: MiniProgramId::parse("mp-a").expect("id"),
        version: Version::parse(if id == 1 { "1.0.0" } else { "2.0.0" }).expect("version"),
        app: AppId::parse("app").expect("id"),
        env: Env::Production,
        status,
        percentage: Percentage::from_ppm(ppm).expect("ppm"),
        salt: Salt::parse("00112233445566aa").expect("salt"),
        config: Arc::default(),
        test_group_size: 1,
        applied_by: None,
        plan: None,
        guard: None,
        targeting,
        predecessor: None,
        revision: 1,
        created_at: 0,
        updated_at: 0,
    }
}

fn rules(which: &[usize]) -> Option<Arc<Targeting>> {
    let all = [
        serde_json::json!({"attribute": "os", "op": "in", "values": ["android", "harmonyos"]}),
        serde_json::json!({"attribute": "app_version", "op": "version_gte", "value": "10.2"}),
        serde_json::json!({"attribute": "region", "op": "not_in", "values": ["eu-west"]}),
    ];
    let picked: Vec<_> = which.iter().map(|&i| all[i].clone()).collect();
    let t: Targeting = serde_json::from_value(serde_json::json!({ "rules": picked })).ok()?;
    Some(Arc::new(t))
}

/// The channel `user` with `attrs` gets from a route whose in-flight release is at `ppm`.
fn channel(
    ppm: u32,
    targeting: Option<Arc<Targeting>>,
    user: &str,
    attrs: &[(&str, &str)],
) -> Channel {
    let m = Metrics::new();
    let full = release(1, Status::FullRelease, 0, None);
    let gray = release(2, Status::GrayscaleRelease, ppm, targeting);
    let leak = |r: Release| -> &'static Release { Box::leak(Box::new(r)) };
    let input = |r: &'static Release, group: Option<Arc<TestGroup>>| ReleaseInput {
        release: r,
        package_url: "https://cdn.example.com/p.zip",
        test_group: group,
        tally: Default::default(),
    };
    let group = TestGroup::parse(&["vip"]).ok().map(Arc::new);
    let route = Route::build(
        Some(input(leak(full), None)),
        Some(input(leak(gray), group)),
        &m,
    );
    let subject = Subject {
        user,
        attributes: Attributes::new(attrs),
    };
    route
        .and_then(|r| r.resolve(&subject).map(|s| s.channel))
        .unwrap_or(Channel::Full)
}

fn attrs() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    let os = prop_oneof![
        Just(None),
        Just(Some("android")),
        Just(Some("ios")),
        Just(Some("harmonyos"))
    ];
    let version = prop_oneof![
        Just(None),
        Just(Some("10.1.9")),
        Just(Some("10.2")),
        Just(Some("11.0")),
        Just(Some("x"))
    ];
    let region = prop_oneof![Just(None), Just(Some("eu-west")), Just(Some("cn-east"))];
    (os, version, region).prop_map(|(o, v, r)| {
        let mut out = Vec::new();
        out.extend(o.map(|o| ("os", o)));
        out.extend(v.map(|v| ("app_version", v)));
        out.extend(r.map(|r| ("region", r)));
        out
    })
}

fn runner() -> TestRunner {
    let seed = [7u8; 32];
    let config = Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

#[test]
fn raising_the_percentage_never_removes_a_targeted_user() {
    let strategy = ("[a-z0-9]{1,12}", attrs(), 1u32..999_999, 1u32..999_999);
    let all = rules(&[0, 1, 2]);
    runner()
        .run(&strategy, |(user, a, p, q)| {
            let (low, high) = (p.min(q), p.max(q));
            if channel(low, all.clone(), &user, &a) == Channel::Grayscale {
                prop_assert_eq!(channel(high, all.clone(), &user, &a), Channel::Grayscale);
            }
            let held = all
                .as_ref()
                .is_some_and(|t| t.holds(|n| Attributes::new(&a).get_bytes(n)));
            if !held {
                prop_assert_eq!(channel(999_999, all.clone(), &user, &a), Channel::Full);
            }
            Ok(())
        })
        .expect("monotone in the percentage, and nobody untargeted in the grayscale");
}

#[test]
fn removing_rules_never_removes_an_eligible_user_and_pilots_ignore_targeting() {
    let strategy = (
        "[a-z0-9]{1,12}",
        attrs(),
        1u32..999_999,
        proptest::sample::subsequence(vec![0, 1, 2], 0..=3),
    );
    runner()
        .run(&strategy, |(user, a, p, kept)| {
            if channel(p, rules(&[0, 1, 2]), &user, &a) == Channel::Grayscale {
                prop_assert_eq!(channel(p, rules(&kept), &user, &a), Channel::Grayscale);
            }
            prop_assert_eq!(channel(p, rules(&[0, 1, 2]), "vip", &a), Channel::Pilot);
            Ok(())
        })
        .expect("removing rules only widens; pilot members always get the pilot");
}
