//! Optimistic concurrency (SPEC §4) on the two replace-the-whole-thing writes: a test
//! group and a target app's policies. A stale `If-Match` answers 412 and leaves the
//! group (or the policies) exactly as they were; the current revision goes through.

use serde_json::{Value, json};

use crate::common::{Gateway, Who};
use crate::support::*;

/// `PUT …/test-group` with `If-Match`.
fn put_group(r: &Release<'_>, revision: u64, users: &[&str]) -> crate::common::Reply {
    r.gw.admin("PUT", &r.path("/test-group"))
        .by(Who::Developer)
        .if_match(revision)
        .json(&json!({ "test_group": users }))
        .send()
}

/// Whether explain sees `user` in the release's test group.
fn member(gw: &Gateway, user: &str) -> Value {
    let q = format!("app={PILOT_APP}&env=production&mini_program={MP}&user={user}");
    let explained = gw.get(Who::Viewer, &format!("/v1/admin/explain?{q}"));
    explained.expect(200).body["in_flight"]["pilot_member"].clone()
}

#[test]
fn a_stale_if_match_leaves_the_test_group_unchanged() {
    let gw = gateway();
    let r = new_release_of(&gw, MP, PILOT_APP, "production", "1.0.0", json!({}));
    to_pilot_testing(&r);
    let seen = r.revision();
    let first = put_group(&r, seen, &["qa-1", "qa-2"]);
    let current = moved(first, "pilot_testing", PILOT_TESTING)["revision"]
        .as_u64()
        .unwrap_or_default();
    assert_eq!(current, seen + 1);
    let before = r.get();

    // Someone else read the release before that change and now replaces the group.
    let stale = put_group(&r, seen, &["intruder"]).expect_error(412, "revision_mismatch");
    assert_eq!(stale.body["error"]["revision"], current, "{}", stale.text);
    assert_eq!(
        r.get(),
        before,
        "a refused group change changed the release"
    );
    assert_eq!(r.get()["test_group_size"], 2);
    assert_eq!(member(&gw, "qa-1"), true);
    assert_eq!(member(&gw, "intruder"), false);
    serves(
        &gw,
        PILOT_APP,
        "production",
        "qa-2",
        Some(("1.0.0", "pilot")),
    );
    serves(&gw, PILOT_APP, "production", "intruder", None);

    let fresh = put_group(&r, current, &["qa-3"]);
    assert_eq!(
        moved(fresh, "pilot_testing", PILOT_TESTING)["test_group_size"],
        1
    );
    assert_eq!(member(&gw, "qa-3"), true);
    assert_eq!(member(&gw, "qa-1"), false);
}

/// `PUT /v1/admin/apps/{app}` with `If-Match`, as the reviewer.
fn put_app(gw: &Gateway, revision: u64, policy: &Value) -> crate::common::Reply {
    gw.admin("PUT", &format!("/v1/admin/apps/{PLAIN_APP}"))
        .by(Who::Reviewer)
        .if_match(revision)
        .json(policy)
        .send()
}

#[test]
fn a_stale_if_match_leaves_the_app_policies_unchanged() {
    let gw = gateway();
    let path = format!("/v1/admin/apps/{PLAIN_APP}");
    let seen = gw.get(Who::Viewer, &path).expect(200).body;
    let seen_revision = seen["revision"]
        .as_u64()
        .expect("an app carries its revision");
    let pilot = json!({ "environments": { "production": { "pilot_testing": true } } });
    let changed = put_app(&gw, seen_revision, &pilot).expect(200).body;
    let current = changed["revision"].as_u64().unwrap_or_default();
    assert!(current > seen_revision, "{changed}");
    let before = gw.get(Who::Viewer, &path).expect(200).body;

    let manual = json!({ "environments": {
        "production": { "pilot_testing": false },
        "sandbox": { "approval": "manual" },
    } });
    let stale = put_app(&gw, seen_revision, &manual).expect_error(412, "revision_mismatch");
    assert_eq!(stale.body["error"]["revision"], current, "{}", stale.text);
    assert_eq!(gw.get(Who::Viewer, &path).expect(200).body, before);
    // The policy that held decides the next apply: production with pilot testing.
    let r = new_release(&gw, PLAIN_APP, "production", "1.0.0");
    moved(r.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(r.approve(Who::Reviewer), "pilot_testing", PILOT_TESTING);

    put_app(&gw, current, &manual).expect(200);
    let after = gw.get(Who::Viewer, &path).expect(200).body;
    assert_eq!(after["environments"]["sandbox"]["approval"], "manual");
}

/// `POST …/apply` with a raw `If-Match` value and a raw body.
fn apply_with(r: &Release<'_>, if_match: &str, body: &str) -> crate::common::Reply {
    r.gw.admin("POST", &r.path("/apply"))
        .by(Who::Developer)
        .header("If-Match", if_match)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
}

/// The forms the OpenAPI pattern gives for `If-Match` are the ones the server takes:
/// `"7"`, `W/"7"`, a bare `7` and `*`; half-quoted or non-numeric values are 400. A
/// posted action without a body takes none or a JSON object, never `null`.
#[test]
fn if_match_forms_and_bodies_are_what_the_description_says() {
    let gw = gateway();
    let r = new_release_of(&gw, MP, PILOT_APP, "production", "1.0.0", json!({}));
    let rev = r.revision();
    let before = (r.get(), gw.revision());
    for bad in [
        format!("\"{rev}"),
        format!("{rev}\""),
        "W/7x".into(),
        "\"\"".into(),
        "seven".into(),
    ] {
        bad_request(apply_with(&r, &bad, ""));
    }
    for bad_body in ["null", "[]", "7", "\"apply\""] {
        bad_request(apply_with(&r, &rev.to_string(), bad_body));
    }
    assert_eq!(
        (r.get(), gw.revision()),
        before,
        "refused requests change nothing"
    );
    let applied = apply_with(&r, &rev.to_string(), "{}");
    moved(applied, "under_review", UNDER_REVIEW);
    let withdrawn =
        r.gw.admin("POST", &r.path("/withdraw"))
            .by(Who::Developer)
            .header("If-Match", &format!("W/\"{}\"", rev + 1))
            .send();
    moved(withdrawn, "new_version_created", NEW);
}
