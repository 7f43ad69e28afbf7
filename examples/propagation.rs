//! Propagation latency between two Redis-backed nodes: how long after node A
//! acknowledges an admin write does a resolve on node B show it?
//!
//! Starts two `graygate serve` processes (the release binary) on one fresh Redis
//! namespace, then makes `--changes` changes on A. Each change releases a new version
//! of a mini program to a development target (upload, create, apply: the apply goes
//! straight to `full_release`); the clock starts when A's `apply` answer has arrived
//! and stops when a resolve on B, polled back to back, returns the new version. Prints
//! p50/p95/p99/max and deletes the namespace's keys.
//!
//! ```text
//! cargo build --release
//! cargo run --release --example propagation -- [--changes 200] [--redis URL]
//!     [--bin PATH] [--revision-check-seconds 2]
//! ```
//! `--redis` defaults to `REDIS_URL`, else `redis://127.0.0.1:6379`; `--bin` to
//! `$CARGO_TARGET_DIR/release/graygate`, else `target/release/graygate`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const APP: &str = "superapp-bench";
const MP: &str = "mp-bench";
const USER: &str = "bench-user";
/// The p99 the many-node deployment aims for on loopback.
const TARGET_P99: Duration = Duration::from_millis(50);
/// A change not seen on B after this long counts as lost and stops the run.
const GIVE_UP: Duration = Duration::from_secs(10);

type Error = Box<dyn std::error::Error>;

struct Args {
    changes: usize,
    redis: String,
    bin: PathBuf,
    revision_check_seconds: f64,
}

fn args() -> Result<Args, Error> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let mut parsed = Args {
        changes: 200,
        redis: std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        bin: Path::new(&target).join("release/graygate"),
        revision_check_seconds: 2.0,
    };
    let mut words = std::env::args().skip(1);
    while let Some(flag) = words.next() {
        let value = words.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--changes" => parsed.changes = value.parse()?,
            "--redis" => parsed.redis = value,
            "--bin" => parsed.bin = value.into(),
            "--revision-check-seconds" => parsed.revision_check_seconds = value.parse()?,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    if parsed.changes == 0 {
        return Err("--changes must be at least 1".into());
    }
    Ok(parsed)
}

/// A running `graygate serve`; killed when dropped.
struct Node {
    child: Child,
    client: String,
    admin: String,
}

impl Node {
    fn start(bin: &Path, config: &Path) -> Result<Node, Error> {
        let mut command = Command::new(bin);
        command
            .args(["serve", "--config"])
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GRAYGATE_") {
                command.env_remove(key);
            }
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = loop {
            match lines.next() {
                Some(line)
                    if line
                        .as_ref()
                        .is_ok_and(|l| l.starts_with("graygate listening ")) =>
                {
                    break line?;
                }
                Some(_) => continue,
                None => return Err("the gateway exited before listening".into()),
            }
        };
        // Keep draining stdout so the gateway never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let addr = |prefix: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(prefix))
                .map(|a| format!("http://{a}"))
                .ok_or(format!("no {prefix} in {line:?}"))
        };
        Ok(Node {
            client: addr("client=")?,
            admin: addr("admin=")?,
            child,
        })
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(args: &Args, namespace: &str, token: &str) -> String {
    let sha = hex::encode(Sha256::digest(token.as_bytes()));
    format!(
        "[server]\nclient_listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n\n\
         [store]\nkind = \"redis\"\nurl = \"{}\"\nnamespace = \"{namespace}\"\n\
         revision_check_seconds = {:?}\n\n\
         [[auth.tokens]]\nname = \"bench\"\nrole = \"admin\"\ntoken_sha256 = \"{sha}\"\n\n\
         [[apps]]\nid = \"{APP}\"\nenvironments.production = {{}}\nenvironments.development = {{}}\n",
        args.redis, args.revision_check_seconds
    )
}

/// An admin `POST` with a JSON body; the answer's body, or an error naming the status.
fn post(agent: &ureq::Agent, token: &str, url: &str, body: &Value) -> Result<Value, Error> {
    let mut response = agent
        .post(url)
        .header("authorization", format!("Bearer {token}"))
        .send_json(body)?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string()?;
    if !(200..300).contains(&status) {
        return Err(format!("POST {url}: {status} {text}").into());
    }
    Ok(serde_json::from_str(&text)?)
}

/// The version B's resolve serves now, if any.
fn served(agent: &ureq::Agent, url: &str) -> Result<Option<String>, Error> {
    let mut response = agent.get(url).call()?;
    if response.status().as_u16() != 200 {
        return Ok(None);
    }
    let body: Value = response.body_mut().read_json()?;
    Ok(body["version"].as_str().map(str::to_string))
}

/// Makes change `i` on A; returns how long A took to acknowledge the apply and how long
/// after that B first served the new version.
fn one_change(
    agent: &ureq::Agent,
    token: &str,
    a: &Node,
    b: &Node,
    i: usize,
) -> Result<(Duration, Duration), Error> {
    let version = format!("1.{i}.0");
    let package_url = format!("https://cdn.example.com/{MP}/{version}.zip");
    let upload = format!("{}/v1/admin/mini-programs/{MP}/versions", a.admin);
    post(
        agent,
        token,
        &upload,
        &json!({ "version": version, "package_url": package_url }),
    )?;
    let release =
        json!({ "mini_program": MP, "version": version, "app": APP, "env": "development" });
    let created = post(
        agent,
        token,
        &format!("{}/v1/admin/releases", a.admin),
        &release,
    )?;
    let id = created["id"].as_u64().ok_or("release without id")?;
    let apply = format!("{}/v1/admin/releases/{id}/apply", a.admin);
    let sent = Instant::now();
    post(agent, token, &apply, &json!({}))?;
    let acknowledged = Instant::now();
    let resolve = format!(
        "{}/v1/resolve?app={APP}&env=development&mini_program={MP}&user={USER}",
        b.client
    );
    while served(agent, &resolve)?.as_deref() != Some(version.as_str()) {
        if acknowledged.elapsed() > GIVE_UP {
            return Err(format!("B did not serve {version} within {GIVE_UP:?}").into());
        }
    }
    Ok((acknowledged - sent, acknowledged.elapsed()))
}

/// Nearest-rank percentiles of `samples` (sorted here), in milliseconds.
fn report(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| {
        let rank = (samples.len() as f64 * q).ceil() as usize;
        samples[rank.clamp(1, samples.len()) - 1].as_secs_f64() * 1000.0
    };
    println!(
        "{name:<28} n={} p50={:.3}ms p95={:.3}ms p99={:.3}ms max={:.3}ms",
        samples.len(),
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0)
    );
}

/// Deletes every key of the namespace (SCAN + DEL).
fn drop_namespace(url: &str, namespace: &str) -> Result<(), Error> {
    let mut conn = redis::Client::open(url)?.get_connection_with_timeout(Duration::from_secs(2))?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{{namespace}}}:*"))
        .query(&mut conn)?;
    if !keys.is_empty() {
        let _: u64 = redis::cmd("DEL").arg(keys).query(&mut conn)?;
    }
    Ok(())
}

fn run(args: &Args, namespace: &str) -> Result<Duration, Error> {
    let dir = tempfile::tempdir()?;
    let token = format!("bench-{}", graygate::bucket::new_salt()?);
    let config_path = dir.path().join("graygate.toml");
    std::fs::write(&config_path, config(args, namespace, &token))?;
    let a = Node::start(&args.bin, &config_path)?;
    let b = Node::start(&args.bin, &config_path)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let (mut acks, mut lags) = (Vec::new(), Vec::new());
    for i in 0..args.changes {
        let (ack, lag) = one_change(&agent, &token, &a, &b, i)?;
        acks.push(ack);
        lags.push(lag);
    }
    report("apply acknowledged by A", &mut acks);
    report("A's answer → B's resolve", &mut lags);
    Ok(lags[(lags.len() as f64 * 0.99).ceil() as usize - 1])
}

fn main() -> std::process::ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("propagation: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let random = graygate::bucket::new_salt().unwrap_or_default();
    let namespace = format!("bench-propagation-{}-{random}", std::process::id());
    println!(
        "propagation: {} changes, redis {}, namespace {namespace}, binary {}, revision check every {} s",
        args.changes,
        args.redis,
        args.bin.display(),
        args.revision_check_seconds
    );
    let outcome = run(&args, &namespace);
    if let Err(e) = drop_namespace(&args.redis, &namespace) {
        eprintln!("propagation: could not delete namespace {namespace}: {e}");
    }
    match outcome {
        Ok(p99) => {
            let verdict = if p99 <= TARGET_P99 { "met" } else { "MISSED" };
            println!("target p99 ≤ {TARGET_P99:?}: {verdict}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("propagation: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
