//! Resolution (SPEC §3) and the client API (SPEC §4) over HTTP, against the real
//! `graygate` binary: precedence pilot → grayscale → full → `not_released`; grayscale
//! membership checked user by user against `graygate::bucket::bucket` with the
//! release's salt; scale-ups that only add users; the answer's fields, `ETag` and
//! `If-None-Match`; explain agreeing with resolve; batches; bad input; listeners; and
//! read-your-writes after every admin answer.
//!
//! Each `#[test]` is one scenario with its own gateway, so they run in parallel. The
//! scenarios live in `tests/resolve_http/`, one file per theme; `support` (setup) and
//! `checks` (assertions) hold the vocabulary they share.

mod common;

#[path = "resolve_http/checks.rs"]
mod checks;
#[path = "resolve_http/support.rs"]
mod support;

#[path = "resolve_http/answers.rs"]
mod answers;
#[path = "resolve_http/batch.rs"]
mod batch;
#[path = "resolve_http/input.rs"]
mod input;
#[path = "resolve_http/precedence.rs"]
mod precedence;
#[path = "resolve_http/salts.rs"]
mod salts;
