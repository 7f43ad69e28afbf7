//! What `PUT`/`DELETE …/plan` and the plan actions refuse (SPEC §8): invalid plans (400
//! naming the field), the wrong environment or plan state (409 with `status` and
//! `allowed_actions`), the wrong role (403) and a stale `If-Match` (412). A refused
//! change leaves the release as it was.

use serde_json::{Value, json};

use crate::common::Who;
use crate::support::*;

/// A window opening on weekdays, with `change` applied to its fields.
fn window(change: &Value) -> Value {
    let mut w = json!({ "timezone": "Asia/Shanghai", "days": ["mon", "fri"], "from": "10:00", "to": "17:00" });
    if let (Some(w), Some(c)) = (w.as_object_mut(), change.as_object()) {
        w.extend(c.clone());
    }
    json!({ "steps": [{ "percentage": 1, "hold": "1s" }], "window": w })
}

/// Invalid plans and a fragment of the message that names the field at fault.
fn invalid_plans() -> Vec<(Value, &'static str)> {
    let step = |p: Value, hold: &str| json!({ "percentage": p, "hold": hold });
    let many: Vec<Value> = (1..=21).map(|i| step(json!(i), "1s")).collect();
    vec![
        (json!({}), "`steps`"),
        (json!({ "steps": [] }), "steps"),
        (json!({ "steps": many }), "steps"),
        (
            json!({ "steps": [step(json!(0), "1s")] }),
            "steps[0].percentage",
        ),
        (
            json!({ "steps": [step(json!(100), "1s")] }),
            "steps[0].percentage",
        ),
        (
            json!({ "steps": [step(json!(5), "1s"), step(json!(1), "1s")] }),
            "steps[1].percentage",
        ),
        (
            json!({ "steps": [step(json!(5), "1s"), step(json!(5), "1s")] }),
            "steps[1].percentage",
        ),
        (json!({ "steps": [step(json!(1), "0s")] }), "steps[0].hold"),
        (json!({ "steps": [step(json!(1), "31d")] }), "steps[0].hold"),
        (
            json!({ "steps": [step(json!(1), "soon")] }),
            "steps[0].hold",
        ),
        (json!({ "steps": [{ "percentage": 1 }] }), "steps[0].hold"),
        (
            json!({ "steps": [{ "full": true }, step(json!(5), "1s")] }),
            "full",
        ),
        (json!({ "steps": [{ "full": false }] }), "full"),
        (
            json!({ "steps": [step(json!(1), "1s")], "speed": "fast" }),
            "speed",
        ),
        (
            json!({ "steps": [{ "percentage": 1, "hold": "1s", "jitter": 1 }] }),
            "jitter",
        ),
        (
            window(&json!({ "timezone": "Mars/Olympus_Mons" })),
            "window.timezone",
        ),
        (window(&json!({ "days": ["mon", "funday"] })), "window.days"),
        (window(&json!({ "days": [] })), "window.days"),
        (
            window(&json!({ "from": "17:00", "to": "10:00" })),
            "window.from",
        ),
        (
            window(&json!({ "from": "10:00", "to": "10:00" })),
            "window.from",
        ),
        (window(&json!({ "from": "9:00" })), "window.from"),
        (window(&json!({ "from": "25:00" })), "window.from"),
        (window(&json!({ "to": "17:60" })), "window.to"),
        (window(&json!({ "lunch": "12:00" })), "lunch"),
    ]
}

/// Every invalid plan answers 400 naming the field; the release keeps its pending plan
/// and its revision.
#[test]
fn invalid_plans_are_refused_naming_the_field() {
    let gw = gateway();
    let r = prepared(&gw, MP, "1.0.0");
    let good = plan_of(&[(1.0, "30m"), (5.0, "2h")], true);
    status_is(r.put_plan(Who::Admin, &good), "release_preparation");
    let before = r.get();
    let revision = gw.revision();
    for (plan, field) in invalid_plans() {
        let reply = r.put_plan(Who::Admin, &plan).expect(400);
        assert_eq!(reply.error_code(), "invalid_body", "{plan}: {}", reply.text);
        let message = reply.body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(field),
            "{plan}: the message should name {field}: {message}"
        );
        assert_eq!(r.get(), before, "a refused plan {plan} changed the release");
    }
    assert_eq!(gw.revision(), revision);
    // Valid edge values are taken.
    let edges = json!({ "steps": [{ "percentage": 0.0001, "hold": "1s" }, { "percentage": 99.9999, "hold": "30d" }],
        "window": { "timezone": "Europe/Berlin", "days": ["sun"], "from": "00:00", "to": "23:59" } });
    let set = status_is(r.put_plan(Who::Admin, &edges), "release_preparation");
    assert_plan(&set["plan"], "pending", None);
    assert_eq!(set["plan"]["window"]["timezone"], "Europe/Berlin", "{set}");
    assert_eq!(set["plan"]["steps"][1]["hold"], "30d", "{set}");
}

/// A percentage that is no percentage at all (negative, above 100, five decimals) is
/// refused naming its step, like every other bad field.
#[test]
fn malformed_percentages_name_their_step() {
    let gw = gateway();
    let r = prepared(&gw, MP, "1.0.0");
    let before = r.get();
    for p in [json!(-1), json!(150), json!(1.00001)] {
        let plan = json!({ "steps": [{ "percentage": 1, "hold": "1s" }, { "percentage": p, "hold": "1s" }] });
        let reply = r
            .put_plan(Who::Admin, &plan)
            .expect_error(400, "invalid_body");
        let message = reply.body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("steps[1].percentage"),
            "{plan}: the message should name steps[1].percentage: {message}"
        );
        assert_eq!(r.get(), before);
    }
}

/// Outside production a plan is refused with `production_only`.
#[test]
fn plans_exist_only_in_production() {
    let gw = gateway();
    let r = new_release(&gw, MP, SANDBOX, "1.0.0");
    let before = r.get();
    let plan = plan_of(&[(1.0, "1s")], true);
    refused(
        r.put_plan(Who::Admin, &plan),
        "production_only",
        "new_version_created",
    );
    assert_eq!(r.get(), before);
    assert!(before["plan"].is_null(), "{before}");
}

/// Roles, `If-Match`, missing plans and plan states.
#[test]
fn plan_changes_are_refused_where_spec_says() {
    let gw = gateway();
    let r = prepared(&gw, MP, "1.0.0");
    let plan = plan_of(&[(1.0, "30s"), (5.0, "30s")], true);
    const PREP: &str = "release_preparation";

    // No plan yet.
    refused(r.delete_plan(Who::Admin), "no_plan", PREP);
    refused(r.start_plan(), "no_plan", PREP);
    refused(r.act(Who::Admin, "pause"), "no_plan", PREP);
    refused(r.act(Who::Admin, "resume"), "no_plan", PREP);
    let unknown = Release { gw: &gw, id: 999 };
    unknown
        .put_plan(Who::Admin, &plan)
        .expect_error(404, "release_not_found");

    // Only an admin sets or removes a plan.
    let before = r.get();
    for who in [Who::Developer, Who::Viewer, Who::Reviewer] {
        r.put_plan(who, &plan).expect_error(403, "forbidden");
    }
    assert_eq!(r.get(), before);

    // If-Match.
    let revision = before["revision"].as_u64().unwrap_or_default();
    let stale = gw
        .admin("PUT", &r.path("/plan"))
        .by(Who::Admin)
        .if_match(revision - 1)
        .json(&plan)
        .send();
    stale.expect_error(412, "revision_mismatch");
    assert_eq!(r.get(), before);
    let fresh = gw
        .admin("PUT", &r.path("/plan"))
        .by(Who::Admin)
        .if_match(revision)
        .json(&plan)
        .send();
    let set = status_is(fresh, PREP);
    assert_plan(&set["plan"], "pending", None);

    // A pending plan: not running, not paused; others may still not touch it.
    refused(r.act(Who::Admin, "pause"), "plan_not_running", PREP);
    refused(r.act(Who::Admin, "resume"), "plan_not_paused", PREP);
    r.delete_plan(Who::Developer).expect_error(403, "forbidden");
    let revision = r.revision();
    gw.admin("DELETE", &r.path("/plan"))
        .by(Who::Admin)
        .if_match(revision - 1)
        .send()
        .expect_error(412, "revision_mismatch");
    let removed = status_is(r.delete_plan(Who::Admin), PREP);
    assert!(removed["plan"].is_null(), "{removed}");
    refused(r.delete_plan(Who::Admin), "no_plan", PREP);

    // A running plan may be neither replaced nor removed, nor started again.
    let pending = status_is(r.put_plan(Who::Admin, &plan), PREP);
    let revision = pending["revision"].as_u64().unwrap_or_default();
    let body = json!({ "type": "plan" });
    let stale =
        r.gw.admin("POST", &r.path("/go_live"))
            .by(Who::Admin)
            .if_match(revision - 1);
    stale
        .json(&body)
        .send()
        .expect_error(412, "revision_mismatch");
    assert_eq!(r.get(), pending, "a stale go_live plan changed the release");
    let current =
        r.gw.admin("POST", &r.path("/go_live"))
            .by(Who::Admin)
            .if_match(revision);
    status_is(current.json(&body).send(), "grayscale_release");
    let running = r.get();
    for reply in [r.put_plan(Who::Admin, &plan), r.delete_plan(Who::Admin)] {
        let reply = refused(reply, "plan_active", "grayscale_release");
        let allowed = allowed(&reply.body["error"]["allowed_actions"]);
        assert!(
            allowed.contains(&"pause".to_string()) && allowed.contains(&"cancel".to_string()),
            "{}",
            reply.text
        );
    }
    refused(r.start_plan(), "plan_not_pending", "grayscale_release");
    assert_eq!(r.get()["plan"]["state"], running["plan"]["state"]);
    assert_eq!(r.get()["revision"], running["revision"]);
}
