use std::sync::Arc;

use jiff::Timestamp;

use super::*;

fn ms(rfc3339: &str) -> Millis {
    rfc3339
        .parse::<Timestamp>()
        .map(Timestamp::as_millisecond)
        .unwrap_or(i64::MIN)
}

fn spec(json: serde_json::Value) -> Result<PlanSpec, String> {
    serde_json::from_value(json).map_err(|e| e.to_string())
}

fn window(tz: &str, days: &[&str], from: &str, to: &str) -> Window {
    let days: Vec<String> = days.iter().map(|d| (*d).to_owned()).collect();
    Window::new(tz, &days, from, to).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_valid_plan_round_trips_through_its_json() {
    let json = serde_json::json!({
        "steps":[{"percentage":1,"hold":"30m"},{"percentage":5.5,"hold":"2h"},{"full":true}],
        "window":{"timezone":"Asia/Shanghai","days":["mon","fri"],"from":"10:00","to":"17:00"}
    });
    let plan = spec(json.clone()).expect("valid");
    assert_eq!(plan.steps().len(), 3);
    assert_eq!(serde_json::to_value(&plan).ok(), Some(json));
}

#[test]
fn every_invalid_plan_names_its_field() {
    let cases = [
        (serde_json::json!({"steps":[]}), "steps must have 1 to 20"),
        (
            serde_json::json!({"steps":[{"percentage":0,"hold":"1m"}]}),
            "steps[0].percentage",
        ),
        (
            serde_json::json!({"steps":[{"percentage":100,"hold":"1m"}]}),
            "steps[0].percentage",
        ),
        (
            serde_json::json!({"steps":[{"percentage":1.00001,"hold":"1m"}]}),
            "decimal",
        ),
        (
            serde_json::json!({"steps":[{"percentage":5,"hold":"1m"},{"percentage":5,"hold":"1m"}]}),
            "steps[1].percentage 5 must be above",
        ),
        (
            serde_json::json!({"steps":[{"percentage":5,"hold":"0s"}]}),
            "steps[0].hold",
        ),
        (
            serde_json::json!({"steps":[{"percentage":5,"hold":"31d"}]}),
            "steps[0].hold",
        ),
        (
            serde_json::json!({"steps":[{"percentage":5}]}),
            "steps[0].hold is required",
        ),
        (
            serde_json::json!({"steps":[{"full":true},{"percentage":5,"hold":"1m"}]}),
            "only the last",
        ),
        (
            serde_json::json!({"steps":[{"full":false}]}),
            "steps[0].full must be true",
        ),
        (
            serde_json::json!({"steps":[{"full":true,"hold":"1m"}]}),
            "steps[0] must be",
        ),
        (
            serde_json::json!({"steps":[{"full":true}],"extra":1}),
            "unknown field",
        ),
        (
            serde_json::json!({"steps":[{"full":true}],"window":{"timezone":"Mars/Olympus","days":["mon"],"from":"10:00","to":"11:00"}}),
            "window.timezone",
        ),
        (
            serde_json::json!({"steps":[{"full":true}],"window":{"timezone":"UTC","days":["monday"],"from":"10:00","to":"11:00"}}),
            "window.days",
        ),
        (
            serde_json::json!({"steps":[{"full":true}],"window":{"timezone":"UTC","days":["mon","mon"],"from":"10:00","to":"11:00"}}),
            "twice",
        ),
        (
            serde_json::json!({"steps":[{"full":true}],"window":{"timezone":"UTC","days":[],"from":"10:00","to":"11:00"}}),
            "window.days",
        ),
        (
            serde_json::json!({"steps":[{"full":true}],"window":{"timezone":"UTC","days":["mon"],"from":"25:00","to":"26:00"}}),
            "window.from",
        ),
        (
            serde_json::json!({"steps":[{"full":true}],"window":{"timezone":"UTC","days":["mon"],"from":"9:00","to":"11:00"}}),
            "window.from",
        ),
        (
            serde_json::json!({"steps":[{"full":true}],"window":{"timezone":"UTC","days":["mon"],"from":"17:00","to":"10:00"}}),
            "before window.to",
        ),
    ];
    let twenty_one: Vec<_> = (1..=21)
        .map(|p| serde_json::json!({"percentage":p,"hold":"1m"}))
        .collect();
    let too_long = spec(serde_json::json!({ "steps": twenty_one }));
    assert!(too_long.is_err_and(|e| e.contains("1 to 20")));
    for (json, expected) in cases {
        let err = spec(json.clone()).expect_err(&json.to_string());
        assert!(
            err.contains(expected),
            "{json}: {err:?} should mention {expected:?}"
        );
    }
}

#[test]
fn the_window_is_open_on_its_days_between_from_and_to_local_time() {
    // Shanghai is UTC+8 all year: 10:00–17:00 local is 02:00–09:00 UTC.
    let w = window(
        "Asia/Shanghai",
        &["mon", "tue", "wed", "thu", "fri"],
        "10:00",
        "17:00",
    );
    assert!(w.is_open(ms("2026-12-07T02:00:00Z")), "Monday 10:00");
    assert!(w.is_open(ms("2026-12-07T08:59:59Z")), "Monday 16:59:59");
    assert!(
        !w.is_open(ms("2026-12-07T09:00:00Z")),
        "Monday 17:00 is closed"
    );
    assert!(!w.is_open(ms("2026-12-06T03:00:00Z")), "Sunday");
    // Due on Friday evening: waits across midnight and the weekend for Monday 10:00.
    let friday_evening = ms("2026-12-11T12:00:00Z");
    assert_eq!(
        w.next_opening(friday_evening),
        Some(ms("2026-12-14T02:00:00Z"))
    );
    // Due at 23:30 on Monday night (local): opens at 10:00 on Tuesday, after midnight.
    let monday_night = ms("2026-12-07T15:30:00Z");
    assert_eq!(
        w.next_opening(monday_night),
        Some(ms("2026-12-08T02:00:00Z"))
    );
    // Before the opening on a window day: that morning.
    assert_eq!(
        w.next_opening(ms("2026-12-08T01:00:00Z")),
        Some(ms("2026-12-08T02:00:00Z"))
    );
}

#[test]
fn windows_follow_dst_changes_in_new_york() {
    let w = window("America/New_York", &["sun", "mon"], "01:00", "03:00");
    // 2026-03-08 is the spring-forward Sunday: 02:00 EST jumps to 03:00 EDT. Before it
    // 01:00 local is 06:00 UTC; the window closes at 03:00 EDT = 07:00 UTC, an hour early.
    assert_eq!(
        w.next_opening(ms("2026-03-08T00:00:00Z")),
        Some(ms("2026-03-08T06:00:00Z"))
    );
    assert!(w.is_open(ms("2026-03-08T06:59:00Z")));
    assert!(
        !w.is_open(ms("2026-03-08T07:00:00Z")),
        "03:00 EDT is closing time"
    );
    // The next day 01:00 EDT is 05:00 UTC: the same local time, an hour earlier in UTC.
    assert_eq!(
        w.next_opening(ms("2026-03-08T07:00:00Z")),
        Some(ms("2026-03-09T05:00:00Z"))
    );
    // 2026-11-01 falls back: 01:00–02:00 happens twice; the window opens at the first.
    let fall = w.next_opening(ms("2026-11-01T00:00:00Z"));
    assert_eq!(fall, Some(ms("2026-11-01T05:00:00Z")), "01:00 EDT");
    assert!(
        w.is_open(ms("2026-11-01T06:30:00Z")),
        "01:30 EST, the second time round"
    );
    // A window that starts in the skipped hour opens when the clocks jump.
    let gap = window("America/New_York", &["sun"], "02:30", "04:00");
    assert_eq!(
        gap.next_opening(ms("2026-03-08T05:00:00Z")),
        Some(ms("2026-03-08T07:30:00Z"))
    );
}

#[test]
fn a_running_plan_is_due_after_its_hold_and_inside_its_window() {
    let json = serde_json::json!({
        "steps":[{"percentage":1,"hold":"1h"},{"full":true}],
        "window":{"timezone":"UTC","days":["mon","tue","wed","thu","fri"],"from":"09:00","to":"17:00"}
    });
    let mut plan = Plan::pending(Arc::new(spec(json).expect("valid")));
    assert_eq!(plan.due_at(), None, "pending plans are never due");
    plan.state = PlanState::Running;
    plan.step = Some(0);
    plan.hold_until = Some(ms("2026-12-07T16:30:00Z"));
    assert!(!plan.is_due(ms("2026-12-07T16:00:00Z")), "holding");
    assert!(
        plan.is_due(ms("2026-12-07T16:30:00Z")),
        "hold over, window open"
    );
    // A node that was down from 16:45 to 18:00 finds the step overdue and the window shut.
    assert!(!plan.is_due(ms("2026-12-07T18:00:00Z")));
    assert_eq!(
        plan.next_step_at(ms("2026-12-07T18:00:00Z")),
        Some(ms("2026-12-08T09:00:00Z"))
    );
    plan.state = PlanState::Paused;
    assert_eq!(
        plan.next_step_at(ms("2026-12-07T16:00:00Z")),
        None,
        "paused plans wait"
    );
}

#[test]
fn steps_are_found_by_percentage() {
    let json = serde_json::json!({"steps":[{"percentage":1,"hold":"1m"},{"percentage":5,"hold":"1m"},{"full":true}]});
    let plan = spec(json).expect("valid");
    let pct = |p: u32| Percentage::from_ppm(p * 10_000).unwrap_or(Percentage::ZERO);
    assert_eq!(plan.first_above(Percentage::ZERO), Some(0));
    assert_eq!(plan.first_above(pct(1)), Some(1));
    assert_eq!(plan.first_above(pct(7)), Some(2), "the full step");
    assert_eq!(plan.last_at_or_below(pct(3)), Some(0));
    assert_eq!(plan.last_at_or_below(pct(5)), Some(1));
    assert_eq!(plan.last_at_or_below(Percentage::ZERO), None);
    assert!(plan.completes_at(2) && !plan.completes_at(1));
}
