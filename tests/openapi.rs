//! The OpenAPI description against the real gateway:
//! - `GET /openapi.json` on the admin listener is the generated document, OpenAPI 3.1;
//! - each listener serves exactly the operations its routing table documents (taken from
//!   the `OpenApiRouter`s the routers are built from): every documented method answers
//!   from its handler, every other method 405, and the other listener 404; and those
//!   operations are exactly SPEC §4's (plus `/openapi.json`);
//! - the operations that declare bearer security are exactly the ones that answer 401
//!   (where it is optional, `POST /v1/report`, for an app with a report token only);
//! - real responses of a whole release workflow, errors included, have a documented
//!   status, content type, headers and a body that validates against the schema
//!   (`openapi/responses.rs`, with the small JSON Schema check of `openapi/schema.rs`).

mod common;
#[path = "openapi/responses.rs"]
mod responses;
#[path = "openapi/schema.rs"]
mod schema;

use std::collections::BTreeSet;

use serde_json::{Value, json};

use common::{Call, Gateway, Options, TargetApp, Who};
use schema::Doc;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

const CLIENT_SPEC: [(&str, &str); 5] = [
    ("GET", "/v1/resolve"),
    ("POST", "/v1/resolve"),
    ("POST", "/v1/report"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
];

const ADMIN_SPEC: [(&str, &str); 32] = [
    ("GET", "/v1/admin/apps"),
    ("GET", "/v1/admin/apps/{app}"),
    ("PUT", "/v1/admin/apps/{app}"),
    // SPEC §11: suspensions by the super app, and their recorded events.
    ("GET", "/v1/admin/apps/{app}/suspensions"),
    ("PUT", "/v1/admin/apps/{app}/suspensions/{mini_program}"),
    ("DELETE", "/v1/admin/apps/{app}/suspensions/{mini_program}"),
    (
        "GET",
        "/v1/admin/apps/{app}/suspensions/{mini_program}/history",
    ),
    ("GET", "/v1/admin/mini-programs/{mp}/versions"),
    ("POST", "/v1/admin/mini-programs/{mp}/versions"),
    ("GET", "/v1/admin/releases"),
    ("POST", "/v1/admin/releases"),
    ("GET", "/v1/admin/releases/{id}"),
    ("GET", "/v1/admin/releases/{id}/history"),
    ("POST", "/v1/admin/releases/{id}/{action}"),
    ("PUT", "/v1/admin/releases/{id}/config"),
    ("PUT", "/v1/admin/releases/{id}/test-group"),
    ("PUT", "/v1/admin/releases/{id}/plan"),
    ("DELETE", "/v1/admin/releases/{id}/plan"),
    ("PUT", "/v1/admin/releases/{id}/guard"),
    ("DELETE", "/v1/admin/releases/{id}/guard"),
    ("GET", "/v1/admin/releases/{id}/health"),
    ("GET", "/v1/admin/releases/{id}/served"),
    ("PUT", "/v1/admin/releases/{id}/targeting"),
    ("GET", "/v1/admin/explain"),
    ("GET", "/v1/admin/whoami"),
    ("GET", "/metrics"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/openapi.json"),
    // SPEC §12: the operator console.
    ("GET", "/console"),
    ("GET", "/console/"),
    ("GET", "/console/{file}"),
];

fn client_routes() -> Value {
    serde_json::to_value(graygate::http::client_routes().get_openapi()).expect("serialize")
}

fn admin_routes() -> Value {
    let limits = graygate::config::LimitsConfig::default();
    serde_json::to_value(graygate::http::admin_routes(&limits).get_openapi()).expect("serialize")
}

/// (METHOD, path) of every operation of an OpenAPI document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().expect("path item").keys();
            methods.map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

fn spec(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}

#[derive(Clone, Copy)]
enum Listener {
    Client,
    Admin,
}
use Listener::{Admin, Client};

impl Listener {
    /// A request to this listener; admin requests carry the admin token.
    fn call<'g>(self, gw: &'g Gateway, method: &str, path: &str) -> Call<'g> {
        match self {
            Client => gw.client(method, path),
            Admin => gw.admin(method, path).by(Who::Admin),
        }
    }

    fn other(self) -> Listener {
        match self {
            Client => Admin,
            Admin => Client,
        }
    }
}

/// A documented path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{app}", "superapp-a")
        .replace("{mp}", "mp-coupons")
        .replace("{mini_program}", "mp-coupons")
        .replace("{id}", "1")
        .replace("{action}", "apply")
        .replace("{file}", "app.js")
}

#[test]
fn served_document_is_the_generated_openapi_3_1() {
    let gw = Gateway::start(Options::default());
    let reply = gw.admin("GET", "/openapi.json").send().expect(200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let generated = serde_json::to_value(graygate::http::openapi::document()).expect("json");
    assert_eq!(
        reply.body, generated,
        "served and generated documents differ"
    );
    assert_eq!(reply.body["openapi"], "3.1.0");
    let doc = Doc(&reply.body);
    // Every $ref resolves (Doc::resolve panics on a dangling one).
    let text = reply.text.clone();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().unwrap_or_default();
        doc.resolve(&json!({ "$ref": target }));
    }
    gw.client("GET", "/openapi.json")
        .send()
        .expect_error(404, "no_route");
}

#[test]
fn each_listener_serves_exactly_its_documented_operations() {
    let (client, admin) = (client_routes(), admin_routes());
    assert_eq!(operations(&client), spec(&CLIENT_SPEC));
    assert_eq!(operations(&admin), spec(&ADMIN_SPEC));
    let all: BTreeSet<_> = operations(&client)
        .union(&operations(&admin))
        .cloned()
        .collect();
    assert_eq!(
        operations(&serde_json::to_value(graygate::http::openapi::document()).expect("json")),
        all
    );

    let gw = Gateway::start(
        Options::default().app(TargetApp::new("superapp-a").env("production", "{}")),
    );
    for (listener, routes, other_routes) in [(Client, &client, &admin), (Admin, &admin, &client)] {
        let documented = operations(routes);
        for path in routes["paths"].as_object().expect("paths").keys() {
            for method in METHODS {
                let reply = listener
                    .call(&gw, method, &concrete(path))
                    .body("{}")
                    .send();
                if documented.contains(&(method.to_string(), path.clone())) {
                    let code = reply.error_code();
                    assert!(
                        reply.status != 405 && code != "no_route",
                        "{method} {path} is documented but not served: {} {}",
                        reply.status,
                        reply.text
                    );
                } else {
                    reply.expect_error(405, "method_not_allowed");
                }
            }
            if other_routes["paths"].get(path).is_none() {
                listener
                    .other()
                    .call(&gw, "GET", &concrete(path))
                    .send()
                    .expect_error(404, "no_route");
            }
        }
    }
    for stray in [
        "/",
        "/v1",
        "/v1/admin",
        "/v1/admin/releases/1/history/x",
        "/openapi.yaml",
    ] {
        gw.admin("GET", stray)
            .by(Who::Admin)
            .send()
            .expect_error(404, "no_route");
        gw.client("GET", stray).send().expect_error(404, "no_route");
    }
}

#[test]
fn documented_security_is_what_answers_401() {
    let token_app = TargetApp::new("superapp-t")
        .env("production", "{}")
        .report_token("report-secret");
    let gw = Gateway::start(Options::default().app(token_app));
    let doc = serde_json::to_value(graygate::http::openapi::document()).expect("json");
    let admin = operations(&admin_routes());
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_lowercase()];
        let security = op["security"].as_array().cloned().unwrap_or_default();
        // `{}` among the requirements: a token only where the request needs one.
        let optional = security.contains(&json!({}));
        let call = || {
            if admin.contains(&(method.clone(), path.clone())) {
                gw.admin(&method, &concrete(&path))
            } else {
                gw.client(&method, &concrete(&path))
            }
        };
        if optional {
            assert_eq!(
                (method.as_str(), path.as_str()),
                ("POST", "/v1/report"),
                "an optional token: add a request that needs it here"
            );
            // An app with a report token refuses a report without it; another takes it.
            let report = |app: &str| {
                let event = json!({"mini_program": "mp-coupons", "release_id": 1, "channel": "full", "outcome": "ok"});
                json!({"app": app, "env": "production", "events": [event]})
            };
            call()
                .json(&report("superapp-t"))
                .send()
                .expect_error(401, "unauthorized");
            let open = call().json(&report("superapp-a")).send();
            assert_eq!(open.status, 202, "{method} {path}: {}", open.text);
        } else if !security.is_empty() {
            call().body("{}").send().expect_error(401, "unauthorized");
        } else {
            let reply = call().body("{}").send();
            assert_ne!(
                reply.status, 401,
                "{method} {path} answers 401 without declaring security"
            );
        }
    }
}

#[test]
fn the_schema_check_rejects_what_the_description_forbids() {
    let doc = serde_json::to_value(graygate::http::openapi::document()).expect("json");
    let d = Doc(&doc);
    let error = json!({ "$ref": "#/components/schemas/ErrorBody" });
    let ok = json!({"error": {"code": "action_not_allowed", "message": "m", "status": "canceled", "allowed_actions": []}});
    assert_eq!(d.validate(&error, &ok, "body"), Ok(()));
    for bad in [
        json!({"error": {"code": "teapot", "message": "m"}}),
        json!({"error": {"code": "internal"}}),
        json!({"error": {"code": "internal", "message": "m", "extra": 1}}),
        json!({"error": {"code": "internal", "message": "m", "status": "live"}}),
        json!({"error": {"code": "internal", "message": "m", "allowed_actions": ["fly"]}}),
    ] {
        assert!(d.validate(&error, &bad, "body").is_err(), "{bad}");
    }
    let batch = json!({ "$ref": "#/components/schemas/BatchResolved" });
    assert_eq!(
        d.validate(
            &batch,
            &json!({"revision": 1, "results": {"mp-a": null}}),
            "b"
        ),
        Ok(())
    );
    assert!(
        d.validate(
            &batch,
            &json!({"revision": 1, "results": {"mp-a": {}}}),
            "b"
        )
        .is_err()
    );
    assert!(
        d.validate(&batch, &json!({"revision": -1, "results": {}}), "b")
            .is_err()
    );
    let percentage = json!({ "$ref": "#/components/schemas/Percentage" });
    assert!(d.validate(&percentage, &json!(100.5), "p").is_err());
    assert_eq!(d.validate(&percentage, &json!(25.5), "p"), Ok(()));
}
