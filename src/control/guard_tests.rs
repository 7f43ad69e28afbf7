//! The guard on the control plane with a manual clock on a real embedded store: the plan
//! gate (wait for data, then step), halt and rollback through decide → commit → history,
//! each exactly once however often the guard is evaluated. Counts go straight into the
//! store, as the nodes' flushes put them there.

use std::sync::Arc;

use super::ManualClock;
use super::plan_tests::{FRIDAY_1630, admin, go_live_plan, prepared, release, start, state};
use crate::guard::{Counts, Decision};
use crate::model::{Action, Guard, HistoryEntry, PlanState, ReleaseId, Status};
use crate::reports::ArmCounts;
use crate::workflow::Command;

const SECOND: i64 = 1_000;

fn guard(on_regression: &str, min_samples: u64) -> Guard {
    let json = serde_json::json!({"max_error_rate_increase": 0.01, "min_samples": min_samples,
        "confidence": 0.95, "on_regression": on_regression});
    serde_json::from_value(json).expect("a valid guard")
}

fn two_steps() -> serde_json::Value {
    serde_json::json!({"steps":[{"percentage":10,"hold":"10s"},{"percentage":50,"hold":"10s"},{"full":true}]})
}

async fn add(control: &super::Control, id: ReleaseId, candidate: Counts, control_arm: Counts) {
    let counts = ArmCounts {
        candidate,
        control: control_arm,
        ..ArmCounts::default()
    };
    control
        .store
        .add_reports(vec![(id, counts)])
        .await
        .expect("counts");
}

async fn by(control: &super::Control, id: ReleaseId, actor: &str) -> Vec<HistoryEntry> {
    let all = control.history(&admin(), id).await.expect("history");
    all.into_iter().filter(|e| e.actor == actor).collect()
}

async fn guarded(control: &super::Control, on_regression: &str, min: u64) -> ReleaseId {
    let id = prepared(control, two_steps()).await;
    let set = Command::SetGuard(guard(on_regression, min));
    control.act(&admin(), id, set, None).await.expect("guard");
    go_live_plan(control, id).await;
    id
}

#[tokio::test]
async fn a_guarded_plan_waits_for_samples_once_then_steps_on_a_healthy_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at(FRIDAY_1630));
    let control = start(&dir, &clock).await;
    let id = guarded(&control, "rollback", 100).await;
    clock.advance(10 * SECOND);
    let (outcomes, _) = control.step_due_plans().await;
    assert!(outcomes.is_empty(), "a wait is not a step: {outcomes:?}");
    let (_, pct, plan_state, step) = state(&control, id).await;
    assert_eq!(
        (pct, plan_state, step),
        (10.0, PlanState::WaitingForData, Some(0))
    );
    let r = release(&control, id).await;
    let reason = r.plan.and_then(|p| p.reason.clone()).unwrap_or_default();
    assert!(
        reason.contains("candidate has 0, control has 0"),
        "{reason}"
    );
    control.step_due_plans().await;
    let waits = by(&control, id, "system:plan").await;
    assert_eq!(
        waits.len(),
        1,
        "one wait_for_data entry however often it looks"
    );
    assert_eq!(waits[0].action, Action::WaitForData);
    add(&control, id, Counts::new(94, 5), Counts::new(94, 5)).await;
    clock.advance(2 * SECOND);
    control.step_due_plans().await;
    assert_eq!(
        state(&control, id).await.2,
        PlanState::WaitingForData,
        "99 < 100 per arm"
    );
    add(&control, id, Counts::new(100, 0), Counts::new(100, 0)).await;
    clock.advance(2 * SECOND);
    let (outcomes, _) = control.step_due_plans().await;
    assert_eq!(outcomes.len(), 1);
    let (_, pct, plan_state, step) = state(&control, id).await;
    assert_eq!((pct, plan_state, step), (50.0, PlanState::Running, Some(1)));
    let steps = by(&control, id, "system:plan").await;
    let last = steps.last().expect("the step");
    assert_eq!(last.action, Action::GoLive);
    assert_eq!(last.details["guard"]["decision"], "healthy");
    assert_eq!(last.details["guard"]["candidate"]["ok"], 194);
}

#[tokio::test]
async fn a_halt_guard_halts_the_plan_once_and_the_release_keeps_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at(FRIDAY_1630));
    let control = start(&dir, &clock).await;
    let id = guarded(&control, "halt", 100).await;
    add(&control, id, Counts::new(700, 300), Counts::new(980, 20)).await;
    for _ in 0..3 {
        let decided = control.evaluate_guards().await;
        assert_eq!(decided, vec![(id, Decision::Regression)]);
    }
    let (status, pct, plan_state, _) = state(&control, id).await;
    assert_eq!(
        (status, pct, plan_state),
        (Status::GrayscaleRelease, 10.0, PlanState::Halted)
    );
    let halts = by(&control, id, "system:guard").await;
    assert_eq!(halts.len(), 1, "exactly one halt: {halts:?}");
    assert_eq!(halts[0].action, Action::Halt);
    assert_eq!(halts[0].details["guard"]["candidate"]["error"], 300);
    assert!(halts[0].details["guard"]["difference"]["lower"].as_f64() > Some(0.01));
    // The scheduler's gate finds the regression too, and takes no step.
    clock.advance(20 * SECOND);
    assert!(control.step_due_plans().await.0.is_empty());
    assert_eq!(state(&control, id).await.3, Some(0));
}

#[tokio::test]
async fn a_rollback_guard_cancels_once_and_judges_only_grayscale_releases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at(FRIDAY_1630));
    let control = start(&dir, &clock).await;
    let id = guarded(&control, "rollback", 100).await;
    add(&control, id, Counts::new(990, 10), Counts::new(990, 10)).await;
    assert_eq!(
        control.evaluate_guards().await,
        vec![(id, Decision::Healthy)]
    );
    add(&control, id, Counts::new(0, 400), Counts::new(0, 0)).await;
    assert_eq!(
        control.evaluate_guards().await,
        vec![(id, Decision::Regression)]
    );
    let (status, _, plan_state, _) = state(&control, id).await;
    assert_eq!(
        (status, plan_state),
        (Status::Canceled, PlanState::Canceled)
    );
    assert!(
        control.evaluate_guards().await.is_empty(),
        "a canceled release is not judged"
    );
    let cancels = by(&control, id, "system:guard").await;
    assert_eq!(cancels.len(), 1);
    assert_eq!(
        (cancels[0].action, cancels[0].to),
        (Action::Cancel, Status::Canceled)
    );
    let health = control.release_health(&admin(), id).await.expect("health");
    let finding = health.finding.expect("a finding");
    assert_eq!(
        finding.decision(),
        Decision::Regression,
        "the decision that ended it"
    );
    assert_eq!(health.counts.candidate, Counts::new(990, 410));
}
