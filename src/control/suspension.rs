//! Suspensions by the super app (SPEC §11): deciding a suspend or a lift against the
//! replica, and the reads of suspensions and their events. Both writes go the way every
//! action goes (decide → commit → apply → publish): one batch at the next revision that
//! writes the (app, mini program)'s suspension record and its event, reading the record
//! (and the app) so two reviewers racing on one mini program cannot both win.

use super::decide::require;
use super::replica::Replica;
use super::{Control, ControlError};
use crate::model::{
    Actor, AppId, Millis, MiniProgramId, Reason, Suspension, SuspensionAction, SuspensionEvent,
    SuspensionRecord,
};
use crate::store::{Batch, Reads};
use crate::workflow::Operation;

/// A suspension in force, with the (app, mini program) it stops.
#[derive(Debug, Clone, PartialEq)]
pub struct SuspensionInfo {
    pub app: AppId,
    pub mini_program: MiniProgramId,
    pub suspension: Suspension,
}

/// A lifted suspension and the event that lifted it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lifted {
    pub lifted: SuspensionInfo,
    pub event: SuspensionEvent,
}

/// The checks both writes share: a reviewer, an existing app, and a mini program with
/// at least one uploaded version (a typo in an incident must not suspend nothing).
fn check_target(
    state: &Replica,
    actor: &Actor,
    app: &AppId,
    mp: &MiniProgramId,
) -> Result<(), ControlError> {
    require(actor, Operation::Suspend)?;
    if !state.apps.contains_key(app) {
        return Err(ControlError::AppNotFound);
    }
    if !state.versions.keys().any(|(m, _)| m == mp) {
        return Err(ControlError::MiniProgramNotFound);
    }
    Ok(())
}

/// The batch of one suspension change: the record and its event, reading the app.
fn change(state: &Replica, record: SuspensionRecord, event: SuspensionEvent) -> Batch {
    let mut batch = Batch::on(state.revision);
    batch.reads = Reads {
        apps: vec![record.app.clone()],
        ..Reads::default()
    };
    batch.records.suspensions.push(record);
    batch.suspension_history.push(event);
    batch
}

/// `PUT /v1/admin/apps/{app}/suspensions/{mp}`: 409 `already_suspended` when one is in force.
pub fn suspend(
    state: &Replica,
    actor: &Actor,
    (app, mp): (&AppId, &MiniProgramId),
    reason: &Reason,
    now: Millis,
) -> Result<Batch, ControlError> {
    check_target(state, actor, app, mp)?;
    if state.suspension(app, mp).is_some() {
        return Err(ControlError::AlreadySuspended);
    }
    let revision = state.revision + 1;
    let suspension = Suspension {
        reason: reason.clone(),
        by: actor.name().to_owned(),
        at: now,
        revision,
    };
    let event = event(
        app,
        mp,
        actor,
        SuspensionAction::Suspend,
        reason,
        (revision, now),
    );
    let record = SuspensionRecord {
        app: app.clone(),
        mini_program: mp.clone(),
        revision,
        active: Some(suspension),
    };
    Ok(change(state, record, event))
}

/// `DELETE /v1/admin/apps/{app}/suspensions/{mp}`: 404 `not_suspended` when none is in force.
pub fn lift(
    state: &Replica,
    actor: &Actor,
    (app, mp): (&AppId, &MiniProgramId),
    now: Millis,
) -> Result<Batch, ControlError> {
    check_target(state, actor, app, mp)?;
    let active = state
        .suspension(app, mp)
        .ok_or(ControlError::NotSuspended)?;
    let revision = state.revision + 1;
    let action = SuspensionAction::Unsuspend;
    let event = event(app, mp, actor, action, &active.reason, (revision, now));
    let record = SuspensionRecord {
        app: app.clone(),
        mini_program: mp.clone(),
        revision,
        active: None,
    };
    Ok(change(state, record, event))
}

fn event(
    app: &AppId,
    mp: &MiniProgramId,
    actor: &Actor,
    action: SuspensionAction,
    reason: &Reason,
    (revision, at): (u64, Millis),
) -> SuspensionEvent {
    SuspensionEvent {
        app: app.clone(),
        mini_program: mp.clone(),
        revision,
        at,
        actor: actor.name().to_owned(),
        action,
        reason: reason.clone(),
    }
}

impl Control {
    /// Suspends `mp` in every environment of `app`; answers the suspension in force.
    pub async fn suspend(
        &self,
        actor: &Actor,
        app: &AppId,
        mp: &MiniProgramId,
        reason: &Reason,
    ) -> Result<SuspensionInfo, ControlError> {
        let now = self.now();
        let result = self
            .commit(|s| suspend(s, actor, (app, mp), reason, now).map(Some))
            .await;
        self.count(SuspensionAction::Suspend, &result);
        result?;
        let state = self.state.lock().await;
        let suspension = state.suspension(app, mp).cloned();
        // Another node may lift it between our commit and this read: say it is gone.
        let suspension = suspension.ok_or(ControlError::NotSuspended)?;
        Ok(SuspensionInfo {
            app: app.clone(),
            mini_program: mp.clone(),
            suspension,
        })
    }

    /// Lifts the suspension of `mp` in `app`; answers what was lifted and the lift.
    pub async fn unsuspend(
        &self,
        actor: &Actor,
        app: &AppId,
        mp: &MiniProgramId,
    ) -> Result<Lifted, ControlError> {
        let now = self.now();
        let mut lifted = None;
        let result = self
            .commit(|s| {
                let batch = lift(s, actor, (app, mp), now)?;
                let active = s.suspension(app, mp).cloned();
                lifted = active.zip(batch.suspension_history.first().cloned());
                Ok(Some(batch))
            })
            .await;
        self.count(SuspensionAction::Unsuspend, &result);
        result?;
        // `lifted` is what the committed decision saw; the store may have restamped its
        // batch, so the lift's revision is the one the replica now holds for it.
        let (suspension, mut event) = lifted.ok_or(ControlError::NotSuspended)?;
        let state = self.state.lock().await;
        let record = state.suspensions.get(&(app.clone(), mp.clone()));
        if let Some(record) = record.filter(|r| r.active.is_none()) {
            event.revision = record.revision;
        }
        drop(state);
        let lifted = SuspensionInfo {
            app: app.clone(),
            mini_program: mp.clone(),
            suspension,
        };
        Ok(Lifted { lifted, event })
    }

    fn count<T>(&self, action: SuspensionAction, result: &Result<T, ControlError>) {
        let outcome = match result {
            Ok(_) => "accepted",
            Err(ControlError::Store(_)) => "error",
            Err(_) => "refused",
        };
        self.metrics.workflow_action(action.as_str(), outcome);
    }

    /// The suspensions in force in `app`, by mini program.
    pub async fn suspensions(
        &self,
        actor: &Actor,
        app: &AppId,
    ) -> Result<Vec<SuspensionInfo>, ControlError> {
        require(actor, Operation::Read)?;
        let state = self.state.lock().await;
        if !state.apps.contains_key(app) {
            return Err(ControlError::AppNotFound);
        }
        let of_app = state.active_suspensions().filter(|(a, _, _)| *a == app);
        Ok(of_app
            .map(|(a, m, s)| SuspensionInfo {
                app: a.clone(),
                mini_program: m.clone(),
                suspension: s.clone(),
            })
            .collect())
    }

    /// Every suspend and lift of `mp` in `app`, oldest first (empty if never suspended).
    pub async fn suspension_history(
        &self,
        actor: &Actor,
        app: &AppId,
        mp: &MiniProgramId,
    ) -> Result<Vec<SuspensionEvent>, ControlError> {
        require(actor, Operation::Read)?;
        if !self.state.lock().await.apps.contains_key(app) {
            return Err(ControlError::AppNotFound);
        }
        let history = self.store.suspension_history(app, mp).await;
        Ok(history.inspect_err(|_| self.metrics.store_error("suspension_history"))?)
    }
}
