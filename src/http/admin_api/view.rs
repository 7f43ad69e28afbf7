//! How the admin API represents records (SPEC §4): the JSON views and their schemas.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::control::ReleaseInfo;
use crate::model::{
    Action, AppId, Env, EnvPolicy, HistoryEntry, Millis, MiniProgramId, MiniProgramVersion,
    Percentage, Plan, RawGuard, RawPlan, RawStep, RawTargeting, RawWindow, ReleaseConfig,
    ReleaseId, Status, TargetApp, Version, rfc3339,
};

/// A release as the admin API represents it (SPEC §4).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReleaseView {
    #[schema(value_type = u64)]
    pub id: ReleaseId,
    #[schema(value_type = MiniProgramId)]
    pub mini_program: String,
    #[schema(value_type = Version)]
    pub version: String,
    #[schema(value_type = AppId)]
    pub app: String,
    pub env: Env,
    pub status: Status,
    /// The grayscale percentage; 0 outside `grayscale_release`.
    pub percentage: Percentage,
    /// The release's bucketing salt (spec gr1): 16 lowercase hex characters.
    #[schema(pattern = "^[0-9a-f]{16}$")]
    pub salt: String,
    pub config: ReleaseConfig,
    /// Distinct user ids in the pilot test group.
    pub test_group_size: usize,
    /// The actions the workflow allows now (whoever the caller is).
    pub allowed_actions: Vec<Action>,
    /// The rollout plan (SPEC §8), null when none.
    pub plan: Option<PlanView>,
    /// The guard (SPEC §9), null when none.
    pub guard: Option<RawGuard>,
    /// The targeting (SPEC §10), null when none.
    pub targeting: Option<RawTargeting>,
    /// The full release this one archived on reaching `full_release`: what a `rollback`
    /// would restore (SPEC §11); null when none.
    #[schema(required = true)]
    pub predecessor: Option<ReleaseId>,
    /// The revision of the release's last change; send it back as `If-Match`.
    pub revision: u64,
    /// RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<ReleaseInfo> for ReleaseView {
    fn from(info: ReleaseInfo) -> ReleaseView {
        let r = info.release;
        ReleaseView {
            id: r.id,
            mini_program: r.mini_program.to_string(),
            version: r.version.to_string(),
            app: r.app.to_string(),
            env: r.env,
            status: r.status,
            percentage: r.percentage,
            salt: r.salt.to_string(),
            config: (*r.config).clone(),
            test_group_size: r.test_group_size,
            allowed_actions: info.allowed_actions,
            plan: r
                .plan
                .as_deref()
                .map(|p| PlanView::new(p, info.next_step_at)),
            guard: r.guard.map(RawGuard::from),
            targeting: r.targeting.as_deref().map(RawTargeting::from),
            predecessor: r.predecessor,
            revision: r.revision,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// A release's plan: its steps and window as set, and where it stands. Every key is
/// present, null where not set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    pub steps: Vec<RawStep>,
    pub window: Option<RawWindow>,
    #[schema(value_type = String, example = "running")]
    pub state: &'static str,
    /// The 0-based index of the last applied step; null before the start.
    pub step: Option<usize>,
    /// When the next step will be applied (after its hold, inside the window); null
    /// unless the plan is running. RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub next_step_at: Option<String>,
    /// Why the plan is halted or waiting.
    pub reason: Option<String>,
}

impl PlanView {
    fn new(plan: &Plan, next_step_at: Option<Millis>) -> PlanView {
        let RawPlan { steps, window } = RawPlan::from(&*plan.spec);
        PlanView {
            steps,
            window,
            state: plan.state.as_str(),
            step: plan.step,
            next_step_at: next_step_at.map(rfc3339),
            reason: plan.reason.clone(),
        }
    }
}

/// A target app and the effective policy of each environment it has.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppView {
    #[schema(value_type = AppId)]
    pub id: String,
    pub environments: BTreeMap<Env, EnvPolicy>,
    /// Whether `POST /v1/report` for this app needs its report token. The hash is not
    /// shown: a viewer has no need of it, and a leaked hash helps guess a weak token.
    pub report_token: bool,
    pub revision: u64,
    /// RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<TargetApp> for AppView {
    fn from(a: TargetApp) -> AppView {
        AppView {
            id: a.id.to_string(),
            environments: a.environments,
            report_token: a.report_token_sha256.is_some(),
            revision: a.revision,
            updated_at: rfc3339(a.updated_at),
        }
    }
}

/// An uploaded mini program version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    #[schema(value_type = MiniProgramId)]
    pub mini_program: String,
    #[schema(value_type = Version)]
    pub version: String,
    pub package_url: String,
    /// Lowercase hex SHA-256 of the package, when it was given.
    #[schema(required = true, pattern = "^[0-9a-f]{64}$")]
    pub sha256: Option<String>,
    /// The name of the token that uploaded it.
    pub created_by: String,
    /// RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub created_at: String,
    pub revision: u64,
}

impl From<MiniProgramVersion> for VersionView {
    fn from(v: MiniProgramVersion) -> VersionView {
        VersionView {
            mini_program: v.mini_program.to_string(),
            version: v.version.to_string(),
            package_url: v.package_url.to_string(),
            sha256: v.sha256.map(String::from),
            created_by: v.created_by,
            created_at: rfc3339(v.created_at),
            revision: v.revision,
        }
    }
}

/// One accepted action in a release's history (SPEC §2 rule 5).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryView {
    pub revision: u64,
    /// RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub at: String,
    /// The name of the token that acted.
    pub actor: String,
    /// An action of SPEC §2, or `archive` when a newer full release archived this release.
    pub action: Action,
    /// `null` for `create`.
    #[schema(required = true)]
    pub from: Option<Status>,
    pub to: Status,
    /// What the action carried (a percentage, a reason, …).
    #[schema(value_type = Object)]
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
