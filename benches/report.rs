//! Counting client health reports (SPEC §9): one `POST /v1/report` batch of 10 events on
//! a 10,000-route fleet, counted on the snapshot's pre-bound counters, next to the
//! single resolve it accompanies. Figures: BENCHMARKS.md.
#![allow(dead_code)] // the shared fixture serves the resolve benches too

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Bencher, Criterion, criterion_group, criterion_main};
use graygate::bucket;
use graygate::http::client_api;
use graygate::http::report::{ReportRequest, count_events};
use graygate::metrics::Metrics;
use graygate::model::{
    AppId, Env, MiniProgramId, Percentage, Release, ReleaseConfig, Salt, Status, TestGroup, Version,
};
use graygate::snapshot::{ReleaseInput, Route, RouteKey, Snapshot, Subject};
use hashbrown::HashMap;

include!("fixture.inc");

/// Events per report, as a client would batch them.
const EVENTS: usize = 10;

/// One report body per grayscale query: its route's candidate and control arms, mixed.
fn reports(snapshot: &Snapshot, queries: &[Query]) -> Vec<Vec<u8>> {
    queries
        .iter()
        .map(|q| {
            let route = snapshot
                .route(&q.app, q.env, &q.mini_program)
                .expect("a route");
            let gray = route
                .in_flight
                .as_ref()
                .expect("in flight")
                .grayscale
                .release_id;
            let full = route.full.as_ref().expect("a full release").release_id;
            let events: Vec<_> = (0..EVENTS)
                .map(|i| {
                    let (id, channel) = if i % 2 == 0 {
                        (gray, "grayscale")
                    } else {
                        (full, "full")
                    };
                    let outcome = if i % 5 == 0 { "error" } else { "ok" };
                    serde_json::json!({"mini_program": q.mini_program, "release_id": id,
                        "channel": channel, "outcome": outcome, "count": 1})
                })
                .collect();
            let body = serde_json::json!({"app": q.app, "env": q.env, "events": events});
            serde_json::to_vec(&body).expect("a report body")
        })
        .collect()
}

fn bench_report(c: &mut Criterion) {
    let mut g = c.benchmark_group("report");
    let fleet = Fleet::new(10_000);
    let snapshot = fleet.snapshot();
    let queries = fleet.queries(Shape::Grayscale);
    let bodies = reports(&snapshot, &queries);
    let requests: Vec<ReportRequest<'_>> = bodies
        .iter()
        .map(|b| serde_json::from_slice(b).expect("a valid report"))
        .collect();
    g.bench_function("resolve+count", |b| {
        rotate(b, &queries, |q| {
            let served = snapshot.resolve(&q.app, q.env, &q.mini_program, &Subject::user(&q.user));
            served.map(|s| s.counters.inc()).is_some()
        })
    });
    g.bench_function("count_10_events", |b| {
        rotate(b, &requests, |r| {
            count_events(&snapshot, metrics(), r).accepted
        })
    });
    // What a request costs before the HTTP layers: its JSON read, then its events counted.
    g.bench_function("parse_and_count_10_events", |b| {
        rotate(b, &bodies, |body| {
            let r: ReportRequest<'_> = serde_json::from_slice(body).expect("a valid report");
            count_events(&snapshot, metrics(), &r).accepted
        })
    });
    g.finish();
}

criterion_group!(benches, bench_report);
criterion_main!(benches);
