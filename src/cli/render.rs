//! What `graygate release` prints for people: aligned columns for lists and history, labelled
//! lines for one release, and the API's error details. Scripts use `--json` instead, which
//! prints the API's own JSON and never comes here. A release's plan is printed by `plan`,
//! its guard and health by `guard`, its targeting by `targeting`.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use super::guard::{GuardView, health};
use super::plan::Plan;
use super::targeting::TargetingView;
use super::{ApiFailure, CliError, TOKEN_VAR, unexpected};

/// What a response holds, and so how to print it.
#[derive(Clone, Copy)]
pub(super) enum Shape {
    List,
    One,
    History,
    Health,
}

impl Shape {
    pub(super) fn render(self, body: Value) -> Result<String, CliError> {
        let parsed = match self {
            Shape::List => serde_json::from_value::<Vec<_>>(body).map(|r| releases(&r)),
            Shape::One => serde_json::from_value(body).map(|r| release(&r)),
            Shape::History => serde_json::from_value::<Vec<_>>(body).map(|h| history(&h)),
            Shape::Health => serde_json::from_value(body).map(|h| health(&h)),
        };
        parsed.map_err(|e| unexpected(200, e))
    }
}

/// The fields of the API's release representation (SPEC §4) that a person reads.
#[derive(Debug, Deserialize)]
pub(super) struct Release {
    id: u64,
    mini_program: String,
    version: String,
    app: String,
    env: String,
    status: String,
    percentage: serde_json::Number,
    salt: String,
    config: Value,
    test_group_size: u64,
    allowed_actions: Vec<String>,
    /// The rollout plan; null (or absent, from an older gateway) when none.
    #[serde(default)]
    plan: Option<Plan>,
    /// The guard; null (or absent, from an older gateway) when none.
    #[serde(default)]
    guard: Option<GuardView>,
    /// The targeting; null (or absent, from an older gateway) when none.
    #[serde(default)]
    targeting: Option<TargetingView>,
    /// The full release this one replaced; null (or absent, from an older gateway) when
    /// none.
    #[serde(default)]
    predecessor: Option<u64>,
    revision: u64,
    created_at: String,
    updated_at: String,
}

/// One history entry of a release.
#[derive(Debug, Deserialize)]
pub(super) struct HistoryEntry {
    revision: u64,
    at: String,
    actor: String,
    action: String,
    from: Option<String>,
    to: String,
    details: Value,
}

impl Release {
    /// The share of users served: the percentage in grayscale, "full" in full release.
    /// A full release's `percentage` is 0 in the API (SPEC §4), so printing a number there
    /// would contradict `--json`.
    fn share(&self) -> String {
        match self.status.as_str() {
            "grayscale_release" => format!("{}%", self.percentage),
            "full_release" => "full".into(),
            _ => "-".into(),
        }
    }
}

pub(super) fn releases(releases: &[Release]) -> String {
    if releases.is_empty() {
        return "no releases\n".into();
    }
    let rows: Vec<Vec<String>> = releases
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.mini_program.clone(),
                r.version.clone(),
                format!("{}/{}", r.app, r.env),
                r.status.clone(),
                r.share(),
                r.revision.to_string(),
                r.updated_at.clone(),
            ]
        })
        .collect();
    let headers = [
        "ID",
        "MINI PROGRAM",
        "VERSION",
        "TARGET",
        "STATUS",
        "SHARE",
        "REV",
        "UPDATED",
    ];
    table(&headers, &rows)
}

pub(super) fn release(r: &Release) -> String {
    let mut lines = vec![
        ("release", r.id.to_string()),
        ("mini program", format!("{} {}", r.mini_program, r.version)),
        ("target", format!("{}/{}", r.app, r.env)),
        ("status", r.status.clone()),
        ("share", r.share()),
        ("allowed actions", list_or_none(&r.allowed_actions)),
        ("test group", format!("{} users", r.test_group_size)),
        ("config", r.config.to_string()),
        ("salt", r.salt.clone()),
        ("revision", r.revision.to_string()),
        ("created", r.created_at.clone()),
        ("updated", r.updated_at.clone()),
    ];
    // Without targeting, a guard or a plan nothing is added, so the output stays what it
    // was before.
    if let Some(targeting) = &r.targeting {
        lines.extend(targeting.lines());
    }
    if let Some(guard) = &r.guard {
        lines.push(("guard", guard.summary()));
    }
    if let Some(plan) = &r.plan {
        lines.extend(plan.lines());
    }
    if let Some(id) = r.predecessor {
        lines.push(("replaced", format!("release {id}")));
    }
    let rows: Vec<Vec<String>> = lines
        .into_iter()
        .map(|(label, value)| vec![label.to_string(), value])
        .collect();
    let mut out = table(&[], &rows);
    if let Some(plan) = &r.plan {
        out.push_str(&plan.steps_table());
    }
    out
}

pub(super) fn history(entries: &[HistoryEntry]) -> String {
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|h| {
            let from = h.from.as_deref().unwrap_or("-");
            let details = match &h.details {
                Value::Null => String::new(),
                Value::Object(o) if o.is_empty() => String::new(),
                other => other.to_string(),
            };
            vec![
                h.revision.to_string(),
                h.at.clone(),
                h.actor.clone(),
                h.action.clone(),
                format!("{from} -> {}", h.to),
                details,
            ]
        })
        .collect();
    table(
        &["REV", "AT", "ACTOR", "ACTION", "STATUS", "DETAILS"],
        &rows,
    )
}

/// Left-aligned columns two spaces apart; `headers` may be empty for label/value lines.
pub(super) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let all: Vec<&Vec<String>> = std::iter::once(&header)
        .filter(|h| !h.is_empty())
        .chain(rows)
        .collect();
    let mut widths: Vec<usize> = Vec::new();
    for row in &all {
        widths.resize(widths.len().max(row.len()), 0);
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in all {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// `code (HTTP status): message`, then one indented line per detail of the error.
impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (HTTP {}): {}", self.code, self.status, self.message)?;
        // The release's status and allowed actions first (a 409), then anything else.
        let first = ["status", "allowed_actions"];
        let details = first
            .iter()
            .filter_map(|k| self.details.get_key_value(*k))
            .chain(
                self.details
                    .iter()
                    .filter(|(k, _)| !first.contains(&k.as_str())),
            );
        for (key, value) in details {
            let label = match key.as_str() {
                "revision" => "current revision".to_string(),
                other => other.replace('_', " "),
            };
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Array(items) => {
                    let items: Vec<String> = items.iter().map(plain).collect();
                    list_or_none(&items)
                }
                other => other.to_string(),
            };
            write!(f, "\n  {label}: {value}")?;
        }
        if self.status == 401 {
            write!(
                f,
                "\n  check {TOKEN_VAR}: the gateway does not know this token"
            )?;
        }
        Ok(())
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(status: &str, percentage: f64) -> Release {
        serde_json::from_value(json!({
            "id": 12, "mini_program": "mp-coupons", "version": "1.4.0", "app": "superapp-a",
            "env": "production", "status": status, "percentage": percentage,
            "salt": "0123456789abcdef", "config": {}, "test_group_size": 2,
            "allowed_actions": ["go_live", "cancel"], "revision": 7,
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:01:00Z",
        }))
        .expect("the API's release shape")
    }

    #[test]
    fn release_tables_align_columns_and_show_the_share() {
        let out = releases(&[
            sample("grayscale_release", 25.5),
            sample("under_review", 0.0),
        ]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("ID  MINI PROGRAM  VERSION  TARGET"));
        assert!(lines[1].contains("superapp-a/production  grayscale_release  25.5%"));
        assert!(lines[2].contains("under_review       -"));
        let status_at = lines[0].find("STATUS");
        assert_eq!(lines[1].find("grayscale_release"), status_at);
        assert_eq!(releases(&[]), "no releases\n");
    }

    #[test]
    fn one_release_lists_its_allowed_actions() {
        let out = release(&sample("full_release", 0.0));
        assert!(out.contains("allowed actions  go_live, cancel\n"));
        assert!(out.contains("share            full\n"));
        assert!(!out.contains("plan"), "{out}");
        assert!(!out.contains("guard"), "{out}");
        assert!(!out.contains("targeting"), "{out}");
    }

    #[test]
    fn one_release_with_a_guard_shows_it_on_one_line() {
        let mut r = sample("grayscale_release", 5.0);
        r.guard = serde_json::from_value(json!({"max_error_rate_increase": 0.02,
            "min_samples": 500, "confidence": 0.99, "on_regression": "halt"}))
        .ok();
        let out = release(&r);
        let line = out.lines().find(|l| l.starts_with("guard"));
        assert_eq!(
            line.map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" ")),
            Some(
                "halt if the error rate rises more than 2.0 pp above full's \
                 (99% confidence, 500 reports per arm first)"
                    .into()
            ),
            "{out}"
        );
    }

    #[test]
    fn one_release_with_a_plan_lists_its_steps_after_the_labels() {
        let mut r = sample("grayscale_release", 1.0);
        r.plan = serde_json::from_value(json!({
            "steps": [{"percentage": 1, "hold": "1h"}, {"full": true}], "window": null,
            "state": "paused", "step": 0, "next_step_at": null, "reason": null,
        }))
        .ok();
        let out = release(&r);
        assert!(
            out.contains("plan             paused (step 1 of 2)\n"),
            "{out}"
        );
        assert!(out.contains("window           any time\n"), "{out}");
        let steps = out.lines().skip_while(|l| !l.contains("STEP"));
        assert_eq!(steps.count(), 3, "{out}");
    }

    #[test]
    fn history_shows_transitions_and_details() {
        let entries: Vec<HistoryEntry> = serde_json::from_value(json!([
            {"revision": 3, "at": "t1", "actor": "dev", "action": "create", "from": null,
             "to": "new_version_created", "details": {}},
            {"revision": 9, "at": "t2", "actor": "adm", "action": "go_live",
             "from": "grayscale_release", "to": "grayscale_release", "details": {"percentage": 10}},
        ]))
        .expect("the API's history shape");
        let out = history(&entries);
        assert!(out.contains("- -> new_version_created\n"));
        assert!(out.contains("grayscale_release -> grayscale_release  {\"percentage\":10}"));
    }

    #[test]
    fn api_failures_name_the_code_status_and_allowed_actions() {
        let details = json!({"status": "full_release", "allowed_actions": []});
        let failure = ApiFailure {
            status: 409,
            code: "action_not_allowed".into(),
            message: "approve refused: not possible in status full_release".into(),
            details: details.as_object().cloned().unwrap_or_default(),
        };
        assert_eq!(
            failure.to_string(),
            "action_not_allowed (HTTP 409): approve refused: not possible in status full_release\n  status: full_release\n  allowed actions: none"
        );
    }
}
