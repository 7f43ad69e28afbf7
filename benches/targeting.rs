//! Targeting by client context (SPEC §10) on the hot path: single resolves on grayscale
//! routes without targeting and with 3 rules, and a batch of 200 with and without
//! attributes. Targets (issue 13): 3 rules ≤ 1.5× none; batch with attributes ≤ 1.5×
//! without. Figures: BENCHMARKS.md.
//!
//! Same fleet as `benches/resolve.rs` (`fixture.inc`): the targeted fleets are the same
//! routes with the 3 rules set on every grayscale route's in-flight release, so each pair
//! differs in targeting only. The snapshot checks the bucket first and the rules only for
//! users under it, so at the fleet's 10 % about one resolve in ten reads the rules; the
//! `*_all_in` benches run the same routes at 100 %, where every resolve reads them.
#![allow(dead_code)] // the shared fixture serves the resolve benches too

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Bencher, Criterion, criterion_group, criterion_main};
use graygate::bucket;
use graygate::http::client_api;
use graygate::metrics::Metrics;
use graygate::model::{
    AppId, Env, MiniProgramId, Percentage, Release, ReleaseConfig, Salt, Status, Targeting,
    TestGroup, Version,
};
use graygate::snapshot::{Attributes, ReleaseInput, Route, RouteKey, Snapshot, Subject};
use hashbrown::HashMap;

include!("fixture.inc");

/// Routes in the single-resolve benches' snapshot.
const ROUTES: usize = 10_000;

/// The 3 rules of the example: os (case-insensitive `in`), super-app version,
/// region prefix. All three hold for [`PASS`].
fn rules() -> [serde_json::Value; 3] {
    [
        serde_json::json!({"attribute": "os", "op": "in", "values": ["android", "harmonyos"],
            "case_insensitive": true}),
        serde_json::json!({"attribute": "app_version", "op": "version_gte", "value": "10.2"}),
        serde_json::json!({"attribute": "region", "op": "starts_with", "value": "cn-"}),
    ]
}

fn targeting(rules: &[serde_json::Value]) -> Arc<Targeting> {
    let json = serde_json::json!({ "rules": rules });
    Arc::new(serde_json::from_value(json).expect("valid targeting"))
}

fn three_rules() -> Option<Arc<Targeting>> {
    Some(targeting(&rules()))
}

/// Rule `i` of [`rules`] alone.
fn one_rule(i: usize) -> Option<Arc<Targeting>> {
    Some(targeting(&rules()[i..=i]))
}

/// Attributes that pass every rule, so every rule is evaluated (`Android`: folded).
const PASS: [(&str, &str); 3] = [
    ("os", "Android"),
    ("app_version", "10.2.3"),
    ("region", "cn-east"),
];
/// Attributes that fail the first rule: evaluation stops there.
const FAIL_FIRST: [(&str, &str); 3] = [
    ("os", "ios"),
    ("app_version", "10.2.3"),
    ("region", "cn-east"),
];
/// What a batch client sends: the 3 the rules read and one they do not.
const BATCH_ATTRS: [(&str, &str); 4] = [
    ("os", "android"),
    ("app_version", "10.2.3"),
    ("region", "cn-east"),
    ("language", "zh-CN"),
];

/// Client attributes as a resolve borrows them.
type Attrs = [(&'static str, &'static str)];

/// `Fleet::new(n)` with `targeting` on every grayscale release, at `percent`.
fn fleet(n: usize, targeting: Option<Arc<Targeting>>, percent: f64) -> Fleet {
    let mut fleet = Fleet::new(n);
    for spec in fleet.specs.iter_mut() {
        if spec.shape != Shape::Grayscale {
            continue;
        }
        let release = &mut spec.in_flight.as_mut().expect("in flight").release;
        release.targeting = targeting.clone();
        release.percentage = Percentage::from_percent(percent).expect("percentage");
    }
    fleet
}

/// `Query::resolve` with the client's attributes.
fn resolve_with<'s>(
    snapshot: &'s Snapshot,
    q: &Query,
    attrs: &[(&str, &str)],
) -> Option<&'s Bytes> {
    let subject = Subject {
        user: &q.user,
        attributes: Attributes::new(attrs),
    };
    let served = snapshot.resolve(&q.app, q.env, &q.mini_program, &subject)?;
    Some(&served.fragment)
}

/// Single resolves on grayscale routes of a 10,000-route snapshot, attributes sent.
fn bench_targeting(c: &mut Criterion) {
    let mut g = c.benchmark_group("targeting");
    // The `1_rule_*` ones: each rule's share of `3_rules_all_in`.
    let cases: [(&str, Option<Arc<Targeting>>, f64, &Attrs); 8] = [
        ("none", None, 10.0, &PASS),
        ("3_rules", three_rules(), 10.0, &PASS),
        ("3_rules_fail_first", three_rules(), 10.0, &FAIL_FIRST),
        ("none_all_in", None, 100.0, &PASS),
        ("3_rules_all_in", three_rules(), 100.0, &PASS),
        ("1_rule_os_in_all_in", one_rule(0), 100.0, &PASS),
        ("1_rule_version_gte_all_in", one_rule(1), 100.0, &PASS),
        ("1_rule_starts_with_all_in", one_rule(2), 100.0, &PASS),
    ];
    for (name, targeting, percent, attrs) in cases {
        let fleet = fleet(ROUTES, targeting, percent);
        let snapshot = fleet.snapshot();
        let queries = fleet.queries(Shape::Grayscale);
        g.bench_function(name, |b| {
            rotate(b, &queries, |q| resolve_with(&snapshot, q, attrs).is_some())
        });
    }
    g.finish();
}

/// `client_api::batch_body` for every mini program of one target (200, of which 30 in
/// grayscale with the 3 rules), with and without the batch's 4 attributes; at the
/// fleet's 10 % and, `*_all_in`, with the 30 at 100 % (every one reads the rules).
fn bench_batch_attrs(c: &mut Criterion) {
    let mut g = c.benchmark_group("batch_attrs");
    let users: Vec<String> = (0..QUERIES as u64).map(user).collect();
    for (percent, suffix) in [(10.0, ""), (100.0, "_all_in")] {
        let fleet = fleet(LARGE, three_rules(), percent);
        let snapshot = fleet.snapshot();
        let key = &fleet.specs[0].key;
        let (app, env) = (key.app.as_str(), key.env);
        let cases: [(&str, &Attrs); 2] = [("without", &[]), ("with", &BATCH_ATTRS)];
        for (name, attrs) in cases {
            g.bench_function(format!("{PER_TARGET}_{name}{suffix}"), |b| {
                rotate(b, &users, |u| {
                    let subject = Subject {
                        user: u,
                        attributes: Attributes::new(attrs),
                    };
                    client_api::batch_body(&snapshot, app, env, &subject, None)
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_targeting, bench_batch_attrs);
criterion_main!(benches);
