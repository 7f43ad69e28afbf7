//! Per-release counter families kept lean, `served_total` and `reports_total`: one series
//! per (app, env, mini program, version, channel[, outcome]) of a serving release is its
//! label values in one string and one atomic counter, written straight as exposition text
//! when `/metrics` is scraped. The prometheus crate's
//! vectors keep a copy of the metric's description and the label pairs with every series,
//! 1.2 KiB each: 11.6 MiB for 10,000 full releases
//! (`cargo run --release --example served_series_memory`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The registry's namespace, which these families, rendered beside it, carry too.
const PREFIX: &str = "graygate";

/// A lean family: its name, help and label names.
#[derive(Debug)]
pub struct Family {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
}

pub const SERVED: Family = Family {
    name: "served_total",
    help: "Answers per served version and channel, for in-flight and current full releases.",
    labels: &["app", "env", "mini_program", "version", "channel"],
};

pub const REPORTS: Family = Family {
    name: "reports_total",
    help: "Client health reports per served version, channel and outcome (ok, error).",
    labels: &[
        "app",
        "env",
        "mini_program",
        "version",
        "channel",
        "outcome",
    ],
};
/// Joins label values in a key: none of them can hold it (identifiers, versions, enums).
const SEPARATOR: &str = "\0";

/// One series, bound in advance by the snapshot.
#[derive(Debug, Clone, Default)]
pub struct ServedCounter(Arc<AtomicU64>);

impl ServedCounter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Every series of one lean family.
pub struct ServedVec {
    family: &'static Family,
    series: Mutex<HashMap<Box<str>, ServedCounter>>,
}

impl Default for ServedVec {
    fn default() -> ServedVec {
        ServedVec::of(&SERVED)
    }
}

fn key(values: &[&str]) -> String {
    values.join(SEPARATOR)
}

impl ServedVec {
    pub fn of(family: &'static Family) -> ServedVec {
        ServedVec {
            family,
            series: Mutex::default(),
        }
    }

    /// A panic elsewhere while the lock was held leaves counters that are still right.
    fn lock(&self) -> MutexGuard<'_, HashMap<Box<str>, ServedCounter>> {
        self.series.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The series of these label values, created at 0 if it does not exist.
    pub fn with_label_values(&self, values: &[&str]) -> ServedCounter {
        debug_assert_eq!(values.len(), self.family.labels.len());
        let key = key(values);
        let mut series = self.lock();
        if let Some(counter) = series.get(key.as_str()) {
            return counter.clone();
        }
        let counter = ServedCounter::default();
        series.insert(key.into_boxed_str(), counter.clone());
        counter
    }

    /// Drops a series; a counter still bound to it counts into the void.
    pub fn remove_label_values(&self, values: &[&str]) {
        self.lock().remove(key(values).as_str());
    }
}

/// The label values of one `served_total` series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedLabels<'a> {
    pub app: &'a str,
    pub env: &'a str,
    pub mini_program: &'a str,
    pub version: &'a str,
    pub channel: &'a str,
}

impl<'a> ServedLabels<'a> {
    fn of(key: &'a str) -> Option<ServedLabels<'a>> {
        let mut values = key.split(SEPARATOR);
        Some(ServedLabels {
            app: values.next()?,
            env: values.next()?,
            mini_program: values.next()?,
            version: values.next()?,
            channel: values.next()?,
        })
    }
}

impl ServedVec {
    /// Calls `f` with every series of the `served_total` family and its count so far,
    /// under the lock that binding a series takes (never taken by a resolve).
    pub fn visit(&self, mut f: impl FnMut(ServedLabels<'_>, u64)) {
        for (key, counter) in self.lock().iter() {
            if let Some(labels) = ServedLabels::of(key) {
                f(labels, counter.get());
            }
        }
    }
}

impl ServedVec {
    /// Appends the family in the text exposition format, series sorted by labels. Written
    /// directly rather than through the registry's families, which would allocate ten
    /// strings a series at every scrape.
    pub fn render(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        let series = self.lock();
        if series.is_empty() {
            return;
        }
        let mut sorted: Vec<(&str, &ServedCounter)> =
            series.iter().map(|(k, c)| (&**k, c)).collect();
        sorted.sort_unstable_by_key(|(k, _)| *k);
        let Family { name, help, labels } = self.family;
        let name = format!("{PREFIX}_{name}");
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} counter\n");
        for (key, counter) in sorted {
            out.extend_from_slice(name.as_bytes());
            for (i, (label, value)) in labels.iter().zip(key.split(SEPARATOR)).enumerate() {
                let open = if i == 0 { '{' } else { ',' };
                let _ = write!(out, "{open}{label}=\"{}\"", escape(value));
            }
            let _ = writeln!(out, "}} {}", counter.get());
        }
    }
}

/// A label value as the text format quotes it.
fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains(['\\', '"', '\n']) {
        let escaped = value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        escaped.into()
    } else {
        value.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_bound_once_rendered_with_their_labels_and_removable() {
        let vec = ServedVec::default();
        let values = ["app", "production", "mp-a", "1.0.0", "full"];
        let bound = vec.with_label_values(&values);
        bound.inc();
        vec.with_label_values(&values).inc();
        assert_eq!(bound.get(), 2, "the same series both times");
        vec.with_label_values(&["app", "production", "mp-a", "1.1.0", "pi\"lot"]);
        let mut out = Vec::new();
        vec.render(&mut out);
        let text = String::from_utf8(out).unwrap_or_default();
        let help = format!("# HELP graygate_served_total {}\n", SERVED.help);
        let series = "graygate_served_total{app=\"app\",env=\"production\",mini_program=\"mp-a\"";
        let expected = format!(
            "{help}# TYPE graygate_served_total counter\n\
             {series},version=\"1.0.0\",channel=\"full\"}} 2\n\
             {series},version=\"1.1.0\",channel=\"pi\\\"lot\"}} 0\n"
        );
        assert_eq!(text, expected);
        vec.remove_label_values(&values);
        vec.remove_label_values(&["app", "production", "mp-a", "1.1.0", "pi\"lot"]);
        let mut out = Vec::new();
        vec.render(&mut out);
        assert!(out.is_empty(), "no family without series");
    }
}
