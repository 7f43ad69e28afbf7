//! What the workflow decides about a release's guard (SPEC §9): setting and removing it,
//! and what a [`Finding`] admits — the guard's halt or rollback on a regression, and the
//! plan gate (a guarded plan steps only when its guard finds the release healthy).
//! Pure: the control plane evaluates the guard and hands the finding in.

use super::transition::{stay, to};
use super::{Change, Facts, GuardRefusal, RefusalReason, Transition};
use crate::guard::Decision;
use crate::model::{Finding, Guard, OnRegression, Status};

fn refuse(why: GuardRefusal) -> RefusalReason {
    RefusalReason::Guard(why)
}

fn the_guard(f: &Facts<'_>) -> Result<Guard, RefusalReason> {
    f.guard.ok_or(refuse(GuardRefusal::NoGuard))
}

/// `PUT …/guard`: set or replace the guard, at once (a new guard applies from the next
/// evaluation; the counts are the release's, whatever guard judges them).
pub(super) fn set(f: &Facts<'_>, guard: Guard) -> Result<Transition, RefusalReason> {
    Ok(Transition {
        guard: Change::Set(guard),
        ..stay(f)
    })
}

/// `DELETE …/guard`.
pub(super) fn remove(f: &Facts<'_>) -> Result<Transition, RefusalReason> {
    the_guard(f)?;
    Ok(Transition {
        guard: Change::Remove,
        ..stay(f)
    })
}

/// Checks that `finding` was made with the release's guard as it is now and says
/// `decision`; returns the guard.
pub(super) fn check(
    f: &Facts<'_>,
    finding: &Finding,
    decision: Decision,
) -> Result<Guard, RefusalReason> {
    let guard = the_guard(f)?;
    if finding.spec != guard.spec {
        return Err(refuse(GuardRefusal::Changed));
    }
    if finding.decision() != decision {
        return Err(refuse(GuardRefusal::Decision(finding.decision())));
    }
    Ok(guard)
}

/// The plan gate: a step of an unguarded release passes; a guarded one needs a healthy
/// finding of its guard.
pub(super) fn gate(f: &Facts<'_>, finding: Option<&Finding>) -> Result<(), RefusalReason> {
    if f.guard.is_none() {
        return Ok(());
    }
    let finding = finding.ok_or(refuse(GuardRefusal::NotAssessed))?;
    check(f, finding, Decision::Healthy).map(|_| ())
}

/// A regression the guard found, and the guard asks for `wanted`; only a release in
/// `grayscale_release` has a candidate arm to judge.
fn regression(f: &Facts<'_>, finding: &Finding, wanted: OnRegression) -> Result<(), RefusalReason> {
    if f.status != Status::GrayscaleRelease {
        return Err(RefusalReason::WrongStatus);
    }
    let guard = check(f, finding, Decision::Regression)?;
    if guard.on_regression != wanted {
        return Err(refuse(GuardRefusal::OnRegression(guard.on_regression)));
    }
    Ok(())
}

/// `on_regression: "rollback"`: the release is canceled at once (its plan with it).
pub(super) fn rollback(f: &Facts<'_>, finding: &Finding) -> Result<Transition, RefusalReason> {
    regression(f, finding, OnRegression::Rollback)?;
    Ok(to(f, Status::Canceled))
}

/// `on_regression: "halt"`: the plan stops, saying why, until a person resumes it.
pub(super) fn halt(f: &Facts<'_>, finding: &Finding) -> Result<Transition, RefusalReason> {
    regression(f, finding, OnRegression::Halt)?;
    super::plan::halt(f, finding.reason())
}
