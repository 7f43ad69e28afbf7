//! `graygate release targeting`, `release create --targeting-rule` and `graygate explain
//! --attr` (SPEC §10) against the real gateway.

use std::process::{Command, Output};

use serde_json::{Value, json};

use super::plan::{line, show};
use super::{
    ADM, BIN, DEV, Gateway, REV, assert_fails_with, clean, id_of, start_gateway, stderr, stdout,
};

/// The values of every `targeting` line of `release show` or `explain`, in order.
fn targeting_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("targeting"))
        .map(|rest| rest.trim().to_string())
        .collect()
}

/// The cells of a `targeting` line of explain: columns are two or more spaces apart.
fn cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// `graygate explain` for mp-coupons on superapp-a/production, user `user`, with `args`.
fn explain(gw: &Gateway, user: &str, args: &[&str]) -> Output {
    let route = [
        "explain",
        "--app",
        "superapp-a",
        "--env",
        "production",
        "--mini-program",
        "mp-coupons",
        "--user",
        user,
    ];
    gw.graygate(Some(ADM), &[&route[..], args].concat())
}

#[test]
fn rules_are_set_shown_and_cleared_before_review() {
    let gw = start_gateway();
    let id = id_of(&gw.create("6.0.0", "production", &[]));
    assert_eq!(line(&show(&gw, &id), "targeting"), None);

    let rules = [
        "--rule",
        "os in android,harmonyos",
        "--rule",
        "app_version >= 10.2",
    ];
    let set = gw.release(Some(DEV), &[&["targeting", &id][..], &rules].concat());
    assert!(set.status.success(), "{}", stderr(&set));
    // Like every write, the command prints the release as it is now.
    let printed = stdout(&set);
    let expected = ["os in android,harmonyos", "app_version >= 10.2"];
    assert_eq!(targeting_lines(&printed), expected, "{printed}");
    assert_eq!(line(&printed, "release"), Some(id.as_str()), "{printed}");
    assert_eq!(targeting_lines(&show(&gw, &id)), expected);
    let json = gw.json(ADM, &["show", &id]);
    assert_eq!(
        json["targeting"]["rules"][1],
        json!({"attribute": "app_version", "op": "version_gte", "value": "10.2"})
    );

    let cleared = gw.json(DEV, &["targeting", &id, "--clear"]);
    assert_eq!(cleared["targeting"], Value::Null);
    assert!(targeting_lines(&show(&gw, &id)).is_empty());

    let file = gw.write(
        "targeting.json",
        r#"{"rules":[{"attribute":"device_model","op":"in","values":["a,b"]}]}"#,
    );
    let from_file = gw.json(DEV, &["targeting", &id, "--json-file", &file]);
    assert_eq!(from_file["targeting"]["rules"][0]["values"], json!(["a,b"]));
}

#[test]
fn bad_rules_and_attributes_fail_in_the_cli_before_any_request() {
    let gw = start_gateway();
    let id = id_of(&gw.create("6.1.0", "production", &[]));
    // An admin URL nobody listens on: a request would fail with "cannot reach".
    let offline = |args: &[&str]| {
        let mut command = Command::new(BIN);
        clean(&mut command)
            .args(args)
            .env("GRAYGATE_ADMIN_URL", "http://127.0.0.1:1")
            .env("GRAYGATE_TOKEN", ADM)
            .output()
            .expect("run graygate")
    };
    let squashed = offline(&["release", "targeting", &id, "--rule", "app_version>=10.2"]);
    assert_eq!(squashed.status.code(), Some(2), "{}", stderr(&squashed));
    assert_fails_with(&squashed, "--rule");
    assert_fails_with(&squashed, "expected NAME OP OPERAND");
    let version = offline(&["release", "targeting", &id, "--rule", "app_version >= ten"]);
    assert_fails_with(&version, "\"ten\" is not a version");
    let op = offline(&["release", "targeting", &id, "--rule", "os is android"]);
    assert_fails_with(&op, "\"is\" in rule \"os is android\" is not an op");
    let both = offline(&["release", "targeting", &id, "--clear", "--rule", "os in a"]);
    assert_fails_with(&both, "--clear");
    let create = offline(&[
        "release",
        "create",
        "--mini-program",
        "mp-coupons",
        "--version",
        "6.1.0",
        "--app",
        "superapp-a",
        "--env",
        "production",
        "--targeting-rule",
        "os in",
    ]);
    assert_fails_with(&create, "--targeting-rule");
    let route = ["explain", "--app", "superapp-a", "--env", "production"];
    let route = [
        &route[..],
        &["--mini-program", "mp-coupons", "--user", "u-1"],
    ]
    .concat();
    let attr = offline(&[&route[..], &["--attr", "os"]].concat());
    assert_fails_with(&attr, "--attr");
    assert_fails_with(&attr, "NAME=VALUE");
    let twice = offline(&[&route[..], &["--attr", "os=a", "--attr", "os=b"]].concat());
    assert_fails_with(&twice, "--attr: os is given twice");
    for output in [&squashed, &version, &op, &both, &create, &attr, &twice] {
        assert!(
            !stderr(output).contains("cannot reach"),
            "{}",
            stderr(output)
        );
    }
    assert_eq!(gw.json(ADM, &["show", &id])["targeting"], Value::Null);
}

/// A release created with targeting, approved and in grayscale at 99.9999 %.
fn targeted_grayscale(gw: &Gateway) -> String {
    let rules = [
        "--targeting-rule",
        "os in android,harmonyos",
        "--targeting-rule",
        "app_version >= 10.2",
        "--targeting-rule",
        "region in cn east&1,cn-north",
    ];
    let created = gw.create("7.0.0", "production", &rules);
    assert_eq!(
        created["targeting"]["rules"].as_array().map(Vec::len),
        Some(3)
    );
    let id = id_of(&created);
    gw.json(DEV, &["apply", &id]);
    gw.json(REV, &["approve", &id]);
    let gray = gw.json(ADM, &["go-live", &id, "--percentage", "99.9999"]);
    assert_eq!(gray["status"], "grayscale_release");
    id
}

#[test]
fn explain_shows_each_rule_with_the_value_seen_and_whether_it_held() {
    let gw = start_gateway();
    targeted_grayscale(&gw);

    let attrs = ["--attr", "os=android", "--attr", "app_version=10.2.3"];
    let held = explain(
        &gw,
        "u-1",
        &[&attrs[..], &["--attr", "region=cn east&1"]].concat(),
    );
    assert!(held.status.success(), "{}", stderr(&held));
    let text = stdout(&held);
    let rules: Vec<Vec<String>> = targeting_lines(&text).iter().map(|l| cells(l)).collect();
    assert_eq!(
        rules,
        [
            ["os in android,harmonyos", "seen \"android\"", "yes"],
            ["app_version >= 10.2", "seen \"10.2.3\"", "yes"],
            // The value went through the query percent-encoded and came back whole.
            ["region in cn east&1,cn-north", "seen \"cn east&1\"", "yes"],
        ],
        "{text}"
    );
    assert_eq!(line(&text, "targeted"), Some("yes"), "{text}");
    let outcome = line(&text, "outcome").unwrap_or_default();
    assert!(outcome.starts_with("grayscale (release"), "{text}");

    let failed = explain(
        &gw,
        "u-1",
        &["--attr", "os=ios", "--attr", "app_version=10.1"],
    );
    let text = stdout(&failed);
    let lines: Vec<Vec<String>> = targeting_lines(&text).iter().map(|l| cells(l)).collect();
    assert_eq!(lines[0][1..], ["seen \"ios\"", "no"], "{text}");
    assert_eq!(lines[1][1..], ["seen \"10.1\"", "no"], "{text}");
    assert_eq!(lines[2][1..], ["seen absent", "no"], "{text}");
    assert_eq!(line(&text, "targeted"), Some("no"), "{text}");
    assert_eq!(line(&text, "outcome"), Some("not released"), "{text}");

    let json = explain(&gw, "u-1", &["--json", "--attr", "os=android"]);
    let body: Value = serde_json::from_slice(&json.stdout).expect("--json prints JSON");
    assert_eq!(body["in_flight"]["targeting"][0]["seen"], "android");
    assert_eq!(body["in_flight"]["targeted"], false);
}

#[test]
fn after_approval_rules_are_removed_by_sending_the_others_as_shown() {
    let gw = start_gateway();
    let id = targeted_grayscale(&gw);
    let shown = targeting_lines(&show(&gw, &id));
    assert_eq!(shown.len(), 3);

    let changed = gw.release(Some(ADM), &["targeting", &id, "--rule", "os in android"]);
    assert_fails_with(&changed, "targeting_locked (HTTP 409)");

    let kept = ["--rule", &shown[0], "--rule", &shown[2]];
    let removed = gw.release(Some(ADM), &[&["targeting", &id][..], &kept].concat());
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert_eq!(
        targeting_lines(&stdout(&removed)),
        [shown[0].as_str(), shown[2].as_str()]
    );
    let cleared = gw.json(ADM, &["targeting", &id, "--clear"]);
    assert_eq!(cleared["targeting"], Value::Null);
}
