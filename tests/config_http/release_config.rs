//! The release-specific config limit over HTTP (SPEC §4): at most 64 KiB as JSON. At the
//! limit it is accepted; one byte over is a 400 naming `config`, and the release stays as
//! it was.

use serde_json::{Value, json};

use crate::common::{Gateway, Who};

const LIMIT: usize = 64 * 1024;

/// A config object whose compact JSON is exactly `size` bytes.
fn config_of(size: usize) -> Value {
    let empty = serde_json::to_vec(&json!({"blob": ""})).map_or(0, |v| v.len());
    let config = json!({"blob": "x".repeat(size - empty)});
    assert_eq!(
        serde_json::to_vec(&config).map(|v| v.len()).ok(),
        Some(size)
    );
    config
}

fn the_release(gw: &Gateway) -> Value {
    let list = gw.get(Who::Viewer, "/v1/admin/releases").expect(200);
    list.body[0].clone()
}

#[test]
fn a_release_config_of_64_kib_is_accepted_and_one_byte_more_is_refused() {
    let gw = Gateway::with_release(json!({}));
    let id = the_release(&gw)["id"].as_u64().expect("a release id");
    let path = format!("/v1/admin/releases/{id}/config");

    let at_limit = config_of(LIMIT);
    let saved = gw.put(Who::Developer, &path, &at_limit).expect(200);
    assert_eq!(saved.body["config"], at_limit);
    let before = the_release(&gw);

    let over = gw.put(Who::Developer, &path, &config_of(LIMIT + 1));
    let over = over.expect(400);
    let message = over.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("config"), "{}", over.text);
    assert_eq!(
        the_release(&gw),
        before,
        "a refused config changed the release"
    );

    // Creating a release checks the same limit: refused one byte over, created at it.
    let version = json!({"version": "2.0.0", "package_url": "https://cdn.example.com/b.zip"});
    gw.post(
        Who::Developer,
        "/v1/admin/mini-programs/mp-a/versions",
        &version,
    )
    .expect(201);
    let mut create = json!({"mini_program": "mp-a", "version": "2.0.0", "app": "superapp-a",
                            "env": "production", "config": config_of(LIMIT + 1)});
    let refused = gw
        .post(Who::Developer, "/v1/admin/releases", &create)
        .expect(400);
    let message = refused.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("config"), "{}", refused.text);
    create["config"] = at_limit;
    gw.post(Who::Developer, "/v1/admin/releases", &create)
        .expect(201);
}
