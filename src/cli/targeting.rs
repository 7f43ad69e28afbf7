//! How `graygate` prints targeting (SPEC §10): a release's rules in `release show`, one
//! line each in the `--rule` syntax, and in `graygate explain` each rule with the value
//! the client sent and whether it held.

use serde::Deserialize;
use serde_json::Value;

use super::render::table;
use super::targeting_args::rule_text;

/// The API's targeting representation. Rules are kept as JSON so that one this CLI cannot
/// read still prints (as its JSON) instead of failing the whole answer.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct TargetingView {
    rules: Vec<Value>,
}

/// One rule applied to a client, from explain's `in_flight.targeting`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct RuleCheck {
    rule: Value,
    /// The client's value; null when it sent none (the rule fails).
    #[serde(default)]
    seen: Option<String>,
    held: bool,
}

impl TargetingView {
    /// One `targeting` line per rule for `release show`; none without rules.
    pub(super) fn lines(&self) -> Vec<(&'static str, String)> {
        self.rules
            .iter()
            .map(|rule| ("targeting", rule_text(rule)))
            .collect()
    }
}

/// One `targeting` line per rule, aligned: the rule, the value seen and whether it held,
/// e.g. `os in android,harmonyos  seen "ios"  no`; then `targeted` (whether all held).
/// Without rules, one line saying so.
pub(super) fn checks(checks: &[RuleCheck], targeted: bool) -> Vec<(&'static str, String)> {
    if checks.is_empty() {
        return vec![(
            "targeting",
            "none: every user may be in the grayscale".into(),
        )];
    }
    let rows: Vec<Vec<String>> = checks
        .iter()
        .map(|c| {
            let seen = c
                .seen
                .as_deref()
                .map_or("absent".into(), |v| format!("{v:?}"));
            vec![rule_text(&c.rule), format!("seen {seen}"), yes_no(c.held)]
        })
        .collect();
    let mut lines: Vec<(&'static str, String)> = table(&[], &rows)
        .lines()
        .map(|row| ("targeting", row.to_string()))
        .collect();
    lines.push(("targeted", yes_no(targeted)));
    lines
}

pub(super) fn yes_no(yes: bool) -> String {
    if yes { "yes" } else { "no" }.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn show_prints_one_line_per_rule_in_the_flag_syntax() {
        let view: TargetingView = serde_json::from_value(json!({"rules": [
            {"attribute": "os", "op": "in", "values": ["android", "harmonyos"]},
            {"attribute": "app_version", "op": "version_gte", "value": "10.2"},
            {"attribute": "os", "op": "in", "values": ["a,b"]},
        ]}))
        .expect("the API's targeting shape");
        let lines = view.lines();
        assert_eq!(lines[0], ("targeting", "os in android,harmonyos".into()));
        assert_eq!(lines[1], ("targeting", "app_version >= 10.2".into()));
        // A value with a comma cannot be written with --rule: its JSON is shown.
        assert_eq!(
            lines[2].1,
            r#"{"attribute":"os","op":"in","values":["a,b"]}"#
        );
    }

    #[test]
    fn explain_lines_align_rules_with_the_value_seen_and_the_verdict() {
        let checks_json = json!([
            {"rule": {"attribute": "os", "op": "in", "values": ["android", "harmonyos"]},
             "seen": "ios", "held": false},
            {"rule": {"attribute": "app_version", "op": "version_gte", "value": "10.2"},
             "seen": null, "held": false},
            {"rule": {"attribute": "region", "op": "starts_with", "value": "cn-"},
             "seen": "cn-east", "held": true},
        ]);
        let parsed: Vec<RuleCheck> = serde_json::from_value(checks_json).expect("checks");
        let lines = checks(&parsed, false);
        let texts: Vec<&str> = lines.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [
                "os in android,harmonyos  seen \"ios\"      no",
                "app_version >= 10.2      seen absent     no",
                "region starts-with cn-   seen \"cn-east\"  yes",
                "no",
            ]
        );
        assert_eq!(lines[3].0, "targeted");
        assert!(lines[..3].iter().all(|(label, _)| *label == "targeting"));
        let none = checks(&[], true);
        assert_eq!(none.len(), 1);
        assert!(none[0].1.starts_with("none"), "{none:?}");
    }
}
