//! The domain (SPEC §1–§4): validated values (identifiers, environments, percentages,
//! statuses and channels, actions, roles and actors, target-app policies) and the
//! records built from them (target apps, versions, releases, history). A value of these
//! types is valid by construction; raw strings are parsed once at the edge.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod action;
mod actor;
mod app;
mod guard;
mod id;
mod percentage;
mod plan;
mod policy;
mod release;
mod status;
mod suspension;
mod targeting;
mod test_group;
mod token;

pub use action::Action;
pub use actor::{Actor, SYSTEM_PREFIX, SystemActor};
pub use app::{MiniProgramVersion, TargetApp};
pub use guard::{Finding, Guard, OnRegression, RawGuard};
pub use id::{
    AppId, MAX_REASON_CHARS, MiniProgramId, PackageUrl, Reason, ReleaseId, Salt, Sha256, UserId,
    Version, check_ident, check_user_id,
};
pub use percentage::{GrayscalePercentage, Percentage};
pub use plan::{
    Hold, MAX_STEPS, Plan, PlanSpec, PlanState, RawPlan, RawStep, RawWindow, Step, Window,
};
pub use policy::{Approval, EnvPolicy, EnvPolicyInput};
pub use release::{HistoryEntry, MAX_CONFIG_BYTES, MAX_TEST_GROUP, Release, ReleaseConfig};
pub use status::{Channel, Serving, Status};
pub use suspension::{Suspension, SuspensionAction, SuspensionEvent, SuspensionRecord};
pub use targeting::{
    DottedVersion, MAX_RULES, MAX_VALUES, Op, RawRule, RawTargeting, Rule, RuleCheck, Targeting,
    VersionRef, check_attribute_name, check_attribute_value, short_eq,
};
pub(crate) use test_group::UploadVisitor;
pub use test_group::{CompactSet, HASH_SEED, IdsDropped, StoredLines, TestGroup, TestGroupUpload};
pub use token::TokenSha256;

/// Why a raw value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidValue {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// An isolated instance of a target app.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Env {
    Development,
    Test,
    Sandbox,
    Production,
}

impl Env {
    pub const ALL: [Env; 4] = [Env::Development, Env::Test, Env::Sandbox, Env::Production];

    pub fn as_str(self) -> &'static str {
        match self {
            Env::Development => "development",
            Env::Test => "test",
            Env::Sandbox => "sandbox",
            Env::Production => "production",
        }
    }
}

impl FromStr for Env {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        Env::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| {
                InvalidValue::new("env", "must be development, test, sandbox or production")
            })
    }
}

impl fmt::Display for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Token roles: `viewer` < `developer` < `admin`, and `reviewer` for the super-app side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Developer,
    Admin,
    Reviewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Developer, Role::Admin, Role::Reviewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Developer => "developer",
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Milliseconds since the Unix epoch, rendered as RFC 3339 in the API.
pub type Millis = i64;

pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-25T16:34:47.100Z`.
pub fn rfc3339(ms: Millis) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
