//! How `graygate release` prints a guard and a release's health (SPEC §9): the one-line
//! guard of `release show`, and `release health`, which says in plain words what the
//! guard decided and why, with the reports of each arm in a small table.
//!
//! Rates and differences are shown in percent and percentage points (pp) because the
//! guard's threshold is an absolute difference of rates: "1.0 pp allowed" reads right
//! next to "2.0% -> 3.0%", where "1%" would suggest a relative change.

use serde::Deserialize;

use super::render::table;
use crate::guard::Counts;

/// The API's guard representation.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct GuardView {
    max_error_rate_increase: f64,
    min_samples: u64,
    confidence: f64,
    on_regression: String,
}

/// The API's health representation. The guard's parameters, the decision and the
/// difference are null when the release has no guard.
#[derive(Debug, Deserialize)]
pub(super) struct Health {
    release_id: u64,
    decision: Option<String>,
    candidate: Counts,
    control: Counts,
    pilot: Counts,
    difference: Option<Difference>,
    max_error_rate_increase: Option<f64>,
    min_samples: Option<u64>,
    confidence: Option<f64>,
    on_regression: Option<String>,
    as_of: String,
}

/// `candidate − control` error rate: the estimate and the confidence sequence's bounds.
#[derive(Debug, Clone, Copy, Deserialize)]
struct Difference {
    estimate: f64,
    lower: f64,
    upper: f64,
}

impl GuardView {
    /// One line for `release show`, e.g. "rollback if the error rate rises more than 1.0
    /// pp above full's (95% confidence, 1000 reports per arm first)".
    pub(super) fn summary(&self) -> String {
        format!(
            "{} if the error rate rises more than {} pp above full's ({}% confidence, {} reports per arm first)",
            self.on_regression,
            points(self.max_error_rate_increase),
            confidence_percent(self.confidence),
            self.min_samples
        )
    }
}

impl Health {
    /// The guard the decision was made with; `None` without one.
    fn guard(&self) -> Option<GuardView> {
        Some(GuardView {
            max_error_rate_increase: self.max_error_rate_increase?,
            min_samples: self.min_samples?,
            confidence: self.confidence?,
            on_regression: self.on_regression.clone()?,
        })
    }

    /// The decision in plain words, with the figures it rests on.
    fn explanation(&self) -> String {
        let (Some(decision), Some(g)) = (self.decision.as_deref(), self.guard()) else {
            return "no guard: reports are counted, not judged \
                    (set one with `graygate release guard`)"
                .into();
        };
        let (c, k) = (self.candidate, self.control);
        let allowed = points(g.max_error_rate_increase);
        let level = confidence_percent(g.confidence);
        match (decision, self.difference) {
            ("insufficient_data", _) => format!(
                "insufficient data: candidate {}/{min} reports, control {}/{min}; \
                 no decision before each arm has {min}",
                c.total(),
                k.total(),
                min = g.min_samples
            ),
            ("healthy", Some(d)) => format!(
                "healthy: no increase above {allowed} pp shown (difference {} pp, \
                 {level}% bounds {} to {} pp)",
                signed_points(d.estimate),
                signed_points(d.lower),
                signed_points(d.upper)
            ),
            ("regression", Some(d)) => format!(
                "regression: the candidate's error rate {}% exceeds full's {}% by at least \
                 {} pp ({level}% confidence), more than the {allowed} pp allowed -> {}",
                percent(c.error_rate()),
                percent(k.error_rate()),
                points(d.lower),
                g.on_regression
            ),
            // A decision this CLI does not know (a newer gateway), or one without figures.
            (other, _) => other.replace('_', " "),
        }
    }
}

/// What `graygate release health` prints: labelled lines, then one row per arm.
pub(super) fn health(h: &Health) -> String {
    let guard = h.guard().map_or_else(|| "none".into(), |g| g.summary());
    let lines = [
        ("release", h.release_id.to_string()),
        ("decision", h.explanation()),
        ("guard", guard),
        ("as of", h.as_of.clone()),
    ];
    let rows: Vec<Vec<String>> = lines
        .into_iter()
        .map(|(label, value)| vec![label.to_string(), value])
        .collect();
    let mut out = table(&[], &rows);
    let arms = [
        ("candidate (grayscale)", h.candidate),
        ("control (full)", h.control),
        ("pilot (not judged)", h.pilot),
    ];
    let rows: Vec<Vec<String>> = arms
        .into_iter()
        .map(|(arm, c)| {
            vec![
                format!("  {arm}"),
                c.ok.to_string(),
                c.error.to_string(),
                c.total().to_string(),
                rate(c),
            ]
        })
        .collect();
    out.push_str(&table(
        &["  ARM", "OK", "ERROR", "REPORTS", "ERROR RATE"],
        &rows,
    ));
    out
}

/// An arm's error rate, "-" without reports (where the API's 0 would read as "no errors").
fn rate(c: Counts) -> String {
    match c.total() {
        0 => "-".into(),
        _ => format!("{}%", percent(c.error_rate())),
    }
}

/// A fraction in percent: one decimal, two when one would show a non-zero value as 0.0.
fn percent(fraction: f64) -> String {
    let value = 100.0 * fraction;
    // -0.0 prints as "-0.0"; an exact zero is neither rise nor fall.
    let value = if value == 0.0 { 0.0 } else { value };
    if value != 0.0 && value.abs() < 0.05 {
        format!("{value:.2}")
    } else {
        format!("{value:.1}")
    }
}

/// A difference of rates in percentage points, unsigned (thresholds, lower bounds).
fn points(fraction: f64) -> String {
    percent(fraction)
}

/// A difference of rates in percentage points with its sign: "+0.6", "-1.2", "0.0".
fn signed_points(fraction: f64) -> String {
    let text = percent(fraction);
    if fraction > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

/// A confidence level in percent without trailing zeros: 0.95 -> "95", 0.9999 -> "99.99".
fn confidence_percent(level: f64) -> String {
    let text = format!("{:.2}", 100.0 * level);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn sample(decision: Value, candidate: (u64, u64), control: (u64, u64)) -> Health {
        let arm = |(ok, error): (u64, u64)| json!({"ok": ok, "error": error, "error_rate": 0.0});
        serde_json::from_value(json!({
            "release_id": 12, "decision": decision, "candidate": arm(candidate),
            "control": arm(control), "pilot": {"ok": 3, "error": 0},
            "difference": {"estimate": -0.003, "lower": -0.012, "upper": 0.006},
            "max_error_rate_increase": 0.01, "confidence": 0.95, "min_samples": 1000,
            "on_regression": "rollback", "as_of": "2026-03-01T10:00:00.000Z",
        }))
        .expect("the API's health shape")
    }

    #[test]
    fn insufficient_data_names_each_arms_progress() {
        let h = sample(json!("insufficient_data"), (100, 20), (880, 20));
        assert_eq!(
            h.explanation(),
            "insufficient data: candidate 120/1000 reports, control 900/1000; \
             no decision before each arm has 1000"
        );
    }

    #[test]
    fn healthy_shows_the_difference_and_its_bounds() {
        let h = sample(json!("healthy"), (5000, 100), (5000, 115));
        assert_eq!(
            h.explanation(),
            "healthy: no increase above 1.0 pp shown (difference -0.3 pp, \
             95% bounds -1.2 to +0.6 pp)"
        );
    }

    #[test]
    fn a_regression_names_the_rates_the_bound_and_the_action() {
        let mut h = sample(json!("regression"), (700, 300), (980, 20));
        h.difference = Some(Difference {
            estimate: 0.28,
            lower: 0.241,
            upper: 0.319,
        });
        assert_eq!(
            h.explanation(),
            "regression: the candidate's error rate 30.0% exceeds full's 2.0% by at least \
             24.1 pp (95% confidence), more than the 1.0 pp allowed -> rollback"
        );
    }

    #[test]
    fn without_a_guard_the_counts_are_shown_unjudged() {
        let h: Health = serde_json::from_value(json!({
            "release_id": 3, "decision": null, "candidate": {"ok": 0, "error": 0, "error_rate": 0},
            "control": {"ok": 4, "error": 1, "error_rate": 0.2}, "pilot": {"ok": 0, "error": 0},
            "difference": null, "max_error_rate_increase": null, "confidence": null,
            "min_samples": null, "on_regression": null, "as_of": "t",
        }))
        .expect("the API's health shape");
        let out = health(&h);
        assert!(
            out.contains("decision  no guard: reports are counted"),
            "{out}"
        );
        assert!(out.contains("guard     none\n"), "{out}");
        let rows: Vec<Vec<&str>> = out
            .lines()
            .skip_while(|l| !l.contains("ARM"))
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows[0], ["ARM", "OK", "ERROR", "REPORTS", "ERROR", "RATE"]);
        assert_eq!(rows[1], ["candidate", "(grayscale)", "0", "0", "0", "-"]);
        assert_eq!(rows[2], ["control", "(full)", "4", "1", "5", "20.0%"]);
        assert_eq!(rows[3][..2], ["pilot", "(not"]);
    }

    #[test]
    fn the_guard_line_reads_as_a_rule() {
        let g = sample(json!("healthy"), (0, 0), (0, 0)).guard();
        assert_eq!(
            g.map(|g| g.summary()).as_deref(),
            Some(
                "rollback if the error rate rises more than 1.0 pp above full's \
                 (95% confidence, 1000 reports per arm first)"
            )
        );
    }

    #[test]
    fn figures_keep_small_values_visible_and_signs_honest() {
        assert_eq!(percent(0.3), "30.0");
        assert_eq!(percent(0.0004), "0.04");
        assert_eq!(percent(-0.0), "0.0");
        assert_eq!(signed_points(0.006), "+0.6");
        assert_eq!(signed_points(-0.012), "-1.2");
        assert_eq!(signed_points(0.0), "0.0");
        assert_eq!(confidence_percent(0.95), "95");
        assert_eq!(confidence_percent(0.9999), "99.99");
        assert_eq!(confidence_percent(0.5), "50");
    }
}
