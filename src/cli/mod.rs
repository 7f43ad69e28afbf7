//! The operator CLI, `graygate release …` and `graygate explain`: a blocking client of
//! the admin API (SPEC §4).
//!
//! This module owns the `release` subcommand's arguments, the HTTP calls it makes
//! (`client`) and what it prints (`render`; a release's rollout plan in `plan`). The
//! `release plan` flags (`--step`, `--window`, SPEC §8) are parsed in `plan_args`; the
//! `release guard` flags (SPEC §9) in `guard_args`, and a guard and a release's health are
//! printed by `guard`; the `--rule` syntax of `release targeting` (SPEC §10) is parsed in
//! `targeting_args`, and rules are printed by `targeting`. `graygate explain` (with the
//! client's `--attr`ibutes) is in `explain`. People
//! get aligned tables. Scripts pass `--json` and get the API's JSON, pretty-printed. An
//! API error goes to stderr with its code and message, plus the release's status and
//! allowed actions for a 409, and the command exits non-zero. The bearer token comes only
//! from `GRAYGATE_TOKEN`. It is never an argument, so it stays out of shell history and
//! `ps`, and it is never printed. `main.rs` only wires the subcommand in, with
//! [`ApiOptions`] as global flags that work before or after it.
//! `graygate hash-token` lives here too (`token`): it prints config for the tokens this
//! CLI then sends. `graygate suspend`, `unsuspend` and `suspensions` (SPEC §11, the super
//! app's stop of a mini program) are in `suspension`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::model::{AppId, Env, InvalidValue, MiniProgramId, Percentage, Status, Version};
use crate::model::{RawRule, ReleaseId};

mod client;
mod error;
mod explain;
mod files;
mod guard;
mod guard_args;
mod plan;
mod plan_args;
mod render;
mod suspension;
mod targeting;
mod targeting_args;
#[cfg(test)]
mod test_support;
mod token;

use files::{read_config, read_test_group};

use error::unexpected;
pub use error::{ApiFailure, CliError};
pub use explain::ExplainArgs;
pub use suspension::{
    SuspendArgs, SuspensionsArgs, UnsuspendArgs, list as suspensions, suspend, unsuspend,
};
pub use token::{HashTokenArgs, hash_token};

use client::{Client, Method};
use guard_args::{GuardArgs, guard_call};
use plan_args::{PlanArgs, plan_call};
use render::Shape;
use targeting_args::{TargetingArgs, parse_rule, targeting_body, targeting_call};

/// The environment variable that holds the admin API bearer token.
pub const TOKEN_VAR: &str = "GRAYGATE_TOKEN";
/// Where the admin listener is by default (SPEC §5).
pub const DEFAULT_ADMIN_URL: &str = "http://127.0.0.1:8081";

/// How `graygate release …` and `graygate explain` reach the admin API and print its
/// answers. `main.rs` flattens these into the top-level command as global flags, so they
/// work before or after any subcommand (`graygate --json release list`, `graygate release list --json`).
#[derive(Debug, Args)]
pub struct ApiOptions {
    /// Release and explain commands: base URL of the admin listener (plain http: keep
    /// the admin API on a private network).
    #[arg(long, global = true, env = "GRAYGATE_ADMIN_URL", default_value = DEFAULT_ADMIN_URL)]
    admin_url: String,
    /// Release and explain commands: print the admin API's JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// Release and explain commands: seconds to wait for the whole exchange with the
    /// admin API.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
}

/// `graygate release …`: one operation on releases.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    #[command(subcommand)]
    op: ReleaseOp,
}

#[derive(Debug, Subcommand)]
enum ReleaseOp {
    /// List releases, optionally filtered.
    List(ListArgs),
    /// Show one release with its allowed actions.
    Show {
        /// The release id.
        id: ReleaseId,
    },
    /// Show the history of a release: every accepted action.
    History {
        /// The release id.
        id: ReleaseId,
    },
    /// Create a release of an uploaded version for a release target.
    Create(CreateArgs),
    /// Apply for release (developer, admin).
    Apply(Target),
    /// Approve an application (reviewer).
    Approve(Target),
    /// Reject an application, or a request to take offline, with a reason (reviewer).
    Reject(Reasoned),
    /// Take an application back (developer, admin).
    Withdraw(Target),
    /// End pilot testing (admin).
    CompleteTesting(Target),
    /// Go live in production: a grayscale step, full, or start the pending plan (admin).
    GoLive {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        step: GoLiveStep,
    },
    /// Cancel a release that is not yet in full: the way to roll back a grayscale (admin).
    Cancel(Target),
    /// Take a full release offline: through review where approval is manual (production
    /// always), at once elsewhere (developer, admin).
    TakeOffline(Reasoned),
    /// Roll a full release back to the full release it replaced, in one step (admin).
    Rollback(Reasoned),
    /// Set or replace a production release's rollout plan, or remove it (admin).
    Plan(PlanArgs),
    /// Pause a running plan (admin).
    Pause(Target),
    /// Resume a paused or halted plan; the next step is due one hold later (admin).
    Resume(Target),
    /// Set or replace a release's guard, which halts or rolls back a grayscale release
    /// whose error rate regresses against full; or remove it (admin).
    Guard(GuardArgs),
    /// Set a production release's targeting: the rules a client's attributes must all
    /// meet to be in the grayscale; or clear it. Pilot members and full are unaffected.
    Targeting(TargetingArgs),
    /// Explain a release's health: the guard's decision and each arm's reports.
    Health {
        /// The release id.
        id: ReleaseId,
    },
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Only releases of this mini program.
    #[arg(long, value_parser = MiniProgramId::parse)]
    mini_program: Option<MiniProgramId>,
    /// Only releases to this target app.
    #[arg(long, value_parser = AppId::parse)]
    app: Option<AppId>,
    /// Only releases to this environment: development, test, sandbox or production.
    #[arg(long)]
    env: Option<Env>,
    /// Only releases in this status, e.g. grayscale_release.
    #[arg(long)]
    status: Option<Status>,
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// The mini program, e.g. mp-coupons.
    #[arg(long, value_parser = MiniProgramId::parse)]
    mini_program: MiniProgramId,
    /// An uploaded version of the mini program.
    #[arg(long, value_parser = Version::parse)]
    version: Version,
    /// The target app, e.g. superapp-a.
    #[arg(long, value_parser = AppId::parse)]
    app: AppId,
    /// The environment: development, test, sandbox or production.
    #[arg(long)]
    env: Env,
    /// A JSON object: the release-specific config.
    #[arg(long, value_name = "FILE")]
    config_file: Option<PathBuf>,
    /// The pilot test group: one user id per line.
    #[arg(long, value_name = "FILE")]
    test_group_file: Option<PathBuf>,
    /// A targeting rule (production only), as `release targeting --rule` takes it, e.g.
    /// 'os in android,harmonyos' or 'app_version >= 10.2'; repeat for each rule.
    #[arg(long = "targeting-rule", value_name = "RULE", value_parser = parse_rule)]
    targeting_rules: Vec<RawRule>,
}

/// A release and why: `reject`, `take-offline`, `rollback`.
#[derive(Debug, Args)]
struct Reasoned {
    #[command(flatten)]
    target: Target,
    /// Why (1 to 1,000 characters): kept in the history.
    #[arg(long)]
    reason: String,
}

/// The release a mutating command acts on.
#[derive(Debug, Args)]
struct Target {
    /// The release id.
    id: ReleaseId,
    /// Act only if the release is still at this revision (else 412).
    #[arg(long, value_name = "REV")]
    if_match: Option<u64>,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct GoLiveStep {
    /// Serve the release to this share of users (above the current one, below 100).
    #[arg(long, value_parser = grayscale_percentage)]
    percentage: Option<Percentage>,
    /// Serve the release to everyone.
    #[arg(long)]
    full: bool,
    /// Start the release's pending rollout plan.
    #[arg(long)]
    plan: bool,
}

fn grayscale_percentage(raw: &str) -> Result<Percentage, InvalidValue> {
    let number: f64 = raw
        .parse()
        .map_err(|_| InvalidValue::new("percentage", "must be a number"))?;
    let p = Percentage::from_percent(number)?;
    if p == Percentage::ZERO || p == Percentage::FULL {
        return Err(InvalidValue::new(
            "percentage",
            "must be above 0 and below 100; use --full for 100",
        ));
    }
    Ok(p)
}

/// Runs one `graygate release …` command.
pub fn run(api: &ApiOptions, args: &ReleaseArgs) -> Result<(), CliError> {
    let client = Client::new(&api.admin_url, Duration::from_secs(api.timeout))?;
    let call = Call::for_op(&args.op)?;
    let (body, shape) = match call {
        Call::Read { path, query, shape } => (client.get(&path, &query)?, shape),
        Call::Write {
            method,
            path,
            body,
            if_match,
        } => (
            client.write(method, &path, body.as_ref(), if_match)?,
            Shape::One,
        ),
    };
    print(api, body, |body| shape.render(body))
}

/// Runs `graygate explain`: the flags are checked before the request.
pub fn explain(api: &ApiOptions, args: &ExplainArgs) -> Result<(), CliError> {
    let query = args.query()?;
    let client = Client::new(&api.admin_url, Duration::from_secs(api.timeout))?;
    print(api, client.explain(&query)?, explain::render)
}

/// Prints an answer: its JSON with `--json`, else what `render` makes of it for people.
fn print(
    api: &ApiOptions,
    body: Value,
    render: impl FnOnce(Value) -> Result<String, CliError>,
) -> Result<(), CliError> {
    let text = if api.json {
        serde_json::to_string_pretty(&body).map_err(|e| unexpected(200, e))? + "\n"
    } else {
        render(body)?
    };
    match std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()) {
        // `graygate release list | head` closed the pipe: not a failure of the command.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => Ok(written?),
    }
}

/// One request to `/v1/admin/releases…`, decided from the command line before any I/O.
enum Call {
    Read {
        path: String,
        query: Vec<(&'static str, String)>,
        shape: Shape,
    },
    /// Answers the release as it is after the write.
    Write {
        method: Method,
        path: String,
        body: Option<Value>,
        if_match: Option<u64>,
    },
}

impl Call {
    fn for_op(op: &ReleaseOp) -> Result<Call, CliError> {
        let read = |path: String, shape| Call::Read {
            path,
            query: Vec::new(),
            shape,
        };
        let act = |t: &Target, action: &str, body| Call::Write {
            method: Method::Post,
            path: format!("/{}/{action}", t.id),
            body,
            if_match: t.if_match,
        };
        Ok(match op {
            ReleaseOp::List(filter) => Call::Read {
                path: String::new(),
                query: list_query(filter),
                shape: Shape::List,
            },
            ReleaseOp::Show { id } => read(format!("/{id}"), Shape::One),
            ReleaseOp::History { id } => read(format!("/{id}/history"), Shape::History),
            ReleaseOp::Create(c) => Call::Write {
                method: Method::Post,
                path: String::new(),
                body: Some(create_body(c)?),
                if_match: None,
            },
            ReleaseOp::Apply(t) => act(t, "apply", None),
            ReleaseOp::Approve(t) => act(t, "approve", None),
            ReleaseOp::Reject(r) => act(&r.target, "reject", Some(json!({ "reason": r.reason }))),
            ReleaseOp::Withdraw(t) => act(t, "withdraw", None),
            ReleaseOp::CompleteTesting(t) => act(t, "complete_testing", None),
            ReleaseOp::GoLive { target, step } => act(target, "go_live", Some(go_live_body(step))),
            ReleaseOp::Cancel(t) => act(t, "cancel", None),
            ReleaseOp::TakeOffline(r) => act(
                &r.target,
                "take_offline",
                Some(json!({ "reason": r.reason })),
            ),
            ReleaseOp::Rollback(r) => {
                act(&r.target, "rollback", Some(json!({ "reason": r.reason })))
            }
            ReleaseOp::Plan(p) => plan_call(p),
            ReleaseOp::Pause(t) => act(t, "pause", None),
            ReleaseOp::Resume(t) => act(t, "resume", None),
            ReleaseOp::Guard(g) => guard_call(g),
            ReleaseOp::Targeting(t) => targeting_call(t)?,
            ReleaseOp::Health { id } => read(format!("/{id}/health"), Shape::Health),
        })
    }
}

fn go_live_body(step: &GoLiveStep) -> Value {
    // clap admits exactly one of the three flags.
    match step.percentage {
        Some(p) => json!({ "type": "grayscale", "percentage": p }),
        None if step.plan => json!({ "type": "plan" }),
        None => json!({ "type": "full" }),
    }
}

fn list_query(f: &ListArgs) -> Vec<(&'static str, String)> {
    let pairs = [
        (
            "mini_program",
            f.mini_program.as_ref().map(|m| m.to_string()),
        ),
        ("app", f.app.as_ref().map(|a| a.to_string())),
        ("env", f.env.map(|e| e.to_string())),
        ("status", f.status.map(|s| s.to_string())),
    ];
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
}

fn create_body(c: &CreateArgs) -> Result<Value, CliError> {
    let mut body = json!({
        "mini_program": c.mini_program, "version": c.version, "app": c.app, "env": c.env,
    });
    if let Some(path) = &c.config_file {
        body["config"] = read_config(path)?;
    }
    if let Some(path) = &c.test_group_file {
        body["test_group"] = json!(read_test_group(path)?);
    }
    if !c.targeting_rules.is_empty() {
        body["targeting"] = targeting_body(&c.targeting_rules);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grayscale_steps_are_strictly_between_0_and_100() {
        assert!(grayscale_percentage("0").is_err());
        assert!(grayscale_percentage("100").is_err());
        assert!(grayscale_percentage("ten").is_err());
        assert!(grayscale_percentage("0.00001").is_err());
        let p = grayscale_percentage("25.5").map(|p| json!(p));
        assert_eq!(p.ok(), Some(json!(25.5)));
    }
}
