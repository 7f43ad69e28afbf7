//! Guarded rollouts (SPEC §9) on the real binary. So far: client health reports,
//! `POST /v1/report` — what counts, what is dropped, strict validation where a bad
//! request counts nothing, and per-app report tokens. Scenarios live in `tests/guard_http/`.

mod common;

#[path = "guard_http/reports.rs"]
mod reports;
#[path = "guard_http/token.rs"]
mod token;
#[path = "guard_http/totals.rs"]
mod totals;
