//! What the control plane answers reads with: records as they are at this node's
//! revision, and for releases the actions the workflow allows now. The admin API turns
//! them into its views.

use super::decide::require;
use super::{Control, ControlError};
use crate::model::{
    Action, Actor, AppId, Env, HistoryEntry, Millis, MiniProgramId, MiniProgramVersion, Release,
    ReleaseId, Status, TargetApp,
};
use crate::workflow::{Operation, allowed_actions};

/// Filters of `GET /v1/admin/releases`.
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    pub mini_program: Option<MiniProgramId>,
    pub app: Option<AppId>,
    pub env: Option<Env>,
    pub status: Option<Status>,
}

impl ReleaseFilter {
    fn admits(&self, r: &Release) -> bool {
        self.mini_program
            .as_ref()
            .is_none_or(|m| *m == r.mini_program)
            && self.app.as_ref().is_none_or(|a| *a == r.app)
            && self.env.is_none_or(|e| e == r.env)
            && self.status.is_none_or(|s| s == r.status)
    }
}

/// A release, the actions its status and facts allow now (rule 6), and when its plan's
/// next step will be applied as seen now.
#[derive(Debug, Clone)]
pub struct ReleaseInfo {
    pub release: Release,
    pub allowed_actions: Vec<Action>,
    pub next_step_at: Option<Millis>,
}

impl ReleaseInfo {
    fn new(state: &super::Replica, r: &Release, now: Millis) -> ReleaseInfo {
        let allowed_actions = state
            .facts(r, now)
            .map(|f| allowed_actions(&f))
            .unwrap_or_default();
        ReleaseInfo {
            release: r.clone(),
            allowed_actions,
            // A plan waiting for data steps when the data is there, not at a known time.
            next_step_at: r
                .plan
                .as_ref()
                .filter(|p| p.state == crate::model::PlanState::Running)
                .and_then(|p| p.next_step_at(now)),
        }
    }
}

impl Control {
    pub async fn apps(&self, actor: &Actor) -> Result<Vec<TargetApp>, ControlError> {
        require(actor, Operation::Read)?;
        Ok(self.state.lock().await.apps.values().cloned().collect())
    }

    pub async fn app(&self, actor: &Actor, id: &AppId) -> Result<TargetApp, ControlError> {
        require(actor, Operation::Read)?;
        let state = self.state.lock().await;
        state.apps.get(id).cloned().ok_or(ControlError::AppNotFound)
    }

    pub async fn versions(
        &self,
        actor: &Actor,
        mp: &MiniProgramId,
    ) -> Result<Vec<MiniProgramVersion>, ControlError> {
        require(actor, Operation::Read)?;
        let state = self.state.lock().await;
        let list = state.versions.iter().filter(|((m, _), _)| m == mp);
        Ok(list.map(|(_, v)| v.clone()).collect())
    }

    pub async fn releases(
        &self,
        actor: &Actor,
        filter: &ReleaseFilter,
    ) -> Result<Vec<ReleaseInfo>, ControlError> {
        require(actor, Operation::Read)?;
        let state = self.state.lock().await;
        let matching = state.releases.values().filter(|r| filter.admits(r));
        Ok(matching
            .map(|r| ReleaseInfo::new(&state, r, self.now()))
            .collect())
    }

    pub async fn release(&self, actor: &Actor, id: ReleaseId) -> Result<ReleaseInfo, ControlError> {
        require(actor, Operation::Read)?;
        let state = self.state.lock().await;
        let r = state
            .releases
            .get(&id)
            .ok_or(ControlError::ReleaseNotFound)?;
        Ok(ReleaseInfo::new(&state, r, self.now()))
    }

    pub async fn history(
        &self,
        actor: &Actor,
        id: ReleaseId,
    ) -> Result<Vec<HistoryEntry>, ControlError> {
        require(actor, Operation::Read)?;
        if !self.state.lock().await.releases.contains_key(&id) {
            return Err(ControlError::ReleaseNotFound);
        }
        let history = self.store.history(id).await;
        Ok(history.inspect_err(|_| self.metrics.store_error("history"))?)
    }

    /// The revision of the state this node serves.
    pub async fn revision(&self) -> u64 {
        self.state.lock().await.revision
    }
}
