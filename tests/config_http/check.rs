//! `graygate check-config`: the shipped config on the default path, the no-token warning
//! `serve` also gives, and errors that name the key path, the value and where it came from.

use std::fs;
use std::process::Output;

use crate::process;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `graygate check-config --config graygate.toml` for a file holding `toml`.
fn check(toml: &str, env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("graygate.toml"), toml).expect("write config");
    process::run(
        dir.path(),
        &["check-config", "--config", "graygate.toml"],
        env,
    )
}

fn assert_refused_naming(output: &Output, needles: &[&str]) {
    assert!(
        !output.status.success(),
        "accepted: {}",
        text(&output.stdout)
    );
    let stderr = text(&output.stderr);
    for needle in needles {
        assert!(stderr.contains(needle), "{needle} missing in {stderr}");
    }
}

#[test]
fn check_config_warns_like_serve_when_no_token_is_configured() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/config/graygate.toml");
    fs::create_dir(dir.path().join("config")).expect("config dir");
    fs::copy(shipped, dir.path().join("config/graygate.toml")).expect("copy");
    let output = process::run(dir.path(), &["check-config"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).starts_with("config/graygate.toml: ok"));
    assert!(text(&output.stderr).contains("warning: no [[auth.tokens]] configured"));

    let hash = "ab".repeat(32);
    let token =
        format!("[[auth.tokens]]\nname = \"a\"\nrole = \"admin\"\ntoken_sha256 = \"{hash}\"\n");
    let output = check(&token, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "");
}

#[test]
fn check_config_names_key_value_and_origin_of_each_kind_of_error() {
    let typed = check("[limits]\nmax_batch = \"lots\"\n", &[]);
    assert_refused_naming(&typed, &["limits.max_batch", "\"lots\"", "graygate.toml"]);
    let address = check("", &[("GRAYGATE_SERVER_CLIENT_LISTEN", "localhost")]);
    assert_refused_naming(
        &address,
        &[
            "server.client_listen",
            "\"localhost\"",
            "GRAYGATE_SERVER_CLIENT_LISTEN",
        ],
    );
    let hash = "cd".repeat(32);
    let role = format!(
        "[[auth.tokens]]\nname = \"ops-bob\"\nrole = \"boss\"\ntoken_sha256 = \"{hash}\"\n"
    );
    assert_refused_naming(
        &check(&role, &[]),
        &["auth.tokens[0].role", "\"boss\"", "ops-bob"],
    );
    let reserved = role
        .replace("ops-bob", "system:guard")
        .replace("boss", "admin");
    assert_refused_naming(
        &check(&reserved, &[]),
        &["auth.tokens[0].name", "system:guard", "reserved"],
    );
    let unknown = check("[store]\npth = \"x.db\"\n", &[]);
    assert_refused_naming(&unknown, &["store.pth", "\"x.db\""]);
}

#[test]
fn check_config_names_an_apps_bad_report_token_hash() {
    let app = "[[apps]]\nid = \"superapp-a\"\nreport_token_sha256 = \"not-a-hash\"\n\
        environments.production = {}\n";
    let output = check(app, &[]);
    assert_refused_naming(
        &output,
        &["apps[0].report_token_sha256", "not-a-hash", "64 hex"],
    );
}
