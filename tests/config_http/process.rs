//! `graygate` runs that the shared harness does not cover: a `serve` without `--config`
//! in a directory of our choosing, and commands that are expected to exit.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_graygate");
/// How long a command may take before the test gives up on it.
const TIMEOUT: Duration = Duration::from_secs(60);

/// `graygate <args>` in `cwd` with only the given `GRAYGATE_*` variables.
pub fn command(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("GRAYGATE_") {
            command.env_remove(var);
        }
    }
    command
        .args(args)
        .current_dir(cwd)
        .envs(env.iter().copied());
    command
}

/// Runs a command that must exit by itself (within [`TIMEOUT`]; killed after that).
pub fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = command(cwd, args, env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run graygate");
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait().expect("poll graygate").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().expect("graygate output")
}

/// A `graygate serve` that printed its listening line; killed when dropped.
pub struct Served {
    child: Child,
    pub client_url: String,
    pub admin_url: String,
    /// Every stdout line up to and including the listening line.
    pub stdout: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` with stderr to `stderr` and waits for `graygate listening …`.
pub fn serve(mut command: Command, stderr: File) -> Served {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start graygate serve");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    // The thread keeps draining stdout so the gateway never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut served = Served {
        child,
        client_url: String::new(),
        admin_url: String::new(),
        stdout: Vec::new(),
    };
    let deadline = Instant::now() + TIMEOUT;
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        served.stdout.push(line.clone());
        if let Some(addrs) = line.strip_prefix("graygate listening ") {
            for word in addrs.split_whitespace() {
                if let Some(a) = word.strip_prefix("client=") {
                    served.client_url = format!("http://{a}");
                } else if let Some(a) = word.strip_prefix("admin=") {
                    served.admin_url = format!("http://{a}");
                }
            }
            return served;
        }
    }
    panic!(
        "graygate serve did not print its listening line: {:?}",
        served.stdout
    );
}

/// The HTTP status of `GET url`, whatever it is.
pub fn status_of(url: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .build()
        .into();
    agent.get(url).call().map_or(0, |r| r.status().as_u16())
}
