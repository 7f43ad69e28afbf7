//! `store_errors_total{op}` in a Redis outage: it rises while the store is unreachable
//! (the periodic revision check fails every time, a refused write counts as a failed
//! commit) and stops rising once Redis is back.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::common::{
    Gateway, Namespace, Options, RedisServer, Release, StoreSpec, TargetApp, Who, eventually,
};
use crate::*;

/// How often the node asks Redis for its revision.
const CHECK_SECONDS: f64 = 0.1;
/// How long the node may take to notice the outage or the recovery.
const NOTICE: Duration = Duration::from_secs(5);

/// `store_errors_total` by `op`.
fn store_errors(gw: &Gateway) -> BTreeMap<String, f64> {
    parse(&scrape(gw))
        .into_iter()
        .filter(|s| s.0 == "graygate_store_errors_total")
        .map(|s| (s.1.get("op").cloned().unwrap_or_default(), s.2))
        .collect()
}

fn op(errors: &BTreeMap<String, f64>, op: &str) -> f64 {
    errors.get(op).copied().unwrap_or(0.0)
}

#[track_caller]
fn wait_for_readiness(gw: &Gateway, status: &str) {
    eventually(&format!("/readyz reports {status}"), NOTICE, || {
        let body = gw.client("GET", "/readyz").send().body;
        (body["status"] == status).then_some(())
    });
}

#[test]
fn store_errors_rise_during_a_redis_outage_and_stop_after_it() {
    let test = "store_errors_rise_during_a_redis_outage_and_stop_after_it";
    let Some(mut redis) = RedisServer::for_test(test) else {
        return;
    };
    let ns = Namespace::fresh(&redis.url(), "metrics-outage");
    let app = TargetApp::new(APP).env("production", "{ pilot_testing = false }");
    let store = StoreSpec::Section(ns.store_section(CHECK_SECONDS));
    let gw = Gateway::start(Options::default().app(app).store(store));
    let r = Release {
        gw: &gw,
        id: roll_out(&gw, "1.0.0", 10.0),
    };
    let before = store_errors(&gw);

    redis.kill();
    wait_for_readiness(&gw, "degraded");
    let down = store_errors(&gw);
    let raise = json!({"type": "grayscale", "percentage": 20});
    for _ in 0..3 {
        let reply = r.act_with(Who::Admin, "go_live", &raise);
        reply.expect_error(503, "store_unavailable");
    }
    std::thread::sleep(Duration::from_millis(500));
    let later = store_errors(&gw);
    println!("store errors before {before:?}, down {down:?}, later {later:?}");
    assert!(
        op(&down, "revision") > op(&before, "revision"),
        "failed revision checks are counted: {before:?} → {down:?}"
    );
    assert!(
        op(&later, "revision") > op(&down, "revision"),
        "and keep being counted while Redis is down: {down:?} → {later:?}"
    );
    assert_eq!(
        op(&later, "commit") - op(&down, "commit"),
        3.0,
        "each refused write is a failed commit: {down:?} → {later:?}"
    );

    redis.restart();
    wait_for_readiness(&gw, "ready");
    r.act_with(Who::Admin, "go_live", &raise).expect(200);
    let healed = store_errors(&gw);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        store_errors(&gw),
        healed,
        "no store errors once Redis is back"
    );
}
