//! `/metrics` as Prometheus sees it: every SPEC §6 series, numbers that match what clients
//! were served, bounded per-version series, a clean `promtool check metrics`, and a real
//! Prometheus scraping the gateway (when its binaries are installed; `.ci/run` installs them).

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Gateway, Options, TargetApp, Who, tool};
use serde_json::{Value, json};

const APP: &str = "superapp-a";
const MP: &str = "mp-metrics";

/// One sample line: metric name, its labels, its value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses the text exposition format (no escapes occur in graygate's label values).
fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("sample has a value");
            let value: f64 = value.parse().expect("numeric value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label pair");
                    (k.to_string(), v.trim_matches('"').to_string())
                })
                .collect();
            (name.to_string(), labels, value)
        })
        .collect()
}

/// The value of the series `name` whose labels include `want`, if present.
fn value(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|(n, labels, _)| {
            n == name
                && want
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.2)
}

fn scrape(gw: &Gateway) -> String {
    let reply = gw.admin("GET", "/metrics").send().expect(200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
    reply.text
}

fn gateway() -> Gateway {
    Gateway::start(
        Options::default().app(TargetApp::new(APP).env("production", "{ pilot_testing = false }")),
    )
}

/// Uploads `version` and takes it to `grayscale_release` at `percentage`; returns the id.
fn roll_out(gw: &Gateway, version: &str, percentage: f64) -> u64 {
    let url = format!("https://cdn.example.com/{MP}/{version}.zip");
    gw.post(
        Who::Developer,
        &format!("/v1/admin/mini-programs/{MP}/versions"),
        &json!({"version": version, "package_url": url}),
    )
    .expect(201);
    let body = json!({"mini_program": MP, "version": version, "app": APP, "env": "production"});
    let id = gw
        .post(Who::Developer, "/v1/admin/releases", &body)
        .expect(201)
        .body["id"]
        .as_u64()
        .expect("id");
    gw.post(
        Who::Developer,
        &format!("/v1/admin/releases/{id}/apply"),
        &json!({}),
    )
    .expect(200);
    gw.post(
        Who::Reviewer,
        &format!("/v1/admin/releases/{id}/approve"),
        &json!({}),
    )
    .expect(200);
    let go = json!({"type": "grayscale", "percentage": percentage});
    gw.post(Who::Admin, &format!("/v1/admin/releases/{id}/go_live"), &go)
        .expect(200);
    id
}

fn go_full(gw: &Gateway, id: u64) {
    gw.post(
        Who::Admin,
        &format!("/v1/admin/releases/{id}/go_live"),
        &json!({"type": "full"}),
    )
    .expect(200);
}

/// Resolves users `0..n` and counts the answers by (version, channel); misses count as ("", "none").
fn resolve_many(gw: &Gateway, n: usize) -> BTreeMap<(String, String), usize> {
    let mut seen = BTreeMap::new();
    for i in 0..n {
        let reply = gw.resolve(APP, "production", MP, &format!("user-{i}"));
        let key = match reply.status {
            200 => (
                reply.body["version"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                reply.body["channel"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
            404 => (String::new(), "none".to_string()),
            other => panic!("unexpected status {other}: {}", reply.text),
        };
        *seen.entry(key).or_default() += 1;
    }
    seen
}

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

#[test]
fn promtool_finds_nothing_to_complain_about() {
    if !tool("promtool_finds_nothing_to_complain_about", "promtool") {
        return;
    }
    let gw = gateway();
    roll_out(&gw, "1.0.0", 5.0);
    resolve_many(&gw, 10);
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(scrape(&gw).as_bytes())
        .expect("feed promtool");
    let out = child.wait_with_output().expect("promtool ends");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.trim().is_empty(),
        "promtool check metrics: {report}"
    );
}

#[test]
fn alert_rules_are_valid() {
    if !tool("alert_rules_are_valid", "promtool") {
        return;
    }
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/config/alerts.yml");
    let out = Command::new("promtool")
        .args(["check", "rules", rules])
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Asks Prometheus's query API until `query` returns samples, or gives up after `limit`.
fn query_until(base: &str, query: &str, limit: Duration) -> Vec<Value> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let started = Instant::now();
    loop {
        let reply = agent
            .get(&format!("{base}/api/v1/query"))
            .query("query", query)
            .call();
        let results = reply
            .ok()
            .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
            .and_then(|v| v["data"]["result"].as_array().cloned())
            .unwrap_or_default();
        if !results.is_empty() || started.elapsed() > limit {
            return results;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_real_prometheus_reads_the_rollout_split() {
    if !tool("a_real_prometheus_reads_the_rollout_split", "prometheus") {
        return;
    }
    let gw = gateway();
    roll_out(&gw, "1.0.0", 40.0);
    let seen = resolve_many(&gw, 300);
    let gray = seen
        .get(&("1.0.0".into(), "grayscale".into()))
        .copied()
        .unwrap_or(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let target = gw.admin_url().trim_start_matches("http://").to_string();
    let config = format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: graygate\n    static_configs:\n      - targets: ['{target}']\n"
    );
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, config).expect("write prometheus config");
    let port = free_port();
    let mut prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config_path.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus starts");
    let query =
        format!("sum by (version, channel) (graygate_served_total{{mini_program=\"{MP}\"}})");
    let results = query_until(
        &format!("http://127.0.0.1:{port}"),
        &query,
        Duration::from_secs(60),
    );
    let _ = prometheus.kill();
    let _ = prometheus.wait();
    let grayscale = results
        .iter()
        .find(|r| r["metric"]["channel"] == "grayscale" && r["metric"]["version"] == "1.0.0")
        .and_then(|r| r["value"][1].as_str())
        .and_then(|v| v.parse::<f64>().ok());
    assert_eq!(
        grayscale,
        Some(gray as f64),
        "Prometheus sees the served split: {results:?}"
    );
}
