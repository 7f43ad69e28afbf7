//! Report totals in the embedded store (SPEC §9): one row per release, added to by each
//! flush (about once a second, never per report), so a crash loses at most the last
//! unflushed second.

use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use super::EmbeddedStore;
use crate::model::ReleaseId;
use crate::reports::ArmCounts;
use crate::store::{StoreError, decode, encode, unavailable};

const REPORTS: TableDefinition<u64, &[u8]> = TableDefinition::new("reports");

impl EmbeddedStore {
    pub(super) fn write_reports(
        &self,
        deltas: &[(ReleaseId, ArmCounts)],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(unavailable)?;
        {
            let mut table = txn.open_table(REPORTS).map_err(unavailable)?;
            for (id, delta) in deltas {
                let mut total: ArmCounts = match table.get(id).map_err(unavailable)? {
                    Some(row) => decode(row.value())?,
                    None => ArmCounts::default(),
                };
                total.add(delta);
                table
                    .insert(id, encode(&total)?.as_slice())
                    .map_err(unavailable)?;
            }
        }
        txn.commit().map_err(unavailable)
    }

    pub(super) fn read_reports(&self, release: ReleaseId) -> Result<ArmCounts, StoreError> {
        let txn = self.db.begin_read().map_err(unavailable)?;
        let table = match txn.open_table(REPORTS) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(ArmCounts::default()),
            Err(e) => return Err(unavailable(e)),
        };
        match table.get(release).map_err(unavailable)? {
            Some(row) => decode(row.value()),
            None => Ok(ArmCounts::default()),
        }
    }
}
