//! The records releases refer to: target apps and their policies (owned by reviewers)
//! and mini program versions (uploaded once).

use serde_json::{Value, json};

use crate::common::{Gateway, Who};
use crate::support::*;

const PROD: &str = "production";

fn app(gw: &Gateway, id: &str) -> Value {
    gw.get(Who::Viewer, &format!("/v1/admin/apps/{id}"))
        .expect(200)
        .body
}

/// `PUT /v1/admin/apps/{app}` is the reviewers' alone; production approval is always
/// manual; a policy change decides the next `apply`.
#[test]
fn target_apps_belong_to_reviewers() {
    let gw = gateway();
    let apps = gw.get(Who::Viewer, "/v1/admin/apps").expect(200).body;
    let mut ids: Vec<&str> = apps
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["id"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [PILOT_APP, PLAIN_APP, AUTO_APP, AUTO_PILOT_APP]);
    let before = app(&gw, AUTO_APP);
    assert_eq!(before["environments"]["production"]["approval"], "manual");
    assert_eq!(before["environments"]["sandbox"]["approval"], "auto");
    gw.get(Who::Viewer, "/v1/admin/apps/superapp-none")
        .expect_error(404, "app_not_found");

    let path = format!("/v1/admin/apps/{AUTO_APP}");
    let policy = json!({ "environments": {
        "production": { "pilot_testing": true },
        "sandbox": { "approval": "manual" },
    } });
    for who in [Who::Admin, Who::Developer, Who::Developer2, Who::Viewer] {
        forbidden(gw.put(who, &path, &policy));
    }
    let invalid = [
        json!({ "environments": { "production": { "approval": "auto" } } }),
        json!({ "environments": { "production": {}, "development": { "approval": "manual" } } }),
        json!({ "environments": { "production": {}, "test": { "pilot_testing": true } } }),
        json!({ "environments": { "sandbox": {} } }),
        json!({ "environments": { "production": {}, "staging": {} } }),
        json!({ "environments": { "production": { "approval": "sometimes" } } }),
        json!({ "environments": { "production": { "colour": "red" } } }),
        json!({ "environments": { "production": {} }, "owner": "x" }),
        json!({}),
    ];
    for body in &invalid {
        bad_request(gw.put(Who::Reviewer, &path, body));
    }
    bad_request(gw.admin("PUT", &path).by(Who::Reviewer).body("{").send());
    bad_request(gw.put(Who::Reviewer, "/v1/admin/apps/-bad", &policy));
    assert_eq!(
        app(&gw, AUTO_APP),
        before,
        "refused policy changes changed the app"
    );

    let saved = gw.put(Who::Reviewer, &path, &policy).expect(200).body;
    assert_eq!(saved["environments"]["sandbox"]["approval"], "manual");
    assert_eq!(saved["environments"]["production"]["pilot_testing"], true);
    assert_eq!(app(&gw, AUTO_APP)["environments"], saved["environments"]);

    // The new policy decides: the sandbox now waits for a reviewer, production pilots.
    let sandbox = new_release(&gw, AUTO_APP, "sandbox", "1.0.0");
    moved(sandbox.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(sandbox.approve(Who::Reviewer), "full_release", FULL);
    let prod = new_release_of(
        &gw,
        MP,
        AUTO_APP,
        PROD,
        "1.0.0",
        json!({ "test_group": ["p"] }),
    );
    moved(prod.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(prod.approve(Who::Reviewer), "pilot_testing", PILOT_TESTING);

    // A reviewer may add a target app.
    let new_app = json!({ "environments": { "production": {}, "test": {} } });
    let reply = gw.put(Who::Reviewer2, "/v1/admin/apps/superapp-e", &new_app);
    assert!(matches!(reply.status, 200 | 201), "{}", reply.text);
    let r = new_release(&gw, "superapp-e", "test", "1.0.0");
    moved(r.apply(Who::Developer), "full_release", FULL);
    serves(&gw, "superapp-e", "test", "u", Some(("1.0.0", "full")));
}

/// Versions are uploaded once, with an absolute http(s) package URL and an optional
/// sha256; releases need an uploaded version, a known app and a configured environment.
#[test]
fn versions_are_uploaded_once() {
    let gw = gateway();
    let path = format!("/v1/admin/mini-programs/{MP}/versions");
    let digest = "AB".repeat(32);
    let body =
        json!({ "version": "1.0.0", "package_url": package_url(MP, "1.0.0"), "sha256": digest });
    let v = gw.post(Who::Developer, &path, &body).expect(201).body;
    assert_eq!(
        (&v["mini_program"], &v["version"], &v["package_url"]),
        (
            &json!(MP),
            &json!("1.0.0"),
            &json!(package_url(MP, "1.0.0"))
        )
    );
    assert_eq!(v["sha256"], digest.to_ascii_lowercase());
    assert_eq!(v["created_by"], Who::Developer.name());
    let rev = gw.revision();

    gw.post(Who::Developer, &path, &body)
        .expect_error(409, "version_exists");
    let other_url =
        json!({ "version": "1.0.0", "package_url": "https://elsewhere.example.com/x.zip" });
    gw.post(Who::Admin, &path, &other_url)
        .expect_error(409, "version_exists");
    let with = |field: &str, value: Value| {
        let mut b = json!({ "version": "1.1.0", "package_url": package_url(MP, "1.1.0") });
        b[field] = value;
        b
    };
    let invalid = [
        with("package_url", json!("ftp://cdn.example.com/x.zip")),
        with("package_url", json!("/x.zip")),
        with("package_url", json!("cdn.example.com/x.zip")),
        with("package_url", json!("https://")),
        with("package_url", json!("https:// cdn.example.com/x.zip")),
        with("package_url", json!("https://cdn.example.com/a\nb")),
        with("package_url", json!("")),
        with("package_url", json!(7)),
        with("sha256", json!("xyz")),
        with("sha256", json!("ab".repeat(31))),
        with("version", json!("_1")),
        with("version", json!("1 0")),
        with("version", json!("")),
        with("version", json!("1".repeat(65))),
        with("colour", json!("red")),
        json!({ "version": "1.1.0" }),
    ];
    for b in &invalid {
        bad_request(gw.post(Who::Developer, &path, b));
    }
    bad_request(
        gw.admin("POST", &path)
            .by(Who::Developer)
            .body("not json")
            .send(),
    );
    bad_request(gw.post(
        Who::Developer,
        "/v1/admin/mini-programs/-bad/versions",
        &with("x", json!(1)),
    ));
    assert_eq!(gw.revision(), rev, "refused uploads changed state");

    gw.post(Who::Admin, &path, &with("sha256", Value::Null))
        .expect(201);
    let list = gw.get(Who::Viewer, &path).expect(200).body;
    let mut versions: Vec<&str> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["version"].as_str())
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, ["1.0.0", "1.1.0"]);
    let empty = gw
        .get(Who::Viewer, "/v1/admin/mini-programs/mp-none/versions")
        .expect(200)
        .body;
    assert_eq!(empty, json!([]));

    // Releases refer to an uploaded version of a known app's configured environment.
    let release = |version: &str, app: &str, env: &str| {
        create(
            &gw,
            Who::Developer,
            &json!({ "mini_program": MP, "version": version, "app": app, "env": env }),
        )
    };
    release("9.9.9", PILOT_APP, PROD).expect_error(404, "version_not_found");
    release("1.0.0", "superapp-none", PROD).expect_error(404, "app_not_found");
    release("1.0.0", PLAIN_APP, "development").expect_error(404, "environment_not_configured");
    bad_request(release("1.0.0", PLAIN_APP, "staging"));
    assert_eq!(
        gw.revision(),
        rev + 1,
        "only the second upload changed state"
    );
}
