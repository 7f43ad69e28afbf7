//! Table-driven and property tests of the plan part of the workflow (SPEC §8), written by a
//! helper in the style of `tests.rs`.
//!
//! Layout:
//! - `oracle`: SPEC §8 restated in the tester's words, using the model's types and the
//!   plan's own model methods (`is_due`, `next_step_at`) but none of the workflow's functions.
//! - fixtures: targets, plans in every state, commands around the plan's steps, actors.
//! - tables: `decide` and `allowed_actions` against the oracle over every combination, and
//!   the plan's `reason` (kept apart from the decide table).
//! - `sim`: one production release with a plan under random histories, driven by proptest.

use std::sync::Arc;

use super::*;
use crate::model::{Actor, Approval, Env, EnvPolicy, Percentage, Plan, PlanState, Role, Status};
use crate::model::{Millis, SystemActor};

mod oracle;

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// The time of every table decision: a Wednesday, 12:00 in Asia/Shanghai.
fn now() -> Millis {
    "2026-12-02T04:00:00Z"
        .parse::<jiff::Timestamp>()
        .expect("a timestamp")
        .as_millisecond()
}

const MINUTE: Millis = 60_000;

#[derive(Debug, Clone, Copy)]
struct Target {
    label: &'static str,
    env: Env,
    policy: EnvPolicy,
}

const fn target(label: &'static str, env: Env, approval: Approval, pilot: bool) -> Target {
    let policy = EnvPolicy {
        approval,
        pilot_testing: pilot,
    };
    Target { label, env, policy }
}

const TARGETS: [Target; 4] = [
    target("production+pilot", Env::Production, Approval::Manual, true),
    target("production", Env::Production, Approval::Manual, false),
    target("sandbox+pilot", Env::Sandbox, Approval::Manual, true),
    target("development", Env::Development, Approval::Auto, false),
];

fn pct(ppm: u32) -> Percentage {
    Percentage::from_ppm(ppm).expect("percentage fixtures stay within 0..=1_000_000 ppm")
}

/// 1 % for 30 min, 5 % for 2 h, 25 % for a day, then full (or not); in a window open
/// on weekdays (so at `now`), one open only at weekends (closed at `now`), or none.
fn spec(full: bool, days: Option<&[&str]>) -> crate::model::PlanSpec {
    let mut steps = serde_json::json!([
        {"percentage":1,"hold":"30m"},{"percentage":5,"hold":"2h"},{"percentage":25,"hold":"1d"}
    ]);
    if full {
        steps
            .as_array_mut()
            .expect("an array")
            .push(serde_json::json!({"full":true}));
    }
    let window = days.map(|days| {
        serde_json::json!({"timezone":"Asia/Shanghai","days":days,"from":"10:00","to":"17:00"})
    });
    serde_json::from_value(serde_json::json!({"steps":steps,"window":window})).expect("valid")
}

fn specs() -> Vec<(String, Arc<crate::model::PlanSpec>)> {
    let weekdays: &[&str] = &["mon", "tue", "wed", "thu", "fri"];
    let weekend: &[&str] = &["sat", "sun"];
    let mut all = Vec::new();
    for full in [true, false] {
        for (window, days) in [
            ("", None),
            (" open", Some(weekdays)),
            (" closed", Some(weekend)),
        ] {
            let label = format!("{}{window}", if full { "1-5-25-full" } else { "1-5-25" });
            all.push((label, Arc::new(spec(full, days))));
        }
    }
    all
}

/// Every spec in every state, with the steps and holds such a plan has: running before
/// due, exactly due and overdue; halted and waiting with a reason.
fn plans() -> Vec<(String, Plan)> {
    let now = now();
    let mut all = Vec::new();
    for (label, spec) in specs() {
        let last = spec.steps().len() - 1;
        let mut add = |state: PlanState, step: Option<usize>, hold: Option<Millis>| {
            let reason = matches!(state, PlanState::Halted | PlanState::WaitingForData)
                .then(|| format!("{} reason", state.as_str()));
            let plan = Plan {
                spec: spec.clone(),
                state,
                step,
                hold_until: hold.map(|h| now + h),
                reason,
            };
            let name = format!("{label} {} step {step:?} hold {hold:?}", state.as_str());
            all.push((name, plan));
        };
        add(PlanState::Pending, None, None);
        for step in [0, 1] {
            for hold in [MINUTE, 0, -60 * MINUTE] {
                add(PlanState::Running, Some(step), Some(hold));
            }
            add(PlanState::Paused, Some(step), None);
        }
        add(PlanState::WaitingForData, Some(1), None);
        add(PlanState::Halted, Some(1), None);
        add(PlanState::Completed, Some(last), None);
        add(PlanState::Canceled, Some(1), None);
    }
    all
}

/// Grayscale shares: none yet, a sliver, a step's (5 %), between steps, just below 100 %.
fn current_percentages(status: Status) -> Vec<Percentage> {
    match status {
        Status::GrayscaleRelease => [0, 1, 50_000, 100_000, 999_999].map(pct).to_vec(),
        _ => vec![Percentage::ZERO],
    }
}

/// Every plan table command; manual go-live below, at, between and above the steps and
/// around `current`.
fn commands(current: Percentage) -> Vec<Command> {
    let c = current.ppm();
    let mut ppms = vec![
        0, c, 10_000, 30_000, 50_000, 250_000, 500_000, 999_999, 1_000_000,
    ];
    ppms.extend((c < 1_000_000).then_some(c + 1));
    ppms.sort_unstable();
    ppms.dedup();
    let other = Arc::new(spec(false, None));
    let mut all = vec![
        Command::SetPlan(other),
        Command::RemovePlan,
        Command::Pause,
        Command::Resume,
        Command::GoLive(GoLive::Plan),
        Command::GoLive(GoLive::Full),
        Command::Cancel,
        Command::CompleteTesting,
    ];
    all.extend(
        [None, Some(0), Some(1), Some(2)].map(|from| Command::PlanStep {
            from,
            finding: None,
        }),
    );
    all.extend(
        ppms.into_iter()
            .map(|p| Command::GoLive(GoLive::Grayscale(pct(p)))),
    );
    all
}

fn actors() -> Vec<Actor> {
    let people = Role::ALL.map(|role| Actor::person("ops", role));
    let systems = [SystemActor::Plan, SystemActor::Guard].map(Actor::System);
    people.into_iter().chain(systems).collect()
}

/// Which facts a table ranges over. A plan can only be set in production (set_plan is
/// production only), so the main tables give plans to production targets only.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scope {
    Reachable,
    PlansOutsideProduction,
}

/// Calls `each` with every facts combination of `scope` and a label for it.
fn each_facts(plans: &[(String, Plan)], scope: Scope, mut each: impl FnMut(String, &Facts<'_>)) {
    let options = std::iter::once(None).chain(plans.iter().map(Some));
    let options: Vec<Option<&(String, Plan)>> = options.collect();
    for status in Status::ALL {
        for percentage in current_percentages(status) {
            for target in TARGETS {
                for plan in &options {
                    let production = target.env == Env::Production;
                    let included = match scope {
                        Scope::Reachable => production || plan.is_none(),
                        Scope::PlansOutsideProduction => !production && plan.is_some(),
                    };
                    if !included {
                        continue;
                    }
                    let facts = facts(status, target, percentage, plan.map(|(_, p)| p), now());
                    let name = plan.map_or("none", |(n, _)| n.as_str());
                    let label =
                        format!("[{}] {status} at {percentage:?}, plan {name}", target.label);
                    each(label, &facts);
                }
            }
        }
    }
}

/// A release of `target` (never with another in flight, nobody applied).
fn facts<'a>(
    status: Status,
    target: Target,
    pct: Percentage,
    plan: Option<&'a Plan>,
    now: Millis,
) -> Facts<'a> {
    let (env, policy) = (target.env, target.policy);
    let (applied_by, other_in_flight) = (None, None);
    Facts {
        status,
        env,
        percentage: pct,
        policy,
        applied_by,
        other_in_flight,
        plan,
        guard: None,
        targeting: None,
        restorable: None,
        now,
    }
}

type Outcome = Result<Transition, WorkflowError>;

/// The answer as the main table compares it: without the plan's `reason` (checked apart,
/// by `plan_reason_follows_spec`), and a plan "set" to what it already was read as kept.
fn comparable(facts: &Facts<'_>, outcome: Outcome) -> Outcome {
    let current = facts.plan.map(|p| Plan {
        reason: None,
        ..p.clone()
    });
    outcome.map(|mut t| {
        if let PlanChange::Set(p) = &mut t.plan {
            p.reason = None;
            if Some(&*p) == current.as_ref() {
                t.plan = PlanChange::Keep;
            }
        }
        t
    })
}

/// The plan's `reason` after an accepted action; `None` for a refusal.
fn reason_after(facts: &Facts<'_>, outcome: &Outcome) -> Option<Option<String>> {
    let t = outcome.as_ref().ok()?;
    Some(match &t.plan {
        PlanChange::Keep => facts.plan.and_then(|p| p.reason.clone()),
        PlanChange::Set(p) => p.reason.clone(),
        PlanChange::Remove => None,
    })
}

/// Fails with the first differences when any case of a table went wrong.
fn assert_no_failures(table: &str, cases: usize, failures: &[String]) {
    let first: Vec<&str> = failures.iter().take(20).map(String::as_str).collect();
    assert!(
        failures.is_empty(),
        "{table}: {} of {cases} cases differ from SPEC; the first ones:\n{}",
        failures.len(),
        first.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

/// Runs `check(label, facts, got, want)` over facts × command × actor in `scope`;
/// returns the case count.
fn each_case(scope: Scope, mut check: impl FnMut(&str, &Facts<'_>, Outcome, Outcome)) -> usize {
    let (plans, actors) = (plans(), actors());
    let mut cases = 0;
    each_facts(&plans, scope, |label, facts| {
        let commands = commands(facts.percentage);
        for command in &commands {
            for actor in &actors {
                cases += 1;
                let got = decide(facts, command, actor);
                let want = oracle::decide(facts, command, actor, &commands);
                let label = format!("{label}: {command:?} by {}", actor.name());
                check(&label, facts, got, want);
            }
        }
    });
    cases
}

fn decide_failures(scope: Scope) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let cases = each_case(scope, |label, facts, got, want| {
        let (got, want) = (comparable(facts, got), comparable(facts, want));
        if got != want {
            failures.push(format!("{label}\n  got  {got:?}\n  want {want:?}"));
        }
    });
    (cases, failures)
}

#[test]
fn decide_matches_the_plan_oracle_for_every_combination() {
    let (cases, failures) = decide_failures(Scope::Reachable);
    // Production: 12 status rows × 2 targets × 79 plans; elsewhere 12 × 2 without a plan;
    // × 22 commands × 6 actors.
    assert!(cases >= 240_000, "the table shrank to {cases} cases");
    assert_no_failures("decide (plans)", cases, &failures);
}

#[test]
fn plan_reason_follows_spec() {
    let mut failures = Vec::new();
    let cases = each_case(Scope::Reachable, |label, facts, got, want| {
        let (got, want) = (reason_after(facts, &got), reason_after(facts, &want));
        if got != want {
            failures.push(format!(
                "{label}\n  got  reason {got:?}\n  want reason {want:?}"
            ));
        }
    });
    assert_no_failures("plan reason", cases, &failures);
}

/// Rule 6 with facts that cannot arise: a non-production release with a plan.
#[test]
fn plans_outside_production_follow_the_same_literal_rules() {
    let (cases, failures) = decide_failures(Scope::PlansOutsideProduction);
    assert_no_failures("decide (plans outside production)", cases, &failures);
}

/// The actions the plan tables' commands perform, in `Action::ALL` order.
const PLAN_ACTIONS: [Action; 7] = [
    Action::CompleteTesting,
    Action::GoLive,
    Action::Cancel,
    Action::SetPlan,
    Action::RemovePlan,
    Action::Pause,
    Action::Resume,
];

#[test]
fn allowed_actions_lists_exactly_what_some_actor_may_do() {
    let (plans, actors) = (plans(), actors());
    let (mut cases, mut failures) = (0, Vec::new());
    each_facts(&plans, Scope::Reachable, |label, facts| {
        cases += 1;
        let commands = commands(facts.percentage);
        let accepted = |action: &Action| {
            let mut mine = commands.iter().filter(|c| c.action() == *action);
            mine.any(|c| actors.iter().any(|a| decide(facts, c, a).is_ok()))
        };
        let accepted: Vec<Action> = PLAN_ACTIONS.into_iter().filter(accepted).collect();
        let listed = allowed_actions(facts);
        let listed_plan: Vec<Action> = listed
            .iter()
            .copied()
            .filter(|a| PLAN_ACTIONS.contains(a))
            .collect();
        let want = oracle::allowed(facts, &commands);
        if listed != want || listed_plan != accepted {
            failures.push(format!(
                "{label}\n  got  {listed:?}\n  want {want:?}\n  accepted {accepted:?}"
            ));
        }
    });
    assert_no_failures("allowed_actions (plans)", cases, &failures);
}

/// A coarse name for an outcome, to check that the tables reach every kind of answer.
fn outcome_kind(outcome: &Result<Transition, WorkflowError>) -> String {
    let state = |change: &PlanChange| match change {
        PlanChange::Keep => "kept".to_owned(),
        PlanChange::Remove => "removed".to_owned(),
        PlanChange::Set(p) => p.state.as_str().to_owned(),
    };
    match outcome {
        Ok(t) => format!("ok {} -> {}, plan {}", t.from, t.to, state(&t.plan)),
        Err(WorkflowError::Refused(refusal)) => {
            let reason = format!("{:?}", refusal.reason);
            let name: String = reason
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '(')
                .collect();
            let name = name.split(['(']).take(2).collect::<Vec<_>>().join(" ");
            format!("refused {} {name}", refusal.action)
        }
        Err(WorkflowError::Forbidden { .. }) => "forbidden".to_owned(),
        Err(WorkflowError::NotTheSystemsJob { actor, .. }) => format!("not the job of {actor}"),
        Err(other) => format!("{other:?}"),
    }
}

#[test]
fn the_plan_table_reaches_every_kind_of_outcome() {
    let mut seen = std::collections::BTreeSet::new();
    each_case(Scope::Reachable, |_, _, _, want| {
        seen.insert(outcome_kind(&want));
    });
    let expected = "forbidden
        not the job of system:plan
        not the job of system:guard
        refused set_plan Plan Active
        refused set_plan ProductionOnly
        refused remove_plan Plan NoPlan
        refused go_live Plan NotPending
        refused go_live Plan NoStepAbove
        refused go_live Plan NotRunning
        refused go_live Plan Moved
        refused go_live Plan NotDue
        refused pause Plan NotRunning
        refused resume Plan NotPaused
        refused pause WrongStatus
        ok pilot_testing -> pilot_testing, plan pending
        ok grayscale_release -> grayscale_release, plan removed
        ok release_preparation -> grayscale_release, plan running
        ok release_preparation -> full_release, plan completed
        ok grayscale_release -> grayscale_release, plan running
        ok grayscale_release -> grayscale_release, plan completed
        ok grayscale_release -> grayscale_release, plan paused
        ok grayscale_release -> grayscale_release, plan halted
        ok grayscale_release -> full_release, plan completed
        ok grayscale_release -> canceled, plan canceled
        ok pilot_testing -> canceled, plan canceled
        ok grayscale_release -> grayscale_release, plan kept";
    for kind in expected.lines().map(str::trim) {
        assert!(
            seen.contains(kind),
            "no case yields {kind:?}; seen {seen:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Random histories of one production release with a plan
// ---------------------------------------------------------------------------------------

mod sim;
