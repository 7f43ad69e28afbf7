//! A `GRAYGATE_*` variable beats the value the file sets, in every section, as seen from
//! outside: the batch limit, the bound port, the accepted token, where the database is,
//! and which target apps exist.

use serde_json::{Value, json};

use crate::common::{Gateway, Options, Reply, Who};

const APP: &str = "[[apps]]\nid = \"superapp-a\"\nenvironments.production = {}\n";

/// A batch resolve naming `count` mini programs.
fn batch(gw: &Gateway, count: usize) -> Reply {
    let names: Vec<String> = (0..count).map(|i| format!("mp-{i}")).collect();
    let body =
        json!({"app": "superapp-a", "env": "production", "user": "u-1", "mini_programs": names});
    gw.client("POST", "/v1/resolve").json(&body).send()
}

#[test]
fn limits_override_beats_the_files_max_batch() {
    let options = Options::default()
        .extra_toml("[limits]\nmax_batch = 2")
        .extra_toml(APP)
        .env("GRAYGATE_LIMITS_MAX_BATCH", "3");
    let gw = Gateway::start(options);
    // The file's 2 would refuse three; the variable's 3 takes three and refuses four.
    let three = batch(&gw, 3).expect(200);
    assert_eq!(three.body["results"].as_object().map(|r| r.len()), Some(3));
    let four = batch(&gw, 4).expect(400);
    assert!(four.body["error"]["message"].is_string(), "{}", four.text);
}

/// A port that was free a moment ago (the gateway binds it right after).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

#[test]
fn server_override_beats_the_files_listen_address() {
    // The harness's file says port 0 for both listeners.
    let port = free_port();
    let gw = Gateway::start(
        Options::default().env("GRAYGATE_SERVER_ADMIN_LISTEN", &format!("127.0.0.1:{port}")),
    );
    assert_eq!(gw.admin_url(), format!("http://127.0.0.1:{port}"));
    gw.admin("GET", "/healthz").send().expect(200);
}

#[test]
fn auth_override_replaces_the_files_tokens() {
    let token = "env-only-token-3f1c";
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
    let tokens = format!("[{{name = \"env-admin\", role = \"admin\", token_sha256 = \"{hash}\"}}]");
    let gw = Gateway::start(Options::default().env("GRAYGATE_AUTH_TOKENS", &tokens));
    gw.get(Who::Admin, "/v1/admin/releases")
        .expect_error(401, "unauthorized");
    let reply = gw.admin("GET", "/v1/admin/releases").bearer(token).send();
    reply.expect(200);
}

#[test]
fn store_override_beats_the_files_store_path() {
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let path = elsewhere.path().join("override.db");
    let gw = Gateway::start(
        Options::default()
            .extra_toml(APP)
            .env("GRAYGATE_STORE_PATH", &path.to_string_lossy()),
    );
    let version = json!({"version": "1.0.0", "package_url": "https://cdn.example.com/a.zip"});
    gw.post(
        Who::Developer,
        "/v1/admin/mini-programs/mp-a/versions",
        &version,
    )
    .expect(201);
    assert!(path.is_file(), "no database at the overriding path");
    assert!(!gw.store_path().exists(), "the file's store path was used");
}

fn app_ids(gw: &Gateway) -> Vec<String> {
    let reply = gw.get(Who::Viewer, "/v1/admin/apps").expect(200);
    let apps = reply.body.as_array().cloned().unwrap_or_default();
    apps.iter()
        .filter_map(|a| a["id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn apps_override_replaces_the_files_apps() {
    let apps = "[{id = \"superapp-env\", environments.production = {pilot_testing = true}}]";
    let gw = Gateway::start(
        Options::default()
            .extra_toml(APP)
            .env("GRAYGATE_APPS", apps),
    );
    assert_eq!(app_ids(&gw), ["superapp-env"]);
    let app = gw
        .get(Who::Viewer, "/v1/admin/apps/superapp-env")
        .expect(200);
    assert_eq!(
        app.body["environments"]["production"]["pilot_testing"],
        Value::Bool(true)
    );
    gw.get(Who::Viewer, "/v1/admin/apps/superapp-a").expect(404);
}
