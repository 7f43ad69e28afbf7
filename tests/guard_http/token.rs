//! Per-app report tokens (SPEC §9): a target app with `report_token_sha256` takes
//! `POST /v1/report` only with `Authorization: Bearer <token>` (401 otherwise, nothing
//! counted); other apps need no header. The token is set in the config file or with
//! `PUT /v1/admin/apps/{app}`, validated strictly, shown only as `report_token`, and kept
//! across restarts.

use serde_json::{Value, json};

use crate::common::{
    Gateway, Options, Release, TargetApp, Who, release_body, token_sha256, upload,
};

const GUARDED: &str = "superapp-t";
const OPEN: &str = "superapp-o";
const MP: &str = "mp-coupons";
const TOKEN: &str = "report-secret-of-superapp-t";

/// Version 1.0.0 of [`MP`] in full release to `app`'s production; its release id.
fn full_release(gw: &Gateway, app: &str) -> u64 {
    upload(gw, MP, "1.0.0");
    let body = release_body(MP, "1.0.0", app, "production");
    let reply = gw
        .post(Who::Developer, "/v1/admin/releases", &body)
        .expect(201);
    let r = Release::of(gw, &reply);
    r.act(Who::Developer, "apply").expect(200);
    r.act(Who::Reviewer, "approve").expect(200);
    r.act_with(Who::Admin, "go_live", &json!({"type": "full"}))
        .expect(200);
    r.id
}

/// A report of `count` `ok` events for `release` of `app`.
fn report_body(app: &str, release: u64, count: u64) -> Value {
    let event = json!({"mini_program": MP, "release_id": release, "channel": "full", "outcome": "ok", "count": count});
    json!({"app": app, "env": "production", "events": [event]})
}

/// `POST /v1/report` with `authorization` as the header, if any.
fn report(gw: &Gateway, body: &Value, authorization: Option<&str>) -> crate::common::Reply {
    let call = gw.client("POST", "/v1/report").json(body);
    match authorization {
        Some(value) => call.header("authorization", value),
        None => call,
    }
    .send()
}

/// `graygate_reports_total` of 1.0.0's `ok` reports for `app`, 0 when absent.
fn counted(gw: &Gateway, app: &str) -> f64 {
    let series = format!(
        "graygate_reports_total{{app=\"{app}\",env=\"production\",mini_program=\"{MP}\",version=\"1.0.0\",channel=\"full\",outcome=\"ok\"}}"
    );
    let text = gw.admin("GET", "/metrics").send().expect(200).text;
    text.lines()
        .find_map(|l| l.strip_prefix(series.as_str())?.trim().parse().ok())
        .unwrap_or(0.0)
}

fn app_view(gw: &Gateway, app: &str) -> Value {
    gw.get(Who::Viewer, &format!("/v1/admin/apps/{app}"))
        .expect(200)
        .body
}

fn put_app(gw: &Gateway, app: &str, token_sha256: Option<Value>) -> crate::common::Reply {
    let mut body = json!({"environments": {"production": {}}});
    if let Some(hash) = token_sha256 {
        body["report_token_sha256"] = hash;
    }
    gw.put(Who::Reviewer, &format!("/v1/admin/apps/{app}"), &body)
}

/// Reports for the guarded app are refused without its token and counted with it.
#[track_caller]
fn assert_guarded(gw: &Gateway, app: &str, release: u64) {
    let before = counted(gw, app);
    let body = report_body(app, release, 5);
    for wrong in [
        None,
        Some("Bearer not-the-token"),
        Some(TOKEN),
        Some("Basic cmVwb3J0"),
        Some("Bearer "),
    ] {
        let reply = report(gw, &body, wrong);
        reply.expect_error(401, "unauthorized");
    }
    assert_eq!(counted(gw, app), before, "a refused report counted");
    let right = report(gw, &body, Some(&format!("Bearer {TOKEN}"))).expect(202);
    assert_eq!(right.body, json!({"accepted": 1, "dropped": 0}));
    assert_eq!(counted(gw, app), before + 5.0);
}

#[test]
fn an_app_with_a_token_in_the_config_takes_reports_only_with_it() {
    let guarded = TargetApp::new(GUARDED)
        .env("production", "{}")
        .report_token(TOKEN);
    let open = TargetApp::new(OPEN).env("production", "{}");
    let gw = Gateway::start(Options::default().app(guarded).app(open));
    let (guarded_release, open_release) = (full_release(&gw, GUARDED), full_release(&gw, OPEN));
    assert_guarded(&gw, GUARDED, guarded_release);
    // The token is checked before the events: a bad event without it is still 401.
    let mut bad = report_body(GUARDED, guarded_release, 5);
    bad["events"][0]["count"] = json!(0);
    report(&gw, &bad, None).expect_error(401, "unauthorized");
    // Another app is not affected, with or without some header.
    let open_body = report_body(OPEN, open_release, 2);
    report(&gw, &open_body, None).expect(202);
    report(&gw, &open_body, Some("Bearer anything")).expect(202);
    assert_eq!(counted(&gw, OPEN), 4.0);
    // The view says that a token is set, never which.
    let view = app_view(&gw, GUARDED);
    assert_eq!(view["report_token"], json!(true), "{view}");
    assert_eq!(app_view(&gw, OPEN)["report_token"], json!(false));
    let listed = gw.get(Who::Viewer, "/v1/admin/apps").expect(200).text;
    assert!(!listed.contains(&token_sha256(TOKEN)), "{listed}");
    assert!(!listed.contains("report_token_sha256"), "{listed}");
}

#[test]
fn a_token_set_with_put_apps_guards_reports_and_survives_a_restart() {
    let open = TargetApp::new(GUARDED).env("production", "{}");
    let mut gw = Gateway::start(Options::default().app(open));
    let release = full_release(&gw, GUARDED);
    report(&gw, &report_body(GUARDED, release, 1), None).expect(202);
    let hash = token_sha256(TOKEN).to_uppercase();
    let saved = put_app(&gw, GUARDED, Some(json!(hash))).expect(200);
    assert_eq!(saved.body["report_token"], json!(true), "{}", saved.text);
    assert!(!saved.text.to_lowercase().contains(&token_sha256(TOKEN)));
    assert_guarded(&gw, GUARDED, release);
    gw.restart();
    assert_eq!(app_view(&gw, GUARDED)["report_token"], json!(true));
    assert_guarded(&gw, GUARDED, release);
    // PUT replaces the app: without the field (or with null) the token is gone.
    put_app(&gw, GUARDED, Some(Value::Null)).expect(200);
    assert_eq!(app_view(&gw, GUARDED)["report_token"], json!(false));
    report(&gw, &report_body(GUARDED, release, 1), None).expect(202);
    put_app(&gw, GUARDED, Some(json!(token_sha256(TOKEN)))).expect(200);
    put_app(&gw, GUARDED, None).expect(200);
    report(&gw, &report_body(GUARDED, release, 1), None).expect(202);
}

#[test]
fn a_bad_hash_is_refused_by_name_and_changes_nothing() {
    let app = TargetApp::new(GUARDED)
        .env("production", "{}")
        .report_token(TOKEN);
    let gw = Gateway::start(Options::default().app(app));
    let release = full_release(&gw, GUARDED);
    let before = app_view(&gw, GUARDED);
    let short = token_sha256(TOKEN)[..63].to_string();
    let not_hex = format!("{}zz", &token_sha256(TOKEN)[..62]);
    for bad in [
        json!("xyz"),
        json!(short),
        json!(not_hex),
        json!(7),
        json!(TOKEN),
    ] {
        let reply = put_app(&gw, GUARDED, Some(bad.clone()));
        let reply = reply.expect_error(400, "invalid_body");
        let message = reply.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("report_token_sha256"), "{bad}: {message}");
    }
    assert_eq!(
        app_view(&gw, GUARDED),
        before,
        "a refused PUT changed the app"
    );
    assert_guarded(&gw, GUARDED, release);
}

#[test]
fn a_config_token_is_applied_when_the_app_is_created_and_the_stored_one_kept() {
    let open = TargetApp::new(GUARDED).env("production", "{}");
    let mut gw = Gateway::start(Options::default().app(open));
    let release = full_release(&gw, GUARDED);
    // The file now names a token, but the app exists: the stored app (no token) stays,
    // and the start says so.
    let guarded = TargetApp::new(GUARDED)
        .env("production", "{}")
        .report_token(TOKEN);
    gw.restart_with(Options::default().app(guarded));
    assert_eq!(app_view(&gw, GUARDED)["report_token"], json!(false));
    report(&gw, &report_body(GUARDED, release, 1), None).expect(202);
    assert!(
        gw.stderr().contains("report_token_sha256"),
        "{}",
        gw.stderr()
    );
}
