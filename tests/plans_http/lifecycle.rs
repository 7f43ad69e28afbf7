//! Where a plan starts and ends (SPEC §8): at the first step above the current
//! percentage; at its last percentage when it has no full step (the release then waits
//! in grayscale, and a new plan may be set); outside its window it keeps `running` and
//! shows the next opening. `allowed_actions` and `graygate_plans` follow the plan.

use std::time::Duration;

use serde_json::json;

use crate::common::{Who, eventually, rfc3339_nanos};
use crate::support::*;

fn has(release: &serde_json::Value, action: &str) -> bool {
    allowed(&release["allowed_actions"])
        .iter()
        .any(|a| a == action)
}

/// Started at 3 %, a plan of 1 %, 5 %, 10 % begins at 5 %; without a full step it
/// completes at 10 % and leaves the release in grayscale; a new plan can then be set and
/// started, and one with no step above the current percentage cannot start.
#[test]
fn a_plan_starts_above_the_current_percentage_and_may_end_in_grayscale() {
    let gw = gateway();
    let r = prepared(&gw, MP, "1.0.0");
    let fresh = r.get();
    assert!(
        has(&fresh, "set_plan") && !has(&fresh, "remove_plan"),
        "{fresh}"
    );
    status_is(r.go_live_grayscale(3.0), "grayscale_release");
    let plan = plan_of(&[(1.0, "1s"), (5.0, "1s"), (10.0, "1s")], false);
    let set = status_is(r.put_plan(Who::Admin, &plan), "grayscale_release");
    assert!(has(&set, "set_plan") && has(&set, "remove_plan"), "{set}");
    assert!(!has(&set, "pause") && !has(&set, "resume"), "{set}");
    eventually("one pending plan in /metrics", SLACK, || {
        (metric(&gw, r#"graygate_plans{state="pending"}"#) == Some(1.0)).then_some(())
    });

    let started = status_is(r.start_plan(), "grayscale_release");
    assert_eq!(started["percentage"].as_f64(), Some(5.0), "{started}");
    assert_plan(&started["plan"], "running", Some(1));
    assert!(
        has(&started, "pause") && !has(&started, "set_plan"),
        "{started}"
    );
    assert!(!has(&started, "remove_plan"), "{started}");

    let done = eventually("the plan completes", Duration::from_secs(1) + SLACK, || {
        let r = r.get();
        (r["plan"]["state"] == "completed").then_some(r)
    })
    .0;
    assert_eq!(done["status"], "grayscale_release", "{done}");
    assert_eq!(done["percentage"].as_f64(), Some(10.0), "{done}");
    assert_plan(&done["plan"], "completed", Some(2));
    assert!(done["plan"]["next_step_at"].is_null(), "{done}");
    let steps = r.go_lives();
    assert_each_step_once(&steps, &[Some(3.0), Some(5.0), Some(10.0)], 2);
    held(steps[1].at, steps[2].at, Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(r.go_lives().len(), 3, "a step after the plan completed");

    // A completed plan may be replaced; one with nothing above 10 % cannot start.
    let low = plan_of(&[(2.0, "1s"), (10.0, "1s")], false);
    let replaced = status_is(r.put_plan(Who::Admin, &low), "grayscale_release");
    assert_plan(&replaced["plan"], "pending", None);
    let before = r.get();
    refused(
        r.start_plan(),
        "plan_has_no_step_above",
        "grayscale_release",
    );
    assert_eq!(r.get(), before);
    let next = plan_of(&[(20.0, "1s")], true);
    status_is(r.put_plan(Who::Admin, &next), "grayscale_release");
    let again = status_is(r.start_plan(), "grayscale_release");
    assert_eq!(again["percentage"].as_f64(), Some(20.0), "{again}");
    r.wait_for_status("full_release", Duration::from_secs(1) + SLACK);
}

/// Outside its window a plan takes no step after the hold: it stays `running` and
/// `next_step_at` is the window's next opening.
#[test]
fn outside_its_window_a_plan_waits_for_the_opening() {
    let gw = gateway();
    let r = prepared(&gw, MP, "1.0.0");
    let tomorrow = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .expect("a tomorrow");
    let day = tomorrow.strftime("%a").to_string().to_lowercase();
    let plan = json!({
        "steps": [{ "percentage": 1, "hold": "1s" }, { "percentage": 5, "hold": "1s" }, { "full": true }],
        "window": { "timezone": "UTC", "days": [day], "from": "10:00", "to": "11:00" },
    });
    let set = status_is(r.put_plan(Who::Admin, &plan), "release_preparation");
    assert_eq!(set["plan"]["window"]["days"], json!([day]), "{set}");
    let started = status_is(r.start_plan(), "grayscale_release");
    assert_eq!(started["percentage"].as_f64(), Some(1.0), "{started}");
    std::thread::sleep(Duration::from_millis(2500));
    let waiting = r.get();
    assert_plan(&waiting["plan"], "running", Some(0));
    assert_eq!(waiting["percentage"].as_f64(), Some(1.0), "{waiting}");
    let opening = format!("{tomorrow}T10:00:00Z");
    assert_eq!(
        nanos(&waiting["plan"]["next_step_at"]),
        rfc3339_nanos(&opening),
        "next_step_at is the next opening: {waiting}"
    );
    assert_eq!(r.go_lives().len(), 1, "a step outside the window");
}

/// A plan may be set before review and carries through it; under review and after the
/// release is over, plans are refused with `action_not_allowed`.
#[test]
fn a_plan_set_before_review_is_kept_and_refused_where_the_status_forbids() {
    let gw = gateway();
    let r = new_release(&gw, MP, PROD, "1.0.0");
    let plan = plan_of(&[(1.0, "1s")], true);
    let set = status_is(r.put_plan(Who::Admin, &plan), "new_version_created");
    assert_plan(&set["plan"], "pending", None);
    status_is(r.act(Who::Developer, "apply"), "under_review");
    let reviewing = r.get();
    assert_plan(&reviewing["plan"], "pending", None);
    refused(
        r.put_plan(Who::Admin, &plan),
        "action_not_allowed",
        "under_review",
    );
    refused(
        r.delete_plan(Who::Admin),
        "action_not_allowed",
        "under_review",
    );
    assert_eq!(r.get(), reviewing);
    status_is(r.act(Who::Reviewer, "approve"), "release_preparation");
    assert_plan(&r.get()["plan"], "pending", None);
    status_is(r.start_plan(), "grayscale_release");
    let done = r.wait_for_status("full_release", Duration::from_secs(1) + SLACK);
    assert!(
        !has(&done, "set_plan") && !has(&done, "remove_plan"),
        "{done}"
    );
    refused(
        r.put_plan(Who::Admin, &plan),
        "action_not_allowed",
        "full_release",
    );
    refused(
        r.delete_plan(Who::Admin),
        "action_not_allowed",
        "full_release",
    );
    assert_eq!(r.get(), done);
}
