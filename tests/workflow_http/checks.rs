//! Assertions that read like the workflow: an action `moved` a release, was `refused`
//! (409 with the current status and allowed actions), `forbidden` (403) or a
//! `bad_request` (400); what the client API `serves`; a release's history.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{Gateway, Reply, Who, rfc3339_nanos};
use crate::support::{MP, Release, package_url};

/// Asserts that the reply carries an `ETag` naming the release's revision.
#[track_caller]
pub fn assert_etag(reply: &Reply) {
    let expected = format!("\"{}\"", reply.body["revision"]);
    assert_eq!(
        reply.header("etag"),
        Some(expected.as_str()),
        "{}: ETag of the release representation",
        reply.what
    );
}

/// The plan, guard and targeting actions of SPEC §8–§10, covered by `plans_http`,
/// `guard_http` and `targeting_http`. These scenarios' releases have no plan, guard or
/// targeting, so of them only `set_plan`, `set_guard` and `set_targeting` can be allowed.
const PLAN_ACTIONS: [&str; 9] = [
    "set_plan",
    "remove_plan",
    "pause",
    "resume",
    "set_guard",
    "remove_guard",
    "halt",
    "wait_for_data",
    "set_targeting",
];

/// Sorted set of a release's (or a refusal's) SPEC §2 `allowed_actions`.
pub fn allowed_of(release: &Value) -> BTreeSet<String> {
    let mut all = all_allowed(release);
    all.retain(|a| !PLAN_ACTIONS.contains(&a.as_str()));
    all
}

fn all_allowed(release: &Value) -> BTreeSet<String> {
    release["allowed_actions"]
        .as_array()
        .unwrap_or_else(|| panic!("no allowed_actions in {release}"))
        .iter()
        .map(|a| a.as_str().unwrap_or_default().to_string())
        .collect()
}

/// A release without a plan (or guard) may get one exactly where SPEC §8–§9 say: in
/// production, before it is live or during grayscale, and outside review.
#[track_caller]
fn assert_plan_actions(release: &Value) {
    let plannable = [
        "new_version_created",
        "pilot_testing",
        "release_preparation",
        "grayscale_release",
    ];
    let open = release["env"] == "production"
        && plannable.contains(&release["status"].as_str().unwrap_or_default());
    let mut expected = BTreeSet::new();
    if open && release["plan"].is_null() {
        expected.insert("set_plan".to_string());
    }
    if open && release["guard"].is_null() {
        expected.insert("set_guard".to_string());
    }
    if open {
        expected.insert("set_targeting".to_string());
    }
    let mut plan_actions = all_allowed(release);
    plan_actions.retain(|a| PLAN_ACTIONS.contains(&a.as_str()));
    assert_eq!(plan_actions, expected, "plan actions of {release}");
}

pub fn set_of(actions: &[&str]) -> BTreeSet<String> {
    actions.iter().map(|a| a.to_string()).collect()
}

/// An accepted action: 200, the release now in `status` with `allowed` actions, an ETag.
#[track_caller]
pub fn moved(reply: Reply, status: &str, allowed: &[&str]) -> Value {
    let reply = reply.expect(200);
    assert_eq!(
        reply.body["status"], status,
        "{}: {}",
        reply.what, reply.text
    );
    assert_eq!(
        allowed_of(&reply.body),
        set_of(allowed),
        "{}: allowed_actions",
        reply.what
    );
    assert_plan_actions(&reply.body);
    assert_etag(&reply);
    reply.body
}

/// A refused action: 409 `action_not_allowed` with the current status and allowed actions.
#[track_caller]
pub fn refused(reply: Reply, status: &str, allowed: &[&str]) -> Reply {
    refused_because(reply, "action_not_allowed", status, allowed)
}

/// A refusal (409) with a specific code, the current status and the allowed actions.
#[track_caller]
pub fn refused_because(reply: Reply, code: &str, status: &str, allowed: &[&str]) -> Reply {
    let reply = reply.expect_error(409, code);
    let error = &reply.body["error"];
    assert_eq!(error["status"], status, "{}: {}", reply.what, reply.text);
    assert_eq!(
        allowed_of(error),
        set_of(allowed),
        "{}: allowed_actions of the refusal",
        reply.what
    );
    reply
}

/// A role refusal: 403 `forbidden`.
#[track_caller]
pub fn forbidden(reply: Reply) -> Reply {
    reply.expect_error(403, "forbidden")
}

/// A request refused as malformed: 400 with a JSON error of any 400 code.
#[track_caller]
pub fn bad_request(reply: Reply) -> Reply {
    let code = reply.error_code().to_string();
    assert!(
        ["invalid_parameter", "invalid_body", "bad_request"].contains(&code.as_str()),
        "{}: expected a 400 error code, got {}",
        reply.what,
        reply.text
    );
    reply.expect_error(400, &code)
}

/// What the client API serves `user` for (app, env, mp): `Some((version, channel))`,
/// or `None` for 404 `not_released`. Checks the answer's shape on the way.
#[track_caller]
pub fn served(
    gw: &Gateway,
    app: &str,
    env: &str,
    mp: &str,
    user: &str,
) -> Option<(String, String)> {
    let reply = gw.resolve(app, env, mp, user);
    if reply.status == 404 {
        reply.expect_error(404, "not_released");
        return None;
    }
    let reply = reply.expect(200);
    let b = &reply.body;
    let version = b["version"].as_str().unwrap_or_default().to_string();
    assert_eq!(b["mini_program"], mp, "{}", reply.text);
    assert_eq!(
        b["package_url"],
        package_url(mp, &version),
        "{}",
        reply.text
    );
    for field in ["release_id", "config", "revision"] {
        assert!(
            !b[field].is_null(),
            "resolve without {field}: {}",
            reply.text
        );
    }
    Some((
        version,
        b["channel"].as_str().unwrap_or_default().to_string(),
    ))
}

/// Asserts what [`MP`] serves `user` in (app, env); `None` means not released.
#[track_caller]
pub fn serves(gw: &Gateway, app: &str, env: &str, user: &str, expected: Option<(&str, &str)>) {
    let got = served(gw, app, env, MP, user);
    let expected = expected.map(|(v, c)| (v.to_string(), c.to_string()));
    assert_eq!(got, expected, "resolve {app}/{env}/{MP} for {user:?}");
}

/// One history entry's essentials: (actor, action, from, to).
pub fn entry_of(h: &Value) -> (String, String, Option<String>, String) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        text(&h["actor"]),
        text(&h["action"]),
        h["from"].as_str().map(str::to_string),
        text(&h["to"]),
    )
}

/// Asserts a release's history: its (actor, action, from, to) entries in order, with
/// strictly increasing revisions and times that never go back (two actions may share a
/// millisecond), ending at the release's revision.
#[track_caller]
pub fn assert_history(release: &Release<'_>, expected: &[(Who, &str, Option<&str>, &str)]) {
    let history = release.history();
    let got: Vec<_> = history.iter().map(entry_of).collect();
    let want: Vec<_> = expected
        .iter()
        .map(|(who, action, from, to)| {
            (
                who.name().to_string(),
                action.to_string(),
                from.map(str::to_string),
                to.to_string(),
            )
        })
        .collect();
    assert_eq!(got, want, "history of release {}", release.id);
    let revisions: Vec<u64> = history
        .iter()
        .filter_map(|h| h["revision"].as_u64())
        .collect();
    assert_eq!(revisions.len(), history.len(), "every entry has a revision");
    assert!(
        revisions.windows(2).all(|w| w[0] < w[1]),
        "history revisions must increase: {revisions:?}"
    );
    assert_eq!(revisions.last().copied(), Some(release.revision()));
    let texts: Vec<&str> = history.iter().filter_map(|h| h["at"].as_str()).collect();
    assert_eq!(texts.len(), history.len(), "every entry has a time");
    // Compared as instants, not as text.
    let times: Vec<i128> = texts.iter().map(|t| rfc3339_nanos(t)).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "history times must not go back: {texts:?}"
    );
}

/// The history check orders times as instants: text order gets these wrong.
#[test]
fn history_times_compare_as_instants() {
    let pairs = [
        ("2026-01-01T00:00:00.25Z", "2026-01-01T00:00:00.5Z"),
        ("2026-01-01T00:00:00.9Z", "2026-01-01T00:00:01Z"),
        ("2026-01-01T08:00:00.000+08:00", "2026-01-01T00:00:00.001Z"),
        ("2025-12-31T23:59:59.999Z", "2026-01-01T00:00:00.000Z"),
    ];
    for (earlier, later) in pairs {
        assert!(
            rfc3339_nanos(earlier) < rfc3339_nanos(later),
            "{earlier} before {later}"
        );
    }
    assert_eq!(
        rfc3339_nanos("1970-01-01T00:00:01.5Z"),
        1_500_000_000,
        "nanoseconds since the epoch"
    );
}
