//! The README's examples are real: every ```` ```console ```` block in README.md is run, in
//! order, against one gateway started from a clean store with the shipped config and the
//! README's three tokens, and each command's output must be what the README prints.
//!
//! What changes from run to run is masked on both sides before comparing: salts,
//! timestamps and the buckets they decide. `GRAYGATE_README_WRITE=1 cargo test --test
//! readme` writes the outputs of a fresh run into README.md instead.

// Only the process helpers of the config tests are used here.
#[allow(dead_code)]
#[path = "config_http/process.rs"]
mod process;

use std::fs;
use std::path::Path;
use std::process::Command;

use regex::Regex;
use sha2::{Digest, Sha256};

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
const SHIPPED_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/graygate.toml");
/// The README's tokens: (name, role, bearer token).
const TOKENS: [(&str, &str, &str); 3] = [
    ("dev", "developer", "dev-token"),
    ("rev", "reviewer", "rev-token"),
    ("admin", "admin", "admin-token"),
];

/// One `$ command` of a console block and the output printed under it.
struct Example {
    /// The README line of the command (0-based), for messages.
    line: usize,
    command: String,
    /// Where its output lines are in the README: `start..end`.
    output: std::ops::Range<usize>,
}

fn examples(lines: &[&str]) -> Vec<Example> {
    let mut found: Vec<Example> = Vec::new();
    let mut in_console = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if !in_console {
            in_console = line.trim_end() == "```console";
        } else if line.starts_with("```") {
            in_console = false;
        } else if let Some(first) = line.strip_prefix("$ ") {
            let start = i;
            let mut command = first.to_string();
            while command.ends_with('\\') && i + 1 < lines.len() {
                i += 1;
                command.push('\n');
                command.push_str(lines[i]);
            }
            found.push(Example {
                line: start,
                command,
                output: i + 1..i + 1,
            });
        } else if let Some(last) = found.last_mut() {
            last.output.end = i + 1;
        }
        i += 1;
    }
    found
}

/// What varies between runs, replaced by a placeholder.
fn masked(text: &str) -> String {
    let rules = [
        (r"\b[0-9a-f]{16}\b", "<salt>"),
        (
            r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z",
            "<time>",
        ),
        (r#""bucket":[0-9]+"#, r#""bucket":<n>"#),
        (r"bucket [0-9]+ is (not )?below", "bucket <n> is <below>"),
        (r#""in_grayscale":(true|false)"#, r#""in_grayscale":<bool>"#),
    ];
    let mut out = text.trim_end().to_string();
    for (pattern, placeholder) in rules {
        let re = Regex::new(pattern).expect("a valid mask");
        out = re.replace_all(&out, placeholder).into_owned();
    }
    out
}

fn config_with_tokens(dir: &Path) -> std::path::PathBuf {
    let mut config = fs::read_to_string(SHIPPED_CONFIG).expect("the shipped config");
    for (name, role, token) in TOKENS {
        let hash = hex::encode(Sha256::digest(token.as_bytes()));
        config.push_str(&format!(
            "\n[[auth.tokens]]\nname = \"{name}\"\nrole = \"{role}\"\ntoken_sha256 = \"{hash}\"\n"
        ));
    }
    let path = dir.join("graygate.toml");
    fs::write(&path, config).expect("write the config");
    path
}

/// Runs one example in bash with the README's variables, stdout and stderr together.
fn run(example: &Example, gateway: &process::Served, cwd: &Path) -> String {
    let bin_dir = Path::new(process::BIN)
        .parent()
        .expect("the binary's folder");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("{{ {}\n}} 2>&1", example.command))
        .current_dir(cwd)
        .env("PATH", path)
        .env("A", &gateway.admin_url)
        .env("C", &gateway.client_url)
        .env("DEV", "Authorization: Bearer dev-token")
        .env("REV", "Authorization: Bearer rev-token")
        .env("ADM", "Authorization: Bearer admin-token")
        .env("GRAYGATE_ADMIN_URL", &gateway.admin_url)
        .env_remove("GRAYGATE_TOKEN")
        .output()
        .expect("bash runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn every_console_example_in_the_readme_is_what_a_fresh_gateway_answers() {
    let text = fs::read_to_string(README).expect("README.md");
    let lines: Vec<&str> = text.lines().collect();
    let examples = examples(&lines);
    assert!(examples.len() >= 10, "the walk-through has its examples");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_with_tokens(dir.path());
    let store = dir.path().join("graygate.db");
    let config_arg = config.to_string_lossy().into_owned();
    let store_path = store.to_string_lossy().into_owned();
    let env = [
        ("GRAYGATE_SERVER_CLIENT_LISTEN", "127.0.0.1:0"),
        ("GRAYGATE_SERVER_ADMIN_LISTEN", "127.0.0.1:0"),
        ("GRAYGATE_STORE_PATH", store_path.as_str()),
    ];
    let command = process::command(dir.path(), &["serve", "--config", &config_arg], &env);
    let stderr = fs::File::create(dir.path().join("stderr")).expect("stderr file");
    let gateway = process::serve(command, stderr);

    let write = std::env::var_os("GRAYGATE_README_WRITE").is_some();
    let mut outputs = Vec::new();
    let mut differences = Vec::new();
    for example in &examples {
        let actual = run(example, &gateway, dir.path());
        let documented = lines[example.output.clone()].join("\n");
        if masked(&actual) != masked(&documented) {
            differences.push(format!(
                "README.md:{} `{}`\n  README says:\n{documented}\n  the gateway says:\n{actual}",
                example.line + 1,
                example.command
            ));
        }
        outputs.push(actual);
    }
    if write {
        rewrite(&lines, &examples, &outputs);
        return;
    }
    assert!(
        differences.is_empty(),
        "{} of {} README examples differ (GRAYGATE_README_WRITE=1 rewrites them):\n{}",
        differences.len(),
        examples.len(),
        differences.join("\n")
    );
}

/// README.md with each example's output replaced by what this run printed.
fn rewrite(lines: &[&str], examples: &[Example], outputs: &[String]) {
    let mut out: Vec<String> = Vec::new();
    let mut next = 0;
    for (example, output) in examples.iter().zip(outputs) {
        out.extend(
            lines[next..example.output.start]
                .iter()
                .map(|l| l.to_string()),
        );
        out.extend(output.trim_end().lines().map(str::to_string));
        next = example.output.end;
    }
    out.extend(lines[next..].iter().map(|l| l.to_string()));
    fs::write(README, out.join("\n") + "\n").expect("write README.md");
}
