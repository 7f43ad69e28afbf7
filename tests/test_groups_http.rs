//! Pilot test groups at full size, against the real binary: a 1,000,000-id group given in
//! the create body is served exactly (members get the pilot, non-members do not, ids are
//! compared byte for byte), also after a restart reads it back from the store.

mod common;

use common::{Gateway, Who};
use serde_json::json;

const NFC: &str = "caf\u{e9}";
const NFD: &str = "cafe\u{301}";
const SPACED: &str = "pilot-with-space ";

/// 999,998 generated ids plus two whose near twins are not members: 1,000,000 in all.
fn pilot_ids() -> Vec<String> {
    let mut ids: Vec<String> = (0..999_998).map(|i| format!("user-{i:07}")).collect();
    ids.push(NFC.to_string());
    ids.push(SPACED.to_string());
    ids
}

/// splitmix64 over a fixed seed: which generated ids to sample.
fn sample(seed: u64, n: usize) -> Vec<u64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        })
        .collect()
}

fn channel_of(gw: &Gateway, user: &str) -> Option<String> {
    let reply = gw.resolve("superapp-a", "production", "mp-a", user);
    match reply.status {
        200 => reply.body["channel"].as_str().map(str::to_string),
        _ => {
            reply.expect_error(404, "not_released");
            None
        }
    }
}

fn assert_served_exactly(gw: &Gateway) {
    let mut members: Vec<String> = sample(1, 300)
        .into_iter()
        .map(|r| format!("user-{:07}", r % 999_998))
        .collect();
    members.extend(["user-0000000", "user-0999997", NFC, SPACED].map(String::from));
    for user in &members {
        assert_eq!(channel_of(gw, user).as_deref(), Some("pilot"), "{user:?}");
    }
    let mut outsiders: Vec<String> = sample(2, 300)
        .into_iter()
        .map(|r| format!("user-{:07}", 1_000_000 + r % 9_000_000))
        .collect();
    let twins = [
        "user-0999998",
        "user-0000001 ",
        " user-0000001",
        "USER-0000001",
        NFD,
    ];
    outsiders.extend(twins.map(String::from));
    outsiders.push(SPACED.trim_end().to_string());
    for user in &outsiders {
        assert_eq!(channel_of(gw, user), None, "{user:?}");
    }
}

#[test]
fn a_million_id_group_given_at_create_is_served_exactly() {
    let mut gw = Gateway::with_release(json!({ "test_group": pilot_ids() }));
    let release = gw.get(Who::Viewer, "/v1/admin/releases/1").expect(200);
    assert_eq!(release.body["test_group_size"], 1_000_000);
    gw.post(Who::Developer, "/v1/admin/releases/1/apply", &json!({}))
        .expect(200);
    let approved = gw.post(Who::Reviewer, "/v1/admin/releases/1/approve", &json!({}));
    assert_eq!(approved.expect(200).body["status"], "pilot_testing");
    assert_served_exactly(&gw);
    gw.restart();
    assert_served_exactly(&gw);
}

#[test]
fn a_bad_id_in_a_create_body_names_its_entry_and_creates_nothing() {
    let gw = Gateway::with_release(json!({}));
    let revision = gw.revision();
    let create = json!({"mini_program": "mp-a", "version": "1.0.0", "app": "superapp-a",
        "env": "sandbox", "test_group": ["ok", "fine", "bad\u{7}id"]});
    let reply = gw
        .post(Who::Developer, "/v1/admin/releases", &create)
        .expect_error(400, "invalid_parameter");
    assert!(reply.text.contains("entry 2"), "{}", reply.text);
    assert_eq!(gw.revision(), revision);
}
