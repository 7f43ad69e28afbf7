//! The names of everything that can happen to a release (SPEC §2), in API spelling: the
//! workflow's commands, `create`, and `archive`, the effect rule 3 records on the release
//! a newer full release replaces. `workflow::Command` carries the payloads; this is the
//! name its history entries, metrics, permissions and API answers use.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every action of SPEC §2, in API spelling.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    EditConfig,
    SetTestGroup,
    Apply,
    Withdraw,
    Approve,
    Reject,
    CompleteTesting,
    GoLive,
    Cancel,
    SetPlan,
    RemovePlan,
    Pause,
    Resume,
    SetGuard,
    RemoveGuard,
    SetTargeting,
    /// The guard halted the plan on a regression (`system:guard` only).
    Halt,
    /// The plan gate closed: the guard lacks samples (`system:plan` only).
    WaitForData,
    /// Takes a full release offline, through review where approval is manual (§11).
    TakeOffline,
    /// Restores the predecessor a full release archived; the release is rolled back (§11).
    Rollback,
    /// Recorded on the previous full release when a newer one reaches `full_release`
    /// (rule 3); nobody requests it.
    Archive,
    /// Recorded on the predecessor a `rollback` brings back from `archived`; nobody
    /// requests it.
    Restore,
}

impl Action {
    /// Every variant, in the order `allowed_actions` lists them.
    pub const ALL: [Action; 23] = [
        Action::Create,
        Action::EditConfig,
        Action::SetTestGroup,
        Action::Apply,
        Action::Withdraw,
        Action::Approve,
        Action::Reject,
        Action::CompleteTesting,
        Action::GoLive,
        Action::Cancel,
        Action::SetPlan,
        Action::RemovePlan,
        Action::Pause,
        Action::Resume,
        Action::SetGuard,
        Action::RemoveGuard,
        Action::SetTargeting,
        Action::Halt,
        Action::WaitForData,
        Action::TakeOffline,
        Action::Rollback,
        Action::Archive,
        Action::Restore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::EditConfig => "edit_config",
            Action::SetTestGroup => "set_test_group",
            Action::Apply => "apply",
            Action::Withdraw => "withdraw",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::CompleteTesting => "complete_testing",
            Action::GoLive => "go_live",
            Action::Cancel => "cancel",
            Action::SetPlan => "set_plan",
            Action::RemovePlan => "remove_plan",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::SetGuard => "set_guard",
            Action::RemoveGuard => "remove_guard",
            Action::SetTargeting => "set_targeting",
            Action::Halt => "halt",
            Action::WaitForData => "wait_for_data",
            Action::TakeOffline => "take_offline",
            Action::Rollback => "rollback",
            Action::Archive => "archive",
            Action::Restore => "restore",
        }
    }

    /// Whether the action is requested as `POST /v1/admin/releases/{id}/{action}`; the
    /// others have routes of their own (create, config, test group) or none (archive).
    pub fn is_posted(self) -> bool {
        match self {
            Action::Apply
            | Action::Withdraw
            | Action::Approve
            | Action::Reject
            | Action::CompleteTesting
            | Action::GoLive
            | Action::Cancel
            | Action::Pause
            | Action::Resume
            | Action::TakeOffline
            | Action::Rollback => true,
            Action::Create
            | Action::EditConfig
            | Action::SetTestGroup
            | Action::SetPlan
            | Action::RemovePlan
            | Action::SetGuard
            | Action::RemoveGuard
            | Action::SetTargeting
            | Action::Halt
            | Action::WaitForData
            | Action::Archive
            | Action::Restore => false,
        }
    }

    /// The action a `POST /v1/admin/releases/{id}/{action}` path segment names.
    pub fn from_path(segment: &str) -> Option<Action> {
        Self::posted().find(|a| a.as_str() == segment)
    }

    /// The actions [`Action::is_posted`] admits, in order.
    pub fn posted() -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(|a| a.is_posted())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a variant must sit in [`Action::ALL`]; a new variant does not compile here
    /// until it is given a place, and then the test fails until `ALL` lists it.
    fn position(a: Action) -> usize {
        match a {
            Action::Create => 0,
            Action::EditConfig => 1,
            Action::SetTestGroup => 2,
            Action::Apply => 3,
            Action::Withdraw => 4,
            Action::Approve => 5,
            Action::Reject => 6,
            Action::CompleteTesting => 7,
            Action::GoLive => 8,
            Action::Cancel => 9,
            Action::SetPlan => 10,
            Action::RemovePlan => 11,
            Action::Pause => 12,
            Action::Resume => 13,
            Action::SetGuard => 14,
            Action::RemoveGuard => 15,
            Action::SetTargeting => 16,
            Action::Halt => 17,
            Action::WaitForData => 18,
            Action::TakeOffline => 19,
            Action::Rollback => 20,
            Action::Archive => 21,
            Action::Restore => 22,
        }
    }

    #[test]
    fn all_lists_every_variant_once() {
        for (i, a) in Action::ALL.into_iter().enumerate() {
            assert_eq!(position(a), i, "{a} is out of place in Action::ALL");
        }
        let names: std::collections::BTreeSet<_> = Action::ALL.map(Action::as_str).into();
        assert_eq!(names.len(), Action::ALL.len(), "API names are distinct");
        for a in Action::ALL {
            let json = serde_json::to_value(a).unwrap_or_default();
            assert_eq!(json, a.as_str(), "serde and as_str agree");
        }
    }

    #[test]
    fn path_segments_name_only_posted_actions() {
        for a in Action::ALL {
            assert_eq!(
                Action::from_path(a.as_str()).is_some(),
                a.is_posted(),
                "{a}"
            );
        }
        assert_eq!(Action::from_path("golive"), None);
    }
}
