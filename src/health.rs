//! What `/readyz` reports: whether this node has a snapshot and whether its store was
//! reachable at the last check. Written by the control plane's sync loop, read by both
//! listeners; plain atomics so the client listener never waits on the control plane.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct Health {
    store_kind: &'static str,
    store_ok: AtomicBool,
}

/// What `/readyz` answers (always with 200: a node that has started has a snapshot).
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: ReadyStatus,
    /// The store kind: `embedded` or `redis`.
    #[schema(value_type = String, example = "embedded")]
    pub store: &'static str,
    pub store_reachable: bool,
    /// The revision of the snapshot this node serves.
    pub revision: u64,
}

/// `ready`, or `degraded` while the store is unreachable and the last good snapshot serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadyStatus {
    Ready,
    Degraded,
}

/// What `/healthz` answers: the process is alive.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    pub status: LiveStatus,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LiveStatus {
    Alive,
}

impl Health {
    pub fn new(store_kind: &'static str) -> Health {
        Health {
            store_kind,
            store_ok: AtomicBool::new(true),
        }
    }

    pub fn store_reachable(&self, ok: bool) {
        self.store_ok.store(ok, Ordering::Relaxed);
    }

    pub fn readiness(&self, revision: u64) -> Readiness {
        let ok = self.store_ok.load(Ordering::Relaxed);
        Readiness {
            status: if ok {
                ReadyStatus::Ready
            } else {
                ReadyStatus::Degraded
            },
            store: self.store_kind,
            store_reachable: ok,
            revision,
        }
    }
}
