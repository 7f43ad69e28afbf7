//! The release workflow of SPEC §2 as a pure state machine: who may do what, from which
//! status, to which status. No I/O and no clock: the control plane gathers the facts,
//! asks [`decide`], and commits the [`Transition`] it gets back.

use serde::Serialize;

use crate::model::{Actor, Approval, Env, EnvPolicy, Percentage, Role, Status};

#[cfg(test)]
mod tests;

/// Release ids are assigned by the control plane, in creation order from 1.
pub type ReleaseId = u64;

/// Every action of SPEC §2, in API spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    EditConfig,
    SetTestGroup,
    Apply,
    Withdraw,
    Approve,
    Reject,
    CompleteTesting,
    GoLive,
    Cancel,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Create,
        Action::EditConfig,
        Action::SetTestGroup,
        Action::Apply,
        Action::Withdraw,
        Action::Approve,
        Action::Reject,
        Action::CompleteTesting,
        Action::GoLive,
        Action::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::EditConfig => "edit_config",
            Action::SetTestGroup => "set_test_group",
            Action::Apply => "apply",
            Action::Withdraw => "withdraw",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::CompleteTesting => "complete_testing",
            Action::GoLive => "go_live",
            Action::Cancel => "cancel",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a token can ask of the admin API, for the one permission table below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Any GET of the admin API (apps, versions, releases, history, explain).
    Read,
    /// `PUT /v1/admin/apps/{app}`: the super-app side owns its target apps.
    PutApp,
    /// `POST /v1/admin/mini-programs/{mp}/versions`.
    AddVersion,
    /// A release workflow action.
    Release(Action),
}

/// The permission table: which role may perform which operation.
pub fn permits(role: Role, op: Operation) -> bool {
    use Role::{Admin, Developer, Reviewer};
    match op {
        Operation::Read => true,
        Operation::PutApp => role == Reviewer,
        Operation::AddVersion => matches!(role, Developer | Admin),
        Operation::Release(action) => match action {
            Action::Create
            | Action::EditConfig
            | Action::SetTestGroup
            | Action::Apply
            | Action::Withdraw => matches!(role, Developer | Admin),
            Action::Approve | Action::Reject => role == Reviewer,
            Action::CompleteTesting | Action::GoLive | Action::Cancel => role == Admin,
        },
    }
}

/// How a release goes live in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoLive {
    /// Serve the version to `percentage` of users (strictly between 0 and 100).
    Grayscale(Percentage),
    /// Serve the version to everybody.
    Full,
}

/// An action on an existing release, with the parameters that affect the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    EditConfig,
    SetTestGroup,
    Apply,
    Withdraw,
    Approve,
    Reject,
    CompleteTesting,
    GoLive(GoLive),
    Cancel,
}

impl Command {
    pub fn action(self) -> Action {
        match self {
            Command::EditConfig => Action::EditConfig,
            Command::SetTestGroup => Action::SetTestGroup,
            Command::Apply => Action::Apply,
            Command::Withdraw => Action::Withdraw,
            Command::Approve => Action::Approve,
            Command::Reject => Action::Reject,
            Command::CompleteTesting => Action::CompleteTesting,
            Command::GoLive(_) => Action::GoLive,
            Command::Cancel => Action::Cancel,
        }
    }
}

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
}

/// The outcome of an accepted action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: Status,
    pub to: Status,
    /// The grayscale share after the action; zero outside `grayscale_release`.
    pub percentage: Percentage,
    /// Rule 3: the previous `full_release` of the target is archived in the same step.
    pub archives_previous_full: bool,
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

/// The status a release reaches when approved (or on `apply` under auto approval).
pub fn after_approval(env: Env, policy: EnvPolicy) -> Status {
    if policy.pilot_testing {
        Status::PilotTesting
    } else if env == Env::Production {
        Status::ReleasePreparation
    } else {
        Status::FullRelease
    }
}

/// Decides a `create` for a release target (rule 1 and the target's policy).
pub fn decide_create(
    actor: &Actor,
    env: Env,
    policy: Option<EnvPolicy>,
    existing: Option<ReleaseId>,
    with_test_group: bool,
) -> Result<(), WorkflowError> {
    forbid_unless_permitted(actor, Action::Create)?;
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
    Ok(())
}

fn forbid_unless_permitted(actor: &Actor, action: Action) -> Result<(), WorkflowError> {
    if permits(actor.role, Operation::Release(action)) {
        Ok(())
    } else {
        Err(WorkflowError::Forbidden {
            role: actor.role,
            action,
        })
    }
}

/// Checks the status and target rules for `action`, regardless of role and parameters.
fn check_state(facts: &Facts<'_>, action: Action) -> Result<(), RefusalReason> {
    use Status::*;
    let status_ok = match action {
        Action::Create => false,
        Action::EditConfig | Action::Apply => facts.status == NewVersionCreated,
        Action::SetTestGroup => matches!(facts.status, NewVersionCreated | PilotTesting),
        Action::Withdraw | Action::Approve | Action::Reject => facts.status == UnderReview,
        Action::CompleteTesting => facts.status == PilotTesting,
        Action::GoLive => matches!(facts.status, ReleasePreparation | GrayscaleRelease),
        Action::Cancel => matches!(
            facts.status,
            ReleasePreparation | PilotTesting | GrayscaleRelease
        ),
    };
    if !status_ok {
        return Err(RefusalReason::WrongStatus);
    }
    match action {
        Action::SetTestGroup if !facts.policy.pilot_testing => {
            Err(RefusalReason::PilotTestingNotSupported)
        }
        Action::GoLive if facts.env != Env::Production => Err(RefusalReason::ProductionOnly),
        Action::Apply => match facts.other_in_flight {
            Some(id) => Err(RefusalReason::AnotherInFlight(id)),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The actions that are possible now, for any role (every release representation carries them).
pub fn allowed_actions(facts: &Facts<'_>) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|&a| check_state(facts, a).is_ok())
        .collect()
}

/// Decides an action on an existing release.
pub fn decide(
    facts: &Facts<'_>,
    command: Command,
    actor: &Actor,
) -> Result<Transition, WorkflowError> {
    let action = command.action();
    forbid_unless_permitted(actor, action)?;
    let refuse = |reason| {
        WorkflowError::Refused(Refusal {
            action,
            status: facts.status,
            allowed: allowed_actions(facts),
            reason,
        })
    };
    check_state(facts, action).map_err(refuse)?;
    if command == Command::Approve && facts.applied_by == Some(actor.name.as_str()) {
        return Err(WorkflowError::SelfApproval);
    }
    let env = facts.env;
    let (to, percentage) = match command {
        Command::EditConfig | Command::SetTestGroup => (facts.status, facts.percentage),
        Command::Apply => match facts.policy.approval {
            // Production is always manual whatever the stored policy says (SPEC §1).
            Approval::Manual => (Status::UnderReview, Percentage::ZERO),
            Approval::Auto if env == Env::Production => (Status::UnderReview, Percentage::ZERO),
            Approval::Auto => (after_approval(env, facts.policy), Percentage::ZERO),
        },
        Command::Approve => (after_approval(env, facts.policy), Percentage::ZERO),
        Command::Withdraw | Command::Reject => (Status::NewVersionCreated, Percentage::ZERO),
        Command::CompleteTesting if env == Env::Production => {
            (Status::GrayscaleRelease, Percentage::ZERO)
        }
        Command::CompleteTesting => (Status::FullRelease, Percentage::ZERO),
        Command::GoLive(GoLive::Full) => (Status::FullRelease, Percentage::ZERO),
        Command::GoLive(GoLive::Grayscale(p)) => {
            if p <= facts.percentage || p >= Percentage::FULL {
                return Err(refuse(RefusalReason::PercentageNotIncreasing {
                    current: facts.percentage,
                    requested: p,
                }));
            }
            (Status::GrayscaleRelease, p)
        }
        Command::Cancel => (Status::Canceled, Percentage::ZERO),
    };
    Ok(Transition {
        from: facts.status,
        to,
        percentage,
        archives_previous_full: to == Status::FullRelease && facts.status != Status::FullRelease,
    })
}
