//! Vocabulary of the platform scenarios: a target app with all four environments and a
//! mini program released in each (production with a full release and a grayscale release
//! that has a pilot group), the answers users get, and the admin calls of SPEC §11.

use serde_json::{Value, json};

use crate::common::{Gateway, Options, Release, Reply, StoreSpec, TargetApp, Who, query};

/// Production with pilot testing, sandbox approving automatically without pilot testing,
/// development and test.
pub const APP: &str = "superapp-p";
/// Another target app, with development only.
pub const OTHER_APP: &str = "superapp-q";
pub const ENVS: [&str; 4] = ["development", "test", "sandbox", "production"];
/// The mini program the scenarios suspend.
pub const MP: &str = "mp-wallet";
/// A mini program of the same app that is never suspended.
pub const BYSTANDER: &str = "mp-maps";
/// The pilot test group of the production grayscale release.
pub const PILOT: &str = "pilot-1";

/// The target apps of [`gateway`].
pub fn options() -> Options {
    let app = TargetApp::new(APP)
        .env("production", "{ pilot_testing = true }")
        .env("sandbox", "{ approval = \"auto\", pilot_testing = false }")
        .env("development", "{}")
        .env("test", "{}");
    Options::default().app(app).app(
        TargetApp::new(OTHER_APP)
            .env("production", "{}")
            .env("development", "{}"),
    )
}

/// A gateway with the store `store` and the target apps of [`options`].
pub fn gateway(store: StoreSpec) -> Gateway {
    Gateway::start(options().store(store))
}

/// Creates a release of `mp` `version` for (app, env), optionally with a pilot group.
fn create(gw: &Gateway, mp: &str, version: &str, (app, env): (&str, &str), pilot: bool) -> u64 {
    let mut body = crate::common::release_body(mp, version, app, env);
    if pilot {
        body["test_group"] = json!([PILOT]);
    }
    let reply = gw
        .post(Who::Developer, "/v1/admin/releases", &body)
        .expect(201);
    reply.body["id"].as_u64().expect("numeric release id")
}

#[track_caller]
fn act(gw: &Gateway, who: Who, id: u64, action: &str, body: Option<Value>) -> Value {
    let release = Release { gw, id };
    let reply = match body {
        Some(body) => release.act_with(who, action, &body),
        None => release.act(who, action),
    };
    reply.expect(200).body
}

/// `mp` 1.0.0 in full release in development, test and sandbox of [`APP`] (apply goes
/// straight to `full_release` there).
fn release_outside_production(gw: &Gateway, mp: &str) {
    for env in ["development", "test", "sandbox"] {
        let id = create(gw, mp, "1.0.0", (APP, env), false);
        let applied = act(gw, Who::Developer, id, "apply", None);
        assert_eq!(applied["status"], "full_release", "{env}: {applied}");
    }
}

/// In production of [`APP`]: `mp` 1.0.0 in full release and 2.0.0 in grayscale at 50 %
/// with [`PILOT`] in its pilot group.
fn release_in_production(gw: &Gateway, mp: &str) {
    let full = create(gw, mp, "1.0.0", (APP, "production"), false);
    act(gw, Who::Developer, full, "apply", None);
    act(gw, Who::Reviewer, full, "approve", None);
    act(gw, Who::Admin, full, "complete_testing", None);
    act(
        gw,
        Who::Admin,
        full,
        "go_live",
        Some(json!({"type": "full"})),
    );
    let gray = create(gw, mp, "2.0.0", (APP, "production"), true);
    act(gw, Who::Developer, gray, "apply", None);
    act(gw, Who::Reviewer, gray, "approve", None);
    act(gw, Who::Admin, gray, "complete_testing", None);
    let body = json!({"type": "grayscale", "percentage": 50});
    let live = act(gw, Who::Admin, gray, "go_live", Some(body));
    assert_eq!(live["status"], "grayscale_release", "{live}");
}

/// Seeds [`MP`] in every environment of [`APP`] (see above) and in development of
/// [`OTHER_APP`], and [`BYSTANDER`] in full release in development of [`APP`].
pub fn seed(gw: &Gateway) {
    for (mp, version) in [(MP, "1.0.0"), (MP, "2.0.0"), (BYSTANDER, "1.0.0")] {
        crate::common::upload(gw, mp, version);
    }
    release_outside_production(gw, MP);
    release_in_production(gw, MP);
    let other = create(gw, MP, "1.0.0", (OTHER_APP, "development"), false);
    act(gw, Who::Developer, other, "apply", None);
    let bystander = create(gw, BYSTANDER, "1.0.0", (APP, "development"), false);
    act(gw, Who::Developer, bystander, "apply", None);
}

/// The users whose answers the scenarios compare: the pilot member and 40 others, of
/// whom some are in production's 50 % grayscale and some are not.
pub fn users() -> Vec<String> {
    let mut users = crate::common::users("user", 40);
    users.push(PILOT.to_string());
    users
}

/// An answer without its `revision`, which every accepted action moves.
pub fn without_revision(mut body: Value) -> Value {
    if let Some(object) = body.as_object_mut() {
        object.remove("revision");
    }
    body
}

/// (status, body without revision) of every user's resolve of `mp` in (app, env).
pub fn answers(gw: &Gateway, app: &str, env: &str, mp: &str) -> Vec<(u16, Value)> {
    users()
        .iter()
        .map(|user| {
            let reply = gw.resolve(app, env, mp, user);
            (reply.status, without_revision(reply.body))
        })
        .collect()
}

/// `POST /v1/resolve` for `user`, `mini_programs` omitted when `None`.
pub fn batch(gw: &Gateway, env: &str, user: &str, mini_programs: Option<&[&str]>) -> Value {
    let mut body = json!({"app": APP, "env": env, "user": user});
    if let Some(list) = mini_programs {
        body["mini_programs"] = json!(list);
    }
    let reply = gw.client("POST", "/v1/resolve").json(&body).send();
    reply.expect(200).body
}

/// A batch answer's result for `mp`: `Some(Value::Null)` when listed as null, `None`
/// when not listed at all (indexing a JSON object would read both as null).
pub fn result_of(answer: &Value, mp: &str) -> Option<Value> {
    answer["results"].as_object()?.get(mp).cloned()
}

pub fn suspension_path(app: &str, mp: &str) -> String {
    format!("/v1/admin/apps/{app}/suspensions/{mp}")
}

/// `PUT …/suspensions/{mp}` as `who` with `body`, whatever the answer.
pub fn suspend_with(gw: &Gateway, who: Who, (app, mp): (&str, &str), body: &Value) -> Reply {
    gw.put(who, &suspension_path(app, mp), body)
}

/// Suspends [`MP`] in [`APP`] as the reviewer; the suspension.
#[track_caller]
pub fn suspend(gw: &Gateway, reason: &str) -> Value {
    let body = json!({ "reason": reason });
    suspend_with(gw, Who::Reviewer, (APP, MP), &body)
        .expect(201)
        .body
}

/// `DELETE …/suspensions/{mp}` as `who`, whatever the answer.
pub fn lift_as(gw: &Gateway, who: Who, (app, mp): (&str, &str)) -> Reply {
    gw.admin("DELETE", &suspension_path(app, mp)).by(who).send()
}

/// The suspensions in force in `app`, as the viewer reads them.
pub fn suspensions(gw: &Gateway, app: &str) -> Value {
    let path = format!("/v1/admin/apps/{app}/suspensions");
    gw.get(Who::Viewer, &path).expect(200).body
}

/// The recorded events of [`MP`] in [`APP`], as the viewer reads them.
pub fn suspension_history(gw: &Gateway) -> Vec<Value> {
    let path = format!("{}/history", suspension_path(APP, MP));
    let reply = gw.get(Who::Viewer, &path).expect(200);
    reply.body.as_array().cloned().expect("a list of events")
}

/// Every release of [`APP`] with its history, as the viewer reads them.
pub fn releases_and_histories(gw: &Gateway) -> Vec<(Value, Value)> {
    let list = gw.get(
        Who::Viewer,
        &format!("/v1/admin/releases?{}", query(&[("app", APP)])),
    );
    let list = list.expect(200).body.as_array().cloned().expect("a list");
    list.into_iter()
        .map(|r| {
            let id = r["id"].as_u64().expect("id");
            let history = gw.get(Who::Viewer, &format!("/v1/admin/releases/{id}/history"));
            (r, history.expect(200).body)
        })
        .collect()
}

/// Asserts that every user gets 404 `suspended` for [`MP`] in (app, env).
#[track_caller]
pub fn assert_suspended(gw: &Gateway, app: &str, env: &str) {
    for user in users() {
        let reply = gw.resolve(app, env, MP, &user);
        let reply = reply.expect_error(404, "suspended");
        let message = reply.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("suspended by the super app"), "{message}");
    }
}
