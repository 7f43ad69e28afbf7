//! The (target app, mini program) pairs a super app has suspended (SPEC §11), as the hot
//! path sees them. Suspended routes are kept out of service in the routing table itself
//! (the control plane publishes them as routes that serve nobody), so a hit never looks
//! here; only a miss does, to tell `suspended` from `not_released`.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use hashbrown::{Equivalent, HashSet};

use super::Snapshot;

/// The suspended pairs; shared between snapshots until a suspension changes.
pub(super) type SuspendedSet = Arc<HashSet<(Arc<str>, Arc<str>)>>;

/// Borrowed form of a pair, so lookups do not allocate.
struct PairQuery<'a>(&'a str, &'a str);

impl Hash for PairQuery<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // Must match the tuple's derived Hash: each field in order, `Arc<str>` as `str`.
        self.0.hash(h);
        self.1.hash(h);
    }
}

impl Equivalent<(Arc<str>, Arc<str>)> for PairQuery<'_> {
    fn equivalent(&self, k: &(Arc<str>, Arc<str>)) -> bool {
        *k.0 == *self.0 && *k.1 == *self.1
    }
}

impl Snapshot {
    /// Whether the super app has suspended `mini_program` in `app` (every environment).
    pub fn is_suspended(&self, app: &str, mini_program: &str) -> bool {
        !self.suspended.is_empty() && self.suspended.contains(&PairQuery(app, mini_program))
    }

    /// Takes the suspended pairs; the set is rebuilt only when it changed.
    pub fn set_suspended<'a>(&mut self, pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone) {
        let mut count = 0;
        let same = pairs.clone().all(|(app, mp)| {
            count += 1;
            self.is_suspended(app, mp)
        });
        if same && count == self.suspended.len() {
            return;
        }
        let set = pairs.map(|(app, mp)| (Arc::from(app), Arc::from(mp)));
        self.suspended = Arc::new(set.collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;

    #[test]
    fn suspended_pairs_are_told_apart_by_both_parts() {
        let mut snapshot = Snapshot::new(&Metrics::new());
        assert!(!snapshot.is_suspended("app", "mp-a"));
        snapshot.set_suspended([("app", "mp-a"), ("other", "mp-b")].into_iter());
        assert!(snapshot.is_suspended("app", "mp-a"));
        assert!(snapshot.is_suspended("other", "mp-b"));
        assert!(!snapshot.is_suspended("app", "mp-b"));
        assert!(!snapshot.is_suspended("other", "mp-a"));
        let shared = Arc::clone(&snapshot.suspended);
        snapshot.set_suspended([("other", "mp-b"), ("app", "mp-a")].into_iter());
        assert!(Arc::ptr_eq(&shared, &snapshot.suspended), "unchanged: kept");
        snapshot.set_suspended([("app", "mp-a")].into_iter());
        assert!(!snapshot.is_suspended("other", "mp-b"), "lifted");
        assert!(snapshot.is_suspended("app", "mp-a"));
    }
}
