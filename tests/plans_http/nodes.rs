//! Plans on many nodes sharing one Redis (SPEC §8): every step exactly once cluster-wide,
//! and a plan keeps running when the node that started it dies. Without Redis these
//! skip with a printed reason, or fail when `GRAYGATE_REQUIRE_REDIS=1`.

use std::time::Duration;

use crate::common::{Gateway, Namespace, Options, RedisServer, StoreSpec, Who, redis_url};
use crate::support::*;

/// A node on `ns`, also checking the store's revision every second.
fn node(ns: &Namespace) -> Gateway {
    let store = StoreSpec::Section(ns.store_section(1.0));
    Gateway::start(Options::default().app(target_app()).store(store))
}

/// Node A starts the plan and is killed at once; node B applies every later step,
/// each once and after its hold.
#[test]
fn a_plan_goes_on_when_the_node_that_started_it_dies() {
    let test = "a_plan_goes_on_when_the_node_that_started_it_dies";
    let Some(url) = redis_url(test) else { return };
    let ns = Namespace::fresh(&url, "plans-takeover");
    let mut a = node(&ns);
    let b = node(&ns);
    let id = {
        let r = prepared(&a, MP, "1.0.0");
        let plan = plan_of(&[(1.0, "1s"), (5.0, "2s"), (25.0, "1s")], true);
        status_is(r.put_plan(Who::Admin, &plan), "release_preparation");
        status_is(r.start_plan(), "grayscale_release");
        r.id
    };
    a.kill9();
    let r = Release { gw: &b, id };
    let done = r.wait_for_status("full_release", Duration::from_secs(4) + 3 * SLACK);
    assert_plan(&done["plan"], "completed", Some(3));
    let steps = r.go_lives();
    assert_each_step_once(&steps, &[Some(1.0), Some(5.0), Some(25.0), None], 1);
    for (pair, hold) in steps.windows(2).zip([1, 2, 1]) {
        held(pair[0].at, pair[1].at, Duration::from_secs(hold));
    }
}

/// Both nodes run the scheduler for a whole plan: each step lands once, and the
/// nodes' applied-step counters add up to the automatic steps.
#[test]
fn two_nodes_apply_each_step_exactly_once() {
    let test = "two_nodes_apply_each_step_exactly_once";
    let Some(url) = redis_url(test) else { return };
    let ns = Namespace::fresh(&url, "plans-once");
    let a = node(&ns);
    let b = node(&ns);
    let r = prepared(&a, MP, "1.0.0");
    let plan = plan_of(&[(1.0, "1s"), (2.0, "1s"), (5.0, "1s"), (10.0, "1s")], true);
    status_is(r.put_plan(Who::Admin, &plan), "release_preparation");
    status_is(r.start_plan(), "grayscale_release");
    let done = r.wait_for_status("full_release", Duration::from_secs(4) + 4 * SLACK);
    assert_plan(&done["plan"], "completed", Some(4));
    let on_b = Release { gw: &b, id: r.id };
    on_b.wait_for_status("full_release", SLACK);
    let steps = r.go_lives();
    assert_each_step_once(
        &steps,
        &[Some(1.0), Some(2.0), Some(5.0), Some(10.0), None],
        1,
    );
    for pair in steps.windows(2) {
        held(pair[0].at, pair[1].at, Duration::from_secs(1));
    }
    assert_eq!(on_b.history(), r.history(), "both nodes show one history");
    let series = r#"graygate_plan_steps_total{outcome="applied"}"#;
    let applied: f64 = [&a, &b]
        .iter()
        .map(|n| metric(n, series).unwrap_or(0.0))
        .sum();
    assert_eq!(applied, 4.0, "applied steps over both nodes");
}

/// While Redis is down no step can be committed, so none is applied (the node counts the
/// attempts as errors); once Redis is back the due step lands, once, and the plan goes on.
#[test]
fn no_step_lands_while_redis_is_down_and_the_plan_resumes_after() {
    let test = "no_step_lands_while_redis_is_down_and_the_plan_resumes_after";
    let Some(mut redis) = RedisServer::for_test(test) else {
        return;
    };
    let ns = Namespace::fresh(&redis.url(), "plans-outage");
    let a = node(&ns);
    let r = prepared(&a, MP, "1.0.0");
    let plan = plan_of(&[(1.0, "1s"), (5.0, "1s")], true);
    status_is(r.put_plan(Who::Admin, &plan), "release_preparation");
    status_is(r.start_plan(), "grayscale_release");
    redis.kill();
    std::thread::sleep(Duration::from_secs(3));
    let during = r.get();
    assert_eq!(during["percentage"], 1, "no step without a store: {during}");
    assert_plan(&during["plan"], "running", Some(0));
    let failed = metric(&a, r#"graygate_plan_steps_total{outcome="error"}"#).unwrap_or(0.0);
    assert!(failed >= 1.0, "the due step was tried and failed: {failed}");
    redis.restart();
    let done = r.wait_for_status("full_release", Duration::from_secs(10) + 3 * SLACK);
    assert_plan(&done["plan"], "completed", Some(2));
    let steps = r.go_lives();
    assert_each_step_once(&steps, &[Some(1.0), Some(5.0), None], 1);
}
