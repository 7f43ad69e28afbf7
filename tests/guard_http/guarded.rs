//! The guard at work (SPEC §9) on one node evaluating every 0.2 s: a regression rolls
//! the release back (everyone back on full) or halts its plan (the release keeps
//! serving), once; equal error rates leave the release alone however often it looks.

use serde_json::Value;

use crate::common::Who;
use crate::support::*;

/// Control 2 % errors, then candidate 30 %: 1,000 reports each, the candidate's errors
/// last so that no evaluation sees a regression on partial figures.
fn regression_reports(gw: &crate::common::Gateway, full: u64, gray: u64) {
    report(
        gw,
        &[
            (full, "full", "ok", 980),
            (full, "full", "error", 20),
            (gray, "grayscale", "ok", 700),
            (gray, "grayscale", "error", 300),
        ],
    );
}

/// Asserts the guard's details of a history entry: the figures of
/// [`regression_reports`] and a lower bound above the tolerance.
#[track_caller]
fn assert_regression_details(entry: &Value) {
    let details = &entry["details"]["guard"];
    assert_eq!(details["decision"], "regression", "{entry}");
    assert_arm(&details["candidate"], 700, 300);
    assert_arm(&details["control"], 980, 20);
    let lower = details["difference"]["lower"].as_f64().unwrap_or(-1.0);
    assert!(
        lower > 0.01,
        "the bound should exceed the tolerance: {entry}"
    );
    assert_eq!(details["min_samples"], 200, "{entry}");
}

#[test]
fn a_regression_rolls_back_and_grayscale_users_return_to_full() {
    let gw = gateway();
    let full = full_v1(&gw);
    let gray = prepared(&gw, "2.0.0");
    status_is(
        gray.put_guard(&guard(0.01, 200, "rollback")),
        "release_preparation",
    );
    // Before 2.0.0 enters grayscale, full's reports are not its control arm.
    report(&gw, &[(full.id, "full", "error", 100)]);
    let body = serde_json::json!({"type": "grayscale", "percentage": 50});
    status_is(
        gray.act_with(Who::Admin, "go_live", &body),
        "grayscale_release",
    );
    let moved = grayscale_users(&gw, 40, "2.0.0");
    assert!(
        moved.len() >= 5,
        "too few users in a 50 % grayscale: {moved:?}"
    );
    regression_reports(&gw, full.id, gray.id);
    gray.wait_until("canceled by the guard", |r| r["status"] == "canceled");
    let entries = gray.entries_by(SYSTEM_GUARD);
    assert_eq!(entries.len(), 1, "one rollback: {entries:#?}");
    assert_eq!(entries[0]["action"], "cancel", "{}", entries[0]);
    assert_regression_details(&entries[0]);
    for user in &moved {
        let back = ("1.0.0".to_string(), "full".to_string());
        assert_eq!(resolved(&gw, user), back, "{user} after the rollback");
    }
    // Reports after the rollback are not the release's: its health keeps the figures
    // that ended it.
    report(&gw, &[(full.id, "full", "error", 500)]);
    let health = gray.health().expect(200).body;
    assert_eq!(health["decision"], "regression", "{health}");
    assert_arm(&health["candidate"], 700, 300);
    assert_arm(&health["control"], 980, 20);
    assert_eq!(health["release_id"], gray.id, "{health}");
}

#[test]
fn equal_error_rates_leave_the_release_alone_over_many_evaluations() {
    let gw = gateway();
    let full = full_v1(&gw);
    let gray = prepared(&gw, "2.0.0");
    gray.put_guard(&guard(0.01, 200, "rollback")).expect(200);
    let body = serde_json::json!({"type": "grayscale", "percentage": 50});
    status_is(
        gray.act_with(Who::Admin, "go_live", &body),
        "grayscale_release",
    );
    // Six rounds of 1,000 reports per arm at 5 % errors, each judged at least three times.
    for _ in 0..6 {
        report(
            &gw,
            &[
                (full.id, "full", "ok", 950),
                (full.id, "full", "error", 50),
                (gray.id, "grayscale", "ok", 950),
                (gray.id, "grayscale", "error", 50),
            ],
        );
        wait_for_evaluations(&gw, "healthy", decisions(&gw, "healthy"), 3.0);
    }
    assert!(decisions(&gw, "healthy") >= 18.0);
    assert_eq!(decisions(&gw, "regression"), 0.0, "a false regression");
    assert_eq!(gray.status(), "grayscale_release");
    assert!(
        gray.entries_by(SYSTEM_GUARD).is_empty(),
        "{:#?}",
        gray.history()
    );
    let health = gray.health().expect(200).body;
    assert_eq!(health["decision"], "healthy", "{health}");
    assert_arm(&health["candidate"], 5700, 300);
    assert_arm(&health["control"], 5700, 300);
    let lower = health["difference"]["lower"].as_f64().unwrap_or(1.0);
    assert!(lower <= 0.01, "{health}");
}

#[test]
fn a_halt_guard_halts_the_plan_once_and_the_release_keeps_serving() {
    let gw = gateway();
    let full = full_v1(&gw);
    let gray = prepared(&gw, "2.0.0");
    gray.put_guard(&guard(0.01, 200, "halt")).expect(200);
    gray.start_plan(&plan_to_full(&[(10.0, "2s"), (50.0, "1s")]));
    regression_reports(&gw, full.id, gray.id);
    let halted = gray.wait_until("plan halted", |r| r["plan"]["state"] == "halted");
    let reason = halted["plan"]["reason"].as_str().unwrap_or_default();
    for figure in ["30.00% vs 2.00%", "1000 and 1000 reports"] {
        assert!(
            reason.contains(figure),
            "{figure} not in the reason {reason:?}"
        );
    }
    assert_eq!(halted["status"], "grayscale_release", "{halted}");
    assert_eq!(
        halted["plan"]["step"], 0,
        "no step after the regression: {halted}"
    );
    let since = decisions(&gw, "regression");
    wait_for_evaluations(&gw, "regression", since, 5.0);
    let entries = gray.entries_by(SYSTEM_GUARD);
    assert_eq!(entries.len(), 1, "exactly one halt: {entries:#?}");
    assert_eq!(entries[0]["action"], "halt", "{}", entries[0]);
    assert_regression_details(&entries[0]);
    let now = gray.get();
    assert_eq!(now["plan"]["state"], "halted", "{now}");
    assert_eq!(now["plan"]["step"], 0, "{now}");
    assert_eq!(now["status"], "grayscale_release", "{now}");
    let serving = grayscale_users(&gw, 200, "2.0.0");
    assert!(
        !serving.is_empty(),
        "the halted release still serves its 10 %"
    );
}
