//! Assertions of the resolution scenarios: what a resolve answers ([`Answer`], checked
//! against SPEC §4 on every call), what explain says and that the two agree, and the
//! shape of error answers.

use serde_json::Value;

use crate::common::{Gateway, Reply, Who, query};
use crate::support::package_url;
use graygate::bucket::bucket;

/// The fields of a resolve answer (SPEC §4).
pub const ANSWER_FIELDS: [&str; 7] = [
    "mini_program",
    "version",
    "channel",
    "release_id",
    "package_url",
    "config",
    "revision",
];

/// A 200 resolve answer, checked against SPEC §4.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub version: String,
    pub channel: String,
    pub release_id: u64,
    pub revision: u64,
    pub body: Value,
}

/// The revision an `ETag` names (`"7"`, or the weak `W/"7"`).
pub fn etag_revision(reply: &Reply) -> Option<u64> {
    let tag = reply.header("etag")?;
    tag.trim_start_matches("W/").trim_matches('"').parse().ok()
}

/// Reads a resolve reply: 404 `not_released` is `None`; a 200 must carry every field of
/// SPEC §4 with its type, the package URL of its version, JSON, and an `ETag` naming
/// its `revision`.
#[track_caller]
pub fn answer(reply: Reply, mp: &str) -> Option<Answer> {
    if reply.status == 404 {
        not_released(reply);
        return None;
    }
    let reply = reply.expect(200);
    let b = &reply.body;
    for field in ANSWER_FIELDS {
        assert!(
            !b[field].is_null(),
            "{}: no {field} in {}",
            reply.what,
            reply.text
        );
    }
    assert!(reply.is_json(), "{}: not served as JSON", reply.what);
    let version = b["version"]
        .as_str()
        .expect("version is a string")
        .to_string();
    let channel = b["channel"]
        .as_str()
        .expect("channel is a string")
        .to_string();
    assert!(
        ["pilot", "grayscale", "full"].contains(&channel.as_str()),
        "{}: channel {channel:?}",
        reply.what
    );
    assert_eq!(b["mini_program"], mp, "{}: {}", reply.what, reply.text);
    assert_eq!(
        b["package_url"],
        package_url(mp, &version),
        "{}",
        reply.what
    );
    assert!(
        b["config"].is_object(),
        "{}: config {}",
        reply.what,
        b["config"]
    );
    let revision = b["revision"].as_u64().expect("revision is a number");
    assert_eq!(
        etag_revision(&reply),
        Some(revision),
        "{}: the ETag {:?} names the answer's revision",
        reply.what,
        reply.header("etag")
    );
    Some(Answer {
        version,
        channel,
        release_id: b["release_id"].as_u64().expect("release_id is a number"),
        revision,
        body: reply.body,
    })
}

/// `GET /v1/resolve` for `user`, checked by [`answer`].
#[track_caller]
pub fn resolved(gw: &Gateway, (app, env): (&str, &str), mp: &str, user: &str) -> Option<Answer> {
    answer(gw.resolve(app, env, mp, user), mp)
}

/// What `user` gets: `Some((version, channel))`, or `None` for 404 `not_released`.
#[track_caller]
pub fn served(
    gw: &Gateway,
    target: (&str, &str),
    mp: &str,
    user: &str,
) -> Option<(String, String)> {
    resolved(gw, target, mp, user).map(|a| (a.version, a.channel))
}

/// Asserts what `user` gets; `None` means 404 `not_released`.
#[track_caller]
pub fn serves(
    gw: &Gateway,
    target: (&str, &str),
    mp: &str,
    user: &str,
    expected: Option<(&str, &str)>,
) {
    let expected = expected.map(|(v, c)| (v.to_string(), c.to_string()));
    let got = served(gw, target, mp, user);
    assert_eq!(got, expected, "resolve {target:?} {mp} for {user:?}");
}

/// `GET /v1/admin/explain` as the viewer.
#[track_caller]
pub fn explained(gw: &Gateway, (app, env): (&str, &str), mp: &str, user: &str) -> Value {
    let q = query(&[
        ("app", app),
        ("env", env),
        ("mini_program", mp),
        ("user", user),
    ]);
    gw.get(Who::Viewer, &format!("/v1/admin/explain?{q}"))
        .expect(200)
        .body
}

/// Explain and resolve agree for `user`: the same decision at the same revision, a
/// bucket that is gr1 of the in-flight salt, `in_grayscale` iff bucket < threshold, and
/// a channel that follows from pilot membership and the grayscale test. Returns explain.
#[track_caller]
pub fn assert_explain_agrees(gw: &Gateway, target: (&str, &str), mp: &str, user: &str) -> Value {
    let got = resolved(gw, target, mp, user);
    let e = explained(gw, target, mp, user);
    let revision = got.as_ref().map_or_else(|| gw.revision(), |a| a.revision);
    assert_eq!(e["revision"], revision, "explain of {user:?}: {e}");
    let decision = &e["decision"];
    match &got {
        None => assert!(
            decision.is_null(),
            "resolve is 404 for {user:?}, explain {e}"
        ),
        Some(a) => {
            assert_eq!(decision["release_id"], a.release_id, "{user:?}: {e}");
            assert_eq!(decision["version"], a.version.as_str(), "{user:?}: {e}");
            assert_eq!(decision["channel"], a.channel.as_str(), "{user:?}: {e}");
        }
    }
    let f = &e["in_flight"];
    let expected_channel = if f.is_null() {
        None
    } else {
        let salt = f["salt"].as_str().expect("explain shows the salt");
        let b = bucket(salt, user);
        assert_eq!(f["bucket"], b, "gr1 bucket of {user:?}: {e}");
        let threshold = f["threshold"].as_u64().expect("threshold");
        assert_eq!(f["in_grayscale"], u64::from(b) < threshold, "{user:?}: {e}");
        if f["pilot_member"] == true {
            Some("pilot")
        } else if u64::from(b) < threshold {
            Some("grayscale")
        } else {
            None
        }
    };
    match expected_channel {
        Some(channel) => {
            assert_eq!(decision["channel"], channel, "{user:?}: {e}");
            assert_eq!(decision["release_id"], f["release_id"], "{user:?}: {e}");
        }
        None => assert_eq!(decision, &e["full"], "{user:?} falls through to full: {e}"),
    }
    e
}

/// A JSON error `{"error":{"code","message"}}` with `status`; returns its code.
#[track_caller]
pub fn json_error(reply: Reply, status: u16) -> String {
    let code = reply.error_code().to_string();
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "{}: expected a snake_case error code, got {}",
        reply.what,
        reply.text
    );
    reply.expect_error(status, &code);
    code
}

/// Rejected input: 400 with a JSON error (never 500, never a default answer).
#[track_caller]
pub fn bad_request(reply: Reply) -> String {
    json_error(reply, 400)
}

/// 404 `not_released` as JSON.
#[track_caller]
pub fn not_released(reply: Reply) {
    reply.expect_error(404, "not_released");
}
