//! What the workflow decides about a release's targeting (SPEC §10). Targeting is part of
//! what the reviewer approves: before review developers and admins change it freely;
//! under review it cannot change; after approval an admin may only remove whole rules,
//! the rest byte-identical, which only widens who is eligible, so nobody who got the
//! version loses it.

use std::sync::Arc;

use super::transition::stay;
use super::{Change, Command, Facts, RefusalReason, Transition, WorkflowError};
use crate::model::{Actor, Role, Status, Targeting};

/// Whether the release's targeting is fixed by an approval (a reviewer saw it).
fn approved(status: Status) -> bool {
    match status {
        Status::PilotTesting | Status::ReleasePreparation | Status::GrayscaleRelease => true,
        Status::NewVersionCreated
        | Status::UnderReview
        | Status::FullRelease
        | Status::OfflineReview
        | Status::Canceled
        | Status::Archived
        | Status::Offline
        | Status::RolledBack => false,
    }
}

/// After approval only an admin may touch targeting (and only to remove rules).
pub(super) fn after_approval_only_admins(
    facts: &Facts<'_>,
    command: &Command,
    actor: &Actor,
) -> Result<(), WorkflowError> {
    let Command::SetTargeting(_) = command else {
        return Ok(());
    };
    match actor {
        Actor::Person { role, .. } if approved(facts.status) && *role != Role::Admin => {
            Err(WorkflowError::Forbidden {
                role: *role,
                action: command.action(),
            })
        }
        Actor::Person { .. } | Actor::System(_) => Ok(()),
    }
}

/// `set_targeting` before review: anything valid.
pub(super) fn set(f: &Facts<'_>, to: &Option<Arc<Targeting>>) -> Result<Transition, RefusalReason> {
    let targeting = match to {
        Some(t) if !t.is_empty() => Change::Set(Arc::clone(t)),
        Some(_) | None if f.targeting.is_some() => Change::Remove,
        Some(_) | None => Change::Keep,
    };
    Ok(Transition {
        targeting,
        ..stay(f)
    })
}

/// `set_targeting` after approval: only whole rules removed.
pub(super) fn narrow(
    f: &Facts<'_>,
    to: &Option<Arc<Targeting>>,
) -> Result<Transition, RefusalReason> {
    let empty = Targeting::default();
    let before = f.targeting.unwrap_or(&empty);
    let after = to.as_deref().unwrap_or(&empty);
    if !after.only_removes_from(before) {
        return Err(RefusalReason::TargetingLocked);
    }
    set(f, to)
}
