//! What an accepted command writes besides the release's new status: its payload, the
//! history entry's details, and the other releases of the route it moves in the same
//! batch (rule 3's archive, a rollback's restore, SPEC §11).

use std::sync::Arc;

use serde_json::json;

use super::ControlError;
use super::replica::Replica;
use crate::model::{
    Action, Actor, HistoryEntry, Millis, Percentage, RawPlan, Release, ReleaseId, Status,
};
use crate::snapshot::RouteKey;
use crate::store::Batch;
use crate::workflow::{Change, Command, GoLive, Transition};

/// What a history entry records of a command's payload and, for plan steps, of the
/// step it took (SPEC §8: an automatic step reads like the go-live a person would send).
pub(super) fn details(command: &Command, transition: &Transition) -> serde_json::Value {
    let went_live = || match transition.to {
        Status::FullRelease => json!({ "type": "full" }),
        _ => json!({ "type": "grayscale", "percentage": transition.percentage }),
    };
    match command {
        Command::EditConfig(c) => json!({ "config": c }),
        Command::SetTestGroup(g) => json!({ "test_group_size": g.len() }),
        Command::Reject(reason) | Command::TakeOffline(reason) => json!({ "reason": reason }),
        Command::Rollback(reason) => json!({ "reason": reason, "restored": transition.restores }),
        Command::GoLive(GoLive::Full) => json!({ "type": "full" }),
        Command::GoLive(GoLive::Grayscale(p)) => json!({ "type": "grayscale", "percentage": p }),
        Command::GoLive(GoLive::Plan) => {
            let mut started = went_live();
            started["plan"] = json!(true);
            started
        }
        Command::PlanStep { finding: None, .. } => went_live(),
        Command::PlanStep {
            finding: Some(finding),
            ..
        } => {
            let mut stepped = went_live();
            stepped["guard"] = finding.details();
            stepped
        }
        Command::WaitForData { finding, .. }
        | Command::GuardHalt(finding)
        | Command::GuardRollback(finding) => json!({ "guard": finding.details() }),
        Command::SetPlan(spec) => json!({ "plan": RawPlan::from(&**spec) }),
        Command::SetGuard(guard) => json!({ "guard": guard }),
        Command::SetTargeting(t) => json!({ "targeting": t }),
        Command::Apply
        | Command::Withdraw
        | Command::Approve
        | Command::CompleteTesting
        | Command::Cancel
        | Command::RemovePlan
        | Command::RemoveGuard
        | Command::Pause
        | Command::Resume => json!({}),
    }
}

/// The other releases of the route the transition moves in the same batch: rule 3
/// archives the previous full release (which `next` then names as its predecessor); a
/// rollback restores the predecessor.
pub(super) fn on_the_route(
    state: &Replica,
    route: &RouteKey,
    next: &mut Release,
    (command, transition): (&Command, &Transition),
    actor: &Actor,
    batch: &mut Batch,
) -> Result<(), ControlError> {
    let now = next.updated_at;
    if transition.archives_previous_full
        && let Some(previous) = state.current_full(route)
    {
        archive(previous, next.id, actor, batch, now);
        next.predecessor = Some(previous.id);
    }
    if let Some(predecessor) = transition.restores {
        let predecessor = state
            .releases
            .get(&predecessor)
            .ok_or(ControlError::ReleaseNotFound)?;
        restore(predecessor, next, command, actor, batch, now);
    }
    Ok(())
}

/// The release after `transition`, with the command's payload applied; a new test
/// group goes into the batch beside it.
pub(super) fn carry_out(
    release: &Release,
    command: &Command,
    transition: &Transition,
    actor: &Actor,
    batch: &mut Batch,
    now: Millis,
) -> Release {
    let mut next = advance(release, transition.to, transition.percentage, batch, now);
    match command {
        Command::EditConfig(config) => next.config = Arc::clone(config),
        Command::SetTestGroup(group) => {
            next.test_group_size = group.len();
            batch
                .records
                .test_groups
                .push((release.id, Arc::clone(group)));
        }
        Command::Apply
        | Command::Withdraw
        | Command::Approve
        | Command::Reject(_)
        | Command::CompleteTesting
        | Command::GoLive(_)
        | Command::Cancel
        | Command::SetPlan(_)
        | Command::RemovePlan
        | Command::Pause
        | Command::Resume
        | Command::PlanStep { .. }
        | Command::WaitForData { .. }
        | Command::SetGuard(_)
        | Command::RemoveGuard
        | Command::GuardHalt(_)
        | Command::GuardRollback(_)
        | Command::SetTargeting(_)
        | Command::TakeOffline(_)
        | Command::Rollback(_) => {}
    }
    next.plan = changed(next.plan, transition.plan.clone().map(Arc::new));
    next.guard = changed(next.guard, transition.guard.clone());
    next.targeting = changed(next.targeting, transition.targeting.clone());
    if transition.starts_review() {
        next.applied_by = Some(actor.name().to_owned());
    } else if transition.to != Status::UnderReview {
        next.applied_by = None;
    }
    next
}

/// A part of the release after a [`Change`] to it.
fn changed<T>(now: Option<T>, change: Change<T>) -> Option<T> {
    match change {
        Change::Keep => now,
        Change::Set(new) => Some(new),
        Change::Remove => None,
    }
}

/// Rule 3: the previous full release of the route, archived in the same batch.
fn archive(previous: &Release, by: ReleaseId, actor: &Actor, batch: &mut Batch, now: Millis) {
    let archived = advance(previous, Status::Archived, Percentage::ZERO, batch, now);
    let moved = (Some(previous.status), Status::Archived);
    let details = json!({ "superseded_by": by });
    batch
        .history
        .push(entry(&archived, actor, Action::Archive, moved, details));
    batch.records.releases.push(archived);
}

/// SPEC §11: the predecessor a rollback brings back to `full_release`, in the same batch
/// as the rolled-back release, with an entry in its own history.
fn restore(
    predecessor: &Release,
    rolled_back: &Release,
    command: &Command,
    actor: &Actor,
    batch: &mut Batch,
    now: Millis,
) {
    let restored = advance(
        predecessor,
        Status::FullRelease,
        Percentage::ZERO,
        batch,
        now,
    );
    let moved = (Some(predecessor.status), Status::FullRelease);
    let mut details = json!({ "rolled_back": rolled_back.id });
    if let Command::Rollback(reason) = command {
        details["reason"] = json!(reason);
    }
    batch
        .history
        .push(entry(&restored, actor, Action::Restore, moved, details));
    batch.records.releases.push(restored);
}

pub(super) fn advance(
    r: &Release,
    to: Status,
    percentage: Percentage,
    b: &Batch,
    now: Millis,
) -> Release {
    Release {
        status: to,
        percentage,
        revision: b.revision(),
        updated_at: now,
        ..r.clone()
    }
}

pub(super) fn entry(
    r: &Release,
    actor: &Actor,
    action: Action,
    (from, to): (Option<Status>, Status),
    details: serde_json::Value,
) -> HistoryEntry {
    HistoryEntry {
        release_id: r.id,
        revision: r.revision,
        at: r.updated_at,
        actor: actor.name().to_owned(),
        action,
        from,
        to,
        details,
    }
}
