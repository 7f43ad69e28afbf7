//! Test harness shared by the integration tests: runs the real `graygate` binary and
//! talks to it over TCP, the way operators and super-app clients do.
//!
//! Layout:
//! - [`Who`]: one configured actor per role (two developers and two reviewers), with
//!   their bearer tokens.
//! - [`Options`] / [`TargetApp`] / [`StoreSpec`]: what goes into the generated config
//!   file and the process environment.
//! - [`Gateway`]: a running `graygate serve` on ephemeral ports in its own temporary
//!   directory; [`Gateway::kill9`], [`Gateway::restart`], [`Gateway::restart_with`],
//!   [`Gateway::terminate`], [`Gateway::send_sigterm`] / [`Gateway::send_sigkill`] (signal
//!   and return, for requests in flight) and [`Gateway::wait_exit`] control the process,
//!   and dropping it kills the process.
//! - [`Call`] / [`Reply`]: a small blocking HTTP client on `ureq` that returns every
//!   status (4xx and 5xx included) as a reply with its headers and JSON body.
//! - [`redis_url`] / [`Namespace`] / [`RedisServer`]: Redis for many-node tests (skip or
//!   fail when absent, a private key namespace, a private `redis-server` process).
//! - [`Release`], [`upload`], [`release_body`], [`users`], [`eventually`],
//!   [`Gateway::with_release`]: seeded data through the admin API and waiting for
//!   asynchronous effects.
//! - [`rfc3339_nanos`]: API times as numbers that order correctly.
//! - [`skip`] / [`tool`]: a skipped test says so in plain `cargo test` output.
//!
//! When a test panics while a gateway is alive, the gateway's stderr is printed so the
//! failure shows what the server logged.
#![allow(dead_code)] // every test binary uses a different part of the harness

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

mod clock;
mod config;
mod http;
mod redis_fixture;
mod seed;
mod skip;

// Each test binary uses a different part of the harness.
#[allow(unused_imports)]
pub use clock::rfc3339_nanos;
#[allow(unused_imports)]
pub use config::{Options, StoreSpec, TargetApp, Who, token_sha256};
#[allow(unused_imports)]
pub use http::{Call, Reply, query};
#[allow(unused_imports)]
pub use redis_fixture::{
    DEFAULT_REDIS_URL, Namespace, RedisServer, redis_server_binary, redis_url,
};
#[allow(unused_imports)]
pub use seed::{
    Release, create_release, eventually, merged, package_url, release_body, releases, upload,
    upload_reply, users,
};
#[allow(unused_imports)]
pub use skip::{skip, tool};

/// How long the gateway may take to print its listening line.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest any single HTTP exchange with the gateway may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How many lines of stderr to print when a test fails.
const STDERR_TAIL_LINES: usize = 200;

/// A running `graygate serve`, its temporary directory and an HTTP client for it.
pub struct Gateway {
    dir: tempfile::TempDir,
    /// Set once a failure was reported with stderr, so `Drop` does not repeat it.
    reported: AtomicBool,
    config_path: PathBuf,
    store_path: PathBuf,
    env: Vec<(String, String)>,
    child: Option<Child>,
    client_url: String,
    admin_url: String,
    agent: ureq::Agent,
}

impl Gateway {
    /// Writes the config, starts the binary and waits for its listening line.
    /// Panics (showing the gateway's stderr) if it does not come up in time.
    pub fn start(options: Options) -> Gateway {
        let dir = tempfile::Builder::new()
            .prefix("graygate-test-")
            .tempdir()
            .expect("create a temporary directory");
        let store_path = match &options.store {
            StoreSpec::EmbeddedAt(path) => path.clone(),
            StoreSpec::Embedded | StoreSpec::Section(_) => dir.path().join("data/graygate.db"),
        };
        let config_path = dir.path().join("graygate.toml");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .max_redirects(0)
            .build()
            .into();
        let mut gateway = Gateway {
            dir,
            reported: AtomicBool::new(false),
            config_path,
            store_path,
            env: Vec::new(),
            child: None,
            client_url: String::new(),
            admin_url: String::new(),
            agent,
        };
        gateway.configure(options);
        gateway.spawn();
        gateway
    }

    /// Writes the config file for `options`, keeping this gateway's store path.
    fn configure(&mut self, options: Options) {
        let text = config::config_text(&options, &self.store_path);
        fs::write(&self.config_path, text).expect("write the config");
        self.env = options.env;
    }

    /// Base URL of the client listener (resolve, health), e.g. `http://127.0.0.1:40001`.
    pub fn client_url(&self) -> &str {
        &self.client_url
    }

    /// Base URL of the admin listener (admin API, `/metrics`, health).
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// The gateway's temporary directory (config file, store, stderr log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The embedded store file (meaningless with a custom store section).
    pub fn store_path(&self) -> &Path {
        &self.store_path
    }

    /// The process id of the running gateway, if it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn stderr_path(&self) -> PathBuf {
        self.dir.path().join("graygate.stderr.log")
    }

    /// Everything the gateway wrote to stderr so far, across restarts.
    pub fn stderr(&self) -> String {
        fs::read_to_string(self.stderr_path()).unwrap_or_default()
    }

    fn spawn(&mut self) {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.stderr_path())
            .expect("open the stderr log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_graygate"));
        command
            .arg("serve")
            .arg("--config")
            .arg(&self.config_path)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        // The test's own environment must not reconfigure the gateway.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GRAYGATE_") {
                command.env_remove(key);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let mut child = command.spawn().expect("spawn the graygate binary");
        let stdout = child.stdout.take().expect("piped stdout");
        self.child = Some(child);
        let line = self.wait_for_listening_line(stdout);
        let (client, admin) = parse_listening_line(&line)
            .unwrap_or_else(|| self.fail(&format!("unexpected listening line {line:?}")));
        self.client_url = format!("http://{client}");
        self.admin_url = format!("http://{admin}");
    }

    /// Reads stdout on a thread (which keeps draining it afterwards) until the
    /// `graygate listening …` line arrives or [`STARTUP_TIMEOUT`] passes.
    fn wait_for_listening_line(&mut self, stdout: std::process::ChildStdout) -> String {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // The receiver is gone once the line was found; keep draining anyway.
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.starts_with("graygate listening ") => return line,
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.kill9();
                    self.fail("the gateway did not print its listening line in time");
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.as_mut().and_then(|c| c.wait().ok());
                    self.child = None;
                    self.fail(&format!("the gateway exited before listening ({status:?})"));
                }
            }
        }
    }

    /// Panics with `message` and the gateway's stderr.
    #[track_caller]
    pub fn fail(&self, message: &str) -> ! {
        self.reported.store(true, Ordering::Relaxed);
        panic!(
            "{message}\n--- graygate stderr ---\n{}",
            tail(&self.stderr(), STDERR_TAIL_LINES)
        );
    }

    /// Kills the gateway with SIGKILL (no shutdown, no flushing) and reaps it.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for a graceful exit; SIGKILLs after that.
    /// Returns the exit status of a graceful exit, `None` if it had to be killed.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if !self.send_sigterm() {
            self.kill9();
            return None;
        }
        self.wait_exit(timeout)
    }

    /// Sends SIGTERM and returns at once (the process keeps draining); whether it was sent.
    pub fn send_sigterm(&self) -> bool {
        self.signal("-TERM")
    }

    /// Sends SIGKILL and returns at once, without reaping, so it works while other
    /// threads still send requests; [`Gateway::restart`] reaps the process.
    pub fn send_sigkill(&self) -> bool {
        self.signal("-KILL")
    }

    fn signal(&self, flag: &str) -> bool {
        let Some(pid) = self.pid() else { return false };
        Command::new("kill")
            .arg(flag)
            .arg(pid.to_string())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Waits up to `timeout` for the process to exit by itself; SIGKILLs it after that.
    /// Returns the exit status of an exit within `timeout`, `None` if it had to be killed.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Starts the gateway again with the same config, environment and store, SIGKILLing
    /// the running process first if there is one. The new process has new ports.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// Like [`Gateway::restart`], with a config and environment made from `options`.
    /// The embedded store stays where it was unless `options` names another store.
    pub fn restart_with(&mut self, options: Options) {
        self.kill9();
        if let StoreSpec::EmbeddedAt(path) = &options.store {
            self.store_path = path.clone();
        }
        self.configure(options);
        self.spawn();
    }

    /// The HTTP agent [`Call`]s use.
    pub(crate) fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// A request to the admin listener; `path` starts with `/`.
    pub fn admin(&self, method: &str, path: &str) -> Call<'_> {
        Call::new(self, method, format!("{}{path}", self.admin_url))
    }

    /// A request to the client listener; `path` starts with `/`.
    pub fn client(&self, method: &str, path: &str) -> Call<'_> {
        Call::new(self, method, format!("{}{path}", self.client_url))
    }

    /// `GET` on the admin listener as `who`.
    pub fn get(&self, who: Who, path: &str) -> Reply {
        self.admin("GET", path).by(who).send()
    }

    /// `POST` of a JSON body on the admin listener as `who`.
    pub fn post(&self, who: Who, path: &str, body: &Value) -> Reply {
        self.admin("POST", path).by(who).json(body).send()
    }

    /// `PUT` of a JSON body on the admin listener as `who`.
    pub fn put(&self, who: Who, path: &str, body: &Value) -> Reply {
        self.admin("PUT", path).by(who).json(body).send()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.reported.load(Ordering::Relaxed) {
            eprintln!(
                "--- graygate stderr ({}) ---\n{}",
                self.dir.path().display(),
                tail(&self.stderr(), STDERR_TAIL_LINES)
            );
        }
        self.kill9();
    }
}

/// `client=ADDR admin=ADDR` out of the listening line.
fn parse_listening_line(line: &str) -> Option<(String, String)> {
    let mut client = None;
    let mut admin = None;
    for word in line.split_whitespace() {
        if let Some(a) = word.strip_prefix("client=") {
            client = Some(a.to_string());
        } else if let Some(a) = word.strip_prefix("admin=") {
            admin = Some(a.to_string());
        }
    }
    Some((client?, admin?))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
