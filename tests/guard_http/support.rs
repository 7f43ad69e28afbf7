//! Vocabulary of the guarded-rollout scenarios: a gateway evaluating guards every
//! 0.2 s, a route with a full release (v1) and an in-flight one (v2), guard bodies,
//! reports per arm, the guard calls on the harness's [`Release`] handle, the guard's
//! history entries and Prometheus samples.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Gateway, Options, Reply, StoreSpec, TargetApp, Who};
pub use crate::common::{Release, release_body, upload};

/// Production without pilot testing (apply → under_review → approve →
/// release_preparation), and a sandbox with automatic approval.
pub const APP: &str = "superapp-g";
pub const PROD: &str = "production";
pub const SANDBOX: &str = "sandbox";
pub const MP: &str = "mp-guarded";

/// The actor of the guard's halts and rollbacks.
pub const SYSTEM_GUARD: &str = "system:guard";
/// The actor of plan steps and waits for data.
pub const SYSTEM_PLAN: &str = "system:plan";

/// Seconds between guard evaluations in these tests (`[guard] interval_seconds`).
pub const INTERVAL: &str = "0.2";

/// How long an asynchronous effect may take on a loaded machine: a few intervals and
/// flushes are well under a second; the rest is CI noise.
pub const DEADLINE: Duration = Duration::from_secs(15);

pub fn target_app() -> TargetApp {
    TargetApp::new(APP)
        .env(PROD, "{ pilot_testing = false }")
        .env(SANDBOX, "{ approval = \"auto\", pilot_testing = false }")
}

/// A gateway on `store` evaluating guards every [`INTERVAL`].
pub fn gateway_on(store: StoreSpec) -> Gateway {
    let guard = format!("[guard]\ninterval_seconds = {INTERVAL}\n");
    Gateway::start(
        Options::default()
            .app(target_app())
            .store(store)
            .extra_toml(&guard),
    )
}

/// A gateway on an embedded store evaluating guards every [`INTERVAL`].
pub fn gateway() -> Gateway {
    gateway_on(StoreSpec::Embedded)
}

/// `version` of [`MP`] in `env`, created by the developer: `new_version_created`.
pub fn created<'g>(gw: &'g Gateway, env: &str, version: &str) -> Release<'g> {
    upload(gw, MP, version);
    let body = release_body(MP, version, APP, env);
    let reply = gw.post(Who::Developer, "/v1/admin/releases", &body);
    Release::of(gw, &reply.expect(201))
}

/// `version` of [`MP`] in production, applied and approved: `release_preparation`.
pub fn prepared<'g>(gw: &'g Gateway, version: &str) -> Release<'g> {
    let r = created(gw, PROD, version);
    status_is(r.act(Who::Developer, "apply"), "under_review");
    status_is(r.act(Who::Reviewer, "approve"), "release_preparation");
    r
}

/// Version 1.0.0 in `full_release` on production: the control arm's release.
pub fn full_v1(gw: &Gateway) -> Release<'_> {
    let r = prepared(gw, "1.0.0");
    status_is(
        r.act_with(Who::Admin, "go_live", &json!({"type": "full"})),
        "full_release",
    );
    r
}

/// A guard body.
pub fn guard(max_increase: f64, min_samples: u64, on_regression: &str) -> Value {
    json!({"max_error_rate_increase": max_increase, "min_samples": min_samples,
        "confidence": 0.95, "on_regression": on_regression})
}

/// A plan body of grayscale steps `(percentage, hold)` and a last full step.
pub fn plan_to_full(steps: &[(f64, &str)]) -> Value {
    let mut list: Vec<Value> = steps
        .iter()
        .map(|(p, hold)| json!({"percentage": p, "hold": hold}))
        .collect();
    list.push(json!({"full": true}));
    json!({"steps": list})
}

/// Asserts a 200 answer showing the release in `status`; returns the release.
#[track_caller]
pub fn status_is(reply: Reply, status: &str) -> Value {
    let reply = reply.expect(200);
    assert_eq!(
        reply.body["status"], status,
        "{}: {}",
        reply.what, reply.text
    );
    reply.body
}

/// Reports `(release, channel, outcome, count)` in one request, in this order (events
/// of at most 1,000 each); asserts that every event was accepted.
///
/// The gateway counts event by event, so an evaluation may see any prefix: scenarios
/// put the event that completes their figures last.
#[track_caller]
pub fn report(gw: &Gateway, events: &[(u64, &str, &str, u64)]) {
    let mut body = Vec::new();
    for &(release, channel, outcome, mut n) in events {
        while n > 0 {
            let count = n.min(1000);
            body.push(json!({"mini_program": MP, "release_id": release,
                "channel": channel, "outcome": outcome, "count": count}));
            n -= count;
        }
    }
    let expected = json!({"accepted": body.len(), "dropped": 0});
    let body = json!({"app": APP, "env": PROD, "events": body});
    let reply = gw
        .client("POST", "/v1/report")
        .json(&body)
        .send()
        .expect(202);
    assert_eq!(reply.body, expected, "{}", reply.text);
}

/// The guard calls of SPEC §9 on a release, and waiting for what they cause.
impl Release<'_> {
    /// `PUT …/guard` as the admin.
    pub fn put_guard(&self, body: &Value) -> Reply {
        self.gw.put(Who::Admin, &self.path("/guard"), body)
    }

    /// `DELETE …/guard` as the admin.
    pub fn delete_guard(&self) -> Reply {
        self.gw
            .admin("DELETE", &self.path("/guard"))
            .by(Who::Admin)
            .send()
    }

    /// `GET …/health` as the viewer.
    pub fn health(&self) -> Reply {
        self.gw.get(Who::Viewer, &self.path("/health"))
    }

    /// `PUT …/plan` and `go_live {"type":"plan"}` as the admin.
    pub fn start_plan(&self, plan: &Value) -> Value {
        self.gw
            .put(Who::Admin, &self.path("/plan"), plan)
            .expect(200);
        let started = self.act_with(Who::Admin, "go_live", &json!({"type": "plan"}));
        status_is(started, "grayscale_release")
    }

    /// Waits until `probe` holds for the release's representation; returns it.
    #[track_caller]
    pub fn wait_until(&self, what: &str, probe: impl Fn(&Value) -> bool) -> Value {
        let what = format!("release {}: {what}", self.id);
        poll(&what, || Some(self.get()).filter(|r| probe(r)))
    }

    /// The history entries by `actor`.
    pub fn entries_by(&self, actor: &str) -> Vec<Value> {
        let all = self.history();
        all.into_iter().filter(|h| h["actor"] == actor).collect()
    }
}

/// Asserts `arm` (`{"ok","error","error_rate"}` of health or of history details) holds
/// `ok` and `error` reports.
#[track_caller]
pub fn assert_arm(arm: &Value, ok: u64, error: u64) {
    assert_eq!(
        (arm["ok"].as_u64(), arm["error"].as_u64()),
        (Some(ok), Some(error)),
        "{arm}"
    );
    let rate = arm["error_rate"].as_f64().unwrap_or(-1.0);
    let expected = error as f64 / (ok + error) as f64;
    assert!(
        (rate - expected).abs() < 1e-9,
        "error_rate {rate}, expected {expected}: {arm}"
    );
}

/// The value of the Prometheus sample `series` (`name{labels}` exactly as exposed) in
/// `GET /metrics`, 0 when absent.
pub fn metric(gw: &Gateway, series: &str) -> f64 {
    let reply = gw.admin("GET", "/metrics").send().expect(200);
    let value = reply.text.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    });
    value.unwrap_or(0.0)
}

/// `graygate_guard_decisions_total{decision}`.
pub fn decisions(gw: &Gateway, decision: &str) -> f64 {
    metric(
        gw,
        &format!("graygate_guard_decisions_total{{decision=\"{decision}\"}}"),
    )
}

/// Waits until the gateway has counted `more` evaluations reaching `decision` beyond
/// `since`: proof that the evaluator kept looking.
#[track_caller]
pub fn wait_for_evaluations(gw: &Gateway, decision: &str, since: f64, more: f64) -> f64 {
    let what = format!("{more} more {decision} evaluations after {since}");
    poll(&what, || {
        let now = decisions(gw, decision);
        (now >= since + more).then_some(now)
    })
}

/// Polls `probe` every 20 ms (the machine is shared; a tighter loop only slows the
/// gateway) until it returns `Some`, or panics naming `what` after [`DEADLINE`].
#[track_caller]
pub fn poll<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{what}: not within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `(version, channel)` that `user` resolves [`MP`] to on production.
#[track_caller]
pub fn resolved(gw: &Gateway, user: &str) -> (String, String) {
    let reply = gw.resolve(APP, PROD, MP, user).expect(200);
    let field = |k: &str| reply.body[k].as_str().unwrap_or_default().to_string();
    (field("version"), field("channel"))
}

/// Those of `n` users who resolve `version` on the grayscale channel.
pub fn grayscale_users(gw: &Gateway, n: usize, version: &str) -> Vec<String> {
    crate::common::users("user", n)
        .into_iter()
        .filter(|u| resolved(gw, u) == (version.to_string(), "grayscale".to_string()))
        .collect()
}
