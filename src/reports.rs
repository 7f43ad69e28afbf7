//! Per-release tallies of client health reports (SPEC §9), the counts the guard decides
//! on: three arms per in-flight release — `pilot` (pilot-channel reports), `candidate`
//! (its grayscale-channel reports) and `control` (full-channel reports of the route's
//! full release while this release is in `grayscale_release`).
//!
//! The snapshot binds each in-flight release's [`ReleaseTally`] when it builds the route,
//! so a report adds with one atomic operation and no lookup; [`Tallies`] keeps the
//! tallies alive across snapshots, and the control plane [`Tallies::drain`]s their deltas
//! into the store's cluster-wide totals about once a second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::guard::Counts;
use crate::model::ReleaseId;

/// Which arm a report counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    Pilot,
    Candidate,
    Control,
}

impl Arm {
    pub const ALL: [Arm; 3] = [Arm::Pilot, Arm::Candidate, Arm::Control];

    pub fn as_str(self) -> &'static str {
        match self {
            Arm::Pilot => "pilot",
            Arm::Candidate => "candidate",
            Arm::Control => "control",
        }
    }

    fn index(self) -> usize {
        match self {
            Arm::Pilot => 0,
            Arm::Candidate => 1,
            Arm::Control => 2,
        }
    }
}

/// The three arms' counts of one release.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmCounts {
    pub pilot: Counts,
    pub candidate: Counts,
    pub control: Counts,
}

impl ArmCounts {
    pub fn arm(&self, arm: Arm) -> Counts {
        match arm {
            Arm::Pilot => self.pilot,
            Arm::Candidate => self.candidate,
            Arm::Control => self.control,
        }
    }

    fn arm_mut(&mut self, arm: Arm) -> &mut Counts {
        match arm {
            Arm::Pilot => &mut self.pilot,
            Arm::Candidate => &mut self.candidate,
            Arm::Control => &mut self.control,
        }
    }

    /// Adds `other`, saturating (a total never wraps).
    pub fn add(&mut self, other: &ArmCounts) {
        for arm in Arm::ALL {
            let (mine, theirs) = (self.arm_mut(arm), other.arm(arm));
            mine.ok = mine.ok.saturating_add(theirs.ok);
            mine.error = mine.error.saturating_add(theirs.error);
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == ArmCounts::default()
    }
}

/// One release's counts since the last drain: `[arm][ok, error]`.
#[derive(Debug, Default)]
pub struct ReleaseTally {
    counts: [[AtomicU64; 2]; 3],
}

impl ReleaseTally {
    /// Counts `n` reports of `arm`, `error` or ok.
    pub fn add(&self, arm: Arm, error: bool, n: u64) {
        self.counts[arm.index()][usize::from(error)].fetch_add(n, Ordering::Relaxed);
    }

    /// The counts since the last take, and zero from now on.
    fn take(&self) -> ArmCounts {
        let mut out = ArmCounts::default();
        for arm in Arm::ALL {
            let [ok, error] = &self.counts[arm.index()];
            *out.arm_mut(arm) = Counts {
                ok: ok.swap(0, Ordering::Relaxed),
                error: error.swap(0, Ordering::Relaxed),
            };
        }
        out
    }

    /// The counts since the last take, left in place.
    fn peek(&self) -> ArmCounts {
        let mut out = ArmCounts::default();
        for arm in Arm::ALL {
            let [ok, error] = &self.counts[arm.index()];
            *out.arm_mut(arm) = Counts {
                ok: ok.load(Ordering::Relaxed),
                error: error.load(Ordering::Relaxed),
            };
        }
        out
    }

    fn put_back(&self, counts: &ArmCounts) {
        for arm in Arm::ALL {
            let c = counts.arm(arm);
            self.add(arm, false, c.ok);
            self.add(arm, true, c.error);
        }
    }
}

/// Every release's tally, alive across snapshots.
#[derive(Debug, Default)]
pub struct Tallies {
    by_release: Mutex<HashMap<ReleaseId, Arc<ReleaseTally>>>,
}

impl Tallies {
    /// A panic elsewhere while the lock was held leaves counts that are still right.
    fn lock(&self) -> MutexGuard<'_, HashMap<ReleaseId, Arc<ReleaseTally>>> {
        self.by_release.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The tally of `release`, for the snapshot to bind.
    pub fn bind(&self, release: ReleaseId) -> Arc<ReleaseTally> {
        Arc::clone(self.lock().entry(release).or_default())
    }

    /// Every release's counts since the last drain, the zero ones left out. Tallies no
    /// snapshot binds any more are dropped once drained.
    pub fn drain(&self) -> Vec<(ReleaseId, ArmCounts)> {
        let mut tallies = self.lock();
        let deltas = tallies
            .iter()
            .map(|(id, t)| (*id, t.take()))
            .filter(|(_, c)| !c.is_zero())
            .collect();
        tallies.retain(|_, t| Arc::strong_count(t) > 1);
        deltas
    }

    /// What this node counted for `release` and has not drained yet: added to the store's
    /// totals, it makes a node's own reports visible at once. A drain in progress is
    /// missed (an undercount for a moment), never counted twice.
    pub fn pending(&self, release: ReleaseId) -> ArmCounts {
        self.lock()
            .get(&release)
            .map_or_else(ArmCounts::default, |t| t.peek())
    }

    /// Puts back deltas the store did not take, so the next drain sends them again.
    pub fn put_back(&self, deltas: &[(ReleaseId, ArmCounts)]) {
        let mut tallies = self.lock();
        for (id, counts) in deltas {
            tallies.entry(*id).or_default().put_back(counts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_add_up_per_arm_and_drain_once() {
        let tallies = Tallies::default();
        let bound = tallies.bind(7);
        bound.add(Arm::Candidate, false, 40);
        bound.add(Arm::Candidate, true, 2);
        bound.add(Arm::Control, true, 5);
        tallies.bind(7).add(Arm::Pilot, false, 1);
        let drained = tallies.drain();
        let expected = ArmCounts {
            pilot: Counts { ok: 1, error: 0 },
            candidate: Counts { ok: 40, error: 2 },
            control: Counts { ok: 0, error: 5 },
        };
        assert_eq!(drained, vec![(7, expected)]);
        assert!(tallies.drain().is_empty(), "nothing twice");
        assert!(tallies.pending(7).is_zero());
        bound.add(Arm::Candidate, true, 3);
        assert_eq!(tallies.pending(7).candidate.error, 3, "pending is a peek");
        assert_eq!(tallies.pending(7).candidate.error, 3);
        let _ = tallies.drain();
        tallies.put_back(&drained);
        assert_eq!(tallies.drain(), drained, "a failed flush is sent again");
    }

    #[test]
    fn an_unbound_tally_is_dropped_after_its_last_drain() {
        let tallies = Tallies::default();
        tallies.bind(1).add(Arm::Candidate, false, 3);
        let kept = tallies.bind(2);
        assert_eq!(tallies.drain().len(), 1);
        assert_eq!(tallies.lock().len(), 1, "release 1 is no longer bound");
        kept.add(Arm::Control, false, 1);
        assert_eq!(tallies.drain().len(), 1);
    }

    #[test]
    fn totals_saturate() {
        let big = |ok| ArmCounts {
            candidate: Counts { ok, error: 0 },
            ..ArmCounts::default()
        };
        let (mut total, more) = (big(u64::MAX - 1), big(5));
        total.add(&more);
        assert_eq!(total.candidate.ok, u64::MAX);
    }
}
