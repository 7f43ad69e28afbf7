//! One servable route: the releases a (app, env, mini program) can answer with, their
//! precomputed response fragments, and the precedence of SPEC §3.

use std::sync::Arc;

use bytes::Bytes;

use super::Subject;
use crate::bucket;
use crate::metrics::{Metrics, ReportCounters, ServedCounters};
use crate::model::{Channel, Release, ReleaseId, Serving, Targeting, TestGroup};
use crate::reports::{Arm, ReleaseTally};

/// One release as served on one channel, with its response fragment ready.
#[derive(Debug)]
pub struct Served {
    pub release_id: ReleaseId,
    pub version: Box<str>,
    pub channel: Channel,
    /// `{"mini_program":…,"config":{…}` — the answer without `"revision"` and the closing brace.
    pub fragment: Bytes,
    /// `served_total` and `resolve_requests_total` series of this answer, bound in advance.
    pub counters: ServedCounters,
    /// `reports_total` of this release on this channel: what clients report of it.
    pub reports: ReportCounters,
}

/// The in-flight release of a route that serves some users: its pilot test group and,
/// in `grayscale_release`, everybody whose bucket is under the threshold.
#[derive(Debug)]
pub struct InFlight {
    /// `"gr1:" + salt + ":"`, inline: no pointer to chase on the hot path.
    pub salted: bucket::Salted,
    /// Parts per million; zero while pilot testing.
    pub threshold: u32,
    /// Who may be in the grayscale share at all (SPEC §10); none: everybody.
    pub targeting: Option<Arc<Targeting>>,
    pub test_group: Option<Arc<TestGroup>>,
    pub pilot: Served,
    pub grayscale: Served,
    /// In `grayscale_release` (from 0 % on): the full release's reports count as its
    /// control arm.
    pub in_grayscale: bool,
    /// Its report arms, kept across snapshots (SPEC §9).
    pub tally: Arc<ReleaseTally>,
}

impl InFlight {
    /// Whether the subject's attributes satisfy the release's targeting (fail closed).
    pub fn targeted(&self, subject: &Subject<'_>) -> bool {
        self.targeting
            .as_ref()
            .is_none_or(|t| t.holds(|name| subject.attributes.get_bytes(name)))
    }
}

/// What one (app, env, mini program) can serve.
#[derive(Debug, Default)]
pub struct Route {
    pub in_flight: Option<InFlight>,
    pub full: Option<Served>,
}

/// A release as the snapshot builder needs it.
pub struct ReleaseInput<'a> {
    pub release: &'a Release,
    pub package_url: &'a str,
    pub test_group: Option<Arc<TestGroup>>,
    /// Where its reports count, if it is in flight.
    pub tally: Arc<ReleaseTally>,
}

/// `{"mini_program":…,"config":{…}`: the answer without `"revision"` and the closing
/// brace, written from JSON values whose `Display` cannot fail, so a fragment is valid
/// JSON whatever the strings hold.
fn fragment(input: &ReleaseInput<'_>, channel: Channel) -> Bytes {
    use serde_json::Value;
    let r = input.release;
    let text = |s: &str| Value::String(s.to_owned()).to_string();
    let config = Value::Object(r.config.as_map().clone());
    let json = format!(
        "{{\"mini_program\":{},\"version\":{},\"channel\":\"{}\",\"release_id\":{},\"package_url\":{},\"config\":{}",
        text(r.mini_program.as_str()),
        text(r.version.as_str()),
        channel.as_str(),
        r.id,
        text(input.package_url),
        config,
    );
    Bytes::from(json)
}

fn served(input: &ReleaseInput<'_>, channel: Channel, metrics: &Metrics) -> Served {
    let r = input.release;
    let (app, mp, version) = (r.app.as_str(), r.mini_program.as_str(), r.version.as_str());
    Served {
        reports: metrics.reports.counters(app, r.env, mp, version, channel),
        release_id: r.id,
        version: r.version.as_str().into(),
        channel,
        fragment: fragment(input, channel),
        counters: metrics.served_counters(
            r.app.as_str(),
            r.env,
            r.mini_program.as_str(),
            r.version.as_str(),
            channel,
        ),
    }
}

impl InFlight {
    /// The salt as text, as the API shows it.
    pub fn salt_str(&self) -> &str {
        self.salted.salt()
    }
}

impl Route {
    /// Builds a route from its current full release and its in-flight release, each
    /// serving what its status serves ([`crate::model::Status::serving`]).
    pub fn build(
        full: Option<ReleaseInput<'_>>,
        in_flight: Option<ReleaseInput<'_>>,
        metrics: &Metrics,
    ) -> Option<Route> {
        let mut route = Route::default();
        for input in full.into_iter().chain(in_flight) {
            route.add(&input, metrics);
        }
        (route.in_flight.is_some() || route.full.is_some()).then_some(route)
    }

    fn add(&mut self, input: &ReleaseInput<'_>, metrics: &Metrics) {
        let r = input.release;
        let threshold = match r.status.serving() {
            Serving::Nothing => return,
            Serving::Full => {
                self.full = Some(served(input, Channel::Full, metrics));
                return;
            }
            Serving::Pilot => 0,
            Serving::PilotAndGrayscale => r.percentage.ppm(),
        };
        self.in_flight = Some(InFlight {
            salted: r.salt.salted(),
            threshold,
            targeting: r.targeting.clone().filter(|t| !t.is_empty()),
            test_group: input.test_group.clone().filter(|g| !g.is_empty()),
            pilot: served(input, Channel::Pilot, metrics),
            grayscale: served(input, Channel::Grayscale, metrics),
            in_grayscale: r.status.serving() == Serving::PilotAndGrayscale,
            tally: Arc::clone(&input.tally),
        });
    }

    /// What serves `release_id` on `channel` here, if it does: where its reports count.
    /// Pilot serves only with a test group, grayscale only while the share is above zero.
    pub fn serving(&self, release_id: ReleaseId, channel: Channel) -> Option<&Served> {
        let served = match channel {
            Channel::Pilot => self
                .in_flight
                .as_ref()
                .filter(|f| f.test_group.is_some())
                .map(|f| &f.pilot),
            Channel::Grayscale => self
                .in_flight
                .as_ref()
                .filter(|f| f.threshold > 0)
                .map(|f| &f.grayscale),
            Channel::Full => self.full.as_ref(),
        };
        served.filter(|s| s.release_id == release_id)
    }

    /// Where a report of `channel` counts for the guard: the in-flight release's pilot or
    /// candidate arm, or, for the full release, the control arm of a release in grayscale.
    pub fn arm(&self, channel: Channel) -> Option<(&ReleaseTally, Arm)> {
        let f = self.in_flight.as_ref()?;
        let arm = match channel {
            Channel::Pilot => Arm::Pilot,
            Channel::Grayscale => Arm::Candidate,
            Channel::Full if f.in_grayscale => Arm::Control,
            Channel::Full => return None,
        };
        Some((&f.tally, arm))
    }

    /// SPEC §3 in order: pilot, grayscale, full.
    pub fn resolve(&self, subject: &Subject<'_>) -> Option<&Served> {
        let user = subject.user;
        if let Some(f) = &self.in_flight {
            if f.test_group.as_ref().is_some_and(|g| g.contains(user)) {
                return Some(&f.pilot);
            }
            // The bucket first: it is cheaper than the rules, and most users are above it.
            if f.threshold > 0 && f.salted.bucket(user) < f.threshold && f.targeted(subject) {
                return Some(&f.grayscale);
            }
        }
        self.full.as_ref()
    }
}
