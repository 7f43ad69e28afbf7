//! Guarded rollouts (SPEC §9) on the real binary. So far: client health reports,
//! `POST /v1/report` — what counts, what is dropped, and strict validation where a bad
//! request counts nothing. Scenarios live in `tests/guard_http/`.

mod common;

#[path = "guard_http/reports.rs"]
mod reports;
#[path = "guard_http/totals.rs"]
mod totals;
