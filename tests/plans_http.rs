//! Rollout plans (SPEC §8) over HTTP, against the real `graygate` binary with 1–4 s
//! holds: a plan runs by itself to `full_release` (`progression`), pauses and resumes
//! (`pause`), starts above the current percentage, may end in grayscale, waits for its
//! window and is settable where the status allows (`lifecycle`), refuses what the spec
//! refuses (`refusals`), survives `kill -9` (`durability`) and runs exactly once across
//! two nodes on Redis (`nodes`).
//!
//! Timing: SPEC §8 promises a step within 1 s of falling due; the tests allow
//! `support::SLACK` on top for CI noise, but a step before its hold ended fails.
//! Each `#[test]` has its own gateway (and Redis namespace), so they run in parallel.

mod common;

#[path = "plans_http/support.rs"]
mod support;

#[path = "plans_http/durability.rs"]
mod durability;
#[path = "plans_http/lifecycle.rs"]
mod lifecycle;
#[path = "plans_http/nodes.rs"]
mod nodes;
#[path = "plans_http/pause.rs"]
mod pause;
#[path = "plans_http/progression.rs"]
mod progression;
#[path = "plans_http/refusals.rs"]
mod refusals;
