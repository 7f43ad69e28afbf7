//! Skips that show. libtest captures `print!` and `eprintln!` of a passing test, so a
//! skip written that way reads as a plain pass; a direct write to the process's stderr
//! is not captured and appears in the plain `cargo test` output, next to the `ok`.

use std::io::Write;
use std::process::{Command, Stdio};

/// Writes `SKIPPED <test>: <reason>` straight to stderr, past libtest's capture.
pub fn skip(test: &str, reason: &str) {
    let line = format!("SKIPPED {test}: {reason}\n");
    // Nothing useful can be done if stderr itself is gone.
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Whether the external tool `name` runs. In CI (`CI=true`, set by `.ci/run`) a
/// missing tool fails the calling test; elsewhere the test is skipped, visibly.
#[track_caller]
pub fn tool(test: &str, name: &str) -> bool {
    let found = Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "{name} must be installed in CI (.ci/run installs the prometheus package)"
        );
        skip(
            test,
            &format!("{name} is not installed (apt-get install prometheus)"),
        );
    }
    found
}
