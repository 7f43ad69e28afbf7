//! The plan scheduler with a manual clock on a real embedded store: holds, windows (also
//! across a DST change), overdue steps after downtime, pause and resume, a manual skip,
//! cancel, and a restart that finds the plan exactly as last committed. No test waits for
//! real time.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::scheduler::StepOutcome;
use super::{Control, CreateRelease, ManualClock};
use crate::metrics::Metrics;
use crate::model::{
    Actor, AppId, Env, EnvPolicyInput, MiniProgramId, MiniProgramVersion, PackageUrl, PlanSpec,
    PlanState, Release, ReleaseConfig, ReleaseId, Role, Status, Version,
};
use crate::store::embedded::EmbeddedStore;
use crate::workflow::{Command, GoLive};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
/// Friday 2026-12-11 16:30 UTC.
pub(super) const FRIDAY_1630: i64 = 1_797_006_600_000;

pub(super) fn admin() -> Actor {
    Actor::person("ops", Role::Admin)
}

pub(super) async fn start(dir: &tempfile::TempDir, clock: &Arc<ManualClock>) -> Control {
    let store = EmbeddedStore::open(&dir.path().join("store.db")).expect("open");
    let metrics = Metrics::new();
    let cell = crate::snapshot::new_cell(&metrics);
    let clock: Arc<dyn super::Clock> = clock.clone();
    Control::start_with_clock(Arc::new(store), cell, metrics, clock)
        .await
        .expect("start")
}

/// A production release in `release_preparation` with `plan` set, pending.
pub(super) async fn prepared(control: &Control, plan: serde_json::Value) -> ReleaseId {
    let app = AppId::parse("superapp-a").expect("app");
    let envs = BTreeMap::from([(Env::Production, EnvPolicyInput::default())]);
    control
        .ensure_apps(vec![(app.clone(), envs)])
        .await
        .expect("app");
    let mp = MiniProgramId::parse("mp-plan").expect("mp");
    let version = Version::parse("1.0.0").expect("version");
    let upload = MiniProgramVersion {
        mini_program: mp.clone(),
        version: version.clone(),
        package_url: PackageUrl::parse("https://cdn.example.com/mp-plan-1.0.0.zip").expect("url"),
        sha256: None,
        created_by: String::new(),
        created_at: 0,
        revision: 0,
    };
    let dev = Actor::person("dev", Role::Developer);
    control.add_version(&dev, upload).await.expect("version");
    let req = CreateRelease {
        mini_program: mp,
        version,
        app,
        env: Env::Production,
        config: ReleaseConfig::default(),
        test_group: None,
        targeting: None,
    };
    let id = control
        .create_release(&dev, req)
        .await
        .expect("create")
        .release
        .id;
    control
        .act(&dev, id, Command::Apply, None)
        .await
        .expect("apply");
    let reviewer = Actor::person("rev", Role::Reviewer);
    control
        .act(&reviewer, id, Command::Approve, None)
        .await
        .expect("approve");
    let spec: PlanSpec = serde_json::from_value(plan).expect("plan");
    let set = Command::SetPlan(Arc::new(spec));
    control
        .act(&admin(), id, set, None)
        .await
        .expect("set plan");
    id
}

pub(super) async fn release(control: &Control, id: ReleaseId) -> Release {
    control
        .release(&admin(), id)
        .await
        .expect("release")
        .release
}

pub(super) async fn state(
    control: &Control,
    id: ReleaseId,
) -> (Status, f64, PlanState, Option<usize>) {
    let r = release(control, id).await;
    let plan = r.plan.as_deref().expect("a plan");
    (r.status, r.percentage.as_percent(), plan.state, plan.step)
}

fn three_steps() -> serde_json::Value {
    serde_json::json!({"steps":[{"percentage":1,"hold":"1h"},{"percentage":5,"hold":"2h"},{"full":true}]})
}

pub(super) async fn go_live_plan(control: &Control, id: ReleaseId) {
    let go = Command::GoLive(GoLive::Plan);
    control
        .act(&admin(), id, go, None)
        .await
        .expect("start plan");
}

#[tokio::test]
async fn steps_follow_their_holds_and_each_is_one_history_entry_by_the_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at(FRIDAY_1630));
    let control = start(&dir, &clock).await;
    let id = prepared(&control, three_steps()).await;
    go_live_plan(&control, id).await;
    let running = (Status::GrayscaleRelease, 1.0, PlanState::Running, Some(0));
    assert_eq!(state(&control, id).await, running, "the first step at once");
    let (outcomes, next) = control.step_due_plans().await;
    assert_eq!(
        (outcomes, next),
        (vec![], Some(FRIDAY_1630 + HOUR)),
        "holding"
    );
    clock.advance(HOUR - 1);
    assert!(
        control.step_due_plans().await.0.is_empty(),
        "a millisecond early"
    );
    clock.advance(1);
    assert_eq!(control.step_due_plans().await.0, vec![StepOutcome::Applied]);
    let second = (Status::GrayscaleRelease, 5.0, PlanState::Running, Some(1));
    assert_eq!(state(&control, id).await, second);
    assert!(control.step_due_plans().await.0.is_empty(), "applied once");
    clock.advance(2 * HOUR);
    assert_eq!(control.step_due_plans().await.0, vec![StepOutcome::Applied]);
    let done = (Status::FullRelease, 0.0, PlanState::Completed, Some(2));
    assert_eq!(state(&control, id).await, done);
    assert_eq!(
        control.step_due_plans().await,
        (vec![], None),
        "nothing left"
    );
    let history = control.history(&admin(), id).await.expect("history");
    let steps: Vec<_> = history
        .iter()
        .filter(|h| h.actor == "system:plan")
        .map(|h| (h.action.as_str(), h.details.clone()))
        .collect();
    let expected = vec![
        (
            "go_live",
            serde_json::json!({"type":"grayscale","percentage":5}),
        ),
        ("go_live", serde_json::json!({"type":"full"})),
    ];
    assert_eq!(steps, expected);
}

#[tokio::test]
async fn an_overdue_plan_takes_one_step_then_holds_again_also_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at(FRIDAY_1630));
    let id = {
        let control = start(&dir, &clock).await;
        let id = prepared(&control, three_steps()).await;
        go_live_plan(&control, id).await;
        id
    };
    // The node was down for ten hours: both holds are long over.
    clock.advance(10 * HOUR);
    let control = start(&dir, &clock).await;
    let before = (Status::GrayscaleRelease, 1.0, PlanState::Running, Some(0));
    assert_eq!(state(&control, id).await, before, "as last committed");
    assert_eq!(control.step_due_plans().await.0, vec![StepOutcome::Applied]);
    let (outcomes, next) = control.step_due_plans().await;
    assert!(outcomes.is_empty(), "one step, never two at once");
    assert_eq!(
        next,
        Some(FRIDAY_1630 + 10 * HOUR + 2 * HOUR),
        "its hold restarted"
    );
    assert_eq!(state(&control, id).await.1, 5.0);
}

#[tokio::test]
async fn a_step_due_outside_the_window_waits_for_the_next_opening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at(FRIDAY_1630));
    let control = start(&dir, &clock).await;
    let plan = serde_json::json!({
        "steps":[{"percentage":1,"hold":"1h"},{"full":true}],
        "window":{"timezone":"Europe/Berlin","days":["mon","tue","wed","thu","fri"],"from":"09:00","to":"18:00"}
    });
    let id = prepared(&control, plan).await;
    go_live_plan(&control, id).await;
    // Berlin is UTC+1 in December: the hold ends at 18:30 local, after closing, on a Friday.
    let monday_0900_berlin = FRIDAY_1630 + 2 * 24 * HOUR + 15 * HOUR + 30 * MINUTE;
    let info = control.release(&admin(), id).await.expect("release");
    assert_eq!(info.next_step_at, Some(monday_0900_berlin));
    clock.advance(HOUR);
    assert_eq!(
        control.step_due_plans().await,
        (vec![], Some(monday_0900_berlin))
    );
    clock.set(monday_0900_berlin - 1);
    assert!(control.step_due_plans().await.0.is_empty());
    clock.set(monday_0900_berlin);
    assert_eq!(control.step_due_plans().await.0, vec![StepOutcome::Applied]);
    assert_eq!(state(&control, id).await.0, Status::FullRelease);
}

#[tokio::test]
async fn pause_stops_the_clock_and_resume_waits_one_full_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at(FRIDAY_1630));
    let control = start(&dir, &clock).await;
    let id = prepared(&control, three_steps()).await;
    go_live_plan(&control, id).await;
    clock.advance(30 * MINUTE);
    control
        .act(&admin(), id, Command::Pause, None)
        .await
        .expect("pause");
    clock.advance(5 * HOUR);
    assert_eq!(control.step_due_plans().await, (vec![], None), "paused");
    let paused = (Status::GrayscaleRelease, 1.0, PlanState::Paused, Some(0));
    assert_eq!(state(&control, id).await, paused);
    let resumed_at = super::Clock::now(&*clock);
    control
        .act(&admin(), id, Command::Resume, None)
        .await
        .expect("resume");
    let (outcomes, next) = control.step_due_plans().await;
    assert!(outcomes.is_empty(), "never at once after resuming");
    assert_eq!(
        next,
        Some(resumed_at + HOUR),
        "one full hold of the current step"
    );
    let refused = control.act(&admin(), id, Command::Resume, None).await;
    assert!(refused.is_err(), "a running plan cannot resume");
}

#[tokio::test]
async fn a_manual_go_live_skips_steps_and_restarts_the_hold_and_cancel_ends_the_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at(FRIDAY_1630));
    let control = start(&dir, &clock).await;
    let id = prepared(&control, three_steps()).await;
    go_live_plan(&control, id).await;
    clock.advance(10 * MINUTE);
    let seven = crate::model::Percentage::from_percent(7.0).expect("7 %");
    let by_hand = Command::GoLive(GoLive::Grayscale(seven));
    control
        .act(&admin(), id, by_hand, None)
        .await
        .expect("manual go-live");
    let skipped = (Status::GrayscaleRelease, 7.0, PlanState::Running, Some(1));
    assert_eq!(
        state(&control, id).await,
        skipped,
        "the last step at or below 7 %"
    );
    let (_, next) = control.step_due_plans().await;
    assert_eq!(
        next,
        Some(FRIDAY_1630 + 10 * MINUTE + 2 * HOUR),
        "step 1's hold"
    );
    control
        .act(&admin(), id, Command::Cancel, None)
        .await
        .expect("cancel");
    let canceled = (Status::Canceled, 0.0, PlanState::Canceled, Some(1));
    assert_eq!(state(&control, id).await, canceled);
    clock.advance(24 * HOUR);
    assert_eq!(control.step_due_plans().await, (vec![], None));
}

#[tokio::test]
async fn a_running_plan_cannot_be_replaced_or_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at(FRIDAY_1630));
    let control = start(&dir, &clock).await;
    let id = prepared(&control, three_steps()).await;
    go_live_plan(&control, id).await;
    let before = release(&control, id).await;
    let spec: PlanSpec = serde_json::from_value(three_steps()).expect("plan");
    let replace = control
        .act(&admin(), id, Command::SetPlan(Arc::new(spec)), None)
        .await;
    assert!(replace.is_err());
    assert!(
        control
            .act(&admin(), id, Command::RemovePlan, None)
            .await
            .is_err()
    );
    assert_eq!(release(&control, id).await, before, "nothing changed");
}

#[tokio::test]
async fn a_window_opening_after_a_dst_change_follows_the_local_clock() {
    // Saturday 2026-03-07 16:30 EST; New York springs forward overnight.
    const SATURDAY_1630_EST: i64 = 1_772_919_000_000;
    // Sunday 2026-03-08 09:00 EDT is 13:00 UTC (it would be 14:00 UTC without the change).
    const SUNDAY_0900_EDT: i64 = 1_772_974_800_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at(SATURDAY_1630_EST));
    let control = start(&dir, &clock).await;
    let plan = serde_json::json!({
        "steps":[{"percentage":1,"hold":"1h"},{"full":true}],
        "window":{"timezone":"America/New_York","days":["sat","sun"],"from":"09:00","to":"17:00"}
    });
    let id = prepared(&control, plan).await;
    go_live_plan(&control, id).await;
    let info = control.release(&admin(), id).await.expect("release");
    assert_eq!(
        info.next_step_at,
        Some(SUNDAY_0900_EDT),
        "the hold ends after closing"
    );
    clock.set(SUNDAY_0900_EDT - 1);
    assert!(control.step_due_plans().await.0.is_empty());
    clock.set(SUNDAY_0900_EDT);
    assert_eq!(control.step_due_plans().await.0, vec![StepOutcome::Applied]);
    assert_eq!(state(&control, id).await.0, Status::FullRelease);
}
