//! The exposition as Prometheus's own tools read it: `promtool check metrics`, the
//! shipped alert rules, and a real Prometheus scraping the gateway.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::tool;
use crate::*;

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
