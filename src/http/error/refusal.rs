//! What a refused workflow action (409) answers: its `code`, the facts added to the
//! error, and the human message saying why.

use serde_json::{Value, json};

use super::ErrorCode as Code;
use crate::workflow::{GuardRefusal, PlanRefusal, Refusal, RefusalReason};

/// The code of a refusal; facts to act on go into `extra`.
pub(super) fn code(reason: &RefusalReason, extra: &mut Value) -> Code {
    match reason {
        RefusalReason::WrongStatus => Code::ActionNotAllowed,
        RefusalReason::AnotherInFlight(id) => {
            extra["in_flight_release_id"] = json!(id);
            Code::AnotherReleaseInFlight
        }
        RefusalReason::PilotTestingNotSupported => Code::PilotTestingNotSupported,
        RefusalReason::ProductionOnly => Code::ProductionOnly,
        RefusalReason::PercentageNotIncreasing { current, .. } => {
            extra["percentage"] = json!(current);
            Code::PercentageNotIncreasing
        }
        RefusalReason::Plan(why) => plan_code(*why),
        RefusalReason::Guard(GuardRefusal::NoGuard) => Code::NoGuard,
        // The gateway's own actors ask for these; no person's request is refused so.
        RefusalReason::Guard(
            GuardRefusal::NotAssessed
            | GuardRefusal::Changed
            | GuardRefusal::Decision(_)
            | GuardRefusal::OnRegression(_),
        ) => Code::GuardNotApplicable,
        RefusalReason::TargetingLocked => Code::TargetingLocked,
        RefusalReason::NothingToRestore => Code::NothingToRestore,
    }
}

/// Why the action was refused, in words.
pub(super) fn message(r: &Refusal) -> String {
    match &r.reason {
        RefusalReason::WrongStatus => format!("not possible in status {}", r.status),
        RefusalReason::AnotherInFlight(id) => {
            format!("release {id} of the same mini program and target is in flight")
        }
        RefusalReason::PilotTestingNotSupported => {
            "the release target does not support pilot testing".into()
        }
        RefusalReason::ProductionOnly => {
            "grayscale, go-live and plans exist only in production".into()
        }
        RefusalReason::Plan(why) => plan_message(*why),
        RefusalReason::Guard(why) => guard_message(*why),
        RefusalReason::TargetingLocked => match r.status {
            crate::model::Status::UnderReview => {
                "targeting cannot change under review; withdraw the release first".into()
            }
            _ => "after approval rules can only be removed, the others unchanged".into(),
        },
        RefusalReason::NothingToRestore => {
            "the release archived no predecessor that a rollback could \
            restore; take it offline or release another version"
                .into()
        }
        RefusalReason::PercentageNotIncreasing { current, requested } => format!(
            "percentage must be above the current {current} and below 100 (got {requested}); roll back with cancel"
        ),
    }
}

fn plan_code(why: PlanRefusal) -> Code {
    match why {
        PlanRefusal::NoPlan => Code::NoPlan,
        PlanRefusal::Active(_) => Code::PlanActive,
        PlanRefusal::NotPending(_) => Code::PlanNotPending,
        PlanRefusal::NoStepAbove(_) => Code::PlanHasNoStepAbove,
        PlanRefusal::NotRunning(_) | PlanRefusal::NotHaltable(_) => Code::PlanNotRunning,
        PlanRefusal::NotPaused(_) => Code::PlanNotPaused,
        // Only the scheduler asks for steps; it never shows these to a person.
        PlanRefusal::Moved | PlanRefusal::NotDue(_) => Code::PlanStepNotDue,
    }
}

fn plan_message(why: PlanRefusal) -> String {
    match why {
        PlanRefusal::NoPlan => "the release has no plan; set one with PUT …/plan".into(),
        PlanRefusal::Active(state) => format!(
            "the plan is {}; a plan can be replaced or removed before it starts, or once it \
             is halted, completed or canceled",
            state.as_str()
        ),
        PlanRefusal::NotPending(state) => {
            format!(
                "only a pending plan can start; this one is {}",
                state.as_str()
            )
        }
        PlanRefusal::NoStepAbove(p) => {
            format!("no step of the plan is above the current {p} %")
        }
        PlanRefusal::NotRunning(state) => format!("the plan is {}, not running", state.as_str()),
        PlanRefusal::NotPaused(state) => {
            format!(
                "only a paused or halted plan can resume; this one is {}",
                state.as_str()
            )
        }
        PlanRefusal::NotHaltable(state) => format!(
            "only a running, waiting or paused plan can be halted; this one is {}",
            state.as_str()
        ),
        PlanRefusal::Moved => "the plan moved on since the step was asked for".into(),
        PlanRefusal::NotDue(at) => match at {
            Some(at) => format!(
                "the next step is not due before {}",
                crate::model::rfc3339(at)
            ),
            None => "the next step is not due".into(),
        },
    }
}

fn guard_message(why: GuardRefusal) -> String {
    match why {
        GuardRefusal::NoGuard => "the release has no guard; set one with PUT …/guard".into(),
        GuardRefusal::NotAssessed => "a guarded plan steps only on its guard's finding".into(),
        GuardRefusal::Changed => "the guard changed since it was evaluated".into(),
        GuardRefusal::Decision(d) => format!("the guard's decision is {}", d.as_str()),
        GuardRefusal::OnRegression(wanted) => {
            format!("the guard's on_regression is {}", wanted.as_str())
        }
    }
}
