//! The one table of SPEC §2, §8 and §9: every (status, command) pair, decided by status in
//! exhaustive `match`es with no catch-all arm.

use super::{
    Change, Command, Facts, GoLive, PlanChange, RefusalReason, Transition, guard, plan, targeting,
};
use crate::model::{Approval, Env, EnvPolicy, Percentage, Status};

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

/// Where `command` takes a release with `facts`, or why it cannot (whoever asks). Each
/// status decides every command in an exhaustive `match`, then the plan follows (§8).
pub(super) fn transition(f: &Facts<'_>, command: &Command) -> Result<Transition, RefusalReason> {
    use Status as S;
    let moved = match f.status {
        S::NewVersionCreated => new_version(f, command),
        S::UnderReview => under_review(f, command),
        S::PilotTesting => pilot_testing(f, command),
        S::ReleasePreparation | S::GrayscaleRelease => going_live(f, command),
        S::FullRelease => full_release(f, command),
        S::OfflineReview => offline_review(f, command),
        S::Canceled | S::Archived | S::Offline | S::RolledBack => Err(RefusalReason::WrongStatus),
    }?;
    plan::follow(f, command, moved)
}

fn new_version(f: &Facts<'_>, command: &Command) -> Result<Transition, RefusalReason> {
    use Command as C;
    match command {
        C::EditConfig(_) => Ok(stay(f)),
        C::SetTestGroup(_) => pilot_testing_supported(f).map(|()| stay(f)),
        C::Apply => nothing_else_in_flight(f).map(|()| to(f, applied(f))),
        C::SetPlan(spec) => production_only(f).and_then(|()| plan::set(f, spec)),
        C::RemovePlan => production_only(f).and_then(|()| plan::remove(f)),
        C::SetGuard(g) => production_only(f).and_then(|()| guard::set(f, *g)),
        C::RemoveGuard => production_only(f).and_then(|()| guard::remove(f)),
        C::SetTargeting(t) => production_only(f).and_then(|()| targeting::set(f, t)),
        C::Withdraw
        | C::Approve
        | C::Reject(_)
        | C::CompleteTesting
        | C::GoLive(_)
        | C::Cancel
        | C::Pause
        | C::Resume
        | C::PlanStep { .. }
        | C::WaitForData { .. }
        | C::GuardHalt(_)
        | C::GuardRollback(_)
        | C::TakeOffline(_)
        | C::Rollback(_) => Err(RefusalReason::WrongStatus),
    }
}

fn under_review(f: &Facts<'_>, command: &Command) -> Result<Transition, RefusalReason> {
    use Command as C;
    match command {
        C::Withdraw | C::Reject(_) => Ok(to(f, Status::NewVersionCreated)),
        C::Approve => Ok(to(f, after_approval(f.env, f.policy))),
        C::SetTargeting(_) => production_only(f).and(Err(RefusalReason::TargetingLocked)),
        C::EditConfig(_)
        | C::SetTestGroup(_)
        | C::Apply
        | C::CompleteTesting
        | C::GoLive(_)
        | C::Cancel
        | C::SetPlan(_)
        | C::RemovePlan
        | C::Pause
        | C::Resume
        | C::PlanStep { .. }
        | C::WaitForData { .. }
        | C::SetGuard(_)
        | C::RemoveGuard
        | C::GuardHalt(_)
        | C::GuardRollback(_)
        | C::TakeOffline(_)
        | C::Rollback(_) => Err(RefusalReason::WrongStatus),
    }
}

fn pilot_testing(f: &Facts<'_>, command: &Command) -> Result<Transition, RefusalReason> {
    use Command as C;
    match command {
        C::SetTestGroup(_) => pilot_testing_supported(f).map(|()| stay(f)),
        C::CompleteTesting => Ok(to(f, tested(f.env))),
        C::Cancel => Ok(to(f, Status::Canceled)),
        C::SetPlan(spec) => production_only(f).and_then(|()| plan::set(f, spec)),
        C::RemovePlan => production_only(f).and_then(|()| plan::remove(f)),
        C::SetGuard(g) => production_only(f).and_then(|()| guard::set(f, *g)),
        C::RemoveGuard => production_only(f).and_then(|()| guard::remove(f)),
        C::SetTargeting(t) => production_only(f).and_then(|()| targeting::narrow(f, t)),
        C::EditConfig(_)
        | C::Apply
        | C::Withdraw
        | C::Approve
        | C::Reject(_)
        | C::GoLive(_)
        | C::Pause
        | C::Resume
        | C::PlanStep { .. }
        | C::WaitForData { .. }
        | C::GuardHalt(_)
        | C::GuardRollback(_)
        | C::TakeOffline(_)
        | C::Rollback(_) => Err(RefusalReason::WrongStatus),
    }
}

/// `release_preparation` and `grayscale_release`: going live, by hand or by plan.
fn going_live(f: &Facts<'_>, command: &Command) -> Result<Transition, RefusalReason> {
    use Command as C;
    match command {
        C::GoLive(go) => production_only(f).and_then(|()| go_live(f, *go)),
        C::Cancel => Ok(to(f, Status::Canceled)),
        C::SetPlan(spec) => production_only(f).and_then(|()| plan::set(f, spec)),
        C::RemovePlan => production_only(f).and_then(|()| plan::remove(f)),
        C::Pause => plan::pause(f),
        C::Resume => plan::resume(f),
        C::PlanStep { from, finding } => {
            production_only(f).and_then(|()| plan::step(f, *from, finding.as_ref()))
        }
        C::WaitForData { from, finding } => {
            production_only(f).and_then(|()| plan::wait(f, *from, finding))
        }
        C::SetGuard(g) => production_only(f).and_then(|()| guard::set(f, *g)),
        C::RemoveGuard => production_only(f).and_then(|()| guard::remove(f)),
        C::GuardHalt(finding) => guard::halt(f, finding),
        C::GuardRollback(finding) => guard::rollback(f, finding),
        C::SetTargeting(t) => production_only(f).and_then(|()| targeting::narrow(f, t)),
        C::EditConfig(_)
        | C::SetTestGroup(_)
        | C::Apply
        | C::Withdraw
        | C::Approve
        | C::Reject(_)
        | C::CompleteTesting
        | C::TakeOffline(_)
        | C::Rollback(_) => Err(RefusalReason::WrongStatus),
    }
}

/// `full_release`: the platform's ways out (SPEC §11).
fn full_release(f: &Facts<'_>, command: &Command) -> Result<Transition, RefusalReason> {
    use Command as C;
    match command {
        C::TakeOffline(_) => nothing_else_in_flight(f).map(|()| to(f, taken_offline(f))),
        C::Rollback(_) => match f.restorable {
            Some(predecessor) => Ok(Transition {
                restores: Some(predecessor),
                ..to(f, Status::RolledBack)
            }),
            None => Err(RefusalReason::NothingToRestore),
        },
        C::EditConfig(_)
        | C::SetTestGroup(_)
        | C::Apply
        | C::Withdraw
        | C::Approve
        | C::Reject(_)
        | C::CompleteTesting
        | C::GoLive(_)
        | C::Cancel
        | C::SetPlan(_)
        | C::RemovePlan
        | C::Pause
        | C::Resume
        | C::PlanStep { .. }
        | C::WaitForData { .. }
        | C::SetGuard(_)
        | C::RemoveGuard
        | C::GuardHalt(_)
        | C::GuardRollback(_)
        | C::SetTargeting(_) => Err(RefusalReason::WrongStatus),
    }
}

/// `offline_review`: a reviewer approves (offline) or rejects, or the applicant's side
/// withdraws; both of the latter return it to `full_release`, which it never left in
/// what it serves, so nothing is archived.
fn offline_review(f: &Facts<'_>, command: &Command) -> Result<Transition, RefusalReason> {
    use Command as C;
    match command {
        C::Approve => Ok(to(f, Status::Offline)),
        C::Reject(_) | C::Withdraw => Ok(Transition {
            archives_previous_full: false,
            ..to(f, Status::FullRelease)
        }),
        C::EditConfig(_)
        | C::SetTestGroup(_)
        | C::Apply
        | C::CompleteTesting
        | C::GoLive(_)
        | C::Cancel
        | C::SetPlan(_)
        | C::RemovePlan
        | C::Pause
        | C::Resume
        | C::PlanStep { .. }
        | C::WaitForData { .. }
        | C::SetGuard(_)
        | C::RemoveGuard
        | C::GuardHalt(_)
        | C::GuardRollback(_)
        | C::SetTargeting(_)
        | C::TakeOffline(_)
        | C::Rollback(_) => Err(RefusalReason::WrongStatus),
    }
}

/// The status stays; so does the percentage (config, test group and plan changes).
pub(super) fn stay(f: &Facts<'_>) -> Transition {
    Transition {
        from: f.status,
        to: f.status,
        percentage: f.percentage,
        archives_previous_full: false,
        plan: PlanChange::Keep,
        guard: Change::Keep,
        targeting: Change::Keep,
        restores: None,
    }
}

/// A status change; the percentage is zero outside `grayscale_release`.
pub(super) fn to(f: &Facts<'_>, to: Status) -> Transition {
    at(f, to, Percentage::ZERO)
}

pub(super) fn at(f: &Facts<'_>, to: Status, percentage: Percentage) -> Transition {
    Transition {
        from: f.status,
        to,
        percentage,
        // Rule 3: entering full_release archives the previous one.
        archives_previous_full: to == Status::FullRelease && f.status != Status::FullRelease,
        plan: PlanChange::Keep,
        guard: Change::Keep,
        targeting: Change::Keep,
        restores: None,
    }
}

/// Whether the target's reviewer must approve: production always, whatever the stored
/// policy says (SPEC §1), elsewhere as the policy says.
fn approval_is_manual(f: &Facts<'_>) -> bool {
    match f.policy.approval {
        Approval::Manual => true,
        Approval::Auto => f.env == Env::Production,
    }
}

/// Where `apply` goes: review, unless the target approves automatically.
fn applied(f: &Facts<'_>) -> Status {
    if approval_is_manual(f) {
        Status::UnderReview
    } else {
        after_approval(f.env, f.policy)
    }
}

/// Where `take_offline` goes: review exactly where `apply` would (SPEC §11).
fn taken_offline(f: &Facts<'_>) -> Status {
    if approval_is_manual(f) {
        Status::OfflineReview
    } else {
        Status::Offline
    }
}

/// Where `complete_testing` goes: production waits in grayscale at 0 %, sandbox is done.
fn tested(env: Env) -> Status {
    if env == Env::Production {
        Status::GrayscaleRelease
    } else {
        Status::FullRelease
    }
}

fn go_live(f: &Facts<'_>, go: GoLive) -> Result<Transition, RefusalReason> {
    match go {
        GoLive::Full => Ok(to(f, Status::FullRelease)),
        GoLive::Grayscale(p) if p <= f.percentage || p >= Percentage::FULL => {
            Err(RefusalReason::PercentageNotIncreasing {
                current: f.percentage,
                requested: p,
            })
        }
        GoLive::Grayscale(p) => Ok(at(f, Status::GrayscaleRelease, p)),
        GoLive::Plan => plan::start(f),
    }
}

fn pilot_testing_supported(f: &Facts<'_>) -> Result<(), RefusalReason> {
    if f.policy.pilot_testing {
        Ok(())
    } else {
        Err(RefusalReason::PilotTestingNotSupported)
    }
}

fn production_only(f: &Facts<'_>) -> Result<(), RefusalReason> {
    if f.env == Env::Production {
        Ok(())
    } else {
        Err(RefusalReason::ProductionOnly)
    }
}

fn nothing_else_in_flight(f: &Facts<'_>) -> Result<(), RefusalReason> {
    match f.other_in_flight {
        Some(id) => Err(RefusalReason::AnotherInFlight(id)),
        None => Ok(()),
    }
}
