//! One servable route: the releases a (app, env, mini program) can answer with, their
//! precomputed response fragments, and the precedence of SPEC §3.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;

use crate::bucket;
use crate::metrics::{Metrics, ServedCounters};
use crate::model::Status;
use crate::release::{Release, ReleaseId, TestGroup};

/// Which rule of SPEC §3 picked the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Pilot,
    Grayscale,
    Full,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Pilot => "pilot",
            Channel::Grayscale => "grayscale",
            Channel::Full => "full",
        }
    }
}

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
}

/// The in-flight release of a route that serves some users: its pilot test group and,
/// in `grayscale_release`, everybody whose bucket is under the threshold.
#[derive(Debug)]
pub struct InFlight {
    /// `"gr1:" + salt + ":"`, inline: no pointer to chase on the hot path.
    pub salted: bucket::Salted,
    /// Parts per million; zero while pilot testing.
    pub threshold: u32,
    pub test_group: Option<Arc<TestGroup>>,
    pub pilot: Served,
    pub grayscale: Served,
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
}

#[derive(Serialize)]
struct FragmentFields<'a> {
    mini_program: &'a str,
    version: &'a str,
    channel: Channel,
    release_id: ReleaseId,
    package_url: &'a str,
    config: &'a crate::release::ReleaseConfig,
}

fn served(input: &ReleaseInput<'_>, channel: Channel, metrics: &Metrics) -> Served {
    let r = input.release;
    let fields = FragmentFields {
        mini_program: r.mini_program.as_str(),
        version: r.version.as_str(),
        channel,
        release_id: r.id,
        package_url: input.package_url,
        config: &r.config,
    };
    // Serializing plain strings and a JSON map cannot fail.
    let mut json = serde_json::to_vec(&fields).unwrap_or_else(|_| b"{}".to_vec());
    json.pop(); // the closing brace: "revision" is appended per answer
    Served {
        release_id: r.id,
        version: r.version.as_str().into(),
        channel,
        fragment: Bytes::from(json),
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
    /// Builds a route from its current full release and its in-flight release. An in-flight
    /// release serves only in `pilot_testing` or `grayscale_release`.
    pub fn build(
        full: Option<ReleaseInput<'_>>,
        in_flight: Option<ReleaseInput<'_>>,
        metrics: &Metrics,
    ) -> Option<Route> {
        let in_flight = in_flight.filter(|i| {
            matches!(
                i.release.status,
                Status::PilotTesting | Status::GrayscaleRelease
            )
        });
        let in_flight = in_flight.map(|i| InFlight {
            // Salts come from `bucket::new_salt`; another shape means a corrupt store.
            salted: bucket::Salted::new(&i.release.salt).unwrap_or_default(),
            threshold: match i.release.status {
                Status::GrayscaleRelease => i.release.percentage.ppm(),
                _ => 0,
            },
            test_group: i.test_group.clone().filter(|g| !g.is_empty()),
            pilot: served(&i, Channel::Pilot, metrics),
            grayscale: served(&i, Channel::Grayscale, metrics),
        });
        let full = full.map(|f| served(&f, Channel::Full, metrics));
        (in_flight.is_some() || full.is_some()).then_some(Route { in_flight, full })
    }

    /// SPEC §3 in order: pilot, grayscale, full.
    pub fn resolve(&self, user: &str) -> Option<&Served> {
        if let Some(f) = &self.in_flight {
            if f.test_group.as_ref().is_some_and(|g| g.contains(user)) {
                return Some(&f.pilot);
            }
            if f.threshold > 0 && f.salted.bucket(user) < f.threshold {
                return Some(&f.grayscale);
            }
        }
        self.full.as_ref()
    }
}
