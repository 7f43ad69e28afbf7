//! SPEC §10's workflow rule against `decide`, over every status × env × actor × change:
//! targeting changes freely before review (developers and admins), is locked under
//! review, and after approval an admin may only remove whole rules. The oracle restates
//! the rule in its own words; outcomes are compared exactly, refusals by reason.

use std::sync::Arc;

use super::*;
use crate::model::Approval;

fn targeting(rules: serde_json::Value) -> Arc<Targeting> {
    let t: Targeting =
        serde_json::from_value(serde_json::json!({ "rules": rules })).expect("valid targeting");
    Arc::new(t)
}

fn os() -> serde_json::Value {
    serde_json::json!({"attribute": "os", "op": "in", "values": ["android", "harmonyos"]})
}

fn version() -> serde_json::Value {
    serde_json::json!({"attribute": "app_version", "op": "version_gte", "value": "10.2"})
}

fn region() -> serde_json::Value {
    serde_json::json!({"attribute": "region", "op": "starts_with", "value": "cn-"})
}

/// The release's current targeting (os, then version) and the changes asked for, each
/// with whether it only removes whole rules of the current one.
fn changes() -> Vec<(&'static str, Option<Arc<Targeting>>, bool)> {
    let other_os = serde_json::json!({"attribute": "os", "op": "in", "values": ["android"]});
    vec![
        ("remove every rule", None, true),
        (
            "remove the version rule",
            Some(targeting(serde_json::json!([os()]))),
            true,
        ),
        (
            "remove the os rule",
            Some(targeting(serde_json::json!([version()]))),
            true,
        ),
        (
            "keep both",
            Some(targeting(serde_json::json!([os(), version()]))),
            true,
        ),
        (
            "add a rule",
            Some(targeting(serde_json::json!([os(), version(), region()]))),
            false,
        ),
        (
            "narrow a rule",
            Some(targeting(serde_json::json!([other_os, version()]))),
            false,
        ),
        (
            "reorder",
            Some(targeting(serde_json::json!([version(), os()]))),
            false,
        ),
    ]
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Done(Change<Arc<Targeting>>),
    Forbidden,
    Refused(RefusalReason),
}

fn oracle(
    status: Status,
    env: Env,
    role: Role,
    to: &Option<Arc<Targeting>>,
    removal: bool,
) -> Outcome {
    use Status::*;
    let approved = matches!(status, PilotTesting | ReleasePreparation | GrayscaleRelease);
    let open = approved || matches!(status, NewVersionCreated | UnderReview);
    if !matches!(role, Role::Developer | Role::Admin) || (approved && role != Role::Admin) {
        return Outcome::Forbidden;
    }
    if !open {
        return Outcome::Refused(RefusalReason::WrongStatus);
    }
    if env != Env::Production {
        return Outcome::Refused(RefusalReason::ProductionOnly);
    }
    if status == UnderReview || (approved && !removal) {
        return Outcome::Refused(RefusalReason::TargetingLocked);
    }
    Outcome::Done(match to {
        Some(t) => Change::Set(Arc::clone(t)),
        None => Change::Remove,
    })
}

fn actual(f: &Facts<'_>, to: &Option<Arc<Targeting>>, role: Role) -> Outcome {
    let actor = Actor::person("someone", role);
    match decide(f, &Command::SetTargeting(to.clone()), &actor) {
        Ok(t) => Outcome::Done(t.targeting),
        Err(WorkflowError::Forbidden { .. }) => Outcome::Forbidden,
        Err(WorkflowError::Refused(r)) => Outcome::Refused(r.reason),
        Err(other) => panic!("unexpected {other:?}"),
    }
}

/// A release of a target with pilot testing, without plan or guard.
fn facts(status: Status, env: Env, targeting: Option<&Targeting>) -> Facts<'_> {
    Facts {
        status,
        env,
        percentage: Percentage::ZERO,
        policy: EnvPolicy {
            approval: Approval::Manual,
            pilot_testing: true,
        },
        applied_by: None,
        other_in_flight: None,
        plan: None,
        guard: None,
        targeting,
        restorable: None,
        now: 0,
    }
}

#[test]
fn targeting_changes_follow_the_approval_in_every_case() {
    let current = targeting(serde_json::json!([os(), version()]));
    let mut cases = 0;
    for status in Status::ALL {
        for env in [Env::Production, Env::Sandbox] {
            let f = facts(status, env, Some(&current));
            for role in [Role::Viewer, Role::Developer, Role::Admin, Role::Reviewer] {
                for (what, to, removal) in changes() {
                    cases += 1;
                    let want = oracle(status, env, role, &to, removal);
                    let got = actual(&f, &to, role);
                    assert_eq!(got, want, "{status} {env} {role:?}: {what}");
                }
            }
        }
    }
    assert_eq!(cases, Status::ALL.len() * 2 * 4 * 7);
}

#[test]
fn a_release_without_targeting_gets_it_only_before_review() {
    let f = |status| facts(status, Env::Production, None);
    let admin = Actor::person("ops", Role::Admin);
    let set = Command::SetTargeting(Some(targeting(serde_json::json!([os()]))));
    let before = decide(&f(Status::NewVersionCreated), &set, &admin).map(|t| t.targeting);
    assert!(matches!(before, Ok(Change::Set(_))));
    let after = decide(&f(Status::GrayscaleRelease), &set, &admin);
    assert!(matches!(
        after,
        Err(WorkflowError::Refused(Refusal {
            reason: RefusalReason::TargetingLocked,
            ..
        }))
    ));
    let clear = Command::SetTargeting(None);
    let noop = decide(&f(Status::GrayscaleRelease), &clear, &admin).map(|t| t.targeting);
    assert_eq!(noop, Ok(Change::Keep), "removing nothing changes nothing");
}

#[test]
fn targeting_at_create_is_production_only() {
    let dev = Actor::person("dev", Role::Developer);
    let policy = Some(EnvPolicy {
        approval: Approval::Manual,
        pilot_testing: true,
    });
    let shape = Creation {
        with_test_group: false,
        with_targeting: true,
    };
    assert_eq!(
        decide_create(&dev, Env::Production, policy, None, shape),
        Ok(())
    );
    let refused = decide_create(&dev, Env::Sandbox, policy, None, shape);
    assert!(matches!(
        refused,
        Err(WorkflowError::Refused(Refusal {
            reason: RefusalReason::ProductionOnly,
            ..
        }))
    ));
}
