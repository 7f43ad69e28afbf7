//! Hot-path benches: `bucket`, single and batch resolve against a plain-map baseline,
//! pilot test groups up to 1,000,000 ids, and snapshot rebuilds at 100,000 routes.
//! Targets and figures: BENCHMARKS.md.
//!
//! Every table, query list and test group is built outside `b.iter`. Queries rotate over
//! pre-drawn lists spread across the whole table, so a large table is not measured from
//! one hot cache line; the baseline rotates over the same routes and users.

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{
    BatchSize, Bencher, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main,
};
use graygate::bucket;
use graygate::http::client_api;
use graygate::metrics::Metrics;
use graygate::model::{
    AppId, Env, MiniProgramId, Percentage, Release, ReleaseConfig, Salt, Status, TestGroup, Version,
};
use graygate::snapshot::{ReleaseInput, Route, RouteKey, Snapshot, Subject};
use hashbrown::HashMap;

/// Route-table sizes for the scaling benches (mini programs in the snapshot).
const SIZES: [usize; 4] = [10, 1_000, 10_000, 100_000];
/// The largest table: the rebuild and batch benches run on it.
const LARGE: usize = 100_000;
/// Mini programs per release target; a batch resolve of a whole target answers this many.
const PER_TARGET: usize = 200;
/// Length of every rotating query list.
const QUERIES: usize = 1024;
/// Members of the small pilot test group every pilot route of the fleet carries.
const SMALL_GROUP: usize = 100;

/// splitmix64: deterministic spread without a random-number dependency.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn user(n: u64) -> String {
    format!("user-{:010}", mix(n) % 10_000_000_000)
}

fn pilot_user(n: usize) -> String {
    format!("pilot-{n:07}")
}

fn test_group(size: usize) -> Arc<TestGroup> {
    let ids: Vec<String> = (0..size).map(pilot_user).collect();
    Arc::new(TestGroup::parse(&ids).expect("valid pilot ids"))
}

/// How a route serves, mixed like a live fleet: 80 % full only, 15 % full plus a 10 %
/// grayscale, 5 % full plus a pilot test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Full,
    Grayscale,
    Pilot,
}

fn shape(i: usize) -> Shape {
    match i % 20 {
        0 => Shape::Pilot,
        1..=3 => Shape::Grayscale,
        _ => Shape::Full,
    }
}

/// Route `i`: mini program `mp-{i}` in target `i / PER_TARGET` (apps × the four envs).
fn route_key(i: usize) -> RouteKey {
    let target = i / PER_TARGET;
    RouteKey {
        app: AppId::parse(&format!("superapp-{}", target / 4)).expect("app id"),
        env: Env::ALL[target % 4],
        mini_program: MiniProgramId::parse(&format!("mp-{i:06}")).expect("mini program id"),
    }
}

fn flat_key(key: &RouteKey) -> String {
    format!("{}/{}/{}", key.app, key.env, key.mini_program)
}

/// A release as the control plane holds it, with its version's package URL.
struct Input {
    release: Release,
    package_url: String,
}

impl Input {
    fn new(id: u64, key: &RouteKey, version: &str, status: Status, percentage: f64) -> Input {
        let config = serde_json::json!({
            "network_allowlist": ["api.example.com", "img.example.com"],
            "payment": { "merchant_id": format!("m-{id:08}") },
        });
        let release = Release {
            id,
            mini_program: key.mini_program.clone(),
            version: Version::parse(version).expect("version"),
            app: key.app.clone(),
            env: key.env,
            status,
            percentage: Percentage::from_percent(percentage).expect("percentage"),
            salt: Salt::parse(&format!("{:016x}", mix(id))).expect("a salt"),
            config: Arc::new(ReleaseConfig::try_from(config).expect("valid config")),
            test_group_size: 0, // the snapshot takes the group itself, not its size
            applied_by: None,
            plan: None,
            revision: id,
            created_at: 1_700_000_000_000,
            updated_at: 1_700_000_000_000,
        };
        let package_url = format!(
            "https://cdn.example.com/mini-programs/{}/{version}/package.zip",
            key.mini_program
        );
        Input {
            release,
            package_url,
        }
    }

    fn as_input(&self, test_group: Option<Arc<TestGroup>>) -> ReleaseInput<'_> {
        ReleaseInput {
            release: &self.release,
            package_url: &self.package_url,
            test_group,
            tally: Default::default(),
        }
    }
}

/// One metrics registry for every route the benches build (as in a gateway process).
fn metrics() -> &'static Metrics {
    static METRICS: std::sync::OnceLock<Metrics> = std::sync::OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// The releases behind one route: its full release and, unless full only, an in-flight one.
struct Spec {
    key: RouteKey,
    shape: Shape,
    full: Input,
    in_flight: Option<Input>,
}

impl Spec {
    fn new(i: usize, shape: Shape) -> Spec {
        let key = route_key(i);
        let id = 2 * i as u64 + 1;
        let in_flight = match shape {
            Shape::Full => None,
            Shape::Grayscale => Some((Status::GrayscaleRelease, 10.0)),
            Shape::Pilot => Some((Status::PilotTesting, 0.0)),
        };
        Spec {
            full: Input::new(id, &key, "1.4.2", Status::FullRelease, 0.0),
            in_flight: in_flight.map(|(status, p)| Input::new(id + 1, &key, "1.5.0", status, p)),
            key,
            shape,
        }
    }

    fn route(&self, test_group: Option<Arc<TestGroup>>) -> Route {
        let in_flight = self.in_flight.as_ref().map(|f| f.as_input(test_group));
        Route::build(Some(self.full.as_input(None)), in_flight, metrics())
            .expect("a full release serves")
    }
}

/// `n` routes in the realistic mix; pilot routes share one small test group.
struct Fleet {
    specs: Vec<Spec>,
    group: Arc<TestGroup>,
}

impl Fleet {
    fn new(n: usize) -> Fleet {
        Fleet {
            specs: (0..n).map(|i| Spec::new(i, shape(i))).collect(),
            group: test_group(SMALL_GROUP),
        }
    }

    fn change(&self, spec: &Spec) -> (RouteKey, Option<Route>) {
        let group = (spec.shape == Shape::Pilot).then(|| Arc::clone(&self.group));
        (spec.key.clone(), Some(spec.route(group)))
    }

    /// What `control::publish` hands to `with_changes` when every route changed.
    fn changes(&self) -> Vec<(RouteKey, Option<Route>)> {
        self.specs.iter().map(|s| self.change(s)).collect()
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot::new(metrics()).with_changes(1, self.changes(), metrics())
    }

    /// `QUERIES` (route, user) pairs drawn across the routes of `shape`.
    fn queries(&self, shape: Shape) -> Vec<Query> {
        let routes: Vec<&Spec> = self.specs.iter().filter(|s| s.shape == shape).collect();
        (0..QUERIES as u64)
            .map(|q| Query::new(&routes[mix(q) as usize % routes.len()].key, user(q)))
            .collect()
    }
}

/// The reference cost: one string-keyed hashbrown map of the same size (same hasher as
/// the snapshot), one lookup and one `bucket`.
struct Baseline(HashMap<Box<str>, BaselineRoute>);

struct BaselineRoute {
    salt: Box<str>,
    threshold: u32,
    fragment: Bytes,
}

impl Baseline {
    fn new(fleet: &Fleet) -> Baseline {
        let routes = fleet.specs.iter().map(|s| {
            let r = &s.in_flight.as_ref().unwrap_or(&s.full).release;
            let route = BaselineRoute {
                salt: r.salt.as_str().into(),
                threshold: r.percentage.ppm(),
                fragment: Bytes::from(vec![b'x'; 256]),
            };
            (flat_key(&s.key).into_boxed_str(), route)
        });
        Baseline(routes.collect())
    }

    fn resolve(&self, flat_key: &str, user: &str) -> Option<&Bytes> {
        let r = self.0.get(flat_key)?;
        (bucket::bucket(&r.salt, user) < r.threshold).then_some(&r.fragment)
    }
}

/// One resolve request, in both the snapshot's and the baseline's key form.
struct Query {
    app: String,
    env: Env,
    mini_program: String,
    flat: String,
    user: String,
}

impl Query {
    fn new(key: &RouteKey, user: String) -> Query {
        Query {
            app: key.app.to_string(),
            env: key.env,
            mini_program: key.mini_program.to_string(),
            flat: flat_key(key),
            user,
        }
    }

    fn resolve<'s>(&self, snapshot: &'s Snapshot) -> Option<&'s Bytes> {
        let served = snapshot.resolve(
            &self.app,
            self.env,
            &self.mini_program,
            &Subject::user(&self.user),
        )?;
        Some(&served.fragment)
    }
}

/// Runs `f` on the next item of `items` at every iteration (no division on the hot path).
fn rotate<T, R>(b: &mut Bencher<'_>, items: &[T], mut f: impl FnMut(&T) -> R) {
    let mut i = 0;
    b.iter(|| {
        let item = &items[i];
        i += 1;
        if i == items.len() {
            i = 0;
        }
        f(black_box(item))
    });
}

/// The body of `GET /v1/resolve`, by the handler's own code (counters included).
fn resolve_body(snapshot: &Snapshot, q: &Query) -> Option<Vec<u8>> {
    let served = snapshot.resolve(&q.app, q.env, &q.mini_program, &Subject::user(&q.user))?;
    served.counters.inc();
    Some(client_api::answer_body(snapshot, served))
}

/// The body of `POST /v1/resolve` without `mini_programs`, by the handler's own code:
/// every mini program of the target for one user, each answer counted.
fn batch_body(snapshot: &Snapshot, app: &str, env: Env, user: &str) -> Vec<u8> {
    client_api::batch_body(snapshot, app, env, &Subject::user(user), None)
}

fn bench_bucket(c: &mut Criterion) {
    let mut g = c.benchmark_group("bucket");
    let salt = "3f9a0c2b7d41e865";
    for (name, id) in [
        ("user-15B", "user-0001234567"),
        ("uuid-36B", "6f1c2a9e-4b7d-4e0a-9c35-1d2e3f405a6b"),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| bucket::bucket(black_box(salt), black_box(id)))
        });
    }
    // What the snapshot does: the release's "gr1:<salt>:" is assembled once per release.
    let salted = bucket::Salted::new(salt).expect("a valid salt");
    g.bench_function("salted-user-15B", |b| {
        b.iter(|| black_box(&salted).bucket(black_box("user-0001234567")))
    });
    // The hash alone on a ready-made input: what `bucket` adds is assembling the input.
    let input = format!("gr1:{salt}:user-0001234567");
    g.bench_function("xxh3-only-user-15B", |b| {
        b.iter(|| xxhash_rust::xxh3::xxh3_64(black_box(input.as_bytes())))
    });
    g.finish();
}

/// Single resolve on grayscale routes (lookup + bucket) versus the baseline, per table size.
fn bench_resolve(c: &mut Criterion) {
    let mut g = c.benchmark_group("resolve");
    for n in SIZES {
        let fleet = Fleet::new(n);
        let snapshot = fleet.snapshot();
        let baseline = Baseline::new(&fleet);
        let queries = fleet.queries(Shape::Grayscale);
        g.bench_with_input(BenchmarkId::new("baseline", n), &queries, |b, qs| {
            rotate(b, qs, |q| baseline.resolve(&q.flat, &q.user).is_some())
        });
        g.bench_with_input(BenchmarkId::new("snapshot", n), &queries, |b, qs| {
            rotate(b, qs, |q| q.resolve(&snapshot).is_some())
        });
        // What the handler adds for metrics: the answer's pre-bound counters.
        g.bench_with_input(BenchmarkId::new("snapshot+count", n), &queries, |b, qs| {
            rotate(b, qs, |q| {
                let served =
                    snapshot.resolve(&q.app, q.env, &q.mini_program, &Subject::user(&q.user));
                served.map(|s| s.counters.inc()).is_some()
            })
        });
        g.bench_with_input(BenchmarkId::new("snapshot+body", n), &queries, |b, qs| {
            rotate(b, qs, |q| resolve_body(&snapshot, q))
        });
    }
    g.finish();
}

/// Resolve on a grayscale route whose release has a pilot test group of 0, 100 or
/// 1,000,000 ids, for users in and not in the group.
fn bench_test_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("test_group");
    let fleet = Fleet::new(1_000);
    let spec = Spec::new(LARGE, Shape::Grayscale);
    let outsiders: Vec<Query> = (0..QUERIES as u64)
        .map(|q| Query::new(&spec.key, user(q)))
        .collect();
    for size in [0, SMALL_GROUP, 1_000_000] {
        let group = (size > 0).then(|| test_group(size));
        let change = (spec.key.clone(), Some(spec.route(group)));
        let snapshot = fleet.snapshot().with_changes(2, vec![change], metrics());
        g.bench_with_input(BenchmarkId::new("non_member", size), &outsiders, |b, qs| {
            rotate(b, qs, |q| q.resolve(&snapshot).is_some())
        });
        if size == 0 {
            continue;
        }
        let members: Vec<Query> = (0..QUERIES as u64)
            .map(|q| Query::new(&spec.key, pilot_user(mix(q) as usize % size)))
            .collect();
        g.bench_with_input(BenchmarkId::new("member", size), &members, |b, qs| {
            rotate(b, qs, |q| q.resolve(&snapshot).is_some())
        });
    }
    g.finish();
}

/// Every mini program of one target (200) for one user, versus 200 × (lookup + bucket).
fn bench_batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("batch");
    let fleet = Fleet::new(LARGE);
    let snapshot = fleet.snapshot();
    let baseline = Baseline::new(&fleet);
    let target = &fleet.specs[..PER_TARGET];
    let flat_keys: Vec<String> = target.iter().map(|s| flat_key(&s.key)).collect();
    let (app, env) = (target[0].key.app.as_str(), target[0].key.env);
    let users: Vec<String> = (0..QUERIES as u64).map(user).collect();
    let n = PER_TARGET;
    g.bench_with_input(BenchmarkId::new("baseline", n), &users, |b, users| {
        rotate(b, users, |u| {
            let hits = flat_keys.iter().map(|k| baseline.resolve(k, u).is_some());
            hits.filter(|hit| *hit).count()
        })
    });
    g.bench_with_input(BenchmarkId::new("resolve_only", n), &users, |b, users| {
        rotate(b, users, |u| {
            let routes = snapshot.target(app, env).into_iter().flat_map(|t| t.iter());
            routes
                .filter(|(_, r)| r.resolve(&Subject::user(u)).is_some())
                .count()
        })
    });
    g.bench_with_input(BenchmarkId::new("with_body", n), &users, |b, users| {
        rotate(b, users, |u| batch_body(&snapshot, app, env, u))
    });
    g.finish();
}

/// Snapshot rebuilds at 100,000 routes: from nothing, and one changed route (the path
/// after every admin action: clone the table, replace the route, drop the old table).
fn bench_rebuild(c: &mut Criterion) {
    let mut g = c.benchmark_group("rebuild");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    let fleet = Fleet::new(LARGE);
    g.bench_function(BenchmarkId::new("full", LARGE), |b| {
        b.iter_batched(
            || fleet.changes(),
            |changes| Snapshot::new(metrics()).with_changes(1, changes, metrics()),
            BatchSize::PerIteration,
        )
    });
    g.bench_function(BenchmarkId::new("full+route_build", LARGE), |b| {
        b.iter_with_large_drop(|| fleet.snapshot())
    });
    let base = fleet.snapshot();
    let changed = &fleet.specs[1];
    g.bench_function(BenchmarkId::new("one_change", LARGE), |b| {
        b.iter_batched(
            || vec![fleet.change(changed)],
            |change| drop(base.with_changes(2, change, metrics())),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_bucket,
    bench_resolve,
    bench_test_group,
    bench_batch,
    bench_rebuild
);
criterion_main!(benches);
