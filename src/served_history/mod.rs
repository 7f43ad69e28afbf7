//! The served split over time (SPEC §12): per-minute counts of answers per version for
//! each served route over the last 24 h, kept in memory for the console's chart.
//!
//! Nothing on the resolve path changes. The background task [`run`] (every
//! [`SAMPLE_EVERY`]) and every read sample the `served_total` counters that resolves
//! already bump ([`Metrics::visit_served`]) and add each series' growth since the last
//! sample to the current minute of its (route, version) [`Ring`]; a version's channels
//! are added up. Sampling more often than once a minute only splits a minute's growth
//! into more additions, and lets the chart show the current minute live.
//!
//! Memory is bounded: a ring is [`MINUTES`] `u32` counts, 5,760 bytes, and at most
//! [`MAX_RINGS`] rings exist, so the rings take at most 2,048 × 5,760 B = 11.25 MiB (plus
//! their keys, well under 1 MiB). A ring is made when its version is first served and
//! freed once it has served nobody for 24 h; a new one beyond the cap is not tracked (a
//! warning says so once). The last total seen per `served_total` series is kept to
//! compute growth: one small entry per series, which `served_total` itself bounds by the
//! live releases. The history is per node: each node charts the answers it gave.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::metrics::{Metrics, ServedLabels};
use crate::model::Millis;

mod ring;
#[cfg(test)]
mod tests;

pub use ring::{MINUTES, Ring};

/// How many (route, version) rings may exist at once.
pub const MAX_RINGS: usize = 2_048;

/// The shortest window [`ServedHistory::window`] answers, so a chart has a time axis
/// from the first answer on.
pub const MIN_WINDOW: usize = 60;

/// How often [`run`] samples the counters.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(10);

const MINUTE_MILLIS: Millis = 60_000;

/// Joins label values in keys, as `served_total` does: none of them can hold it.
const SEPARATOR: char = '\0';

/// The minute (since the Unix epoch) that holds the instant `at`.
pub fn minute_of(at: Millis) -> i64 {
    at.div_euclid(MINUTE_MILLIS)
}

/// The per-minute history of one node's answers; cheap to share behind an [`Arc`].
pub struct ServedHistory {
    metrics: Metrics,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The last total of every `served_total` series (key: route, version, channel),
    /// with the sampling round that last saw it.
    totals: HashMap<Box<str>, Seen>,
    /// Rings by route key (`app`, `env`, `mini_program`), then version.
    routes: HashMap<Box<str>, HashMap<Box<str>, Ring>>,
    rings: usize,
    round: u64,
    warned_full: bool,
}

struct Seen {
    total: u64,
    round: u64,
}

/// A route's answers per minute over a window ending at the sampled minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteWindow {
    /// The minute (since the Unix epoch) of the first count of every version.
    pub first_minute: i64,
    /// Each version with a ring, sorted by version text, with one count per minute.
    pub versions: Vec<(String, Vec<u32>)>,
}

impl ServedHistory {
    pub fn new(metrics: Metrics) -> ServedHistory {
        ServedHistory {
            metrics,
            inner: Mutex::default(),
        }
    }

    /// A panic elsewhere while the lock was held leaves counts that are still usable.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds every series' growth since the last sample to the minute of `now`.
    pub fn sample(&self, now: Millis) {
        let minute = minute_of(now);
        let mut inner = self.lock();
        inner.round += 1;
        let mut key = String::new();
        self.metrics.visit_served(|labels, total| {
            inner.record(&mut key, labels, total, minute);
        });
        inner.forget_unseen();
        inner.free_idle(minute);
    }

    /// The last 24 h of a route, up to the minute of `now`, from its first minute with
    /// answers on but at least [`MIN_WINDOW`] minutes; samples first so it is current.
    pub fn window(&self, app: &str, env: &str, mini_program: &str, now: Millis) -> RouteWindow {
        self.sample(now);
        let minute = minute_of(now);
        let inner = self.lock();
        let route = route_key(app, env, mini_program);
        let mut versions: Vec<(String, Vec<u32>)> = inner
            .routes
            .get(route.as_str())
            .into_iter()
            .flatten()
            .map(|(version, ring)| (version.to_string(), ring.last_day(minute)))
            .collect();
        versions.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let first = versions
            .iter()
            .filter_map(|(_, counts)| counts.iter().position(|&c| c > 0))
            .min()
            .unwrap_or(MINUTES)
            .min(MINUTES - MIN_WINDOW);
        for (_, counts) in &mut versions {
            counts.drain(..first);
        }
        RouteWindow {
            first_minute: minute - (MINUTES - 1 - first) as i64,
            versions,
        }
    }
}

fn route_key(app: &str, env: &str, mini_program: &str) -> String {
    [app, env, mini_program].join(&SEPARATOR.to_string())
}

impl Inner {
    /// Takes one series' total: its growth since the last sample goes to `minute`.
    fn record(&mut self, key: &mut String, labels: ServedLabels<'_>, total: u64, minute: i64) {
        key.clear();
        for (i, part) in [labels.app, labels.env, labels.mini_program]
            .iter()
            .enumerate()
        {
            if i > 0 {
                key.push(SEPARATOR);
            }
            key.push_str(part);
        }
        let route_len = key.len();
        for part in [labels.version, labels.channel] {
            key.push(SEPARATOR);
            key.push_str(part);
        }
        let round = self.round;
        let growth = match self.totals.get_mut(key.as_str()) {
            Some(seen) => {
                // A series removed and bound again starts over at 0.
                let growth = total.checked_sub(seen.total).unwrap_or(total);
                *seen = Seen { total, round };
                growth
            }
            None => {
                self.totals
                    .insert(key.as_str().into(), Seen { total, round });
                total
            }
        };
        if growth > 0 {
            self.add(&key[..route_len], labels.version, minute, growth);
        }
    }

    fn add(&mut self, route: &str, version: &str, minute: i64, n: u64) {
        let has_room = self.rings < MAX_RINGS;
        let versions = match self.routes.get_mut(route) {
            Some(versions) => versions,
            None if has_room => self.routes.entry(route.into()).or_default(),
            None => return self.full(),
        };
        if let Some(ring) = versions.get_mut(version) {
            ring.add(minute, n);
        } else if has_room {
            let mut ring = Ring::new(minute);
            ring.add(minute, n);
            versions.insert(version.into(), ring);
            self.rings += 1;
        } else {
            self.full();
        }
    }

    fn full(&mut self) {
        if !std::mem::replace(&mut self.warned_full, true) {
            tracing::warn!(
                max = MAX_RINGS,
                "the served history is full; versions served from now on are not charted"
            );
        }
    }

    /// Series no longer in `served_total` (their release stopped serving).
    fn forget_unseen(&mut self) {
        let round = self.round;
        self.totals.retain(|_, seen| seen.round == round);
    }

    /// Rings with nothing in the last 24 h, and routes left without rings.
    fn free_idle(&mut self, minute: i64) {
        let mut freed = 0;
        self.routes.retain(|_, versions| {
            versions.retain(|_, ring| {
                let keep = !ring.is_idle(minute);
                freed += usize::from(!keep);
                keep
            });
            !versions.is_empty()
        });
        self.rings -= freed;
    }
}

/// Samples `history` every [`SAMPLE_EVERY`] until `stop` completes.
pub async fn run(history: Arc<ServedHistory>, stop: impl std::future::Future<Output = ()>) {
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => history.sample(crate::model::now_millis()),
        }
    }
}
