//! The control plane: decides every admin request with the workflow, commits it through
//! the [`Store`], then rebuilds the changed routes and swaps the new snapshot in before
//! answering, so a client that reads after the admin answer sees the change.
//!
//! Every actor goes the same way, a person through the admin API or the gateway's own
//! `system:` actors: decide (`decide`) with the workflow, commit through the store, apply to the
//! [`Replica`], publish. Writes on one node are serialised by one async mutex around the
//! replica; writes across nodes by the store, which commits a batch only if nothing its
//! decision read was written since (`commit`).

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::{Mutex, Notify};

use crate::metrics::Metrics;
use crate::model::{
    Actor, AppId, Env, InvalidValue, MiniProgramVersion, ReleaseId, Role, Salt, Status, TargetApp,
};
use crate::reports::Tallies;
use crate::snapshot::{RouteKey, SnapshotCell};
use crate::store::{Batch, Store, StoreError};
use crate::workflow::{Command, WorkflowError};

mod clock;
mod commit;
mod decide;
mod effects;
pub mod guard;
#[cfg(test)]
mod guard_tests;
#[cfg(test)]
mod plan_tests;
mod publish;
mod read;
mod replica;
pub mod scheduler;
mod suspension;
#[cfg(test)]
mod suspension_tests;
#[cfg(test)]
mod tests;

pub use clock::{Clock, ManualClock, SystemClock};
pub use decide::{AppInput, CreateRelease, build_app};
pub use guard::ReleaseHealth;
pub use read::{ReleaseFilter, ReleaseInfo};
pub use replica::Replica;
pub use suspension::{Lifted, SuspensionInfo};

/// Every way an admin request can fail in the control plane.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error("{} may not do this", role.map_or("the system", Role::as_str))]
    Forbidden { role: Option<Role> },
    #[error("no such release")]
    ReleaseNotFound,
    #[error("no such target app")]
    AppNotFound,
    #[error("no such mini program version; upload it first")]
    VersionNotFound,
    #[error("this version of the mini program is already uploaded; versions are immutable")]
    VersionExists,
    #[error("the {0} environment has releases and cannot be removed")]
    EnvironmentInUse(Env),
    /// SPEC §11: a suspension names a mini program with at least one uploaded version.
    #[error("no such mini program: it has no uploaded version")]
    MiniProgramNotFound,
    #[error("this mini program is already suspended in this app; lift it first")]
    AlreadySuspended,
    #[error("this mini program is not suspended in this app")]
    NotSuspended,
    #[error("release is at revision {current}, not {expected}")]
    PreconditionFailed { expected: u64, current: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The control plane service; one per process, shared by the admin handlers.
pub struct Control {
    state: Mutex<Replica>,
    store: Arc<dyn Store>,
    snapshot: Arc<SnapshotCell>,
    metrics: Metrics,
    clock: Arc<dyn Clock>,
    /// Report tallies of in-flight releases, bound into each snapshot, drained by
    /// [`Control::flush_reports`].
    tallies: Arc<Tallies>,
    /// Signalled on every change to the replica, local or caught up: the scheduler's
    /// due times may have moved. One waiter, so a signal with nobody waiting is kept.
    changed: Notify,
}

impl Control {
    /// Loads every record from the store and publishes the first snapshot.
    pub async fn start(
        store: Arc<dyn Store>,
        snapshot: Arc<SnapshotCell>,
        metrics: Metrics,
    ) -> Result<Control, ControlError> {
        Self::start_with_clock(store, snapshot, metrics, Arc::new(SystemClock)).await
    }

    /// [`Control::start`] with a clock of the caller's (tests move a [`ManualClock`]).
    pub async fn start_with_clock(
        store: Arc<dyn Store>,
        snapshot: Arc<SnapshotCell>,
        metrics: Metrics,
        clock: Arc<dyn Clock>,
    ) -> Result<Control, ControlError> {
        let records = store
            .load()
            .await
            .inspect_err(|_| metrics.store_error("load"))?;
        let state = Replica::from_records(records);
        let control = Control {
            state: Mutex::new(state),
            store,
            snapshot,
            metrics,
            clock,
            tallies: Arc::default(),
            changed: Notify::new(),
        };
        {
            let state = control.state.lock().await;
            let all: BTreeSet<RouteKey> = state.routes().cloned().collect();
            control.publish(&state, all);
        }
        Ok(control)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The time decisions are taken at.
    pub fn now(&self) -> crate::model::Millis {
        self.clock.now()
    }

    /// Creates the apps of the config file that the store does not have yet. An app the
    /// store has is left as it is, report token included (SPEC §5: created when
    /// missing); the caller warns when the file's token differs.
    pub async fn ensure_apps(
        &self,
        apps: impl IntoIterator<Item = impl Into<AppInput>>,
    ) -> Result<Vec<AppId>, ControlError> {
        let mut created = Vec::new();
        for input in apps {
            let input: AppInput = input.into();
            let made = self
                .commit(|state| {
                    if state.apps.contains_key(&input.id) {
                        return Ok(None);
                    }
                    let app = build_app(input.clone(), state.revision + 1, self.now())?;
                    let mut batch = Batch::on(state.revision);
                    batch.records.apps.push(app);
                    Ok(Some(batch))
                })
                .await?;
            if made {
                created.push(input.id);
            }
        }
        Ok(created)
    }

    /// Creates or replaces a target app; `if_match` is the app revision the caller last saw.
    pub async fn put_app(
        &self,
        actor: &Actor,
        app: AppInput,
        if_match: Option<u64>,
    ) -> Result<TargetApp, ControlError> {
        let now = self.now();
        self.commit(|s| decide::put_app(s, actor, app.clone(), if_match, now).map(Some))
            .await?;
        let state = self.state.lock().await;
        state
            .apps
            .get(&app.id)
            .cloned()
            .ok_or(ControlError::AppNotFound)
    }

    pub async fn add_version(
        &self,
        actor: &Actor,
        v: MiniProgramVersion,
    ) -> Result<MiniProgramVersion, ControlError> {
        let key = (v.mini_program.clone(), v.version.clone());
        self.commit(|s| decide::add_version(s, actor, v.clone()).map(Some))
            .await?;
        let state = self.state.lock().await;
        state
            .versions
            .get(&key)
            .cloned()
            .ok_or(ControlError::VersionNotFound)
    }

    pub async fn create_release(
        &self,
        actor: &Actor,
        req: CreateRelease,
    ) -> Result<ReleaseInfo, ControlError> {
        let salt = Salt::random()
            .map_err(|e| StoreError::Unavailable(format!("no randomness for a salt: {e}")))?;
        let now = self.now();
        let mut id = 0;
        self.commit(|s| {
            let (batch, new_id) = decide::create_release(s, actor, req.clone(), salt, now)?;
            id = new_id;
            Ok(Some(batch))
        })
        .await?;
        self.release(actor, id).await
    }

    /// Performs a workflow action; `if_match` is the release revision the caller last saw.
    pub async fn act(
        &self,
        actor: &Actor,
        id: ReleaseId,
        cmd: Command,
        if_match: Option<u64>,
    ) -> Result<ReleaseInfo, ControlError> {
        let now = self.now();
        let result = self
            .commit(|s| decide::act(s, actor, id, &cmd, if_match, now).map(Some))
            .await;
        let outcome = match &result {
            Ok(_) => "accepted",
            Err(ControlError::Store(_)) => "error",
            Err(_) => "refused",
        };
        self.metrics.workflow_action(cmd.action().as_str(), outcome);
        result?;
        self.release(actor, id).await
    }

    /// Rebuilds the changed routes, swaps in a new snapshot and updates the rollout series.
    fn publish(&self, state: &Replica, changed: BTreeSet<RouteKey>) {
        publish::publish(state, changed, &self.snapshot, &self.metrics, &self.tallies);
        self.changed.notify_one();
    }
}

/// One structured line per accepted admin action (actor, release, from → to, revision).
fn log_batch(batch: &Batch) {
    for h in &batch.history {
        tracing::info!(
            actor = %h.actor,
            release = h.release_id,
            action = %h.action,
            from = h.from.map_or("-", Status::as_str),
            to = %h.to,
            revision = h.revision,
            "release action"
        );
    }
    for app in &batch.records.apps {
        tracing::info!(app = %app.id, revision = app.revision, "target app saved");
    }
    for v in &batch.records.versions {
        tracing::info!(actor = %v.created_by, mini_program = %v.mini_program, version = %v.version, revision = v.revision, "version uploaded");
    }
    for e in &batch.suspension_history {
        tracing::info!(actor = %e.actor, app = %e.app, mini_program = %e.mini_program, action = e.action.as_str(), revision = e.revision, "suspension");
    }
}

impl Control {
    /// Sends the report counts since the last flush to the store's cluster-wide totals;
    /// counts the store does not take are kept for the next flush.
    pub async fn flush_reports(&self) -> Result<usize, ControlError> {
        let deltas = self.tallies.drain();
        if deltas.is_empty() {
            return Ok(0);
        }
        let n = deltas.len();
        if let Err(e) = self.store.add_reports(deltas.clone()).await {
            self.tallies.put_back(&deltas);
            self.metrics.store_error("add_reports");
            return Err(e.into());
        }
        Ok(n)
    }
}
