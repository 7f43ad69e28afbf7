//! Rollout plans (SPEC §8): the grayscale steps an operator would otherwise take by hand,
//! an optional release window, and where the plan stands. [`PlanSpec`] is what an
//! operator sets, validated once at the edge; [`Plan`] is the spec plus its progress,
//! which only the workflow changes.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{GrayscalePercentage, InvalidValue, Millis, Percentage};

mod hold;
mod raw;
#[cfg(test)]
mod tests;
mod window;

pub use hold::Hold;
pub use raw::{RawPlan, RawStep, RawWindow};
pub use window::Window;

/// The most steps a plan may have.
pub const MAX_STEPS: usize = 20;

/// One step of a plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Serve the version to `percentage` of users, then hold for `hold`.
    Grayscale {
        percentage: GrayscalePercentage,
        hold: Hold,
    },
    /// Go live to everybody (only as the last step).
    Full,
}

impl Step {
    /// The share this step serves (100 % for a full step).
    pub fn percentage(self) -> Percentage {
        match self {
            Step::Grayscale { percentage, .. } => percentage.get(),
            Step::Full => Percentage::FULL,
        }
    }

    /// How long the step bakes; a full step ends the plan, so it holds for nothing.
    pub fn hold(self) -> Option<Hold> {
        match self {
            Step::Grayscale { hold, .. } => Some(hold),
            Step::Full => None,
        }
    }
}

/// A validated plan as an operator sets it: 1–20 steps with strictly increasing
/// percentages, at most one `full` step and only last, and an optional window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPlan", into = "RawPlan")]
pub struct PlanSpec {
    steps: Vec<Step>,
    window: Option<Window>,
}

impl PlanSpec {
    pub fn new(steps: Vec<Step>, window: Option<Window>) -> Result<PlanSpec, InvalidValue> {
        let invalid = |reason: String| InvalidValue::new("plan", reason);
        if steps.is_empty() || steps.len() > MAX_STEPS {
            return Err(invalid(format!("steps must have 1 to {MAX_STEPS} entries")));
        }
        for (i, pair) in steps.windows(2).enumerate() {
            if pair[0] == Step::Full {
                return Err(invalid(format!(
                    "steps[{i}]: only the last step may be full"
                )));
            }
            if pair[1].percentage() <= pair[0].percentage() {
                let (next, before) = (pair[1].percentage(), pair[0].percentage());
                return Err(invalid(format!(
                    "steps[{}].percentage {next} must be above the step before ({before})",
                    i + 1
                )));
            }
        }
        Ok(PlanSpec { steps, window })
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub fn window(&self) -> Option<&Window> {
        self.window.as_ref()
    }

    /// The first step whose share is above `current`: where a started plan begins.
    pub fn first_above(&self, current: Percentage) -> Option<usize> {
        self.steps.iter().position(|s| s.percentage() > current)
    }

    /// The last step at or below `percentage`: where a manual go-live leaves the plan.
    pub fn last_at_or_below(&self, percentage: Percentage) -> Option<usize> {
        self.steps
            .iter()
            .rposition(|s| s.percentage() <= percentage)
    }

    /// Whether applying step `i` completes the plan: it is the last one (a plan without
    /// a full step ends at its last percentage and leaves the rest to a person).
    pub fn completes_at(&self, i: usize) -> bool {
        i + 1 >= self.steps.len()
    }
}

/// Where a plan stands (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanState {
    Pending,
    Running,
    WaitingForData,
    Paused,
    Halted,
    Completed,
    Canceled,
}

impl PlanState {
    pub const ALL: [PlanState; 7] = [
        PlanState::Pending,
        PlanState::Running,
        PlanState::WaitingForData,
        PlanState::Paused,
        PlanState::Halted,
        PlanState::Completed,
        PlanState::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanState::Pending => "pending",
            PlanState::Running => "running",
            PlanState::WaitingForData => "waiting_for_data",
            PlanState::Paused => "paused",
            PlanState::Halted => "halted",
            PlanState::Completed => "completed",
            PlanState::Canceled => "canceled",
        }
    }

    /// Started and not over: a plan in these states may not be replaced or removed.
    pub fn is_active(self) -> bool {
        match self {
            PlanState::Running | PlanState::WaitingForData | PlanState::Paused => true,
            PlanState::Pending | PlanState::Halted | PlanState::Completed | PlanState::Canceled => {
                false
            }
        }
    }
}

/// A plan on a release: the spec and its progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub spec: Arc<PlanSpec>,
    pub state: PlanState,
    /// The 0-based index of the last applied step; `None` before the start.
    pub step: Option<usize>,
    /// When the current step's hold ends (running plans only).
    pub hold_until: Option<Millis>,
    /// Why the plan is halted or waiting.
    pub reason: Option<String>,
}

impl Plan {
    /// A plan that has not started.
    pub fn pending(spec: Arc<PlanSpec>) -> Plan {
        Plan {
            spec,
            state: PlanState::Pending,
            step: None,
            hold_until: None,
            reason: None,
        }
    }

    /// When the next step falls due if nothing else happens: the end of the hold, or the
    /// window's next opening after it. `None` unless the plan is running or waiting for
    /// data (whose step is due, the guard's gate permitting).
    pub fn due_at(&self) -> Option<Millis> {
        if !matches!(self.state, PlanState::Running | PlanState::WaitingForData) {
            return None;
        }
        let hold_until = self.hold_until?;
        match self.spec.window() {
            Some(w) => w.next_opening(hold_until),
            None => Some(hold_until),
        }
    }

    /// When the next step will be applied, seen at `now`: an overdue step waits for the
    /// window to open (SPEC §8 `next_step_at`).
    pub fn next_step_at(&self, now: Millis) -> Option<Millis> {
        let due = self.due_at()?;
        if due >= now {
            return Some(due);
        }
        match self.spec.window() {
            Some(w) => w.next_opening(now),
            None => Some(due),
        }
    }

    /// Whether the next step may be applied at `now`: the hold is over and the window open.
    pub fn is_due(&self, now: Millis) -> bool {
        self.next_step_at(now).is_some_and(|at| at <= now)
    }
}
