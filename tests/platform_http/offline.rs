//! `take_offline` (SPEC §11): through `offline_review` where approval is manual
//! (production always, sandbox by policy), at once elsewhere; the release keeps serving
//! under review and counts as in flight; reject and withdraw return it to full; an
//! offline release serves nobody until a new version reaches full.

use serde_json::json;

use crate::common::Who;
use crate::platform::*;
use crate::support::*;

const REASON: &str = "payment provider contract ended";

#[test]
fn production_goes_offline_through_review_and_serves_until_approved() {
    let gw = gateway();
    let v1 = full_in_production(&gw, "1.0.0");
    let revision = gw.revision();
    let review = moved(
        v1.take_offline(Who::Developer, REASON),
        "offline_review",
        OFFLINE_REVIEW,
    );
    assert_eq!(review["revision"], json!(revision + 1));
    // Under review it still serves everybody, as the full release it still is.
    for user in ["u1", "u2", "u3"] {
        assert_eq!(
            answer(&gw, PLAIN_APP, "production", user),
            Ok("1.0.0".into())
        );
    }
    forbidden(v1.approve(Who::Developer));
    forbidden(v1.approve(Who::Admin));
    moved(v1.approve(Who::Reviewer), "offline", NOTHING);
    for user in ["u1", "u2", "u3"] {
        assert_eq!(
            answer(&gw, PLAIN_APP, "production", user),
            Err("not_released".into())
        );
    }
    let history = v1.history();
    let took = &history[history.len() - 2];
    assert_eq!(
        (&took["action"], &took["from"], &took["to"]),
        (
            &json!("take_offline"),
            &json!("full_release"),
            &json!("offline_review")
        )
    );
    assert_eq!(took["details"]["reason"], REASON);
    assert_eq!(took["actor"], Who::Developer.name());
    let approved = &history[history.len() - 1];
    assert_eq!(
        (&approved["action"], &approved["to"]),
        (&json!("approve"), &json!("offline"))
    );
}

#[test]
fn rejecting_or_withdrawing_the_offline_review_returns_to_full() {
    let gw = gateway();
    let v1 = full_in_production(&gw, "1.0.0");
    moved(
        v1.take_offline(Who::Admin, REASON),
        "offline_review",
        OFFLINE_REVIEW,
    );
    bad_request(v1.reject(Who::Reviewer, " "));
    moved(
        v1.reject(Who::Reviewer, "still needed by the campaign"),
        "full_release",
        FULL,
    );
    assert_eq!(
        answer(&gw, PLAIN_APP, "production", "u1"),
        Ok("1.0.0".into())
    );
    moved(
        v1.take_offline(Who::Developer, REASON),
        "offline_review",
        OFFLINE_REVIEW,
    );
    moved(v1.act(Who::Developer, "withdraw"), "full_release", FULL);
    // Nothing was archived on the way back: it is the route's only full release.
    assert_eq!(v1.get()["predecessor"], json!(null));
    assert_eq!(
        answer(&gw, PLAIN_APP, "production", "u1"),
        Ok("1.0.0".into())
    );
    let actions: Vec<_> = v1.history().iter().map(|h| h["action"].clone()).collect();
    let tail = &actions[actions.len() - 4..];
    assert_eq!(
        tail,
        [
            json!("take_offline"),
            json!("reject"),
            json!("take_offline"),
            json!("withdraw")
        ]
    );
}

#[test]
fn environments_without_manual_approval_go_offline_at_once() {
    let gw = gateway();
    for (app, env) in [
        (PILOT_APP, "development"),
        (PILOT_APP, "test"),
        (AUTO_APP, "sandbox"),
    ] {
        let r = full_at_once(&gw, app, env, &format!("1.0.{}", env.len()));
        assert_eq!(
            answer(&gw, app, env, "u1").map(|_| ()),
            Ok(()),
            "{app}/{env}"
        );
        let offline = moved(r.take_offline(Who::Developer, REASON), "offline", NOTHING);
        assert_eq!(offline["percentage"], json!(0));
        assert_eq!(
            answer(&gw, app, env, "u1"),
            Err("not_released".into()),
            "{app}/{env}"
        );
    }
    // A sandbox with manual approval reviews, as production does.
    let r = new_release(&gw, PLAIN_APP, "sandbox", "2.0.0");
    r.apply(Who::Developer).expect(200);
    moved(r.approve(Who::Reviewer), "full_release", FULL);
    moved(
        r.take_offline(Who::Developer, REASON),
        "offline_review",
        OFFLINE_REVIEW,
    );
}

#[test]
fn offline_review_and_another_release_in_flight_exclude_each_other() {
    let gw = gateway();
    let v1 = full_in_production(&gw, "1.0.0");
    let v2 = new_release(&gw, PLAIN_APP, "production", "2.0.0");
    v2.apply(Who::Developer).expect(200);
    let refused = v1.take_offline(Who::Developer, REASON);
    let refused = refused_because(
        refused,
        "another_release_in_flight",
        "full_release",
        NOTHING,
    );
    assert_eq!(refused.body["error"]["in_flight_release_id"], json!(v2.id));
    v2.act(Who::Developer, "withdraw").expect(200);
    moved(
        v1.take_offline(Who::Developer, REASON),
        "offline_review",
        OFFLINE_REVIEW,
    );
    // Rule 2: the offline review is in flight, so nothing else may apply.
    let refused = refused_because(
        v2.apply(Who::Developer),
        "another_release_in_flight",
        "new_version_created",
        &["edit_config"],
    );
    assert_eq!(refused.body["error"]["in_flight_release_id"], json!(v1.id));
}

#[test]
fn an_offline_route_serves_nothing_until_a_new_version_is_full() {
    let gw = gateway();
    let v1 = full_in_production(&gw, "1.0.0");
    v1.take_offline(Who::Developer, REASON).expect(200);
    v1.approve(Who::Reviewer).expect(200);
    let v2 = new_release(&gw, PLAIN_APP, "production", "2.0.0");
    v2.apply(Who::Developer).expect(200);
    v2.approve(Who::Reviewer).expect(200);
    v2.go_live_grayscale(50.0).expect(200);
    let answers: Vec<_> = users("offline", 200)
        .iter()
        .map(|u| answer(&gw, PLAIN_APP, "production", u))
        .collect();
    let served = answers
        .iter()
        .filter(|a| *a == &Ok("2.0.0".to_string()))
        .count();
    let missing = answers
        .iter()
        .filter(|a| *a == &Err("not_released".to_string()))
        .count();
    assert_eq!(served + missing, 200, "only 2.0.0 or nothing: {answers:?}");
    assert!(
        served > 60 && missing > 60,
        "{served} served, {missing} not"
    );
    let full = moved(v2.go_live_full(), "full_release", FULL);
    // The offline release is not archived: there is nothing to roll back to.
    assert_eq!(full["predecessor"], json!(null));
    assert_eq!(v1.status(), "offline");
    refused_because(
        v2.rollback(Who::Admin, REASON),
        "nothing_to_restore",
        "full_release",
        FULL,
    );
    for user in users("offline", 20) {
        assert_eq!(
            answer(&gw, PLAIN_APP, "production", &user),
            Ok("2.0.0".into())
        );
    }
}

#[test]
fn take_offline_needs_a_reason_and_a_developer_or_admin() {
    let gw = gateway();
    let v1 = full_in_production(&gw, "1.0.0");
    let before = releases_and_revision(&gw);
    for body in [
        json!({}),
        json!({ "reason": "" }),
        json!({ "reason": "   " }),
        json!({ "reason": 42 }),
        json!({ "reason": "x".repeat(1001) }),
        json!({ "reason": REASON, "force": true }),
    ] {
        let reply = bad_request(v1.act_with(Who::Developer, "take_offline", &body));
        assert!(
            reply.text.contains("reason") || reply.text.contains("force"),
            "{}",
            reply.text
        );
    }
    for who in [Who::Viewer, Who::Reviewer] {
        forbidden(v1.take_offline(who, REASON));
    }
    assert_eq!(
        releases_and_revision(&gw),
        before,
        "refusals changed nothing"
    );
    // 1,000 characters (not bytes) is the limit.
    moved(
        v1.take_offline(Who::Developer, &"é".repeat(1000)),
        "offline_review",
        OFFLINE_REVIEW,
    );
}
