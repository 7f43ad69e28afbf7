//! The plan scheduler (SPEC §8): one task per node that applies each plan step when it
//! falls due, as `system:plan`, through the same decide → commit → publish path as an
//! admin call. Every node runs it; the store's compare-and-set lets exactly one node's
//! step land, and the others re-decide, find the plan moved on, and do nothing.
//!
//! A guarded plan passes the gate first (SPEC §9): it steps on a healthy finding of its
//! guard, waits for data (`system:plan`, `wait_for_data`) while an arm lacks samples, and
//! on a regression the guard halts or rolls back instead.
//!
//! Due times come ordered from the replica's index, so a wake-up looks at the head only.
//! The task sleeps until the next due time, a change to the replica, or at most
//! [`MAX_SLEEP`]: a bound that also retries a step the store refused to take.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{Control, ControlError};
use crate::guard::Decision;
use crate::model::{Actor, Millis, PlanState, ReleaseId, SystemActor};
use crate::store::StoreError;
use crate::workflow::Command;

/// The longest the scheduler sleeps: a step is retried this often while the store is
/// down, and a wall clock that jumps is noticed this soon.
pub const MAX_SLEEP: Duration = Duration::from_secs(1);

/// What became of one attempted step (`graygate_plan_steps_total{outcome}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// The step was committed.
    Applied,
    /// The workflow refused it: another node took it first, or it is no longer due.
    Skipped,
    /// The store could not commit it; it is retried.
    Error,
}

impl StepOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Applied => "applied",
            StepOutcome::Skipped => "skipped",
            StepOutcome::Error => "error",
        }
    }
}

/// When each waiting plan's gate was last checked: a plan waiting for data is checked
/// about once a second (its counts change no faster), not on every wake-up.
#[derive(Debug, Default)]
pub struct GateChecks(HashMap<ReleaseId, Millis>);

impl GateChecks {
    /// Whether a waiting plan's gate should be checked again at `now`.
    fn due(&mut self, id: ReleaseId, now: Millis) -> bool {
        let again = self.0.get(&id).is_none_or(|&at| now - at >= RECHECK_MS);
        if again {
            self.0.insert(id, now);
        }
        again
    }
}

/// How often a waiting plan's gate is checked.
const RECHECK_MS: Millis = 1_000;

/// What the scheduler asks for a due step: the step, a wait for data, or nothing now.
enum Next {
    Command(Command),
    /// The guard found a regression and acted; or the plan still waits.
    Nothing,
}

impl Control {
    /// Applies every plan step due now (a guarded plan passes its gate first); returns
    /// what became of each step and when the next one may fall due.
    pub async fn step_due_plans(&self) -> (Vec<StepOutcome>, Option<Millis>) {
        self.step_due(&mut GateChecks::default()).await
    }

    pub(super) async fn step_due(
        &self,
        checks: &mut GateChecks,
    ) -> (Vec<StepOutcome>, Option<Millis>) {
        let now = self.now();
        let due = self.state.lock().await.plans_due(now);
        let mut outcomes = Vec::with_capacity(due.due.len());
        for (id, from) in due.due {
            let command = match self.gated(id, from, now, checks).await {
                Ok(Next::Command(c)) => c,
                Ok(Next::Nothing) => continue,
                Err(e) => {
                    tracing::warn!(release = id, error = %e, "plan gate not checked: counts unreadable");
                    self.metrics.plan_step(StepOutcome::Error.as_str());
                    outcomes.push(StepOutcome::Error);
                    continue;
                }
            };
            // A wait is the gate's, not a step: `guard_decisions_total` counted it.
            let step = matches!(command, Command::PlanStep { .. });
            let outcome = self.take_step(id, command).await;
            if step {
                self.metrics.plan_step(outcome.as_str());
                outcomes.push(outcome);
            }
        }
        (outcomes, due.next)
    }

    /// The plan gate (SPEC §9): an unguarded plan steps; a guarded one steps on a
    /// healthy finding, waits for data while an arm lacks samples, and on a regression
    /// the guard acts instead.
    async fn gated(
        &self,
        id: ReleaseId,
        from: Option<usize>,
        now: Millis,
        checks: &mut GateChecks,
    ) -> Result<Next, StoreError> {
        let (guard, waiting) = {
            let state = self.state.lock().await;
            let release = state.releases.get(&id);
            let waiting = release
                .and_then(|r| r.plan.as_deref())
                .is_some_and(|p| p.state == PlanState::WaitingForData);
            (release.and_then(|r| r.guard), waiting)
        };
        let Some(guard) = guard else {
            return Ok(Next::Command(Command::PlanStep {
                from,
                finding: None,
            }));
        };
        if waiting && !checks.due(id, now) {
            return Ok(Next::Nothing);
        }
        let finding = self.finding(id, guard).await?;
        self.metrics.guard.decided(finding.decision());
        Ok(match finding.decision() {
            Decision::Healthy => Next::Command(Command::PlanStep {
                from,
                finding: Some(finding),
            }),
            Decision::InsufficientData if waiting => Next::Nothing,
            Decision::InsufficientData => Next::Command(Command::WaitForData { from, finding }),
            Decision::Regression => {
                self.enforce(id, guard, finding).await;
                Next::Nothing
            }
        })
    }

    async fn take_step(&self, id: ReleaseId, command: Command) -> StepOutcome {
        let actor = Actor::System(SystemActor::Plan);
        match self.act(&actor, id, command, None).await {
            Ok(_) => StepOutcome::Applied,
            Err(ControlError::Store(e)) => {
                tracing::warn!(release = id, error = %e, "plan step not committed; retrying");
                StepOutcome::Error
            }
            Err(e) => {
                tracing::debug!(release = id, reason = %e, "plan step not taken");
                StepOutcome::Skipped
            }
        }
    }
}

/// Runs the scheduler until `stop` completes. A step that was due but not taken (the
/// store refused it, or another node's change is on its way) is tried again on the next
/// wake-up: a change, the next due time, or [`MAX_SLEEP`].
pub async fn run(control: Arc<Control>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut checks = GateChecks::default();
    loop {
        // A step that landed published a change, whose signal wakes the loop at once.
        let (_, next) = control.step_due(&mut checks).await;
        let wait = next.map_or(MAX_SLEEP, |at| {
            let ms = u64::try_from(at.saturating_sub(control.now())).unwrap_or(0);
            Duration::from_millis(ms).min(MAX_SLEEP)
        });
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(wait) => {}
            () = control.changed.notified() => {}
        }
    }
}
