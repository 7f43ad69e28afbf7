//! Targeting by client context (SPEC §10) over HTTP, against the real `graygate`
//! binary. Each route has a full release v1 and a targeted v2 in grayscale at 50 %;
//! users are picked by their gr1 bucket, so every answer is known in advance.
//!
//! - `eligibility`: `in` by os (exact bytes, or `case_insensitive`), `version_gte` on
//!   dotted versions (`10.2 == 10.2.0`, `10.10 > 10.9`, pre-releases before 10.2),
//!   `num_gte`, the bucket still deciding among targeted users, and failing closed
//!   (absent attributes, `not_in` included; values that are not versions or numbers).
//! - `precedence`: pilot members get the pilot version whatever their attributes; a
//!   full release serves everybody.
//! - `batch`: the batch's `"attributes"` and the single resolve's `attr.*` agree.
//! - `locking`: free before review (create, developer's `PUT`), `targeting_locked`
//!   under review, after approval developers forbidden and admins may only remove whole
//!   rules (which widens the share at once), history's `set_targeting` entries, and
//!   `production_only` outside production.
//! - `attributes`: every malformed attribute, in the query and the batch body, is a 400
//!   naming it; the limits themselves are accepted.
//! - `rules`: every invalid rule is a 400 naming the rule and field, with nothing
//!   changed, by `PUT` and at create.
//! - `explain`: each rule with the value seen and whether it held, `targeted`, and the
//!   grayscale step naming the failing attribute; attribute keys read as resolve reads
//!   them (percent-decoded).
//! - `metrics`: attribute values never become labels.
//!
//! Resolves after an admin answer are read-your-writes on one node, so nothing polls.
//! Each `#[test]` has its own gateway, so they run in parallel.

mod common;

#[path = "targeting_http/support.rs"]
mod support;

#[path = "targeting_http/attributes.rs"]
mod attributes;
#[path = "targeting_http/batch.rs"]
mod batch;
#[path = "targeting_http/eligibility.rs"]
mod eligibility;
#[path = "targeting_http/explain.rs"]
mod explain;
#[path = "targeting_http/locking.rs"]
mod locking;
#[path = "targeting_http/metrics.rs"]
mod metrics;
#[path = "targeting_http/precedence.rs"]
mod precedence;
#[path = "targeting_http/rules.rs"]
mod rules;
