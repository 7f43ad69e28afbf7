//! Suspensions by the super app (SPEC §11): a target app stops one mini program in every
//! one of its environments at once, whatever its releases' statuses. This module owns
//! the suspension in force, the stored record of a (target app, mini program)'s last
//! suspension change (which outlives a lift, so replicas learn of lifts too) and the
//! recorded suspend / unsuspend events.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AppId, Millis, MiniProgramId, Reason};

/// A suspension in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    pub reason: Reason,
    /// The actor's name: a reviewer's token name.
    pub by: String,
    pub at: Millis,
    /// The revision the suspension was committed at.
    pub revision: u64,
}

/// The stored state of one (target app, mini program): its last suspension change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspensionRecord {
    pub app: AppId,
    pub mini_program: MiniProgramId,
    /// The revision of the last change, a suspension or a lift: what catch-up reads by.
    pub revision: u64,
    /// The suspension in force; `None` once lifted. The record stays, so a node that
    /// catches up after a lift learns of it.
    pub active: Option<Suspension>,
}

/// What a suspension event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuspensionAction {
    Suspend,
    Unsuspend,
}

impl SuspensionAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SuspensionAction::Suspend => "suspend",
            SuspensionAction::Unsuspend => "unsuspend",
        }
    }
}

/// One recorded suspend or lift of a (target app, mini program) (SPEC §11: "recorded
/// actions with revisions").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspensionEvent {
    pub app: AppId,
    pub mini_program: MiniProgramId,
    pub revision: u64,
    pub at: Millis,
    /// The actor's name.
    pub actor: String,
    pub action: SuspensionAction,
    /// The suspension's reason; for a lift, the reason of the suspension it lifted.
    pub reason: Reason,
}
