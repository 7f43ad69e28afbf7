//! Platform actions of SPEC §11 against the real `graygate` binary: the super app's
//! suspension of a mini program (`suspension`). Shared vocabulary is in `support`.
//!
//! The two-node scenario needs Redis (`REDIS_URL`, default `redis://127.0.0.1:6379`); it
//! skips with a printed reason without it, or fails when `GRAYGATE_REQUIRE_REDIS=1`.

mod common;

#[path = "platform_http/support.rs"]
mod support;

#[path = "platform_http/suspension.rs"]
mod suspension;
