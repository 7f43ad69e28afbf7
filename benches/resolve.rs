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

include!("fixture.inc");

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
