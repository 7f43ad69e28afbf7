//! Suspensions in the embedded store (SPEC §11): one row per (target app, mini program)
//! holding its last suspension change (a lift stays as a row without a suspension, so
//! `changes_since` conveys it), and the events keyed (app, mini program, revision),
//! written in the batch's own write transaction.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::EmbeddedStore;
use crate::model::{AppId, MiniProgramId, SuspensionEvent, SuspensionRecord};
use crate::store::{Batch, StoreError, decode, encode, suspension_key, unavailable};

const SUSPENSIONS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("suspensions");
const SUSPENSION_HISTORY: TableDefinition<(&str, &str, u64), &[u8]> =
    TableDefinition::new("suspension_history");

/// Creates the tables, so readers never meet a missing one.
pub(super) fn create_tables(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(SUSPENSIONS).map_err(unavailable)?;
    txn.open_table(SUSPENSION_HISTORY).map_err(unavailable)?;
    Ok(())
}

/// The suspension records changed after `since`.
pub(super) fn read_changed(
    txn: &ReadTransaction,
    since: u64,
) -> Result<Vec<SuspensionRecord>, StoreError> {
    let table = txn.open_table(SUSPENSIONS).map_err(unavailable)?;
    let mut changed = Vec::new();
    for row in table.iter().map_err(unavailable)? {
        let record: SuspensionRecord = decode(row.map_err(unavailable)?.1.value())?;
        if record.revision > since {
            changed.push(record);
        }
    }
    Ok(changed)
}

/// Writes the batch's suspension records and events.
pub(super) fn write(txn: &WriteTransaction, batch: &Batch) -> Result<(), StoreError> {
    let mut table = txn.open_table(SUSPENSIONS).map_err(unavailable)?;
    for s in &batch.records.suspensions {
        let key = (s.app.as_str(), s.mini_program.as_str());
        table
            .insert(key, encode(s)?.as_slice())
            .map_err(unavailable)?;
    }
    let mut history = txn.open_table(SUSPENSION_HISTORY).map_err(unavailable)?;
    for e in &batch.suspension_history {
        let key = (e.app.as_str(), e.mini_program.as_str(), e.revision);
        history
            .insert(key, encode(e)?.as_slice())
            .map_err(unavailable)?;
    }
    Ok(())
}

/// Whether a suspension the batch read was changed after `base` (see `off_base`).
pub(super) fn conflicts(
    txn: &WriteTransaction,
    base: u64,
    keys: &std::collections::BTreeSet<String>,
) -> Result<bool, StoreError> {
    let table = txn.open_table(SUSPENSIONS).map_err(unavailable)?;
    for row in table.iter().map_err(unavailable)? {
        let s: SuspensionRecord = decode(row.map_err(unavailable)?.1.value())?;
        if s.revision > base && keys.contains(&suspension_key(&s.app, &s.mini_program)) {
            return Ok(true);
        }
    }
    Ok(false)
}

impl EmbeddedStore {
    pub(super) fn read_suspension_history(
        &self,
        app: &AppId,
        mp: &MiniProgramId,
    ) -> Result<Vec<SuspensionEvent>, StoreError> {
        let txn = redb::ReadableDatabase::begin_read(&*self.db).map_err(unavailable)?;
        let table = txn.open_table(SUSPENSION_HISTORY).map_err(unavailable)?;
        let (app, mp) = (app.as_str(), mp.as_str());
        let rows = table
            .range((app, mp, 0)..=(app, mp, u64::MAX))
            .map_err(unavailable)?;
        rows.map(|row| decode(row.map_err(unavailable)?.1.value()))
            .collect()
    }
}
