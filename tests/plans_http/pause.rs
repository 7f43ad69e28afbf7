//! Pausing and resuming a running plan (SPEC §8): a paused plan takes no step; after
//! `resume` the next step is due one full hold of the current step later, never at once.

use std::time::Duration;

use crate::common::Who;
use crate::support::*;

#[test]
fn a_paused_plan_waits_and_resumes_after_a_full_hold() {
    let gw = gateway();
    let r = prepared(&gw, MP, "1.0.0");
    let plan = plan_of(&[(1.0, "2s"), (5.0, "1s"), (25.0, "1s")], true);
    status_is(r.put_plan(Who::Admin, &plan), "release_preparation");
    let started = status_is(r.start_plan(), "grayscale_release");
    assert!(
        allowed(&started["allowed_actions"]).contains(&"pause".to_string()),
        "{started}"
    );
    refused(
        r.act(Who::Admin, "resume"),
        "plan_not_paused",
        "grayscale_release",
    );

    let paused = status_is(r.act(Who::Admin, "pause"), "grayscale_release");
    assert_plan(&paused["plan"], "paused", Some(0));
    assert!(paused["plan"]["next_step_at"].is_null(), "{paused}");
    let actions = allowed(&paused["allowed_actions"]);
    assert!(actions.contains(&"resume".to_string()), "{paused}");
    assert!(!actions.contains(&"pause".to_string()), "{paused}");
    refused(
        r.act(Who::Admin, "pause"),
        "plan_not_running",
        "grayscale_release",
    );
    refused(
        r.put_plan(Who::Admin, &plan),
        "plan_active",
        "grayscale_release",
    );

    // Longer than two holds of the current step: nothing happens.
    let history = r.history();
    std::thread::sleep(Duration::from_millis(4500));
    assert_eq!(r.history(), history, "a step while paused");
    assert_eq!(r.get()["percentage"].as_f64(), Some(1.0));

    let resumed = status_is(r.act(Who::Admin, "resume"), "grayscale_release");
    assert_plan(&resumed["plan"], "running", Some(0));
    let resumed_at = r
        .history()
        .iter()
        .rev()
        .find(|h| h["action"] == "resume")
        .map(|h| nanos(&h["at"]))
        .unwrap_or_else(|| panic!("no resume in history"));
    let ahead = nanos(&resumed["plan"]["next_step_at"]) - resumed_at;
    assert!(
        ahead >= 2 * SECOND_NANOS - SECOND_NANOS / 4,
        "the next step must be due a full hold (2 s) after resuming, is {ahead} ns: {resumed}"
    );

    r.wait_for_step(1, Duration::from_secs(2) + SLACK);
    let steps = r.go_lives();
    held(resumed_at, steps[1].at, Duration::from_secs(2));
    r.wait_for_status("full_release", Duration::from_secs(2) + 2 * SLACK);
    let steps = r.go_lives();
    assert_each_step_once(&steps, &[Some(1.0), Some(5.0), Some(25.0), None], 1);
    let history = r.history();
    let actions: Vec<&str> = history
        .iter()
        .filter_map(|h| h["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"pause") && actions.contains(&"resume"),
        "pause and resume are history-recorded: {actions:?}"
    );
}

/// A manual `go_live` on a paused plan moves its step but does not make it run: no
/// automatic step follows until `resume`; `cancel` then cancels the paused plan.
#[test]
fn a_manual_go_live_does_not_wake_a_paused_plan() {
    let gw = gateway();
    let r = prepared(&gw, MP, "1.0.0");
    let plan = plan_of(&[(1.0, "2s"), (5.0, "1s"), (25.0, "1s")], true);
    status_is(r.put_plan(Who::Admin, &plan), "release_preparation");
    status_is(r.start_plan(), "grayscale_release");
    status_is(r.act(Who::Admin, "pause"), "grayscale_release");
    let manual = status_is(r.go_live_grayscale(7.0), "grayscale_release");
    assert_eq!(manual["plan"]["step"], 1, "{manual}");
    assert_eq!(manual["plan"]["state"], "paused", "{manual}");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(r.go_lives().len(), 2, "an automatic step on a paused plan");
    let canceled = status_is(r.act(Who::Admin, "cancel"), "canceled");
    assert_plan(&canceled["plan"], "canceled", Some(1));
}
