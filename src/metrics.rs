//! Prometheus metrics (SPEC §6): the registry, every series graygate exports, and the
//! pre-bound handles the hot path increments.
//!
//! A resolve must not look a series up by label values (a hash and a lock per request),
//! so the snapshot carries [`ServedCounters`] bound to their series when a route is built,
//! and per-target [`TargetCounters`] for misses. Per-version series exist only for
//! in-flight and current full releases; they are removed when a release stops serving,
//! which bounds cardinality by the number of live releases.

use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::model::{Channel, Env};

/// Label value for requests whose target graygate does not know (bounds cardinality).
pub const OTHER: &str = "_other";

/// Every graygate series, registered once per process. Cheap to clone: handlers receive
/// it with their state on every request.
#[derive(Clone)]
pub struct Metrics(std::sync::Arc<Series>);

impl std::ops::Deref for Metrics {
    type Target = Series;
    fn deref(&self) -> &Series {
        &self.0
    }
}

/// The series behind [`Metrics`].
pub struct Series {
    registry: Registry,
    resolve_requests: IntCounterVec,
    pub resolve_duration: Histogram,
    served: IntCounterVec,
    release_percentage: GaugeVec,
    pub releases: IntGaugeVec,
    workflow_actions: IntCounterVec,
    pub snapshot_revision: IntGauge,
    pub snapshot_swaps: IntCounter,
    pub snapshot_build: Histogram,
    /// The store's revision at the last check: above `snapshot_revision` means this node lags.
    pub store_revision: IntGauge,
    /// 1 while the last store check succeeded.
    pub store_up: IntGauge,
    store_errors: IntCounterVec,
    admin_requests: IntCounterVec,
    pub auth_failures: IntCounter,
    pub panics: IntCounter,
}

/// Counters a served answer increments: `served_total` and `resolve_requests_total`.
#[derive(Debug, Clone)]
pub struct ServedCounters {
    served: IntCounter,
    requests: IntCounter,
}

impl ServedCounters {
    pub fn inc(&self) {
        self.served.inc();
        self.requests.inc();
    }
}

/// `resolve_requests_total` for one target's misses and errors.
#[derive(Debug, Clone)]
pub struct TargetCounters {
    pub none: IntCounter,
    pub error: IntCounter,
}

// The metric definitions are static: a failure is a programming error that every test
// that starts a gateway would catch, not something input can cause.
#[allow(clippy::panic)]
fn build<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        // Static names and label sets: only a programming error gets here.
        Err(e) => panic!("metric {what} cannot be registered: {e:?}"),
    }
}

macro_rules! register {
    ($registry:expr, $metric:expr, $name:expr) => {{
        let m = build($metric, $name);
        build($registry.register(Box::new(m.clone())), $name);
        m
    }};
}

impl Metrics {
    pub fn new() -> Metrics {
        let r =
            Registry::new_custom(Some("graygate".into()), None).unwrap_or_else(|_| Registry::new());
        let opts = |name: &str, help: &str| Opts::new(name, help);
        let hist = |name: &str, help: &str, buckets: Vec<f64>| {
            HistogramOpts::new(name, help).buckets(buckets)
        };
        #[cfg(target_os = "linux")]
        {
            let pc = prometheus::process_collector::ProcessCollector::for_self();
            let _ = r.register(Box::new(pc));
        }
        Metrics(std::sync::Arc::new(Series {
            resolve_requests: register!(
                r,
                IntCounterVec::new(
                    opts(
                        "resolve_requests_total",
                        "Resolve requests by target and channel (pilot, grayscale, full, none, error)."
                    ),
                    &["app", "env", "channel"]
                ),
                "resolve_requests_total"
            ),
            resolve_duration: register!(
                r,
                Histogram::with_opts(hist(
                    "resolve_duration_seconds",
                    "Time to answer one resolve request, in the handler.",
                    prometheus::exponential_buckets(0.000_001, 2.0, 20).unwrap_or_default()
                )),
                "resolve_duration_seconds"
            ),
            served: register!(
                r,
                IntCounterVec::new(
                    opts(
                        "served_total",
                        "Answers per served version and channel, for in-flight and current full releases."
                    ),
                    &["app", "env", "mini_program", "version", "channel"]
                ),
                "served_total"
            ),
            release_percentage: register!(
                r,
                GaugeVec::new(
                    opts(
                        "release_percentage",
                        "Grayscale percentage of each in-flight release (0 while pilot testing)."
                    ),
                    &["app", "env", "mini_program", "version"]
                ),
                "release_percentage"
            ),
            releases: register!(
                r,
                IntGaugeVec::new(
                    opts("releases", "Releases by target and status."),
                    &["app", "env", "status"]
                ),
                "releases"
            ),
            workflow_actions: register!(
                r,
                IntCounterVec::new(
                    opts(
                        "workflow_actions_total",
                        "Workflow actions by outcome (accepted, refused, error)."
                    ),
                    &["action", "outcome"]
                ),
                "workflow_actions_total"
            ),
            snapshot_revision: register!(
                r,
                IntGauge::with_opts(opts(
                    "snapshot_revision",
                    "Revision of the snapshot this node serves."
                )),
                "snapshot_revision"
            ),
            snapshot_swaps: register!(
                r,
                IntCounter::with_opts(opts("snapshot_swaps_total", "Snapshots swapped in.")),
                "snapshot_swaps_total"
            ),
            snapshot_build: register!(
                r,
                Histogram::with_opts(hist(
                    "snapshot_build_seconds",
                    "Time to build a new snapshot.",
                    prometheus::exponential_buckets(0.000_01, 2.0, 20).unwrap_or_default()
                )),
                "snapshot_build_seconds"
            ),
            store_revision: register!(
                r,
                IntGauge::with_opts(opts(
                    "store_revision",
                    "Store revision seen at the last periodic check."
                )),
                "store_revision"
            ),
            store_up: register!(
                r,
                IntGauge::with_opts(opts(
                    "store_up",
                    "1 if the store answered the last periodic check, else 0."
                )),
                "store_up"
            ),
            store_errors: register!(
                r,
                IntCounterVec::new(
                    opts(
                        "store_errors_total",
                        "Store operations that failed, by operation."
                    ),
                    &["op"]
                ),
                "store_errors_total"
            ),
            admin_requests: register!(
                r,
                IntCounterVec::new(
                    opts(
                        "admin_requests_total",
                        "Admin API requests by route and status."
                    ),
                    &["route", "status"]
                ),
                "admin_requests_total"
            ),
            auth_failures: register!(
                r,
                IntCounter::with_opts(opts(
                    "auth_failures_total",
                    "Admin requests refused for a missing or invalid token."
                )),
                "auth_failures_total"
            ),
            panics: register!(
                r,
                IntCounter::with_opts(opts(
                    "panics_total",
                    "Requests whose handler panicked (answered 500)."
                )),
                "panics_total"
            ),
            registry: r,
        }))
    }

    /// The text exposition of every series.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 * 1024);
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }

    pub fn served_counters(
        &self,
        app: &str,
        env: Env,
        mp: &str,
        version: &str,
        channel: Channel,
    ) -> ServedCounters {
        ServedCounters {
            served: self.served.with_label_values(&[
                app,
                env.as_str(),
                mp,
                version,
                channel.as_str(),
            ]),
            requests: self.resolve_requests.with_label_values(&[
                app,
                env.as_str(),
                channel.as_str(),
            ]),
        }
    }

    /// Drops the per-version series of a release that no longer serves.
    pub fn forget_served(&self, app: &str, env: Env, mp: &str, version: &str) {
        for channel in [Channel::Pilot, Channel::Grayscale, Channel::Full] {
            let _ = self.served.remove_label_values(&[
                app,
                env.as_str(),
                mp,
                version,
                channel.as_str(),
            ]);
        }
        let _ = self
            .release_percentage
            .remove_label_values(&[app, env.as_str(), mp, version]);
    }

    /// Drops the percentage series of a release that is no longer in flight.
    pub fn forget_percentage(&self, app: &str, env: Env, mp: &str, version: &str) {
        let _ = self
            .release_percentage
            .remove_label_values(&[app, env.as_str(), mp, version]);
    }

    pub fn set_percentage(&self, app: &str, env: Env, mp: &str, version: &str, percent: f64) {
        self.release_percentage
            .with_label_values(&[app, env.as_str(), mp, version])
            .set(percent);
    }

    pub fn target_counters(&self, app: &str, env: &str) -> TargetCounters {
        TargetCounters {
            none: self.resolve_requests.with_label_values(&[app, env, "none"]),
            error: self
                .resolve_requests
                .with_label_values(&[app, env, "error"]),
        }
    }

    pub fn workflow_action(&self, action: &str, outcome: &str) {
        self.workflow_actions
            .with_label_values(&[action, outcome])
            .inc();
    }

    pub fn store_error(&self, op: &str) {
        self.store_errors.with_label_values(&[op]).inc();
    }

    pub fn admin_request(&self, route: &str, status: &str) {
        self.admin_requests
            .with_label_values(&[route, status])
            .inc();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
