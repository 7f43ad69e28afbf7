//! A plan runs by itself (SPEC §8): started by `go_live {"type":"plan"}`, each next step
//! applied by `system:plan` once the previous one held, up to `full_release`.

use std::time::Duration;

use serde_json::json;

use crate::common::Who;
use crate::support::*;

/// 1 %, 5 %, 25 % with 1 s holds, then full: step 0 with the admin's answer, the rest
/// automatically, each once and never before its hold ended; the plan completes, the
/// previous full release is archived, and the metrics count it.
#[test]
fn a_plan_runs_to_full_release() {
    let gw = gateway();
    let previous = prepared(&gw, MP, "0.9.0");
    let body = json!({ "type": "full" });
    status_is(
        previous.act_with(Who::Admin, "go_live", &body),
        "full_release",
    );

    let r = prepared(&gw, MP, "1.0.0");
    let plan = plan_of(&[(1.0, "1s"), (5.0, "1s"), (25.0, "1s")], true);
    let set = status_is(r.put_plan(Who::Admin, &plan), "release_preparation");
    assert_plan(&set["plan"], "pending", None);
    let pending = &set["plan"];
    assert_eq!(
        pending["steps"].as_array().map(Vec::len),
        Some(4),
        "{pending}"
    );
    assert_eq!(pending["steps"][0]["hold"], "1s", "{pending}");
    assert_eq!(pending["steps"][3], json!({ "full": true }), "{pending}");
    for key in ["window", "next_step_at", "reason"] {
        assert!(pending[key].is_null(), "{key} of a pending plan: {pending}");
    }

    let started = status_is(r.start_plan(), "grayscale_release");
    assert_eq!(started["percentage"].as_f64(), Some(1.0), "{started}");
    assert_plan(&started["plan"], "running", Some(0));
    let first = r.go_lives();
    assert_eq!(first.len(), 1, "{first:#?}");
    let next = nanos(&started["plan"]["next_step_at"]);
    let ahead = next - first[0].at;
    assert!(
        (SECOND_NANOS - SECOND_NANOS / 4..=SECOND_NANOS + SECOND_NANOS / 4).contains(&ahead),
        "next_step_at should be about 1 s after the start, is {ahead} ns: {started}"
    );

    let done = r.wait_for_status("full_release", Duration::from_secs(3) + 3 * SLACK);
    assert_plan(&done["plan"], "completed", Some(3));
    assert!(done["plan"]["next_step_at"].is_null(), "{done}");
    let steps = r.go_lives();
    assert_each_step_once(&steps, &[Some(1.0), Some(5.0), Some(25.0), None], 1);
    assert_eq!(steps[0].actor, Who::Admin.name(), "{steps:#?}");
    for pair in steps.windows(2) {
        held(pair[0].at, pair[1].at, Duration::from_secs(1));
    }
    assert_eq!(previous.status(), "archived");
    let served = gw.resolve(APP, PROD, MP, "user-1").expect(200);
    assert_eq!(
        (&served.body["version"], &served.body["channel"]),
        (&json!("1.0.0"), &json!("full"))
    );

    let applied = metric(&gw, r#"graygate_plan_steps_total{outcome="applied"}"#);
    assert!(applied >= Some(3.0), "applied steps: {applied:?}");
    crate::common::eventually("one completed plan in /metrics", SLACK, || {
        (metric(&gw, r#"graygate_plans{state="completed"}"#) == Some(1.0)).then_some(())
    });
}

/// A manual `go_live` to 7 % at step 0 (1 %) leaves the plan at the last step at or
/// below 7 % (5 %) and restarts that step's hold; `go_live full` completes the plan.
#[test]
fn a_manual_go_live_moves_the_plan_and_full_completes_it() {
    let gw = gateway();
    let r = prepared(&gw, MP, "1.0.0");
    let plan = plan_of(
        &[(1.0, "3s"), (5.0, "1s"), (10.0, "30s"), (20.0, "1s")],
        true,
    );
    status_is(r.put_plan(Who::Admin, &plan), "release_preparation");
    status_is(r.start_plan(), "grayscale_release");

    let manual = status_is(r.go_live_grayscale(7.0), "grayscale_release");
    assert_eq!(manual["percentage"].as_f64(), Some(7.0), "{manual}");
    assert_plan(&manual["plan"], "running", Some(1));
    let at = r.go_lives()[1].at;
    let ahead = nanos(&manual["plan"]["next_step_at"]) - at;
    assert!(
        (SECOND_NANOS - SECOND_NANOS / 4..=SECOND_NANOS + SECOND_NANOS / 4).contains(&ahead),
        "the hold of step 1 (1 s) restarts at the manual go_live; next step {ahead} ns after: {manual}"
    );

    let at_10 = r.wait_for_step(2, Duration::from_secs(1) + SLACK);
    assert_eq!(at_10["percentage"].as_f64(), Some(10.0), "{at_10}");
    let steps = r.go_lives();
    assert_each_step_once(&steps, &[Some(1.0), Some(7.0), Some(10.0)], 2);
    assert_eq!(steps[1].actor, Who::Admin.name(), "{steps:#?}");
    held(steps[1].at, steps[2].at, Duration::from_secs(1));

    let full = status_is(
        r.act_with(Who::Admin, "go_live", &json!({ "type": "full" })),
        "full_release",
    );
    assert_plan(&full["plan"], "completed", Some(2));
    assert!(full["plan"]["next_step_at"].is_null(), "{full}");
    assert_eq!(r.go_lives().len(), 4, "no step after full");
}

/// `cancel` during a plan cancels it; no step follows.
#[test]
fn cancel_ends_the_plan() {
    let gw = gateway();
    let r = prepared(&gw, MP, "1.0.0");
    let plan = plan_of(&[(1.0, "1s"), (5.0, "1s"), (25.0, "1s")], true);
    status_is(r.put_plan(Who::Admin, &plan), "release_preparation");
    status_is(r.start_plan(), "grayscale_release");
    let canceled = status_is(r.act(Who::Admin, "cancel"), "canceled");
    assert_plan(&canceled["plan"], "canceled", Some(0));
    assert!(canceled["plan"]["next_step_at"].is_null(), "{canceled}");
    let history = r.history();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(r.history(), history, "a step after cancel");
    assert_eq!(r.status(), "canceled");
}
