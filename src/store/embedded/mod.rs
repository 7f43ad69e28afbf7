//! The single-node store: one redb file. redb gives ACID write transactions that are
//! fsynced before `commit` returns (`Durability::Immediate`), which is exactly rule 5's
//! "durable before acknowledged", and it locks the file so two processes cannot share it.
//! A batch off its base is checked against what it read inside the same write
//! transaction (see [`super::Store::commit`]).

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use tokio::sync::watch;

use crate::reports::ArmCounts;

use super::{
    Batch, Records, Store, StoreError, app_key, decode, encode, release_conflicts, unavailable,
    version_key,
};
use crate::model::{
    AppId, HistoryEntry, MiniProgramId, MiniProgramVersion, Release, ReleaseId, StoredLines,
    SuspensionEvent, TargetApp, TestGroup,
};

mod reports;
mod suspensions;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const APPS: TableDefinition<&str, &[u8]> = TableDefinition::new("apps");
const VERSIONS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("versions");
const RELEASES: TableDefinition<u64, &[u8]> = TableDefinition::new("releases");
/// Whole groups as one value each, as earlier versions wrote them: read, removed on the
/// next write of that group, never written.
const TEST_GROUPS: TableDefinition<u64, &[u8]> = TableDefinition::new("test_groups");
/// Groups as runs of whole lines of about [`GROUP_CHUNK_BYTES`], keyed (release, n).
const GROUP_CHUNKS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("test_group_chunks");
/// redb copies a large value into a buffer of its own on every write; glibc then keeps
/// such a freed multi-megabyte buffer in its heap (its mmap threshold rises to it), which
/// cost a node 16 MiB of resident memory for a 1,000,000-id group. Values of this size
/// stay in the allocator's ordinary reuse.
const GROUP_CHUNK_BYTES: usize = 64 * 1024;
const HISTORY: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("history");
const REVISION: &str = "revision";

/// A redb-backed [`Store`]. Cheap to clone.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    revisions: Arc<watch::Sender<u64>>,
}

impl EmbeddedStore {
    /// redb's page cache for [`EmbeddedStore::open`]; redb's own default is 1 GiB,
    /// which a gateway whose state lives in memory anyway does not need: the store is read
    /// at start and for history, and the cache serves the pages a commit touches. 32 MiB
    /// cost a node of 10,000 releases 10 MiB resident over 1 MiB (scripts/memory.py).
    pub const DEFAULT_CACHE_BYTES: usize = 2 * 1024 * 1024;

    /// Opens (creating if needed) the store file at `path`, and its parent directory.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_cache(path, Self::DEFAULT_CACHE_BYTES)
    }

    /// [`EmbeddedStore::open`] with a page cache of `cache_bytes`.
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let db = redb::Builder::new()
            .set_cache_size(cache_bytes)
            .create(path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        let txn = db.begin_write().map_err(unavailable)?;
        {
            // Create every table up front so readers never meet a missing one.
            txn.open_table(META).map_err(unavailable)?;
            txn.open_table(APPS).map_err(unavailable)?;
            txn.open_table(VERSIONS).map_err(unavailable)?;
            txn.open_table(RELEASES).map_err(unavailable)?;
            txn.open_table(TEST_GROUPS).map_err(unavailable)?;
            txn.open_table(GROUP_CHUNKS).map_err(unavailable)?;
            txn.open_table(HISTORY).map_err(unavailable)?;
            suspensions::create_tables(&txn)?;
        }
        txn.commit().map_err(unavailable)?;
        let store = EmbeddedStore {
            db: Arc::new(db),
            revisions: Arc::new(watch::channel(0).0),
        };
        let revision = store.read_revision()?;
        store.revisions.send_replace(revision);
        Ok(store)
    }

    fn read_revision(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(unavailable)?;
        let meta = txn.open_table(META).map_err(unavailable)?;
        Ok(meta
            .get(REVISION)
            .map_err(unavailable)?
            .map(|g| g.value())
            .unwrap_or(0))
    }

    fn read_records(&self, since: u64) -> Result<Records, StoreError> {
        let txn = self.db.begin_read().map_err(unavailable)?;
        let meta = txn.open_table(META).map_err(unavailable)?;
        let mut records = Records {
            revision: meta
                .get(REVISION)
                .map_err(unavailable)?
                .map(|g| g.value())
                .unwrap_or(0),
            ..Records::default()
        };
        for row in txn
            .open_table(APPS)
            .map_err(unavailable)?
            .iter()
            .map_err(unavailable)?
        {
            let app: crate::model::TargetApp = decode(row.map_err(unavailable)?.1.value())?;
            if app.revision > since {
                records.apps.push(app);
            }
        }
        for row in txn
            .open_table(VERSIONS)
            .map_err(unavailable)?
            .iter()
            .map_err(unavailable)?
        {
            let v: crate::model::MiniProgramVersion = decode(row.map_err(unavailable)?.1.value())?;
            if v.revision > since {
                records.versions.push(v);
            }
        }
        let legacy = txn.open_table(TEST_GROUPS).map_err(unavailable)?;
        let chunks = txn.open_table(GROUP_CHUNKS).map_err(unavailable)?;
        for row in txn
            .open_table(RELEASES)
            .map_err(unavailable)?
            .iter()
            .map_err(unavailable)?
        {
            let r: crate::model::Release = decode(row.map_err(unavailable)?.1.value())?;
            if r.revision <= since {
                continue;
            }
            if let Some(group) = read_group(&legacy, &chunks, r.id)? {
                records.test_groups.push((r.id, Arc::new(group)));
            }
            records.releases.push(r);
        }
        records.suspensions = suspensions::read_changed(&txn, since)?;
        Ok(records)
    }

    fn write_batch(&self, batch: &Batch) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(unavailable)?;
        {
            let mut meta = txn.open_table(META).map_err(unavailable)?;
            let actual = meta
                .get(REVISION)
                .map_err(unavailable)?
                .map(|g| g.value())
                .unwrap_or(0);
            if actual != batch.base_revision {
                return Err(off_base(&txn, batch, actual)?);
            }
            meta.insert(REVISION, batch.revision())
                .map_err(unavailable)?;
            let mut apps = txn.open_table(APPS).map_err(unavailable)?;
            for app in &batch.records.apps {
                apps.insert(app.id.as_str(), encode(app)?.as_slice())
                    .map_err(unavailable)?;
            }
            let mut versions = txn.open_table(VERSIONS).map_err(unavailable)?;
            for v in &batch.records.versions {
                let key = (v.mini_program.as_str(), v.version.as_str());
                versions
                    .insert(key, encode(v)?.as_slice())
                    .map_err(unavailable)?;
            }
            let mut releases = txn.open_table(RELEASES).map_err(unavailable)?;
            for r in &batch.records.releases {
                releases
                    .insert(r.id, encode(r)?.as_slice())
                    .map_err(unavailable)?;
            }
            let mut legacy = txn.open_table(TEST_GROUPS).map_err(unavailable)?;
            let mut chunks = txn.open_table(GROUP_CHUNKS).map_err(unavailable)?;
            for (id, group) in &batch.records.test_groups {
                write_group(&mut legacy, &mut chunks, *id, group)?;
            }
            let mut history = txn.open_table(HISTORY).map_err(unavailable)?;
            for h in &batch.history {
                let key = (h.release_id, h.revision);
                history
                    .insert(key, encode(h)?.as_slice())
                    .map_err(unavailable)?;
            }
            suspensions::write(&txn, batch)?;
        }
        // Durability::Immediate (the default): fsynced before commit returns.
        txn.commit().map_err(unavailable)
    }

    fn read_history(&self, release: ReleaseId) -> Result<Vec<HistoryEntry>, StoreError> {
        let txn = self.db.begin_read().map_err(unavailable)?;
        let table = txn.open_table(HISTORY).map_err(unavailable)?;
        let rows = table
            .range((release, 0)..=(release, u64::MAX))
            .map_err(unavailable)?;
        rows.map(|row| decode(row.map_err(unavailable)?.1.value()))
            .collect()
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(EmbeddedStore) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(store))
            .await
            .map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?
    }
}

/// Why `batch` cannot commit on a store at `actual`: [`StoreError::Stale`] when no
/// record it read was written after its base, else [`StoreError::Conflict`]. A scan of
/// every record, but only when two writers share one file, which the file lock makes a
/// matter of tests and tools.
fn off_base(txn: &WriteTransaction, batch: &Batch, actual: u64) -> Result<StoreError, StoreError> {
    let base = batch.base_revision;
    let conflict = StoreError::Conflict {
        expected: base,
        actual,
    };
    if actual < base {
        return Ok(conflict);
    }
    let keys = batch.read_keys();
    for row in txn
        .open_table(APPS)
        .map_err(unavailable)?
        .iter()
        .map_err(unavailable)?
    {
        let app: TargetApp = decode(row.map_err(unavailable)?.1.value())?;
        if app.revision > base && keys.contains(&app_key(&app.id)) {
            return Ok(conflict);
        }
    }
    let versions = txn.open_table(VERSIONS).map_err(unavailable)?;
    for row in versions.iter().map_err(unavailable)? {
        let v: MiniProgramVersion = decode(row.map_err(unavailable)?.1.value())?;
        if v.revision > base && keys.contains(&version_key(&v.mini_program, &v.version)) {
            return Ok(conflict);
        }
    }
    let releases = txn.open_table(RELEASES).map_err(unavailable)?;
    for row in releases.iter().map_err(unavailable)? {
        let r: Release = decode(row.map_err(unavailable)?.1.value())?;
        if r.revision > base && release_conflicts(&keys, &r) {
            return Ok(conflict);
        }
    }
    if suspensions::conflicts(txn, base, &keys)? {
        return Ok(conflict);
    }
    Ok(StoreError::Stale {
        base,
        current: actual,
    })
}

/// A release's stored group: its chunks, or else a whole group an earlier version wrote.
fn read_group(
    legacy: &impl ReadableTable<u64, &'static [u8]>,
    chunks: &impl ReadableTable<(u64, u32), &'static [u8]>,
    id: ReleaseId,
) -> Result<Option<TestGroup>, StoreError> {
    let corrupt = |e: crate::model::InvalidValue| StoreError::Corrupt(e.to_string());
    let mut rows = chunks
        .range((id, 0)..=(id, u32::MAX))
        .map_err(unavailable)?
        .peekable();
    if rows.peek().is_none() {
        return match legacy.get(id).map_err(unavailable)? {
            Some(bytes) => TestGroup::from_lines(bytes.value())
                .map(Some)
                .map_err(corrupt),
            None => Ok(None),
        };
    }
    let mut reader = StoredLines::new();
    for row in rows {
        reader
            .feed(row.map_err(unavailable)?.1.value())
            .map_err(corrupt)?;
    }
    reader.finish().map(Some).map_err(corrupt)
}

/// Replaces a release's stored group by `group`'s ids, in chunks.
fn write_group(
    legacy: &mut redb::Table<u64, &'static [u8]>,
    chunks: &mut redb::Table<(u64, u32), &'static [u8]>,
    id: ReleaseId,
    group: &TestGroup,
) -> Result<(), StoreError> {
    let lines = group.to_lines()?;
    legacy.remove(id).map_err(unavailable)?;
    chunks
        .retain_in((id, 0)..=(id, u32::MAX), |_, _| false)
        .map_err(unavailable)?;
    for (n, chunk) in TestGroup::line_chunks(lines, GROUP_CHUNK_BYTES).enumerate() {
        let n = u32::try_from(n).map_err(|_| StoreError::Corrupt("test group too large".into()))?;
        chunks.insert((id, n), chunk).map_err(unavailable)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl Store for EmbeddedStore {
    fn kind(&self) -> &'static str {
        "embedded"
    }

    async fn load(&self) -> Result<Records, StoreError> {
        self.blocking(|s| s.read_records(0)).await
    }

    async fn changes_since(&self, since: u64) -> Result<Records, StoreError> {
        self.blocking(move |s| s.read_records(since)).await
    }

    async fn revision(&self) -> Result<u64, StoreError> {
        self.blocking(|s| s.read_revision()).await
    }

    async fn commit(&self, batch: Arc<Batch>) -> Result<(), StoreError> {
        let revision = batch.revision();
        self.blocking(move |s| s.write_batch(&batch)).await?;
        self.revisions.send_replace(revision);
        Ok(())
    }

    async fn add_reports(&self, deltas: Vec<(ReleaseId, ArmCounts)>) -> Result<(), StoreError> {
        self.blocking(move |s| s.write_reports(&deltas)).await
    }

    async fn reports(&self, release: ReleaseId) -> Result<ArmCounts, StoreError> {
        self.blocking(move |s| s.read_reports(release)).await
    }

    async fn history(&self, release: ReleaseId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.blocking(move |s| s.read_history(release)).await
    }

    async fn suspension_history(
        &self,
        app: &AppId,
        mini_program: &MiniProgramId,
    ) -> Result<Vec<SuspensionEvent>, StoreError> {
        let (app, mp) = (app.clone(), mini_program.clone());
        self.blocking(move |s| s.read_suspension_history(&app, &mp))
            .await
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.revisions.subscribe()
    }
}

#[cfg(test)]
mod tests;
