use std::collections::BTreeSet;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::{MINUTE, TARGETS, commands, comparable, now, oracle, pct, specs};
use crate::model::{Actor, Millis, Percentage, Plan, PlanState};
use crate::model::{Role, Status, SystemActor};
use crate::workflow::{Command, Facts, GoLive, PlanChange, decide};

#[derive(Debug, Clone)]
enum Op {
    Wait(Millis),
    /// The scheduler sleeps until the plan's next step is due, plus `jitter` ms.
    SleepUntilDue(Millis),
    /// The scheduler: the plan's next step as `system:plan`, whether due or not.
    Tick,
    Pause,
    Resume,
    Manual(u32),
    Full,
    Cancel,
    CompleteTesting,
    SetPlan(usize),
    RemovePlan,
    Start,
}

#[derive(Debug, Clone, PartialEq)]
struct Release {
    status: Status,
    percentage: Percentage,
    plan: Option<Plan>,
    now: Millis,
    /// The `from` of every step applied since the plan was set.
    applied: BTreeSet<Option<usize>>,
}

impl Release {
    fn facts(&self) -> Facts<'_> {
        let (status, plan) = (self.status, self.plan.as_ref());
        super::facts(status, TARGETS[0], self.percentage, plan, self.now)
    }

    fn command(&self, op: &Op) -> Option<(Command, Actor)> {
        let admin = |c| Some((c, Actor::person("ops", Role::Admin)));
        match op {
            Op::Wait(_) | Op::SleepUntilDue(_) => None,
            Op::Tick => {
                let from = self.plan.as_ref()?.step;
                Some((
                    Command::PlanStep {
                        from,
                        finding: None,
                    },
                    Actor::System(SystemActor::Plan),
                ))
            }
            Op::Pause => admin(Command::Pause),
            Op::Resume => admin(Command::Resume),
            Op::Manual(ppm) => admin(Command::GoLive(GoLive::Grayscale(pct(*ppm)))),
            Op::Full => admin(Command::GoLive(GoLive::Full)),
            Op::Cancel => admin(Command::Cancel),
            Op::CompleteTesting => admin(Command::CompleteTesting),
            Op::SetPlan(i) => admin(Command::SetPlan(specs()[i % 6].1.clone())),
            Op::RemovePlan => admin(Command::RemovePlan),
            Op::Start => admin(Command::GoLive(GoLive::Plan)),
        }
    }

    /// Decides `op` (checked against the oracle) and commits what is accepted.
    fn run(&mut self, op: &Op) -> Result<bool, TestCaseError> {
        match op {
            Op::Wait(ms) => self.now += ms,
            Op::SleepUntilDue(jitter) => {
                let due = self.plan.as_ref().and_then(|p| p.next_step_at(self.now));
                self.now = due.unwrap_or(self.now).max(self.now) + jitter;
            }
            _ => {}
        }
        let Some((command, actor)) = self.command(op) else {
            return Ok(false);
        };
        let facts = self.facts();
        let got = decide(&facts, &command, &actor);
        let want = oracle::decide(&facts, &command, &actor, &commands(facts.percentage));
        let (g, w) = (comparable(&facts, got.clone()), comparable(&facts, want));
        prop_assert_eq!(g, w, "{:?} by {:?} on {:?}", command, actor, self);
        let Ok(t) = got else { return Ok(false) };
        (self.status, self.percentage) = (t.to, t.percentage);
        match t.plan {
            PlanChange::Keep => {}
            PlanChange::Set(plan) => self.plan = Some(plan),
            PlanChange::Remove => self.plan = None,
        }
        if matches!(command, Command::SetPlan(_) | Command::RemovePlan) {
            self.applied.clear();
        }
        Ok(true)
    }

    /// A scheduler step: taken exactly when due, one step on, never twice.
    fn tick(&mut self) -> Result<(), TestCaseError> {
        let before = self.clone();
        let due = before
            .plan
            .as_ref()
            .is_some_and(|p| p.state == PlanState::Running && p.is_due(before.now));
        let accepted = self.run(&Op::Tick)?;
        prop_assert_eq!(
            accepted,
            due,
            "due {} but accepted {}: {:?}",
            due,
            accepted,
            before
        );
        if !accepted {
            return Ok(());
        }
        let from = before.plan.as_ref().and_then(|p| p.step);
        let step = self.plan.as_ref().and_then(|p| p.step);
        prop_assert_eq!(step, Some(from.map_or(0, |i| i + 1)), "one step on");
        prop_assert!(
            self.applied.insert(from),
            "step after {:?} applied twice",
            from
        );
        // Another node that saw the same `from` loses, even once the next step is due.
        let mut later = self.clone();
        let due = later.plan.as_ref().and_then(|p| p.next_step_at(later.now));
        later.now = due.unwrap_or(later.now);
        let (command, actor) = (
            Command::PlanStep {
                from,
                finding: None,
            },
            Actor::System(SystemActor::Plan),
        );
        let again = decide(&later.facts(), &command, &actor);
        prop_assert!(
            again.is_err(),
            "step after {:?} repeated: {:?}",
            from,
            again
        );
        Ok(())
    }
}

/// The invariants of one operation, from `old` to `new`.
fn check(old: &Release, new: &Release, op: &Op, accepted: bool) -> Result<(), TestCaseError> {
    let gray = Status::GrayscaleRelease;
    if old.status == gray && new.status == gray {
        prop_assert!(new.percentage >= old.percentage, "{:?} -> {:?}", old, new);
    }
    if let Some(plan) = &new.plan {
        let running = plan.state == PlanState::Running;
        prop_assert_eq!(plan.hold_until.is_some(), running, "hold_until: {:?}", new);
        prop_assert!(
            !running || new.status == gray,
            "running outside grayscale: {:?}",
            new
        );
    }
    let ended = old
        .plan
        .as_ref()
        .is_some_and(|p| matches!(p.state, PlanState::Completed | PlanState::Canceled));
    let replaced = accepted && matches!(op, Op::SetPlan(_) | Op::RemovePlan);
    if ended && !replaced {
        prop_assert_eq!(&old.plan, &new.plan, "an ended plan changed by {:?}", op);
    }
    Ok(())
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let wait = prop_oneof![
        0..10 * MINUTE,
        25 * MINUTE..3 * 60 * MINUTE,
        0..3 * 1440 * MINUTE
    ];
    let shares = [
        5_000, 10_000, 30_000, 50_000, 100_000, 250_000, 600_000, 999_999,
    ];
    prop_oneof![
        3 => wait.prop_map(Op::Wait),
        4 => prop_oneof![Just(0), 0..2_000 as Millis].prop_map(Op::SleepUntilDue),
        8 => Just(Op::Tick),
        1 => Just(Op::Pause),
        1 => Just(Op::Resume),
        1 => prop::sample::select(shares.to_vec()).prop_map(Op::Manual),
        1 => prop_oneof![Just(Op::Full), Just(Op::Cancel)],
        1 => Just(Op::CompleteTesting),
        1 => (0..6usize).prop_map(Op::SetPlan),
        1 => Just(Op::RemovePlan),
        3 => Just(Op::Start),
    ]
}

proptest! {
    // A failing history is kept in src/workflow/plan_tests/sim.proptest-regressions and
    // replayed first on every later run.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::SourceParallel(
                "proptest-regressions",
            ),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_plan_histories_keep_the_plan_rules(
        piloted in prop::bool::weighted(0.25),
        first in 0..6usize,
        ops in vec(op_strategy(), 1..120),
    ) {
        let status = if piloted { Status::PilotTesting } else { Status::ReleasePreparation };
        let mut release = Release {
            status,
            percentage: Percentage::ZERO,
            plan: Some(Plan::pending(specs()[first].1.clone())),
            now: now(),
            applied: BTreeSet::new(),
        };
        for op in &ops {
            let old = release.clone();
            let accepted = match op {
                Op::Tick => release.tick().map(|()| false)?,
                other => release.run(other)?,
            };
            check(&old, &release, op, accepted)?;
        }
    }
}
