//! Release statuses (SPEC §2) and what each one serves (SPEC §3): the one place that
//! says, for every status, whether it is in flight and on which channels it answers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::InvalidValue;

/// Release statuses in API spelling (SPEC §2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NewVersionCreated,
    UnderReview,
    PilotTesting,
    ReleasePreparation,
    GrayscaleRelease,
    FullRelease,
    /// `take_offline` under manual approval: still serving, in flight for rule 2 (§11).
    OfflineReview,
    Canceled,
    Archived,
    /// Taken offline (final): serves nobody.
    Offline,
    /// Rolled back to its predecessor (final): serves nobody (§11).
    RolledBack,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::NewVersionCreated,
        Status::UnderReview,
        Status::PilotTesting,
        Status::ReleasePreparation,
        Status::GrayscaleRelease,
        Status::FullRelease,
        Status::OfflineReview,
        Status::Canceled,
        Status::Archived,
        Status::Offline,
        Status::RolledBack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NewVersionCreated => "new_version_created",
            Status::UnderReview => "under_review",
            Status::PilotTesting => "pilot_testing",
            Status::ReleasePreparation => "release_preparation",
            Status::GrayscaleRelease => "grayscale_release",
            Status::FullRelease => "full_release",
            Status::OfflineReview => "offline_review",
            Status::Canceled => "canceled",
            Status::Archived => "archived",
            Status::Offline => "offline",
            Status::RolledBack => "rolled_back",
        }
    }

    /// In flight: at most one per (mini program, release target) at a time (rule 2).
    pub fn is_in_flight(self) -> bool {
        match self {
            Status::UnderReview
            | Status::PilotTesting
            | Status::ReleasePreparation
            | Status::GrayscaleRelease
            | Status::OfflineReview => true,
            Status::NewVersionCreated
            | Status::FullRelease
            | Status::Canceled
            | Status::Archived
            | Status::Offline
            | Status::RolledBack => false,
        }
    }
}

impl Status {
    /// A reviewer decides what happens next: `approve` by somebody other than the
    /// applicant, or `reject` (SPEC §2, §11).
    pub fn is_review(self) -> bool {
        matches!(self, Status::UnderReview | Status::OfflineReview)
    }
}

impl FromStr for Status {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| InvalidValue::new("status", format!("unknown status {s:?}")))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rule of SPEC §3 picked the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Pilot,
    Grayscale,
    Full,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Pilot => "pilot",
            Channel::Grayscale => "grayscale",
            Channel::Full => "full",
        }
    }
}

/// What a release in some status answers resolves with (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    /// Nobody gets this release.
    Nothing,
    /// Its pilot test group gets it (`pilot` channel).
    Pilot,
    /// Its pilot test group, then everybody whose bucket is under its percentage.
    PilotAndGrayscale,
    /// Everybody the route's in-flight release does not take (`full` channel).
    Full,
}

impl Status {
    /// Which channels a release in this status serves on; the snapshot is built from it.
    pub fn serving(self) -> Serving {
        match self {
            Status::PilotTesting => Serving::Pilot,
            Status::GrayscaleRelease => Serving::PilotAndGrayscale,
            // Under offline review it keeps serving until a reviewer approves (§11).
            Status::FullRelease | Status::OfflineReview => Serving::Full,
            Status::NewVersionCreated
            | Status::UnderReview
            | Status::ReleasePreparation
            | Status::Canceled
            | Status::Archived
            | Status::Offline
            | Status::RolledBack => Serving::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a status must sit in [`Status::ALL`]: a new status does not compile here
    /// until it is placed, and then this fails until `ALL` lists it.
    fn position(s: Status) -> usize {
        match s {
            Status::NewVersionCreated => 0,
            Status::UnderReview => 1,
            Status::PilotTesting => 2,
            Status::ReleasePreparation => 3,
            Status::GrayscaleRelease => 4,
            Status::FullRelease => 5,
            Status::OfflineReview => 6,
            Status::Canceled => 7,
            Status::Archived => 8,
            Status::Offline => 9,
            Status::RolledBack => 10,
        }
    }

    #[test]
    fn all_lists_every_status_once_in_api_spelling() {
        for (i, s) in Status::ALL.into_iter().enumerate() {
            assert_eq!(position(s), i, "{s} is out of place in Status::ALL");
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap_or_default(), s.as_str());
        }
    }

    #[test]
    fn only_pilot_grayscale_full_and_offline_review_serve() {
        let serving: Vec<_> = Status::ALL
            .into_iter()
            .filter(|s| s.serving() != Serving::Nothing)
            .collect();
        assert_eq!(
            serving,
            [
                Status::PilotTesting,
                Status::GrayscaleRelease,
                Status::FullRelease,
                Status::OfflineReview
            ]
        );
        assert_eq!(Status::OfflineReview.serving(), Serving::Full);
        assert!(Status::OfflineReview.is_in_flight());
        assert_eq!(
            Status::GrayscaleRelease.serving(),
            Serving::PilotAndGrayscale
        );
    }
}
