//! The one table of SPEC §2: every (status, command) pair, decided in one exhaustive
//! `match` with no catch-all arm.

use super::{Command, Facts, GoLive, RefusalReason, Transition};
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

/// Where `command` takes a release with `facts`, or why it cannot (whoever asks).
pub(super) fn transition(f: &Facts<'_>, command: &Command) -> Result<Transition, RefusalReason> {
    use Command as C;
    use Status as S;
    match (f.status, command) {
        (S::NewVersionCreated, C::EditConfig(_)) => Ok(stay(f)),
        (S::NewVersionCreated | S::PilotTesting, C::SetTestGroup(_)) => {
            pilot_testing_supported(f).map(|()| stay(f))
        }
        (S::NewVersionCreated, C::Apply) => nothing_else_in_flight(f).map(|()| to(f, applied(f))),
        (S::UnderReview, C::Withdraw | C::Reject(_)) => Ok(to(f, S::NewVersionCreated)),
        (S::UnderReview, C::Approve) => Ok(to(f, after_approval(f.env, f.policy))),
        (S::PilotTesting, C::CompleteTesting) => Ok(to(f, tested(f.env))),
        (S::ReleasePreparation | S::GrayscaleRelease, C::GoLive(go)) => {
            production_only(f).and_then(|()| go_live(f, *go))
        }
        (S::PilotTesting | S::ReleasePreparation | S::GrayscaleRelease, C::Cancel) => {
            Ok(to(f, S::Canceled))
        }
        (
            S::NewVersionCreated,
            C::Withdraw | C::Approve | C::Reject(_) | C::CompleteTesting | C::GoLive(_) | C::Cancel,
        )
        | (
            S::UnderReview,
            C::EditConfig(_)
            | C::SetTestGroup(_)
            | C::Apply
            | C::CompleteTesting
            | C::GoLive(_)
            | C::Cancel,
        )
        | (
            S::PilotTesting,
            C::EditConfig(_) | C::Apply | C::Withdraw | C::Approve | C::Reject(_) | C::GoLive(_),
        )
        | (
            S::ReleasePreparation | S::GrayscaleRelease,
            C::EditConfig(_)
            | C::SetTestGroup(_)
            | C::Apply
            | C::Withdraw
            | C::Approve
            | C::Reject(_)
            | C::CompleteTesting,
        )
        | (
            S::FullRelease | S::Canceled | S::Archived,
            C::EditConfig(_)
            | C::SetTestGroup(_)
            | C::Apply
            | C::Withdraw
            | C::Approve
            | C::Reject(_)
            | C::CompleteTesting
            | C::GoLive(_)
            | C::Cancel,
        ) => Err(RefusalReason::WrongStatus),
    }
}

/// The status stays; so does the percentage (config and test group changes).
fn stay(f: &Facts<'_>) -> Transition {
    Transition {
        from: f.status,
        to: f.status,
        percentage: f.percentage,
        archives_previous_full: false,
    }
}

/// A status change; the percentage is zero outside `grayscale_release`.
fn to(f: &Facts<'_>, to: Status) -> Transition {
    at(f, to, Percentage::ZERO)
}

fn at(f: &Facts<'_>, to: Status, percentage: Percentage) -> Transition {
    Transition {
        from: f.status,
        to,
        percentage,
        // Rule 3: entering full_release archives the previous one.
        archives_previous_full: to == Status::FullRelease && f.status != Status::FullRelease,
    }
}

/// Where `apply` goes: review, unless the target approves automatically.
fn applied(f: &Facts<'_>) -> Status {
    match f.policy.approval {
        Approval::Manual => Status::UnderReview,
        // Production is always manual whatever the stored policy says (SPEC §1).
        Approval::Auto if f.env == Env::Production => Status::UnderReview,
        Approval::Auto => after_approval(f.env, f.policy),
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
