//! The commit loop against a store where another writer commits just before each of
//! this node's commits: a stale base is restamped and the revisions in between are
//! read, never skipped; a real conflict is decided again.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::{Control, build_app};
use crate::metrics::Metrics;
use crate::model::{Actor, AppId, Env, EnvPolicyInput, HistoryEntry, ReleaseId, Role};
use crate::store::embedded::EmbeddedStore;
use crate::store::{Batch, Records, Store, StoreError};

/// An embedded store where `other` (another node's batch) commits first, once, and
/// reading changes fails while `changes_fail` is set.
pub(super) struct Interleaved {
    inner: EmbeddedStore,
    other: Mutex<Option<Batch>>,
    changes_fail: AtomicBool,
}

#[async_trait::async_trait]
impl Store for Interleaved {
    fn kind(&self) -> &'static str {
        "interleaved"
    }
    async fn load(&self) -> Result<Records, StoreError> {
        self.inner.load().await
    }
    async fn changes_since(&self, since: u64) -> Result<Records, StoreError> {
        if self.changes_fail.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("test: no catch-up".into()));
        }
        self.inner.changes_since(since).await
    }
    async fn revision(&self) -> Result<u64, StoreError> {
        self.inner.revision().await
    }
    async fn commit(&self, batch: Arc<Batch>) -> Result<(), StoreError> {
        let other = self.other.lock().map(|mut o| o.take()).ok().flatten();
        if let Some(other) = other {
            self.inner.commit(Arc::new(other)).await?;
        }
        self.inner.commit(batch).await
    }
    async fn history(&self, release: ReleaseId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.inner.history(release).await
    }
    async fn suspension_history(
        &self,
        app: &AppId,
        mp: &crate::model::MiniProgramId,
    ) -> Result<Vec<crate::model::SuspensionEvent>, StoreError> {
        self.inner.suspension_history(app, mp).await
    }
    async fn add_reports(
        &self,
        deltas: Vec<(ReleaseId, crate::reports::ArmCounts)>,
    ) -> Result<(), StoreError> {
        self.inner.add_reports(deltas).await
    }
    async fn reports(&self, release: ReleaseId) -> Result<crate::reports::ArmCounts, StoreError> {
        self.inner.reports(release).await
    }
    fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.subscribe()
    }
}

fn id(name: &str) -> AppId {
    AppId::parse(name).expect("app id")
}

fn envs() -> BTreeMap<Env, EnvPolicyInput> {
    BTreeMap::from([(Env::Production, EnvPolicyInput::default())])
}

/// Another node's batch on `base`, writing app `name`.
fn other_app(base: u64, name: &str) -> Batch {
    let mut batch = Batch::on(base);
    let app = build_app((id(name), envs()).into(), base + 1, 0).expect("app");
    batch.records.apps.push(app);
    batch
}

impl Interleaved {
    /// Lets `other` commit just before this node's next commit.
    pub(super) fn first_commit(store: &Interleaved, other: Batch) {
        *store.other.lock().expect("lock") = Some(other);
    }
}

/// A control plane on a fresh store that already holds app `first` at revision 1.
pub(super) async fn start_interleaved(dir: &tempfile::TempDir) -> (Control, Arc<Interleaved>) {
    control(dir).await
}

/// A control plane on a fresh store that already holds app `first` at revision 1.
async fn control(dir: &tempfile::TempDir) -> (Control, Arc<Interleaved>) {
    let inner = EmbeddedStore::open(&dir.path().join("store.db")).expect("open");
    let store = Arc::new(Interleaved {
        inner,
        other: Mutex::new(None),
        changes_fail: AtomicBool::new(false),
    });
    let metrics = Metrics::new();
    let cell = crate::snapshot::new_cell(&metrics);
    let control = Control::start(store.clone(), cell, metrics)
        .await
        .expect("start");
    control
        .ensure_apps(vec![(id("first"), envs())])
        .await
        .expect("first");
    (control, store)
}

fn names(apps: &[crate::model::TargetApp]) -> Vec<(&str, u64)> {
    apps.iter().map(|a| (a.id.as_str(), a.revision)).collect()
}

#[tokio::test]
async fn a_stale_base_is_restamped_and_the_revisions_between_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (control, store) = control(&dir).await;
    *store.other.lock().expect("lock") = Some(other_app(1, "other"));
    let made = control.ensure_apps(vec![(id("mine"), envs())]).await;
    assert_eq!(made.expect("not refused"), vec![id("mine")]);
    assert_eq!(
        control.revision().await,
        3,
        "restamped on 2, committed at 3"
    );
    let viewer = Actor::person("v", Role::Viewer);
    let apps = control.apps(&viewer).await.expect("apps");
    let expected = vec![("first", 1), ("mine", 3), ("other", 2)];
    assert_eq!(names(&apps), expected, "revision 2 was read, not skipped");
}

#[tokio::test]
async fn without_a_catch_up_the_replica_stays_at_what_it_fully_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (control, store) = control(&dir).await;
    *store.other.lock().expect("lock") = Some(other_app(1, "other"));
    store.changes_fail.store(true, Ordering::SeqCst);
    let made = control.ensure_apps(vec![(id("mine"), envs())]).await;
    assert_eq!(made.expect("committed"), vec![id("mine")]);
    assert_eq!(control.revision().await, 1, "revision 2 is not held yet");
    let viewer = Actor::person("v", Role::Viewer);
    let apps = control.apps(&viewer).await.expect("apps");
    assert_eq!(
        names(&apps),
        vec![("first", 1), ("mine", 3)],
        "the answer shows the write"
    );
    store.changes_fail.store(false, Ordering::SeqCst);
    assert_eq!(control.catch_up().await.expect("catch up"), 3);
    let apps = control.apps(&viewer).await.expect("apps");
    assert_eq!(names(&apps), vec![("first", 1), ("mine", 3), ("other", 2)]);
}

#[tokio::test]
async fn a_real_conflict_is_decided_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (control, store) = control(&dir).await;
    *store.other.lock().expect("lock") = Some(other_app(1, "mine"));
    let made = control.ensure_apps(vec![(id("mine"), envs())]).await;
    assert_eq!(
        made.expect("not refused"),
        vec![],
        "decided again: it exists now"
    );
    assert_eq!(
        control.revision().await,
        2,
        "only the other writer committed"
    );
}
