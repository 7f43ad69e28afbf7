//! SPEC §8 in the tester's words. Refusals come in this order: who (403, or the system
//! actor's job), then the status column, then production only, then the plan's own rules.
//! Facts that cannot arise follow the same literal rules.

use crate::model::{Action, SystemActor};
use crate::model::{Actor, Env, Millis, Percentage, Plan, PlanState, Role, Status, Step};
use crate::workflow::{Command, Facts, GoLive, PlanChange, PlanRefusal};
use crate::workflow::{Refusal, RefusalReason, Transition, WorkflowError};

pub fn action_of(command: &Command) -> Action {
    match command {
        Command::GoLive(_) | Command::PlanStep { .. } => Action::GoLive,
        Command::SetPlan(_) => Action::SetPlan,
        Command::RemovePlan => Action::RemovePlan,
        Command::Pause => Action::Pause,
        Command::Resume => Action::Resume,
        Command::Cancel => Action::Cancel,
        Command::CompleteTesting => Action::CompleteTesting,
        other => unreachable!("not a plan table command: {other:?}"),
    }
}

/// Every plan-related action is an admin's, except that only `system:plan` takes a
/// plan's steps; `system:guard` acts only on its findings (`guard_tests`).
fn who(actor: &Actor, command: &Command) -> Result<(), WorkflowError> {
    let (action, step) = (
        action_of(command),
        matches!(command, Command::PlanStep { .. }),
    );
    let role = match actor {
        Actor::Person { role, .. } if *role == Role::Admin && !step => return Ok(()),
        Actor::System(SystemActor::Plan) if step => return Ok(()),
        Actor::Person { role, .. } => *role,
        Actor::System(s) => {
            return Err(WorkflowError::NotTheSystemsJob {
                actor: s.name(),
                action,
            });
        }
    };
    Err(WorkflowError::Forbidden { role, action })
}

type Moved = (Status, Percentage, PlanChange);

fn refused(why: PlanRefusal) -> RefusalReason {
    RefusalReason::Plan(why)
}

fn need(ok: bool, why: RefusalReason) -> Result<(), RefusalReason> {
    if ok { Ok(()) } else { Err(why) }
}

/// Started and not ended: such a plan is paused, not replaced or removed.
fn active(plan: &Plan) -> bool {
    use PlanState::*;
    matches!(plan.state, Running | WaitingForData | Paused)
}

fn ended(plan: &Plan) -> bool {
    matches!(plan.state, PlanState::Completed | PlanState::Canceled)
}

/// The plan at step `i` from `now`: the last step completes it, a running plan holds
/// for the step's hold, a paused or halted one waits for a person.
fn at_step(plan: &Plan, i: usize, state: PlanState, now: Millis) -> Plan {
    let last = i == plan.spec.steps().len() - 1;
    let state = if last { PlanState::Completed } else { state };
    let hold = plan.spec.steps()[i]
        .hold()
        .filter(|_| state == PlanState::Running);
    Plan {
        spec: plan.spec.clone(),
        state,
        step: Some(i),
        hold_until: hold.map(|h| now + h.seconds() * 1000),
        reason: reason_after(plan, state),
    }
}

/// SPEC §8: `reason` says why a plan is halted or waiting, so it survives only while
/// the plan stays halted (or waiting) and is gone in every other state.
fn reason_after(plan: &Plan, state: PlanState) -> Option<String> {
    let why = matches!(state, PlanState::Halted | PlanState::WaitingForData);
    plan.reason.clone().filter(|_| why && state == plan.state)
}

/// Step `i` applied at once: its share (or full release), the plan running or done.
fn apply(f: &Facts<'_>, plan: &Plan, i: usize) -> Moved {
    let after = PlanChange::Set(at_step(plan, i, PlanState::Running, f.now));
    match plan.spec.steps()[i] {
        Step::Grayscale { percentage, .. } => (Status::GrayscaleRelease, percentage.get(), after),
        Step::Full => (Status::FullRelease, Percentage::ZERO, after),
    }
}

/// How a person's go-live or cancel moves a plan that is neither over nor (for a
/// grayscale go-live) pending.
fn follow(f: &Facts<'_>, command: &Command) -> PlanChange {
    let Some(plan) = f.plan.filter(|p| !ended(p)) else {
        return PlanChange::Keep;
    };
    let end = |state| {
        PlanChange::Set(Plan {
            state,
            hold_until: None,
            reason: reason_after(plan, state),
            ..plan.clone()
        })
    };
    match command {
        Command::GoLive(GoLive::Grayscale(_)) if plan.state == PlanState::Pending => {
            PlanChange::Keep
        }
        Command::GoLive(GoLive::Grayscale(p)) => {
            let at_or_below = plan.spec.steps().iter().rposition(|s| s.percentage() <= *p);
            let state = match plan.state {
                PlanState::WaitingForData => PlanState::Running,
                other => other,
            };
            at_or_below.map_or(PlanChange::Keep, |i| {
                PlanChange::Set(at_step(plan, i, state, f.now))
            })
        }
        Command::GoLive(GoLive::Full) => end(PlanState::Completed),
        Command::Cancel => end(PlanState::Canceled),
        _ => PlanChange::Keep,
    }
}

/// Where `command` takes the release, or why not (whoever asks).
pub fn outcome(f: &Facts<'_>, command: &Command) -> Result<Moved, RefusalReason> {
    use Status::*;
    let wrong = RefusalReason::WrongStatus;
    let live = matches!(f.status, ReleasePreparation | GrayscaleRelease);
    let before_full = live || matches!(f.status, NewVersionCreated | PilotTesting);
    let production = need(f.env == Env::Production, RefusalReason::ProductionOnly);
    let plan = f.plan.ok_or(refused(PlanRefusal::NoPlan));
    match command {
        Command::SetPlan(_) | Command::RemovePlan => {
            need(before_full, wrong)?;
            production?;
            change_plan(f, command)
        }
        Command::Pause => {
            need(live, wrong)?;
            pause(f, plan?)
        }
        Command::Resume => {
            need(live, wrong)?;
            resume(f, plan?)
        }
        Command::PlanStep { from, .. } => {
            need(live, wrong)?;
            production?;
            step(f, plan?, *from)
        }
        Command::GoLive(go) => {
            need(live, wrong)?;
            production?;
            go_live(f, *go, command)
        }
        Command::Cancel => {
            need(live || f.status == PilotTesting, wrong)?;
            Ok((Canceled, Percentage::ZERO, follow(f, command)))
        }
        Command::CompleteTesting => {
            need(f.status == PilotTesting, wrong)?;
            let production = f.env == Env::Production;
            let to = [FullRelease, GrayscaleRelease][usize::from(production)];
            Ok((to, Percentage::ZERO, PlanChange::Keep))
        }
        other => unreachable!("not a plan table command: {other:?}"),
    }
}

/// `set_plan` and `remove_plan`, once the status and the target admit them.
fn change_plan(f: &Facts<'_>, command: &Command) -> Result<Moved, RefusalReason> {
    if let Some(p) = f.plan.filter(|p| active(p)) {
        return Err(refused(PlanRefusal::Active(p.state)));
    }
    let change = match command {
        Command::SetPlan(spec) => PlanChange::Set(Plan::pending(spec.clone())),
        _ => {
            f.plan.ok_or(refused(PlanRefusal::NoPlan))?;
            PlanChange::Remove
        }
    };
    Ok((f.status, f.percentage, change))
}

fn pause(f: &Facts<'_>, plan: &Plan) -> Result<Moved, RefusalReason> {
    match plan.state {
        PlanState::Running | PlanState::WaitingForData => {
            let paused = Plan {
                state: PlanState::Paused,
                hold_until: None,
                reason: reason_after(plan, PlanState::Paused),
                ..plan.clone()
            };
            Ok((f.status, f.percentage, PlanChange::Set(paused)))
        }
        other => Err(refused(PlanRefusal::NotRunning(other))),
    }
}

fn resume(f: &Facts<'_>, plan: &Plan) -> Result<Moved, RefusalReason> {
    match (plan.state, plan.step) {
        (PlanState::Paused | PlanState::Halted, Some(i)) => {
            let running = at_step(plan, i, PlanState::Running, f.now);
            Ok((f.status, f.percentage, PlanChange::Set(running)))
        }
        (state, _) => Err(refused(PlanRefusal::NotPaused(state))),
    }
}

fn step(f: &Facts<'_>, plan: &Plan, from: Option<usize>) -> Result<Moved, RefusalReason> {
    // A plan waiting for data steps as soon as its gate opens (these plans have no guard).
    let running = matches!(plan.state, PlanState::Running | PlanState::WaitingForData);
    need(running, refused(PlanRefusal::NotRunning(plan.state)))?;
    need(plan.step == from, refused(PlanRefusal::Moved))?;
    let not_due = refused(PlanRefusal::NotDue(plan.next_step_at(f.now)));
    need(plan.is_due(f.now), not_due)?;
    let next = from.map_or(0, |i| i + 1);
    let done = refused(PlanRefusal::NotRunning(PlanState::Completed));
    need(next < plan.spec.steps().len(), done)?;
    Ok(apply(f, plan, next))
}

fn go_live(f: &Facts<'_>, go: GoLive, command: &Command) -> Result<Moved, RefusalReason> {
    match go {
        GoLive::Full => Ok((Status::FullRelease, Percentage::ZERO, follow(f, command))),
        GoLive::Grayscale(p) if p > f.percentage && p < Percentage::FULL => {
            Ok((Status::GrayscaleRelease, p, follow(f, command)))
        }
        GoLive::Grayscale(p) => Err(RefusalReason::PercentageNotIncreasing {
            current: f.percentage,
            requested: p,
        }),
        GoLive::Plan => {
            let plan = f.plan.ok_or(refused(PlanRefusal::NoPlan))?;
            let pending = plan.state == PlanState::Pending;
            need(pending, refused(PlanRefusal::NotPending(plan.state)))?;
            let steps = plan.spec.steps();
            let first = steps.iter().position(|s| s.percentage() > f.percentage);
            let first = first.ok_or(refused(PlanRefusal::NoStepAbove(f.percentage)))?;
            Ok(apply(f, plan, first))
        }
    }
}

/// The actions outside the plan tables' commands, by the SPEC §2 "from" column (the
/// fixtures never have another release in flight).
fn other_allowed(f: &Facts<'_>, action: Action) -> bool {
    use Status::*;
    match action {
        Action::EditConfig | Action::Apply => f.status == NewVersionCreated,
        Action::SetTestGroup => {
            matches!(f.status, NewVersionCreated | PilotTesting) && f.policy.pilot_testing
        }
        Action::Withdraw | Action::Approve | Action::Reject => {
            matches!(f.status, UnderReview | OfflineReview)
        }
        // SPEC §11: taking a full release offline (the fixtures have no predecessor to
        // roll back to).
        Action::TakeOffline => f.status == FullRelease,
        // SPEC §9–§10: a guard may be set, and targeting changed (here: every rule removed,
        // there are none), before full, in production, outside review.
        Action::SetGuard | Action::SetTargeting => {
            let before_full = matches!(
                f.status,
                NewVersionCreated | PilotTesting | ReleasePreparation | GrayscaleRelease
            );
            before_full && f.env == Env::Production
        }
        _ => false,
    }
}

/// Rule 6: what some role (or the plan itself) could do now, in `Action::ALL` order.
pub fn allowed(f: &Facts<'_>, probes: &[Command]) -> Vec<Action> {
    let possible = |a| {
        probes
            .iter()
            .any(|c| action_of(c) == a && outcome(f, c).is_ok())
    };
    let all = Action::ALL.into_iter();
    all.filter(|&a| other_allowed(f, a) || possible(a))
        .collect()
}

/// What SPEC says `decide(facts, command, actor)` must answer.
pub fn decide(
    f: &Facts<'_>,
    command: &Command,
    actor: &Actor,
    probes: &[Command],
) -> Result<Transition, WorkflowError> {
    who(actor, command)?;
    let (to, percentage, plan) = outcome(f, command).map_err(|reason| {
        WorkflowError::Refused(Refusal {
            action: action_of(command),
            status: f.status,
            allowed: allowed(f, probes),
            reason,
        })
    })?;
    Ok(Transition {
        from: f.status,
        to,
        percentage,
        archives_previous_full: to == Status::FullRelease && f.status != to,
        plan,
        guard: crate::workflow::Change::Keep,
        targeting: crate::workflow::Change::Keep,
        restores: None,
    })
}
