//! What the client listener accepts: bad queries are 400 JSON errors (never 500), user
//! ids are taken byte for byte, unknown targets are 404 `not_released`, and each
//! listener serves only its own routes.

use serde_json::json;

use crate::checks::*;
use crate::common::{Gateway, Who, query};
use crate::support::*;
use graygate::bucket::bucket;

const TARGET: (&str, &str) = (APP, PROD);

/// `GET /v1/resolve?{raw}` with the query string exactly as given.
fn resolve_raw(gw: &Gateway, raw: &str) -> crate::common::Reply {
    gw.client("GET", &format!("/v1/resolve?{raw}")).send()
}

/// A valid query with `user` replaced by the raw (already percent-encoded) `user`.
fn with_raw_user(user: &str) -> String {
    format!("app={APP}&env={PROD}&mini_program={MP}&user={user}")
}

/// Percent-encodes every byte, so the gateway sees exactly these bytes.
fn percent_encoded(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

/// Missing, unknown and duplicate parameters, bad ids, unknown environments and user
/// ids that are empty, too long, contain a control character or are not UTF-8: each is
/// a 400 JSON error, and the gateway keeps answering.
#[test]
fn bad_queries_are_400_json_errors() {
    let gw = gateway();
    released_full(&gw, MP, "1.0.0", TARGET);
    let ok = with_raw_user("user-1");
    resolve_raw(&gw, &ok).expect(200);
    let long_app = "a".repeat(129);
    let long_user = "u".repeat(257);
    let cjk_257 = format!("{}xx", "界".repeat(85));
    assert_eq!(cjk_257.len(), 257);
    let raws = [
        String::new(),
        format!("env={PROD}&mini_program={MP}&user=u"),
        format!("app={APP}&mini_program={MP}&user=u"),
        format!("app={APP}&env={PROD}&user=u"),
        format!("app={APP}&env={PROD}&mini_program={MP}"),
        format!("{ok}&debug=1"),
        format!("{ok}&User=x"),
        format!("{ok}&user=user-1"),
        format!("{ok}&user=user-2"),
        format!("{ok}&app={APP}"),
        format!("{ok}&env={PROD}"),
        format!("app=-bad&env={PROD}&mini_program={MP}&user=u"),
        format!("app=a%20b&env={PROD}&mini_program={MP}&user=u"),
        format!("app=&env={PROD}&mini_program={MP}&user=u"),
        format!("app={long_app}&env={PROD}&mini_program={MP}&user=u"),
        format!("app={APP}&env={PROD}&mini_program=mp%2Fx&user=u"),
        format!("app={APP}&env={PROD}&mini_program=&user=u"),
        format!("app={APP}&env={PROD}&mini_program=.mp&user=u"),
        format!("app={APP}&env=staging&mini_program={MP}&user=u"),
        format!("app={APP}&env=Production&mini_program={MP}&user=u"),
        format!("app={APP}&env=&mini_program={MP}&user=u"),
        with_raw_user(""),
        with_raw_user(&long_user),
        with_raw_user(&percent_encoded(cjk_257.as_bytes())),
        with_raw_user("a%00b"),
        with_raw_user("a%0Ab"),
        with_raw_user("a%09b"),
        with_raw_user("a%1Fb"),
        with_raw_user("a%7Fb"),
        with_raw_user("a%C2%85b"),
    ];
    for raw in &raws {
        let reply = resolve_raw(&gw, raw);
        assert_eq!(reply.status, 400, "?{raw}: {}", reply.text);
        bad_request(reply);
    }
    resolve_raw(&gw, &ok).expect(200);
    let code = json_error(gw.client("PUT", "/v1/resolve").body("{}").send(), 405);
    assert_eq!(code, "method_not_allowed");
}

/// SPEC §1: a user id is UTF-8; percent-encoded bytes that are not (a lone `0xFF`, a
/// truncated sequence, an encoded surrogate, an overlong `/`) are rejected with 400,
/// not replaced by U+FFFD and resolved as another user.
#[test]
fn user_ids_that_are_not_utf8_are_400() {
    let gw = gateway();
    released_full(&gw, MP, "1.0.0", TARGET);
    // JSON cannot carry such a user id except as a lone surrogate escape.
    let lone_surrogate = r#"{"app":"superapp-a","env":"production","user":"\ud800"}"#;
    let batch = gw.client("POST", "/v1/resolve").body(lone_surrogate).send();
    bad_request(batch);
    let not_utf8 = ["%FF", "a%C3", "%ED%A0%80", "%C0%AF", "%F8%88%80%80%80"];
    let got: Vec<(&str, u16)> = not_utf8
        .into_iter()
        .map(|user| (user, resolve_raw(&gw, &with_raw_user(user)).status))
        .collect();
    assert!(
        got.iter().all(|(_, status)| *status == 400),
        "user ids that are not UTF-8 must be 400: {got:?}"
    );
}

const NFC: &str = "Jos\u{e9}";
const NFD: &str = "Jose\u{301}";

/// Full 1.0.0, and 2.0.0 at 50 % grayscale with the test group `alice` and NFC `José`.
fn half_rollout(gw: &Gateway) -> Release<'_> {
    released_full(gw, MP, "1.0.0", TARGET);
    let group = json!({ "test_group": ["alice", NFC] });
    let r = create(gw, MP, "2.0.0", TARGET, group);
    r.to_grayscale(50.0);
    r
}

/// `user`, not a pilot member, gets grayscale iff `bucket(salt, user)` < 500,000, and
/// explain agrees.
#[track_caller]
fn assert_bucketed(gw: &Gateway, r: &Release<'_>, user: &str) {
    let e = assert_explain_agrees(gw, TARGET, MP, user);
    let member = &e["in_flight"]["pilot_member"];
    assert_eq!(member, false, "{user:?} is not in the group");
    let expected = match bucket(&r.salt, user) < 500_000 {
        true => ("2.0.0", "grayscale"),
        false => ("1.0.0", "full"),
    };
    serves(gw, TARGET, MP, user, Some(expected));
}

/// 256-byte user ids of ASCII, CJK, emoji or a mix are accepted whole and bucketed.
#[test]
fn user_ids_of_256_bytes_are_accepted() {
    let gw = gateway();
    let r = half_rollout(&gw);
    let ascii = "a".repeat(256);
    let cjk = format!("{}x", "界".repeat(85));
    let emoji = "😀".repeat(64);
    let mixed = format!("{}{}", "ü".repeat(100), "😀".repeat(14));
    for user in [&ascii, &cjk, &emoji, &mixed] {
        assert_eq!(user.len(), 256);
        assert_bucketed(&gw, &r, user);
    }
}

/// User ids are hashed byte for byte: padding, case, NFC vs NFD and look-alikes are
/// different users with the buckets `bucket(salt, user)` computes, and pilot
/// membership is byte-exact as well.
#[test]
fn user_ids_are_taken_byte_for_byte() {
    let gw = gateway();
    let r = half_rollout(&gw);
    let variants = [
        " alice",
        "alice ",
        "Alice",
        "ALICE",
        "alice\u{a0}",
        "Jose",
        NFD,
        "ⅰ",
        "i",
        "a+b",
        "a b",
        "%41",
    ];
    for user in variants {
        assert_bucketed(&gw, &r, user);
    }
    for member in ["alice", NFC] {
        serves(&gw, TARGET, MP, member, Some(("2.0.0", "pilot")));
    }
    let pairs = [
        ("alice", " alice"),
        ("alice", "Alice"),
        (NFC, NFD),
        ("a+b", "a b"),
    ];
    for (a, b) in pairs {
        assert_ne!(
            explained(&gw, TARGET, MP, a)["in_flight"]["bucket"],
            explained(&gw, TARGET, MP, b)["in_flight"]["bucket"],
            "{a:?} and {b:?} are different users"
        );
    }
    // `+` in a query string is a space; `%2B` is a plus.
    let plus = resolve_raw(&gw, &with_raw_user("a%2Bb"));
    let space = resolve_raw(&gw, &with_raw_user("a+b"));
    assert_eq!(answer(plus, MP), resolved(&gw, TARGET, MP, "a+b"));
    assert_eq!(answer(space, MP), resolved(&gw, TARGET, MP, "a b"));
}

/// Apps, environments and mini programs with nothing released answer 404
/// `not_released`; so does explain's decision.
#[test]
fn unknown_targets_are_not_released() {
    let gw = gateway();
    released_full(&gw, MP, "1.0.0", TARGET);
    released_full(&gw, "mp-dev", "1.0.0", (APP, DEV));
    let misses = [
        (("superapp-zz", PROD), MP),
        ((OTHER_APP, PROD), MP),
        ((APP, "sandbox"), MP),
        ((APP, "test"), MP),
        ((APP, DEV), MP),
        (TARGET, "mp-dev"),
        (TARGET, "mp-unknown"),
    ];
    for (target, mp) in misses {
        serves(&gw, target, mp, "user-1", None);
        assert!(explained(&gw, target, mp, "user-1")["decision"].is_null());
    }
    serves(&gw, TARGET, MP, "user-1", Some(("1.0.0", "full")));
}

/// The client listener serves resolve and health only; the admin listener does not
/// serve resolve.
#[test]
fn each_listener_serves_only_its_routes() {
    let gw = gateway();
    let full = released_full(&gw, MP, "1.0.0", TARGET);
    let healthz = gw.client("GET", "/healthz").send().expect(200);
    assert_eq!(healthz.body["status"], "alive", "{}", healthz.text);
    let readyz = gw.client("GET", "/readyz").send().expect(200);
    assert_eq!(readyz.body["status"], "ready", "{}", readyz.text);
    // The last write was the go-live, so the release's revision in the admin API is the
    // one the node must serve.
    assert_eq!(readyz.body["revision"], full.get()["revision"]);

    let q = query(&[
        ("app", APP),
        ("env", PROD),
        ("mini_program", MP),
        ("user", "u"),
    ]);
    let admin_paths = [
        "/v1/admin/releases".to_string(),
        "/v1/admin/apps".to_string(),
        format!("/v1/admin/explain?{q}"),
        "/metrics".to_string(),
    ];
    for path in &admin_paths {
        json_error(gw.client("GET", path).by(Who::Admin).send(), 404);
        gw.admin("GET", path).by(Who::Admin).send().expect(200);
    }
    let create = json!({ "mini_program": MP, "version": "1.0.0", "app": APP, "env": DEV });
    let reply = gw
        .client("POST", "/v1/admin/releases")
        .by(Who::Admin)
        .json(&create)
        .send();
    json_error(reply, 404);

    let resolve = format!("/v1/resolve?{q}");
    json_error(gw.admin("GET", &resolve).by(Who::Admin).send(), 404);
    let body = json!({ "app": APP, "env": PROD, "user": "u" });
    json_error(
        gw.admin("POST", "/v1/resolve")
            .by(Who::Admin)
            .json(&body)
            .send(),
        404,
    );
    gw.client("GET", &resolve).send().expect(200);
}
