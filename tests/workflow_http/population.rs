//! Many releases in every status: the list filters, then a SIGKILL and a restart on the
//! same store, after which everything is exactly as it was (rule 5: durable before
//! acknowledged) and the next action continues the revision sequence.

use serde_json::{Value, json};

use crate::common::{Gateway, Who, query};
use crate::support::*;

/// One release of the population: its target, its version, the steps it takes after
/// `create`, and the status it ends in once every release has taken its steps.
struct Planned {
    mp: &'static str,
    app: &'static str,
    env: &'static str,
    version: &'static str,
    steps: &'static [&'static str],
    end: &'static str,
}

const fn plan(
    mp: &'static str,
    app: &'static str,
    env: &'static str,
    version: &'static str,
    steps: &'static [&'static str],
    end: &'static str,
) -> Planned {
    Planned {
        mp,
        app,
        env,
        version,
        steps,
        end,
    }
}

const WALLET: &str = "mp-wallet";
const PILOT_TO_FULL: &[&str] = &["apply", "approve", "complete_testing", "full"];

/// Every status of SPEC §2, across two mini programs, three apps and three environments.
const POPULATION: [Planned; 13] = [
    plan(
        MP,
        PILOT_APP,
        "production",
        "1.0.0",
        PILOT_TO_FULL,
        "archived",
    ),
    plan(
        MP,
        PILOT_APP,
        "production",
        "1.1.0",
        PILOT_TO_FULL,
        "full_release",
    ),
    plan(
        MP,
        PILOT_APP,
        "production",
        "1.2.0",
        &["apply", "approve", "complete_testing", "grayscale"],
        "grayscale_release",
    ),
    plan(
        MP,
        PILOT_APP,
        "sandbox",
        "1.0.0",
        &["apply", "approve"],
        "pilot_testing",
    ),
    plan(
        MP,
        PILOT_APP,
        "development",
        "1.0.0",
        &["apply"],
        "archived",
    ),
    plan(
        MP,
        PILOT_APP,
        "development",
        "1.1.0",
        &["apply"],
        "full_release",
    ),
    plan(
        MP,
        PLAIN_APP,
        "production",
        "1.0.0",
        &["apply", "approve"],
        "release_preparation",
    ),
    plan(
        MP,
        PLAIN_APP,
        "production",
        "1.1.0",
        &["edit_config"],
        "new_version_created",
    ),
    plan(
        WALLET,
        PILOT_APP,
        "production",
        "2.0.0",
        &["apply", "approve", "cancel"],
        "canceled",
    ),
    plan(
        WALLET,
        PILOT_APP,
        "production",
        "2.1.0",
        &["apply"],
        "under_review",
    ),
    plan(
        WALLET,
        AUTO_APP,
        "sandbox",
        "2.0.0",
        &["apply"],
        "full_release",
    ),
    plan(
        WALLET,
        PLAIN_APP,
        "sandbox",
        "2.0.0",
        &["apply", "reject"],
        "new_version_created",
    ),
    plan(
        WALLET,
        PLAIN_APP,
        "sandbox",
        "2.1.0",
        &["apply"],
        "under_review",
    ),
];

/// Creates the population in order; returns the release ids, in the same order.
fn populate(gw: &Gateway) -> Vec<u64> {
    POPULATION
        .iter()
        .map(|p| {
            let pilot = p.app == PILOT_APP && matches!(p.env, "production" | "sandbox");
            let extra = if pilot {
                json!({ "test_group": ["pilot-1"] })
            } else {
                json!({})
            };
            let r = new_release_of(gw, p.mp, p.app, p.env, p.version, extra);
            for step in p.steps {
                match *step {
                    "full" => r.go_live_full(),
                    "grayscale" => r.go_live_grayscale(25.0),
                    action => r.attempt_permitted(action),
                }
                .expect(200);
            }
            r.id
        })
        .collect()
}

/// The ids of the population matching the filters, sorted.
fn expected(ids: &[u64], filters: &[(&str, &str)]) -> Vec<u64> {
    let mut out: Vec<u64> = POPULATION
        .iter()
        .zip(ids)
        .filter(|(p, _)| {
            filters.iter().all(|(k, v)| match *k {
                "mini_program" => p.mp == *v,
                "app" => p.app == *v,
                "env" => p.env == *v,
                _ => p.end == *v,
            })
        })
        .map(|(_, id)| *id)
        .collect();
    out.sort_unstable();
    out
}

const STATUSES: [&str; 8] = [
    "new_version_created",
    "under_review",
    "pilot_testing",
    "release_preparation",
    "grayscale_release",
    "full_release",
    "canceled",
    "archived",
];

/// Every combination of the four filters (each absent or one value) lists exactly the
/// matching releases; bad filter values are 400.
fn assert_filters(gw: &Gateway, ids: &[u64]) {
    let opt = |values: &[&'static str]| {
        let mut v: Vec<Option<&'static str>> = vec![None];
        v.extend(values.iter().copied().map(Some));
        v
    };
    for mp in opt(&[MP, WALLET, "mp-none"]) {
        for app in opt(&[PILOT_APP, PLAIN_APP, AUTO_APP]) {
            for env in opt(&["production", "sandbox", "development"]) {
                for status in opt(&STATUSES) {
                    let filters: Vec<(&str, &str)> = [
                        ("mini_program", mp),
                        ("app", app),
                        ("env", env),
                        ("status", status),
                    ]
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect();
                    assert_eq!(
                        listed_where(gw, &query(&filters)),
                        expected(ids, &filters),
                        "filters {filters:?}"
                    );
                }
            }
        }
    }
    for bad in [
        "status=bogus",
        "env=staging",
        "app=-x",
        "mini_program=a%20b",
        "colour=red",
    ] {
        bad_request(gw.get(Who::Viewer, &format!("/v1/admin/releases?{bad}")));
    }
}

/// Everything observable: the release list, every history, versions, apps, the global
/// revision and what a grid of users resolves to on every populated target.
fn observe(gw: &Gateway, ids: &[u64]) -> Value {
    let releases = gw.get(Who::Viewer, "/v1/admin/releases").expect(200).body;
    let histories: Vec<Value> = ids
        .iter()
        .map(|&id| Value::from(Release { gw, id }.history()))
        .collect();
    let versions: Vec<Value> = [MP, WALLET]
        .iter()
        .map(|mp| {
            gw.get(
                Who::Viewer,
                &format!("/v1/admin/mini-programs/{mp}/versions"),
            )
            .expect(200)
            .body
        })
        .collect();
    let apps = gw.get(Who::Viewer, "/v1/admin/apps").expect(200).body;
    let mut resolved = Vec::new();
    for p in &POPULATION {
        for user in std::iter::once("pilot-1".to_string()).chain(users("user", 30)) {
            let reply = gw.resolve(p.app, p.env, p.mp, &user);
            resolved.push(json!([p.mp, p.app, p.env, user, reply.status, reply.body]));
        }
    }
    json!({
        "releases": releases,
        "histories": histories,
        "versions": versions,
        "apps": apps,
        "revision": gw.revision(),
        "resolved": resolved,
    })
}

#[test]
fn releases_in_every_status_are_filtered_and_survive_sigkill() {
    let mut gw = gateway();
    let ids = populate(&gw);
    let all = gw.get(Who::Viewer, "/v1/admin/releases").expect(200).body;
    for (p, id) in POPULATION.iter().zip(&ids) {
        let listed = all
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["id"] == *id);
        let status = listed.map(|r| r["status"].clone()).unwrap_or_default();
        assert_eq!(
            status, p.end,
            "release {id} ({} {} {} {})",
            p.mp, p.app, p.env, p.version
        );
    }
    assert_filters(&gw, &ids);

    let before = observe(&gw, &ids);
    let revision = gw.revision();
    gw.kill9();
    gw.restart();
    assert_eq!(
        observe(&gw, &ids),
        before,
        "state after SIGKILL and restart"
    );

    // The next action continues the revision sequence, and ids continue too.
    let prepared = Release {
        gw: &gw,
        id: ids[6],
    };
    let full = moved(prepared.go_live_full(), "full_release", FULL);
    assert_eq!(full["revision"], revision + 1);
    assert_eq!(
        prepared.history().last().map(|h| h["revision"].clone()),
        Some(json!(revision + 1))
    );
    let next = new_release_of(&gw, WALLET, AUTO_APP, "sandbox", "2.2.0", json!({}));
    assert_eq!(next.id, ids.iter().max().copied().unwrap_or(0) + 1);
    assert_eq!(
        next.revision(),
        revision + 3,
        "upload and create are one revision each"
    );
}
