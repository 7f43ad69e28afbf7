//! Table-driven and property tests of the plan part of the workflow (SPEC §8), written by a
//! helper in the style of `tests.rs`.
//!
//! Layout:
//! - `oracle`: SPEC §8 restated in the tester's words, using the model's types and the
//!   plan's own model methods (`is_due`, `next_step_at`) but none of the workflow's functions.
//! - fixtures: targets, plans in every state, commands around the plan's steps, actors.
//! - tables: `decide` and `allowed_actions` against the oracle over every combination, and
//!   the plan's `reason` (kept apart: see the ignored test).
//! - `sim`: one production release with a plan under random histories, driven by proptest.

use std::sync::Arc;

use super::*;
use crate::model::{Actor, Approval, Env, EnvPolicy, Percentage, Plan, PlanState, Role, Status};
use crate::model::{Millis, SystemActor};

/// SPEC §8 in the tester's words. Refusals come in this order: who (403, or the system
/// actor's job), then the status column, then production only, then the plan's own rules.
/// Facts that cannot arise follow the same literal rules.
mod oracle {
    use crate::model::{Action, SystemActor};
    use crate::model::{Actor, Env, Millis, Percentage, Plan, PlanState, Role, Status, Step};
    use crate::workflow::{Command, Facts, GoLive, PlanChange, PlanRefusal};
    use crate::workflow::{Refusal, RefusalReason, Transition, WorkflowError};

    pub fn action_of(command: &Command) -> Action {
        match command {
            Command::GoLive(_) | Command::PlanStep { .. } => Action::GoLive,
            Command::SetPlan(_) => Action::SetPlan,
            Command::RemovePlan => Action::RemovePlan,
            Command::Pause => Action::Pause,
            Command::Resume => Action::Resume,
            Command::Cancel => Action::Cancel,
            Command::CompleteTesting => Action::CompleteTesting,
            other => unreachable!("not a plan table command: {other:?}"),
        }
    }

    /// Every plan-related action is an admin's, except that only `system:plan` takes a
    /// plan's steps and `system:guard` may cancel.
    fn who(actor: &Actor, command: &Command) -> Result<(), WorkflowError> {
        let (action, step) = (
            action_of(command),
            matches!(command, Command::PlanStep { .. }),
        );
        let role = match actor {
            Actor::Person { role, .. } if *role == Role::Admin && !step => return Ok(()),
            Actor::System(SystemActor::Plan) if step => return Ok(()),
            Actor::System(SystemActor::Guard) if *command == Command::Cancel => return Ok(()),
            Actor::Person { role, .. } => *role,
            Actor::System(s) => {
                return Err(WorkflowError::NotTheSystemsJob {
                    actor: s.name(),
                    action,
                });
            }
        };
        Err(WorkflowError::Forbidden { role, action })
    }

    type Moved = (Status, Percentage, PlanChange);

    fn refused(why: PlanRefusal) -> RefusalReason {
        RefusalReason::Plan(why)
    }

    fn need(ok: bool, why: RefusalReason) -> Result<(), RefusalReason> {
        if ok { Ok(()) } else { Err(why) }
    }

    /// Started and not ended: such a plan is paused, not replaced or removed.
    fn active(plan: &Plan) -> bool {
        use PlanState::*;
        matches!(plan.state, Running | WaitingForData | Paused)
    }

    fn ended(plan: &Plan) -> bool {
        matches!(plan.state, PlanState::Completed | PlanState::Canceled)
    }

    /// The plan at step `i` from `now`: the last step completes it, a running plan holds
    /// for the step's hold, a paused or halted one waits for a person.
    fn at_step(plan: &Plan, i: usize, state: PlanState, now: Millis) -> Plan {
        let last = i == plan.spec.steps().len() - 1;
        let state = if last { PlanState::Completed } else { state };
        let hold = plan.spec.steps()[i]
            .hold()
            .filter(|_| state == PlanState::Running);
        Plan {
            spec: plan.spec.clone(),
            state,
            step: Some(i),
            hold_until: hold.map(|h| now + h.seconds() * 1000),
            reason: reason_after(plan, state),
        }
    }

    /// SPEC §8: `reason` says why a plan is halted or waiting, so it survives only while
    /// the plan stays halted (or waiting) and is gone in every other state.
    fn reason_after(plan: &Plan, state: PlanState) -> Option<String> {
        let why = matches!(state, PlanState::Halted | PlanState::WaitingForData);
        plan.reason.clone().filter(|_| why && state == plan.state)
    }

    /// Step `i` applied at once: its share (or full release), the plan running or done.
    fn apply(f: &Facts<'_>, plan: &Plan, i: usize) -> Moved {
        let after = PlanChange::Set(at_step(plan, i, PlanState::Running, f.now));
        match plan.spec.steps()[i] {
            Step::Grayscale { percentage, .. } => {
                (Status::GrayscaleRelease, percentage.get(), after)
            }
            Step::Full => (Status::FullRelease, Percentage::ZERO, after),
        }
    }

    /// How a person's go-live or cancel moves a plan that is neither over nor (for a
    /// grayscale go-live) pending.
    fn follow(f: &Facts<'_>, command: &Command) -> PlanChange {
        let Some(plan) = f.plan.filter(|p| !ended(p)) else {
            return PlanChange::Keep;
        };
        let end = |state| {
            PlanChange::Set(Plan {
                state,
                hold_until: None,
                reason: reason_after(plan, state),
                ..plan.clone()
            })
        };
        match command {
            Command::GoLive(GoLive::Grayscale(_)) if plan.state == PlanState::Pending => {
                PlanChange::Keep
            }
            Command::GoLive(GoLive::Grayscale(p)) => {
                let at_or_below = plan.spec.steps().iter().rposition(|s| s.percentage() <= *p);
                let state = match plan.state {
                    PlanState::WaitingForData => PlanState::Running,
                    other => other,
                };
                at_or_below.map_or(PlanChange::Keep, |i| {
                    PlanChange::Set(at_step(plan, i, state, f.now))
                })
            }
            Command::GoLive(GoLive::Full) => end(PlanState::Completed),
            Command::Cancel => end(PlanState::Canceled),
            _ => PlanChange::Keep,
        }
    }

    /// Where `command` takes the release, or why not (whoever asks).
    pub fn outcome(f: &Facts<'_>, command: &Command) -> Result<Moved, RefusalReason> {
        use Status::*;
        let wrong = RefusalReason::WrongStatus;
        let live = matches!(f.status, ReleasePreparation | GrayscaleRelease);
        let before_full = live || matches!(f.status, NewVersionCreated | PilotTesting);
        let production = need(f.env == Env::Production, RefusalReason::ProductionOnly);
        let plan = f.plan.ok_or(refused(PlanRefusal::NoPlan));
        match command {
            Command::SetPlan(_) | Command::RemovePlan => {
                need(before_full, wrong)?;
                production?;
                change_plan(f, command)
            }
            Command::Pause => {
                need(live, wrong)?;
                pause(f, plan?)
            }
            Command::Resume => {
                need(live, wrong)?;
                resume(f, plan?)
            }
            Command::PlanStep { from } => {
                need(live, wrong)?;
                step(f, plan?, *from)
            }
            Command::GoLive(go) => {
                need(live, wrong)?;
                production?;
                go_live(f, *go, command)
            }
            Command::Cancel => {
                need(live || f.status == PilotTesting, wrong)?;
                Ok((Canceled, Percentage::ZERO, follow(f, command)))
            }
            Command::CompleteTesting => {
                need(f.status == PilotTesting, wrong)?;
                let production = f.env == Env::Production;
                let to = [FullRelease, GrayscaleRelease][usize::from(production)];
                Ok((to, Percentage::ZERO, PlanChange::Keep))
            }
            other => unreachable!("not a plan table command: {other:?}"),
        }
    }

    /// `set_plan` and `remove_plan`, once the status and the target admit them.
    fn change_plan(f: &Facts<'_>, command: &Command) -> Result<Moved, RefusalReason> {
        if let Some(p) = f.plan.filter(|p| active(p)) {
            return Err(refused(PlanRefusal::Active(p.state)));
        }
        let change = match command {
            Command::SetPlan(spec) => PlanChange::Set(Plan::pending(spec.clone())),
            _ => {
                f.plan.ok_or(refused(PlanRefusal::NoPlan))?;
                PlanChange::Remove
            }
        };
        Ok((f.status, f.percentage, change))
    }

    fn pause(f: &Facts<'_>, plan: &Plan) -> Result<Moved, RefusalReason> {
        match plan.state {
            PlanState::Running | PlanState::WaitingForData => {
                let paused = Plan {
                    state: PlanState::Paused,
                    hold_until: None,
                    reason: reason_after(plan, PlanState::Paused),
                    ..plan.clone()
                };
                Ok((f.status, f.percentage, PlanChange::Set(paused)))
            }
            other => Err(refused(PlanRefusal::NotRunning(other))),
        }
    }

    fn resume(f: &Facts<'_>, plan: &Plan) -> Result<Moved, RefusalReason> {
        match (plan.state, plan.step) {
            (PlanState::Paused | PlanState::Halted, Some(i)) => {
                let running = at_step(plan, i, PlanState::Running, f.now);
                Ok((f.status, f.percentage, PlanChange::Set(running)))
            }
            (state, _) => Err(refused(PlanRefusal::NotPaused(state))),
        }
    }

    fn step(f: &Facts<'_>, plan: &Plan, from: Option<usize>) -> Result<Moved, RefusalReason> {
        let running = plan.state == PlanState::Running;
        need(running, refused(PlanRefusal::NotRunning(plan.state)))?;
        need(plan.step == from, refused(PlanRefusal::Moved))?;
        let not_due = refused(PlanRefusal::NotDue(plan.next_step_at(f.now)));
        need(plan.is_due(f.now), not_due)?;
        let next = from.map_or(0, |i| i + 1);
        let done = refused(PlanRefusal::NotRunning(PlanState::Completed));
        need(next < plan.spec.steps().len(), done)?;
        Ok(apply(f, plan, next))
    }

    fn go_live(f: &Facts<'_>, go: GoLive, command: &Command) -> Result<Moved, RefusalReason> {
        match go {
            GoLive::Full => Ok((Status::FullRelease, Percentage::ZERO, follow(f, command))),
            GoLive::Grayscale(p) if p > f.percentage && p < Percentage::FULL => {
                Ok((Status::GrayscaleRelease, p, follow(f, command)))
            }
            GoLive::Grayscale(p) => Err(RefusalReason::PercentageNotIncreasing {
                current: f.percentage,
                requested: p,
            }),
            GoLive::Plan => {
                let plan = f.plan.ok_or(refused(PlanRefusal::NoPlan))?;
                let pending = plan.state == PlanState::Pending;
                need(pending, refused(PlanRefusal::NotPending(plan.state)))?;
                let steps = plan.spec.steps();
                let first = steps.iter().position(|s| s.percentage() > f.percentage);
                let first = first.ok_or(refused(PlanRefusal::NoStepAbove(f.percentage)))?;
                Ok(apply(f, plan, first))
            }
        }
    }

    /// The actions outside the plan tables' commands, by the SPEC §2 "from" column (the
    /// fixtures never have another release in flight).
    fn other_allowed(f: &Facts<'_>, action: Action) -> bool {
        use Status::*;
        match action {
            Action::EditConfig | Action::Apply => f.status == NewVersionCreated,
            Action::SetTestGroup => {
                matches!(f.status, NewVersionCreated | PilotTesting) && f.policy.pilot_testing
            }
            Action::Withdraw | Action::Approve | Action::Reject => f.status == UnderReview,
            _ => false,
        }
    }

    /// Rule 6: what some role (or the plan itself) could do now, in `Action::ALL` order.
    pub fn allowed(f: &Facts<'_>, probes: &[Command]) -> Vec<Action> {
        let possible = |a| {
            probes
                .iter()
                .any(|c| action_of(c) == a && outcome(f, c).is_ok())
        };
        let all = Action::ALL.into_iter();
        all.filter(|&a| other_allowed(f, a) || possible(a))
            .collect()
    }

    /// What SPEC says `decide(facts, command, actor)` must answer.
    pub fn decide(
        f: &Facts<'_>,
        command: &Command,
        actor: &Actor,
        probes: &[Command],
    ) -> Result<Transition, WorkflowError> {
        who(actor, command)?;
        let (to, percentage, plan) = outcome(f, command).map_err(|reason| {
            WorkflowError::Refused(Refusal {
                action: action_of(command),
                status: f.status,
                allowed: allowed(f, probes),
                reason,
            })
        })?;
        Ok(Transition {
            from: f.status,
            to,
            percentage,
            archives_previous_full: to == Status::FullRelease && f.status != to,
            plan,
        })
    }
}

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
    all.extend([None, Some(0), Some(1), Some(2)].map(|from| Command::PlanStep { from }));
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
#[ignore = "bug: workflow/plan.rs at_step clears `reason` of a plan that stays halted on a \
            manual go-live; pause, go_live full and cancel keep a stale halted/waiting reason"]
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
#[ignore = "bug (unreachable facts): allowed_actions probes go_live only as full, so a \
            non-production release whose plan could take a step does not list go_live"]
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

mod sim {
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
                    Some((Command::PlanStep { from }, Actor::System(SystemActor::Plan)))
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
            let (command, actor) = (Command::PlanStep { from }, Actor::System(SystemActor::Plan));
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
        // A failing history is kept in src/workflow/plan_tests.proptest-regressions and
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
}
