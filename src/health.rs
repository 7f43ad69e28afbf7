//! What `/readyz` reports: whether this node has a snapshot and whether its store was
//! reachable at the last check. Written by the control plane's sync loop, read by both
//! listeners; plain atomics so the client listener never waits on the control plane.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;

#[derive(Debug)]
pub struct Health {
    store_kind: &'static str,
    store_ok: AtomicBool,
    /// Milliseconds since the epoch of the last successful store contact.
    store_seen_at: AtomicU64,
}

#[derive(Debug, Serialize)]
pub struct Readiness {
    /// `ready`, or `degraded` while the store is unreachable and the last good snapshot serves.
    pub status: &'static str,
    pub store: &'static str,
    pub store_reachable: bool,
    pub revision: u64,
}

impl Health {
    pub fn new(store_kind: &'static str) -> Health {
        Health {
            store_kind,
            store_ok: AtomicBool::new(true),
            store_seen_at: AtomicU64::new(crate::model::now_millis().max(0) as u64),
        }
    }

    pub fn store_reachable(&self, ok: bool) {
        self.store_ok.store(ok, Ordering::Relaxed);
        if ok {
            self.store_seen_at
                .store(crate::model::now_millis().max(0) as u64, Ordering::Relaxed);
        }
    }

    pub fn readiness(&self, revision: u64) -> Readiness {
        let ok = self.store_ok.load(Ordering::Relaxed);
        Readiness {
            status: if ok { "ready" } else { "degraded" },
            store: self.store_kind,
            store_reachable: ok,
            revision,
        }
    }
}
