//! The guard on two nodes sharing one Redis (SPEC §9): reports sent to each node add up
//! in one decision, and exactly one rollback lands cluster-wide. Without Redis this
//! skips with a printed reason, or fails when `GRAYGATE_REQUIRE_REDIS=1`.

use serde_json::json;

use crate::common::{Gateway, Namespace, StoreSpec, Who, redis_url};
use crate::support::*;

fn node(ns: &Namespace) -> Gateway {
    gateway_on(StoreSpec::Section(ns.store_section(1.0)))
}

/// Per node: 250 reports per arm (below `min_samples` 300), candidate 30 % errors on A
/// and 16.7 % on B, control 2 %. Node B's last event is the only one that takes an arm
/// past 300 with the other arm past it too, so every regression seen has the full sums.
fn reports_to(a: &Gateway, b: &Gateway, full: u64, gray: u64) {
    report(
        a,
        &[
            (full, "full", "ok", 245),
            (full, "full", "error", 5),
            (gray, "grayscale", "ok", 175),
            (gray, "grayscale", "error", 75),
        ],
    );
    report(
        b,
        &[
            (full, "full", "ok", 245),
            (full, "full", "error", 5),
            (gray, "grayscale", "error", 40),
            (gray, "grayscale", "ok", 200),
        ],
    );
}

#[test]
fn reports_to_two_nodes_add_up_to_exactly_one_rollback() {
    let test = "reports_to_two_nodes_add_up_to_exactly_one_rollback";
    let Some(url) = redis_url(test) else { return };
    let ns = Namespace::fresh(&url, "guard-nodes");
    let (a, b) = (node(&ns), node(&ns));
    let full = full_v1(&a);
    let gray = prepared(&a, "2.0.0");
    gray.put_guard(&guard(0.01, 300, "rollback")).expect(200);
    let body = json!({"type": "grayscale", "percentage": 50});
    status_is(
        gray.act_with(Who::Admin, "go_live", &body),
        "grayscale_release",
    );
    let on_b = Release {
        gw: &b,
        id: gray.id,
    };
    on_b.wait_until("in grayscale on node B", |r| {
        r["status"] == "grayscale_release"
    });
    reports_to(&a, &b, full.id, gray.id);
    gray.wait_until("canceled on node A", |r| r["status"] == "canceled");
    on_b.wait_until("canceled on node B", |r| r["status"] == "canceled");
    // Both nodes now see the cancel: a later rollback of either would be refused.
    for node in [&gray, &on_b] {
        let entries = node.entries_by(SYSTEM_GUARD);
        assert_eq!(entries.len(), 1, "one rollback cluster-wide: {entries:#?}");
        let entry = &entries[0];
        assert_eq!(entry["action"], "cancel", "{entry}");
        let details = &entry["details"]["guard"];
        assert_eq!(details["decision"], "regression", "{entry}");
        assert_arm(&details["candidate"], 375, 115);
        assert_arm(&details["control"], 490, 10);
    }
    let health = on_b.health().expect(200).body;
    assert_eq!(health["decision"], "regression", "{health}");
    assert_arm(&health["candidate"], 375, 115);
}
