//! A fixed resolve workload for instruction counts, which unlike wall time do not move
//! with the machine's load: 10,000 routes (one in twenty in pilot testing, three in
//! grayscale, the rest full), then `N` resolves of rotating users and routes.
//!
//! `scripts/resolve_instructions.sh` runs it under `valgrind --tool=callgrind` with N = 0
//! and N = 1,000,000; the difference divided by N is the instructions per resolve.

use std::sync::Arc;

use graygate::metrics::Metrics;
use graygate::model::{
    AppId, Env, MiniProgramId, Percentage, Release, ReleaseConfig, Salt, Status, TestGroup, Version,
};
use graygate::snapshot::{ReleaseInput, Route, RouteKey, Snapshot, Subject};

const ROUTES: usize = 10_000;

fn release(i: usize, status: Status, percent: f64) -> Release {
    Release {
        id: i as u64 + 1,
        mini_program: MiniProgramId::parse(&format!("mp-{i:06}")).expect("id"),
        version: Version::parse("1.0.0").expect("version"),
        app: AppId::parse(&format!("superapp-{}", i / 800)).expect("id"),
        env: Env::ALL[(i / 200) % 4],
        status,
        percentage: Percentage::from_percent(percent).expect("percentage"),
        salt: Salt::parse(&format!(
            "{:016x}",
            (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ))
        .expect("salt"),
        config: Arc::new(ReleaseConfig::default()),
        test_group_size: 0,
        applied_by: None,
        plan: None,
        guard: None,
        targeting: None,
        predecessor: None,
        revision: 1,
        created_at: 0,
        updated_at: 0,
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let metrics = Metrics::new();
    let group = Arc::new(TestGroup::parse(&["qa-1", "qa-2"]).expect("group"));
    let releases: Vec<Release> = (0..ROUTES)
        .map(|i| match i % 20 {
            0 => release(i, Status::PilotTesting, 0.0),
            1..=3 => release(i, Status::GrayscaleRelease, 10.0),
            _ => release(i, Status::FullRelease, 0.0),
        })
        .collect();
    let changes = releases.iter().map(|r| {
        let key = RouteKey::of(r);
        let input = ReleaseInput {
            release: r,
            package_url: "https://cdn.example.com/p.zip",
            test_group: Some(Arc::clone(&group)),
            tally: Default::default(),
        };
        let route = match r.status {
            Status::FullRelease => Route::build(Some(input), None, &metrics),
            _ => Route::build(None, Some(input), &metrics),
        };
        (key, route)
    });
    let snapshot = Snapshot::new(&metrics).with_changes(1, changes.collect(), &metrics);
    let keys: Vec<(String, Env, String)> = releases
        .iter()
        .map(|r| (r.app.to_string(), r.env, r.mini_program.to_string()))
        .collect();
    let users: Vec<String> = (0..1024).map(|u| format!("user-{u:07}")).collect();
    let mut served = 0usize;
    for q in 0..n {
        let (app, env, mp) = &keys[(q * 7919) % ROUTES];
        let subject = Subject::user(&users[q % users.len()]);
        served += usize::from(snapshot.resolve(app, *env, mp, &subject).is_some());
    }
    println!("{n} resolves, {served} served");
}
