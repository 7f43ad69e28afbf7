//! Client health report series (SPEC §9): `reports_total` per served version, channel and
//! outcome, kept lean like `served_total` and bound in advance by the snapshot, and
//! `reports_dropped_total{reason}` for events that name nothing serving.

use prometheus::IntCounter;

use super::Registrar;
use super::served::{REPORTS, ServedCounter, ServedVec};
use crate::model::{Channel, Env};

/// Why a reported event was dropped (`reports_dropped_total{reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Nothing is released to that (app, env, mini program).
    UnknownRoute,
    /// The release does not serve on that channel of that route (any more).
    NotServing,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::UnknownRoute => "unknown_route",
            DropReason::NotServing => "not_serving",
        }
    }
}

/// The two `reports_total` series of one served release and channel.
#[derive(Debug, Clone, Default)]
pub struct ReportCounters {
    pub ok: ServedCounter,
    pub error: ServedCounter,
}

pub struct ReportSeries {
    totals: ServedVec,
    /// `reports_dropped_total` by reason, bound once: a dropped event costs an atomic add.
    unknown_route: IntCounter,
    not_serving: IntCounter,
}

impl ReportSeries {
    pub(super) fn new(r: &Registrar<'_>) -> ReportSeries {
        let dropped = r.counter_vec(
            "reports_dropped_total",
            "Reported events dropped because they name no release serving on that \
             channel of that route (unknown_route, not_serving).",
            &["reason"],
        );
        let bound = |reason: DropReason| dropped.with_label_values(&[reason.as_str()]);
        ReportSeries {
            totals: ServedVec::of(&REPORTS),
            unknown_route: bound(DropReason::UnknownRoute),
            not_serving: bound(DropReason::NotServing),
        }
    }

    pub fn counters(
        &self,
        app: &str,
        env: Env,
        mp: &str,
        version: &str,
        channel: Channel,
    ) -> ReportCounters {
        let labels = |outcome| [app, env.as_str(), mp, version, channel.as_str(), outcome];
        ReportCounters {
            ok: self.totals.with_label_values(&labels("ok")),
            error: self.totals.with_label_values(&labels("error")),
        }
    }

    /// Drops the series of a version that no longer serves.
    pub fn forget(&self, app: &str, env: Env, mp: &str, version: &str) {
        for channel in [Channel::Pilot, Channel::Grayscale, Channel::Full] {
            for outcome in ["ok", "error"] {
                let labels = [app, env.as_str(), mp, version, channel.as_str(), outcome];
                self.totals.remove_label_values(&labels);
            }
        }
    }

    pub fn dropped(&self, reason: DropReason, events: u64) {
        match reason {
            DropReason::UnknownRoute => self.unknown_route.inc_by(events),
            DropReason::NotServing => self.not_serving.inc_by(events),
        }
    }

    pub(super) fn render(&self, out: &mut Vec<u8>) {
        self.totals.render(out);
    }
}
