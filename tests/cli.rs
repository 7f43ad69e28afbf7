//! `graygate release …` (and `suspend`, `unsuspend`, `suspensions`) against the real gateway: the binary serves on free ports with an
//! embedded store in a temp dir, and the CLI runs as a subprocess, as an operator would run it.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_graygate");
const DEV: &str = "dev-token-0c6f2a";
const REV: &str = "rev-token-91d3b7";
const ADM: &str = "adm-token-5e8c44";

/// A running gateway, killed when dropped.
struct Gateway {
    child: Child,
    admin_url: String,
    /// The client listener, where super-app clients send `POST /v1/report`.
    client_url: String,
    dir: tempfile::TempDir,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_entry(name: &str, role: &str, token: &str) -> String {
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    format!("[[auth.tokens]]\nname = \"{name}\"\nrole = \"{role}\"\ntoken_sha256 = \"{hash}\"\n")
}

/// The environment of a child process without any GRAYGATE_* or proxy setting of ours.
fn clean(command: &mut Command) -> &mut Command {
    for (var, _) in std::env::vars() {
        if var.starts_with("GRAYGATE_") || var.to_ascii_lowercase().ends_with("_proxy") {
            command.env_remove(var);
        }
    }
    command
}

fn start_gateway() -> Gateway {
    start_gateway_with("")
}

/// A gateway whose config file ends with `extra` (for example another token entry).
fn start_gateway_with(extra: &str) -> Gateway {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("graygate.db");
    let config = format!(
        "[server]\nclient_listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n\
         [store]\nkind = \"embedded\"\npath = {:?}\n{}{}{}\
         [[apps]]\nid = \"superapp-a\"\nenvironments.production = {{ pilot_testing = false }}\n\
         environments.sandbox = {{ approval = \"auto\", pilot_testing = true }}\n{extra}",
        store.display().to_string(),
        token_entry("dev", "developer", DEV),
        token_entry("rev", "reviewer", REV),
        token_entry("adm", "admin", ADM),
    );
    let config_path = dir.path().join("graygate.toml");
    std::fs::write(&config_path, config).expect("write config");
    let log = std::fs::File::create(dir.path().join("gateway.log")).expect("log file");
    let mut child = clean(&mut Command::new(BIN))
        .args(["serve", "--config"])
        .arg(&config_path)
        .env("GRAYGATE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("start the gateway");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    let _ = stdout.read_line(&mut line);
    let addresses = line.trim().strip_prefix("graygate listening client=");
    let Some((client, admin)) = addresses.and_then(|a| a.split_once(" admin=")) else {
        let log = std::fs::read_to_string(dir.path().join("gateway.log")).unwrap_or_default();
        panic!("the gateway did not start: {line:?}\n{log}");
    };
    Gateway {
        admin_url: format!("http://{admin}"),
        client_url: format!("http://{client}"),
        child,
        dir,
        _stdout: stdout,
    }
}

impl Gateway {
    /// Runs `graygate release <args>` with the given token (none: GRAYGATE_TOKEN unset).
    fn release(&self, token: Option<&str>, args: &[&str]) -> Output {
        self.graygate(token, &[&["release"], args].concat())
    }

    /// Runs `graygate <args>` against this gateway's admin URL (from GRAYGATE_ADMIN_URL).
    fn graygate(&self, token: Option<&str>, args: &[&str]) -> Output {
        let mut command = Command::new(BIN);
        clean(&mut command)
            .args(args)
            .env("GRAYGATE_ADMIN_URL", &self.admin_url);
        if let Some(token) = token {
            command.env("GRAYGATE_TOKEN", token);
        }
        let output = command.output().expect("run graygate release");
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            for t in [DEV, REV, ADM] {
                assert!(!text.contains(t), "a token was printed: {text}");
            }
        }
        output
    }

    /// Runs a command that must succeed with `--json` and returns the parsed output.
    fn json(&self, token: &str, args: &[&str]) -> Value {
        let output = self.release(Some(token), &[&["--json"], args].concat());
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        serde_json::from_slice(&output.stdout).expect("--json prints JSON")
    }

    /// Uploads `version` of mp-coupons, then creates its release to superapp-a/`env` with the
    /// CLI (developer token), passing `extra` arguments; returns the release JSON.
    fn create(&self, version: &str, env: &str, extra: &[&str]) -> Value {
        let url = format!(
            "{}/v1/admin/mini-programs/mp-coupons/versions",
            self.admin_url
        );
        let package_url = format!("https://cdn.example.com/mp-coupons/{version}.zip");
        let response = ureq::post(&url)
            .header("authorization", &format!("Bearer {DEV}"))
            .send_json(json!({ "version": version, "package_url": package_url }))
            .expect("upload a version");
        assert_eq!(response.status(), 201);
        let target = ["--mini-program", "mp-coupons", "--app", "superapp-a"];
        let args = [
            &["create", "--version", version, "--env", env],
            &target[..],
            extra,
        ]
        .concat();
        self.json(DEV, &args)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a file");
        path.display().to_string()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The command failed and said `needle` on stderr.
fn assert_fails_with(o: &Output, needle: &str) {
    assert!(!o.status.success(), "succeeded: {}", stdout(o));
    assert!(
        stderr(o).contains(needle),
        "{needle} missing in {}",
        stderr(o)
    );
}

#[path = "cli/guard.rs"]
mod guard;
#[path = "cli/plan.rs"]
mod plan;
#[path = "cli/suspension.rs"]
mod suspension;
#[path = "cli/targeting.rs"]
mod targeting;

fn id_of(release: &Value) -> String {
    release["id"].as_u64().expect("a release id").to_string()
}

#[test]
fn a_release_goes_from_create_to_full_release_through_the_cli() {
    let gw = start_gateway();
    let config = gw.write(
        "config.json",
        r#"{"network_allowlist":["api.example.com"]}"#,
    );
    let created = gw.create("1.4.0", "production", &["--config-file", &config]);
    assert_eq!(created["status"], "new_version_created");
    assert_eq!(created["config"]["network_allowlist"][0], "api.example.com");
    let id = id_of(&created);

    assert_eq!(gw.json(DEV, &["apply", &id])["status"], "under_review");
    let approved = gw.json(REV, &["approve", &id]);
    assert_eq!(approved["status"], "release_preparation");
    let revision = approved["revision"]
        .as_u64()
        .expect("a revision")
        .to_string();

    let stale = gw.release(
        Some(ADM),
        &["go-live", &id, "--percentage", "10", "--if-match", "1"],
    );
    assert_fails_with(&stale, "revision_mismatch (HTTP 412)");

    let args = [
        "go-live",
        &id,
        "--percentage",
        "10",
        "--if-match",
        &revision,
    ];
    let gray = gw.json(ADM, &args);
    assert_eq!(
        (gray["status"].as_str(), gray["percentage"].as_f64()),
        (Some("grayscale_release"), Some(10.0))
    );

    let table = gw.release(Some(ADM), &["list", "--status", "grayscale_release"]);
    assert!(table.status.success(), "{}", stderr(&table));
    let row = stdout(&table);
    let line = row
        .lines()
        .find(|l| l.starts_with(&id))
        .expect("the release's row");
    for cell in [
        "mp-coupons",
        "1.4.0",
        "superapp-a/production",
        "grayscale_release",
        "10%",
    ] {
        assert!(line.contains(cell), "{cell} missing in {row}");
    }

    assert_eq!(
        gw.json(ADM, &["go-live", &id, "--full"])["status"],
        "full_release"
    );
    let show = stdout(&gw.release(Some(ADM), &["show", &id]));
    // A full release's API percentage is 0 (SPEC §4): the share says "full", no number.
    let share = show.lines().find(|l| l.starts_with("share"));
    assert!(
        show.contains("full_release")
            && share.is_some_and(|l| l.split_whitespace().eq(["share", "full"])),
        "{show}"
    );
    let history = gw.json(ADM, &["history", &id]);
    let actions: Vec<&str> = history
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|h| h["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["create", "apply", "approve", "go_live", "go_live"]
    );
    let listed = gw.json(
        ADM,
        &[
            "list",
            "--mini-program",
            "mp-coupons",
            "--env",
            "production",
        ],
    );
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}

#[test]
fn refused_actions_and_bad_tokens_fail_with_the_reason_on_stderr() {
    let gw = start_gateway();
    let created = gw.create("2.0.0", "production", &[]);
    let id = id_of(&created);

    let refused = gw.release(Some(REV), &["approve", &id]);
    assert_fails_with(&refused, "action_not_allowed (HTTP 409)");
    assert_fails_with(&refused, "status: new_version_created");
    assert_fails_with(&refused, "allowed actions: edit_config, apply");
    assert!(stdout(&refused).is_empty());

    let missing = gw.release(None, &["list"]);
    assert_fails_with(&missing, "GRAYGATE_TOKEN is not set");

    let unknown = gw.release(Some("not-a-configured-token"), &["show", &id]);
    assert_fails_with(&unknown, "unauthorized (HTTP 401)");
}

#[test]
fn create_takes_a_test_group_file_with_one_id_per_line() {
    let gw = start_gateway();
    let group = gw.write("group.txt", "qa-1\nqa-2\n\n");
    let created = gw.create("1.5.0", "sandbox", &["--test-group-file", &group]);
    assert_eq!(created["test_group_size"], 2);
    assert_eq!(
        gw.json(DEV, &["apply", &id_of(&created)])["status"],
        "pilot_testing"
    );
}

#[test]
fn global_flags_work_before_and_after_the_subcommand() {
    let gw = start_gateway();
    let id = id_of(&gw.create("3.0.0", "production", &[]));
    let expected = gw.json(ADM, &["show", &id]);
    let positions: [&[&str]; 4] = [
        &["--json", "release", "show", &id],
        &["release", "--json", "show", &id],
        &["release", "show", "--json", &id],
        &["release", "show", &id, "--json"],
    ];
    for args in positions {
        let output = gw.graygate(Some(ADM), args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let shown: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(shown, expected, "{args:?}");
    }
    // --admin-url and --timeout before the subcommand win over GRAYGATE_ADMIN_URL.
    let mut command = Command::new(BIN);
    let output = clean(&mut command)
        .args(["--admin-url", &gw.admin_url, "--timeout", "5", "--json"])
        .args(["release", "list"])
        .env("GRAYGATE_ADMIN_URL", "http://127.0.0.1:1")
        .env("GRAYGATE_TOKEN", ADM)
        .output()
        .expect("run graygate");
    assert!(output.status.success(), "{}", stderr(&output));
    let listed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(listed[0]["id"], expected["id"]);
}

/// Runs `graygate hash-token <args>` with `stdin` as its input.
fn hash_token(args: &[&str], stdin: &str) -> Output {
    let mut child = clean(&mut Command::new(BIN))
        .arg("hash-token")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run graygate hash-token");
    let mut input = child.stdin.take().expect("piped stdin");
    std::io::Write::write_all(&mut input, stdin.as_bytes()).expect("write the token");
    drop(input);
    child.wait_with_output().expect("hash-token output")
}

#[test]
fn hash_token_prints_the_hash_or_a_whole_entry_that_the_gateway_accepts() {
    let token = "ops-token-77aa01";
    let bare = hash_token(&[], &format!("{token}\n"));
    assert!(bare.status.success(), "{}", stderr(&bare));
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    assert_eq!(stdout(&bare).trim_end(), hash);

    let entry = hash_token(&["--name", "ops-carol", "--role", "admin"], token);
    assert!(entry.status.success(), "{}", stderr(&entry));
    let parsed: toml::Table = toml::from_str(&stdout(&entry)).expect("a TOML entry");
    let tokens = parsed["auth"]["tokens"]
        .as_array()
        .expect("[[auth.tokens]]");
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["name"].as_str(), Some("ops-carol"));
    assert_eq!(tokens[0]["role"].as_str(), Some("admin"));
    assert_eq!(tokens[0]["token_sha256"].as_str(), Some(hash.as_str()));

    // Pasted into a config file, the entry lets the token in.
    let gw = start_gateway_with(&stdout(&entry));
    let listed = gw.release(Some(token), &["list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
}

#[test]
fn hash_token_entries_need_a_name_outside_the_system_namespace() {
    let no_name = hash_token(&["--role", "admin"], "t\n");
    assert_fails_with(&no_name, "--name");
    let reserved = hash_token(&["--name", "system:plan", "--role", "admin"], "t\n");
    assert_fails_with(&reserved, "\"system:plan\"");
    assert_fails_with(&reserved, "reserved");
    let bad_role = hash_token(&["--name", "ops-x", "--role", "boss"], "t\n");
    assert_fails_with(&bad_role, "boss");
    assert_fails_with(&hash_token(&[], "\n"), "no token on stdin");
}
