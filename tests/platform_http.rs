//! The platform actions of SPEC §11 over HTTP, against the real `graygate` binary:
//! taking a full release offline (with and without review, and back by rejection or
//! withdrawal), rolling back to the full release a release replaced (chained, with a
//! release in flight, and across a SIGKILL), the super app's suspension of a mini
//! program in every environment of an app, and the refusals of each.
//!
//! The scenarios live in `tests/platform_http/`, one file per action. Offline and
//! rollback share the workflow scenarios' vocabulary (`workflow_http/support.rs`,
//! `checks.rs`) and `platform` (the platform actions on the harness's release handle);
//! suspensions have theirs in `suspension_support`.
//!
//! The two-node scenarios need Redis (`REDIS_URL`, default `redis://127.0.0.1:6379`);
//! they skip with a printed reason without it, or fail when `GRAYGATE_REQUIRE_REDIS=1`.

mod common;

#[path = "workflow_http/checks.rs"]
#[allow(dead_code)] // the workflow scenarios use the rest
mod checks;
#[path = "workflow_http/support.rs"]
#[allow(dead_code)] // the workflow scenarios use the rest
mod support;

#[path = "platform_http/platform.rs"]
mod platform;
#[path = "platform_http/suspension_support.rs"]
mod suspension_support;

#[path = "platform_http/durability.rs"]
mod durability;
#[path = "platform_http/offline.rs"]
mod offline;
#[path = "platform_http/rollback.rs"]
mod rollback;
#[path = "platform_http/suspension.rs"]
mod suspension;
