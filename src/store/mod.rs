//! Durable storage of control-plane state behind one trait, with the embedded (single
//! node) and Redis (many nodes) backends side by side.
//!
//! A store holds one global revision. Every accepted action becomes one [`Batch`]
//! committed atomically at the next revision. The batch names what its decision read
//! ([`Reads`]); when the store has moved past the batch's base, it checks those records
//! in the same atomic step: if none was written after the base the decision still holds
//! and the store answers [`StoreError::Stale`] (restamp on the current revision, commit
//! again); otherwise [`StoreError::Conflict`] (catch up, decide again). So writers on
//! different routes never refuse each other, and two writers never both win on what
//! they both read.

use std::sync::Arc;

use tokio::sync::watch;

use crate::reports::ArmCounts;

use crate::model::{
    AppId, HistoryEntry, IdsDropped, MiniProgramId, MiniProgramVersion, Release, ReleaseId,
    SuspensionEvent, SuspensionRecord, TargetApp, TestGroup,
};

mod batch;
pub mod embedded;
pub mod redis;

pub use batch::{
    Batch, Reads, Route, app_key, release_conflicts, release_key, route_key, suspension_key,
    version_key,
};

/// Records as a store holds them: everything, or what changed after a revision.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// The store's revision when the records were read.
    pub revision: u64,
    pub apps: Vec<TargetApp>,
    pub versions: Vec<MiniProgramVersion>,
    pub releases: Vec<Release>,
    pub test_groups: Vec<(ReleaseId, Arc<TestGroup>)>,
    /// Suspension states (SPEC §11), lifted ones included: a lift is a change too.
    pub suspensions: Vec<SuspensionRecord>,
}

/// Every way a store can fail.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A record the batch read was written after its base: catch up and decide again.
    #[error("revision conflict: batch based on {expected}, store at {actual}")]
    Conflict { expected: u64, actual: u64 },
    /// The store is at `current`, past the batch's base, but nothing the batch read
    /// changed: nothing was committed; restamp the batch on `current` and commit again.
    #[error("stale base: batch based on {base}, store at {current}")]
    Stale { base: u64, current: u64 },
    /// The store cannot be reached or cannot write now; nothing was committed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store holds data this version cannot read.
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
}

// Records are stored as JSON in both backends: readable with redis-cli, and tolerant
// of fields added later.
fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A batch that asks to write a test group whose ids are gone is a bug upstream, refused
/// before anything is written: never an empty group in the store.
impl From<IdsDropped> for StoreError {
    fn from(e: IdsDropped) -> StoreError {
        StoreError::Corrupt(e.to_string())
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Durable control-plane state shared by the nodes of one deployment.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is, for logs and `/readyz`.
    fn kind(&self) -> &'static str;

    /// Reads every record, for a cold start.
    async fn load(&self) -> Result<Records, StoreError>;

    /// Reads the records changed after revision `since`.
    async fn changes_since(&self, since: u64) -> Result<Records, StoreError>;

    /// The store's current revision; also proves the store is reachable.
    async fn revision(&self) -> Result<u64, StoreError>;

    /// Commits `batch` atomically and durably iff the store is still at
    /// `batch.base_revision`; the store is then at `batch.revision()`. Otherwise commits
    /// nothing and answers [`StoreError::Stale`] when no record the batch read (or
    /// writes) was written after its base, else [`StoreError::Conflict`].
    async fn commit(&self, batch: Arc<Batch>) -> Result<(), StoreError>;

    /// A release's history, oldest first.
    async fn history(&self, release: ReleaseId) -> Result<Vec<HistoryEntry>, StoreError>;

    /// The suspend and unsuspend events of one (target app, mini program), oldest first.
    async fn suspension_history(
        &self,
        app: &AppId,
        mini_program: &MiniProgramId,
    ) -> Result<Vec<SuspensionEvent>, StoreError>;

    /// Adds report deltas to the cluster-wide totals (SPEC §9): once per flush, from
    /// every node; additions commute, so nodes need no coordination.
    async fn add_reports(&self, deltas: Vec<(ReleaseId, ArmCounts)>) -> Result<(), StoreError>;

    /// The cluster-wide report totals of one release (zero if none were flushed).
    async fn reports(&self, release: ReleaseId) -> Result<ArmCounts, StoreError>;

    /// Revisions committed by any writer, as they become known (a single-node store
    /// only sees its own commits).
    fn subscribe(&self) -> watch::Receiver<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored release whose salt is not a salt is a corrupt store, never a default salt
    /// that would move every user to another bucket.
    #[test]
    fn a_bad_stored_salt_is_corrupt_not_defaulted() {
        let good = serde_json::json!({
            "id": 1, "mini_program": "mp-a", "version": "1.0.0", "app": "app", "env": "production",
            "status": "grayscale_release", "percentage": 10, "salt": "0123456789abcdef",
            "config": {}, "test_group_size": 0, "applied_by": null, "revision": 1,
            "created_at": 0, "updated_at": 0
        });
        let bytes = |v: &serde_json::Value| serde_json::to_vec(v).unwrap_or_default();
        let read = decode::<Release>(&bytes(&good)).map(|r| r.salt.to_string());
        assert_eq!(read.ok().as_deref(), Some("0123456789abcdef"));
        for bad in ["", "0000", "0123456789ABCDEF", "not-a-salt-at-all"] {
            let mut corrupt = good.clone();
            corrupt["salt"] = serde_json::json!(bad);
            let read = decode::<Release>(&bytes(&corrupt));
            assert!(
                matches!(read, Err(StoreError::Corrupt(_))),
                "{bad:?}: {read:?}"
            );
        }
    }
}
