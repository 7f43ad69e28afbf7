//! What the `served_total` series of 10,000 full releases cost in resident memory, and what
//! one `/metrics` render of them allocates (BENCHMARKS.md, memory section).
//!
//! `cargo run --release --example served_series_memory`

use graygate::metrics::Metrics;
use graygate::model::{Channel, Env};

/// VmRSS of this process in MiB (0 where /proc is missing).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok());
    kib.unwrap_or(0.0) / 1024.0
}

fn main() {
    let metrics = Metrics::new();
    let before = rss_mib();
    let bound: Vec<_> = (0..10_000)
        .map(|i| {
            let mp = format!("mp-{i:05}");
            metrics.served_counters("superapp-a", Env::Development, &mp, "1.0.0", Channel::Full)
        })
        .collect();
    println!(
        "10,000 served_total series: +{:.1} MiB resident",
        rss_mib() - before
    );
    let before = rss_mib();
    let text = metrics.render();
    println!(
        "one render: {} bytes of text, +{:.1} MiB resident",
        text.len(),
        rss_mib() - before
    );
    drop(bound);
}
