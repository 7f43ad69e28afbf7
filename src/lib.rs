//! graygate: a grayscale rollout gateway for mini programs hosted by super apps.
//!
//! Layout:
//! - [`model`]: validated domain values (ids, environments, percentages, statuses, roles).
//! - [`bucket`]: the "gr1" bucketing spec.
//! - [`workflow`]: the pure release state machine and the permission table.
//! - [`release`]: the records: target apps, versions, releases, test groups, history.
//! - [`store`]: durable storage behind one trait; embedded (redb) and Redis backends.
//! - [`cli`]: `graygate release …`, the operator CLI over the admin API.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod bucket;
pub mod cli;
pub mod config;
pub mod control;
pub mod health;
pub mod http;
pub mod metrics;
pub mod model;
pub mod server;
pub mod snapshot;
pub mod store;
pub mod workflow;
