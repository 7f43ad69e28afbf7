//! `graygate release guard` and `graygate release health` (SPEC §9) against the real
//! gateway, with client health reports sent to its client listener as a super app would.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::plan::{line, prepared_release, show};
use super::{ADM, BIN, Gateway, assert_fails_with, clean, start_gateway, stderr, stdout};

#[test]
fn a_guard_is_set_with_defaults_replaced_shown_and_removed() {
    let gw = start_gateway();
    let id = prepared_release(&gw, "5.0.0");

    let set = gw.json(ADM, &["guard", &id, "--on-regression", "rollback"]);
    let defaults = json!({"max_error_rate_increase": 0.01, "min_samples": 1000,
        "confidence": 0.95, "on_regression": "rollback"});
    assert_eq!(set["guard"], defaults);

    let args = [
        "guard",
        &id,
        "--max-increase",
        "0.02",
        "--min-samples",
        "500",
        "--confidence",
        "0.99",
        "--on-regression",
        "halt",
    ];
    let replaced = gw.release(Some(ADM), &args);
    assert!(replaced.status.success(), "{}", stderr(&replaced));
    // Like every write, the command prints the release as it is now.
    let printed = stdout(&replaced);
    let rule = "halt if the error rate rises more than 2.0 pp above full's \
                (99% confidence, 500 reports per arm first)";
    assert_eq!(line(&printed, "guard"), Some(rule), "{printed}");
    assert_eq!(line(&printed, "release"), Some(id.as_str()), "{printed}");
    assert_eq!(line(&show(&gw, &id), "guard"), Some(rule));

    let removed = gw.release(Some(ADM), &["guard", &id, "--remove"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert_eq!(
        line(&stdout(&removed), "guard"),
        None,
        "{}",
        stdout(&removed)
    );
    assert_eq!(gw.json(ADM, &["show", &id])["guard"], Value::Null);
    let again = gw.release(Some(ADM), &["guard", &id, "--remove"]);
    assert_fails_with(&again, "no_guard (HTTP 409)");
}

#[test]
fn bad_guard_flags_fail_in_the_cli_and_refusals_come_from_the_gateway() {
    let gw = start_gateway();
    let id = prepared_release(&gw, "5.1.0");
    // An admin URL nobody listens on: a request would fail with "cannot reach".
    let offline = |args: &[&str]| {
        let mut command = Command::new(BIN);
        clean(&mut command)
            .arg("release")
            .args(args)
            .env("GRAYGATE_ADMIN_URL", "http://127.0.0.1:1")
            .env("GRAYGATE_TOKEN", ADM)
            .output()
            .expect("run graygate release guard")
    };
    let guard = ["guard", id.as_str(), "--on-regression", "halt"];
    let confidence = offline(&[&guard[..], &["--confidence", "2"]].concat());
    assert_eq!(confidence.status.code(), Some(2), "{}", stderr(&confidence));
    assert_fails_with(&confidence, "--confidence");
    assert_fails_with(&confidence, "must be a number in [0.5, 0.9999]");
    let percent = offline(&[&guard[..], &["--max-increase", "1%"]].concat());
    assert_fails_with(&percent, "0.01 is 1 percentage point");
    let samples = offline(&[&guard[..], &["--min-samples", "0"]].concat());
    assert_fails_with(&samples, "--min-samples");
    let action = offline(&["guard", &id, "--on-regression", "pause"]);
    assert_fails_with(&action, "halt, rollback");
    let missing = offline(&["guard", &id]);
    assert_fails_with(&missing, "--on-regression");
    for output in [&confidence, &percent, &samples, &action, &missing] {
        assert!(
            !stderr(output).contains("cannot reach"),
            "{}",
            stderr(output)
        );
    }
    assert_eq!(gw.json(ADM, &["show", &id])["guard"], Value::Null);

    // The gateway refuses a guard on a release that is already fully live.
    gw.json(ADM, &["go-live", &id, "--full"]);
    let late = gw.release(Some(ADM), &["guard", &id, "--on-regression", "halt"]);
    assert_fails_with(&late, "action_not_allowed (HTTP 409)");
    assert_fails_with(&late, "status: full_release");
}

/// Version `full` in full release and `candidate` in grayscale at 10 %, guarded with
/// `--min-samples min`; returns the two release ids.
fn rolled_out(gw: &Gateway, min: &str) -> (String, String) {
    let full = prepared_release(gw, "1.0.0");
    gw.json(ADM, &["go-live", &full, "--full"]);
    let candidate = prepared_release(gw, "2.0.0");
    let guard = [
        "guard",
        &candidate,
        "--min-samples",
        min,
        "--on-regression",
        "rollback",
    ];
    gw.json(ADM, &guard);
    gw.json(ADM, &["go-live", &candidate, "--percentage", "10"]);
    (full, candidate)
}

/// `POST /v1/report`: `ok` and `error` reports for `release` on `channel`.
fn report(gw: &Gateway, release: &str, channel: &str, ok: u64, error: u64) {
    let release: u64 = release.parse().expect("a release id");
    let event = |outcome, count| {
        json!({"mini_program": "mp-coupons", "release_id": release, "channel": channel,
               "outcome": outcome, "count": count})
    };
    // A count is 1-1000: an outcome without reports is left out.
    let events: Vec<Value> = [("ok", ok), ("error", error)]
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(outcome, count)| event(outcome, count))
        .collect();
    let body = json!({"app": "superapp-a", "env": "production", "events": events});
    let mut response = ureq::post(&format!("{}/v1/report", gw.client_url))
        .send_json(body)
        .expect("send a report");
    assert_eq!(response.status(), 202);
    let answer: Value = response.body_mut().read_json().expect("a JSON answer");
    assert_eq!(answer["dropped"], 0, "{answer}");
}

/// Waits until the health shows `candidate` and `control` reports (counts are live
/// within a second, SPEC §9), then answers what `release health` prints.
fn health_once_counted(gw: &Gateway, id: &str, candidate: u64, control: u64) -> String {
    let total = |arm: &Value| arm["ok"].as_u64().unwrap_or(0) + arm["error"].as_u64().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let h = gw.json(ADM, &["health", id]);
        if (total(&h["candidate"]), total(&h["control"])) == (candidate, control) {
            break;
        }
        assert!(Instant::now() < deadline, "counts never arrived: {h}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let printed = gw.release(Some(ADM), &["health", id]);
    assert!(printed.status.success(), "{}", stderr(&printed));
    stdout(&printed)
}

/// The cells of an arm's row of the health table, after its name.
fn arm_row(text: &str, arm: &str) -> Vec<String> {
    let row = text.lines().find(|l| l.trim_start().starts_with(arm));
    let cells = row.map(|l| {
        l.split_whitespace()
            .skip_while(|cell| cell.parse::<u64>().is_err())
            .map(String::from)
            .collect()
    });
    cells.unwrap_or_default()
}

#[test]
fn health_explains_waiting_for_data_then_the_counts_and_the_decision() {
    let gw = start_gateway();
    let (full, candidate) = rolled_out(&gw, "1000");

    let text = health_once_counted(&gw, &candidate, 0, 0);
    assert_eq!(
        line(&text, "decision"),
        Some(
            "insufficient data: candidate 0/1000 reports, control 0/1000; \
             no decision before each arm has 1000"
        ),
        "{text}"
    );
    assert_eq!(arm_row(&text, "candidate"), ["0", "0", "0", "-"], "{text}");
    assert!(
        line(&text, "as of").is_some_and(|t| t.ends_with('Z')),
        "{text}"
    );

    report(&gw, &candidate, "grayscale", 30, 5);
    report(&gw, &full, "full", 90, 2);
    let text = health_once_counted(&gw, &candidate, 35, 92);
    let waiting = line(&text, "decision");
    assert!(
        waiting.is_some_and(
            |d| d.starts_with("insufficient data: candidate 35/1000 reports, control 92/1000")
        ),
        "{text}"
    );
    assert_eq!(arm_row(&text, "candidate"), ["30", "5", "35", "14.3%"]);
    assert_eq!(arm_row(&text, "control"), ["90", "2", "92", "2.2%"]);
    assert_eq!(arm_row(&text, "pilot"), ["0", "0", "0", "-"]);

    // With fewer samples required, so few reports cannot show a regression.
    gw.json(
        ADM,
        &[
            "guard",
            &candidate,
            "--min-samples",
            "30",
            "--on-regression",
            "rollback",
        ],
    );
    let text = health_once_counted(&gw, &candidate, 35, 92);
    let healthy = line(&text, "decision").unwrap_or_default();
    assert!(
        healthy.starts_with(
            "healthy: no increase above 1.0 pp shown (difference +12.1 pp, 95% bounds -"
        ),
        "{text}"
    );

    // The control first: once the candidate's errors arrive the guard may roll back at any
    // moment, and the health keeps the counts it had then.
    report(&gw, &full, "full", 908, 0);
    report(&gw, &candidate, "grayscale", 0, 1000);
    let text = health_once_counted(&gw, &candidate, 1035, 1000);
    let regression = line(&text, "decision").unwrap_or_default();
    assert!(
        regression.starts_with(
            "regression: the candidate's error rate 97.1% exceeds full's 0.2% by at least"
        ) && regression.ends_with("more than the 1.0 pp allowed -> rollback"),
        "{text}"
    );
}
