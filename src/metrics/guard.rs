//! Guard series (SPEC §9): every evaluation of a guard, by the decision it reached.

use prometheus::IntCounterVec;

use super::Registrar;
use crate::guard::Decision;

pub struct GuardSeries {
    decisions: IntCounterVec,
}

impl GuardSeries {
    pub(super) fn new(r: &Registrar<'_>) -> GuardSeries {
        let decisions = r.counter_vec(
            "guard_decisions_total",
            "Evaluations of guarded releases by decision: insufficient_data, healthy, \
             regression. Every node evaluates every guarded release in grayscale.",
            &["decision"],
        );
        // Each decision is exported from the start, so `increase(…)` sees the first one.
        for d in [
            Decision::InsufficientData,
            Decision::Healthy,
            Decision::Regression,
        ] {
            decisions.with_label_values(&[d.as_str()]);
        }
        GuardSeries { decisions }
    }

    pub fn decided(&self, decision: Decision) {
        self.decisions.with_label_values(&[decision.as_str()]).inc();
    }
}
