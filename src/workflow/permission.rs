//! The permission table: which role may perform which operation (SPEC §2 "who", §4), and
//! what the gateway's own actors may do.

use crate::model::{Action, Actor, Role, SystemActor};

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
    /// A plan's automatic step: the plan's own job, nobody else's.
    PlanStep,
    /// A guard's halt or rollback on a regression it found: the guard's own job.
    Guard,
    /// Suspending a mini program in a target app, or lifting it (SPEC §11): the super
    /// app's, like its target apps.
    Suspend,
}

/// The permission table: which role may perform which operation.
pub fn permits(role: Role, op: Operation) -> bool {
    use Role::{Admin, Developer, Reviewer};
    match op {
        Operation::Read => true,
        Operation::PutApp | Operation::Suspend => role == Reviewer,
        Operation::AddVersion => matches!(role, Developer | Admin),
        Operation::Release(action) => match action {
            Action::Create
            | Action::EditConfig
            | Action::SetTestGroup
            | Action::Apply
            | Action::Withdraw
            | Action::SetTargeting
            | Action::TakeOffline => matches!(role, Developer | Admin),
            Action::Approve | Action::Reject => role == Reviewer,
            Action::CompleteTesting
            | Action::GoLive
            | Action::Cancel
            | Action::SetPlan
            | Action::RemovePlan
            | Action::Pause
            | Action::Resume
            | Action::SetGuard
            | Action::RemoveGuard
            | Action::Rollback => role == Admin,
            // An effect of another action, or the gateway's own, never requested.
            Action::Archive | Action::Restore | Action::Halt | Action::WaitForData => false,
        },
        Operation::PlanStep | Operation::Guard => false,
    }
}

/// Whether `actor` may perform `op`: a person by their role, the system by its job
/// (a plan goes live step by step, a guard cancels a regressing release).
pub fn actor_permits(actor: &Actor, op: Operation) -> bool {
    match actor {
        Actor::Person { role, .. } => permits(*role, op),
        Actor::System(SystemActor::Plan) => {
            matches!(op, Operation::Read | Operation::PlanStep)
        }
        Actor::System(SystemActor::Guard) => {
            matches!(op, Operation::Read | Operation::Guard)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Approval, Env, EnvPolicy, Percentage, Status};
    use crate::workflow::{Command, Facts, GoLive, WorkflowError, decide};

    fn grayscale() -> Facts<'static> {
        Facts {
            status: Status::GrayscaleRelease,
            env: Env::Production,
            percentage: Percentage::ZERO,
            policy: EnvPolicy {
                approval: Approval::Manual,
                pilot_testing: true,
            },
            applied_by: None,
            other_in_flight: None,
            plan: None,
            guard: None,
            targeting: None,
            restorable: None,
            now: 0,
        }
    }

    /// The gateway's own actors decide through the same workflow as people, each only
    /// within its job, and a refusal names them.
    #[test]
    fn system_actors_decide_like_people_within_their_job() {
        let plan = Actor::System(SystemActor::Plan);
        let guard = Actor::System(SystemActor::Guard);
        let admin = Actor::person("ops", Role::Admin);
        let step = Command::PlanStep {
            from: None,
            finding: None,
        };
        // The plan may take its own steps (here there is no plan, so the workflow says
        // so), and nothing else; a person may not take a plan's step.
        assert!(matches!(
            decide(&grayscale(), &step, &plan),
            Err(WorkflowError::Refused(_))
        ));
        let by_hand = Command::GoLive(GoLive::Grayscale(
            Percentage::from_ppm(10_000).expect("1 %"),
        ));
        assert_eq!(
            decide(&grayscale(), &by_hand, &plan),
            Err(WorkflowError::NotTheSystemsJob {
                actor: "system:plan",
                action: Action::GoLive
            })
        );
        assert!(matches!(
            decide(&grayscale(), &step, &admin),
            Err(WorkflowError::Forbidden { .. })
        ));
        // The guard acts only on its findings (`guard_tests`), never as a person would.
        assert_eq!(
            decide(&grayscale(), &Command::Cancel, &guard),
            Err(WorkflowError::NotTheSystemsJob {
                actor: "system:guard",
                action: Action::Cancel
            })
        );
        let refused = decide(&grayscale(), &Command::Cancel, &plan);
        assert_eq!(
            refused,
            Err(WorkflowError::NotTheSystemsJob {
                actor: "system:plan",
                action: Action::Cancel
            })
        );
        assert!(decide(&grayscale(), &by_hand, &guard).is_err());
        assert_eq!(plan.name(), "system:plan");
        assert_eq!(guard.role(), None);
    }
}
