//! Rollout-plan series (SPEC §8–§9): steps the scheduler attempted by outcome, and plans
//! by state.

use prometheus::{IntCounterVec, IntGaugeVec, Opts};

use super::Registrar;
use crate::model::PlanState;

pub struct PlanSeries {
    steps: IntCounterVec,
    plans: IntGaugeVec,
}

impl PlanSeries {
    pub(super) fn new(r: &Registrar<'_>) -> PlanSeries {
        PlanSeries {
            steps: r.counter_vec(
                "plan_steps_total",
                "Automatic plan steps by outcome: applied, skipped (another node took it, or \
                 it was no longer due), error (the store could not commit it; retried).",
                &["outcome"],
            ),
            plans: r.add(
                IntGaugeVec::new(Opts::new("plans", "Rollout plans by state."), &["state"]),
                "plans",
            ),
        }
    }

    pub fn step(&self, outcome: &str) {
        self.steps.with_label_values(&[outcome]).inc();
    }

    /// Sets every state's count, zero included, so a state a plan left drops to 0.
    pub fn set_counts(&self, count: impl Fn(PlanState) -> i64) {
        for state in PlanState::ALL {
            self.plans
                .with_label_values(&[state.as_str()])
                .set(count(state));
        }
    }
}
