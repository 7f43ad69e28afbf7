//! What one commit carries: the records an accepted action writes, its history entries,
//! and what its decision read ([`Reads`]), so a store can tell a stale base (other
//! writers moved the global revision, but nothing the decision read) from a real
//! conflict.

use std::collections::BTreeSet;

use super::Records;
use crate::model::{
    AppId, Env, HistoryEntry, MiniProgramId, Release, ReleaseId, SuspensionEvent, Version,
};

/// A route as the store sees it: (target app, environment, mini program).
pub type Route = (AppId, Env, MiniProgramId);

/// The records a decision read besides the ones its batch writes (those count as read
/// too). A batch conflicts iff one of them was written after the batch's base.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reads {
    /// Target apps whose policy (or existence) decided.
    pub apps: Vec<AppId>,
    /// Versions whose existence (or absence) decided; versions are immutable.
    pub versions: Vec<(MiniProgramId, Version)>,
    /// Releases read by id, including ids a create expects to be free.
    pub releases: Vec<ReleaseId>,
    /// Routes whose set of releases decided (rules 1-3): any release of the route
    /// written after the base conflicts, even one the deciding node never saw.
    pub routes: Vec<Route>,
}

/// The changes that make up one revision, committed atomically by a store: the records
/// written (at the new revision) and the history entries they add.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The revision the decision was made on.
    pub base_revision: u64,
    /// The records the batch writes; `records.revision` is `base_revision + 1`.
    pub records: Records,
    pub history: Vec<HistoryEntry>,
    /// The suspend and unsuspend events the batch records (SPEC §11).
    pub suspension_history: Vec<SuspensionEvent>,
    /// What the decision read; see [`Reads`].
    pub reads: Reads,
}

impl Batch {
    /// An empty batch on top of `base_revision`.
    pub fn on(base_revision: u64) -> Batch {
        Batch {
            base_revision,
            records: Records {
                revision: base_revision + 1,
                ..Records::default()
            },
            ..Batch::default()
        }
    }

    pub fn revision(&self) -> u64 {
        self.records.revision
    }

    /// Moves the batch onto a newer base without deciding again: the store found that
    /// nothing the decision read changed, so only the revision stamps are out of date.
    pub fn restamp(&mut self, base_revision: u64) {
        let revision = base_revision + 1;
        self.base_revision = base_revision;
        self.records.revision = revision;
        for app in &mut self.records.apps {
            app.revision = revision;
        }
        for v in &mut self.records.versions {
            v.revision = revision;
        }
        for r in &mut self.records.releases {
            r.revision = revision;
        }
        for h in &mut self.history {
            h.revision = revision;
        }
        for s in &mut self.records.suspensions {
            s.revision = revision;
            // A batch only writes a suspension it makes now, at its own revision.
            if let Some(active) = &mut s.active {
                active.revision = revision;
            }
        }
        for e in &mut self.suspension_history {
            e.revision = revision;
        }
    }

    /// Every record key the batch read or writes, in the stores' shared spelling
    /// ([`app_key`], [`version_key`], [`release_key`], [`route_key`], [`suspension_key`]).
    pub fn read_keys(&self) -> BTreeSet<String> {
        let reads = &self.reads;
        let written = &self.records;
        let apps = reads.apps.iter().chain(written.apps.iter().map(|a| &a.id));
        let versions = written
            .versions
            .iter()
            .map(|v| (&v.mini_program, &v.version));
        let versions = reads.versions.iter().map(|(m, v)| (m, v)).chain(versions);
        let releases = reads.releases.iter().copied();
        let releases = releases.chain(written.releases.iter().map(|r| r.id));
        let routes = reads.routes.iter().map(|(a, e, m)| route_key(a, *e, m));
        let suspensions = written
            .suspensions
            .iter()
            .map(|s| suspension_key(&s.app, &s.mini_program));
        apps.map(app_key)
            .chain(versions.map(|(m, v)| version_key(m, v)))
            .chain(releases.map(release_key))
            .chain(routes)
            .chain(suspensions)
            .collect()
    }
}

pub fn app_key(id: &AppId) -> String {
    format!("app:{id}")
}

pub fn version_key(mp: &MiniProgramId, version: &Version) -> String {
    format!("version:{mp}/{version}")
}

pub fn release_key(id: ReleaseId) -> String {
    format!("release:{id}")
}

/// Ids and environments never contain `/`, so the key is unambiguous.
pub fn route_key(app: &AppId, env: Env, mp: &MiniProgramId) -> String {
    format!("route:{app}/{}/{mp}", env.as_str())
}

/// The suspension state of a (target app, mini program); also the Redis store's
/// change-index member for it, so a batch that wrote it conflicts with later writers.
pub fn suspension_key(app: &AppId, mp: &MiniProgramId) -> String {
    format!("suspension:{app}/{mp}")
}

/// Whether `release`, written after a batch's base, touches what the batch read.
pub fn release_conflicts(keys: &BTreeSet<String>, release: &Release) -> bool {
    keys.contains(&release_key(release.id))
        || keys.contains(&route_key(&release.app, release.env, &release.mini_program))
}
