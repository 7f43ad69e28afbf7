//! Report totals in Redis (SPEC §9): a hash per release, `{ns}:reports:{id}`, with one
//! field per arm and outcome (`candidate:error`, …). Every node adds its deltas with one
//! pipelined call of `HINCRBY`s per flush; additions commute, so nodes never conflict.

use std::collections::HashMap;

use super::RedisStore;
use crate::guard::Counts;
use crate::model::ReleaseId;
use crate::reports::{Arm, ArmCounts};
use crate::store::{StoreError, unavailable};

fn field(arm: Arm, outcome: &str) -> String {
    format!("{}:{outcome}", arm.as_str())
}

impl RedisStore {
    pub(super) async fn write_reports(
        &self,
        deltas: &[(ReleaseId, ArmCounts)],
    ) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        let mut commands = 0;
        for (id, delta) in deltas {
            let key = self.key(&format!("reports:{id}"));
            for arm in Arm::ALL {
                let c = delta.arm(arm);
                for (outcome, n) in [("ok", c.ok), ("error", c.error)]
                    .into_iter()
                    .filter(|(_, n)| *n > 0)
                {
                    commands += 1;
                    pipe.cmd("HINCRBY")
                        .arg(&key)
                        .arg(field(arm, outcome))
                        .arg(n)
                        .ignore();
                }
            }
        }
        if commands == 0 {
            return Ok(()); // Redis refuses an empty pipeline
        }
        let mut conn = self.conn.clone();
        pipe.query_async::<()>(&mut conn).await.map_err(unavailable)
    }

    pub(super) async fn read_reports(&self, release: ReleaseId) -> Result<ArmCounts, StoreError> {
        let mut conn = self.conn.clone();
        let fields: HashMap<String, u64> = redis::cmd("HGETALL")
            .arg(self.key(&format!("reports:{release}")))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let get = |arm, outcome| fields.get(&field(arm, outcome)).copied().unwrap_or(0);
        let counts = |arm| Counts {
            ok: get(arm, "ok"),
            error: get(arm, "error"),
        };
        Ok(ArmCounts {
            pilot: counts(Arm::Pilot),
            candidate: counts(Arm::Candidate),
            control: counts(Arm::Control),
        })
    }
}
