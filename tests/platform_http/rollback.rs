//! `rollback` (SPEC §11): a full release goes to `rolled_back` and the predecessor it
//! archived comes back to `full_release` in one step (one revision, both histories,
//! served at once), chained as far as predecessors go, with a release in flight left in
//! flight, never for a release that replaced nothing, and seen alike by two nodes on
//! one Redis.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Gateway, Namespace, Release, StoreSpec, Who, eventually, redis_url};
use crate::platform::*;
use crate::support::*;

const REASON: &str = "crash on start for Android 14";

/// The last history entry of `r`.
fn last_entry(r: &Release<'_>) -> Value {
    r.history().pop().expect("a history")
}

#[test]
fn rollback_restores_the_predecessor_in_the_same_revision() {
    let gw = gateway();
    let v1 = full_in_production(&gw, "1.0.0");
    let v2 = full_in_production(&gw, "2.0.0");
    assert_eq!(v1.status(), "archived");
    assert_eq!(v2.get()["predecessor"], json!(v1.id));
    assert_eq!(allowed_of(&v2.get()), set_of(FULL_WITH_PREDECESSOR));
    let revision = gw.revision();
    let back = moved(v2.rollback(Who::Admin, REASON), "rolled_back", NOTHING);
    assert_eq!(
        back["revision"],
        json!(revision + 1),
        "one revision for both"
    );
    // Served at once: the answer came after the snapshot swap.
    for user in users("rollback", 20) {
        assert_eq!(
            answer(&gw, PLAIN_APP, "production", &user),
            Ok("1.0.0".into())
        );
    }
    let restored = v1.get();
    assert_eq!(restored["status"], "full_release");
    assert_eq!(restored["revision"], json!(revision + 1));
    assert_eq!(allowed_of(&restored), set_of(FULL));
    let rolled = last_entry(&v2);
    assert_eq!(
        (
            &rolled["action"],
            &rolled["from"],
            &rolled["to"],
            &rolled["actor"]
        ),
        (
            &json!("rollback"),
            &json!("full_release"),
            &json!("rolled_back"),
            &json!(Who::Admin.name())
        )
    );
    assert_eq!(
        rolled["details"],
        json!({ "reason": REASON, "restored": v1.id })
    );
    let restore = last_entry(&v1);
    assert_eq!(
        (
            &restore["action"],
            &restore["from"],
            &restore["to"],
            &restore["revision"]
        ),
        (
            &json!("restore"),
            &json!("archived"),
            &json!("full_release"),
            &json!(revision + 1)
        )
    );
    assert_eq!(
        restore["details"],
        json!({ "reason": REASON, "rolled_back": v2.id })
    );
    // Rule 1: the rolled-back version never goes to this target again.
    let again = create(
        &gw,
        Who::Developer,
        &release_body(MP, "2.0.0", PLAIN_APP, "production"),
    );
    again.expect_error(409, "already_released");
}

#[test]
fn chained_rollbacks_walk_back_through_the_predecessors() {
    let gw = gateway();
    let env = "development";
    let v1 = full_at_once(&gw, PILOT_APP, env, "1.0.0");
    let v2 = full_at_once(&gw, PILOT_APP, env, "2.0.0");
    let v3 = full_at_once(&gw, PILOT_APP, env, "3.0.0");
    moved(v3.rollback(Who::Admin, REASON), "rolled_back", NOTHING);
    assert_eq!(v2.status(), "full_release");
    assert_eq!(answer(&gw, PILOT_APP, env, "u1"), Ok("2.0.0".into()));
    // The restored release keeps the predecessor it archived, so it can roll back too.
    assert_eq!(allowed_of(&v2.get()), set_of(FULL_WITH_PREDECESSOR));
    moved(
        v2.rollback(Who::Admin, "second incident"),
        "rolled_back",
        NOTHING,
    );
    assert_eq!(answer(&gw, PILOT_APP, env, "u1"), Ok("1.0.0".into()));
    let v1_now = v1.get();
    assert_eq!(v1_now["status"], "full_release");
    let refused = refused_because(
        v1.rollback(Who::Admin, REASON),
        "nothing_to_restore",
        "full_release",
        FULL,
    );
    assert!(refused.text.contains("predecessor"), "{}", refused.text);
    // A new version replaces the restored one, and rolls back to it.
    let v4 = full_at_once(&gw, PILOT_APP, env, "4.0.0");
    assert_eq!(v4.get()["predecessor"], json!(v1.id));
    moved(v4.rollback(Who::Admin, REASON), "rolled_back", NOTHING);
    assert_eq!(answer(&gw, PILOT_APP, env, "u1"), Ok("1.0.0".into()));
}

#[test]
fn a_release_in_flight_stays_in_flight_against_the_restored_version() {
    let gw = gateway();
    full_in_production(&gw, "1.0.0");
    let v2 = full_in_production(&gw, "2.0.0");
    let v3 = new_release(&gw, PLAIN_APP, "production", "3.0.0");
    v3.apply(Who::Developer).expect(200);
    v3.approve(Who::Reviewer).expect(200);
    v3.go_live_grayscale(50.0).expect(200);
    let before: Vec<_> = users("inflight", 200)
        .iter()
        .map(|u| answer(&gw, PLAIN_APP, "production", u))
        .collect();
    moved(v2.rollback(Who::Admin, REASON), "rolled_back", NOTHING);
    let after: Vec<_> = users("inflight", 200)
        .iter()
        .map(|u| answer(&gw, PLAIN_APP, "production", u))
        .collect();
    assert_eq!(v3.get()["status"], "grayscale_release");
    assert_eq!(v3.get()["percentage"], json!(50));
    for (b, a) in before.iter().zip(&after) {
        match b.as_deref() {
            // Grayscale users keep the candidate; the others get the restored version.
            Ok("3.0.0") => assert_eq!(a.as_deref(), Ok("3.0.0")),
            Ok("2.0.0") => assert_eq!(a.as_deref(), Ok("1.0.0")),
            other => panic!("unexpected answer before the rollback: {other:?}"),
        }
    }
    assert!(after.iter().any(|a| a.as_deref() == Ok("1.0.0")));
}

#[test]
fn rollback_is_an_admins_with_a_reason_and_only_from_full() {
    let gw = gateway();
    let v1 = full_in_production(&gw, "1.0.0");
    refused_because(
        v1.rollback(Who::Admin, REASON),
        "nothing_to_restore",
        "full_release",
        FULL,
    );
    let v2 = full_in_production(&gw, "2.0.0");
    let before = releases_and_revision(&gw);
    for who in [Who::Developer, Who::Reviewer, Who::Viewer] {
        forbidden(v2.rollback(who, REASON));
    }
    for body in [
        json!({}),
        json!({ "reason": "" }),
        json!({ "reason": "x".repeat(1001) }),
    ] {
        bad_request(v2.act_with(Who::Admin, "rollback", &body));
    }
    // An archived release is restored by its successor's rollback, never by itself.
    refused(v1.rollback(Who::Admin, REASON), "archived", NOTHING);
    assert_eq!(
        releases_and_revision(&gw),
        before,
        "refusals changed nothing"
    );
    // Under offline review the release is not in full: no rollback until it is back.
    moved(
        v2.take_offline(Who::Developer, REASON),
        "offline_review",
        OFFLINE_REVIEW,
    );
    refused(
        v2.rollback(Who::Admin, REASON),
        "offline_review",
        OFFLINE_REVIEW,
    );
    moved(
        v2.act(Who::Developer, "withdraw"),
        "full_release",
        FULL_WITH_PREDECESSOR,
    );
}

#[test]
fn two_nodes_on_redis_see_a_rollback_at_the_same_revision() {
    let Some(url) = redis_url("two_nodes_on_redis_see_a_rollback_at_the_same_revision") else {
        return;
    };
    let ns = Namespace::fresh(&url, "platform-rollback");
    let node = || Gateway::start(options().store(StoreSpec::Section(ns.store_section(0.2))));
    let (a, b) = (node(), node());
    let env = "development";
    full_at_once(&a, PILOT_APP, env, "1.0.0");
    let v2 = full_at_once(&a, PILOT_APP, env, "2.0.0");
    let revision = moved(v2.rollback(Who::Admin, REASON), "rolled_back", NOTHING)["revision"]
        .as_u64()
        .expect("revision");
    eventually("node B catches up", Duration::from_secs(5), || {
        (b.revision() >= revision).then_some(())
    });
    assert_eq!(b.revision(), revision);
    for user in users("nodes", 20) {
        assert_eq!(answer(&b, PILOT_APP, env, &user), Ok("1.0.0".into()));
        assert_eq!(answer(&a, PILOT_APP, env, &user), Ok("1.0.0".into()));
    }
    let on_b = Release { gw: &b, id: v2.id };
    assert_eq!(on_b.get()["status"], "rolled_back");
}
