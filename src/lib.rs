//! graygate: a grayscale rollout gateway for mini programs hosted by super apps.
//!
//! Layout, in the order dependencies point (each module uses only those above it, and
//! `scripts/check_imports.py` checks it):
//! - [`bucket`]: the "gr1" bucketing spec and nothing else.
//! - [`model`]: the domain: validated values (ids, salts, environments, percentages,
//!   statuses and what each serves, actions, roles and actors, policies) and the records
//!   (target apps, versions, releases, test groups, rollout plans, history entries).
//! - [`workflow`]: the one pure release state machine, `(status, command) -> Transition`,
//!   what each action does to a rollout plan, and the permission table.
//! - [`guard`]: the guarded rollout's sequential test: pure statistics, no I/O, no clock.
//! - [`reports`]: per-release tallies of client health reports, bound by the snapshot and
//!   drained into the store's cluster-wide totals.
//! - [`metrics`]: the Prometheus registry and the handles the hot path increments.
//! - [`snapshot`]: the immutable routing table the hot path answers from: resolve and
//!   explain for a [`snapshot::Subject`], precomputed answers.
//! - [`store`]: durable storage behind one trait; embedded (redb) and Redis backends.
//! - [`control`]: decide → commit through the store → apply to the in-memory replica →
//!   publish a new snapshot, for people and the gateway's own actors alike; the plan
//!   scheduler every node runs, with an injected clock.
//! - [`served_history`]: per-minute answers per version over the last 24 h, sampled
//!   from the `served_total` counters for the console's split chart.
//! - [`health`]: what `/readyz` reports.
//! - [`config`]: the TOML file, `GRAYGATE_*` overrides, validation with key paths.
//! - [`http`]: both listeners: the client API (snapshot only), the admin API with its
//!   access table and views, the one error map, the OpenAPI description.
//! - [`server`]: start-up, the store sync loop, the plan scheduler task and graceful
//!   shutdown.
//! - [`cli`]: `graygate release …`, `explain` and `hash-token`, the operator CLI over the
//!   admin API.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod bucket;
pub mod cli;
pub mod config;
pub mod control;
pub mod guard;
pub mod health;
pub mod http;
pub mod metrics;
pub mod model;
pub mod reports;
pub mod served_history;
pub mod server;
pub mod snapshot;
pub mod store;
pub mod workflow;
