//! Prometheus metrics (SPEC §6): the registry, every series graygate exports, and the
//! pre-bound handles the hot path increments.
//!
//! A resolve must not look a series up by label values (a hash and a lock per request),
//! so the snapshot carries [`ServedCounters`] bound to their series when a route is built,
//! and per-target [`TargetCounters`] for misses. Per-version series exist only for
//! in-flight and current full releases; they are removed when a release stops serving,
//! which bounds cardinality by the number of live releases. Being one per release, they
//! are kept lean, outside the registry (`served`), and rendered beside it.

use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::model::{Channel, Env};

mod guard;
mod plan;
mod report;
mod served;

pub use guard::GuardSeries;
pub use plan::PlanSeries;
pub use report::{DropReason, ReportCounters, ReportSeries};
use served::ServedVec;
pub use served::{ServedCounter, ServedLabels};

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

/// The series behind [`Metrics`], by subsystem.
pub struct Series {
    registry: Registry,
    pub resolve: ResolveSeries,
    pub rollout: RolloutSeries,
    pub snapshot: SnapshotSeries,
    pub store: StoreSeries,
    pub admin: AdminSeries,
    pub plan: PlanSeries,
    pub reports: ReportSeries,
    pub guard: GuardSeries,
}

/// The hot path: answers by channel, their latency, and answers per served version.
pub struct ResolveSeries {
    requests: IntCounterVec,
    pub duration: Histogram,
    served: ServedVec,
}

/// Where releases stand: percentages, statuses, workflow actions.
pub struct RolloutSeries {
    percentage: GaugeVec,
    pub releases: IntGaugeVec,
    workflow_actions: IntCounterVec,
}

/// Snapshot swaps: the revision served, how many, how long each build took.
pub struct SnapshotSeries {
    pub revision: IntGauge,
    pub swaps: IntCounter,
    pub build: Histogram,
}

/// The store as this node sees it.
pub struct StoreSeries {
    /// The store's revision at the last check: above the snapshot's means this node lags.
    pub revision: IntGauge,
    /// 1 while the last store check succeeded.
    pub up: IntGauge,
    errors: IntCounterVec,
    /// Commits tried again: `stale_base` (restamped, not decided again) or `conflict`.
    retries: IntCounterVec,
}

/// The admin API and both listeners' request handling.
pub struct AdminSeries {
    requests: IntCounterVec,
    pub auth_failures: IntCounter,
    pub panics: IntCounter,
}

/// Counters a served answer increments: `served_total` and `resolve_requests_total`.
#[derive(Debug, Clone)]
pub struct ServedCounters {
    served: ServedCounter,
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

/// Registers series in one registry; every definition is static, so a failure is a
/// programming error (see [`build`]).
struct Registrar<'a>(&'a Registry);

impl Registrar<'_> {
    fn add<T: prometheus::core::Collector + Clone + 'static>(
        &self,
        metric: prometheus::Result<T>,
        name: &str,
    ) -> T {
        let m = build(metric, name);
        build(self.0.register(Box::new(m.clone())), name);
        m
    }

    fn counter_vec(&self, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
        self.add(IntCounterVec::new(Opts::new(name, help), labels), name)
    }

    fn counter(&self, name: &str, help: &str) -> IntCounter {
        self.add(IntCounter::with_opts(Opts::new(name, help)), name)
    }

    fn gauge(&self, name: &str, help: &str) -> IntGauge {
        self.add(IntGauge::with_opts(Opts::new(name, help)), name)
    }

    /// Exponential buckets from `start`, doubling 20 times.
    fn histogram(&self, name: &str, help: &str, start: f64) -> Histogram {
        let buckets = build(prometheus::exponential_buckets(start, 2.0, 20), name);
        let opts = HistogramOpts::new(name, help).buckets(buckets);
        self.add(Histogram::with_opts(opts), name)
    }
}

impl ResolveSeries {
    fn new(r: &Registrar<'_>) -> ResolveSeries {
        ResolveSeries {
            requests: r.counter_vec(
                "resolve_requests_total",
                "Resolve requests by target and channel (pilot, grayscale, full, none, error).",
                &["app", "env", "channel"],
            ),
            duration: r.histogram(
                "resolve_duration_seconds",
                "Time to answer one resolve request, in the handler.",
                0.000_001,
            ),
            served: ServedVec::default(),
        }
    }
}

impl RolloutSeries {
    fn new(r: &Registrar<'_>) -> RolloutSeries {
        let percentage = GaugeVec::new(
            Opts::new(
                "release_percentage",
                "Grayscale percentage of each in-flight release (0 while pilot testing).",
            ),
            &["app", "env", "mini_program", "version"],
        );
        RolloutSeries {
            percentage: r.add(percentage, "release_percentage"),
            releases: r.add(
                IntGaugeVec::new(
                    Opts::new("releases", "Releases by target and status."),
                    &["app", "env", "status"],
                ),
                "releases",
            ),
            workflow_actions: r.counter_vec(
                "workflow_actions_total",
                "Workflow actions by outcome (accepted, refused, error).",
                &["action", "outcome"],
            ),
        }
    }
}

impl SnapshotSeries {
    fn new(r: &Registrar<'_>) -> SnapshotSeries {
        SnapshotSeries {
            revision: r.gauge(
                "snapshot_revision",
                "Revision of the snapshot this node serves.",
            ),
            swaps: r.counter("snapshot_swaps_total", "Snapshots swapped in."),
            build: r.histogram(
                "snapshot_build_seconds",
                "Time to build a new snapshot.",
                0.000_01,
            ),
        }
    }
}

impl StoreSeries {
    fn new(r: &Registrar<'_>) -> StoreSeries {
        StoreSeries {
            revision: r.gauge(
                "store_revision",
                "Store revision seen at the last periodic check.",
            ),
            up: r.gauge(
                "store_up",
                "1 if the store answered the last periodic check, else 0.",
            ),
            errors: r.counter_vec(
                "store_errors_total",
                "Store operations that failed, by operation.",
                &["op"],
            ),
            retries: r.counter_vec(
                "store_commit_retries_total",
                "Commits tried again, by reason: stale_base (restamped) or conflict (decided again).",
                &["reason"],
            ),
        }
    }
}

impl AdminSeries {
    fn new(r: &Registrar<'_>) -> AdminSeries {
        AdminSeries {
            requests: r.counter_vec(
                "admin_requests_total",
                "Admin API requests by route and status.",
                &["route", "status"],
            ),
            auth_failures: r.counter(
                "auth_failures_total",
                "Admin requests refused for a missing or invalid token.",
            ),
            panics: r.counter(
                "panics_total",
                "Requests whose handler panicked (answered 500).",
            ),
        }
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = build(
            Registry::new_custom(Some("graygate".into()), None),
            "the graygate registry",
        );
        #[cfg(target_os = "linux")]
        {
            let pc = prometheus::process_collector::ProcessCollector::for_self();
            let _ = registry.register(Box::new(pc));
        }
        let r = Registrar(&registry);
        let series = Series {
            resolve: ResolveSeries::new(&r),
            rollout: RolloutSeries::new(&r),
            snapshot: SnapshotSeries::new(&r),
            store: StoreSeries::new(&r),
            admin: AdminSeries::new(&r),
            plan: PlanSeries::new(&r),
            reports: ReportSeries::new(&r),
            guard: GuardSeries::new(&r),
            registry,
        };
        Metrics(std::sync::Arc::new(series))
    }

    /// The text exposition of every series.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 * 1024);
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        self.resolve.served.render(&mut out);
        self.reports.render(&mut out);
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
            served: self.resolve.served.with_label_values(&[
                app,
                env.as_str(),
                mp,
                version,
                channel.as_str(),
            ]),
            requests: self.resolve.requests.with_label_values(&[
                app,
                env.as_str(),
                channel.as_str(),
            ]),
        }
    }

    /// Visits every `served_total` series with its count so far (the served history
    /// samples them; nothing on the resolve path changes).
    pub fn visit_served(&self, f: impl FnMut(ServedLabels<'_>, u64)) {
        self.resolve.served.visit(f);
    }

    /// Drops the per-version series of a release that no longer serves.
    pub fn forget_served(&self, app: &str, env: Env, mp: &str, version: &str) {
        self.reports.forget(app, env, mp, version);
        for channel in [Channel::Pilot, Channel::Grayscale, Channel::Full] {
            self.resolve.served.remove_label_values(&[
                app,
                env.as_str(),
                mp,
                version,
                channel.as_str(),
            ]);
        }
        let _ = self
            .rollout
            .percentage
            .remove_label_values(&[app, env.as_str(), mp, version]);
    }

    /// Drops the percentage series of a release that is no longer in flight.
    pub fn forget_percentage(&self, app: &str, env: Env, mp: &str, version: &str) {
        let _ = self
            .rollout
            .percentage
            .remove_label_values(&[app, env.as_str(), mp, version]);
    }

    pub fn set_percentage(&self, app: &str, env: Env, mp: &str, version: &str, percent: f64) {
        self.rollout
            .percentage
            .with_label_values(&[app, env.as_str(), mp, version])
            .set(percent);
    }

    pub fn target_counters(&self, app: &str, env: &str) -> TargetCounters {
        TargetCounters {
            none: self.resolve.requests.with_label_values(&[app, env, "none"]),
            error: self
                .resolve
                .requests
                .with_label_values(&[app, env, "error"]),
        }
    }

    pub fn workflow_action(&self, action: &str, outcome: &str) {
        self.rollout
            .workflow_actions
            .with_label_values(&[action, outcome])
            .inc();
    }

    pub fn store_error(&self, op: &str) {
        self.store.errors.with_label_values(&[op]).inc();
    }

    /// An automatic plan step; `outcome` is `applied`, `skipped` or `error`.
    pub fn plan_step(&self, outcome: &str) {
        self.plan.step(outcome);
    }

    /// A commit tried again; `reason` is `stale_base` or `conflict`.
    pub fn commit_retry(&self, reason: &str) {
        self.store.retries.with_label_values(&[reason]).inc();
    }

    pub fn admin_request(&self, route: &str, status: &str) {
        self.admin
            .requests
            .with_label_values(&[route, status])
            .inc();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
