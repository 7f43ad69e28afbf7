//! `graygate suspend`, `unsuspend` and `suspensions` (SPEC §11): the super app's stop of a
//! mini program in every environment of a target app, over
//! `/v1/admin/apps/{app}/suspensions`. People get label/value lines or a table; `--json`
//! gets the API's JSON.

use std::time::Duration;

use clap::Args;
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{Client, Method};
use super::render::table;
use super::{ApiOptions, CliError, print, unexpected};
use crate::model::{AppId, MiniProgramId};

/// `graygate suspend <app> <mini_program> --reason "…"` (reviewer).
#[derive(Debug, Args)]
pub struct SuspendArgs {
    #[command(flatten)]
    target: Suspended,
    /// Why the super app stops it (1 to 1,000 characters).
    #[arg(long)]
    reason: String,
}

/// `graygate unsuspend <app> <mini_program>` (reviewer).
#[derive(Debug, Args)]
pub struct UnsuspendArgs {
    #[command(flatten)]
    target: Suspended,
}

/// `graygate suspensions <app>`: the suspensions in force.
#[derive(Debug, Args)]
pub struct SuspensionsArgs {
    /// The target app, e.g. superapp-a.
    #[arg(value_parser = AppId::parse)]
    app: AppId,
}

/// The (target app, mini program) a suspension is about.
#[derive(Debug, Args)]
struct Suspended {
    /// The target app, e.g. superapp-a.
    #[arg(value_parser = AppId::parse)]
    app: AppId,
    /// The mini program, e.g. mp-coupons.
    #[arg(value_parser = MiniProgramId::parse)]
    mini_program: MiniProgramId,
}

impl Suspended {
    fn path(&self) -> String {
        format!("/apps/{}/suspensions/{}", self.app, self.mini_program)
    }
}

/// A suspension as the API represents it.
#[derive(Debug, Deserialize)]
struct View {
    mini_program: String,
    reason: String,
    by: String,
    at: String,
    revision: u64,
}

/// What `DELETE` answers: the suspension lifted, and the lift.
#[derive(Debug, Deserialize)]
struct LiftedView {
    lifted: View,
    by: String,
    at: String,
    revision: u64,
}

#[derive(Debug, Deserialize)]
struct List {
    suspensions: Vec<View>,
}

fn client(api: &ApiOptions) -> Result<Client, CliError> {
    Client::new(&api.admin_url, Duration::from_secs(api.timeout))
}

fn parsed<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, CliError> {
    serde_json::from_value(body).map_err(|e| unexpected(200, e))
}

/// Runs `graygate suspend`.
pub fn suspend(api: &ApiOptions, args: &SuspendArgs) -> Result<(), CliError> {
    let body = json!({ "reason": args.reason });
    let answer = client(api)?.admin_write(Method::Put, &args.target.path(), Some(&body))?;
    print(api, answer, |body| Ok(suspension(&parsed(body)?)))
}

/// Runs `graygate unsuspend`.
pub fn unsuspend(api: &ApiOptions, args: &UnsuspendArgs) -> Result<(), CliError> {
    let answer = client(api)?.admin_write(Method::Delete, &args.target.path(), None)?;
    print(api, answer, |body| Ok(lifted(&parsed(body)?)))
}

/// Runs `graygate suspensions`.
pub fn list(api: &ApiOptions, args: &SuspensionsArgs) -> Result<(), CliError> {
    let answer = client(api)?.admin_get(&format!("/apps/{}/suspensions", args.app))?;
    print(api, answer, |body| Ok(suspensions(&parsed(body)?)))
}

fn suspension(s: &View) -> String {
    let rows = [
        ("suspended", s.mini_program.clone()),
        ("reason", s.reason.clone()),
        ("by", s.by.clone()),
        ("at", s.at.clone()),
        ("revision", s.revision.to_string()),
    ];
    let rows: Vec<Vec<String>> = rows.into_iter().map(|(k, v)| vec![k.into(), v]).collect();
    table(&[], &rows)
}

fn lifted(l: &LiftedView) -> String {
    let s = &l.lifted;
    let rows = [
        ("lifted", s.mini_program.clone()),
        ("reason", s.reason.clone()),
        (
            "suspended",
            format!("{} by {} (revision {})", s.at, s.by, s.revision),
        ),
        ("by", l.by.clone()),
        ("at", l.at.clone()),
        ("revision", l.revision.to_string()),
    ];
    let rows: Vec<Vec<String>> = rows.into_iter().map(|(k, v)| vec![k.into(), v]).collect();
    table(&[], &rows)
}

fn suspensions(list: &List) -> String {
    if list.suspensions.is_empty() {
        return "no suspensions\n".into();
    }
    let rows: Vec<Vec<String>> = list
        .suspensions
        .iter()
        .map(|s| {
            let rev = s.revision.to_string();
            vec![
                s.mini_program.clone(),
                rev,
                s.at.clone(),
                s.by.clone(),
                s.reason.clone(),
            ]
        })
        .collect();
    table(&["MINI_PROGRAM", "REV", "AT", "BY", "REASON"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(mp: &str, reason: &str) -> View {
        View {
            mini_program: mp.into(),
            reason: reason.into(),
            by: "super-bob".into(),
            at: "2026-12-02T05:00:00.000Z".into(),
            revision: 7,
        }
    }

    #[test]
    fn suspensions_are_a_table_with_the_reason_last() {
        let list = List {
            suspensions: vec![view("mp-a", "fraud"), view("mp-coupons", "broken payment")],
        };
        let out = suspensions(&list);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(lines[0].starts_with("MINI_PROGRAM  REV  AT"), "{out}");
        assert!(
            lines[2].starts_with(
                "mp-coupons    7    2026-12-02T05:00:00.000Z  super-bob  broken payment"
            ),
            "{out}"
        );
        assert_eq!(
            suspensions(&List {
                suspensions: vec![]
            }),
            "no suspensions\n"
        );
    }

    #[test]
    fn a_lift_shows_what_was_lifted_and_by_whom() {
        let l = LiftedView {
            lifted: view("mp-a", "fraud"),
            by: "super-carol".into(),
            at: "2026-12-02T06:00:00.000Z".into(),
            revision: 9,
        };
        let out = lifted(&l);
        assert!(
            out.starts_with("lifted     mp-a\nreason     fraud\n"),
            "{out}"
        );
        assert!(out.contains("by         super-carol\n"), "{out}");
        assert!(out.ends_with("revision   9\n"), "{out}");
    }
}
