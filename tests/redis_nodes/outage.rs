//! Redis goes away and comes back (SPEC §7): resolves keep being served from the last
//! good snapshot, admin writes answer 503 `store_unavailable` at once and change
//! nothing, `/readyz` says `degraded`; after Redis restarts the nodes write and converge
//! by themselves, and a new node cold-starts from Redis alone.
//!
//! Each test runs its own `redis-server` (append-only file fsynced on every write, so
//! the data survives the restart) and kills it with SIGKILL.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Gateway, Namespace, RedisServer, Reply, Who};
use crate::support::*;

/// How long an admin write may take to answer 503 while Redis is down.
const WRITE_REFUSAL_LIMIT: Duration = Duration::from_secs(2);

/// `/readyz` of a node on the client listener: (status, store_reachable).
fn readiness(gw: &Gateway) -> (String, bool) {
    let body = gw.client("GET", "/readyz").send().expect(200).body;
    let status = body["status"].as_str().unwrap_or_default().to_string();
    (status, body["store_reachable"] == true)
}

/// Waits until every node's `/readyz` reports `status`; returns how long it took.
#[track_caller]
fn wait_for_readiness(nodes: &[&Gateway], status: &str) -> Duration {
    let what = format!("/readyz reports {status} on every node");
    let ((), took) = eventually(&what, DEADLINE, || {
        nodes.iter().all(|n| readiness(n).0 == status).then_some(())
    });
    took
}

/// A development full release (1.0.0) and a production grayscale at 30 % (2.0.0).
fn roll_out(gw: &Gateway) -> u64 {
    release_to_development(gw, "1.0.0");
    let id = to_release_preparation(gw, "2.0.0");
    moved_to(go_live(gw, id, 30.0, None), "grayscale_release");
    id
}

/// Every kind of admin write (upload, create, workflow action) answers 503
/// `store_unavailable` (JSON) within [`WRITE_REFUSAL_LIMIT`]; returns the slowest answer.
#[track_caller]
fn writes_refused(gw: &Gateway, grayscale: u64) -> Duration {
    let create = release_body(DEV, "2.0.0");
    let writes: [&dyn Fn() -> Reply; 3] = [
        &|| upload_reply(gw, "9.0.0"),
        &|| gw.post(Who::Developer, "/v1/admin/releases", &create),
        &|| go_live(gw, grayscale, 60.0, None),
    ];
    let mut slowest = Duration::ZERO;
    for write in writes {
        let started = Instant::now();
        let reply = write();
        let took = started.elapsed();
        reply.expect_error(503, "store_unavailable");
        assert!(took < WRITE_REFUSAL_LIMIT, "a refused write took {took:?}");
        slowest = slowest.max(took);
    }
    slowest
}

/// Both nodes serve, refuse and report as SPEC §7 says while Redis is down.
fn while_redis_is_down(a: &Gateway, b: &Gateway, grayscale: u64, before: &[(u16, Value)]) {
    let noticed = wait_for_readiness(&[a, b], "degraded");
    println!("outage noticed by /readyz on both nodes after {noticed:?}");
    for gw in [a, b] {
        assert!(!readiness(gw).1, "store_reachable while Redis is down");
        assert_eq!(
            answers(gw, &users("user", 50)),
            before,
            "resolves changed in the outage"
        );
        let slowest = writes_refused(gw, grayscale);
        println!("slowest 503 store_unavailable while Redis is down: {slowest:?}");
        assert_eq!(
            answers(gw, &users("user", 50)),
            before,
            "a refused write changed resolves"
        );
    }
    // Let a few revision checks fail while down; nothing must come of them.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        answers(a, &users("user", 50)),
        answers(b, &users("user", 50))
    );
}

/// Two nodes ride out a Redis outage and heal without a restart; a third node then
/// cold-starts from Redis alone and serves the same answers and release list.
#[test]
fn nodes_ride_out_a_redis_outage_and_heal_by_themselves() {
    let test = "nodes_ride_out_a_redis_outage_and_heal_by_themselves";
    let Some(mut redis) = RedisServer::for_test(test) else {
        return;
    };
    let ns = Namespace::fresh(&redis.url(), "nodes-outage");
    let (a, b) = (node(&ns, 0.2), node(&ns, 0.2));
    let grayscale = roll_out(&a);
    converged(&ns, &[&a, &b]);
    let before = answers(&a, &users("user", 50));
    assert_eq!(answers(&b, &users("user", 50)), before);
    let listed = releases(&a);

    redis.kill();
    while_redis_is_down(&a, &b, grayscale, &before);

    redis.restart();
    let after = once_redis_is_back(&ns, &a, &b, grayscale, &listed);
    assert_ne!(
        after, before,
        "the writes after the restart changed nothing"
    );

    let c = node(&ns, 0.2);
    assert_eq!(
        c.revision(),
        ns.revision(),
        "cold start at the store's revision"
    );
    assert_eq!(
        releases(&c),
        releases(&a),
        "cold start lists other releases"
    );
    assert_eq!(
        answers(&c, &users("user", 50)),
        after,
        "cold start serves other answers"
    );
}

/// Once Redis is back, both nodes report ready and take writes again, nothing refused
/// in the outage reached Redis, and the nodes converge by themselves; returns what
/// they now answer.
fn once_redis_is_back(
    ns: &Namespace,
    a: &Gateway,
    b: &Gateway,
    grayscale: u64,
    listed: &Value,
) -> Vec<(u16, Value)> {
    let recovered = wait_for_readiness(&[a, b], "ready");
    println!("both nodes ready again {recovered:?} after the Redis restart");
    assert_eq!(&releases(a), listed, "a refused write reached Redis");
    moved_to(go_live(b, grayscale, 60.0, None), "grayscale_release");
    release_to_development(a, "3.0.0");
    let took = converged(ns, &[a, b]);
    println!("writes on both nodes after the restart converged in {took:?}");
    let after = answers(a, &users("user", 50));
    assert_eq!(answers(b, &users("user", 50)), after);
    after
}

/// After a Redis restart, change notifications flow again: with the revision check a
/// minute away, a write on node A reaches node B within the deadline only through a
/// re-established pub/sub subscription. Also counts the writes refused (503) right
/// after the restart, while the command connection reconnects.
#[test]
fn pub_sub_resumes_after_a_redis_restart() {
    let Some(mut redis) = RedisServer::for_test("pub_sub_resumes_after_a_redis_restart") else {
        return;
    };
    let ns = Namespace::fresh(&redis.url(), "nodes-resubscribe");
    let (a, b) = (node(&ns, 60.0), node(&ns, 60.0));
    release_to_development(&a, "1.0.0");
    converged(&ns, &[&a, &b]);

    redis.kill();
    redis.restart();
    // The subscriber reconnects with a back-off of at most 2 s; a message published
    // before it resubscribed would only arrive with the next revision check.
    std::thread::sleep(Duration::from_secs(3));
    let mut refused = 0;
    let ((), took) = eventually("node A accepts a write again", DEADLINE, || {
        let reply = upload_reply(&a, "1.5.0");
        if reply.status == 201 {
            return Some(());
        }
        reply.expect_error(503, "store_unavailable");
        refused += 1;
        None
    });
    println!("first write after the restart: {refused} refused with 503, accepted after {took:?}");
    release_to_development(&a, "2.0.0");
    let acknowledged = Instant::now();
    eventually("node B serves 2.0.0 through pub/sub", DEADLINE, || {
        (served(&b, DEV, "user-1").as_deref() == Some("2.0.0")).then_some(())
    });
    println!("after the restart, A → B took {:?}", acknowledged.elapsed());
    converged(&ns, &[&a, &b]);
}

/// `/readyz` of `gw` on both listeners, each as (status, store, store_reachable, revision).
fn readyz_everywhere(gw: &Gateway) -> [Value; 2] {
    [gw.client("GET", "/readyz"), gw.admin("GET", "/readyz")].map(|call| {
        let b = call.send().expect(200).body;
        serde_json::json!([b["status"], b["store"], b["store_reachable"], b["revision"]])
    })
}

/// Not ready: while Redis is down `/readyz` says `degraded` on both listeners, with the
/// store unreachable and the revision of the last good snapshot (that of the last
/// acknowledged write); it says `ready` again once Redis is back.
#[test]
fn readyz_says_degraded_on_both_listeners_while_redis_is_down() {
    let test = "readyz_says_degraded_on_both_listeners_while_redis_is_down";
    let Some(mut redis) = RedisServer::for_test(test) else {
        return;
    };
    let ns = Namespace::fresh(&redis.url(), "nodes-readyz");
    let a = node(&ns, 0.2);
    let id = to_release_preparation(&a, "1.0.0");
    let raised = moved_to(go_live(&a, id, 10.0, None), "grayscale_release");
    let last = raised["revision"].clone();
    let expect =
        |status: &str, reachable: bool| serde_json::json!([status, "redis", reachable, last]);
    for body in readyz_everywhere(&a) {
        assert_eq!(body, expect("ready", true));
    }

    redis.kill();
    wait_for_readiness(&[&a], "degraded");
    for body in readyz_everywhere(&a) {
        assert_eq!(body, expect("degraded", false), "while Redis is down");
    }

    redis.restart();
    wait_for_readiness(&[&a], "ready");
    for body in readyz_everywhere(&a) {
        assert_eq!(body, expect("ready", true), "once Redis is back");
    }
}
