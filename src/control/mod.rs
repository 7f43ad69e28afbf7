//! The control plane: decides every admin request with the workflow, commits it through
//! the [`Store`], then rebuilds the changed routes and swaps the new snapshot in before
//! answering, so a client that reads after the admin answer sees the change.
//!
//! Writes on one node are serialised by one async mutex around the in-memory [`State`];
//! writes across nodes are serialised by the store's compare-and-set on the revision.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::metrics::Metrics;
use crate::model::{Actor, AppId, Env, EnvPolicyInput, InvalidValue, MiniProgramId, Role, Status};
use crate::release::{Batch, MiniProgramVersion, ReleaseId, RouteKey};
use crate::snapshot::SnapshotCell;
use crate::store::{Store, StoreError};
use crate::workflow::{self, Operation, WorkflowError};

mod plan;
mod publish;
mod state;
mod view;

pub use plan::{CreateRelease, ReleaseCommand, build_app};
pub use state::State;
pub use view::{AppView, HistoryView, ReleaseView, VersionView};

/// How many times a write is decided again after losing a revision race to another node.
const COMMIT_ATTEMPTS: usize = 5;

/// Every way an admin request can fail in the control plane.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error("role {role} may not do this")]
    Forbidden { role: Role },
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
    #[error("release is at revision {current}, not {expected}")]
    PreconditionFailed { expected: u64, current: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Filters of `GET /v1/admin/releases`.
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    pub mini_program: Option<MiniProgramId>,
    pub app: Option<AppId>,
    pub env: Option<Env>,
    pub status: Option<Status>,
}

/// The control plane service; one per process, shared by the admin handlers.
pub struct Control {
    state: Mutex<State>,
    store: Arc<dyn Store>,
    snapshot: Arc<SnapshotCell>,
    metrics: Metrics,
}

impl Control {
    /// Loads every record from the store and publishes the first snapshot.
    pub async fn start(
        store: Arc<dyn Store>,
        snapshot: Arc<SnapshotCell>,
        metrics: Metrics,
    ) -> Result<Control, ControlError> {
        let records = store
            .load()
            .await
            .inspect_err(|_| metrics.store_error("load"))?;
        let state = State::from_records(records);
        let control = Control {
            state: Mutex::new(state),
            store,
            snapshot,
            metrics,
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

    /// Creates the apps of the config file that the store does not have yet.
    pub async fn ensure_apps(
        &self,
        apps: Vec<(AppId, BTreeMap<Env, EnvPolicyInput>)>,
    ) -> Result<Vec<AppId>, ControlError> {
        let mut created = Vec::new();
        for (id, envs) in apps {
            let made = self
                .commit(|state| {
                    if state.apps.contains_key(&id) {
                        return Ok(None);
                    }
                    let app = build_app(
                        id.clone(),
                        envs.clone(),
                        state.revision + 1,
                        crate::model::now_millis(),
                    )?;
                    Ok(Some(Batch {
                        base_revision: state.revision,
                        apps: vec![app],
                        ..Batch::default()
                    }))
                })
                .await?;
            if made {
                created.push(id);
            }
        }
        Ok(created)
    }

    pub async fn put_app(
        &self,
        actor: &Actor,
        id: AppId,
        envs: BTreeMap<Env, EnvPolicyInput>,
    ) -> Result<AppView, ControlError> {
        let now = crate::model::now_millis();
        self.commit(|s| plan::put_app(s, actor, id.clone(), envs.clone(), now).map(Some))
            .await?;
        let state = self.state.lock().await;
        state
            .apps
            .get(&id)
            .map(AppView::from)
            .ok_or(ControlError::AppNotFound)
    }

    pub async fn add_version(
        &self,
        actor: &Actor,
        v: MiniProgramVersion,
    ) -> Result<VersionView, ControlError> {
        let key = (v.mini_program.clone(), v.version.clone());
        self.commit(|s| plan::add_version(s, actor, v.clone()).map(Some))
            .await?;
        let state = self.state.lock().await;
        state
            .versions
            .get(&key)
            .map(VersionView::from)
            .ok_or(ControlError::VersionNotFound)
    }

    pub async fn create_release(
        &self,
        actor: &Actor,
        req: CreateRelease,
    ) -> Result<ReleaseView, ControlError> {
        let salt = crate::bucket::new_salt()
            .map_err(|e| StoreError::Unavailable(format!("no randomness for a salt: {e}")))?;
        let now = crate::model::now_millis();
        let mut id = 0;
        self.commit(|s| {
            let (batch, new_id) = plan::create_release(s, actor, req.clone(), salt.clone(), now)?;
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
        cmd: ReleaseCommand,
        if_match: Option<u64>,
    ) -> Result<ReleaseView, ControlError> {
        let now = crate::model::now_millis();
        let result = self
            .commit(|s| plan::act(s, actor, id, &cmd, if_match, now).map(Some))
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

    /// Decides with `plan`, commits, applies and publishes, deciding again after losing a
    /// revision race. Returns whether anything was committed.
    async fn commit<F>(&self, mut plan: F) -> Result<bool, ControlError>
    where
        F: FnMut(&State) -> Result<Option<Batch>, ControlError>,
    {
        let mut state = self.state.lock().await;
        let mut rechecked = false;
        for _ in 0..COMMIT_ATTEMPTS {
            let batch = match plan(&state) {
                Ok(Some(batch)) => batch,
                Ok(None) => return Ok(false),
                // A refusal decided on a view another node has since moved past is not an
                // answer: catch up once and decide again.
                Err(_) if !rechecked && self.store_is_ahead(&state).await => {
                    rechecked = true;
                    self.catch_up_locked(&mut state).await?;
                    continue;
                }
                Err(refusal) => return Err(refusal),
            };
            let batch = Arc::new(batch);
            match self.store.commit(Arc::clone(&batch)).await {
                Ok(()) => {
                    log_batch(&batch);
                    let changed = state.apply(&batch);
                    self.publish(&state, changed);
                    return Ok(true);
                }
                Err(StoreError::Conflict { .. }) => self.catch_up_locked(&mut state).await?,
                Err(e) => {
                    self.metrics.store_error("commit");
                    return Err(e.into());
                }
            }
        }
        Err(StoreError::Unavailable("too many concurrent writers; try again".into()).into())
    }

    /// Whether the store has revisions this node has not applied yet.
    async fn store_is_ahead(&self, state: &State) -> bool {
        matches!(self.store.revision().await, Ok(r) if r > state.revision)
    }

    /// Reads what other writers committed and publishes it.
    pub async fn catch_up(&self) -> Result<u64, ControlError> {
        let mut state = self.state.lock().await;
        self.catch_up_locked(&mut state).await?;
        Ok(state.revision)
    }

    async fn catch_up_locked(&self, state: &mut State) -> Result<(), ControlError> {
        let records = self
            .store
            .changes_since(state.revision)
            .await
            .inspect_err(|_| self.metrics.store_error("changes_since"))?;
        if records.revision > state.revision {
            let changed = state.merge(records);
            self.publish(state, changed);
        }
        Ok(())
    }

    /// Rebuilds the changed routes, swaps in a new snapshot and updates the rollout series.
    fn publish(&self, state: &State, changed: BTreeSet<RouteKey>) {
        publish::publish(state, changed, &self.snapshot, &self.metrics);
    }

    pub async fn apps(&self, actor: &Actor) -> Result<Vec<AppView>, ControlError> {
        read(actor)?;
        Ok(self
            .state
            .lock()
            .await
            .apps
            .values()
            .map(AppView::from)
            .collect())
    }

    pub async fn app(&self, actor: &Actor, id: &AppId) -> Result<AppView, ControlError> {
        read(actor)?;
        self.state
            .lock()
            .await
            .apps
            .get(id)
            .map(AppView::from)
            .ok_or(ControlError::AppNotFound)
    }

    pub async fn versions(
        &self,
        actor: &Actor,
        mp: &MiniProgramId,
    ) -> Result<Vec<VersionView>, ControlError> {
        read(actor)?;
        let state = self.state.lock().await;
        let list = state.versions.iter().filter(|((m, _), _)| m == mp);
        Ok(list.map(|(_, v)| VersionView::from(v)).collect())
    }

    pub async fn releases(
        &self,
        actor: &Actor,
        f: &ReleaseFilter,
    ) -> Result<Vec<ReleaseView>, ControlError> {
        read(actor)?;
        let state = self.state.lock().await;
        Ok(state
            .releases
            .values()
            .filter(|r| f.mini_program.as_ref().is_none_or(|m| *m == r.mini_program))
            .filter(|r| f.app.as_ref().is_none_or(|a| *a == r.app))
            .filter(|r| f.env.is_none_or(|e| e == r.env))
            .filter(|r| f.status.is_none_or(|s| s == r.status))
            .map(|r| ReleaseView::new(&state, r))
            .collect())
    }

    pub async fn release(&self, actor: &Actor, id: ReleaseId) -> Result<ReleaseView, ControlError> {
        read(actor)?;
        let state = self.state.lock().await;
        let r = state
            .releases
            .get(&id)
            .ok_or(ControlError::ReleaseNotFound)?;
        Ok(ReleaseView::new(&state, r))
    }

    pub async fn history(
        &self,
        actor: &Actor,
        id: ReleaseId,
    ) -> Result<Vec<HistoryView>, ControlError> {
        read(actor)?;
        if !self.state.lock().await.releases.contains_key(&id) {
            return Err(ControlError::ReleaseNotFound);
        }
        let history = self.store.history(id).await;
        let history = history.inspect_err(|_| self.metrics.store_error("history"))?;
        Ok(history.into_iter().map(HistoryView::from).collect())
    }

    /// The revision of the state this node serves.
    pub async fn revision(&self) -> u64 {
        self.state.lock().await.revision
    }
}

fn read(actor: &Actor) -> Result<(), ControlError> {
    if workflow::permits(actor.role, Operation::Read) {
        Ok(())
    } else {
        Err(ControlError::Forbidden { role: actor.role })
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
    for app in &batch.apps {
        tracing::info!(app = %app.id, revision = app.revision, "target app saved");
    }
    for v in &batch.versions {
        tracing::info!(actor = %v.created_by, mini_program = %v.mini_program, version = %v.version, revision = v.revision, "version uploaded");
    }
}
