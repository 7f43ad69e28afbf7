//! The control plane's in-memory replica of the store: every record plus the indexes the
//! workflow rules need (once per target ever, one in flight per target, current full).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::model::{
    AppId, Env, Millis, MiniProgramId, MiniProgramVersion, PlanState, Release, ReleaseId, Serving,
    Status, Suspension, SuspensionRecord, TargetApp, TestGroup, Version,
};
use crate::snapshot::RouteKey;
use crate::store::{Batch, Records};
use crate::workflow::Facts;

/// Key of rule 1: a version goes to a release target at most once, ever.
type OnceKey = (MiniProgramId, Version, AppId, Env);

#[derive(Debug, Default)]
pub struct Replica {
    pub revision: u64,
    pub apps: BTreeMap<AppId, TargetApp>,
    pub versions: BTreeMap<(MiniProgramId, Version), MiniProgramVersion>,
    pub releases: BTreeMap<ReleaseId, Release>,
    pub test_groups: HashMap<ReleaseId, Arc<TestGroup>>,
    /// The last suspension change of each (target app, mini program) (SPEC §11); lifted
    /// ones stay, so the revision of a lift can be read back.
    pub suspensions: BTreeMap<(AppId, MiniProgramId), SuspensionRecord>,
    routes: BTreeMap<RouteKey, BTreeSet<ReleaseId>>,
    once: HashMap<OnceKey, ReleaseId>,
    status_counts: BTreeMap<(AppId, Env, Status), i64>,
    /// Running plans by when their next step falls due: the scheduler reads the head and
    /// never scans every release.
    plan_due: BTreeSet<(Millis, ReleaseId)>,
    plan_counts: BTreeMap<PlanState, i64>,
}

/// The plan steps due now, and when the scheduler should look again.
#[derive(Debug, Default, PartialEq)]
pub struct DueSteps {
    /// Each release whose next step may be applied now, with the step it was at.
    pub due: Vec<(ReleaseId, Option<usize>)>,
    /// The earliest moment another step may fall due, if any plan is running.
    pub next: Option<Millis>,
}

impl Replica {
    pub fn from_records(records: Records) -> Replica {
        let mut state = Replica::default();
        state.merge(records);
        state
    }

    /// Applies records read from the store; returns the routes whose releases changed.
    pub fn merge(&mut self, records: Records) -> BTreeSet<RouteKey> {
        let mut changed = BTreeSet::new();
        for app in records.apps {
            self.apps.insert(app.id.clone(), app);
        }
        for v in records.versions {
            self.versions
                .insert((v.mini_program.clone(), v.version.clone()), v);
        }
        // The store keeps the ids; the replica (and the snapshot) need membership only.
        for (id, group) in records.test_groups {
            self.test_groups.insert(id, Arc::new(group.without_ids()));
        }
        for r in records.releases {
            changed.insert(RouteKey::of(&r));
            self.upsert_release(r);
        }
        for s in records.suspensions {
            changed.extend(self.set_suspension(s));
        }
        self.revision = self.revision.max(records.revision);
        changed
    }

    /// Applies a batch this node committed; returns the routes whose releases changed.
    pub fn apply(&mut self, batch: &Batch) -> BTreeSet<RouteKey> {
        self.merge(batch.records.clone())
    }

    fn upsert_release(&mut self, r: Release) {
        // The old entry's key is the stored release's own due time.
        let old_due = self
            .releases
            .get(&r.id)
            .and_then(|old| old.plan.as_ref()?.due_at());
        if let Some(due) = old_due {
            self.plan_due.remove(&(due, r.id));
        }
        if let Some(due) = r.plan.as_ref().and_then(|p| p.due_at()) {
            self.plan_due.insert((due, r.id));
        }
        if let Some(old) = self.releases.get(&r.id) {
            let key = (old.app.clone(), old.env, old.status);
            *self.status_counts.entry(key).or_default() -= 1;
            if let Some(plan) = &old.plan {
                *self.plan_counts.entry(plan.state).or_default() -= 1;
            }
        }
        if let Some(plan) = &r.plan {
            *self.plan_counts.entry(plan.state).or_default() += 1;
        }
        *self
            .status_counts
            .entry((r.app.clone(), r.env, r.status))
            .or_default() += 1;
        self.routes
            .entry(RouteKey::of(&r))
            .or_default()
            .insert(r.id);
        let once = (
            r.mini_program.clone(),
            r.version.clone(),
            r.app.clone(),
            r.env,
        );
        self.once.insert(once, r.id);
        self.releases.insert(r.id, r);
    }

    /// Records a suspension change; returns the (app, mini program)'s routes in every
    /// environment, which all start or stop serving with it.
    fn set_suspension(&mut self, s: SuspensionRecord) -> Vec<RouteKey> {
        let routes = Env::ALL.into_iter().map(|env| RouteKey {
            app: s.app.clone(),
            env,
            mini_program: s.mini_program.clone(),
        });
        let routes = routes.filter(|k| self.routes.contains_key(k)).collect();
        self.suspensions
            .insert((s.app.clone(), s.mini_program.clone()), s);
        routes
    }

    /// The suspension of a mini program in a target app, if one is in force.
    pub fn suspension(&self, app: &AppId, mp: &MiniProgramId) -> Option<&Suspension> {
        let record = self.suspensions.get(&(app.clone(), mp.clone()))?;
        record.active.as_ref()
    }

    /// The suspensions in force, with their (target app, mini program).
    pub fn active_suspensions(
        &self,
    ) -> impl Iterator<Item = (&AppId, &MiniProgramId, &Suspension)> + Clone {
        let records = self.suspensions.iter();
        records.filter_map(|((a, m), r)| Some((a, m, r.active.as_ref()?)))
    }

    /// The plan steps due at `now`. Entries due by the hold but waiting for a window are
    /// looked at again on each call, until the window opens.
    pub fn plans_due(&self, now: Millis) -> DueSteps {
        let mut found = DueSteps::default();
        for &(due, id) in &self.plan_due {
            if due > now {
                found.next = Some(found.next.map_or(due, |n| n.min(due)));
                break;
            }
            let Some(plan) = self.releases.get(&id).and_then(|r| r.plan.as_deref()) else {
                continue;
            };
            match plan.next_step_at(now) {
                Some(at) if at <= now => found.due.push((id, plan.step)),
                Some(at) => found.next = Some(found.next.map_or(at, |n| n.min(at))),
                None => {}
            }
        }
        found
    }

    /// How many plans are in each state.
    pub fn plan_counts(&self) -> &BTreeMap<PlanState, i64> {
        &self.plan_counts
    }

    /// How many releases each (app, env) has in each status.
    pub fn status_counts(&self) -> &BTreeMap<(AppId, Env, Status), i64> {
        &self.status_counts
    }

    pub fn next_release_id(&self) -> ReleaseId {
        self.releases.keys().next_back().map_or(1, |id| id + 1)
    }

    /// Rule 1: the release that already sent this version to this target, if any.
    pub fn released_before(
        &self,
        mp: &MiniProgramId,
        version: &Version,
        app: &AppId,
        env: Env,
    ) -> Option<ReleaseId> {
        self.once
            .get(&(mp.clone(), version.clone(), app.clone(), env))
            .copied()
    }

    /// Every release of one route, oldest first.
    pub fn route_releases(&self, key: &RouteKey) -> impl Iterator<Item = &Release> {
        self.routes
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|id| self.releases.get(id))
    }

    /// Every route with at least one release.
    pub fn routes(&self) -> impl Iterator<Item = &RouteKey> {
        self.routes.keys()
    }

    /// Rule 2: the release of the route that is in flight, if any.
    pub fn in_flight(&self, key: &RouteKey) -> Option<&Release> {
        self.route_releases(key).find(|r| r.status.is_in_flight())
    }

    /// The route's current full release, if any (rule 3 keeps it unique).
    pub fn current_full(&self, key: &RouteKey) -> Option<&Release> {
        self.route_releases(key)
            .find(|r| r.status.serving() == Serving::Full)
    }

    /// The predecessor `release` archived, while it is still archived: what a rollback
    /// of `release` restores (SPEC §11).
    fn restorable(&self, release: &Release) -> Option<ReleaseId> {
        let id = release.predecessor?;
        let predecessor = self.releases.get(&id)?;
        (predecessor.status == Status::Archived).then_some(id)
    }

    /// The facts the workflow decides on for `release`; `None` if its target vanished.
    pub fn facts<'a>(&'a self, release: &'a Release, now: Millis) -> Option<Facts<'a>> {
        let policy = self.apps.get(&release.app)?.policy(release.env)?;
        let other_in_flight = self
            .in_flight(&RouteKey::of(release))
            .filter(|other| other.id != release.id)
            .map(|other| other.id);
        Some(Facts {
            status: release.status,
            env: release.env,
            percentage: release.percentage,
            policy,
            applied_by: release.applied_by.as_deref(),
            other_in_flight,
            plan: release.plan.as_deref(),
            guard: release.guard,
            targeting: release.targeting.as_deref(),
            restorable: self.restorable(release),
            now,
        })
    }
}
