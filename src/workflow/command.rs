//! The commands the workflow decides: every action on an existing release with its
//! validated payload, the name each is recorded under, what the permission table is
//! asked, and the probes `allowed_actions` tries.

use std::sync::Arc;

use super::Operation;
use crate::model::{
    Action, Finding, Guard, OnRegression, Percentage, PlanSpec, Reason, ReleaseConfig, Targeting,
    TestGroup,
};

/// How a release goes live in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoLive {
    /// Serve the version to `percentage` of users (strictly between 0 and 100).
    Grayscale(Percentage),
    /// Serve the version to everybody.
    Full,
    /// Start the release's pending plan: its first step above the current share, at once.
    Plan,
}

/// An action on an existing release, with its validated payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    EditConfig(Arc<ReleaseConfig>),
    SetTestGroup(Arc<TestGroup>),
    Apply,
    Withdraw,
    Approve,
    Reject(Reason),
    CompleteTesting,
    GoLive(GoLive),
    Cancel,
    /// Sets or replaces the release's plan (SPEC §8), pending.
    SetPlan(Arc<PlanSpec>),
    RemovePlan,
    Pause,
    Resume,
    /// The plan's next step, taken by `system:plan` when it falls due; `from` is the step
    /// the scheduler saw applied, so a step another node applied first is not repeated.
    /// A guarded release steps only on a healthy `finding` of its guard (SPEC §9 gate).
    PlanStep {
        from: Option<usize>,
        finding: Option<Finding>,
    },
    /// The plan gate closed: the step is due but the guard lacks samples (`system:plan`).
    WaitForData {
        from: Option<usize>,
        finding: Finding,
    },
    /// Sets or replaces the release's guard (SPEC §9).
    SetGuard(Guard),
    RemoveGuard,
    /// What the guard does on a regression it found, as `system:guard`: halt the plan or
    /// cancel the release, as the guard's `on_regression` says.
    GuardHalt(Finding),
    GuardRollback(Finding),
    /// Sets the release's targeting (SPEC §10); `None` removes every rule. Free before
    /// review; after approval an admin may only remove whole rules.
    SetTargeting(Option<Arc<Targeting>>),
    /// Takes a full release offline: through `offline_review` where approval is manual,
    /// else at once (SPEC §11).
    TakeOffline(Reason),
    /// Rolls a full release back to the predecessor it archived (SPEC §11).
    Rollback(Reason),
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::EditConfig(_) => Action::EditConfig,
            Command::SetTestGroup(_) => Action::SetTestGroup,
            Command::Apply => Action::Apply,
            Command::Withdraw => Action::Withdraw,
            Command::Approve => Action::Approve,
            Command::Reject(_) => Action::Reject,
            Command::CompleteTesting => Action::CompleteTesting,
            Command::GoLive(_) | Command::PlanStep { .. } => Action::GoLive,
            Command::Cancel | Command::GuardRollback(_) => Action::Cancel,
            Command::SetPlan(_) => Action::SetPlan,
            Command::RemovePlan => Action::RemovePlan,
            Command::Pause => Action::Pause,
            Command::Resume => Action::Resume,
            Command::WaitForData { .. } => Action::WaitForData,
            Command::SetGuard(_) => Action::SetGuard,
            Command::RemoveGuard => Action::RemoveGuard,
            Command::GuardHalt(_) => Action::Halt,
            Command::SetTargeting(_) => Action::SetTargeting,
            Command::TakeOffline(_) => Action::TakeOffline,
            Command::Rollback(_) => Action::Rollback,
        }
    }

    /// What the permission table is asked: the action, except that only a plan takes its
    /// own steps and only a guard acts on its findings.
    pub fn operation(&self) -> Operation {
        match self {
            Command::PlanStep { .. } | Command::WaitForData { .. } => Operation::PlanStep,
            Command::GuardHalt(_) | Command::GuardRollback(_) => Operation::Guard,
            other => Operation::Release(other.action()),
        }
    }

    /// A command that performs `action` whenever the status and target admit it, for
    /// [`allowed_actions`]; `None` for actions that are not commands on a release.
    pub(super) fn probe(action: Action) -> Option<Command> {
        match action {
            Action::EditConfig => Some(Command::EditConfig(Arc::default())),
            Action::SetTestGroup => Some(Command::SetTestGroup(Arc::default())),
            Action::Apply => Some(Command::Apply),
            Action::Withdraw => Some(Command::Withdraw),
            Action::Approve => Some(Command::Approve),
            Action::Reject => Reason::parse("probe").ok().map(Command::Reject),
            Action::CompleteTesting => Some(Command::CompleteTesting),
            Action::GoLive => Some(Command::GoLive(GoLive::Full)),
            Action::Cancel => Some(Command::Cancel),
            Action::SetPlan => Some(Command::SetPlan(Arc::new(probe_plan()?))),
            Action::RemovePlan => Some(Command::RemovePlan),
            Action::Pause => Some(Command::Pause),
            Action::Resume => Some(Command::Resume),
            Action::SetGuard => Some(Command::SetGuard(probe_guard()?)),
            Action::RemoveGuard => Some(Command::RemoveGuard),
            // Removing every rule: allowed wherever some change is.
            Action::SetTargeting => Some(Command::SetTargeting(None)),
            Action::TakeOffline => Reason::parse("probe").ok().map(Command::TakeOffline),
            Action::Rollback => Reason::parse("probe").ok().map(Command::Rollback),
            // The gateway's own actions and effects, never a person's.
            Action::Create
            | Action::Archive
            | Action::Restore
            | Action::WaitForData
            | Action::Halt => None,
        }
    }
}

/// A one-step plan, for probing whether a plan may be set now.
fn probe_plan() -> Option<PlanSpec> {
    PlanSpec::new(vec![crate::model::Step::Full], None).ok()
}

/// A guard, for probing whether a guard may be set now.
fn probe_guard() -> Option<Guard> {
    let spec = crate::guard::GuardSpec::new(0.0, 1, 0.95).ok()?;
    Some(Guard {
        spec,
        on_regression: OnRegression::Halt,
    })
}
