//! Two consistency guarantees across nodes that once failed, kept as regression tests:
//!
//! 1. A refusal never contradicts a write another node acknowledged: when a plan is
//!    refused and the store is ahead of the node, `Control::commit` catches up and
//!    decides again (src/control/mod.rs).
//! 2. The first write after a quick Redis restart is accepted: the store talks RESP3, so
//!    its connection notices a dropped socket before the next command
//!    (src/store/redis.rs `client`).

use std::time::Duration;

use crate::common::{Namespace, RedisServer, Who, redis_url};
use crate::support::*;

const TRIES: usize = 100;

/// Upload on A, then at once create the release on B: B must know the version (no
/// 404 `version_not_found`). Go-live on A, then at once go-live on B with `If-Match`
/// of A's answer: B must not answer 412 naming an older revision.
#[test]
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
fn the_first_write_after_a_quick_redis_restart_is_accepted() {
    let test = "the_first_write_after_a_quick_redis_restart_is_accepted";
    let Some(mut redis) = RedisServer::for_test(test) else {
        return;
    };
    let ns = Namespace::fresh(&redis.url(), "nodes-first-write");
    let a = node(&ns, 60.0);
    release_to_development(&a, "1.0.0");
    redis.restart();
    std::thread::sleep(Duration::from_millis(500));
    upload_reply(&a, "2.0.0").expect(201);
}
