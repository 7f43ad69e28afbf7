//! The release workflow of SPEC §2 over HTTP, against the real `graygate` binary: every
//! path for production (with and without pilot testing), sandbox (manual and automatic
//! approval, with and without pilot testing), development and test; every refusal
//! (wrong status, wrong role, missing or bad token, rules 1–4, stale `If-Match`,
//! malformed requests, unknown releases); history; list filters; what the client API
//! serves right after each admin answer; and durability across a SIGKILL, after an idle
//! spell (`population`) and right after acknowledged writes under load (`durability`).
//!
//! Each `#[test]` is one scenario with its own gateway, so they run in parallel. The
//! scenarios live in `tests/workflow_http/`, one file per theme; `support` (setup and
//! the actions) and `checks` (assertions) hold the vocabulary they share.

mod common;

#[path = "workflow_http/checks.rs"]
mod checks;
#[path = "workflow_http/support.rs"]
mod support;

#[path = "workflow_http/access.rs"]
mod access;
#[path = "workflow_http/apps_and_versions.rs"]
mod apps_and_versions;
#[path = "workflow_http/cancel.rs"]
mod cancel;
#[path = "workflow_http/durability.rs"]
mod durability;
#[path = "workflow_http/if_match.rs"]
mod if_match;
#[path = "workflow_http/population.rs"]
mod population;
#[path = "workflow_http/production.rs"]
mod production;
#[path = "workflow_http/requests.rs"]
mod requests;
#[path = "workflow_http/rules.rs"]
mod rules;
#[path = "workflow_http/sandbox.rs"]
mod sandbox;
