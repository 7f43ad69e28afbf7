//! The release workflow of SPEC §2 as a pure state machine: who may do what, from which
//! status, to which status. No I/O and no clock: the control plane gathers the [`Facts`],
//! asks [`decide`] with a [`Command`], and commits the [`Transition`] it gets back.
//!
//! The commands are in `command`. Every (status, command) pair is decided in one
//! exhaustive `match` in `transition` with no catch-all arm, so a new status or command
//! does not compile until each pair is decided; [`allowed_actions`] is derived from the
//! same match.

use std::sync::Arc;

use crate::guard::Decision;
use crate::model::{
    Action, Actor, Env, EnvPolicy, Guard, Millis, OnRegression, Percentage, Plan, PlanState,
    ReleaseId, Role, Status, Targeting,
};
#[cfg(test)]
use crate::model::{Finding, PlanSpec};

mod command;
mod guard;
#[cfg(test)]
mod guard_tests;
mod permission;
mod plan;
#[cfg(test)]
mod plan_tests;
mod targeting;
#[cfg(test)]
mod targeting_tests;
#[cfg(test)]
mod tests;
mod transition;

pub use command::{Command, GoLive};
pub use permission::{Operation, actor_permits, permits};
pub use transition::after_approval;

/// What the workflow needs to know about a release and its target.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub status: Status,
    pub env: Env,
    pub percentage: Percentage,
    pub policy: EnvPolicy,
    /// Name of the actor whose `apply` put the release under review.
    pub applied_by: Option<&'a str>,
    /// Another release of the same (mini program, release target) that is in flight.
    pub other_in_flight: Option<ReleaseId>,
    /// The release's rollout plan, if it has one.
    pub plan: Option<&'a Plan>,
    /// The release's guard, if it has one.
    pub guard: Option<Guard>,
    /// The release's targeting, if it has rules.
    pub targeting: Option<&'a Targeting>,
    /// The predecessor this release archived, while it is still `archived`: what a
    /// `rollback` would restore (SPEC §11).
    pub restorable: Option<ReleaseId>,
    /// The time of the decision: plan holds start and end by it.
    pub now: Millis,
}

/// What an accepted action does to a part of the release it may set or remove.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<T> {
    Keep,
    Set(T),
    Remove,
}

impl<T> Change<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Change<U> {
        match self {
            Change::Keep => Change::Keep,
            Change::Set(t) => Change::Set(f(t)),
            Change::Remove => Change::Remove,
        }
    }
}

/// What an accepted action does to the release's plan.
pub type PlanChange = Change<Plan>;

/// The outcome of an accepted action: the status change and its effects.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub from: Status,
    pub to: Status,
    /// The grayscale share after the action; zero outside `grayscale_release`.
    pub percentage: Percentage,
    /// Rule 3: the previous `full_release` of the target is archived in the same step.
    pub archives_previous_full: bool,
    /// The plan after the action.
    pub plan: PlanChange,
    /// The guard after the action.
    pub guard: Change<Guard>,
    /// The targeting after the action.
    pub targeting: Change<Arc<Targeting>>,
    /// `rollback`: the predecessor that goes from `archived` back to `full_release` in
    /// the same atomic step (SPEC §11).
    pub restores: Option<ReleaseId>,
}

impl Transition {
    /// Whether what the route serves may change: the release serves before or after
    /// (a status, percentage, test group or config change of a serving release).
    pub fn changes_serving(&self) -> bool {
        use crate::model::Serving::Nothing;
        self.from.serving() != Nothing || self.to.serving() != Nothing
    }

    /// Whether the actor becomes the applicant nobody else may approve for: an `apply`
    /// or a `take_offline` that goes to review.
    pub fn starts_review(&self) -> bool {
        self.to.is_review() && self.from != self.to
    }
}

/// Why an action that the role may perform cannot be performed now (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalReason {
    /// The release's status does not admit the action.
    WrongStatus,
    /// Rule 2: another release of the target is in flight.
    AnotherInFlight(ReleaseId),
    /// The target does not support pilot testing.
    PilotTestingNotSupported,
    /// Rule 4: go-live (grayscale or full) exists only in production.
    ProductionOnly,
    /// Rule 4: percentages only go up.
    PercentageNotIncreasing {
        current: Percentage,
        requested: Percentage,
    },
    /// The release's plan does not admit the action now.
    Plan(PlanRefusal),
    /// The release's guard, or the finding, does not admit the action.
    Guard(GuardRefusal),
    /// Targeting is part of what the reviewer approves: it cannot change under review,
    /// and after approval rules can only be removed (SPEC §10).
    TargetingLocked,
    /// `rollback` of a release that archived no predecessor (or whose predecessor is no
    /// longer archived): there is nothing to restore (SPEC §11).
    NothingToRestore,
}

/// Why a guard action, or a plan step the guard gates, cannot be performed (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardRefusal {
    /// The release has no guard.
    NoGuard,
    /// A guarded release's plan steps only on a finding of its guard.
    NotAssessed,
    /// The finding was made with other parameters than the release's guard has now.
    Changed,
    /// The finding's decision does not admit the action (a step needs `healthy`, a wait
    /// `insufficient_data`, a halt or rollback `regression`).
    Decision(Decision),
    /// The guard's `on_regression` asks for the other action.
    OnRegression(OnRegression),
}

/// Why a plan action cannot be performed now (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRefusal {
    /// The release has no plan.
    NoPlan,
    /// A started plan may be paused, but not replaced or removed.
    Active(PlanState),
    /// Only a pending plan can be started.
    NotPending(PlanState),
    /// Every step of the plan is at or below the current percentage.
    NoStepAbove(Percentage),
    /// Only a running plan can take a step; a running or waiting one can be paused.
    NotRunning(PlanState),
    /// Only a paused or halted plan can be resumed.
    NotPaused(PlanState),
    /// The plan moved on since the step was asked for (another node took it).
    Moved,
    /// The step's hold or the window says not yet.
    NotDue(Option<Millis>),
    /// Only a running, waiting or paused plan can be halted.
    NotHaltable(PlanState),
}

/// A refused action with the release's current status and what is allowed now (rule 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub action: Action,
    pub status: Status,
    pub allowed: Vec<Action>,
    pub reason: RefusalReason,
}

/// Every way the workflow can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The actor's role may not perform the action at all.
    #[error("role {role} may not {action}")]
    Forbidden { role: Role, action: Action },
    /// The gateway's own actor asked for something that is not its job (a bug).
    #[error("{actor} may not {action}")]
    NotTheSystemsJob { actor: &'static str, action: Action },
    /// A reviewer may not approve a release they applied for themselves.
    #[error("the actor who applied may not approve")]
    SelfApproval,
    /// The action is not possible in the release's current state.
    #[error("{} is not allowed now (status {})", .0.action, .0.status)]
    Refused(Refusal),
    /// Rule 1: the version already has a release for this target.
    #[error("version already released to this target as release {0}")]
    AlreadyReleased(ReleaseId),
    /// The target app does not have the environment.
    #[error("the target app has no {0} environment")]
    EnvironmentNotConfigured(Env),
}

/// What a `create` brings besides the version and target.
#[derive(Debug, Clone, Copy, Default)]
pub struct Creation {
    pub with_test_group: bool,
    pub with_targeting: bool,
}

/// Decides a `create` for a release target (rule 1, the target's policy, and targeting
/// only in production).
pub fn decide_create(
    actor: &Actor,
    env: Env,
    policy: Option<EnvPolicy>,
    existing: Option<ReleaseId>,
    creation: Creation,
) -> Result<(), WorkflowError> {
    let with_test_group = creation.with_test_group;
    forbid_unless_permitted(actor, Operation::Release(Action::Create), Action::Create)?;
    let policy = policy.ok_or(WorkflowError::EnvironmentNotConfigured(env))?;
    if let Some(id) = existing {
        return Err(WorkflowError::AlreadyReleased(id));
    }
    if with_test_group && !policy.pilot_testing {
        return Err(WorkflowError::Refused(Refusal {
            action: Action::Create,
            status: Status::NewVersionCreated,
            allowed: vec![],
            reason: RefusalReason::PilotTestingNotSupported,
        }));
    }
    if creation.with_targeting && env != Env::Production {
        return Err(WorkflowError::Refused(Refusal {
            action: Action::Create,
            status: Status::NewVersionCreated,
            allowed: vec![],
            reason: RefusalReason::ProductionOnly,
        }));
    }
    Ok(())
}

fn forbid_unless_permitted(
    actor: &Actor,
    op: Operation,
    action: Action,
) -> Result<(), WorkflowError> {
    if actor_permits(actor, op) {
        return Ok(());
    }
    Err(match actor {
        Actor::Person { role, .. } => WorkflowError::Forbidden {
            role: *role,
            action,
        },
        Actor::System(s) => WorkflowError::NotTheSystemsJob {
            actor: s.name(),
            action,
        },
    })
}

/// The actions that are possible now, for any role (every release representation carries them).
pub fn allowed_actions(facts: &Facts<'_>) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter_map(Command::probe)
        .filter(|c| transition::transition(facts, c).is_ok())
        .map(|c| c.action())
        .collect()
}

/// Decides an action on an existing release.
pub fn decide(
    facts: &Facts<'_>,
    command: &Command,
    actor: &Actor,
) -> Result<Transition, WorkflowError> {
    let action = command.action();
    forbid_unless_permitted(actor, command.operation(), action)?;
    targeting::after_approval_only_admins(facts, command, actor)?;
    let transition = transition::transition(facts, command).map_err(|reason| {
        WorkflowError::Refused(Refusal {
            action,
            status: facts.status,
            allowed: allowed_actions(facts),
            reason,
        })
    })?;
    // The applicant of a review (`apply` or `take_offline`) may not approve it.
    if *command == Command::Approve && facts.applied_by == Some(actor.name()) {
        return Err(WorkflowError::SelfApproval);
    }
    Ok(transition)
}
