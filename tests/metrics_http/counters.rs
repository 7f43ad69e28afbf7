//! Counters that count exactly what happened: `snapshot_swaps_total` one per accepted
//! write and none for a refusal, `admin_requests_total` by route template and status
//! code, and `served_total` for the pilot and the full channel.

use serde_json::json;

use crate::common::{Gateway, Options, Release, TargetApp, Who, create_release, release_body};
use crate::*;

/// The value of a counter now, 0 when the series does not exist yet.
fn counter(gw: &Gateway, name: &str, labels: &[(&str, &str)]) -> f64 {
    value(&parse(&scrape(gw)), name, labels).unwrap_or(0.0)
}

fn swaps(gw: &Gateway) -> f64 {
    counter(gw, "graygate_snapshot_swaps_total", &[])
}

/// Each accepted write (upload, create, apply, approve, go_live, config, test group)
/// swaps in exactly one snapshot; refused and forbidden writes and reads swap none.
#[test]
fn snapshot_swaps_count_one_per_accepted_write() {
    let gw = gateway();
    let start = swaps(&gw);
    let r = prepared(&gw, "1.0.0"); // upload, create, apply, approve
    assert_eq!(swaps(&gw) - start, 4.0, "four accepted writes");
    let go = json!({"type": "grayscale", "percentage": 10});
    r.act_with(Who::Admin, "go_live", &go).expect(200);
    let lower = json!({"type": "grayscale", "percentage": 5});
    r.act_with(Who::Admin, "go_live", &lower).expect(409);
    r.act_with(Who::Developer, "go_live", &go).expect(403);
    r.act(Who::Developer, "apply").expect(409);
    r.get();
    gw.resolve(APP, "production", MP, "someone");
    assert_eq!(swaps(&gw) - start, 5.0, "refusals and reads swap nothing");
    let revision_before = gw.revision();
    go_full(&gw, r.id);
    assert_eq!(swaps(&gw) - start, 6.0);
    assert_eq!(gw.revision(), revision_before + 1);
}

fn admin_requests(gw: &Gateway, route: &str, status: &str) -> f64 {
    let labels = [("route", route), ("status", status)];
    counter(gw, "graygate_admin_requests_total", &labels)
}

/// Admin requests are counted under the route template (never the concrete id or
/// action) and the numeric status code; a path that matches no route makes no label.
#[test]
fn admin_requests_are_labelled_by_route_template_and_status() {
    let gw = Gateway::with_release(json!({}));
    let r = Release { gw: &gw, id: 1 };
    for _ in 0..3 {
        r.get();
    }
    gw.get(Who::Viewer, "/v1/admin/releases/999").expect(404);
    r.act(Who::Developer, "apply").expect(200);
    r.act(Who::Developer, "apply").expect(409);
    r.act(Who::Viewer, "withdraw").expect(403);
    gw.admin("GET", "/v1/admin/apps").send().expect(401);
    gw.get(Who::Viewer, "/v1/admin/no-such-thing").expect(404);
    let id = "/v1/admin/releases/{id}";
    let action = "/v1/admin/releases/{id}/{action}";
    let expected = [
        (id, "200", 3.0),
        (id, "404", 1.0),
        (action, "200", 1.0),
        (action, "409", 1.0),
        (action, "403", 1.0),
        ("/v1/admin/apps", "401", 1.0),
    ];
    for (route, status, n) in expected {
        assert_eq!(admin_requests(&gw, route, status), n, "{route} {status}");
    }
    let m = parse(&scrape(&gw));
    let labels: Vec<_> = m
        .iter()
        .filter(|s| s.0 == "graygate_admin_requests_total")
        .map(|s| (s.1["route"].clone(), s.1["status"].clone()))
        .collect();
    for (route, status) in &labels {
        assert!(
            !route.contains("/1") && !route.contains("999") && !route.contains("apply"),
            "a concrete id or action in a route label: {route}"
        );
        assert!(
            status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit()),
            "status label {status:?} is not a status code"
        );
    }
    assert!(
        !labels.iter().any(|(r, _)| r.contains("no-such-thing")),
        "a path that matches no route must not become a label: {labels:?}"
    );
}

/// A pilot member gets the pilot version and everyone else the full one; `served_total`
/// counts each answer under its version and channel.
#[test]
fn served_total_counts_pilot_and_full_answers() {
    let app = TargetApp::new(APP).env("production", "{ pilot_testing = true }");
    let gw = Gateway::start(Options::default().app(app));
    let old = Release::of(
        &gw,
        &create_release(&gw, &release_body(MP, "1.0.0", APP, "production")),
    );
    old.act(Who::Developer, "apply").expect(200);
    old.act(Who::Reviewer, "approve").expect(200);
    old.act(Who::Admin, "complete_testing").expect(200);
    go_full(&gw, old.id);
    let body = json!({"mini_program": MP, "version": "2.0.0", "app": APP, "env": "production",
        "test_group": ["qa-1", "qa-2"]});
    let new = Release::of(&gw, &create_release(&gw, &body));
    new.act(Who::Developer, "apply").expect(200);
    new.act(Who::Reviewer, "approve").expect(200);
    let seen = resolve_many(&gw, 25);
    for _ in 0..3 {
        for qa in ["qa-1", "qa-2"] {
            let reply = gw.resolve(APP, "production", MP, qa).expect(200);
            assert_eq!(reply.body["channel"], "pilot");
        }
    }
    assert_eq!(seen.get(&("1.0.0".into(), "full".into())), Some(&25));
    let served = |version, channel| {
        let labels = [
            ("app", APP),
            ("env", "production"),
            ("mini_program", MP),
            ("version", version),
            ("channel", channel),
        ];
        counter(&gw, "graygate_served_total", &labels)
    };
    assert_eq!(served("2.0.0", "pilot"), 6.0);
    assert_eq!(served("1.0.0", "full"), 25.0);
    assert_eq!(
        served("2.0.0", "full"),
        0.0,
        "the pilot version is not served as full"
    );
}
