//! Many nodes on one Redis (SPEC §7, README "Deployment"), against the real `graygate`
//! binary: a write acknowledged by one node reaches the other's resolves; two nodes
//! writing at the same instant never both win and never overwrite each other silently;
//! many writers on different routes are never refused (`contention`); a Redis outage leaves resolves served, refuses writes with 503 `store_unavailable`
//! and heals by itself; a new node cold-starts from Redis alone; a node that gets no
//! change notification catches up through the periodic revision check; a node says at
//! start whether its Redis keeps acknowledged writes.
//!
//! Redis is `REDIS_URL` (default `redis://127.0.0.1:6379`); the outage scenarios run a
//! private `redis-server` (`REDIS_SERVER`, default from `PATH`) on a free port. Without
//! them the tests skip with a printed reason, or fail when `GRAYGATE_REQUIRE_REDIS=1`.
//! Every test works in a random namespace of its own and deletes its keys at the end.
//! Measured latencies are printed (`cargo test --test redis_nodes -- --nocapture`).
//! `consistency` holds regression tests of cross-node guarantees that once failed.

mod common;

#[path = "redis_nodes/support.rs"]
mod support;

#[path = "redis_nodes/catch_up.rs"]
mod catch_up;
#[path = "redis_nodes/conflicts.rs"]
mod conflicts;
#[path = "redis_nodes/consistency.rs"]
mod consistency;
#[path = "redis_nodes/contention.rs"]
mod contention;
#[path = "redis_nodes/durability.rs"]
mod durability;
#[path = "redis_nodes/outage.rs"]
mod outage;
#[path = "redis_nodes/propagation.rs"]
mod propagation;
