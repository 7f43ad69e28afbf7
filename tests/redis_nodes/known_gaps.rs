//! Behaviour the many-node deployment should have and does not yet, kept as ignored
//! tests so the gap is precise and the fix has a test waiting
//! (`cargo test --test redis_nodes -- --ignored`).
//!
//! 1. Refusals are decided on a node's local view: `Control::commit`
//!    (src/control/mod.rs) returns the plan's refusal without asking the store whether
//!    it moved on; only accepted batches meet the revision compare-and-set. A client that
//!    got node A's acknowledgement and goes straight to node B (as behind a load
//!    balancer) can be refused because B is a millisecond behind.
//! 2. The first store command after a quick Redis restart fails: the command
//!    connection (`ConnectionManager` over RESP2, src/store/redis.rs `connect`) learns
//!    that its socket died only when a command fails on it, so when no revision check ran
//!    in between, that command is the operator's write, answered 503.

use std::time::Duration;

use crate::common::{Namespace, RedisServer, Who, redis_server_binary, redis_url};
use crate::support::*;

const TRIES: usize = 100;

/// Upload on A, then at once create the release on B: B must know the version (no
/// 404 `version_not_found`). Go-live on A, then at once go-live on B with `If-Match`
/// of A's answer: B must not answer 412 naming an older revision.
#[test]
#[ignore = "known gap 1: refusals are decided on a node's local view (see module docs)"]
fn a_refusal_never_contradicts_a_write_acknowledged_by_another_node() {
    let test = "a_refusal_never_contradicts_a_write_acknowledged_by_another_node";
    let Some(url) = redis_url(test) else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-stale");
    let (a, b) = (node(&ns, 60.0), node(&ns, 60.0));
    let id = to_release_preparation(&a, "1.0.0");
    let mut stale = Vec::new();
    for i in 0..TRIES {
        in_step(&ns, &[&a, &b]);
        let version = format!("2.{i}.0");
        upload(&a, &version);
        let created = b.post(
            Who::Developer,
            "/v1/admin/releases",
            &release_body(DEV, &version),
        );
        if created.status != 201 {
            stale.push(format!("create after upload on A: {}", created.text));
        }
        in_step(&ns, &[&a, &b]);
        let percentage = 0.5 * i as f64;
        let raised = go_live(&a, id, percentage + 0.5, None);
        let seen = moved_to(raised, "grayscale_release")["revision"].as_u64();
        let again = go_live(&b, id, percentage + 0.75, seen);
        if again.status != 200 {
            stale.push(format!("go_live with A's If-Match: {}", again.text));
        }
    }
    let report = stale.join("\n");
    assert!(
        stale.is_empty(),
        "{} stale refusals in {} tries:\n{report}",
        stale.len(),
        2 * TRIES
    );
}

/// Redis restarts between two revision checks; half a second later an admin write
/// must be accepted, not answered 503.
#[test]
#[ignore = "known gap 2: the first command after a Redis restart fails (see module docs)"]
fn the_first_write_after_a_quick_redis_restart_is_accepted() {
    let test = "the_first_write_after_a_quick_redis_restart_is_accepted";
    let Some(binary) = redis_server_binary(test) else {
        return;
    };
    let mut redis = RedisServer::start(binary);
    let ns = Namespace::fresh(&redis.url(), "nodes-first-write");
    let a = node(&ns, 60.0);
    release_to_development(&a, "1.0.0");
    redis.restart();
    std::thread::sleep(Duration::from_millis(500));
    upload_reply(&a, "2.0.0").expect(201);
}
