//! API representations of control-plane records (SPEC §4).

use std::collections::BTreeMap;

use serde::Serialize;

use super::state::State;
use crate::model::{Env, EnvPolicy, Percentage, Status, rfc3339};
use crate::release::{App, HistoryEntry, MiniProgramVersion, Release, ReleaseConfig, ReleaseId};
use crate::workflow::{Action, allowed_actions};

#[derive(Debug, Clone, Serialize)]
pub struct ReleaseView {
    pub id: ReleaseId,
    pub mini_program: String,
    pub version: String,
    pub app: String,
    pub env: Env,
    pub status: Status,
    pub percentage: Percentage,
    pub salt: String,
    pub config: ReleaseConfig,
    pub test_group_size: usize,
    pub allowed_actions: Vec<Action>,
    pub revision: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl ReleaseView {
    pub fn new(state: &State, r: &Release) -> ReleaseView {
        let allowed = state
            .facts(r)
            .map(|f| allowed_actions(&f))
            .unwrap_or_default();
        ReleaseView {
            id: r.id,
            mini_program: r.mini_program.to_string(),
            version: r.version.to_string(),
            app: r.app.to_string(),
            env: r.env,
            status: r.status,
            percentage: r.percentage,
            salt: r.salt.clone(),
            config: (*r.config).clone(),
            test_group_size: r.test_group_size,
            allowed_actions: allowed,
            revision: r.revision,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AppView {
    pub id: String,
    pub environments: BTreeMap<Env, EnvPolicy>,
    pub revision: u64,
    pub updated_at: String,
}

impl From<&App> for AppView {
    fn from(a: &App) -> AppView {
        AppView {
            id: a.id.to_string(),
            environments: a.environments.clone(),
            revision: a.revision,
            updated_at: rfc3339(a.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub mini_program: String,
    pub version: String,
    pub package_url: String,
    pub sha256: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub revision: u64,
}

impl From<&MiniProgramVersion> for VersionView {
    fn from(v: &MiniProgramVersion) -> VersionView {
        VersionView {
            mini_program: v.mini_program.to_string(),
            version: v.version.to_string(),
            package_url: v.package_url.clone(),
            sha256: v.sha256.clone(),
            created_by: v.created_by.clone(),
            created_at: rfc3339(v.created_at),
            revision: v.revision,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    pub revision: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from: Option<Status>,
    pub to: Status,
    pub details: serde_json::Value,
}

impl From<HistoryEntry> for HistoryView {
    fn from(h: HistoryEntry) -> HistoryView {
        HistoryView {
            revision: h.revision,
            at: rfc3339(h.at),
            actor: h.actor,
            action: h.action,
            from: h.from,
            to: h.to,
            details: h.details,
        }
    }
}
