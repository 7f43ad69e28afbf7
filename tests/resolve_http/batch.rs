//! `POST /v1/resolve`: a list of mini programs, or every mini program of the target,
//! each entry equal to the single resolve for the same user; and its limit.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::checks::*;
use crate::common::{Gateway, Reply};
use crate::support::*;

const TARGET: (&str, &str) = (APP, PROD);

/// `POST /v1/resolve` with any JSON body.
fn batch(gw: &Gateway, body: &Value) -> Reply {
    gw.client("POST", "/v1/resolve").json(body).send()
}

/// A batch for `user` of (app, env), with `mini_programs` when given.
#[track_caller]
fn batch_for(gw: &Gateway, (app, env): (&str, &str), user: &str, list: Option<&[&str]>) -> Value {
    let mut body = json!({ "app": app, "env": env, "user": user });
    if let Some(list) = list {
        body["mini_programs"] = json!(list);
    }
    let reply = batch(gw, &body).expect(200);
    assert_eq!(
        reply.body["revision"],
        gw.revision(),
        "batch at the served revision: {}",
        reply.text
    );
    assert!(reply.body["results"].is_object(), "{}", reply.text);
    reply.body
}

/// Each entry of `results` is what `GET /v1/resolve` answers the same user: the same
/// body, or `null` where the single resolve is 404 `not_released`.
#[track_caller]
fn assert_entries_match_singles(gw: &Gateway, target: (&str, &str), user: &str, results: &Value) {
    let entries = results.as_object().expect("results is an object");
    for (mp, entry) in entries {
        match resolved(gw, target, mp, user) {
            Some(single) => assert_eq!(entry, &single.body, "{mp} for {user:?}"),
            None => assert!(entry.is_null(), "{mp} for {user:?} is 404 alone: {entry}"),
        }
    }
}

fn keys(results: &Value) -> BTreeSet<String> {
    results
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Mini programs on channels full, grayscale and pilot in production of [`APP`], one
/// only in development, one only in production of [`OTHER_APP`]: a list (with an
/// unreleased mini program and a duplicate) and no list both answer per user exactly
/// what the single resolve does; other targets' mini programs are null or absent.
#[test]
fn batch_answers_each_mini_program_like_a_single_resolve() {
    let gw = gateway();
    released_full(&gw, "mp-a", "1.0.0", TARGET);
    released_full(&gw, "mp-b", "1.0.0", TARGET);
    let gray = create(
        &gw,
        "mp-b",
        "2.0.0",
        TARGET,
        json!({ "test_group": ["pilot-1"] }),
    );
    gray.to_grayscale(50.0);
    released_full(&gw, "mp-dev-only", "1.0.0", (APP, DEV));
    released_full(&gw, "mp-other-app", "1.0.0", (OTHER_APP, PROD));
    released_full(&gw, "mp-c", "1.0.0", TARGET);

    let list = ["mp-b", "mp-never", "mp-a", "mp-dev-only", "mp-b"];
    let mut channels = BTreeSet::new();
    for user in users("user", 30)
        .iter()
        .map(String::as_str)
        .chain(["pilot-1"])
    {
        let listed = batch_for(&gw, TARGET, user, Some(&list));
        let results = &listed["results"];
        assert_eq!(
            keys(results),
            set(&["mp-a", "mp-b", "mp-never", "mp-dev-only"])
        );
        assert!(results["mp-never"].is_null() && results["mp-dev-only"].is_null());
        assert_entries_match_singles(&gw, TARGET, user, results);
        channels.insert(
            results["mp-b"]["channel"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );

        let all = batch_for(&gw, TARGET, user, None);
        assert_eq!(
            keys(&all["results"]),
            set(&["mp-a", "mp-b", "mp-c"]),
            "{user:?}"
        );
        assert_entries_match_singles(&gw, TARGET, user, &all["results"]);
    }
    assert_eq!(
        channels,
        set(&["pilot", "grayscale", "full"]),
        "mp-b covered every channel"
    );
}

/// A batch covers only its own release target: development and the other app see
/// their own mini programs, never production's of [`APP`]; an empty list is empty.
#[test]
fn batch_covers_only_its_own_target() {
    let gw = gateway();
    released_full(&gw, "mp-a", "1.0.0", TARGET);
    released_full(&gw, "mp-dev-only", "1.0.0", (APP, DEV));
    released_full(&gw, "mp-other-app", "1.0.0", (OTHER_APP, PROD));
    let dev = batch_for(&gw, (APP, DEV), "user-1", None);
    assert_eq!(keys(&dev["results"]), set(&["mp-dev-only"]));
    assert_entries_match_singles(&gw, (APP, DEV), "user-1", &dev["results"]);
    let other = batch_for(
        &gw,
        (OTHER_APP, PROD),
        "user-1",
        Some(&["mp-other-app", "mp-a"]),
    );
    assert!(other["results"]["mp-a"].is_null(), "{other}");
    assert_entries_match_singles(&gw, (OTHER_APP, PROD), "user-1", &other["results"]);
    let empty = batch_for(&gw, TARGET, "user-1", Some(&[]));
    assert_eq!(empty["results"], json!({}));
}

/// Targets with nothing released: unknown apps, environments the app does not have and
/// released-to-nobody-yet targets answer 200 with empty or all-null results.
#[test]
fn batch_for_targets_without_releases_is_empty_or_null() {
    let gw = gateway();
    released_full(&gw, MP, "1.0.0", TARGET);
    for target in [("superapp-zz", PROD), (APP, "sandbox"), (OTHER_APP, "test")] {
        let all = batch_for(&gw, target, "user-1", None);
        assert_eq!(all["results"], json!({}), "{target:?}");
        let listed = batch_for(&gw, target, "user-1", Some(&[MP]));
        assert_eq!(listed["results"], json!({ MP: null }), "{target:?}");
    }
}

/// With `[limits] max_batch = 5`, five mini programs are answered and six are a 400.
#[test]
fn batch_limit_is_enforced_with_a_json_error() {
    let gw = Gateway::start(options().extra_toml("[limits]\nmax_batch = 5"));
    released_full(&gw, MP, "1.0.0", TARGET);
    let names: Vec<String> = (0..6).map(|i| format!("mp-{i}")).collect();
    let mut five: Vec<&str> = names.iter().take(4).map(String::as_str).collect();
    five.push(MP);
    let ok = batch_for(&gw, TARGET, "user-1", Some(&five));
    assert_eq!(keys(&ok["results"]).len(), 5);
    assert_entries_match_singles(&gw, TARGET, "user-1", &ok["results"]);
    let six: Vec<&str> = names.iter().map(String::as_str).collect();
    let body = json!({ "app": APP, "env": PROD, "user": "user-1", "mini_programs": six });
    bad_request(batch(&gw, &body));
    // The limit is on the list; a target's full list is answered whatever its size.
    for name in &names {
        released_full(&gw, name, "1.0.0", TARGET);
    }
    let all = batch_for(&gw, TARGET, "user-1", None);
    assert_eq!(keys(&all["results"]).len(), 7);
}

/// Malformed batches are 400 JSON errors: not JSON, not an object, wrong types, missing
/// or unknown fields, bad ids, unknown environment, bad user ids.
#[test]
fn malformed_batches_are_400() {
    let gw = gateway();
    released_full(&gw, MP, "1.0.0", TARGET);
    for raw in [
        "",
        "{",
        "not json",
        "[]",
        "null",
        "\"app\"",
        "{\"app\":\"superapp-a\",}",
    ] {
        bad_request(
            gw.client("POST", "/v1/resolve")
                .header("content-type", "application/json")
                .body(raw)
                .send(),
        );
    }
    let good = json!({ "app": APP, "env": PROD, "user": "user-1", "mini_programs": [MP] });
    let long_user = "u".repeat(257);
    let changes: Vec<(&str, Value)> = vec![
        ("app", Value::Null),
        ("env", Value::Null),
        ("user", Value::Null),
        ("app", json!(7)),
        ("env", json!(["production"])),
        ("user", json!(42)),
        ("user", json!({ "id": "user-1" })),
        ("mini_programs", json!(MP)),
        ("mini_programs", json!([1, 2])),
        ("mini_programs", json!([MP, null])),
        ("mini_programs", json!({ MP: true })),
        ("app", json!("-bad")),
        ("app", json!("")),
        ("env", json!("staging")),
        ("env", json!("")),
        ("mini_programs", json!(["mp/../x"])),
        ("mini_programs", json!([""])),
        ("user", json!("")),
        ("user", json!(long_user)),
        ("user", json!("bad\u{0}user")),
        ("user", json!("line\nbreak")),
        ("extra", json!(true)),
    ];
    for (field, value) in changes {
        let mut body = good.clone();
        match value {
            Value::Null => drop(body.as_object_mut().and_then(|o| o.remove(field))),
            value => body[field] = value,
        }
        let reply = batch(&gw, &body);
        assert_eq!(reply.status, 400, "{body}: {}", reply.text);
        bad_request(reply);
    }
    batch(&gw, &good).expect(200);
}
