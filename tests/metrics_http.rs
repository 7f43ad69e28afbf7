//! `/metrics` as Prometheus sees it: every SPEC §6 series, numbers that match what clients
//! were served, bounded per-version series, counters that count exactly what happened
//! (snapshot swaps, admin requests by route template and status, store errors in a Redis
//! outage, pilot and full answers), a clean `promtool check metrics`, and a real
//! Prometheus scraping the gateway (when its binaries are installed; `.ci/run` installs
//! them). The shared vocabulary is here; the scenarios live in `tests/metrics_http/`.

mod common;

#[path = "metrics_http/counters.rs"]
mod counters;
#[path = "metrics_http/prometheus.rs"]
mod prometheus;
#[path = "metrics_http/split.rs"]
mod split;
#[path = "metrics_http/store_errors.rs"]
mod store_errors;

use std::collections::BTreeMap;

use common::{Gateway, Options, Release, TargetApp, Who, create_release, release_body};
use serde_json::json;

pub const APP: &str = "superapp-a";
pub const MP: &str = "mp-metrics";

/// One sample line: metric name, its labels, its value.
pub type Sample = (String, BTreeMap<String, String>, f64);

/// Parses the text exposition format (no escapes occur in graygate's label values).
pub fn parse(text: &str) -> Vec<Sample> {
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
pub fn value(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> Option<f64> {
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

pub fn scrape(gw: &Gateway) -> String {
    let reply = gw.admin("GET", "/metrics").send().expect(200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
    reply.text
}

pub fn gateway() -> Gateway {
    Gateway::start(
        Options::default().app(TargetApp::new(APP).env("production", "{ pilot_testing = false }")),
    )
}

/// Uploads `version` and takes it to `release_preparation`; returns the release.
pub fn prepared<'g>(gw: &'g Gateway, version: &str) -> Release<'g> {
    let created = create_release(gw, &release_body(MP, version, APP, "production"));
    let r = Release::of(gw, &created);
    r.act(Who::Developer, "apply").expect(200);
    r.act(Who::Reviewer, "approve").expect(200);
    r
}

/// Uploads `version` and takes it to `grayscale_release` at `percentage`; returns the id.
pub fn roll_out(gw: &Gateway, version: &str, percentage: f64) -> u64 {
    let r = prepared(gw, version);
    let go = json!({"type": "grayscale", "percentage": percentage});
    r.act_with(Who::Admin, "go_live", &go).expect(200);
    r.id
}

pub fn go_full(gw: &Gateway, id: u64) {
    let full = json!({"type": "full"});
    Release { gw, id }
        .act_with(Who::Admin, "go_live", &full)
        .expect(200);
}

/// Resolves users `0..n` and counts the answers by (version, channel); misses count as ("", "none").
pub fn resolve_many(gw: &Gateway, n: usize) -> BTreeMap<(String, String), usize> {
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
