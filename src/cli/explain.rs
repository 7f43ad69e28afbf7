//! `graygate explain`: why a user of a route gets what they get, from
//! `GET /v1/admin/explain` (SPEC §3, §10). The client's attributes are given as
//! `--attr NAME=VALUE`, repeated, and sent as `attr.NAME` (percent-encoded), as a super app
//! sends them on resolve. People get the outcome, each rule of SPEC §3 with its verdict and
//! reason, and each targeting rule with the value seen and whether it held; `--json`
//! prints the API's answer.

use clap::Args;
use serde::Deserialize;

use super::render::table;
use super::targeting::{RuleCheck, checks, yes_no};
use super::{CliError, unexpected};
use crate::model::{
    AppId, Env, MiniProgramId, UserId, check_attribute_name, check_attribute_value,
};

/// `graygate explain`: the resolve to explain; every flag but `--attr` is required.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The target app, e.g. superapp-a.
    #[arg(long, value_parser = AppId::parse)]
    app: AppId,
    /// The environment: development, test, sandbox or production.
    #[arg(long)]
    env: Env,
    /// The mini program, e.g. mp-coupons.
    #[arg(long, value_parser = MiniProgramId::parse)]
    mini_program: MiniProgramId,
    /// The end user id, as the super app sends it.
    #[arg(long, value_parser = UserId::parse)]
    user: UserId,
    /// A client attribute, NAME=VALUE (e.g. os=android, app_version=10.2.3), as the super
    /// app would send it on resolve; repeat for each attribute, each name once.
    #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = parse_attr)]
    attrs: Vec<(String, String)>,
}

/// One `--attr`: `NAME=VALUE`, split at the first `=`, both checked as the gateway does.
fn parse_attr(raw: &str) -> Result<(String, String), String> {
    let (name, value) = raw
        .split_once('=')
        .ok_or_else(|| format!("{raw:?} is not NAME=VALUE (e.g. os=android)"))?;
    check_attribute_name(name).map_err(|e| format!("the name {name:?} {}", e.reason))?;
    check_attribute_value(value).map_err(|e| format!("the value of {name} {}", e.reason))?;
    Ok((name.to_string(), value.to_string()))
}

impl ExplainArgs {
    /// The query of `GET /v1/admin/explain`; a name given twice is refused here.
    pub(super) fn query(&self) -> Result<Vec<(String, String)>, CliError> {
        let mut query = vec![
            ("app".to_string(), self.app.to_string()),
            ("env".into(), self.env.to_string()),
            ("mini_program".into(), self.mini_program.to_string()),
            ("user".into(), self.user.to_string()),
        ];
        for (i, (name, value)) in self.attrs.iter().enumerate() {
            if self.attrs[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(CliError::BadFlag {
                    flag: "--attr",
                    message: format!("{name} is given twice; a client sends each name once"),
                });
            }
            query.push((format!("attr.{name}"), value.clone()));
        }
        Ok(query)
    }
}

/// The API's explanation, the parts a person reads.
#[derive(Debug, Deserialize)]
struct Explanation {
    revision: u64,
    outcome: String,
    decision: Option<Decision>,
    steps: Vec<Step>,
    in_flight: Option<InFlight>,
}

#[derive(Debug, Deserialize)]
struct Decision {
    release_id: u64,
    version: String,
}

#[derive(Debug, Deserialize)]
struct Step {
    rule: String,
    matched: bool,
    reason: String,
}

#[derive(Debug, Deserialize)]
struct InFlight {
    #[serde(default)]
    targeting: Vec<RuleCheck>,
    #[serde(default = "always")]
    targeted: bool,
}

fn always() -> bool {
    true
}

/// What `graygate explain` prints for people.
pub(super) fn render(body: serde_json::Value) -> Result<String, CliError> {
    let e: Explanation = serde_json::from_value(body).map_err(|e| unexpected(200, e))?;
    Ok(explanation(&e))
}

fn explanation(e: &Explanation) -> String {
    let outcome = match &e.decision {
        Some(d) => format!("{} (release {}, {})", e.outcome, d.release_id, d.version),
        None => e.outcome.replace('_', " "),
    };
    let mut lines = vec![("outcome".to_string(), outcome)];
    for step in &e.steps {
        let verdict = format!("{:<3}  {}", yes_no(step.matched), step.reason);
        lines.push((step.rule.clone(), verdict));
    }
    if let Some(f) = &e.in_flight {
        let targeting = checks(&f.targeting, f.targeted);
        lines.extend(targeting.into_iter().map(|(l, v)| (l.to_string(), v)));
    }
    lines.push(("revision".into(), e.revision.to_string()));
    let rows: Vec<Vec<String>> = lines.into_iter().map(|(l, v)| vec![l, v]).collect();
    table(&[], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_are_name_equals_value_checked_like_the_gateway() {
        assert_eq!(
            parse_attr("os=android"),
            Ok(("os".into(), "android".into()))
        );
        let split_once = parse_attr("tag=a=b");
        assert_eq!(split_once, Ok(("tag".into(), "a=b".into())));
        let spaced = parse_attr("device_model=Pixel 8");
        assert_eq!(spaced, Ok(("device_model".into(), "Pixel 8".into())));
        assert!(parse_attr("os").is_err_and(|e| e.contains("NAME=VALUE")));
        assert!(parse_attr("OS=android").is_err_and(|e| e.contains("\"OS\"")));
        assert!(parse_attr("os=").is_err_and(|e| e.contains("1 to 256 bytes")));
        assert!(parse_attr("os=a\nb").is_err_and(|e| e.contains("control")));
    }

    #[test]
    fn the_explanation_lists_steps_then_targeting() {
        let e: Explanation = serde_json::from_value(json!({
            "revision": 9, "outcome": "full",
            "decision": {"release_id": 3, "version": "1.0.0", "channel": "full"},
            "steps": [
                {"rule": "pilot", "matched": false, "reason": "not a member"},
                {"rule": "grayscale", "matched": false, "reason": "targeting does not hold"},
                {"rule": "full", "matched": true, "reason": "release 3 (1.0.0) is in full release"},
            ],
            "in_flight": {"release_id": 4, "targeted": false, "targeting": [
                {"rule": {"attribute": "os", "op": "in", "values": ["android"]},
                 "seen": "ios", "held": false}]},
            "full": {"release_id": 3, "version": "1.0.0", "channel": "full"},
        }))
        .expect("the API's explanation shape");
        let out = explanation(&e);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "outcome    full (release 3, 1.0.0)");
        assert_eq!(lines[1], "pilot      no   not a member");
        assert_eq!(
            lines[3],
            "full       yes  release 3 (1.0.0) is in full release"
        );
        assert_eq!(lines[4], "targeting  os in android  seen \"ios\"  no");
        assert_eq!(lines[5], "targeted   no");
        assert_eq!(lines[6], "revision   9");
    }

    #[test]
    fn without_an_in_flight_release_there_is_no_targeting_line() {
        let e: Explanation = serde_json::from_value(json!({
            "revision": 1, "outcome": "not_released", "decision": null, "steps": [],
            "in_flight": null, "full": null,
        }))
        .expect("the API's explanation shape");
        assert_eq!(explanation(&e), "outcome   not released\nrevision  1\n");
    }
}
