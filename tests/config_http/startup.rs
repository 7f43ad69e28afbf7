//! `graygate serve` with the shipped config from the default path, and a start refused
//! with the key, value and variable of the bad setting.

use std::fs;
use std::path::Path;

use crate::process::{self, status_of};

/// A temporary directory holding a copy of the repository's `config/` directory, as a
/// fresh clone has it.
fn shipped_checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    fs::create_dir(dir.path().join("config")).expect("config dir");
    for entry in fs::read_dir(&shipped).expect("the shipped config dir") {
        let entry = entry.expect("a config file");
        fs::copy(
            entry.path(),
            dir.path().join("config").join(entry.file_name()),
        )
        .expect("copy a config file");
    }
    dir
}

// The ports are the only override: the shipped 8080/8081 may be taken on a test machine
// (or by a parallel test), and the point here is the file, its path and its store path.
const FREE_PORTS: [(&str, &str); 2] = [
    ("GRAYGATE_SERVER_CLIENT_LISTEN", "127.0.0.1:0"),
    ("GRAYGATE_SERVER_ADMIN_LISTEN", "127.0.0.1:0"),
];

#[test]
fn serve_starts_with_the_shipped_config_from_the_default_path() {
    let dir = shipped_checkout();
    let stderr_path = dir.path().join("stderr.log");
    let stderr = fs::File::create(&stderr_path).expect("stderr log");
    let served = process::serve(
        process::command(dir.path(), &["serve"], &FREE_PORTS),
        stderr,
    );
    assert_eq!(status_of(&format!("{}/healthz", served.client_url)), 200);
    assert_eq!(status_of(&format!("{}/healthz", served.admin_url)), 200);
    // The shipped store path is relative: the database lives under the working directory.
    assert!(dir.path().join("data/graygate.db").is_file());
    let log = fs::read_to_string(&stderr_path).expect("stderr log");
    assert!(log.contains("no [[auth.tokens]] configured"), "{log}");
    // The start-up line is printed once: on stdout, not again in the log.
    assert_eq!(served.stdout.len(), 1, "{:?}", served.stdout);
    assert!(!log.contains("listening"), "{log}");
}

#[test]
fn a_bare_graygate_serves_the_config_named_by_graygate_config() {
    let dir = shipped_checkout();
    fs::rename(dir.path().join("config"), dir.path().join("elsewhere")).expect("move config");
    let stderr = fs::File::create(dir.path().join("stderr.log")).expect("stderr log");
    let env = [
        FREE_PORTS[0],
        FREE_PORTS[1],
        ("GRAYGATE_CONFIG", "elsewhere/graygate.toml"),
    ];
    let served = process::serve(process::command(dir.path(), &[], &env), stderr);
    assert_eq!(status_of(&format!("{}/healthz", served.client_url)), 200);
}

#[test]
fn serve_refuses_a_bad_override_naming_key_value_and_variable() {
    let dir = shipped_checkout();
    let env = [
        FREE_PORTS[0],
        FREE_PORTS[1],
        ("GRAYGATE_LIMITS_MAX_BATCH", "lots"),
    ];
    let output = process::run(dir.path(), &["serve"], &env);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for needle in ["limits.max_batch", "\"lots\"", "GRAYGATE_LIMITS_MAX_BATCH"] {
        assert!(stderr.contains(needle), "{needle} missing in {stderr}");
    }
    assert!(!dir.path().join("data/graygate.db").exists());
}
