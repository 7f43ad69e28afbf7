//! Table-driven and property tests of the workflow (written by a helper).
//!
//! Layout:
//! - `oracle`: SPEC §1–§2 restated in its own words. It uses the workflow's data types but
//!   none of its functions (`decide`, `allowed_actions`, `after_approval`, `permits`, …), so
//!   the tables below compare the implementation against an independent reading of the spec.
//! - fixtures: the release targets, actors, commands and facts the tables range over.
//! - examples: a few literal walks through the workflow, readable without the oracle.
//! - tables: every (status × command × target policy × role) combination, `decide_create`,
//!   `permits`, and the `allowed_actions` property.
//! - `sim`: a tiny model of one (mini program, release target) driven by proptest.

use super::*;
use crate::model::{Actor, Approval, Env, EnvPolicy, Percentage, Role, Status};

/// SPEC §1–§2 in the tester's words. When several rules refuse at once, the order is: role
/// (403), then the status column, then the target rules, then self-approval, then the
/// go-live parameters. Facts that cannot arise (a `pilot_testing` release in development,
/// say) follow the same literal rules.
mod oracle {
    use crate::model::{Actor, Approval, Env, EnvPolicy, Percentage, Plan, Role, Status};
    use crate::workflow::{
        Action, Change, Command, Facts, GoLive, GuardRefusal, Operation, PlanChange, PlanRefusal,
        Refusal, RefusalReason, ReleaseId, Transition, WorkflowError,
    };

    /// The role of a person; the tables range over people only.
    pub fn role_of(actor: &Actor) -> Role {
        actor.role().expect("the tables' actors are people")
    }

    /// The action a command performs.
    pub fn action_of(command: &Command) -> Action {
        match command {
            Command::EditConfig(_) => Action::EditConfig,
            Command::SetTestGroup(_) => Action::SetTestGroup,
            Command::Apply => Action::Apply,
            Command::Withdraw => Action::Withdraw,
            Command::Approve => Action::Approve,
            Command::Reject(_) => Action::Reject,
            Command::CompleteTesting => Action::CompleteTesting,
            Command::GoLive(_) | Command::PlanStep { .. } => Action::GoLive,
            Command::Cancel | Command::GuardRollback(_) => Action::Cancel,
            Command::SetPlan(_) => Action::SetPlan,
            Command::RemovePlan => Action::RemovePlan,
            Command::Pause => Action::Pause,
            Command::Resume => Action::Resume,
            Command::WaitForData { .. } => Action::WaitForData,
            Command::SetGuard(_) => Action::SetGuard,
            Command::RemoveGuard => Action::RemoveGuard,
            Command::GuardHalt(_) => Action::Halt,
            Command::SetTargeting(_) => Action::SetTargeting,
            Command::TakeOffline(_) => Action::TakeOffline,
            Command::Rollback(_) => Action::Rollback,
        }
    }

    /// SPEC §2, column "who".
    fn roles_for(action: Action) -> &'static [Role] {
        const BUILDERS: &[Role] = &[Role::Developer, Role::Admin];
        match action {
            Action::Create
            | Action::EditConfig
            | Action::SetTestGroup
            | Action::Apply
            | Action::Withdraw
            | Action::SetTargeting
            | Action::TakeOffline => BUILDERS,
            Action::Approve | Action::Reject => &[Role::Reviewer],
            Action::CompleteTesting
            | Action::GoLive
            | Action::Cancel
            | Action::SetPlan
            | Action::RemovePlan
            | Action::Pause
            | Action::Resume
            | Action::SetGuard
            | Action::RemoveGuard
            | Action::Rollback => &[Role::Admin],
            Action::Archive | Action::Restore | Action::Halt | Action::WaitForData => &[],
        }
    }

    /// SPEC §2, column "from" (`create` starts from no release at all).
    fn from_statuses(action: Action) -> &'static [Status] {
        use Status::*;
        match action {
            Action::Create
            | Action::Archive
            | Action::Restore
            | Action::Halt
            | Action::WaitForData => &[],
            Action::EditConfig | Action::Apply => &[NewVersionCreated],
            Action::SetTestGroup => &[NewVersionCreated, PilotTesting],
            // SPEC §11: the offline review is reviewed like an application.
            Action::Withdraw | Action::Approve | Action::Reject => &[UnderReview, OfflineReview],
            Action::TakeOffline | Action::Rollback => &[FullRelease],
            Action::CompleteTesting => &[PilotTesting],
            Action::GoLive => &[ReleasePreparation, GrayscaleRelease],
            Action::Cancel => &[ReleasePreparation, PilotTesting, GrayscaleRelease],
            // SPEC §8, §9: a plan or guard is set before the release goes live, or during
            // grayscale.
            Action::SetPlan | Action::RemovePlan | Action::SetGuard | Action::RemoveGuard => &[
                NewVersionCreated,
                PilotTesting,
                ReleasePreparation,
                GrayscaleRelease,
            ],
            Action::Pause | Action::Resume => &[ReleasePreparation, GrayscaleRelease],
            // SPEC §10: changed before review, narrowed after approval; under review it is
            // locked (a refusal of its own, see `state_refusal`).
            Action::SetTargeting => &[
                NewVersionCreated,
                UnderReview,
                PilotTesting,
                ReleasePreparation,
                GrayscaleRelease,
            ],
        }
    }

    /// The admin API's permission table: reads for everybody, target apps for the super-app
    /// side, versions for the mini program side, release actions per SPEC §2.
    pub fn may(role: Role, operation: Operation) -> bool {
        match operation {
            Operation::Read => true,
            Operation::PutApp => role == Role::Reviewer,
            // SPEC §11: suspensions are the super app's.
            Operation::Suspend => role == Role::Reviewer,
            Operation::AddVersion => matches!(role, Role::Developer | Role::Admin),
            Operation::Release(action) => roles_for(action).contains(&role),
            Operation::PlanStep | Operation::Guard => false,
        }
    }

    /// SPEC §1: production always approves manually; elsewhere the policy says.
    fn approval_is_manual(env: Env, policy: EnvPolicy) -> bool {
        env == Env::Production || policy.approval == Approval::Manual
    }

    /// SPEC §2, *after approval*.
    fn after_approval(env: Env, policy: EnvPolicy) -> Status {
        match (policy.pilot_testing, env) {
            (true, _) => Status::PilotTesting,
            (false, Env::Production) => Status::ReleasePreparation,
            (false, Env::Sandbox | Env::Development | Env::Test) => Status::FullRelease,
        }
    }

    /// Why the release and its target do not admit `action` now, if they do not.
    fn state_refusal(facts: &Facts<'_>, action: Action) -> Option<RefusalReason> {
        if !from_statuses(action).contains(&facts.status) {
            return Some(RefusalReason::WrongStatus);
        }
        match action {
            Action::SetTestGroup if !facts.policy.pilot_testing => {
                Some(RefusalReason::PilotTestingNotSupported)
            }
            Action::GoLive
            | Action::SetPlan
            | Action::RemovePlan
            | Action::SetGuard
            | Action::RemoveGuard
            | Action::SetTargeting
                if facts.env != Env::Production =>
            {
                Some(RefusalReason::ProductionOnly)
            }
            Action::Apply | Action::TakeOffline => {
                facts.other_in_flight.map(RefusalReason::AnotherInFlight)
            }
            Action::Rollback if facts.restorable.is_none() => Some(RefusalReason::NothingToRestore),
            Action::SetTargeting if facts.status == Status::UnderReview => {
                Some(RefusalReason::TargetingLocked)
            }
            // These tables hold releases without a plan; `plan_tests` covers plans.
            Action::RemovePlan | Action::Pause | Action::Resume if facts.plan.is_none() => {
                Some(RefusalReason::Plan(PlanRefusal::NoPlan))
            }
            // Nor a guard; `guard_tests` covers guards.
            Action::RemoveGuard if facts.guard.is_none() => {
                Some(RefusalReason::Guard(GuardRefusal::NoGuard))
            }
            _ => None,
        }
    }

    /// Rule 6: the actions some role could perform now, in `Action::ALL` order.
    pub fn allowed(facts: &Facts<'_>) -> Vec<Action> {
        Action::ALL
            .into_iter()
            .filter(|&action| state_refusal(facts, action).is_none())
            .collect()
    }

    /// Where an admitted command leads, or why its go-live parameters are refused.
    fn destination(
        facts: &Facts<'_>,
        command: Command,
    ) -> Result<(Status, Percentage), RefusalReason> {
        let zero = Percentage::ZERO;
        let reached = match command {
            Command::EditConfig(_) | Command::SetTestGroup(_) => (facts.status, facts.percentage),
            Command::Apply if approval_is_manual(facts.env, facts.policy) => {
                (Status::UnderReview, zero)
            }
            // SPEC §11: approving the offline review takes the release offline; the
            // applicant's withdrawal and the reviewer's rejection leave it in full.
            Command::Approve if facts.status == Status::OfflineReview => (Status::Offline, zero),
            Command::Withdraw | Command::Reject(_) if facts.status == Status::OfflineReview => {
                (Status::FullRelease, zero)
            }
            Command::Apply | Command::Approve => (after_approval(facts.env, facts.policy), zero),
            Command::Withdraw | Command::Reject(_) => (Status::NewVersionCreated, zero),
            Command::TakeOffline(_) if approval_is_manual(facts.env, facts.policy) => {
                (Status::OfflineReview, zero)
            }
            Command::TakeOffline(_) => (Status::Offline, zero),
            Command::Rollback(_) => (Status::RolledBack, zero),
            Command::CompleteTesting if facts.env == Env::Production => {
                (Status::GrayscaleRelease, zero)
            }
            Command::CompleteTesting => (Status::FullRelease, zero),
            Command::GoLive(GoLive::Full) => (Status::FullRelease, zero),
            Command::GoLive(GoLive::Grayscale(p)) => {
                if p <= facts.percentage || p >= Percentage::FULL {
                    return Err(RefusalReason::PercentageNotIncreasing {
                        current: facts.percentage,
                        requested: p,
                    });
                }
                (Status::GrayscaleRelease, p)
            }
            Command::Cancel => (Status::Canceled, zero),
            // Without a plan (as in these tables), setting one changes nothing else; nor
            // does a guard.
            // Nor (without targeting, as here) removing every rule.
            Command::SetPlan(_) | Command::SetGuard(_) | Command::SetTargeting(None) => {
                (facts.status, facts.percentage)
            }
            Command::SetTargeting(Some(_)) => unreachable!("targeting_tests covers rules"),
            Command::GoLive(GoLive::Plan)
            | Command::RemovePlan
            | Command::Pause
            | Command::Resume
            | Command::PlanStep { .. }
            | Command::WaitForData { .. } => {
                unreachable!("refused without a plan; plan_tests covers plans")
            }
            Command::RemoveGuard | Command::GuardHalt(_) | Command::GuardRollback(_) => {
                unreachable!("refused without a guard or to people; guard_tests covers guards")
            }
        };
        Ok(reached)
    }

    /// What SPEC says `decide(facts, command, actor)` must answer.
    pub fn decide(
        facts: &Facts<'_>,
        command: Command,
        actor: &Actor,
    ) -> Result<Transition, WorkflowError> {
        let action = action_of(&command);
        if !roles_for(action).contains(&role_of(actor)) {
            return Err(WorkflowError::Forbidden {
                role: role_of(actor),
                action,
            });
        }
        // SPEC §10: after approval only an admin may touch targeting.
        let approved = matches!(
            facts.status,
            Status::PilotTesting | Status::ReleasePreparation | Status::GrayscaleRelease
        );
        if action == Action::SetTargeting && approved && role_of(actor) != Role::Admin {
            return Err(WorkflowError::Forbidden {
                role: role_of(actor),
                action,
            });
        }
        let refuse = |reason| {
            WorkflowError::Refused(Refusal {
                action,
                status: facts.status,
                allowed: allowed(facts),
                reason,
            })
        };
        if let Some(reason) = state_refusal(facts, action) {
            return Err(refuse(reason));
        }
        if command == Command::Approve && facts.applied_by == Some(actor.name()) {
            return Err(WorkflowError::SelfApproval);
        }
        let plan = match &command {
            Command::SetPlan(spec) => PlanChange::Set(Plan::pending(spec.clone())),
            _ => PlanChange::Keep,
        };
        let guard = match &command {
            Command::SetGuard(g) => Change::Set(*g),
            _ => Change::Keep,
        };
        let restores = match &command {
            Command::Rollback(_) => facts.restorable,
            _ => None,
        };
        let (to, percentage) = destination(facts, command).map_err(refuse)?;
        // Rule 3: entering full_release archives the previous one; a release back from
        // its offline review never left it.
        let entered_full = facts.status != to && facts.status != Status::OfflineReview;
        Ok(Transition {
            from: facts.status,
            to,
            percentage,
            archives_previous_full: to == Status::FullRelease && entered_full,
            plan,
            guard,
            targeting: Change::Keep,
            restores,
        })
    }

    /// What SPEC says `decide_create` must answer. A refused create reports the status the
    /// release would have started in and, as there is no release yet, no allowed actions.
    pub fn decide_create(
        actor: &Actor,
        env: Env,
        policy: Option<EnvPolicy>,
        existing: Option<ReleaseId>,
        with_test_group: bool,
    ) -> Result<(), WorkflowError> {
        if !roles_for(Action::Create).contains(&role_of(actor)) {
            return Err(WorkflowError::Forbidden {
                role: role_of(actor),
                action: Action::Create,
            });
        }
        let Some(policy) = policy else {
            return Err(WorkflowError::EnvironmentNotConfigured(env));
        };
        if let Some(id) = existing {
            return Err(WorkflowError::AlreadyReleased(id));
        }
        if with_test_group && !policy.pilot_testing {
            return Err(WorkflowError::Refused(Refusal {
                action: Action::Create,
                status: Status::NewVersionCreated,
                allowed: Vec::new(),
                reason: RefusalReason::PilotTestingNotSupported,
            }));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// The actor who applied, in facts that carry an applicant.
const APPLICANT: &str = "alice";
/// Somebody else.
const OTHER: &str = "bob";
/// The id of the other in-flight release, in facts that have one.
const OTHER_RELEASE: ReleaseId = 7;
/// The id of the archived predecessor, in facts that have one.
const PREDECESSOR: ReleaseId = 3;

/// One release target's effective policy, with a label for failure messages.
#[derive(Debug, Clone, Copy)]
struct Target {
    label: &'static str,
    env: Env,
    policy: EnvPolicy,
}

const fn target(label: &'static str, env: Env, approval: Approval, pilot: bool) -> Target {
    Target {
        label,
        env,
        policy: EnvPolicy {
            approval,
            pilot_testing: pilot,
        },
    }
}

const PRODUCTION_PILOT: Target =
    target("production+pilot", Env::Production, Approval::Manual, true);
const PRODUCTION: Target = target("production", Env::Production, Approval::Manual, false);
const SANDBOX_AUTO: Target = target("sandbox auto", Env::Sandbox, Approval::Auto, false);

/// Every policy SPEC §1 allows.
const SPEC_TARGETS: [Target; 8] = [
    PRODUCTION_PILOT,
    PRODUCTION,
    target("sandbox manual+pilot", Env::Sandbox, Approval::Manual, true),
    target("sandbox manual", Env::Sandbox, Approval::Manual, false),
    target("sandbox auto+pilot", Env::Sandbox, Approval::Auto, true),
    SANDBOX_AUTO,
    target("development", Env::Development, Approval::Auto, false),
    target("test", Env::Test, Approval::Auto, false),
];

/// The tables' targets: SPEC's, plus a production policy stored as `auto`, which production
/// must still treat as manual.
fn all_targets() -> Vec<Target> {
    let stored_auto = target("production(auto)", Env::Production, Approval::Auto, false);
    SPEC_TARGETS.into_iter().chain([stored_auto]).collect()
}

fn pct(ppm: u32) -> Percentage {
    Percentage::from_ppm(ppm).expect("percentage fixtures stay within 0..=1_000_000 ppm")
}

fn actor(name: &str, role: Role) -> Actor {
    Actor::person(name, role)
}

/// Every role, as the applicant and as somebody else.
fn all_actors() -> Vec<Actor> {
    Role::ALL
        .into_iter()
        .flat_map(|role| [actor(APPLICANT, role), actor(OTHER, role)])
        .collect()
}

/// The percentages a release in `status` can carry: grayscale from 0 % (right after
/// `complete_testing`) to just below 100 %; zero anywhere else.
fn current_percentages(status: Status) -> Vec<Percentage> {
    match status {
        Status::GrayscaleRelease => [0, 1, 300_000, 999_999].map(pct).to_vec(),
        _ => vec![Percentage::ZERO],
    }
}

/// Grayscale go-live requests around `current`: zero, below, equal, just above, far above,
/// the largest legal share and 100 %.
fn requested_percentages(current: Percentage) -> Vec<Percentage> {
    let c = current.ppm();
    let mut ppms = vec![0, c, 500_000, 999_999, 1_000_000];
    ppms.extend(c.checked_sub(1));
    ppms.extend((c < 1_000_000).then_some(c + 1));
    ppms.sort_unstable();
    ppms.dedup();
    ppms.into_iter().map(pct).collect()
}

/// Every command but grayscale go-live, whose percentage varies.
fn base_commands() -> Vec<Command> {
    let reason = crate::model::Reason::parse("not yet").expect("a reason");
    vec![
        Command::EditConfig(Arc::default()),
        Command::SetTestGroup(Arc::default()),
        Command::Apply,
        Command::Withdraw,
        Command::Approve,
        Command::Reject(reason.clone()),
        Command::CompleteTesting,
        Command::GoLive(GoLive::Full),
        Command::Cancel,
        Command::SetPlan(Arc::new(one_step_plan())),
        Command::RemovePlan,
        Command::Pause,
        Command::Resume,
        Command::SetGuard(a_guard()),
        Command::RemoveGuard,
        Command::SetTargeting(None),
        Command::TakeOffline(reason.clone()),
        Command::Rollback(reason),
    ]
}

/// A valid guard for the tables' `set_guard` commands.
pub(super) fn a_guard() -> crate::model::Guard {
    let json = serde_json::json!({"max_error_rate_increase": 0.01, "min_samples": 100,
        "confidence": 0.95, "on_regression": "rollback"});
    serde_json::from_value(json).expect("a valid guard")
}

/// A valid plan for the tables' `set_plan` commands.
fn one_step_plan() -> crate::model::PlanSpec {
    let json = serde_json::json!({"steps":[{"percentage":5,"hold":"1h"},{"full":true}]});
    serde_json::from_value(json).expect("a valid plan")
}

/// Every command, with go-live as full and as grayscale at each requested percentage.
fn commands(current: Percentage) -> Vec<Command> {
    let grayscale = requested_percentages(current)
        .into_iter()
        .map(|p| Command::GoLive(GoLive::Grayscale(p)));
    base_commands().into_iter().chain(grayscale).collect()
}

/// Every facts combination of the tables: status × percentage × target × another release in
/// flight or not × an applicant or none × an archived predecessor or none.
fn all_facts() -> Vec<(Target, Facts<'static>)> {
    let mut all = Vec::new();
    for status in Status::ALL {
        for percentage in current_percentages(status) {
            for target in all_targets() {
                for other_in_flight in [None, Some(OTHER_RELEASE)] {
                    for (applied_by, restorable) in applicants_and_predecessors() {
                        let facts = Facts {
                            status,
                            env: target.env,
                            percentage,
                            policy: target.policy,
                            applied_by,
                            other_in_flight,
                            plan: None,
                            guard: None,
                            targeting: None,
                            restorable,
                            now: 0,
                        };
                        all.push((target, facts));
                    }
                }
            }
        }
    }
    all
}

/// Every combination of an applicant (or none) and an archived predecessor (or none).
fn applicants_and_predecessors() -> [(Option<&'static str>, Option<ReleaseId>); 4] {
    [
        (None, None),
        (Some(APPLICANT), None),
        (None, Some(PREDECESSOR)),
        (Some(APPLICANT), Some(PREDECESSOR)),
    ]
}

/// Every case of the `decide` table: facts × command × actor.
fn all_cases() -> impl Iterator<Item = (Target, Facts<'static>, Command, Actor)> {
    all_facts().into_iter().flat_map(|(target, facts)| {
        commands(facts.percentage)
            .into_iter()
            .flat_map(move |command| {
                all_actors()
                    .into_iter()
                    .map(move |actor| (target, facts, command.clone(), actor))
            })
    })
}

/// Fails with the first differences when any case of a table went wrong.
fn assert_no_failures(table: &str, cases: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{table}: {} of {cases} cases differ from SPEC; the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Literal examples (independent of the oracle)
// ---------------------------------------------------------------------------------------

fn facts_at(target: Target, status: Status, percentage: Percentage) -> Facts<'static> {
    Facts {
        status,
        env: target.env,
        percentage,
        policy: target.policy,
        applied_by: None,
        other_in_flight: None,
        plan: None,
        guard: None,
        targeting: None,
        restorable: None,
        now: 0,
    }
}

fn transition(from: Status, to: Status, percentage: Percentage, archives: bool) -> Transition {
    Transition {
        from,
        to,
        percentage,
        archives_previous_full: archives,
        plan: PlanChange::Keep,
        guard: Change::Keep,
        targeting: Change::Keep,
        restores: None,
    }
}

#[test]
fn production_walks_review_grayscale_and_full() {
    let prod = PRODUCTION;
    let (dev, reviewer, admin) = (
        actor("dev", Role::Developer),
        actor("rev", Role::Reviewer),
        actor("ops", Role::Admin),
    );
    let new = facts_at(prod, Status::NewVersionCreated, Percentage::ZERO);
    let applied = decide(&new, &Command::Apply, &dev);
    let review = Status::UnderReview;
    assert_eq!(applied, Ok(transition(new.status, review, pct(0), false)));
    let approved = decide(
        &facts_at(prod, review, pct(0)),
        &Command::Approve,
        &reviewer,
    );
    let prep = Status::ReleasePreparation;
    assert_eq!(approved, Ok(transition(review, prep, pct(0), false)));
    let gray = Status::GrayscaleRelease;
    let ten = Command::GoLive(GoLive::Grayscale(pct(100_000)));
    let to_ten = decide(&facts_at(prod, prep, pct(0)), &ten, &admin);
    assert_eq!(to_ten, Ok(transition(prep, gray, pct(100_000), false)));
    let full = decide(
        &facts_at(prod, gray, pct(100_000)),
        &Command::GoLive(GoLive::Full),
        &admin,
    );
    assert_eq!(
        full,
        Ok(transition(gray, Status::FullRelease, pct(0), true))
    );
}

#[test]
fn production_pilot_testing_completes_into_grayscale_at_zero() {
    let prod_pilot = PRODUCTION_PILOT;
    let approved = decide(
        &facts_at(prod_pilot, Status::UnderReview, pct(0)),
        &Command::Approve,
        &actor("rev", Role::Reviewer),
    );
    let pilot = Status::PilotTesting;
    assert_eq!(
        approved,
        Ok(transition(Status::UnderReview, pilot, pct(0), false))
    );
    let completed = decide(
        &facts_at(prod_pilot, pilot, pct(0)),
        &Command::CompleteTesting,
        &actor("ops", Role::Admin),
    );
    let gray = Status::GrayscaleRelease;
    assert_eq!(completed, Ok(transition(pilot, gray, pct(0), false)));
}

#[test]
fn sandbox_auto_without_pilot_applies_straight_to_full() {
    let applied = decide(
        &facts_at(SANDBOX_AUTO, Status::NewVersionCreated, pct(0)),
        &Command::Apply,
        &actor("dev", Role::Developer),
    );
    let expected = transition(Status::NewVersionCreated, Status::FullRelease, pct(0), true);
    assert_eq!(applied, Ok(expected));
}

#[test]
fn the_applicant_may_not_approve() {
    let mut facts = facts_at(PRODUCTION, Status::UnderReview, pct(0));
    facts.applied_by = Some("carol");
    let carol = actor("carol", Role::Reviewer);
    assert_eq!(
        decide(&facts, &Command::Approve, &carol),
        Err(WorkflowError::SelfApproval)
    );
}

#[test]
fn grayscale_never_scales_down_and_cancel_rolls_back() {
    let gray = facts_at(PRODUCTION, Status::GrayscaleRelease, pct(300_000));
    let admin = actor("ops", Role::Admin);
    let down = decide(
        &gray,
        &Command::GoLive(GoLive::Grayscale(pct(200_000))),
        &admin,
    );
    let Err(WorkflowError::Refused(refusal)) = down else {
        panic!("scaling down must be refused, got {down:?}");
    };
    assert_eq!(
        refusal.reason,
        RefusalReason::PercentageNotIncreasing {
            current: pct(300_000),
            requested: pct(200_000)
        }
    );
    assert_eq!(
        refusal.allowed,
        [
            Action::GoLive,
            Action::Cancel,
            Action::SetPlan,
            Action::SetGuard,
            Action::SetTargeting
        ]
    );
    let canceled = decide(&gray, &Command::Cancel, &admin);
    let expected = transition(gray.status, Status::Canceled, pct(0), false);
    assert_eq!(canceled, Ok(expected));
}

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

#[test]
fn decide_matches_spec_for_every_combination() {
    let (mut cases, mut failures) = (0, Vec::new());
    for (target, facts, command, actor) in all_cases() {
        cases += 1;
        let got = decide(&facts, &command, &actor);
        let want = oracle::decide(&facts, command.clone(), &actor);
        if got != want {
            failures.push(format!(
                "[{}] {facts:?} {command:?} by {actor:?}\n  got  {got:?}\n  want {want:?}",
                target.label
            ));
        }
    }
    // (7 statuses + grayscale at 4 percentages) × 9 targets × 2 × 2, × 8 actors × commands.
    assert!(cases > 40_000, "the table shrank to {cases} cases");
    assert_no_failures("decide", cases, &failures);
}

/// A coarse name for an outcome, to check that the table reaches every kind of answer.
fn outcome_kind(outcome: &Result<Transition, WorkflowError>) -> String {
    match outcome {
        Ok(t) => format!("ok {} -> {}", t.from, t.to),
        Err(WorkflowError::Refused(refusal)) => {
            let reason = format!("{:?}", refusal.reason);
            let name = reason.split([' ', '(']).next().unwrap_or_default();
            format!("refused {} {name}", refusal.action)
        }
        Err(WorkflowError::Forbidden { .. }) => "forbidden".to_owned(),
        Err(other) => format!("{other:?}"),
    }
}

#[test]
fn the_table_reaches_every_kind_of_outcome() {
    let seen: std::collections::BTreeSet<String> = all_cases()
        .map(|(_, facts, command, actor)| outcome_kind(&oracle::decide(&facts, command, &actor)))
        .collect();
    let expected = [
        "forbidden",
        "SelfApproval",
        "refused set_test_group PilotTestingNotSupported",
        "refused apply AnotherInFlight",
        "refused go_live ProductionOnly",
        "refused go_live PercentageNotIncreasing",
        "refused cancel WrongStatus",
        "ok new_version_created -> new_version_created",
        "ok new_version_created -> under_review",
        "ok new_version_created -> pilot_testing",
        "ok new_version_created -> full_release",
        "ok under_review -> new_version_created",
        "ok under_review -> pilot_testing",
        "ok under_review -> release_preparation",
        "ok under_review -> full_release",
        "ok pilot_testing -> pilot_testing",
        "ok pilot_testing -> grayscale_release",
        "ok pilot_testing -> full_release",
        "ok pilot_testing -> canceled",
        "ok release_preparation -> grayscale_release",
        "ok release_preparation -> full_release",
        "ok release_preparation -> canceled",
        "ok grayscale_release -> grayscale_release",
        "ok grayscale_release -> full_release",
        "ok grayscale_release -> canceled",
    ];
    for kind in expected {
        assert!(
            seen.contains(kind),
            "no case yields {kind:?}; seen {seen:#?}"
        );
    }
}

#[test]
fn allowed_actions_lists_exactly_what_decide_accepts() {
    for (target, facts) in all_facts() {
        let actors = all_actors();
        let commands = commands(facts.percentage);
        let accepted: Vec<Action> = Action::ALL
            .into_iter()
            .filter(|&action| {
                commands
                    .iter()
                    .filter(|command| command.action() == action)
                    .any(|command| actors.iter().any(|a| decide(&facts, command, a).is_ok()))
            })
            .collect();
        let listed = allowed_actions(&facts);
        assert_eq!(listed, accepted, "[{}] {facts:?}", target.label);
        assert_eq!(
            listed,
            oracle::allowed(&facts),
            "[{}] {facts:?}",
            target.label
        );
    }
}

#[test]
fn decide_create_matches_spec() {
    let (mut cases, mut failures) = (0, Vec::new());
    for env in Env::ALL {
        let configured = all_targets().into_iter().filter(move |t| t.env == env);
        for policy in std::iter::once(None).chain(configured.map(|t| Some(t.policy))) {
            for existing in [None, Some(OTHER_RELEASE)] {
                for with_test_group in [false, true] {
                    for actor in Role::ALL.map(|role| actor(OTHER, role)) {
                        cases += 1;
                        let shape = super::Creation {
                            with_test_group,
                            with_targeting: false,
                        };
                        let got = decide_create(&actor, env, policy, existing, shape);
                        let want =
                            oracle::decide_create(&actor, env, policy, existing, with_test_group);
                        if got != want {
                            failures.push(format!(
                                "{env} {policy:?} existing {existing:?} test group \
                                 {with_test_group} by {actor:?}\n  got  {got:?}\n  want {want:?}"
                            ));
                        }
                    }
                }
            }
        }
    }
    assert_no_failures("decide_create", cases, &failures);
}

#[test]
fn permits_matches_the_role_table() {
    let operations = [
        Operation::Read,
        Operation::PutApp,
        Operation::AddVersion,
        Operation::PlanStep,
        Operation::Suspend,
    ]
    .into_iter()
    .chain(Action::ALL.map(Operation::Release));
    for operation in operations {
        for role in Role::ALL {
            assert_eq!(
                permits(role, operation),
                oracle::may(role, operation),
                "{role} {operation:?}"
            );
        }
    }
    for operation in Action::ALL.map(Operation::Release) {
        assert!(!permits(Role::Viewer, operation), "viewer {operation:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Random histories of one (mini program, release target)
// ---------------------------------------------------------------------------------------

mod sim {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    use super::{SPEC_TARGETS, base_commands, oracle, pct};
    use crate::model::{Actor, Env, EnvPolicy, Percentage, Role, Status};
    use crate::workflow::{
        Command, GoLive, Operation, ReleaseId, Transition, decide, decide_create,
    };

    /// SPEC §2 rule 2's list of in-flight statuses.
    const IN_FLIGHT: [Status; 5] = [
        Status::UnderReview,
        Status::PilotTesting,
        Status::ReleasePreparation,
        Status::GrayscaleRelease,
        Status::OfflineReview,
    ];
    /// Statuses nothing leaves; `archived` is left only by a rollback's restore (§11).
    const FINAL: [Status; 3] = [Status::Canceled, Status::Offline, Status::RolledBack];
    const NAMES: [&str; 3] = ["alice", "bob", "carol"];

    /// One of the policies SPEC §1 allows for `env`.
    fn pick_policy(env: Env, pick: usize) -> EnvPolicy {
        let policies: Vec<EnvPolicy> = SPEC_TARGETS
            .iter()
            .filter(|t| t.env == env)
            .map(|t| t.policy)
            .collect();
        policies[pick % policies.len()]
    }

    #[derive(Debug, Clone)]
    enum Step {
        Create {
            version: u8,
            with_test_group: bool,
            actor: Actor,
        },
        /// An action on an existing release. A `guided` step picks among the commands the
        /// oracle allows now and a role that may perform them, so that histories get past
        /// the first statuses; an unguided one is any command by any actor.
        Act {
            release: usize,
            pick: usize,
            grayscale: Percentage,
            actor: Actor,
            guided: bool,
        },
        /// A reviewer changes the target's policy (within what SPEC §1 allows).
        ChangePolicy(usize),
    }

    #[derive(Debug, Clone, PartialEq)]
    struct Release {
        id: ReleaseId,
        version: u8,
        status: Status,
        percentage: Percentage,
        applied_by: Option<String>,
        /// The release it archived on reaching full (SPEC §11).
        predecessor: Option<ReleaseId>,
    }

    #[derive(Debug)]
    struct Sim {
        env: Env,
        policy: EnvPolicy,
        releases: Vec<Release>,
    }

    impl Sim {
        fn new(env: Env, policy_pick: usize) -> Sim {
            Sim {
                env,
                policy: pick_policy(env, policy_pick),
                releases: Vec::new(),
            }
        }

        fn facts(&self, index: usize) -> crate::workflow::Facts<'_> {
            let release = &self.releases[index];
            let other_in_flight = self
                .releases
                .iter()
                .find(|other| other.id != release.id && IN_FLIGHT.contains(&other.status))
                .map(|other| other.id);
            crate::workflow::Facts {
                status: release.status,
                env: self.env,
                percentage: release.percentage,
                policy: self.policy,
                applied_by: release.applied_by.as_deref(),
                other_in_flight,
                plan: None,
                guard: None,
                targeting: None,
                restorable: release.predecessor.filter(|&p| {
                    self.releases
                        .iter()
                        .any(|r| r.id == p && r.status == Status::Archived)
                }),
                now: 0,
            }
        }

        /// Runs one step, checking the answer against the oracle and the rules against the
        /// releases before and after.
        fn step(&mut self, step: &Step) -> Result<(), TestCaseError> {
            let before = self.releases.clone();
            match step {
                Step::Create {
                    version,
                    with_test_group,
                    actor,
                } => self.create(*version, *with_test_group, actor)?,
                Step::Act {
                    release,
                    pick,
                    grayscale,
                    actor,
                    guided,
                } => {
                    if !self.releases.is_empty() {
                        let index = release % self.releases.len();
                        let (command, actor) =
                            self.choose(index, *pick, *grayscale, actor, *guided);
                        self.act(index, command, &actor)?;
                    }
                }
                Step::ChangePolicy(pick) => self.policy = pick_policy(self.env, *pick),
            }
            self.check_rules(&before)
        }

        fn create(&mut self, version: u8, tg: bool, actor: &Actor) -> Result<(), TestCaseError> {
            let existing = self.releases.iter().find(|r| r.version == version);
            let existing = existing.map(|r| r.id);
            let (env, policy) = (self.env, Some(self.policy));
            let shape = super::Creation {
                with_test_group: tg,
                with_targeting: false,
            };
            let got = decide_create(actor, env, policy, existing, shape);
            let want = oracle::decide_create(actor, env, policy, existing, tg);
            prop_assert_eq!(&got, &want, "create v{} by {:?}", version, actor);
            if got.is_ok() {
                self.releases.push(Release {
                    id: self.releases.len() as ReleaseId + 1,
                    version,
                    status: Status::NewVersionCreated,
                    percentage: Percentage::ZERO,
                    applied_by: None,
                    predecessor: None,
                });
            }
            Ok(())
        }

        /// The command and actor of an `Act` step on release `index`.
        fn choose(
            &self,
            index: usize,
            pick: usize,
            grayscale: Percentage,
            actor: &Actor,
            guided: bool,
        ) -> (Command, Actor) {
            let mut all = base_commands();
            all.push(Command::GoLive(GoLive::Grayscale(grayscale)));
            let allowed = oracle::allowed(&self.facts(index));
            let guided_commands: Vec<Command> = all
                .iter()
                .filter(|c| allowed.contains(&oracle::action_of(c)))
                .cloned()
                .collect();
            if !guided || guided_commands.is_empty() {
                return (all[pick % all.len()].clone(), actor.clone());
            }
            let command = guided_commands[pick % guided_commands.len()].clone();
            let operation = Operation::Release(oracle::action_of(&command));
            let roles: Vec<Role> = Role::ALL
                .into_iter()
                .filter(|&role| oracle::may(role, operation))
                .collect();
            let actor = Actor::person(actor.name(), roles[pick % roles.len()]);
            (command, actor)
        }

        fn act(
            &mut self,
            index: usize,
            command: Command,
            actor: &Actor,
        ) -> Result<(), TestCaseError> {
            let facts = self.facts(index);
            let got = decide(&facts, &command, actor);
            let want = oracle::decide(&facts, command.clone(), actor);
            prop_assert_eq!(&got, &want, "{:?} {:?} by {:?}", facts, command, actor);
            if FINAL.contains(&facts.status) {
                prop_assert!(got.is_err(), "{:?} accepted from {:?}", command, facts);
            }
            if let Ok(transition) = got {
                self.commit(index, transition, actor);
            }
            Ok(())
        }

        /// Applies an accepted transition as the control plane would, in one step.
        fn commit(&mut self, index: usize, transition: Transition, actor: &Actor) {
            let mut archived = None;
            for (i, release) in self.releases.iter_mut().enumerate() {
                if transition.archives_previous_full
                    && i != index
                    && release.status == Status::FullRelease
                {
                    release.status = Status::Archived;
                    archived = Some(release.id);
                }
                if Some(release.id) == transition.restores {
                    release.status = Status::FullRelease;
                }
            }
            let release = &mut self.releases[index];
            release.status = transition.to;
            release.percentage = transition.percentage;
            release.predecessor = archived.or(release.predecessor);
            // `apply` and `take_offline` start reviews; the applicant matters only there.
            release.applied_by = transition.to.is_review().then(|| actor.name().to_owned());
        }

        /// SPEC §2's rules, over the whole target and per release.
        fn check_rules(&self, before: &[Release]) -> Result<(), TestCaseError> {
            let count = |statuses: &[Status]| {
                self.releases
                    .iter()
                    .filter(|r| statuses.contains(&r.status))
                    .count()
            };
            prop_assert!(count(&IN_FLIGHT) <= 1, "rule 2: {:?}", self.releases);
            prop_assert!(
                count(&[Status::FullRelease]) <= 1,
                "rule 3: {:?}",
                self.releases
            );
            let mut versions: Vec<u8> = self.releases.iter().map(|r| r.version).collect();
            versions.sort_unstable();
            versions.dedup();
            prop_assert_eq!(versions.len(), self.releases.len(), "rule 1");
            for release in &self.releases {
                let grayscale = release.status == Status::GrayscaleRelease;
                prop_assert!(
                    !grayscale || self.env == Env::Production,
                    "rule 4: {:?}",
                    release
                );
                if !grayscale {
                    prop_assert_eq!(release.percentage, Percentage::ZERO, "{:?}", release);
                }
            }
            for (old, new) in before.iter().zip(&self.releases) {
                check_release_change(old, new)?;
            }
            // SPEC §11: a rollback and its restore happen in the same step, never apart.
            let moved = |from: Status, to: Status| {
                before
                    .iter()
                    .zip(&self.releases)
                    .filter(|(o, n)| o.status == from && n.status == to)
                    .count()
            };
            prop_assert_eq!(
                moved(Status::FullRelease, Status::RolledBack),
                moved(Status::Archived, Status::FullRelease),
                "rollback without its restore: {:?} -> {:?}",
                before,
                self.releases
            );
            Ok(())
        }
    }

    /// Rules about one release's change over one step.
    fn check_release_change(old: &Release, new: &Release) -> Result<(), TestCaseError> {
        if FINAL.contains(&old.status) {
            prop_assert_eq!(old, new, "a final status changed");
        }
        if old.status == Status::GrayscaleRelease && new.status == Status::GrayscaleRelease {
            prop_assert!(new.percentage >= old.percentage, "{:?} -> {:?}", old, new);
        }
        if new.status == Status::Archived && old.status != Status::Archived {
            prop_assert_eq!(old.status, Status::FullRelease, "archived from {:?}", old);
        }
        if old.status == Status::Archived && new.status != Status::Archived {
            prop_assert_eq!(new.status, Status::FullRelease, "restored to {:?}", new);
        }
        if new.status == Status::RolledBack && old.status != Status::RolledBack {
            prop_assert_eq!(
                old.status,
                Status::FullRelease,
                "rolled back from {:?}",
                old
            );
        }
        Ok(())
    }

    fn actor_strategy() -> impl Strategy<Value = Actor> {
        (0..NAMES.len(), 0..Role::ALL.len())
            .prop_map(|(name, role)| Actor::person(NAMES[name], Role::ALL[role]))
    }

    fn percentage_strategy() -> impl Strategy<Value = Percentage> {
        prop_oneof![Just(0), 1..1_000u32, 1..1_000_000u32, Just(1_000_000)].prop_map(pct)
    }

    fn step_strategy() -> impl Strategy<Value = Step> {
        let create = (0..6u8, any::<bool>(), actor_strategy()).prop_map(
            |(version, with_test_group, actor)| Step::Create {
                version,
                with_test_group,
                actor,
            },
        );
        let guided = prop::bool::weighted(0.8);
        let act = (
            any::<usize>(),
            any::<usize>(),
            percentage_strategy(),
            actor_strategy(),
            guided,
        )
            .prop_map(|(release, pick, grayscale, actor, guided)| Step::Act {
                release,
                pick,
                grayscale,
                actor,
                guided,
            });
        let change_policy = any::<usize>().prop_map(Step::ChangePolicy);
        prop_oneof![2 => create, 12 => act, 1 => change_policy]
    }

    fn env_strategy() -> impl Strategy<Value = Env> {
        prop::sample::select(Env::ALL.to_vec())
    }

    proptest! {
        // A failing history is kept in src/workflow/tests.proptest-regressions and
        // replayed first on every later run.
        #![proptest_config(ProptestConfig {
            cases: 1024,
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::SourceParallel(
                    "proptest-regressions",
                ),
            )),
            ..ProptestConfig::default()
        })]

        #[test]
        fn random_histories_keep_the_spec_rules(
            env in env_strategy(),
            policy_pick in any::<usize>(),
            steps in vec(step_strategy(), 1..200),
        ) {
            let mut sim = Sim::new(env, policy_pick);
            for step in &steps {
                sim.step(step)?;
            }
        }
    }
}
