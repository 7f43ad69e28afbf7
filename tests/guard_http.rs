//! Guarded rollouts (SPEC §9) on the real binary. Client health reports, `POST
//! /v1/report` — what counts, what is dropped, and strict validation where a bad request
//! counts nothing (`reports`), per-app report tokens (`token`) — and their cluster-wide
//! totals in Redis (`totals`). The guard, on gateways evaluating it every 0.2 s: a
//! regression rolls the release back (its grayscale users back on full) or halts its
//! plan, exactly once, and equal error rates do nothing over many evaluations
//! (`guarded`); a guarded plan waits for data and steps on healthy figures (`gate`);
//! guard bodies, statuses and `…/health` (`validation`); reports to two nodes on Redis
//! add up to one rollback (`nodes`).
//!
//! Timing: waits poll with generous deadlines (`support::DEADLINE`) for a loaded
//! machine; nothing asserts speed. Each `#[test]` has its own gateway (and Redis
//! namespace), so they run in parallel.

mod common;

#[path = "guard_http/support.rs"]
mod support;

#[path = "guard_http/gate.rs"]
mod gate;
#[path = "guard_http/guarded.rs"]
mod guarded;
#[path = "guard_http/nodes.rs"]
mod nodes;
#[path = "guard_http/reports.rs"]
mod reports;
#[path = "guard_http/token.rs"]
mod token;
#[path = "guard_http/totals.rs"]
mod totals;
#[path = "guard_http/validation.rs"]
mod validation;
