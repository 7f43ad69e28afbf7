//! The flags of `graygate release targeting` (SPEC §10): `--rule 'NAME OP OPERAND'`,
//! repeated for each rule, turned into the JSON of `PUT …/targeting`; `--clear` sends no
//! rules, `--json-file` sends a file's `{"rules":[…]}`. `release create --targeting-rule`
//! takes the same syntax.
//!
//! The syntax is one rule per flag, three parts separated by spaces, so each rule reads as
//! it is written: `os in android,harmonyos`, `app_version >= 10.2`. Names, values, versions
//! and numbers are checked here with the model's own checks, so a typo fails before any
//! request with the flag and the rule in the message. `release show` prints rules in this
//! same syntax ([`rule_text`]), so a rule can be copied back into `--rule`: after approval
//! an admin may only remove whole rules, by sending the others unchanged.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Number, Value, json};

use super::client::Method;
use super::files::read_targeting;
use super::{Call, CliError, Target};
use crate::model::{DottedVersion, Op, RawRule, check_attribute_name, check_attribute_value};

/// What `--rule` looks like, for `--help` and error messages.
pub(super) const RULE_SYNTAX: &str = "NAME OP OPERAND, e.g. 'os in android,harmonyos' or \
    'app_version >= 10.2'; OP is in, not-in (OPERAND a comma list; in~ and not-in~ ignore \
    ASCII case), starts-with (a prefix), == >= < (a dotted version), num>= num< (a number)";

/// Each spelling of an op with the API's op and whether it ignores ASCII case.
const OPS: [(&str, Op, bool); 10] = [
    ("in", Op::In, false),
    ("in~", Op::In, true),
    ("not-in", Op::NotIn, false),
    ("not-in~", Op::NotIn, true),
    ("starts-with", Op::StartsWith, false),
    ("==", Op::VersionEq, false),
    (">=", Op::VersionGte, false),
    ("<", Op::VersionLt, false),
    ("num>=", Op::NumGte, false),
    ("num<", Op::NumLt, false),
];

/// `release targeting`: the rules to set (`PUT …/targeting`), all of which must hold.
#[derive(Debug, Args)]
pub(super) struct TargetingArgs {
    #[command(flatten)]
    target: Target,
    /// A rule: NAME OP OPERAND, separated by spaces. OP is `in` or `not-in` with a comma
    /// list, spaces around items dropped (`os in android,harmonyos`; `in~`, `not-in~`
    /// ignore ASCII case),
    /// `starts-with` with a prefix (`region starts-with cn-`), `==`, `>=` or `<` with a
    /// dotted version (`app_version >= 10.2`; 10.2 == 10.2.0), `num>=` or `num<` with a
    /// number (`screen_width num>= 1080`). Repeat for each rule; all must hold. After
    /// approval rules can only be removed: send the others as `release show` prints them.
    #[arg(long = "rule", value_name = "RULE", value_parser = parse_rule,
          required_unless_present_any = ["clear", "json_file"])]
    rules: Vec<RawRule>,
    /// Remove every rule: the release serves everybody its share again.
    #[arg(long, conflicts_with_all = ["rules", "json_file"])]
    clear: bool,
    /// Send the targeting in this file as is: the API's {"rules":[…]} (for values the
    /// --rule syntax cannot hold, such as one with a comma).
    #[arg(long, value_name = "FILE", conflicts_with = "rules")]
    json_file: Option<PathBuf>,
}

/// `PUT …/targeting` with the rules, none for `--clear`, or the file's.
pub(super) fn targeting_call(t: &TargetingArgs) -> Result<Call, CliError> {
    let body = match &t.json_file {
        Some(path) => read_targeting(path)?,
        // With --clear clap admits no --rule, so the list is empty.
        None => targeting_body(&t.rules),
    };
    Ok(Call::Write {
        method: Method::Put,
        path: format!("/{}/targeting", t.target.id),
        body: Some(body),
        if_match: t.target.if_match,
    })
}

/// The API's targeting object: `{"rules":[…]}`.
pub(super) fn targeting_body(rules: &[RawRule]) -> Value {
    json!({ "rules": rules })
}

/// One `--rule`: `NAME OP OPERAND` (see [`RULE_SYNTAX`]).
pub(super) fn parse_rule(raw: &str) -> Result<RawRule, String> {
    let shape = || format!("{raw:?} is not a rule: expected {RULE_SYNTAX}");
    let (name, rest) = raw
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(shape)?;
    let (op_text, operand) = rest
        .trim_start()
        .split_once(char::is_whitespace)
        .ok_or_else(shape)?;
    let operand = operand.trim();
    check_attribute_name(name)
        .map_err(|e| format!("the attribute {name:?} of rule {raw:?} {}", e.reason))?;
    let Some(&(_, op, fold)) = OPS.iter().find(|(text, ..)| *text == op_text) else {
        let known: Vec<&str> = OPS.iter().map(|(text, ..)| *text).collect();
        return Err(format!(
            "{op_text:?} in rule {raw:?} is not an op: use one of {}",
            known.join(" ")
        ));
    };
    let mut rule = RawRule {
        attribute: name.to_string(),
        op,
        values: None,
        value: None,
        case_insensitive: fold.then_some(true),
    };
    let bad = |reason: String| format!("the operand of rule {raw:?} {reason}");
    match op {
        Op::In | Op::NotIn => rule.values = Some(list(operand).map_err(bad)?),
        Op::StartsWith => rule.value = Some(Value::String(text(operand).map_err(bad)?)),
        Op::VersionEq | Op::VersionGte | Op::VersionLt => {
            rule.value = Some(Value::String(version(operand).map_err(bad)?));
        }
        Op::NumGte | Op::NumLt => rule.value = Some(Value::Number(number(operand).map_err(bad)?)),
    }
    Ok(rule)
}

/// A comma list of values; spaces around each value are dropped.
fn list(operand: &str) -> Result<Vec<String>, String> {
    operand
        .split(',')
        .map(|v| {
            let v = v.trim();
            check_attribute_value(v)
                .map(|()| v.to_string())
                .map_err(|e| format!("has a value {v:?} that {}", e.reason))
        })
        .collect()
}

fn text(operand: &str) -> Result<String, String> {
    check_attribute_value(operand)
        .map(|()| operand.to_string())
        .map_err(|e| format!("{operand:?} {}", e.reason))
}

fn version(operand: &str) -> Result<String, String> {
    match DottedVersion::parse(operand) {
        Some(_) => Ok(operand.to_string()),
        None => Err(format!(
            "{operand:?} is not a version (1 to 4 dotted numbers, optionally -suffix: 10.2, 1.0.0-beta)"
        )),
    }
}

/// A JSON number, kept as written (`3` stays `3`, not `3.0`).
fn number(operand: &str) -> Result<Number, String> {
    serde_json::from_str::<Number>(operand)
        .ok()
        .filter(|n| n.as_f64().is_some_and(f64::is_finite))
        .ok_or_else(|| format!("{operand:?} is not a number (e.g. 1080, -2.5, 1e3)"))
}

/// A rule in the `--rule` syntax when it reads back as the same rule, else its JSON
/// (a value with a comma, `"case_insensitive":false`, a field this CLI does not know).
pub(super) fn rule_text(rule: &Value) -> String {
    let Ok(raw) = serde_json::from_value::<RawRule>(rule.clone()) else {
        return rule.to_string();
    };
    let Some(&(op, ..)) = OPS
        .iter()
        .find(|(_, o, fold)| *o == raw.op && raw.case_insensitive == fold.then_some(true))
    else {
        return rule.to_string();
    };
    let operand = match (&raw.values, &raw.value) {
        (Some(values), None) => values.join(","),
        (None, Some(Value::String(s))) => s.clone(),
        (None, Some(other)) => other.to_string(),
        _ => return rule.to_string(),
    };
    let text = format!("{} {op} {operand}", raw.attribute);
    match parse_rule(&text) {
        Ok(back) if back == raw => text,
        _ => rule.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::test_support::write_of;

    fn rule(raw: &str) -> Value {
        parse_rule(raw).map_or_else(|e| json!(e), |r| json!(r))
    }

    #[test]
    fn each_op_spelling_gives_the_api_rule() {
        let cases = [
            (
                "os in android, harmonyos",
                json!({"attribute": "os", "op": "in",
                "values": ["android", "harmonyos"]}),
            ),
            (
                "os not-in~ iOS",
                json!({"attribute": "os", "op": "not_in",
                "values": ["iOS"], "case_insensitive": true}),
            ),
            (
                "os in~ a,b",
                json!({"attribute": "os", "op": "in", "values": ["a", "b"],
                "case_insensitive": true}),
            ),
            (
                "device_model in Pixel 8,Mate 60",
                json!({"attribute": "device_model",
                "op": "in", "values": ["Pixel 8", "Mate 60"]}),
            ),
            (
                "region starts-with cn-",
                json!({"attribute": "region", "op": "starts_with",
                "value": "cn-"}),
            ),
            (
                "  app_version   >=  10.2 ",
                json!({"attribute": "app_version",
                "op": "version_gte", "value": "10.2"}),
            ),
            (
                "app_version == 1.0.0-beta",
                json!({"attribute": "app_version",
                "op": "version_eq", "value": "1.0.0-beta"}),
            ),
            (
                "os_version < 12",
                json!({"attribute": "os_version", "op": "version_lt",
                "value": "12"}),
            ),
            (
                "width num>= 1080",
                json!({"attribute": "width", "op": "num_gte", "value": 1080}),
            ),
            (
                "ratio num< 2.5",
                json!({"attribute": "ratio", "op": "num_lt", "value": 2.5}),
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(rule(raw), expected, "{raw}");
        }
    }

    #[test]
    fn malformed_rules_say_what_is_wrong() {
        let refused = |raw: &str| parse_rule(raw).expect_err(raw);
        assert!(refused("os").contains("expected NAME OP OPERAND"));
        assert!(refused("app_version>=10.2").contains("expected NAME OP OPERAND"));
        assert!(refused("os in").contains("expected NAME OP OPERAND"));
        assert!(refused("OS in a").contains("the attribute \"OS\""));
        let op = refused("os is android");
        assert!(op.contains("\"is\"") && op.contains("not-in~"), "{op}");
        assert!(refused("os >= x.y").contains("\"x.y\" is not a version"));
        assert!(refused("os >= 1.2.3.4.5").contains("not a version"));
        assert!(refused("n num>= ten").contains("\"ten\" is not a number"));
        assert!(refused("n num>= NaN").contains("not a number"));
        assert!(refused("os in a,,b").contains("1 to 256 bytes"));
        assert!(refused(&format!("os starts-with {}", "x".repeat(257))).contains("256"));
    }

    #[test]
    fn rules_print_back_in_the_flag_syntax_or_as_json() {
        for raw in [
            "os in android,harmonyos",
            "os not-in~ iOS",
            "region starts-with cn-",
            "app_version >= 10.2",
            "app_version == 10.2.0",
            "app_version < 11",
            "width num>= 1080",
            "ratio num< 2.5",
        ] {
            assert_eq!(rule_text(&rule(raw)), raw);
        }
        for json in [
            json!({"attribute": "os", "op": "in", "values": ["a,b"]}),
            json!({"attribute": "os", "op": "in", "values": ["a"], "case_insensitive": false}),
            json!({"attribute": "os", "op": "starts_with", "value": " x"}),
            json!({"attribute": "os", "op": "in", "values": ["a"], "weight": 2}),
        ] {
            assert_eq!(rule_text(&json), json.to_string());
        }
    }

    #[test]
    fn targeting_commands_put_the_rules_or_none() {
        let put = write_of(&[
            "targeting",
            "7",
            "--rule",
            "os in android",
            "--rule",
            "app_version >= 10.2",
            "--if-match",
            "3",
        ]);
        let body = json!({"rules": [{"attribute": "os", "op": "in", "values": ["android"]},
            {"attribute": "app_version", "op": "version_gte", "value": "10.2"}]});
        assert_eq!(put, Ok((Method::Put, "/7/targeting".into(), Some(body))));
        let clear = write_of(&["targeting", "7", "--clear"]);
        let none = Some(json!({"rules": []}));
        assert_eq!(clear, Ok((Method::Put, "/7/targeting".into(), none)));
        for args in [
            &["targeting", "7"][..],
            &["targeting", "7", "--clear", "--rule", "os in a"],
            &[
                "targeting",
                "7",
                "--json-file",
                "t.json",
                "--rule",
                "os in a",
            ],
            &["targeting", "7", "--rule", "os = a"],
        ] {
            assert!(write_of(args).is_err(), "{args:?}");
        }
        let named = write_of(&["targeting", "7", "--rule", "os >= ten"]).unwrap_err();
        assert!(
            named.contains("--rule") && named.contains("not a version"),
            "{named}"
        );
    }

    #[test]
    fn create_takes_targeting_rules_in_the_same_syntax() {
        let args = [
            "create",
            "--mini-program",
            "mp-a",
            "--version",
            "1.0.0",
            "--app",
            "app-a",
            "--env",
            "production",
            "--targeting-rule",
            "os in android",
        ];
        let (_, _, body) = write_of(&args).expect("a create");
        let targeting = body.map(|b| b["targeting"].clone());
        let expected = json!({"rules": [{"attribute": "os", "op": "in", "values": ["android"]}]});
        assert_eq!(targeting, Some(expected));
        let (_, _, plain) = write_of(&args[..9]).expect("a create");
        assert!(plain.is_some_and(|b| b.get("targeting").is_none()));
    }
}
