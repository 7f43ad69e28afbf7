//! `graygate release plan`, `pause`, `resume` and `go-live --plan` (SPEC §8) against the
//! real gateway.

use std::process::Command;

use serde_json::{Value, json};

use super::{
    ADM, BIN, DEV, Gateway, REV, assert_fails_with, clean, id_of, start_gateway, stderr, stdout,
};

/// The plan object of a release's JSON.
fn plan_of(release: &Value) -> &Value {
    assert!(release["plan"].is_object(), "no plan in {release}");
    &release["plan"]
}

/// A production release created, applied for and approved: in `release_preparation`.
pub(super) fn prepared_release(gw: &Gateway, version: &str) -> String {
    let id = id_of(&gw.create(version, "production", &[]));
    gw.json(DEV, &["apply", &id]);
    let approved = gw.json(REV, &["approve", &id]);
    assert_eq!(approved["status"], "release_preparation");
    id
}

/// What `graygate release show <id>` prints for people.
pub(super) fn show(gw: &Gateway, id: &str) -> String {
    let shown = gw.release(Some(ADM), &["show", id]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    stdout(&shown)
}

/// The value of a labelled line of `show`.
pub(super) fn line<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let found = text.lines().find(|l| l.starts_with(label))?;
    Some(found[label.len()..].trim())
}

#[test]
fn a_rollout_plan_is_set_started_paused_resumed_and_kept_while_running() {
    let gw = start_gateway();
    let id = prepared_release(&gw, "4.0.0");

    let steps = ["--step", "1:1h", "--step", "5:1h", "--step", "full"];
    let window = ["--window", "Asia/Shanghai mon-fri 10:00-17:00"];
    let set = gw.json(ADM, &[&["plan", &id][..], &steps, &window].concat());
    let plan = plan_of(&set);
    assert_eq!(plan["state"], "pending");
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        plan["window"]["days"],
        json!(["mon", "tue", "wed", "thu", "fri"])
    );

    let text = show(&gw, &id);
    assert_eq!(line(&text, "plan"), Some("pending (3 steps)"), "{text}");
    let days = "Asia/Shanghai mon,tue,wed,thu,fri 10:00-17:00";
    assert_eq!(line(&text, "window"), Some(days), "{text}");
    let header = text.lines().find(|l| l.contains("STEP"));
    assert!(
        header.is_some_and(|l| l.split_whitespace().eq(["STEP", "SHARE", "HOLD"])),
        "{text}"
    );

    let started = gw.json(ADM, &["go-live", &id, "--plan"]);
    assert_eq!(started["status"], "grayscale_release");
    assert_eq!(started["percentage"].as_f64(), Some(1.0));
    let plan = plan_of(&started);
    assert_eq!(
        (plan["state"].as_str(), plan["step"].as_u64()),
        (Some("running"), Some(0))
    );
    let next = plan["next_step_at"].as_str().expect("a next step time");

    let text = show(&gw, &id);
    assert_eq!(line(&text, "plan"), Some("running (step 1 of 3)"), "{text}");
    assert_eq!(line(&text, "next step at"), Some(next), "{text}");
    let current = text.lines().find(|l| l.trim_end().ends_with("current"));
    assert!(current.is_some_and(|l| l.contains("1%")), "{text}");

    let paused = gw.json(ADM, &["pause", &id]);
    assert_eq!(plan_of(&paused)["state"], "paused");
    let resumed = gw.json(ADM, &["resume", &id]);
    assert_eq!(plan_of(&resumed)["state"], "running");

    let refused = gw.release(Some(ADM), &["plan", &id, "--remove"]);
    assert_fails_with(&refused, "plan_active (HTTP 409)");
    assert_fails_with(&refused, "the plan is running");
    assert!(stdout(&refused).is_empty());
    assert_eq!(plan_of(&gw.json(ADM, &["show", &id]))["state"], "running");
}

#[test]
fn malformed_plan_flags_fail_in_the_cli_before_any_request() {
    let gw = start_gateway();
    let id = prepared_release(&gw, "4.1.0");
    let before = gw.json(ADM, &["show", &id]);
    // An admin URL nobody listens on: a request would fail with "cannot reach".
    let run = |args: &[&str]| {
        let mut command = Command::new(BIN);
        clean(&mut command)
            .arg("release")
            .args(args)
            .env("GRAYGATE_ADMIN_URL", "http://127.0.0.1:1")
            .env("GRAYGATE_TOKEN", ADM)
            .output()
            .expect("run graygate release plan")
    };
    let no_hold = run(&["plan", &id, "--step", "5"]);
    assert_eq!(no_hold.status.code(), Some(2), "{}", stderr(&no_hold));
    assert_fails_with(&no_hold, "--step");
    assert_fails_with(&no_hold, "P:HOLD");
    let bad_day = run(&[
        "plan",
        &id,
        "--step",
        "1:1h",
        "--window",
        "UTC mon-fry 10:00-17:00",
    ]);
    assert_fails_with(&bad_day, "\"fry\" is not a day");
    let both = run(&["plan", &id, "--step", "1:1h", "--remove"]);
    assert_fails_with(&both, "--remove");
    let two = run(&["go-live", &id, "--plan", "--full"]);
    assert_fails_with(&two, "cannot be used with");
    for output in [&no_hold, &bad_day, &both, &two] {
        assert!(
            !stderr(output).contains("cannot reach"),
            "{}",
            stderr(output)
        );
    }
    assert_eq!(gw.json(ADM, &["show", &id])["revision"], before["revision"]);
}
