//! The guard evaluator (SPEC §9): every node, every `[guard] interval_seconds`, judges
//! each guarded release in `grayscale_release` on its cluster-wide report counts with the
//! pure test of [`crate::guard`], and acts on a regression as `system:guard` through the
//! same decide → commit → history path as a person. The store's compare-and-set lets one
//! node's halt or rollback land; the others re-decide, find it done, and do nothing.
//!
//! Also here: the counts and finding `GET …/health` shows, and the finding the plan
//! scheduler's gate asks for before a guarded step.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{Control, ControlError};
use crate::guard::Decision;
use crate::model::{
    Actor, Finding, Guard, Millis, OnRegression, Plan, PlanState, ReleaseId, Status, SystemActor,
};
use crate::reports::ArmCounts;
use crate::store::StoreError;
use crate::workflow::{Command, Operation};

/// What `GET /v1/admin/releases/{id}/health` shows: the arms' counts and, for a guarded
/// release, the guard's finding on them now.
#[derive(Debug, Clone)]
pub struct ReleaseHealth {
    pub release_id: ReleaseId,
    pub counts: ArmCounts,
    pub guard: Option<Guard>,
    pub finding: Option<Finding>,
    pub as_of: Millis,
}

impl Control {
    /// Release `id`'s counts cluster-wide as far as this node knows them: the store's
    /// totals (every node flushes about once a second) plus what this node has not
    /// flushed yet.
    pub async fn report_counts(&self, id: ReleaseId) -> Result<ArmCounts, StoreError> {
        let mut counts = self.store.reports(id).await?;
        counts.add(&self.tallies.pending(id));
        Ok(counts)
    }

    /// The guard's finding on release `id` now.
    pub async fn finding(&self, id: ReleaseId, guard: Guard) -> Result<Finding, StoreError> {
        let counts = self.report_counts(id).await?;
        Ok(Finding::new(guard.spec, counts.candidate, counts.control))
    }

    /// The release's health: live for this node's reports, cluster-wide within the
    /// flush interval; after the release left grayscale, its final counts.
    pub async fn release_health(
        &self,
        actor: &Actor,
        id: ReleaseId,
    ) -> Result<ReleaseHealth, ControlError> {
        super::decide::require(actor, Operation::Read)?;
        let guard = {
            let state = self.state.lock().await;
            let release = state
                .releases
                .get(&id)
                .ok_or(ControlError::ReleaseNotFound)?;
            release.guard
        };
        let counts = self.report_counts(id).await?;
        Ok(ReleaseHealth {
            release_id: id,
            counts,
            guard,
            finding: guard.map(|g| Finding::new(g.spec, counts.candidate, counts.control)),
            as_of: self.now(),
        })
    }

    /// Evaluates every guarded release in `grayscale_release` once, counting each
    /// decision, and acts on each regression; returns what it decided.
    pub async fn evaluate_guards(&self) -> Vec<(ReleaseId, Decision)> {
        let guarded: Vec<(ReleaseId, Guard, bool)> = {
            let state = self.state.lock().await;
            state
                .releases
                .values()
                .filter(|r| r.status == Status::GrayscaleRelease)
                .filter_map(|r| r.guard.map(|g| (r.id, g, can_act(g, r.plan.as_deref()))))
                .collect()
        };
        let mut decided = Vec::with_capacity(guarded.len());
        for (id, guard, actionable) in guarded {
            let finding = match self.finding(id, guard).await {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(release = id, error = %e, "guard not evaluated: counts unreadable");
                    continue;
                }
            };
            self.metrics.guard.decided(finding.decision());
            if finding.decision() == Decision::Regression && actionable {
                self.enforce(id, guard, finding).await;
            }
            decided.push((id, finding.decision()));
        }
        decided
    }

    /// Acts on a regression as `system:guard`: halts the plan or cancels the release, as
    /// the guard says. A refusal is normal: another node acted first, the plan is already
    /// halted.
    pub(super) async fn enforce(&self, id: ReleaseId, guard: Guard, finding: Finding) {
        let command = match guard.on_regression {
            OnRegression::Halt => Command::GuardHalt(finding),
            OnRegression::Rollback => Command::GuardRollback(finding),
        };
        let actor = Actor::System(SystemActor::Guard);
        match self.act(&actor, id, command, None).await {
            Ok(_) => tracing::warn!(
                release = id,
                action = guard.on_regression.as_str(),
                reason = %finding.reason(),
                "guard acted on a regression"
            ),
            Err(ControlError::Store(e)) => {
                tracing::warn!(release = id, error = %e, "guard action not committed; retried next round");
            }
            Err(e) => tracing::debug!(release = id, reason = %e, "guard action not taken"),
        }
    }
}

/// Whether a regression would change anything: a rollback always does; a halt only to a
/// plan that is started and not halted or ended (asking anyway would be refused every
/// round).
fn can_act(guard: Guard, plan: Option<&Plan>) -> bool {
    match guard.on_regression {
        OnRegression::Rollback => true,
        OnRegression::Halt => plan.is_some_and(|p| {
            matches!(
                p.state,
                PlanState::Running | PlanState::WaitingForData | PlanState::Paused
            )
        }),
    }
}

/// Runs the evaluator every `every` until `stop` completes.
pub async fn run(control: Arc<Control>, every: Duration, stop: impl Future<Output = ()>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => {}
        }
        control.evaluate_guards().await;
    }
}
