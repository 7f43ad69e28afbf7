//! The plan scheduler (SPEC §8): one task per node that applies each plan step when it
//! falls due, as `system:plan`, through the same decide → commit → publish path as an
//! admin call. Every node runs it; the store's compare-and-set lets exactly one node's
//! step land, and the others re-decide, find the plan moved on, and do nothing.
//!
//! Due times come ordered from the replica's index, so a wake-up looks at the head only.
//! The task sleeps until the next due time, a change to the replica, or at most
//! [`MAX_SLEEP`]: a bound that also retries a step the store refused to take.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{Control, ControlError};
use crate::model::{Actor, Millis, SystemActor};
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

impl Control {
    /// Applies every plan step due now; returns what became of each and when the next
    /// step may fall due.
    pub async fn step_due_plans(&self) -> (Vec<StepOutcome>, Option<Millis>) {
        let now = self.now();
        let due = self.state.lock().await.plans_due(now);
        let mut outcomes = Vec::with_capacity(due.due.len());
        for (id, from) in due.due {
            let actor = Actor::System(SystemActor::Plan);
            let outcome = match self.act(&actor, id, Command::PlanStep { from }, None).await {
                Ok(_) => StepOutcome::Applied,
                Err(ControlError::Store(e)) => {
                    tracing::warn!(release = id, error = %e, "plan step not committed; retrying");
                    StepOutcome::Error
                }
                Err(e) => {
                    tracing::debug!(release = id, reason = %e, "plan step not taken");
                    StepOutcome::Skipped
                }
            };
            self.metrics.plan_step(outcome.as_str());
            outcomes.push(outcome);
        }
        (outcomes, due.next)
    }
}

/// Runs the scheduler until `stop` completes. A step that was due but not taken (the
/// store refused it, or another node's change is on its way) is tried again on the next
/// wake-up: a change, the next due time, or [`MAX_SLEEP`].
pub async fn run(control: Arc<Control>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        // A step that landed published a change, whose signal wakes the loop at once.
        let (_, next) = control.step_due_plans().await;
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
