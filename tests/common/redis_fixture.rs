//! Redis for the many-node tests: whether a Redis is there ([`redis_url`],
//! [`redis_server_binary`]), a private key namespace per test that is deleted when it
//! drops ([`Namespace`]), and a private `redis-server` child process that can be killed
//! and restarted on the same port ([`RedisServer`]).
//!
//! Absent Redis is a skip that shows in the plain `cargo test` output
//! ([`super::skip`]), or a failure when `GRAYGATE_REQUIRE_REDIS=1`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Redis tests run against when `REDIS_URL` is not set.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
/// How long a fresh or restarted `redis-server` may take to answer `PING`.
const REDIS_START_TIMEOUT: Duration = Duration::from_secs(10);

fn redis_required() -> bool {
    std::env::var("GRAYGATE_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

/// Skips the calling test (returns `None` after printing `reason`), or fails it when
/// `GRAYGATE_REQUIRE_REDIS=1`.
#[track_caller]
fn skip_or_fail<T>(test: &str, reason: &str) -> Option<T> {
    if redis_required() {
        panic!("{test}: GRAYGATE_REQUIRE_REDIS=1 but {reason}");
    }
    super::skip(
        test,
        &format!("{reason} (set GRAYGATE_REQUIRE_REDIS=1 to fail instead)"),
    );
    None
}

/// `REDIS_URL` (default [`DEFAULT_REDIS_URL`]) if a Redis answers `PING` there; `None`
/// (skip, with the reason printed) if not, and a panic when `GRAYGATE_REQUIRE_REDIS=1`.
#[track_caller]
pub fn redis_url(test: &str) -> Option<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.into());
    match ping(&url) {
        Ok(()) => Some(url),
        Err(e) => skip_or_fail(test, &format!("no Redis at {url}: {e}")),
    }
}

/// The `redis-server` executable (`REDIS_SERVER`, else `redis-server` on `PATH`) if it
/// runs; skips or fails like [`redis_url`] otherwise.
#[track_caller]
pub fn redis_server_binary(test: &str) -> Option<PathBuf> {
    let binary = PathBuf::from(std::env::var("REDIS_SERVER").unwrap_or("redis-server".into()));
    let runs = Command::new(&binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if runs {
        Some(binary)
    } else {
        let reason = format!("cannot run {} (set REDIS_SERVER)", binary.display());
        skip_or_fail(test, &reason)
    }
}

fn connect(url: &str) -> redis::RedisResult<redis::Connection> {
    let connection =
        redis::Client::open(url)?.get_connection_with_timeout(Duration::from_secs(1))?;
    connection.set_read_timeout(Some(Duration::from_secs(5)))?;
    Ok(connection)
}

fn ping(url: &str) -> redis::RedisResult<()> {
    let mut connection = connect(url)?;
    let _: String = redis::cmd("PING").query(&mut connection)?;
    Ok(())
}

/// A key namespace of its own (`[store] namespace`), random per test; every key under
/// it is deleted when it drops, pass or fail.
pub struct Namespace {
    url: String,
    name: String,
}

impl Namespace {
    /// A fresh namespace `<prefix>-<pid>-<random hex>` on the Redis at `url`.
    pub fn fresh(url: &str, prefix: &str) -> Namespace {
        let random = graygate::bucket::new_salt().expect("randomness for a namespace");
        Namespace {
            url: url.to_string(),
            name: format!("{prefix}-{}-{random}", std::process::id()),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The body of a `[store]` section for a gateway on this namespace.
    pub fn store_section(&self, revision_check_seconds: f64) -> String {
        self.store_section_via(&self.url, revision_check_seconds)
    }

    /// Like [`Namespace::store_section`], reaching the same Redis through `url` (for
    /// example as another Redis user).
    pub fn store_section_via(&self, url: &str, revision_check_seconds: f64) -> String {
        format!(
            "kind = \"redis\"\nurl = \"{url}\"\nnamespace = \"{}\"\nrevision_check_seconds = {revision_check_seconds:?}\n",
            self.name
        )
    }

    /// The pub/sub channel the nodes announce new revisions on.
    pub fn channel(&self) -> String {
        format!("{{{}}}:revisions", self.name)
    }

    /// The global revision the namespace holds in Redis (0 when it holds nothing).
    pub fn revision(&self) -> u64 {
        let mut connection = connect(&self.url).expect("connect to Redis");
        let revision: Option<u64> = redis::cmd("GET")
            .arg(format!("{{{}}}:revision", self.name))
            .query(&mut connection)
            .expect("GET the revision");
        revision.unwrap_or(0)
    }

    /// The fields of the hash `{namespace}:<suffix>` as numbers (empty when absent).
    pub fn counts(&self, suffix: &str) -> std::collections::BTreeMap<String, u64> {
        let mut connection = connect(&self.url).expect("connect to Redis");
        redis::cmd("HGETALL")
            .arg(format!("{{{}}}:{suffix}", self.name))
            .query(&mut connection)
            .expect("HGETALL")
    }

    /// The keys of this namespace now in Redis.
    pub fn keys(&self) -> redis::RedisResult<Vec<String>> {
        let mut connection = connect(&self.url)?;
        let pattern = format!("{{{}}}:*", self.name);
        let mut keys = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query(&mut connection)?;
            keys.extend(batch);
            if next == 0 {
                return Ok(keys);
            }
            cursor = next;
        }
    }

    fn delete_keys(&self) -> redis::RedisResult<()> {
        let keys = self.keys()?;
        if !keys.is_empty() {
            let _: u64 = redis::cmd("DEL")
                .arg(keys)
                .query(&mut connect(&self.url)?)?;
        }
        Ok(())
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        if let Err(e) = self.delete_keys() {
            eprintln!("could not delete the keys of namespace {}: {e}", self.name);
        }
    }
}

/// A `redis-server` of the test's own on a free loopback port, keeping its data in an
/// append-only file fsynced on every write (as README "Deployment" asks), so it can be
/// killed and restarted on the same port without losing acknowledged writes.
pub struct RedisServer {
    binary: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// A started server for `test`, or `None` (a visible skip, or a failure when
    /// `GRAYGATE_REQUIRE_REDIS=1`) when `redis-server` cannot run.
    #[track_caller]
    pub fn for_test(test: &str) -> Option<RedisServer> {
        redis_server_binary(test).map(RedisServer::start)
    }

    /// Starts the server and waits until it answers `PING`.
    pub fn start(binary: PathBuf) -> RedisServer {
        let dir = tempfile::Builder::new()
            .prefix("graygate-redis-")
            .tempdir()
            .expect("create a temporary directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("find a free port")
            .port();
        let mut server = RedisServer {
            binary,
            dir,
            port,
            child: None,
        };
        server.spawn();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A connection to this server as the default user.
    pub fn connection(&self) -> redis::Connection {
        connect(&self.url()).expect("connect to the private redis-server")
    }

    /// The URL for the user `name` with `password` on this server.
    pub fn url_as(&self, name: &str, password: &str) -> String {
        format!("redis://{name}:{password}@127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("redis.log"))
            .expect("open the redis log");
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + REDIS_START_TIMEOUT;
        loop {
            match ping(&self.url()) {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => {
                    let log = std::fs::read_to_string(self.dir.path().join("redis.log"));
                    panic!(
                        "redis-server on port {} did not answer: {e}\n{}",
                        self.port,
                        log.unwrap_or_default()
                    );
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// Kills the server with SIGKILL (a crash: no shutdown, no final save) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same data directory.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
