//! The full role × endpoint matrix against the running gateway, with expectations from
//! a table written by hand from SPEC §2 ("who"), §4 and README "Tokens and roles", not
//! from the code under test: without a valid token every protected endpoint answers
//! 401, a role the table does not permit gets 403, a permitted role is let through; the
//! hand table covers exactly the routes the gateway documents, and so does the code's
//! own access table (`graygate::http::access::ADMIN_ENDPOINTS`).

mod common;

use std::collections::BTreeSet;

use common::{Gateway, Who};
use graygate::config::LimitsConfig;
use graygate::http::access::ADMIN_ENDPOINTS;
use serde_json::{Value, json};

/// Who may call an endpoint, in the order of [`ROLES`]; `None` for a public endpoint.
type Allowed = Option<[bool; 4]>;

/// The roles, one token each.
const ROLES: [Who; 4] = [Who::Viewer, Who::Developer, Who::Admin, Who::Reviewer];
/// Every role may read.
const READ: Allowed = Some([true, true, true, true]);
/// Developers and admins: versions, create, edit_config, set_test_group, apply, withdraw.
const BUILD: Allowed = Some([false, true, true, false]);
/// Admins only: complete_testing, go_live, cancel, plans (set, remove, pause, resume)
/// and guards (set, remove).
const ADMIN: Allowed = Some([false, false, true, false]);
/// The super-app side only: approve, reject, its target apps and suspensions (SPEC §11).
const REVIEW: Allowed = Some([false, false, false, true]);
const PUBLIC: Allowed = None;

/// (method, route template, action for `{action}`, who may call it).
const MATRIX: &[(&str, &str, &str, Allowed)] = &[
    ("GET", "/v1/admin/apps", "", READ),
    ("GET", "/v1/admin/apps/{app}", "", READ),
    ("PUT", "/v1/admin/apps/{app}", "", REVIEW),
    // SPEC §11: suspensions are the super app's to make and lift, everybody's to read.
    ("GET", "/v1/admin/apps/{app}/suspensions", "", READ),
    (
        "PUT",
        "/v1/admin/apps/{app}/suspensions/{mini_program}",
        "",
        REVIEW,
    ),
    (
        "DELETE",
        "/v1/admin/apps/{app}/suspensions/{mini_program}",
        "",
        REVIEW,
    ),
    (
        "GET",
        "/v1/admin/apps/{app}/suspensions/{mini_program}/history",
        "",
        READ,
    ),
    ("GET", "/v1/admin/mini-programs/{mp}/versions", "", READ),
    ("POST", "/v1/admin/mini-programs/{mp}/versions", "", BUILD),
    ("GET", "/v1/admin/releases", "", READ),
    ("POST", "/v1/admin/releases", "", BUILD),
    ("GET", "/v1/admin/releases/{id}", "", READ),
    ("GET", "/v1/admin/releases/{id}/history", "", READ),
    ("PUT", "/v1/admin/releases/{id}/config", "", BUILD),
    ("PUT", "/v1/admin/releases/{id}/test-group", "", BUILD),
    // SPEC §8: plans are the admin's.
    ("PUT", "/v1/admin/releases/{id}/plan", "", ADMIN),
    ("DELETE", "/v1/admin/releases/{id}/plan", "", ADMIN),
    // SPEC §9: guards are the admin's; health is everybody's to read.
    ("PUT", "/v1/admin/releases/{id}/guard", "", ADMIN),
    ("DELETE", "/v1/admin/releases/{id}/guard", "", ADMIN),
    ("GET", "/v1/admin/releases/{id}/health", "", READ),
    // SPEC §12: the served split over time, for the console's chart.
    ("GET", "/v1/admin/releases/{id}/served", "", READ),
    // SPEC §10: targeting is the builders' before review (after approval, admins').
    ("PUT", "/v1/admin/releases/{id}/targeting", "", BUILD),
    ("POST", "/v1/admin/releases/{id}/{action}", "apply", BUILD),
    (
        "POST",
        "/v1/admin/releases/{id}/{action}",
        "withdraw",
        BUILD,
    ),
    (
        "POST",
        "/v1/admin/releases/{id}/{action}",
        "approve",
        REVIEW,
    ),
    ("POST", "/v1/admin/releases/{id}/{action}", "reject", REVIEW),
    (
        "POST",
        "/v1/admin/releases/{id}/{action}",
        "complete_testing",
        ADMIN,
    ),
    ("POST", "/v1/admin/releases/{id}/{action}", "go_live", ADMIN),
    ("POST", "/v1/admin/releases/{id}/{action}", "cancel", ADMIN),
    ("POST", "/v1/admin/releases/{id}/{action}", "pause", ADMIN),
    ("POST", "/v1/admin/releases/{id}/{action}", "resume", ADMIN),
    ("GET", "/v1/admin/explain", "", READ),
    // SPEC §12: every valid token may ask who it is.
    ("GET", "/v1/admin/whoami", "", READ),
    ("GET", "/metrics", "", PUBLIC),
    // SPEC §12: the console's files are public; its API calls are not.
    ("GET", "/console", "", PUBLIC),
    ("GET", "/console/", "", PUBLIC),
    ("GET", "/console/{file}", "", PUBLIC),
    ("GET", "/openapi.json", "", PUBLIC),
    ("GET", "/healthz", "", PUBLIC),
    ("GET", "/readyz", "", PUBLIC),
];

/// A route template with its parameters filled in for release 1 of `mp-a`.
fn fill(path: &str, action: &str) -> String {
    let path = path
        .replace("{app}", "superapp-a")
        .replace("{mp}", "mp-a")
        .replace("{mini_program}", "mp-a")
        .replace("{id}", "1")
        .replace("{action}", action)
        .replace("{file}", "app.js");
    if path == "/v1/admin/explain" {
        format!("{path}?app=superapp-a&env=production&mini_program=mp-a&user=u")
    } else {
        path
    }
}

fn gateway() -> Gateway {
    Gateway::with_release(json!({}))
}

#[test]
fn every_role_gets_exactly_what_the_table_permits() {
    let gw = gateway();
    let mut checked = 0;
    for &(method, template, action, allowed) in MATRIX {
        let url = fill(template, action);
        let path = &url;
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
        let Some(allowed) = allowed else {
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
        for (who, permitted) in ROLES.into_iter().zip(allowed) {
            let reply = call(Some(&who.token()));
            if permitted {
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
        checked >= 4 * 22,
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

/// The hand table names every route the running gateway documents, and no other.
#[test]
fn the_hand_table_covers_exactly_the_documented_routes() {
    let gw = gateway();
    let doc = gw.admin("GET", "/openapi.json").send().expect(200).body;
    let table: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(method, path, _, _)| (method.to_string(), path.to_string()))
        .collect();
    // The document also describes the client listener's resolve and report routes, which
    // take no token (`resolve_http` and `guard_http` check they are on the client listener
    // only).
    let admin: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .filter(|(_, path)| path != "/v1/resolve" && path != "/v1/report")
        .collect();
    assert_eq!(
        table, admin,
        "the hand table and the documented admin routes"
    );
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
