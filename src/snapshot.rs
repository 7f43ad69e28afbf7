//! The immutable routing table the hot path answers from, and `resolve` (SPEC §3).
//!
//! A [`Snapshot`] is built by the control plane after every committed change and
//! swapped into a [`SnapshotCell`] (`ArcSwap`); a resolve loads it once, without locks.
//! Everything a response needs is precomputed here: each servable release carries its
//! JSON fragment, so answering is a lookup, a hash and a copy.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use hashbrown::{Equivalent, HashMap};
use serde::Serialize;

use crate::bucket;
use crate::metrics::{Metrics, ServedCounters, TargetCounters};
use crate::model::{Env, Status};
use crate::release::{Release, ReleaseId, RouteKey, TestGroup};

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
    pub salt: Box<str>,
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
            salt: i.release.salt.as_str().into(),
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
            if f.threshold > 0 && bucket::bucket(&f.salt, user) < f.threshold {
                return Some(&f.grayscale);
            }
        }
        self.full.as_ref()
    }
}

/// Route keys share their strings with the per-target lists, so copying the table on a
/// change copies pointers, not strings.
type Key = (Arc<str>, Env, Arc<str>);

/// Borrowed form of a route key, so lookups do not allocate.
struct Query<'a>(&'a str, Env, &'a str);

impl Hash for Query<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // Must match the tuple's derived Hash: each field in order, `Arc<str>` as `str`.
        self.0.hash(h);
        self.1.hash(h);
        self.2.hash(h);
    }
}

impl Equivalent<Key> for Query<'_> {
    fn equivalent(&self, k: &Key) -> bool {
        *k.0 == *self.0 && k.1 == self.1 && *k.2 == *self.2
    }
}

/// The mini programs of one release target, sorted by id, for batch resolves.
pub type TargetRoutes = Vec<(Arc<str>, Arc<Route>)>;

/// One release target that has routes: its mini programs and its miss counters.
#[derive(Debug)]
pub struct Target {
    pub routes: TargetRoutes,
    pub counters: TargetCounters,
}

/// An immutable routing table at one revision.
#[derive(Debug, Clone)]
pub struct Snapshot {
    revision: u64,
    routes: HashMap<Key, Arc<Route>>,
    targets: HashMap<(Arc<str>, Env), Arc<Target>>,
    /// Miss and error counters of requests for targets without routes.
    other: TargetCounters,
}

impl Snapshot {
    /// An empty snapshot at revision 0.
    pub fn new(metrics: &Metrics) -> Snapshot {
        Snapshot {
            revision: 0,
            routes: HashMap::new(),
            targets: HashMap::new(),
            other: metrics.target_counters(crate::metrics::OTHER, crate::metrics::OTHER),
        }
    }

    /// Counters for a resolve of `app`/`env` that found nothing to serve or failed.
    pub fn miss_counters(&self, app: &str, env: Env) -> &TargetCounters {
        self.targets
            .get(&TargetQuery(app, env))
            .map_or(&self.other, |t| &t.counters)
    }

    /// Counters for requests that could not be parsed.
    pub fn error_counters(&self) -> &TargetCounters {
        &self.other
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    pub fn route(&self, app: &str, env: Env, mini_program: &str) -> Option<&Arc<Route>> {
        self.routes.get(&Query(app, env, mini_program))
    }

    /// Which release `user` gets for one mini program; `None` means not released.
    pub fn resolve(&self, app: &str, env: Env, mini_program: &str, user: &str) -> Option<&Served> {
        self.route(app, env, mini_program)?.resolve(user)
    }

    /// Every mini program that can serve something in a release target, sorted by id.
    pub fn target(&self, app: &str, env: Env) -> Option<&TargetRoutes> {
        self.targets.get(&TargetQuery(app, env)).map(|t| &t.routes)
    }

    /// A new snapshot at `revision` with the given routes replaced (`None` removes one).
    /// Unchanged routes are shared with `self`: the cost is one copy of the pointer table
    /// plus, per changed target, one merge of its sorted list.
    pub fn with_changes(
        &self,
        revision: u64,
        changes: Vec<(RouteKey, Option<Route>)>,
        metrics: &Metrics,
    ) -> Snapshot {
        let mut next = self.clone();
        next.revision = revision;
        let mut by_target: BTreeMap<(Arc<str>, Env), Vec<RouteChange>> = BTreeMap::new();
        for (key, route) in changes {
            let app: Arc<str> = key.app.as_str().into();
            let mp: Arc<str> = key.mini_program.as_str().into();
            let route = route.map(Arc::new);
            let k: Key = (Arc::clone(&app), key.env, Arc::clone(&mp));
            match &route {
                Some(r) => next.routes.insert(k, Arc::clone(r)),
                None => next.routes.remove(&k),
            };
            by_target
                .entry((app, key.env))
                .or_default()
                .push((mp, route));
        }
        for (target, changes) in by_target {
            let mut list: BTreeMap<Arc<str>, Arc<Route>> = next
                .targets
                .get(&TargetQuery(&target.0, target.1))
                .map(|t| t.routes.iter().cloned().collect())
                .unwrap_or_default();
            for (mp, route) in changes {
                match route {
                    Some(r) => list.insert(mp, r),
                    None => list.remove(&mp),
                };
            }
            if list.is_empty() {
                next.targets.remove(&TargetQuery(&target.0, target.1));
            } else {
                let counters = next
                    .targets
                    .get(&TargetQuery(&target.0, target.1))
                    .map(|t| t.counters.clone())
                    .unwrap_or_else(|| metrics.target_counters(&target.0, target.1.as_str()));
                let routes = list.into_iter().collect();
                next.targets
                    .insert(target, Arc::new(Target { routes, counters }));
            }
        }
        next
    }
}

type RouteChange = (Arc<str>, Option<Arc<Route>>);

struct TargetQuery<'a>(&'a str, Env);

impl Hash for TargetQuery<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.hash(h);
        self.1.hash(h);
    }
}

impl Equivalent<(Arc<str>, Env)> for TargetQuery<'_> {
    fn equivalent(&self, k: &(Arc<str>, Env)) -> bool {
        *k.0 == *self.0 && k.1 == self.1
    }
}

/// The slot the control plane swaps snapshots into and the hot path loads from.
pub type SnapshotCell = ArcSwap<Snapshot>;

/// A new cell holding an empty snapshot.
pub fn new_cell(metrics: &Metrics) -> Arc<SnapshotCell> {
    Arc::new(ArcSwap::from_pointee(Snapshot::new(metrics)))
}

/// Why a user gets what they get: `GET /v1/admin/explain`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    pub revision: u64,
    /// What the resolver answers; `null` where `GET /v1/resolve` answers 404 `not_released`.
    #[schema(required = true)]
    pub decision: Option<Decision>,
    /// The route's in-flight release serving some users, if any.
    #[schema(required = true)]
    pub in_flight: Option<InFlightExplanation>,
    /// The route's current full release, if any.
    #[schema(required = true)]
    pub full: Option<Decision>,
}

/// A release the resolver picks, and the rule of SPEC §3 that picks it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Decision {
    #[schema(value_type = u64)]
    pub release_id: ReleaseId,
    pub version: String,
    pub channel: Channel,
}

/// The in-flight release's inputs to the decision for this user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InFlightExplanation {
    #[schema(value_type = u64)]
    pub release_id: ReleaseId,
    pub version: String,
    pub salt: String,
    /// The user's bucket in 0..999_999 (spec gr1).
    pub bucket: u32,
    /// Parts per million; the user is in the grayscale iff `bucket < threshold`.
    pub threshold: u32,
    /// The grayscale percentage; 0 while pilot testing.
    pub percentage: f64,
    pub in_grayscale: bool,
    pub test_group_size: usize,
    pub pilot_member: bool,
}

impl From<&Served> for Decision {
    fn from(s: &Served) -> Decision {
        Decision {
            release_id: s.release_id,
            version: s.version.to_string(),
            channel: s.channel,
        }
    }
}

impl Snapshot {
    /// The resolver's decision with its inputs laid out.
    pub fn explain(&self, app: &str, env: Env, mini_program: &str, user: &str) -> Explanation {
        let route = self.route(app, env, mini_program);
        let in_flight = route.and_then(|r| r.in_flight.as_ref()).map(|f| {
            let bucket = bucket::bucket(&f.salt, user);
            InFlightExplanation {
                release_id: f.pilot.release_id,
                version: f.pilot.version.to_string(),
                salt: f.salt.to_string(),
                bucket,
                threshold: f.threshold,
                percentage: f64::from(f.threshold) / 10_000.0,
                in_grayscale: bucket < f.threshold,
                test_group_size: f.test_group.as_ref().map_or(0, |g| g.len()),
                pilot_member: f.test_group.as_ref().is_some_and(|g| g.contains(user)),
            }
        });
        Explanation {
            revision: self.revision,
            decision: route.and_then(|r| r.resolve(user)).map(Decision::from),
            in_flight,
            full: route.and_then(|r| r.full.as_ref()).map(Decision::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AppId, MiniProgramId, Percentage, Version};

    fn release(id: ReleaseId, version: &str, status: Status, percent: f64) -> Release {
        Release {
            id,
            mini_program: MiniProgramId::parse("mp-a").expect("id"),
            version: Version::parse(version).expect("version"),
            app: AppId::parse("app").expect("id"),
            env: Env::Production,
            status,
            percentage: Percentage::from_percent(percent).expect("percent"),
            salt: "00112233445566aa".into(),
            config: Arc::default(),
            test_group_size: 0,
            applied_by: None,
            revision: 1,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn input(r: &Release, group: &[&str]) -> ReleaseInput<'static> {
        let r: &'static Release = Box::leak(Box::new(r.clone()));
        let group = (!group.is_empty()).then(|| Arc::new(TestGroup::parse(group).expect("group")));
        ReleaseInput {
            release: r,
            package_url: "https://cdn.example.com/p.zip",
            test_group: group,
        }
    }

    fn key() -> RouteKey {
        RouteKey {
            app: AppId::parse("app").expect("id"),
            env: Env::Production,
            mini_program: MiniProgramId::parse("mp-a").expect("id"),
        }
    }

    #[test]
    fn precedence_is_pilot_then_grayscale_then_full() {
        let full = release(1, "1.0.0", Status::FullRelease, 0.0);
        let gray = release(2, "2.0.0", Status::GrayscaleRelease, 50.0);
        let m = Metrics::new();
        let route = Route::build(Some(input(&full, &[])), Some(input(&gray, &["vip"])), &m);
        let route = route.expect("route");
        let pick = |u: &str| route.resolve(u).map(|s| (s.channel, s.release_id));
        assert_eq!(pick("vip"), Some((Channel::Pilot, 2)));
        let users: Vec<String> = (0..2000).map(|i| format!("user-{i}")).collect();
        let gray_count = users
            .iter()
            .filter(|u| pick(u) == Some((Channel::Grayscale, 2)))
            .count();
        let full_count = users
            .iter()
            .filter(|u| pick(u) == Some((Channel::Full, 1)))
            .count();
        assert_eq!(gray_count + full_count, users.len());
        assert!(
            (850..1150).contains(&gray_count),
            "about half in grayscale: {gray_count}"
        );
        for u in &users {
            let in_gray = bucket::bucket("00112233445566aa", u) < 500_000;
            assert_eq!(
                pick(u).map(|p| p.0),
                Some(if in_gray {
                    Channel::Grayscale
                } else {
                    Channel::Full
                })
            );
        }
    }

    #[test]
    fn pilot_testing_serves_only_the_group_and_preparation_nothing() {
        let pilot = release(2, "2.0.0", Status::PilotTesting, 0.0);
        let m = Metrics::new();
        let route = Route::build(None, Some(input(&pilot, &["tester"])), &m).expect("route");
        assert_eq!(
            route.resolve("tester").map(|s| s.channel),
            Some(Channel::Pilot)
        );
        assert!(route.resolve("someone-else").is_none());
        let prep = release(3, "3.0.0", Status::ReleasePreparation, 0.0);
        assert!(Route::build(None, Some(input(&prep, &["tester"])), &m).is_none());
    }

    #[test]
    fn fragments_are_the_answer_without_revision() {
        let full = release(1, "1.0.0", Status::FullRelease, 0.0);
        let m = Metrics::new();
        let route = Route::build(Some(input(&full, &[])), None, &m).expect("route");
        let served = route.resolve("anyone").expect("served");
        let mut body = served.fragment.to_vec();
        body.extend_from_slice(b",\"revision\":7}");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
        assert_eq!(v["version"], "1.0.0");
        assert_eq!(v["channel"], "full");
        assert_eq!(v["release_id"], 1);
        assert_eq!(v["revision"], 7);
    }

    #[test]
    fn changes_replace_and_remove_routes_and_target_lists() {
        let full = release(1, "1.0.0", Status::FullRelease, 0.0);
        let m = Metrics::new();
        let route = Route::build(Some(input(&full, &[])), None, &m);
        let s1 = Snapshot::new(&m).with_changes(1, vec![(key(), route)], &m);
        assert_eq!(s1.revision(), 1);
        assert_eq!(
            s1.resolve("app", Env::Production, "mp-a", "u")
                .map(|s| s.release_id),
            Some(1)
        );
        assert_eq!(s1.target("app", Env::Production).map(|t| t.len()), Some(1));
        assert!(s1.resolve("app", Env::Sandbox, "mp-a", "u").is_none());
        let s2 = s1.with_changes(2, vec![(key(), None)], &m);
        assert!(s2.resolve("app", Env::Production, "mp-a", "u").is_none());
        assert!(s2.target("app", Env::Production).is_none());
        assert!(
            s1.resolve("app", Env::Production, "mp-a", "u").is_some(),
            "old snapshots are immutable"
        );
    }
}
