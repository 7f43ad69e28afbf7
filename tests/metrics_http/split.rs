//! The split of a rollout as the metrics report it, and per-version series that exist
//! only while their release serves.

use serde_json::json;

use crate::common::Who;
use crate::*;

#[test]
fn metrics_report_the_real_split_of_a_rollout() {
    let gw = gateway();
    let id = roll_out(&gw, "1.0.0", 30.0);
    let seen = resolve_many(&gw, 1000);
    let gray = seen
        .get(&("1.0.0".into(), "grayscale".into()))
        .copied()
        .unwrap_or(0);
    let none = seen
        .get(&(String::new(), "none".into()))
        .copied()
        .unwrap_or(0);
    assert_eq!(gray + none, 1000);
    assert!(
        (200..400).contains(&gray),
        "about 30 % in grayscale: {gray}"
    );
    gw.resolve("bad app", "production", MP, "u").expect(400);
    gw.admin("GET", "/v1/admin/releases")
        .bearer("wrong")
        .send()
        .expect(401);
    gw.admin("GET", "/v1/admin/releases").send().expect(401);
    gw.post(
        Who::Admin,
        &format!("/v1/admin/releases/{id}/go_live"),
        &json!({"type": "grayscale", "percentage": 10}),
    )
    .expect(409);

    let m = parse(&scrape(&gw));
    let series = [
        ("app", APP),
        ("env", "production"),
        ("mini_program", MP),
        ("version", "1.0.0"),
    ];
    let served = |channel| {
        value(
            &m,
            "graygate_served_total",
            &[
                series[0],
                series[1],
                series[2],
                series[3],
                ("channel", channel),
            ],
        )
    };
    assert_eq!(
        served("grayscale"),
        Some(gray as f64),
        "served_total counts every grayscale answer"
    );
    let requests = |channel| {
        value(
            &m,
            "graygate_resolve_requests_total",
            &[("app", APP), ("env", "production"), ("channel", channel)],
        )
    };
    assert_eq!(requests("grayscale"), Some(gray as f64));
    assert_eq!(requests("none"), Some(none as f64));
    let errors = value(
        &m,
        "graygate_resolve_requests_total",
        &[("channel", "error"), ("app", "_other")],
    );
    assert_eq!(
        errors,
        Some(1.0),
        "bad requests are counted under a bounded label"
    );
    assert_eq!(
        value(&m, "graygate_release_percentage", &series),
        Some(30.0)
    );
    assert_eq!(
        value(
            &m,
            "graygate_releases",
            &[
                ("app", APP),
                ("env", "production"),
                ("status", "grayscale_release")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &m,
            "graygate_workflow_actions_total",
            &[("action", "go_live"), ("outcome", "accepted")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &m,
            "graygate_workflow_actions_total",
            &[("action", "go_live"), ("outcome", "refused")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&m, "graygate_snapshot_revision", &[]),
        Some(gw.revision() as f64)
    );
    let auth_failures = value(&m, "graygate_auth_failures_total", &[]);
    assert_eq!(auth_failures, Some(2.0), "failed authentication is counted");
    let histogram_count = value(&m, "graygate_resolve_duration_seconds_count", &[]).unwrap_or(0.0);
    assert!(
        histogram_count >= 1001.0,
        "every resolve is timed: {histogram_count}"
    );
    for name in [
        "graygate_snapshot_swaps_total",
        "graygate_snapshot_build_seconds_count",
        "graygate_admin_requests_total",
        "graygate_process_resident_memory_bytes",
        "graygate_store_up",
    ] {
        assert!(m.iter().any(|s| s.0 == name), "{name} is exported");
    }
}

#[test]
fn per_version_series_exist_only_while_a_release_serves() {
    let gw = gateway();
    let first = roll_out(&gw, "1.0.0", 50.0);
    go_full(&gw, first);
    resolve_many(&gw, 20);
    let second = roll_out(&gw, "2.0.0", 50.0);
    resolve_many(&gw, 20);
    let m = parse(&scrape(&gw));
    let has = |m: &[Sample], v: &str| {
        m.iter().any(|s| {
            s.0 == "graygate_served_total" && s.1.get("version").map(String::as_str) == Some(v)
        })
    };
    assert!(
        has(&m, "1.0.0") && has(&m, "2.0.0"),
        "full and in-flight releases have series"
    );
    go_full(&gw, second); // archives 1.0.0
    let m = parse(&scrape(&gw));
    assert!(
        !has(&m, "1.0.0"),
        "an archived release's series are removed"
    );
    assert!(has(&m, "2.0.0"));
    assert!(value(&m, "graygate_release_percentage", &[("version", "1.0.0")]).is_none());
    assert!(
        value(&m, "graygate_release_percentage", &[("version", "2.0.0")]).is_none(),
        "no percentage outside grayscale"
    );
}
