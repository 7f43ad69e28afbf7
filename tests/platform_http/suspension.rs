//! SPEC §11 "Suspension by the super app": a reviewer stops a mini program in every
//! environment of a target app at once, whatever its releases' statuses; lifting it gives
//! every user exactly what they got before; refusals change nothing; suspensions are
//! durable across SIGKILL and shared by the nodes of one Redis.

use serde_json::{Value, json};

use crate::common::{Namespace, StoreSpec, Who, redis_url};
use crate::suspension_support::*;

/// Every (env, answers of [`MP`]) of [`APP`].
fn every_answer(gw: &crate::common::Gateway) -> Vec<(&'static str, Vec<(u16, Value)>)> {
    ENVS.iter()
        .map(|env| (*env, answers(gw, APP, env, MP)))
        .collect()
}

#[test]
fn a_suspension_stops_every_environment_and_lifting_restores_every_answer() {
    let gw = gateway(StoreSpec::Embedded);
    seed(&gw);
    let before = every_answer(&gw);
    let channels: Vec<&str> = before[3]
        .1
        .iter()
        .filter_map(|(_, b)| b["channel"].as_str())
        .collect();
    for channel in ["pilot", "grayscale", "full"] {
        assert!(
            channels.contains(&channel),
            "production serves {channel}: {channels:?}"
        );
    }
    assert!(
        before.iter().all(|(_, a)| a.iter().all(|(s, _)| *s == 200)),
        "{before:?}"
    );
    let bystander = answers(&gw, APP, "development", BYSTANDER);
    let other_app = answers(&gw, OTHER_APP, "development", MP);
    let records = releases_and_histories(&gw);
    let revision = gw.revision();

    let suspended = suspend(&gw, "  payment fraud reported  ");
    assert_eq!(suspended["mini_program"], MP);
    assert_eq!(
        suspended["reason"], "payment fraud reported",
        "trimmed, never cut"
    );
    assert_eq!(suspended["by"], Who::Reviewer.name());
    assert_eq!(suspended["revision"], revision + 1, "one accepted action");
    assert_eq!(gw.revision(), revision + 1);
    for env in ENVS {
        assert_suspended(&gw, APP, env);
    }
    assert_eq!(
        answers(&gw, APP, "development", BYSTANDER),
        bystander,
        "same app, other mini program"
    );
    assert_eq!(
        answers(&gw, OTHER_APP, "development", MP),
        other_app,
        "same mini program, other app"
    );
    for env in ENVS {
        let listed = batch(&gw, env, PILOT, Some(&[MP, BYSTANDER]));
        assert_eq!(result_of(&listed, MP), Some(Value::Null), "{env}: {listed}");
        let all = batch(&gw, env, PILOT, None);
        assert_eq!(
            result_of(&all, MP),
            Some(Value::Null),
            "{env}, mini_programs omitted: listed as null so clients drop it: {all}"
        );
        assert_eq!(all["revision"], revision + 1);
    }
    let all = batch(&gw, "development", "user-1", None);
    assert_eq!(all["results"][BYSTANDER]["version"], "1.0.0", "{all}");
    let explain = crate::common::query(&[
        ("app", APP),
        ("env", "production"),
        ("mini_program", MP),
        ("user", PILOT),
    ]);
    let explained = gw
        .get(Who::Viewer, &format!("/v1/admin/explain?{explain}"))
        .expect(200);
    assert_eq!(explained.body["outcome"], "suspended", "{}", explained.text);
    assert_eq!(explained.body["decision"], Value::Null);

    assert_eq!(
        releases_and_histories(&gw),
        records,
        "releases keep their status and history"
    );
    let listed = suspensions(&gw, APP);
    assert_eq!(listed, json!({ "suspensions": [suspended.clone()] }));
    assert_eq!(suspensions(&gw, OTHER_APP), json!({ "suspensions": [] }));

    let lifted = lift_as(&gw, Who::Reviewer2, (APP, MP)).expect(200).body;
    assert_eq!(lifted["lifted"], suspended, "what was lifted");
    assert_eq!(lifted["by"], Who::Reviewer2.name());
    assert_eq!(lifted["revision"], revision + 2);
    assert_eq!(every_answer(&gw), before, "exactly the previous answers");
    assert_eq!(releases_and_histories(&gw), records);
    assert_eq!(suspensions(&gw, APP), json!({ "suspensions": [] }));
    let events = suspension_history(&gw);
    let summary: Vec<(Value, Value, Value, Value)> = events
        .iter()
        .map(|e| {
            (
                e["action"].clone(),
                e["actor"].clone(),
                e["reason"].clone(),
                e["revision"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                json!("suspend"),
                json!(Who::Reviewer.name()),
                json!("payment fraud reported"),
                json!(revision + 1)
            ),
            (
                json!("unsuspend"),
                json!(Who::Reviewer2.name()),
                json!("payment fraud reported"),
                json!(revision + 2)
            ),
        ]
    );
    assert_eq!(events[0]["at"], suspended["at"]);
}

/// A request refused for who asks or what it carries commits nothing: no revision, no
/// suspension, no event, and resolves unchanged.
#[test]
fn refusals_answer_why_and_change_nothing() {
    let gw = gateway(StoreSpec::Embedded);
    seed(&gw);
    let before = every_answer(&gw);
    let revision = gw.revision();
    let reason = json!({"reason": "stop"});
    for who in [Who::Viewer, Who::Developer, Who::Admin] {
        suspend_with(&gw, who, (APP, MP), &reason).expect_error(403, "forbidden");
    }
    let too_long = "x".repeat(1001);
    let bad_bodies = [
        (json!({}), "reason"),
        (json!({"reason": ""}), "reason"),
        (json!({"reason": "   "}), "reason"),
        (json!({"reason": too_long}), "reason"),
        (json!({"reason": 7}), "reason"),
        (json!({"reason": "stop", "until": "tomorrow"}), "until"),
    ];
    for (body, field) in bad_bodies {
        let reply = suspend_with(&gw, Who::Reviewer, (APP, MP), &body).expect(400);
        let message = reply.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(message.contains(field), "{body}: names {field}: {message}");
    }
    let reply = gw
        .admin("PUT", &suspension_path(APP, MP))
        .by(Who::Reviewer)
        .body("[\"stop\"]")
        .send();
    reply.expect(400);
    suspend_with(&gw, Who::Reviewer, (APP, "mp-walet"), &reason)
        .expect_error(404, "mini_program_not_found");
    suspend_with(&gw, Who::Reviewer, ("superapp-x", MP), &reason)
        .expect_error(404, "app_not_found");
    lift_as(&gw, Who::Reviewer, (APP, MP)).expect_error(404, "not_suspended");
    assert_eq!(gw.revision(), revision, "nothing committed");
    assert_eq!(suspensions(&gw, APP), json!({ "suspensions": [] }));
    assert_eq!(suspension_history(&gw), Vec::<Value>::new());
    assert_eq!(every_answer(&gw), before);

    // 1,000 characters is the limit, counted as characters: 1,000 CJK ones are 3,000 bytes.
    let longest = "停".repeat(1000);
    let suspended = suspend(&gw, &longest);
    assert_eq!(suspended["reason"], longest.as_str());
    suspend_with(&gw, Who::Reviewer2, (APP, MP), &reason).expect_error(409, "already_suspended");
    for who in [Who::Viewer, Who::Developer, Who::Admin] {
        lift_as(&gw, who, (APP, MP)).expect_error(403, "forbidden");
    }
    assert_eq!(gw.revision(), revision + 1);
    assert_eq!(suspensions(&gw, APP)["suspensions"], json!([suspended]));
    assert_eq!(suspension_history(&gw).len(), 1);
}

/// Acknowledged suspensions and lifts survive SIGKILL; the restarted gateway answers as
/// the old one did.
#[test]
fn suspensions_and_lifts_survive_sigkill() {
    let mut gw = gateway(StoreSpec::Embedded);
    seed(&gw);
    let before = every_answer(&gw);
    let suspended = suspend(&gw, "incident 42");
    gw.kill9();
    gw.restart();
    for env in ENVS {
        assert_suspended(&gw, APP, env);
    }
    assert_eq!(suspensions(&gw, APP), json!({ "suspensions": [suspended] }));
    let revision = gw.revision();
    lift_as(&gw, Who::Reviewer, (APP, MP)).expect(200);
    gw.kill9();
    gw.restart();
    assert_eq!(gw.revision(), revision + 1);
    assert_eq!(every_answer(&gw), before);
    assert_eq!(suspensions(&gw, APP), json!({ "suspensions": [] }));
    let actions: Vec<Value> = suspension_history(&gw)
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(actions, vec![json!("suspend"), json!("unsuspend")]);
}

/// Two nodes on one Redis: a suspension made on one is answered by both at the same
/// revision, and a lift made on the other restores both.
#[test]
fn two_nodes_on_one_redis_answer_suspended_at_the_same_revision() {
    let Some(url) = redis_url("two_nodes_on_one_redis_answer_suspended_at_the_same_revision")
    else {
        return;
    };
    let ns = Namespace::fresh(&url, "platform-suspension");
    // A minute between revision checks: only pub/sub carries the change in time.
    let a = gateway(StoreSpec::Section(ns.store_section(60.0)));
    let b = gateway(StoreSpec::Section(ns.store_section(60.0)));
    seed(&a);
    let deadline = std::time::Duration::from_secs(5);
    let in_step = |what: &str| {
        let target = ns.revision();
        crate::common::eventually(what, deadline, || {
            (a.revision() == target && b.revision() == target).then_some(target)
        })
        .0
    };
    in_step("both nodes seeded");
    let before = every_answer(&b);
    let suspended = suspend(&a, "fraud");
    let revision = in_step("both nodes have the suspension");
    assert_eq!(suspended["revision"], revision);
    for node in [&a, &b] {
        for env in ENVS {
            assert_suspended(node, APP, env);
            let all = batch(node, env, PILOT, None);
            assert_eq!(
                (all["revision"].clone(), result_of(&all, MP)),
                (json!(revision), Some(Value::Null))
            );
        }
        assert_eq!(
            suspensions(node, APP),
            json!({ "suspensions": [suspended.clone()] })
        );
    }
    lift_as(&b, Who::Reviewer2, (APP, MP)).expect(200);
    in_step("both nodes have the lift");
    assert_eq!(every_answer(&a), before);
    assert_eq!(every_answer(&b), before);
    assert_eq!(suspension_history(&a), suspension_history(&b));
}
