//! Who may call what: bearer tokens (401), roles per action (403), self-approval, and
//! optimistic concurrency (`If-Match`).

use serde_json::json;

use crate::common::{Who, query};
use crate::support::*;

const PROD: &str = "production";

/// Without a token, with an unknown one or with another scheme, every admin route
/// answers 401 with a JSON error, and nothing changes.
#[test]
fn admin_requests_need_a_valid_bearer_token() {
    let gw = gateway();
    let r = new_release(&gw, PLAIN_APP, PROD, "1.0.0");
    let before = releases_and_revision(&gw);
    let explain = query(&[
        ("app", PLAIN_APP),
        ("env", PROD),
        ("mini_program", MP),
        ("user", "u"),
    ]);
    let calls = [
        ("GET", "/v1/admin/releases".to_string(), None),
        ("GET", r.path(""), None),
        ("GET", r.path("/history"), None),
        ("GET", "/v1/admin/apps".into(), None),
        ("GET", format!("/v1/admin/apps/{PLAIN_APP}"), None),
        (
            "GET",
            format!("/v1/admin/mini-programs/{MP}/versions"),
            None,
        ),
        ("GET", format!("/v1/admin/explain?{explain}"), None),
        (
            "POST",
            "/v1/admin/releases".into(),
            Some(
                json!({ "mini_program": MP, "version": "1.0.0", "app": PLAIN_APP, "env": "sandbox" }),
            ),
        ),
        (
            "POST",
            format!("/v1/admin/mini-programs/{MP}/versions"),
            Some(json!({ "version": "9.0.0", "package_url": package_url(MP, "9.0.0") })),
        ),
        ("POST", r.path("/apply"), None),
        ("PUT", r.path("/config"), Some(json!({ "k": "v" }))),
        (
            "PUT",
            format!("/v1/admin/apps/{PLAIN_APP}"),
            Some(json!({ "environments": { "production": {} } })),
        ),
    ];
    let valid = Who::Admin.token();
    let bad_credentials = [
        None,
        Some("Bearer not-a-configured-token".to_string()),
        Some(format!("Basic {valid}")),
        Some(valid.clone()),
        Some("Bearer ".into()),
        Some(format!("Bearer {valid}x")),
    ];
    for (method, path, body) in &calls {
        for credential in &bad_credentials {
            let mut call = gw.admin(method, path);
            if let Some(c) = credential {
                call = call.header("authorization", c);
            }
            if let Some(b) = body {
                call = call.json(b);
            }
            call.send().expect_error(401, "unauthorized");
        }
    }
    assert_eq!(
        releases_and_revision(&gw),
        before,
        "refused requests changed state"
    );
}

/// Each action, at a status where it is possible, is refused (403) to every role SPEC §2
/// does not name. (Self-approval needs one actor with two roles: see
/// [`nobody_approves_their_own_application`].)
#[test]
fn every_action_is_refused_to_roles_that_may_not_perform_it() {
    let gw = gateway();
    upload(&gw, MP, "1.0.0");
    let body = json!({ "mini_program": MP, "version": "1.0.0", "app": PILOT_APP, "env": PROD });
    let version = json!({ "version": "2.0.0", "package_url": package_url(MP, "2.0.0") });
    let versions_path = format!("/v1/admin/mini-programs/{MP}/versions");
    for who in [Who::Reviewer, Who::Reviewer2, Who::Viewer] {
        forbidden(create(&gw, who, &body));
        forbidden(gw.post(who, &versions_path, &version));
    }
    assert_eq!(
        gw.get(Who::Viewer, "/v1/admin/releases").expect(200).body,
        json!([])
    );
    let listed = gw.get(Who::Viewer, &versions_path).expect(200).body;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    let r = new_release_of(&gw, MP, PILOT_APP, PROD, "1.0.0", json!({}));
    for action in NEW {
        r.assert_roles_enforced(action);
    }
    moved(r.apply(Who::Developer), "under_review", UNDER_REVIEW);
    for action in UNDER_REVIEW {
        r.assert_roles_enforced(action);
    }
    moved(r.approve(Who::Reviewer), "pilot_testing", PILOT_TESTING);
    for action in PILOT_TESTING {
        r.assert_roles_enforced(action);
    }
    moved(
        r.act(Who::Admin, "complete_testing"),
        "grayscale_release",
        GRAYSCALE,
    );
    for action in GRAYSCALE {
        r.assert_roles_enforced(action);
    }

    // The viewer reads everything.
    let explain = query(&[
        ("app", PILOT_APP),
        ("env", PROD),
        ("mini_program", MP),
        ("user", "u"),
    ]);
    for path in [
        "/v1/admin/releases".to_string(),
        r.path(""),
        r.path("/history"),
        "/v1/admin/apps".into(),
        format!("/v1/admin/apps/{PILOT_APP}"),
        versions_path.clone(),
        format!("/v1/admin/explain?{explain}"),
    ] {
        gw.get(Who::Viewer, &path).expect(200);
    }
}

/// "approve: reviewer (never the one who applied)". Roles are per token and names are
/// unique, so the applicant becomes a reviewer the way it happens in life: the same
/// person (same name, same token) is reconfigured as a reviewer and the gateway restarts
/// while the application is under review.
#[test]
fn nobody_approves_their_own_application() {
    let mut gw = gateway();
    let id = {
        let r = new_release(&gw, PLAIN_APP, PROD, "1.0.0");
        moved(r.apply(Who::Developer2), "under_review", UNDER_REVIEW);
        r.id
    };
    gw.restart_with(options().role(Who::Developer2, "reviewer"));
    let r = Release { gw: &gw, id };
    let before = releases_and_revision(&gw);
    let own = r.approve(Who::Developer2);
    assert!(
        matches!(own.status, 403 | 409),
        "self-approval must be refused: {}",
        own.text
    );
    assert!(!own.error_code().is_empty(), "{}", own.text);
    assert_eq!(
        releases_and_revision(&gw),
        before,
        "a refused approval changed state"
    );

    // Someone else's application is fine for the same reviewer.
    moved(
        r.act(Who::Developer, "withdraw"),
        "new_version_created",
        NEW_NO_PILOT,
    );
    moved(r.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(
        r.approve(Who::Developer2),
        "release_preparation",
        PREPARATION,
    );
    assert_eq!(
        r.history().last().map(entry_of).map(|e| e.0),
        Some(Who::Developer2.name().to_string())
    );
}

/// A write with a stale `If-Match` is refused with 412 and changes nothing; the current
/// one (or `*`) goes through.
#[test]
fn if_match_refuses_stale_writes() {
    let gw = gateway();
    let r = new_release(&gw, PLAIN_APP, PROD, "1.0.0");
    let reply = gw.get(Who::Viewer, &r.path("")).expect(200);
    assert_etag(&reply);
    let seen = reply.header("etag").unwrap_or_default().to_string();

    let edited = gw
        .admin("PUT", &r.path("/config"))
        .by(Who::Developer)
        .header("if-match", &seen)
        .json(&json!({ "theme": "dark" }))
        .send();
    let edited = moved(edited, "new_version_created", NEW_NO_PILOT);
    let current = edited["revision"].as_u64().unwrap_or_default();
    let before = releases_and_revision(&gw);

    // `seen` is stale now: apply and edit_config with it are refused.
    let stale_apply = r.path("/apply");
    let reply = gw
        .admin("POST", &stale_apply)
        .by(Who::Developer)
        .header("if-match", &seen)
        .send();
    let reply = reply.expect_error(412, "revision_mismatch");
    assert_eq!(reply.body["error"]["revision"], current, "{}", reply.text);
    let stale_config = gw
        .admin("PUT", &r.path("/config"))
        .by(Who::Developer)
        .header("if-match", &seen)
        .json(&json!({ "theme": "light" }))
        .send();
    stale_config.expect_error(412, "revision_mismatch");
    let garbage = gw
        .admin("POST", &stale_apply)
        .by(Who::Developer)
        .header("if-match", "not-a-revision")
        .send();
    assert!(matches!(garbage.status, 400 | 412), "{}", garbage.text);
    assert_eq!(
        releases_and_revision(&gw),
        before,
        "stale writes changed state"
    );

    let fresh = gw
        .admin("POST", &stale_apply)
        .by(Who::Developer)
        .header("if-match", &format!("\"{current}\""))
        .send();
    moved(fresh, "under_review", UNDER_REVIEW);
    let any = gw
        .admin("POST", &r.path("/withdraw"))
        .by(Who::Developer)
        .header("if-match", "*")
        .send();
    moved(any, "new_version_created", NEW_NO_PILOT);
}

/// A request refused before its body was read (401, 403) closes its connection and
/// says so, so a keep-alive client's next request goes out on a fresh connection
/// instead of into a closing one (it once failed as "peer disconnected" now and then).
#[test]
fn refusals_before_the_body_leave_keep_alive_clients_working() {
    let gw = gateway();
    let r = new_release(&gw, PLAIN_APP, PROD, "1.0.0");
    let body = json!({ "reason": "x".repeat(2000) });
    for _ in 0..100 {
        let refused = r.act_with(Who::Viewer, "reject", &body).expect(403);
        assert_eq!(refused.header("connection"), Some("close"));
        let unauthenticated = gw.admin("POST", &r.path("/apply")).json(&body).send();
        unauthenticated.expect(401);
        r.get();
    }
    // Without a body there is nothing unread: the connection stays open.
    let refused = gw.admin("GET", &r.path("")).send().expect(401);
    assert_eq!(refused.header("connection"), None);
}
