//! The full role × endpoint matrix, generated from the one access table in the code
//! (`graygate::http::access::ADMIN_ENDPOINTS`): without a valid token every protected
//! endpoint answers 401, a role the table does not permit gets 403, a permitted role is
//! let through; and the table covers exactly the routes the admin listener serves.

mod common;

use std::collections::BTreeSet;

use common::{Gateway, Who};
use graygate::config::LimitsConfig;
use graygate::http::access::{ADMIN_ENDPOINTS, Access, Endpoint, path_action};
use graygate::model::Role;
use graygate::workflow::{Operation, permits};
use serde_json::{Value, json};

/// The actions of `POST /v1/admin/releases/{id}/{action}`, by path spelling.
const ACTIONS: [&str; 7] = [
    "apply",
    "withdraw",
    "approve",
    "reject",
    "complete_testing",
    "go_live",
    "cancel",
];

fn role(who: Who) -> Role {
    match who.role() {
        "admin" => Role::Admin,
        "developer" => Role::Developer,
        "reviewer" => Role::Reviewer,
        _ => Role::Viewer,
    }
}

/// Every concrete request of the table: (method, path with parameters filled, operation).
fn requests() -> Vec<(&'static str, String, Option<Operation>)> {
    let fill = |e: &Endpoint, action: &str| {
        e.path
            .replace("{app}", "superapp-a")
            .replace("{mp}", "mp-a")
            .replace("{id}", "1")
            .replace("{action}", action)
    };
    let mut out = Vec::new();
    for e in ADMIN_ENDPOINTS {
        match e.access {
            Access::Public => out.push((e.method, fill(e, ""), None)),
            Access::Requires(op) => out.push((e.method, fill(e, ""), Some(op))),
            Access::ReleaseAction => {
                for a in ACTIONS {
                    let action = path_action(a).expect("a known action");
                    out.push((e.method, fill(e, a), Some(Operation::Release(action))));
                }
            }
        }
    }
    out
}

fn gateway() -> Gateway {
    Gateway::with_release(json!({}))
}

#[test]
fn every_role_gets_exactly_what_the_table_permits() {
    let gw = gateway();
    let mut checked = 0;
    for (method, path, op) in requests() {
        let query = if path == "/v1/admin/explain" {
            "?app=superapp-a&env=production&mini_program=mp-a&user=u"
        } else {
            ""
        };
        let url = format!("{path}{query}");
        let call = |token: Option<&str>| {
            let mut c = gw
                .admin(method, &url)
                .header("content-type", "application/json")
                .body("{}");
            if let Some(t) = token {
                c = c.bearer(t);
            }
            c.send()
        };
        let Some(op) = op else {
            let reply = call(None);
            assert!(
                ![401, 403].contains(&reply.status),
                "{method} {path} is public: {}",
                reply.status
            );
            continue;
        };
        call(None).expect_error(401, "unauthorized");
        call(Some("not-a-token")).expect_error(401, "unauthorized");
        for who in [Who::Viewer, Who::Developer, Who::Admin, Who::Reviewer] {
            let reply = call(Some(&who.token()));
            if permits(role(who), op) {
                assert!(
                    ![401, 403].contains(&reply.status),
                    "{method} {path} as {who:?} must be let through: {} {}",
                    reply.status,
                    reply.text
                );
            } else {
                reply.expect_error(403, "forbidden");
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 4 * 18,
        "the matrix covers every protected endpoint ({checked} checks)"
    );
}

/// The (method, path) pairs of an OpenAPI document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item
            .as_object()
            .into_iter()
            .flatten()
            .map(|(m, _)| m.to_uppercase())
        {
            ops.insert((method, path.clone()));
        }
    }
    ops
}

#[test]
fn the_table_covers_exactly_the_admin_routes() {
    let routes = graygate::http::admin_routes(&LimitsConfig::default())
        .get_openapi()
        .clone();
    let documented = operations(&serde_json::to_value(routes).expect("serialize"));
    let table: BTreeSet<(String, String)> = ADMIN_ENDPOINTS
        .iter()
        .map(|e| (e.method.to_string(), e.path.to_string()))
        .collect();
    assert_eq!(
        table, documented,
        "ADMIN_ENDPOINTS must list every admin route, and only those"
    );
}

#[test]
fn tokens_never_reach_the_logs() {
    let gw = gateway();
    for who in Who::ALL {
        gw.get(who, "/v1/admin/releases");
        gw.post(who, "/v1/admin/releases/1/apply", &json!({}));
    }
    gw.admin("GET", "/v1/admin/apps")
        .bearer("a-wrong-secret-token")
        .send();
    let logs = gw.stderr();
    for who in Who::ALL {
        assert!(
            !logs.contains(&who.token()),
            "the token of {who:?} appears in the logs"
        );
    }
    assert!(!logs.contains("a-wrong-secret-token"));
}
