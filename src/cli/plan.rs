//! How `graygate release show` prints a release's rollout plan (SPEC §8): its state, the
//! window, when the next step is due, why it waits or halted, and one line per step with
//! the applied steps and the current one marked.

use serde::Deserialize;
use serde_json::Number;

use super::render::table;

/// The API's plan representation: every key present, null where not set.
#[derive(Debug, Deserialize)]
pub(super) struct Plan {
    steps: Vec<Step>,
    window: Option<Window>,
    state: String,
    step: Option<usize>,
    next_step_at: Option<String>,
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Step {
    #[serde(default)]
    percentage: Option<Number>,
    #[serde(default)]
    hold: Option<String>,
    #[serde(default)]
    full: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Window {
    timezone: String,
    days: Vec<String>,
    from: String,
    to: String,
}

impl Plan {
    /// Label/value lines for the release's table.
    pub(super) fn lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = vec![
            ("plan", self.summary()),
            ("window", self.window_text()),
            (
                "next step at",
                self.next_step_at.clone().unwrap_or_else(|| "-".into()),
            ),
        ];
        if let Some(reason) = &self.reason {
            lines.push(("reason", reason.clone()));
        }
        lines
    }

    /// The steps, one line each, indented under the release's table.
    pub(super) fn steps_table(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                vec![
                    format!("  {}", i + 1),
                    s.share(),
                    s.hold.clone().unwrap_or_default(),
                    self.mark(i).to_string(),
                ]
            })
            .collect();
        table(&["  STEP", "SHARE", "HOLD", ""], &rows)
    }

    fn summary(&self) -> String {
        match self.step {
            Some(i) => format!("{} (step {} of {})", self.state, i + 1, self.steps.len()),
            None => format!("{} ({} steps)", self.state, self.steps.len()),
        }
    }

    fn window_text(&self) -> String {
        match &self.window {
            Some(w) => format!("{} {} {}-{}", w.timezone, w.days.join(","), w.from, w.to),
            None => "any time".into(),
        }
    }

    /// `applied` before the current step, `current` for the last applied one.
    fn mark(&self, i: usize) -> &'static str {
        match self.step {
            Some(current) if i < current => "applied",
            Some(current) if i == current => "current",
            _ => "",
        }
    }
}

impl Step {
    fn share(&self) -> String {
        match (&self.percentage, self.full) {
            (Some(p), _) => format!("{p}%"),
            (None, Some(true)) => "full".into(),
            (None, _) => "-".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(state: &str, step: Option<usize>, reason: Option<&str>) -> Plan {
        serde_json::from_value(json!({
            "steps": [{"percentage": 1, "hold": "1h"}, {"percentage": 5.5, "hold": "2h"},
                      {"full": true}],
            "window": {"timezone": "Asia/Shanghai", "days": ["mon", "tue"],
                       "from": "10:00", "to": "17:00"},
            "state": state, "step": step,
            "next_step_at": step.map(|_| "2026-12-01T23:00:00.000Z"), "reason": reason,
        }))
        .expect("the API's plan shape")
    }

    #[test]
    fn a_running_plan_marks_applied_and_current_steps() {
        let p = plan("running", Some(1), None);
        let lines = p.lines();
        assert_eq!(lines[0], ("plan", "running (step 2 of 3)".to_string()));
        assert_eq!(lines[1].1, "Asia/Shanghai mon,tue 10:00-17:00");
        assert_eq!(lines[2].1, "2026-12-01T23:00:00.000Z");
        assert_eq!(lines.len(), 3, "no reason line without a reason");
        let steps = p.steps_table();
        let rows: Vec<Vec<&str>> = steps
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows[0], ["STEP", "SHARE", "HOLD"]);
        assert_eq!(rows[1], ["1", "1%", "1h", "applied"]);
        assert_eq!(rows[2], ["2", "5.5%", "2h", "current"]);
        assert_eq!(rows[3], ["3", "full"]);
    }

    #[test]
    fn a_pending_plan_has_no_marks_and_a_halted_one_says_why() {
        let pending = plan("pending", None, None);
        assert_eq!(pending.lines()[0].1, "pending (3 steps)");
        assert_eq!(pending.lines()[2].1, "-");
        assert!(!pending.steps_table().contains("applied"));
        let halted = plan("halted", Some(0), Some("error rate above baseline"));
        assert_eq!(
            halted.lines()[3],
            ("reason", "error rate above baseline".into())
        );
    }
}
