//! What the workflow decides about a release's rollout plan (SPEC §8): setting and
//! removing it, starting it, each automatic step, pause and resume, and how a person's
//! go-live or cancel moves it. Pure: the time of the decision is one of the [`Facts`].

use std::sync::Arc;

use super::transition::{at, stay, to};
use super::{Command, Facts, GoLive, PlanChange, PlanRefusal, RefusalReason, Transition, guard};
use crate::guard::Decision;
use crate::model::{Finding, Plan, PlanSpec, PlanState, Status, Step};

fn refuse(why: PlanRefusal) -> RefusalReason {
    RefusalReason::Plan(why)
}

fn the_plan<'a>(f: &Facts<'a>) -> Result<&'a Plan, RefusalReason> {
    f.plan.ok_or(refuse(PlanRefusal::NoPlan))
}

fn not_active(f: &Facts<'_>) -> Result<(), RefusalReason> {
    match f.plan.map(|p| p.state) {
        Some(state) if state.is_active() => Err(refuse(PlanRefusal::Active(state))),
        Some(_) | None => Ok(()),
    }
}

fn with_plan(t: Transition, plan: Plan) -> Transition {
    Transition {
        plan: PlanChange::Set(plan),
        ..t
    }
}

/// `PUT …/plan`: a new pending plan, unless the current one has started and not ended.
pub(super) fn set(f: &Facts<'_>, spec: &Arc<PlanSpec>) -> Result<Transition, RefusalReason> {
    not_active(f)?;
    Ok(with_plan(stay(f), Plan::pending(Arc::clone(spec))))
}

/// `DELETE …/plan`, under the same conditions.
pub(super) fn remove(f: &Facts<'_>) -> Result<Transition, RefusalReason> {
    the_plan(f)?;
    not_active(f)?;
    Ok(Transition {
        plan: PlanChange::Remove,
        ..stay(f)
    })
}

/// `go_live {"type":"plan"}`: the first step above the current share, at once.
pub(super) fn start(f: &Facts<'_>) -> Result<Transition, RefusalReason> {
    let plan = the_plan(f)?;
    if plan.state != PlanState::Pending {
        return Err(refuse(PlanRefusal::NotPending(plan.state)));
    }
    let first = plan
        .spec
        .first_above(f.percentage)
        .ok_or(refuse(PlanRefusal::NoStepAbove(f.percentage)))?;
    Ok(apply_step(f, plan, first))
}

/// The plan at `from` with its step due now (hold over, window open), running or
/// waiting for data.
fn due<'a>(f: &Facts<'a>, from: Option<usize>) -> Result<&'a Plan, RefusalReason> {
    let plan = the_plan(f)?;
    if !matches!(plan.state, PlanState::Running | PlanState::WaitingForData) {
        return Err(refuse(PlanRefusal::NotRunning(plan.state)));
    }
    if plan.step != from {
        return Err(refuse(PlanRefusal::Moved));
    }
    if !plan.is_due(f.now) {
        return Err(refuse(PlanRefusal::NotDue(plan.next_step_at(f.now))));
    }
    Ok(plan)
}

/// The automatic step after `from`, when its hold is over, the window open and the
/// guard, if any, finds the release healthy.
pub(super) fn step(
    f: &Facts<'_>,
    from: Option<usize>,
    finding: Option<&Finding>,
) -> Result<Transition, RefusalReason> {
    let plan = due(f, from)?;
    let next = from.map_or(0, |i| i + 1);
    if next >= plan.spec.steps().len() {
        return Err(refuse(PlanRefusal::NotRunning(PlanState::Completed)));
    }
    guard::gate(f, finding)?;
    Ok(apply_step(f, plan, next))
}

/// The step after `from` is due but the guard lacks samples: the plan waits for data,
/// saying how many it has; it steps once the samples are there.
pub(super) fn wait(
    f: &Facts<'_>,
    from: Option<usize>,
    finding: &Finding,
) -> Result<Transition, RefusalReason> {
    let plan = due(f, from)?;
    if plan.state == PlanState::WaitingForData {
        return Err(refuse(PlanRefusal::NotRunning(plan.state)));
    }
    guard::check(f, finding, Decision::InsufficientData)?;
    let waiting = Plan {
        state: PlanState::WaitingForData,
        reason: Some(finding.reason()),
        ..plan.clone()
    };
    Ok(with_plan(stay(f), waiting))
}

/// The guard's halt: a started plan that has not ended stops, with the reason.
pub(super) fn halt(f: &Facts<'_>, reason: String) -> Result<Transition, RefusalReason> {
    let plan = the_plan(f)?;
    match plan.state {
        PlanState::Running | PlanState::WaitingForData | PlanState::Paused => {}
        other => return Err(refuse(PlanRefusal::NotHaltable(other))),
    }
    let halted = Plan {
        state: PlanState::Halted,
        hold_until: None,
        reason: Some(reason),
        ..plan.clone()
    };
    Ok(with_plan(stay(f), halted))
}

/// Step `i` applied now: its share, and its hold starting, or the plan completed.
fn apply_step(f: &Facts<'_>, plan: &Plan, i: usize) -> Transition {
    let step = plan.spec.steps()[i];
    let moved = match step {
        Step::Grayscale { percentage, .. } => at(f, Status::GrayscaleRelease, percentage.get()),
        Step::Full => to(f, Status::FullRelease),
    };
    with_plan(moved, at_step(f, plan, i, PlanState::Running))
}

/// The plan with step `i` applied at `f.now`: a running plan holds for the step's hold,
/// a paused or halted one waits for a person (a halted one keeps saying why), and the
/// last step completes it.
fn at_step(f: &Facts<'_>, plan: &Plan, i: usize, state: PlanState) -> Plan {
    let state = if plan.spec.completes_at(i) {
        PlanState::Completed
    } else {
        state
    };
    let hold = plan.spec.steps()[i].hold();
    Plan {
        state,
        step: Some(i),
        hold_until: hold
            .filter(|_| state == PlanState::Running)
            .map(|h| f.now + h.millis()),
        reason: plan.reason.clone().filter(|_| explains(state)),
        ..plan.clone()
    }
}

/// Whether a plan in `state` carries a `reason` (SPEC §8: why it is halted or waiting).
fn explains(state: PlanState) -> bool {
    matches!(state, PlanState::Halted | PlanState::WaitingForData)
}

pub(super) fn pause(f: &Facts<'_>) -> Result<Transition, RefusalReason> {
    let plan = the_plan(f)?;
    match plan.state {
        PlanState::Running | PlanState::WaitingForData => {}
        other => return Err(refuse(PlanRefusal::NotRunning(other))),
    }
    let paused = Plan {
        state: PlanState::Paused,
        hold_until: None,
        reason: None,
        ..plan.clone()
    };
    Ok(with_plan(stay(f), paused))
}

/// A resumed plan runs again; its next step is one full hold of the current one away.
pub(super) fn resume(f: &Facts<'_>) -> Result<Transition, RefusalReason> {
    let plan = the_plan(f)?;
    match (plan.state, plan.step) {
        (PlanState::Paused | PlanState::Halted, Some(i)) => {
            Ok(with_plan(stay(f), at_step(f, plan, i, PlanState::Running)))
        }
        (state, _) => Err(refuse(PlanRefusal::NotPaused(state))),
    }
}

/// How a person's action moves the plan: a manual go-live skips to the last step at or
/// below the new share and restarts that step's hold; full completes the plan; cancel
/// ends it. Everything else leaves it as it is.
pub(super) fn follow(
    f: &Facts<'_>,
    command: &Command,
    moved: Transition,
) -> Result<Transition, RefusalReason> {
    let Some(plan) = f.plan else {
        return Ok(moved);
    };
    let over = matches!(plan.state, PlanState::Completed | PlanState::Canceled);
    let ended = |state| Plan {
        state,
        hold_until: None,
        reason: None,
        ..plan.clone()
    };
    match command {
        Command::GoLive(GoLive::Grayscale(p)) if plan.state != PlanState::Pending && !over => {
            // Below every step (not reachable once a step applied) the plan stays as it is.
            Ok(match plan.spec.last_at_or_below(*p) {
                Some(i) => with_plan(moved, at_step(f, plan, i, keep_running(plan.state))),
                None => moved,
            })
        }
        Command::GoLive(GoLive::Full) if !over => Ok(with_plan(moved, ended(PlanState::Completed))),
        Command::Cancel | Command::GuardRollback(_) if !over => {
            Ok(with_plan(moved, ended(PlanState::Canceled)))
        }
        Command::GoLive(_)
        | Command::Cancel
        | Command::GuardRollback(_)
        | Command::GuardHalt(_)
        | Command::WaitForData { .. }
        | Command::SetGuard(_)
        | Command::RemoveGuard
        | Command::SetTargeting(_)
        | Command::TakeOffline(_)
        | Command::Rollback(_)
        | Command::EditConfig(_)
        | Command::SetTestGroup(_)
        | Command::Apply
        | Command::Withdraw
        | Command::Approve
        | Command::Reject(_)
        | Command::CompleteTesting
        | Command::SetPlan(_)
        | Command::RemovePlan
        | Command::Pause
        | Command::Resume
        | Command::PlanStep { .. } => Ok(moved),
    }
}

/// A plan waiting for data runs again after a manual step (its hold restarts); a paused
/// or halted plan stays so until a person resumes it.
fn keep_running(state: PlanState) -> PlanState {
    match state {
        PlanState::WaitingForData => PlanState::Running,
        other => other,
    }
}
