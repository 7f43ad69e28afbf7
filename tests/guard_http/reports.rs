//! `POST /v1/report`: events for releases serving on the named channel count into
//! `graygate_reports_total`; others are dropped and counted by reason; a bad request
//! answers 400 and counts nothing.

use serde_json::{Value, json};

use crate::common::{Gateway, Options, Release, TargetApp, Who, release_body, upload};

const APP: &str = "superapp-r";
const MP: &str = "mp-coupons";

/// Version 1.0.0 in full release and 2.0.0 in grayscale at 10 %, with a pilot group.
fn rolled_out() -> (Gateway, u64, u64) {
    let app = TargetApp::new(APP).env("production", "{ pilot_testing = true }");
    let gw = Gateway::start(Options::default().app(app));
    let release = |version: &str, group: &[&str]| {
        upload(&gw, MP, version);
        let mut body = release_body(MP, version, APP, "production");
        body["test_group"] = json!(group);
        let reply = gw
            .post(Who::Developer, "/v1/admin/releases", &body)
            .expect(201);
        let r = Release::of(&gw, &reply);
        r.act(Who::Developer, "apply").expect(200);
        r.act(Who::Reviewer, "approve").expect(200);
        r.act(Who::Admin, "complete_testing").expect(200);
        r
    };
    let full = release("1.0.0", &["qa-0"]);
    full.act_with(Who::Admin, "go_live", &json!({"type": "full"}))
        .expect(200);
    let gray = release("2.0.0", &["qa-1"]);
    gray.act_with(
        Who::Admin,
        "go_live",
        &json!({"type": "grayscale", "percentage": 10}),
    )
    .expect(200);
    let ids = (full.id, gray.id);
    (gw, ids.0, ids.1)
}

fn report(gw: &Gateway, body: &Value) -> crate::common::Reply {
    gw.client("POST", "/v1/report").json(body).send()
}

fn event(release: u64, channel: &str, outcome: &str, count: Option<u64>) -> Value {
    let mut e =
        json!({"mini_program": MP, "release_id": release, "channel": channel, "outcome": outcome});
    if let Some(n) = count {
        e["count"] = json!(n);
    }
    e
}

/// The value of one sample of `/metrics`, 0 when absent.
fn sample(gw: &Gateway, series: &str) -> f64 {
    let text = gw.admin("GET", "/metrics").send().expect(200).text;
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or(0.0)
}

fn reports_total(gw: &Gateway, version: &str, channel: &str, outcome: &str) -> f64 {
    let series = format!(
        "graygate_reports_total{{app=\"{APP}\",env=\"production\",mini_program=\"{MP}\",version=\"{version}\",channel=\"{channel}\",outcome=\"{outcome}\"}}"
    );
    sample(gw, &series)
}

fn dropped(gw: &Gateway, reason: &str) -> f64 {
    sample(
        gw,
        &format!("graygate_reports_dropped_total{{reason=\"{reason}\"}}"),
    )
}

#[test]
fn events_count_on_the_release_and_channel_they_name() {
    let (gw, full, gray) = rolled_out();
    let events = json!([
        event(gray, "grayscale", "ok", Some(40)),
        event(gray, "grayscale", "error", None),
        event(gray, "pilot", "error", Some(3)),
        event(full, "full", "ok", Some(1000)),
        event(full, "full", "error", Some(7)),
    ]);
    let reply = report(
        &gw,
        &json!({"app": APP, "env": "production", "events": events}),
    );
    let reply = reply.expect(202);
    assert_eq!(reply.body, json!({"accepted": 5, "dropped": 0}));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reports_total(&gw, "2.0.0", "grayscale", "ok"), 40.0);
    assert_eq!(
        reports_total(&gw, "2.0.0", "grayscale", "error"),
        1.0,
        "count defaults to 1"
    );
    assert_eq!(reports_total(&gw, "2.0.0", "pilot", "error"), 3.0);
    assert_eq!(reports_total(&gw, "1.0.0", "full", "ok"), 1000.0);
    assert_eq!(reports_total(&gw, "1.0.0", "full", "error"), 7.0);
    // A second report adds up.
    let again = json!({"app": APP, "env": "production", "events": [event(gray, "grayscale", "ok", Some(2))]});
    report(&gw, &again).expect(202);
    assert_eq!(reports_total(&gw, "2.0.0", "grayscale", "ok"), 42.0);
}

#[test]
fn events_for_releases_not_serving_there_are_dropped_and_counted() {
    let (gw, full, gray) = rolled_out();
    let events = json!([
        event(full, "grayscale", "error", Some(5)),
        event(gray, "full", "error", Some(5)),
        event(999, "full", "ok", None),
        {"mini_program": "mp-unknown", "release_id": gray, "channel": "grayscale", "outcome": "error"},
        event(gray, "grayscale", "ok", None),
    ]);
    let reply = report(
        &gw,
        &json!({"app": APP, "env": "production", "events": events}),
    )
    .expect(202);
    assert_eq!(reply.body, json!({"accepted": 1, "dropped": 4}));
    assert_eq!(dropped(&gw, "not_serving"), 3.0);
    assert_eq!(dropped(&gw, "unknown_route"), 1.0);
    assert_eq!(
        reports_total(&gw, "1.0.0", "full", "error"),
        0.0,
        "nothing counted for the wrong channel"
    );
    assert_eq!(reports_total(&gw, "2.0.0", "grayscale", "error"), 0.0);
    let other_env =
        json!({"app": APP, "env": "sandbox", "events": [event(gray, "grayscale", "ok", None)]});
    let reply = report(&gw, &other_env).expect(202);
    assert_eq!(reply.body, json!({"accepted": 0, "dropped": 1}));
}

#[test]
fn a_bad_report_answers_400_and_counts_nothing() {
    let (gw, full, gray) = rolled_out();
    let good = event(gray, "grayscale", "error", Some(9));
    let many: Vec<Value> = (0..101).map(|_| good.clone()).collect();
    let with = |e: Value| json!({"app": APP, "env": "production", "events": [good.clone(), e]});
    let cases = [
        (
            json!({"app": APP, "env": "production", "events": []}),
            "events",
        ),
        (
            json!({"app": APP, "env": "production", "events": many}),
            "events",
        ),
        (with(event(full, "full", "ok", Some(0))), "count"),
        (with(event(full, "full", "ok", Some(1001))), "count"),
        (with(event(full, "full", "crashed", None)), "outcome"),
        (with(event(full, "everyone", "ok", None)), "channel"),
        (
            with(
                json!({"mini_program": "bad id!", "release_id": full, "channel": "full", "outcome": "ok"}),
            ),
            "mini_program",
        ),
        (
            with(
                json!({"mini_program": MP, "release_id": "1", "channel": "full", "outcome": "ok"}),
            ),
            "release_id",
        ),
        (
            with(
                json!({"mini_program": MP, "release_id": full, "channel": "full", "outcome": "ok", "extra": 1}),
            ),
            "extra",
        ),
        (
            with(json!({"mini_program": MP, "channel": "full", "outcome": "ok"})),
            "release_id",
        ),
        (
            json!({"app": APP, "env": "staging", "events": [good.clone()]}),
            "env",
        ),
        (
            json!({"app": "bad app!", "env": "production", "events": [good.clone()]}),
            "app",
        ),
        (
            json!({"app": APP, "env": "production", "events": [good.clone()], "user": "u"}),
            "user",
        ),
    ];
    for (body, field) in cases {
        let reply = report(&gw, &body);
        assert_eq!(reply.status, 400, "{body}: {}", reply.text);
        let message = reply.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            message.contains(field),
            "{body}: the message should name {field}: {message}"
        );
    }
    let not_json = gw
        .client("POST", "/v1/report")
        .header("content-type", "application/json")
        .body("{")
        .send();
    assert_eq!(not_json.status, 400);
    assert_eq!(
        reports_total(&gw, "2.0.0", "grayscale", "error"),
        0.0,
        "a refused request counted"
    );
    assert_eq!(
        dropped(&gw, "not_serving") + dropped(&gw, "unknown_route"),
        0.0
    );
}

#[test]
fn reports_are_on_the_client_listener_only() {
    let (gw, _, gray) = rolled_out();
    let body =
        json!({"app": APP, "env": "production", "events": [event(gray, "grayscale", "ok", None)]});
    let on_admin = gw.admin("POST", "/v1/report").json(&body).send();
    assert_eq!(on_admin.status, 404, "{}", on_admin.text);
}
