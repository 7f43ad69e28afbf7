//! Turning committed state into what the hot path serves: the changed routes are rebuilt,
//! the apps' report tokens taken and a new snapshot swapped in, and the rollout series
//! follow (per-version series only for releases that serve, percentages only for releases
//! in flight).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use super::replica::Replica;
use crate::metrics::Metrics;
use crate::model::{Release, Serving};
use crate::reports::{ReleaseTally, Tallies};
use crate::snapshot::{ReleaseInput, Route, RouteKey, SnapshotCell};

/// Rebuilds the changed routes, swaps in a new snapshot and updates the rollout series.
pub fn publish(
    state: &Replica,
    changed: BTreeSet<RouteKey>,
    cell: &SnapshotCell,
    metrics: &Metrics,
    tallies: &Tallies,
) {
    let started = Instant::now();
    let old = cell.load();
    let mut retired = Retired::default();
    let changes = changed
        .into_iter()
        .map(|key| {
            let route = build_route(state, &key, metrics, tallies);
            let before = old.route(key.app.as_str(), key.env, key.mini_program.as_str());
            retired.note(&key, before.map(|r| &**r), route.as_ref());
            if let Some(f) = route.as_ref().and_then(|r| r.in_flight.as_ref()) {
                let (app, mp) = (key.app.as_str(), key.mini_program.as_str());
                let percent = f64::from(f.threshold) / 10_000.0;
                metrics.set_percentage(app, key.env, mp, &f.pilot.version, percent);
            }
            (key, route)
        })
        .collect();
    let mut next = old.with_changes(state.revision, changes, metrics);
    let tokens = state.apps.values();
    next.set_report_tokens(tokens.filter_map(|a| Some((a.id.as_str(), a.report_token_sha256?))));
    let suspended = state.active_suspensions();
    next.set_suspended(suspended.map(|(app, mp, _)| (app.as_str(), mp.as_str())));
    cell.store(Arc::new(next));
    retired.forget(metrics);
    for ((app, env, status), n) in state.status_counts() {
        let labels = [app.as_str(), env.as_str(), status.as_str()];
        metrics.rollout.releases.with_label_values(&labels).set(*n);
    }
    let plans = state.plan_counts();
    metrics
        .plan
        .set_counts(|s| plans.get(&s).copied().unwrap_or(0));
    metrics
        .snapshot
        .build
        .observe(started.elapsed().as_secs_f64());
    metrics.snapshot.swaps.inc();
    metrics
        .snapshot
        .revision
        .set(i64::try_from(state.revision).unwrap_or(i64::MAX));
}

/// Per-version series to drop once the new snapshot is in: versions a route stopped
/// serving, and percentages of releases that are no longer in flight.
#[derive(Default)]
struct Retired {
    served: Vec<(RouteKey, String)>,
    percentages: Vec<(RouteKey, String)>,
}

impl Retired {
    fn note(&mut self, key: &RouteKey, before: Option<&Route>, after: Option<&Route>) {
        let still_served = after.map(served_versions).unwrap_or_default();
        for version in before.map(served_versions).unwrap_or_default() {
            if !still_served.contains(&version) {
                self.served.push((key.clone(), version));
            }
        }
        let in_flight = |r: Option<&Route>| {
            r.and_then(|r| r.in_flight.as_ref())
                .map(|f| f.pilot.version.to_string())
        };
        let now = in_flight(after);
        if let Some(landed) = in_flight(before).filter(|v| Some(v) != now.as_ref()) {
            self.percentages.push((key.clone(), landed));
        }
    }

    fn forget(self, metrics: &Metrics) {
        for (k, version) in self.served {
            metrics.forget_served(k.app.as_str(), k.env, k.mini_program.as_str(), &version);
        }
        for (k, version) in self.percentages {
            metrics.forget_percentage(k.app.as_str(), k.env, k.mini_program.as_str(), &version);
        }
    }
}

/// What one route serves in `state`: its current full release and its in-flight release,
/// which counts its reports on its tally. A suspended route (SPEC §11) that would serve
/// is published as a route that serves nobody: a resolve of it misses without any check
/// on the hot path, and a batch over the whole target still lists it (as null).
fn build_route(
    state: &Replica,
    key: &RouteKey,
    metrics: &Metrics,
    tallies: &Tallies,
) -> Option<Route> {
    if state.suspension(&key.app, &key.mini_program).is_some() {
        let serving = |r: &Release| r.status.serving() != Serving::Nothing;
        let serves = state.current_full(key).is_some() || state.in_flight(key).is_some_and(serving);
        return serves.then(Route::default);
    }
    let full = state
        .current_full(key)
        .and_then(|r| release_input(state, r, Arc::default()));
    // A release under offline review is in flight for rule 2 but serves as the full
    // release it still is (SPEC §11): it is `full` above, not a second in-flight one.
    let in_flight = state
        .in_flight(key)
        .filter(|r| r.status.serving() != Serving::Full)
        .and_then(|r| release_input(state, r, tallies.bind(r.id)));
    Route::build(full, in_flight, metrics)
}

/// The versions a route serves on any channel.
fn served_versions(route: &Route) -> Vec<String> {
    let in_flight = route
        .in_flight
        .as_ref()
        .map(|f| f.pilot.version.to_string());
    let full = route.full.as_ref().map(|f| f.version.to_string());
    in_flight.into_iter().chain(full).collect()
}

fn release_input<'a>(
    state: &'a Replica,
    r: &'a Release,
    tally: Arc<ReleaseTally>,
) -> Option<ReleaseInput<'a>> {
    let version = state
        .versions
        .get(&(r.mini_program.clone(), r.version.clone()))?;
    Some(ReleaseInput {
        release: r,
        package_url: version.package_url.as_str(),
        test_group: state.test_groups.get(&r.id).cloned(),
        tally,
    })
}
