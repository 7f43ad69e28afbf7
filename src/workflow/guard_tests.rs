//! SPEC §9 against the workflow: setting and removing a guard, the guard's halt and
//! rollback on its findings, and the plan gate, over every status × target × guard ×
//! plan state × finding × command × actor. The oracle below restates the rules in its
//! own words and uses none of the workflow's functions; outcomes are compared exactly
//! (status, share, plan state, guard change), refusals by kind.

use std::sync::Arc;

use super::*;
use crate::guard::{Counts, GuardSpec};
use crate::model::{Percentage, Step, SystemActor};

const NOW: Millis = 10_000;

fn spec(min_samples: u64) -> GuardSpec {
    GuardSpec::new(0.01, min_samples, 0.95).expect("a valid spec")
}

fn guard(on_regression: OnRegression) -> Guard {
    Guard {
        spec: spec(100),
        on_regression,
    }
}

/// Findings of each decision with the tables' guard, and a regression found with other
/// parameters (the guard changed since).
fn findings() -> Vec<Finding> {
    let s = spec(100);
    vec![
        Finding::new(s, Counts::new(990, 10), Counts::new(990, 10)),
        Finding::new(s, Counts::new(10, 0), Counts::new(990, 10)),
        Finding::new(s, Counts::new(800, 200), Counts::new(990, 10)),
        Finding::new(spec(50), Counts::new(800, 200), Counts::new(990, 10)),
    ]
}

fn five() -> Percentage {
    Percentage::from_ppm(50_000).expect("5 %")
}

/// A two-step plan (5 % for 1 s, then full) at step 0 in `state`, its hold over.
fn plan_in(state: PlanState) -> Plan {
    let hold = crate::model::Hold::parse("1s").expect("a hold");
    let grayscale = crate::model::GrayscalePercentage::from_percent(5.0).expect("5 %");
    let steps = vec![
        Step::Grayscale {
            percentage: grayscale,
            hold,
        },
        Step::Full,
    ];
    let spec = Arc::new(PlanSpec::new(steps, None).expect("a valid plan"));
    let started = !matches!(state, PlanState::Pending);
    Plan {
        spec,
        state,
        step: started.then_some(0),
        hold_until: matches!(state, PlanState::Running | PlanState::WaitingForData).then_some(0),
        reason: None,
    }
}

fn commands(f: &[Finding]) -> Vec<Command> {
    let mut all = vec![
        Command::SetGuard(guard(OnRegression::Halt)),
        Command::RemoveGuard,
    ];
    for finding in f {
        all.push(Command::GuardHalt(*finding));
        all.push(Command::GuardRollback(*finding));
        for from in [None, Some(0)] {
            all.push(Command::PlanStep {
                from,
                finding: Some(*finding),
            });
            all.push(Command::WaitForData {
                from,
                finding: *finding,
            });
        }
    }
    all.push(Command::PlanStep {
        from: Some(0),
        finding: None,
    });
    all
}

fn actors() -> [Actor; 4] {
    [
        Actor::person("ops", Role::Admin),
        Actor::person("dev", Role::Developer),
        Actor::System(SystemActor::Plan),
        Actor::System(SystemActor::Guard),
    ]
}

/// What a decision comes to: where the release goes, and what its plan and guard become.
#[derive(Debug, PartialEq)]
enum Outcome {
    Done(Status, Percentage, Option<PlanState>, Change<Guard>),
    Forbidden,
    NotTheSystemsJob,
    Refused,
}

/// Who may ask: people set and remove guards (admins), the guard acts on findings, the
/// plan takes steps and waits.
fn may(actor: &Actor, command: &Command) -> Outcome {
    let (people, system) = match command {
        Command::SetGuard(_) | Command::RemoveGuard => (true, None),
        Command::GuardHalt(_) | Command::GuardRollback(_) => (false, Some(SystemActor::Guard)),
        _ => (false, Some(SystemActor::Plan)),
    };
    match actor {
        Actor::Person { role, .. } if people && *role == Role::Admin => Outcome::Refused,
        Actor::Person { .. } => Outcome::Forbidden,
        Actor::System(s) if Some(*s) == system => Outcome::Refused,
        Actor::System(_) => Outcome::NotTheSystemsJob,
    }
}

/// SPEC §8–§9 in the tester's words; `Refused` from [`may`] means "the actor may ask".
fn oracle(f: &Facts<'_>, command: &Command, actor: &Actor) -> Outcome {
    match may(actor, command) {
        Outcome::Refused => {}
        other => return other,
    }
    let outcome = match command {
        Command::SetGuard(_) | Command::RemoveGuard => guard_change(f, command),
        Command::GuardHalt(_) | Command::GuardRollback(_) => guard_act(f, command),
        _ => gate(f, command),
    };
    outcome.unwrap_or(Outcome::Refused)
}

fn judged(f: &Facts<'_>, finding: &Finding, decision: Decision) -> bool {
    f.guard
        .is_some_and(|g| g.spec == finding.spec && finding.decision() == decision)
}

fn stays(f: &Facts<'_>, plan: Option<PlanState>, guard: Change<Guard>) -> Outcome {
    Outcome::Done(f.status, f.percentage, plan, guard)
}

/// Guards are set and removed in production before full, like plans.
fn guard_change(f: &Facts<'_>, command: &Command) -> Option<Outcome> {
    use Status::*;
    let open = matches!(
        f.status,
        NewVersionCreated | PilotTesting | ReleasePreparation | GrayscaleRelease
    ) && f.env == Env::Production;
    let state = f.plan.map(|p| p.state);
    match command {
        Command::SetGuard(g) if open => Some(stays(f, state, Change::Set(*g))),
        Command::RemoveGuard if open && f.guard.is_some() => Some(stays(f, state, Change::Remove)),
        _ => None,
    }
}

/// The guard acts in grayscale on a regression it found with its current parameters, as
/// its `on_regression` says; a halt needs a started plan that has not ended or halted.
fn guard_act(f: &Facts<'_>, command: &Command) -> Option<Outcome> {
    let state = f.plan.map(|p| p.state);
    let mode = |m| f.guard.is_some_and(|g| g.on_regression == m);
    let (Command::GuardHalt(finding) | Command::GuardRollback(finding)) = command else {
        return None;
    };
    if f.status != Status::GrayscaleRelease || !judged(f, finding, Decision::Regression) {
        return None;
    }
    match command {
        Command::GuardRollback(_) if mode(OnRegression::Rollback) => {
            let plan = state.map(|s| match s {
                PlanState::Completed | PlanState::Canceled => s,
                _ => PlanState::Canceled,
            });
            Some(Outcome::Done(
                Status::Canceled,
                Percentage::ZERO,
                plan,
                Change::Keep,
            ))
        }
        Command::GuardHalt(_)
            if mode(OnRegression::Halt)
                && matches!(
                    state,
                    Some(PlanState::Running | PlanState::WaitingForData | PlanState::Paused)
                ) =>
        {
            Some(stays(f, Some(PlanState::Halted), Change::Keep))
        }
        _ => None,
    }
}

/// A due step of a live production plan: taken without a guard or on a healthy finding;
/// a running plan waits for data on an insufficient one.
fn gate(f: &Facts<'_>, command: &Command) -> Option<Outcome> {
    let live = matches!(
        f.status,
        Status::ReleasePreparation | Status::GrayscaleRelease
    );
    let state = f.plan.map(|p| p.state);
    let at = |from: &Option<usize>| f.plan.is_some_and(|p| p.step == *from);
    if !live || f.env != Env::Production {
        return None;
    }
    match command {
        Command::PlanStep { from, finding }
            if matches!(state, Some(PlanState::Running | PlanState::WaitingForData))
                && at(from)
                && (f.guard.is_none()
                    || finding.is_some_and(|x| judged(f, &x, Decision::Healthy))) =>
        {
            // Step 1 of the tables' plan is full: it completes the plan.
            let completed = Some(PlanState::Completed);
            Some(Outcome::Done(
                Status::FullRelease,
                Percentage::ZERO,
                completed,
                Change::Keep,
            ))
        }
        Command::WaitForData { from, finding }
            if state == Some(PlanState::Running)
                && at(from)
                && judged(f, finding, Decision::InsufficientData) =>
        {
            Some(stays(f, Some(PlanState::WaitingForData), Change::Keep))
        }
        _ => None,
    }
}

fn actual(f: &Facts<'_>, command: &Command, actor: &Actor) -> Outcome {
    match decide(f, command, actor) {
        Ok(t) => {
            let plan = match t.plan {
                Change::Keep => f.plan.map(|p| p.state),
                Change::Set(p) => Some(p.state),
                Change::Remove => None,
            };
            Outcome::Done(t.to, t.percentage, plan, t.guard)
        }
        Err(WorkflowError::Forbidden { .. }) => Outcome::Forbidden,
        Err(WorkflowError::NotTheSystemsJob { .. }) => Outcome::NotTheSystemsJob,
        Err(_) => Outcome::Refused,
    }
}

fn facts<'a>(status: Status, env: Env, guard: Option<Guard>, plan: Option<&'a Plan>) -> Facts<'a> {
    Facts {
        status,
        env,
        percentage: if status == Status::GrayscaleRelease {
            five()
        } else {
            Percentage::ZERO
        },
        policy: EnvPolicy {
            approval: crate::model::Approval::Manual,
            pilot_testing: true,
        },
        applied_by: None,
        other_in_flight: None,
        plan,
        guard,
        targeting: None,
        restorable: None,
        now: NOW,
    }
}

#[test]
fn guard_commands_match_the_spec_in_every_case() {
    let plans: Vec<Option<Plan>> = std::iter::once(None)
        .chain(PlanState::ALL.map(|s| Some(plan_in(s))))
        .collect();
    let guards = [
        None,
        Some(guard(OnRegression::Halt)),
        Some(guard(OnRegression::Rollback)),
    ];
    let all = commands(&findings());
    let (mut cases, mut failures) = (0, Vec::new());
    let mut accepted = std::collections::BTreeSet::new();
    for status in Status::ALL {
        for env in [Env::Production, Env::Sandbox] {
            for g in guards {
                for plan in &plans {
                    let f = facts(status, env, g, plan.as_ref());
                    for command in &all {
                        for actor in actors() {
                            cases += 1;
                            let (want, got) =
                                (oracle(&f, command, &actor), actual(&f, command, &actor));
                            if matches!(got, Outcome::Done(..)) {
                                accepted.insert(command.action());
                            }
                            if want != got && failures.len() < 20 {
                                failures.push(format!(
                                    "{status} {env} guard={g:?} plan={:?} {command:?} by {}: want {want:?}, got {got:?}",
                                    plan.as_ref().map(|p| p.state),
                                    actor.name()
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{cases} cases; first failures:\n{}",
        failures.join("\n")
    );
    let every = [
        Action::SetGuard,
        Action::RemoveGuard,
        Action::Halt,
        Action::Cancel,
        Action::GoLive,
        Action::WaitForData,
    ];
    assert_eq!(accepted, every.into(), "each command is accepted somewhere");
}

#[test]
fn allowed_actions_list_guard_changes_for_people_only() {
    let running = plan_in(PlanState::Running);
    for status in Status::ALL {
        for g in [None, Some(guard(OnRegression::Rollback))] {
            let f = facts(status, Env::Production, g, Some(&running));
            let allowed = allowed_actions(&f);
            let before_full = matches!(
                status,
                Status::NewVersionCreated
                    | Status::PilotTesting
                    | Status::ReleasePreparation
                    | Status::GrayscaleRelease
            );
            assert_eq!(allowed.contains(&Action::SetGuard), before_full, "{status}");
            assert_eq!(
                allowed.contains(&Action::RemoveGuard),
                before_full && g.is_some(),
                "{status} {g:?}"
            );
            assert!(!allowed.contains(&Action::Halt) && !allowed.contains(&Action::WaitForData));
        }
    }
}

#[test]
fn a_wait_explains_itself_and_the_next_healthy_finding_steps() {
    let running = plan_in(PlanState::Running);
    let g = guard(OnRegression::Halt);
    let f = facts(
        Status::GrayscaleRelease,
        Env::Production,
        Some(g),
        Some(&running),
    );
    let plan_actor = Actor::System(SystemActor::Plan);
    let thin = findings()[1];
    let wait = Command::WaitForData {
        from: Some(0),
        finding: thin,
    };
    let t = decide(&f, &wait, &plan_actor).expect("the plan waits");
    let Change::Set(waiting) = t.plan else {
        panic!("the plan changes: {t:?}")
    };
    assert_eq!(waiting.state, PlanState::WaitingForData);
    let reason = waiting.reason.clone().unwrap_or_default();
    assert!(reason.contains("candidate has 10"), "{reason}");
    let f = facts(
        Status::GrayscaleRelease,
        Env::Production,
        Some(g),
        Some(&waiting),
    );
    let healthy = Command::PlanStep {
        from: Some(0),
        finding: Some(findings()[0]),
    };
    let t = decide(&f, &healthy, &plan_actor).expect("the step is taken");
    let Change::Set(stepped) = t.plan else {
        panic!("the plan changes: {t:?}")
    };
    assert_eq!((t.to, stepped.reason), (Status::FullRelease, None));
}
