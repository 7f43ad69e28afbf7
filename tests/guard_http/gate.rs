//! The plan gate (SPEC §9): a guarded plan steps only when each arm has `min_samples`
//! reports and no regression is found; until then it is `waiting_for_data`, recorded
//! once by `system:plan`, and does not step.

use serde_json::Value;

use crate::support::*;

/// The `wait_for_data` entries of the release's history.
fn waits(gray: &Release<'_>) -> Vec<Value> {
    let entries = gray.entries_by(SYSTEM_PLAN);
    entries
        .into_iter()
        .filter(|h| h["action"] == "wait_for_data")
        .collect()
}

/// Waits until the plan waits for data (no report yet), then checks that more
/// evaluations neither step it nor record the wait again.
#[track_caller]
fn waits_without_stepping(gw: &crate::common::Gateway, gray: &Release<'_>) {
    let waiting = gray.wait_until("waiting for data", |r| {
        r["plan"]["state"] == "waiting_for_data"
    });
    assert_eq!(waiting["plan"]["step"], 0, "{waiting}");
    let reason = waiting["plan"]["reason"].as_str().unwrap_or_default();
    let counts = "needs 100 reports per arm: candidate has 0, control has 0";
    assert!(reason.contains(counts), "the reason {reason:?}");
    let entries = waits(gray);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let details = &entries[0]["details"]["guard"];
    assert_eq!(details["decision"], "insufficient_data", "{}", entries[0]);
    assert!(
        details["reason"]
            .as_str()
            .unwrap_or_default()
            .contains(counts)
    );
    // More evaluations (the evaluator counts them) do not step it, nor record again.
    let since = decisions(gw, "insufficient_data");
    wait_for_evaluations(gw, "insufficient_data", since, 10.0);
    let still = gray.get();
    assert_eq!(still["plan"]["state"], "waiting_for_data", "{still}");
    assert_eq!(still["plan"]["step"], 0, "{still}");
    assert_eq!(waits(gray).len(), 1, "one wait_for_data entry");
}

#[test]
fn a_guarded_plan_waits_for_data_then_steps_on_healthy_figures() {
    let gw = gateway();
    let full = full_v1(&gw);
    let gray = prepared(&gw, "2.0.0");
    gray.put_guard(&guard(0.01, 100, "halt")).expect(200);
    let started = gray.start_plan(&plan_to_full(&[(10.0, "1s"), (50.0, "1s")]));
    assert_eq!(started["plan"]["step"], 0, "{started}");
    waits_without_stepping(&gw, &gray);
    // 100 reports per arm at the same 5 % error rate let it step.
    report(
        &gw,
        &[
            (full.id, "full", "ok", 95),
            (full.id, "full", "error", 5),
            (gray.id, "grayscale", "ok", 95),
            (gray.id, "grayscale", "error", 5),
        ],
    );
    let stepped = gray.wait_until("at step 1", |r| r["plan"]["step"] == 1);
    let state = stepped["plan"]["state"].as_str().unwrap_or_default();
    assert!(
        ["running", "completed"].contains(&state),
        "after the step: {stepped}"
    );
    let done = gray.wait_until("full release", |r| r["status"] == "full_release");
    assert_eq!(done["plan"]["state"], "completed", "{done}");
    assert_eq!(done["plan"]["step"], 2, "{done}");
    assert_gated_steps(&gray);
}

/// Both automatic steps are `system:plan` go_lives carrying a healthy finding with the
/// reports sent.
#[track_caller]
fn assert_gated_steps(gray: &Release<'_>) {
    let steps: Vec<Value> = gray
        .entries_by(SYSTEM_PLAN)
        .into_iter()
        .filter(|h| h["action"] == "go_live")
        .collect();
    assert_eq!(steps.len(), 2, "{steps:#?}");
    assert_eq!(steps[0]["details"]["percentage"], 50.0, "{}", steps[0]);
    assert_eq!(steps[1]["details"]["type"], "full", "{}", steps[1]);
    for step in &steps {
        let finding = &step["details"]["guard"];
        assert_eq!(finding["decision"], "healthy", "{step}");
        assert_arm(&finding["candidate"], 95, 5);
        assert_arm(&finding["control"], 95, 5);
    }
}
