//! The flags of `graygate release plan` (SPEC §8): `--step P:HOLD` or `--step full`, and
//! `--window 'ZONE DAYS FROM-TO'`, turned into the JSON of `PUT …/plan`. Only the CLI's own
//! syntax is checked here (the split into parts, numbers, day names and ranges); whether
//! the plan makes sense (percentages increasing, holds in range, a real time zone, `full`
//! last) is the gateway's to say, and it answers 400 naming the field.

use clap::Args;
use serde::Serialize;
use serde_json::{Number, Value, json};

use super::client::Method;
use super::{Call, Target};

/// `release plan`: the steps and window to set (`PUT …/plan`), or `--remove` (`DELETE`).
#[derive(Debug, Args)]
pub(super) struct PlanArgs {
    #[command(flatten)]
    target: Target,
    /// A step, in order: P:HOLD (a percentage and how long it holds, e.g. 5:2h, with
    /// s, m, h or d) or full (last only). Repeat for each step.
    #[arg(long = "step", value_name = "P:HOLD|full", value_parser = parse_step,
          required_unless_present = "remove")]
    steps: Vec<StepFlag>,
    /// When automatic steps may happen: 'ZONE DAYS FROM-TO', e.g.
    /// 'Asia/Shanghai mon-fri 10:00-17:00'; DAYS is a comma list of days and ranges
    /// (mon,wed,fri or sat-sun).
    #[arg(long, value_name = "ZONE DAYS FROM-TO", value_parser = parse_window)]
    window: Option<WindowFlag>,
    /// Remove the plan instead of setting one.
    #[arg(long, conflicts_with_all = ["steps", "window"])]
    remove: bool,
}

/// `PUT …/plan` with the steps and window, or `DELETE …/plan` for `--remove`.
pub(super) fn plan_call(p: &PlanArgs) -> Call {
    let (method, body) = if p.remove {
        (Method::Delete, None)
    } else {
        (Method::Put, Some(plan_body(&p.steps, p.window.as_ref())))
    };
    Call::Write {
        method,
        path: format!("/{}/plan", p.target.id),
        body,
        if_match: p.target.if_match,
    }
}

/// Day names in the API's spelling, Monday first.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// What `--window` looks like, for error messages.
const WINDOW_SYNTAX: &str =
    "expected 'ZONE DAYS FROM-TO', e.g. 'Asia/Shanghai mon-fri 10:00-17:00'";

/// One `--step`: a grayscale percentage with its hold, or going live to everybody.
#[derive(Debug, Clone, PartialEq)]
enum StepFlag {
    Grayscale { percentage: Number, hold: String },
    Full,
}

impl StepFlag {
    fn to_json(&self) -> Value {
        match self {
            StepFlag::Grayscale { percentage, hold } => {
                json!({ "percentage": percentage, "hold": hold })
            }
            StepFlag::Full => json!({ "full": true }),
        }
    }
}

/// `--window`: the API's window object, days expanded into a list of names.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct WindowFlag {
    timezone: String,
    days: Vec<&'static str>,
    from: String,
    to: String,
}

/// The body of `PUT /v1/admin/releases/{id}/plan`.
fn plan_body(steps: &[StepFlag], window: Option<&WindowFlag>) -> Value {
    let steps: Vec<Value> = steps.iter().map(StepFlag::to_json).collect();
    match window {
        Some(window) => json!({ "steps": steps, "window": window }),
        None => json!({ "steps": steps }),
    }
}

/// `P:HOLD` (`5:2h`, `0.5:30m`) or `full`.
fn parse_step(raw: &str) -> Result<StepFlag, String> {
    if raw.trim().eq_ignore_ascii_case("full") {
        return Ok(StepFlag::Full);
    }
    let Some((percentage, hold)) = raw.split_once(':') else {
        return Err(format!(
            "a step is P:HOLD (a percentage and how long it holds, e.g. 5:2h) or full; \
             {raw:?} has no ':HOLD'"
        ));
    };
    let number: f64 = percentage
        .trim()
        .parse()
        .map_err(|_| format!("the percentage {percentage:?} of step {raw:?} is not a number"))?;
    let percentage = Number::from_f64(number)
        .ok_or_else(|| format!("the percentage of step {raw:?} must be a finite number"))?;
    let hold = hold.trim();
    if hold.is_empty() {
        return Err(format!(
            "step {raw:?} has no hold after ':' (e.g. 30m, 2h, 1d)"
        ));
    }
    Ok(StepFlag::Grayscale {
        percentage,
        hold: hold.to_string(),
    })
}

/// `ZONE DAYS FROM-TO`, e.g. `Asia/Shanghai mon-fri 10:00-17:00`.
fn parse_window(raw: &str) -> Result<WindowFlag, String> {
    let parts: Vec<&str> = raw.split_whitespace().collect();
    let [timezone, days, times] = parts[..] else {
        return Err(format!("{WINDOW_SYNTAX}; got {raw:?}"));
    };
    let (from, to) = match times.split_once('-') {
        Some((from, to)) if !from.is_empty() && !to.is_empty() => (from, to),
        _ => {
            return Err(format!(
                "the window's times {times:?} must be FROM-TO, e.g. 10:00-17:00"
            ));
        }
    };
    Ok(WindowFlag {
        timezone: timezone.to_string(),
        days: parse_days(days)?,
        from: from.to_string(),
        to: to.to_string(),
    })
}

/// A comma list of days and ranges (`mon-fri`, `mon,wed,fri`, `sat-sun`, `mon,thu-fri`),
/// expanded into day names in week order, each once. A range may wrap past Sunday
/// (`fri-mon` is fri, sat, sun, mon).
fn parse_days(raw: &str) -> Result<Vec<&'static str>, String> {
    let mut chosen = [false; 7];
    for part in raw.split(',') {
        let (first, last) = match part.split_once('-') {
            Some((first, last)) => (day_index(first)?, day_index(last)?),
            None => {
                let day = day_index(part)?;
                (day, day)
            }
        };
        let mut day = first;
        chosen[day] = true;
        while day != last {
            day = (day + 1) % DAYS.len();
            chosen[day] = true;
        }
    }
    Ok(DAYS
        .iter()
        .zip(chosen)
        .filter_map(|(name, on)| on.then_some(*name))
        .collect())
}

fn day_index(name: &str) -> Result<usize, String> {
    let lower = name.to_ascii_lowercase();
    DAYS.iter().position(|d| *d == lower).ok_or_else(|| {
        format!(
            "{name:?} is not a day: use {} (lists with ',', ranges with '-')",
            DAYS.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::test_support::write_of;

    #[test]
    fn plan_commands_put_delete_or_post_the_api_shapes() {
        let put = write_of(&[
            "plan",
            "7",
            "--step",
            "1:30m",
            "--step",
            "full",
            "--window",
            "UTC sat-sun 09:00-12:00",
        ]);
        let body = json!({"steps": [{"percentage": 1.0, "hold": "30m"}, {"full": true}],
            "window": {"timezone": "UTC", "days": ["sat", "sun"], "from": "09:00", "to": "12:00"}});
        assert_eq!(put, Ok((Method::Put, "/7/plan".into(), Some(body))));
        let remove = write_of(&["plan", "7", "--remove"]);
        assert_eq!(remove, Ok((Method::Delete, "/7/plan".into(), None)));
        assert_eq!(
            write_of(&["pause", "7"]),
            Ok((Method::Post, "/7/pause".into(), None))
        );
        assert_eq!(
            write_of(&["resume", "7"]),
            Ok((Method::Post, "/7/resume".into(), None))
        );
        let start = write_of(&["go-live", "7", "--plan"]);
        let body = Some(json!({"type": "plan"}));
        assert_eq!(start, Ok((Method::Post, "/7/go_live".into(), body)));
    }

    #[test]
    fn plan_flags_that_do_not_fit_together_are_refused_by_clap() {
        for args in [
            &["plan", "7"][..],
            &["plan", "7", "--remove", "--step", "1:1h"],
            &["plan", "7", "--remove", "--window", "UTC mon 10:00-11:00"],
            &["plan", "7", "--step", "5"],
            &["go-live", "7", "--plan", "--percentage", "5"],
            &["go-live", "7"],
        ] {
            assert!(write_of(args).is_err(), "{args:?}");
        }
    }

    fn grayscale(p: f64, hold: &str) -> StepFlag {
        StepFlag::Grayscale {
            percentage: Number::from_f64(p).expect("finite"),
            hold: hold.into(),
        }
    }

    #[test]
    fn steps_are_percentage_colon_hold_or_full() {
        assert_eq!(parse_step("5:2h"), Ok(grayscale(5.0, "2h")));
        assert_eq!(parse_step("0.5:30m"), Ok(grayscale(0.5, "30m")));
        assert_eq!(parse_step("full"), Ok(StepFlag::Full));
        assert_eq!(parse_step("FULL"), Ok(StepFlag::Full));
        // The hold's syntax and the percentage's range are the gateway's to judge.
        assert_eq!(parse_step("150:soon"), Ok(grayscale(150.0, "soon")));
    }

    #[test]
    fn malformed_steps_say_what_is_wrong() {
        let no_hold = parse_step("5").expect_err("no hold");
        assert!(
            no_hold.contains("P:HOLD") && no_hold.contains("\"5\""),
            "{no_hold}"
        );
        assert!(
            parse_step("five:1h")
                .expect_err("NaN")
                .contains("not a number")
        );
        assert!(parse_step("5:").expect_err("empty").contains("no hold"));
        assert!(parse_step("inf:1h").expect_err("inf").contains("finite"));
        assert!(parse_step("").is_err());
    }

    #[test]
    fn day_lists_and_ranges_expand_to_day_names_in_week_order() {
        let days = |raw| parse_days(raw).map_err(|e| e.to_string());
        assert_eq!(days("mon-fri"), Ok(vec!["mon", "tue", "wed", "thu", "fri"]));
        assert_eq!(days("mon,wed,fri"), Ok(vec!["mon", "wed", "fri"]));
        assert_eq!(days("sat-sun"), Ok(vec!["sat", "sun"]));
        assert_eq!(
            days("thu-fri,mon,Tue"),
            Ok(vec!["mon", "tue", "thu", "fri"])
        );
        assert_eq!(days("fri-mon"), Ok(vec!["mon", "fri", "sat", "sun"]));
        assert_eq!(days("wed-wed,wed"), Ok(vec!["wed"]));
        assert_eq!(days("mon-sun").map(|d| d.len()), Ok(7));
    }

    #[test]
    fn unknown_days_and_empty_list_items_are_refused() {
        assert!(
            parse_days("monday")
                .expect_err("name")
                .contains("\"monday\" is not a day")
        );
        assert!(parse_days("mon,,fri").is_err());
        assert!(parse_days("mon-").is_err());
        assert!(parse_days("-fri").is_err());
        assert!(parse_days("").is_err());
    }

    #[test]
    fn windows_are_zone_days_and_times() {
        let window = parse_window("Asia/Shanghai mon-fri 10:00-17:00").expect("a window");
        assert_eq!(
            serde_json::to_value(&window).ok(),
            Some(json!({"timezone": "Asia/Shanghai",
                "days": ["mon", "tue", "wed", "thu", "fri"], "from": "10:00", "to": "17:00"}))
        );
        assert!(parse_window("  UTC   sat-sun  09:30-12:00 ").is_ok());
        for bad in [
            "Asia/Shanghai mon-fri",
            "UTC mon 10:00 17:00",
            "UTC mon 10:00-",
            "",
        ] {
            assert!(parse_window(bad).is_err(), "{bad}");
        }
        let syntax = parse_window("UTC").expect_err("too short");
        assert!(syntax.contains("ZONE DAYS FROM-TO"), "{syntax}");
        assert!(parse_window("UTC mon-funday 10:00-11:00").is_err());
    }

    #[test]
    fn the_plan_body_is_the_api_shape() {
        let steps = [grayscale(1.0, "30m"), StepFlag::Full];
        assert_eq!(
            plan_body(&steps, None),
            json!({"steps": [{"percentage": 1.0, "hold": "30m"}, {"full": true}]})
        );
    }
}
