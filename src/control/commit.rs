//! The commit loop, the one way a decided batch reaches the store. A stale base (other
//! writers moved the global revision, but nothing the decision read) is restamped and
//! committed again without deciding again; a real conflict catches up and decides again.
//! Both pause briefly with jitter first, so racing nodes spread out. A write answers 503
//! only when the store fails, or when it has raced for [`COMMIT_BUDGET`].

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::replica::Replica;
use super::{Control, ControlError, log_batch};
use crate::store::{Batch, StoreError};

/// How long a write keeps losing races before it answers 503: far beyond what writers
/// on one route need to take turns, so only a store that cannot keep up refuses.
const COMMIT_BUDGET: Duration = Duration::from_secs(5);

impl Control {
    /// Decides with `plan`, commits, applies and publishes, deciding again after a real
    /// conflict. Returns whether anything was committed.
    pub(super) async fn commit<F>(&self, mut plan: F) -> Result<bool, ControlError>
    where
        F: FnMut(&Replica) -> Result<Option<Batch>, ControlError>,
    {
        let deadline = Instant::now() + COMMIT_BUDGET;
        let mut state = self.state.lock().await;
        let mut rechecked = false;
        let mut conflicts = 0;
        while Instant::now() < deadline {
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
            match self.commit_decided(&mut state, batch, deadline).await {
                Ok(()) => return Ok(true),
                Err(StoreError::Conflict { .. }) => {
                    self.metrics.commit_retry("conflict");
                    self.catch_up_locked(&mut state).await?;
                    conflicts += 1;
                    tokio::time::sleep(backoff(conflicts, Duration::from_millis(1))).await;
                }
                Err(StoreError::Stale { .. }) => break,
                Err(e) => {
                    self.metrics.store_error("commit");
                    return Err(e.into());
                }
            }
        }
        Err(StoreError::Unavailable("too many concurrent writers; try again".into()).into())
    }

    /// Commits one decision, restamping it on every newer base the store reports while
    /// nothing it read has changed (until `deadline`, then the last `Stale` is returned).
    async fn commit_decided(
        &self,
        state: &mut Replica,
        batch: Batch,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let mut batch = Arc::new(batch);
        let mut restamps = 0;
        loop {
            match self.store.commit(Arc::clone(&batch)).await {
                Ok(()) => {
                    self.committed(state, &batch).await;
                    return Ok(());
                }
                Err(StoreError::Stale { current, .. }) if Instant::now() < deadline => {
                    self.metrics.commit_retry("stale_base");
                    Arc::make_mut(&mut batch).restamp(current);
                    restamps += 1;
                    tokio::time::sleep(backoff(restamps, Duration::from_micros(100))).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Brings the replica to the committed batch. When the batch was restamped over
    /// other writers' revisions, the replica reads those too, so it never skips one.
    async fn committed(&self, state: &mut Replica, batch: &Batch) {
        log_batch(batch);
        if batch.base_revision == state.revision {
            let changed = state.apply(batch);
            self.publish(state, changed);
            return;
        }
        if let Err(e) = self.catch_up_locked(state).await {
            // The batch is durable and the answer must show it: merge it, but leave the
            // replica at the revision it fully holds, so the next catch-up (the revision
            // check retries) reads everything after it; the snapshot waits for that.
            tracing::warn!(error = %e, revision = batch.revision(), "committed, but cannot catch up yet");
            let revision = state.revision;
            state.apply(batch);
            state.revision = revision;
        }
    }

    /// Whether the store has revisions this node has not applied yet.
    async fn store_is_ahead(&self, state: &Replica) -> bool {
        matches!(self.store.revision().await, Ok(r) if r > state.revision)
    }

    /// Reads what other writers committed and publishes it.
    pub async fn catch_up(&self) -> Result<u64, ControlError> {
        let mut state = self.state.lock().await;
        self.catch_up_locked(&mut state).await?;
        Ok(state.revision)
    }

    pub(super) async fn catch_up_locked(&self, state: &mut Replica) -> Result<(), ControlError> {
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
}

/// A random pause below `first << attempt` (at most 64 × `first`): full jitter, so
/// writers that collided once do not collide again in lockstep.
fn backoff(attempt: u32, first: Duration) -> Duration {
    let ceiling = first * (1 << attempt.min(6));
    let clock = || {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.map_or(0, |d| u64::from(d.subsec_nanos()))
    };
    let draw = getrandom::u64().unwrap_or_else(|_| clock());
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(draw % nanos.max(1))
}
