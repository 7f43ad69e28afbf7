//! Malformed and misdirected requests: 400 with a JSON error and no change at all;
//! 404 for releases that do not exist.

use serde_json::{Value, json};

use crate::common::{Gateway, Who};
use crate::support::*;

const PROD: &str = "production";

/// Everything the admin API shows: every release, every history, the versions of the
/// mini programs used, the apps, and the global revision.
fn everything(gw: &Gateway) -> Value {
    let releases = gw.get(Who::Viewer, "/v1/admin/releases").expect(200).body;
    let histories: Vec<Value> = releases
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_u64())
        .map(|id| Release { gw, id }.history())
        .map(Value::from)
        .collect();
    let versions = gw
        .get(
            Who::Viewer,
            &format!("/v1/admin/mini-programs/{MP}/versions"),
        )
        .expect(200)
        .body;
    let apps = gw.get(Who::Viewer, "/v1/admin/apps").expect(200).body;
    json!({ "releases": releases, "histories": histories, "versions": versions, "apps": apps, "revision": gw.revision() })
}

/// Bad JSON, wrong shapes and invalid values on every writing endpoint answer 400 with
/// a JSON error, and the gateway's state is exactly what it was.
#[test]
fn malformed_requests_change_nothing() {
    let gw = gateway();
    let fresh = new_release_of(
        &gw,
        MP,
        PILOT_APP,
        PROD,
        "1.0.0",
        json!({ "config": { "a": 1 } }),
    );
    let review = new_release(&gw, PLAIN_APP, PROD, "1.0.0");
    moved(review.apply(Who::Developer), "under_review", UNDER_REVIEW);
    let prepared = new_release(&gw, AUTO_APP, PROD, "1.0.0");
    moved(prepared.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(
        prepared.approve(Who::Reviewer),
        "release_preparation",
        PREPARATION,
    );
    let full = new_release(&gw, AUTO_APP, "sandbox", "1.0.0");
    moved(full.apply(Who::Developer), "full_release", FULL);
    let before = everything(&gw);

    let raw = [
        "",
        "not json",
        "{",
        "[]",
        "null",
        "\"text\"",
        "{\"mini_program\":",
    ];
    let valid =
        json!({ "mini_program": MP, "version": "1.0.0", "app": PILOT_APP, "env": "sandbox" });
    let with = |field: &str, value: Value| {
        let mut b = valid.clone();
        b[field] = value;
        b
    };
    let mut bodies: Vec<Value> = vec![
        with("mini_program", json!(1)),
        with("mini_program", json!("a b")),
        with("version", json!("_1")),
        with("app", json!("-bad")),
        with("env", json!("staging")),
        with("extra", json!(true)),
        with("config", json!("text")),
        with("config", json!([1])),
        with("config", json!({ "network_allowlist": "api.example.com" })),
        with("config", json!({ "network_allowlist": ["not a host!"] })),
        with("config", json!({ "payment": 5 })),
        with("config", json!({ "blob": "x".repeat(70 * 1024) })),
        with("test_group", json!("pilot-1")),
        with("test_group", json!(["ok", "bad\u{1}id"])),
        with("test_group", json!([""])),
        with("test_group", json!(["x".repeat(257)])),
    ];
    for field in ["mini_program", "version", "app", "env"] {
        let mut b = valid.clone();
        b.as_object_mut().map(|o| o.remove(field));
        bodies.push(b);
    }
    let create_path = "/v1/admin/releases";
    for text in raw {
        bad_request(
            gw.admin("POST", create_path)
                .by(Who::Developer)
                .body(text)
                .send(),
        );
    }
    for body in &bodies {
        bad_request(create(&gw, Who::Developer, body));
    }

    let send = |method: &str, path: String, who: Who, text: &str| {
        bad_request(
            gw.admin(method, &path)
                .by(who)
                .body(text.to_string())
                .send(),
        );
    };
    for text in [
        "",
        "{",
        "[]",
        "{\"reason\":5}",
        "{\"reason\":\"ok\",\"extra\":1}",
    ] {
        send("POST", review.path("/reject"), Who::Reviewer, text);
    }
    for text in [
        "",
        "nope",
        "{\"type\":\"full\",\"extra\":1}",
        "{\"type\":\"grayscale\",\"percentage\":\"5\"}",
    ] {
        send("POST", prepared.path("/go_live"), Who::Admin, text);
    }
    let configs = [
        "",
        "{",
        "[1,2]",
        "\"text\"",
        "{\"network_allowlist\":[1]}",
        "{\"payment\":[]}",
    ];
    for text in configs {
        send("PUT", fresh.path("/config"), Who::Developer, text);
    }
    let groups = [
        "",
        "{",
        "{\"test_group\":[1]}",
        "[\"a\\nb\"]",
        "{\"test_group\":\"x\"}",
        "[\"\"]",
    ];
    for text in groups {
        send("PUT", fresh.path("/test-group"), Who::Developer, text);
    }
    for text in ["", "{", "[]"] {
        send(
            "PUT",
            format!("/v1/admin/apps/{PLAIN_APP}"),
            Who::Reviewer,
            text,
        );
    }
    let huge = json!({ "blob": "x".repeat(70 * 1024) }).to_string();
    send("PUT", fresh.path("/config"), Who::Developer, &huge);
    assert_eq!(
        everything(&gw),
        before,
        "a refused request changed the state"
    );
}

/// Releases that do not exist are 404 for every read and every action; ids that are not
/// numbers are 400; unknown actions are not routes.
#[test]
fn unknown_releases_are_not_found() {
    let gw = gateway();
    let r = new_release(&gw, PLAIN_APP, PROD, "1.0.0");
    let before = everything(&gw);
    let missing = Release {
        gw: &gw,
        id: r.id + 1000,
    };
    missing_404(gw.get(Who::Viewer, &missing.path("")));
    missing_404(gw.get(Who::Viewer, &missing.path("/history")));
    for action in ACTIONS {
        missing_404(missing.attempt_permitted(action));
    }
    for id in ["abc", "-1", "1.5"] {
        bad_request(gw.get(Who::Viewer, &format!("/v1/admin/releases/{id}")));
    }
    let unknown = r.act(Who::Admin, "launch");
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert!(!unknown.error_code().is_empty(), "{}", unknown.text);
    assert_eq!(everything(&gw), before);
}

#[track_caller]
fn missing_404(reply: crate::common::Reply) {
    reply.expect_error(404, "release_not_found");
}
