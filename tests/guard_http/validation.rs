//! Setting and removing a guard (SPEC §9): strict bodies (400 naming the field, nothing
//! changed), only in the statuses before full release and only in production, `guard`
//! always in the release representation; and `…/health` with and without a guard.

use serde_json::{Value, json};

use crate::common::{Gateway, Who};
use crate::support::*;

/// Asserts a 409 with `code`.
#[track_caller]
fn conflict(reply: crate::common::Reply, code: &str) {
    reply.expect_error(409, code);
}

/// `good` with `field` set to `value` (removed when `None`).
fn with(good: &Value, field: &str, value: Option<Value>) -> Value {
    let mut body = good.clone();
    match value {
        Some(v) => body[field] = v,
        None => {
            body.as_object_mut().map(|m| m.remove(field));
        }
    }
    body
}

#[test]
fn bad_guards_answer_400_naming_the_field_and_change_nothing() {
    let gw = gateway();
    let r = prepared(&gw, "1.0.0");
    assert_eq!(r.get().get("guard"), Some(&Value::Null), "guard is null");
    let good = guard(0.02, 500, "halt");
    let set = status_is(r.put_guard(&good), "release_preparation");
    assert_eq!(set["guard"], good, "{set}");
    let cases = [
        (
            with(&good, "max_error_rate_increase", Some(json!(1.5))),
            "max_error_rate_increase",
        ),
        (
            with(&good, "max_error_rate_increase", Some(json!(-0.1))),
            "max_error_rate_increase",
        ),
        (with(&good, "min_samples", Some(json!(0))), "min_samples"),
        (
            with(&good, "min_samples", Some(json!(10_000_001))),
            "min_samples",
        ),
        (with(&good, "confidence", Some(json!(0.3))), "confidence"),
        (with(&good, "confidence", Some(json!(1.0))), "confidence"),
        (
            with(&good, "on_regression", Some(json!("pause"))),
            "on_regression",
        ),
        (with(&good, "window", Some(json!(1))), "window"),
        (with(&good, "confidence", None), "confidence"),
        (with(&good, "min_samples", None), "min_samples"),
    ];
    for (body, field) in cases {
        let reply = r.put_guard(&body);
        assert_eq!(reply.status, 400, "{body}: {}", reply.text);
        let message = reply.body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(field),
            "{body}: {field} not named in {message:?}"
        );
        assert_eq!(r.get()["guard"], good, "a refused {body} changed the guard");
    }
    let not_json = gw.admin("PUT", &r.path("/guard")).by(Who::Admin);
    let reply = not_json
        .header("content-type", "application/json")
        .body("{")
        .send();
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(r.get()["guard"], good);
}

#[test]
fn a_guard_is_refused_after_grayscale_and_outside_production() {
    let gw = gateway();
    let full = full_v1(&gw);
    assert_eq!(full.get().get("guard"), Some(&Value::Null));
    conflict(
        full.put_guard(&guard(0.01, 100, "rollback")),
        "action_not_allowed",
    );
    conflict(full.delete_guard(), "action_not_allowed");
    assert_eq!(
        full.get()["guard"],
        Value::Null,
        "a refused PUT set a guard"
    );
    let sandbox = created(&gw, SANDBOX, "2.0.0");
    conflict(
        sandbox.put_guard(&guard(0.01, 100, "rollback")),
        "production_only",
    );
    assert_eq!(sandbox.get()["guard"], Value::Null);
    let gray = prepared(&gw, "3.0.0");
    conflict(gray.delete_guard(), "no_guard");
    let fresh = created(&gw, PROD, "4.0.0");
    let body = guard(0.01, 100, "rollback");
    let set = status_is(fresh.put_guard(&body), "new_version_created");
    assert_eq!(set["guard"], body, "{set}");
    let listed = gw.get(Who::Viewer, "/v1/admin/releases").expect(200).body;
    let all = listed.as_array().cloned().unwrap_or_default();
    assert_eq!(all.len(), 4, "{listed}");
    for release in &all {
        let expected = if release["id"] == fresh.id {
            &body
        } else {
            &Value::Null
        };
        assert_eq!(release.get("guard"), Some(expected), "{release}");
    }
}

/// Version 2.0.0 in grayscale at 50 % with a rollback guard, beside 1.0.0 in full.
fn guarded_grayscale(gw: &Gateway) -> (Release<'_>, Release<'_>) {
    let full = full_v1(gw);
    let gray = prepared(gw, "2.0.0");
    gray.put_guard(&guard(0.01, 1000, "rollback")).expect(200);
    let body = json!({"type": "grayscale", "percentage": 50});
    status_is(
        gray.act_with(Who::Admin, "go_live", &body),
        "grayscale_release",
    );
    (full, gray)
}

#[test]
fn health_shows_the_counts_with_or_without_a_guard() {
    let gw = gateway();
    let (full, gray) = guarded_grayscale(&gw);
    report(
        &gw,
        &[
            (full.id, "full", "ok", 40),
            (full.id, "full", "error", 2),
            (gray.id, "grayscale", "ok", 30),
            (gray.id, "grayscale", "error", 3),
        ],
    );
    let health = gray.health().expect(200).body;
    assert_eq!(health["decision"], "insufficient_data", "{health}");
    assert_eq!(health["min_samples"], 1000, "{health}");
    assert_arm(&health["candidate"], 30, 3);
    assert_arm(&health["control"], 40, 2);
    assert!(health["difference"]["lower"].is_number(), "{health}");
    let removed = status_is(gray.delete_guard(), "grayscale_release");
    assert_eq!(removed.get("guard"), Some(&Value::Null), "{removed}");
    conflict(gray.delete_guard(), "no_guard");
    let health = gray.health().expect(200).body;
    for key in ["decision", "difference", "min_samples", "confidence"] {
        assert_eq!(health.get(key), Some(&Value::Null), "{key} in {health}");
    }
    assert_arm(&health["candidate"], 30, 3);
    assert_arm(&health["control"], 40, 2);
    assert!(health["as_of"].is_string(), "{health}");
    let unknown = gw.get(Who::Viewer, "/v1/admin/releases/999/health");
    unknown.expect_error(404, "release_not_found");
}
