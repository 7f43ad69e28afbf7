//! The immutable routing table the hot path answers from, and `resolve` (SPEC §3).
//!
//! A [`Snapshot`] is built by the control plane after every committed change and
//! swapped into a [`SnapshotCell`] (`ArcSwap`); a resolve loads it once, without locks.
//! Everything a response needs is precomputed: each servable release carries its JSON
//! fragment, so answering is one hash probe, one bucket and a copy.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use hashbrown::{Equivalent, HashMap};

use crate::metrics::{Metrics, TargetCounters};
use crate::model::{AppId, Env, MiniProgramId, Release, TokenSha256};

mod explain;
mod route;
mod subject;
mod suspended;
mod table;
#[cfg(test)]
mod targeting_tests;
#[cfg(test)]
mod tests;

pub use explain::{Decision, Explanation, InFlightExplanation, Outcome, Step};
pub use route::{InFlight, ReleaseInput, Route, Served};
pub use subject::{Attributes, Subject};

/// Where a resolve lands: one mini program in one release target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteKey {
    pub app: AppId,
    pub env: Env,
    pub mini_program: MiniProgramId,
}

impl RouteKey {
    /// The route a release serves on.
    pub fn of(r: &Release) -> RouteKey {
        RouteKey {
            app: r.app.clone(),
            env: r.env,
            mini_program: r.mini_program.clone(),
        }
    }
}
use table::RouteTable;

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
    /// The revision quoted, `"42"`: the ETag of every answer and, unquoted, their
    /// `revision` field, formatted once per snapshot instead of once per answer.
    etag: Bytes,
    routes: RouteTable,
    targets: HashMap<(Arc<str>, Env), Arc<Target>>,
    /// Miss and error counters of requests for targets without routes.
    other: TargetCounters,
    /// The report token of each target app that has one (SPEC §9), so a report is
    /// checked against the snapshot it counts on: one probe, no lock. Shared between
    /// snapshots until a token changes.
    report_tokens: Arc<HashMap<Arc<str>, TokenSha256>>,
    /// The (app, mini program) pairs the super app suspended (SPEC §11): consulted on a
    /// miss only, see [`suspended`].
    suspended: suspended::SuspendedSet,
}

impl Snapshot {
    /// An empty snapshot at revision 0.
    pub fn new(metrics: &Metrics) -> Snapshot {
        Snapshot {
            revision: 0,
            etag: quoted(0),
            routes: RouteTable::default(),
            targets: HashMap::new(),
            other: metrics.target_counters(crate::metrics::OTHER, crate::metrics::OTHER),
            report_tokens: Arc::default(),
            suspended: Arc::default(),
        }
    }

    /// The SHA-256 of the token `app`'s clients must report with, if it has one.
    pub fn report_token(&self, app: &str) -> Option<&TokenSha256> {
        self.report_tokens.get(app)
    }

    /// Takes the report token of every app that has one; the table is rebuilt only when
    /// a token was set, changed or removed, which is rare beside route changes.
    pub fn set_report_tokens<'a>(
        &mut self,
        tokens: impl Iterator<Item = (&'a str, TokenSha256)> + Clone,
    ) {
        let mut count = 0;
        let same = tokens.clone().all(|(app, token)| {
            count += 1;
            self.report_tokens.get(app) == Some(&token)
        });
        if same && count == self.report_tokens.len() {
            return;
        }
        self.report_tokens = Arc::new(tokens.map(|(app, t)| (Arc::from(app), t)).collect());
    }

    /// Counters for a resolve of `app`/`env` that found nothing to serve.
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

    /// `"<revision>"`, ready for an `ETag` header.
    pub fn etag(&self) -> &Bytes {
        &self.etag
    }

    /// The revision as JSON text.
    pub fn revision_text(&self) -> &[u8] {
        &self.etag[1..self.etag.len() - 1]
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    pub fn route(&self, app: &str, env: Env, mini_program: &str) -> Option<&Arc<Route>> {
        self.routes.get(app, env, mini_program)
    }

    /// Which release `subject` gets for one mini program; `None` means not released.
    pub fn resolve(
        &self,
        app: &str,
        env: Env,
        mini_program: &str,
        subject: &Subject<'_>,
    ) -> Option<&Served> {
        self.route(app, env, mini_program)?.resolve(subject)
    }

    /// Every mini program that can serve something in a release target, sorted by id.
    pub fn target(&self, app: &str, env: Env) -> Option<&TargetRoutes> {
        self.targets.get(&TargetQuery(app, env)).map(|t| &t.routes)
    }

    /// A new snapshot at `revision` with the given routes replaced (`None` removes one).
    /// Unchanged routes are shared with `self`: the cost is the changed routes, the
    /// table shards they fall in, and one merge of each changed target's sorted list.
    pub fn with_changes(
        &self,
        revision: u64,
        changes: Vec<(RouteKey, Option<Route>)>,
        metrics: &Metrics,
    ) -> Snapshot {
        let mut next = self.clone();
        next.revision = revision;
        next.etag = quoted(revision);
        let mut by_target: BTreeMap<(Arc<str>, Env), Vec<RouteChange>> = BTreeMap::new();
        for (key, route) in changes {
            let (app, mp) = (key.app.as_str(), key.mini_program.as_str());
            let route = route.map(Arc::new);
            next.routes.set(app, key.env, mp, route.clone());
            by_target
                .entry((app.into(), key.env))
                .or_default()
                .push((mp.into(), route));
        }
        for (target, changes) in by_target {
            next.merge_target(target, changes, metrics);
        }
        next
    }

    fn merge_target(
        &mut self,
        target: (Arc<str>, Env),
        changes: Vec<RouteChange>,
        metrics: &Metrics,
    ) {
        let query = TargetQuery(&target.0, target.1);
        let old = self.targets.get(&query);
        let mut list: BTreeMap<Arc<str>, Arc<Route>> = old
            .map(|t| t.routes.iter().cloned().collect())
            .unwrap_or_default();
        let counters = old.map(|t| t.counters.clone());
        for (mp, route) in changes {
            match route {
                Some(r) => list.insert(mp, r),
                None => list.remove(&mp),
            };
        }
        if list.is_empty() {
            self.targets.remove(&query);
        } else {
            let counters =
                counters.unwrap_or_else(|| metrics.target_counters(&target.0, target.1.as_str()));
            let routes = list.into_iter().collect();
            self.targets
                .insert(target, Arc::new(Target { routes, counters }));
        }
    }
}

fn quoted(revision: u64) -> Bytes {
    Bytes::from(format!("\"{revision}\""))
}

type RouteChange = (Arc<str>, Option<Arc<Route>>);

/// Borrowed form of a target key, so lookups do not allocate.
struct TargetQuery<'a>(&'a str, Env);

impl Hash for TargetQuery<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // Must match the tuple's derived Hash: each field in order, `Arc<str>` as `str`.
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
