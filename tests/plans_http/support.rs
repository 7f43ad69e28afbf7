//! Vocabulary of the plan scenarios: the target app, releases taken to
//! `release_preparation`, plan bodies, the plan calls on the harness's [`Release`]
//! handle, reading the steps out of history, and Prometheus samples.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Gateway, Options, Reply, TargetApp, Who, eventually, rfc3339_nanos};
pub use crate::common::{Release, release_body, upload};

/// Production without pilot testing (apply → under_review → approve →
/// release_preparation) and a sandbox with automatic approval.
pub const APP: &str = "superapp-p";
pub const PROD: &str = "production";
pub const SANDBOX: &str = "sandbox";
pub const MP: &str = "mp-coupons";

/// The actor of automatic steps.
pub const SYSTEM_PLAN: &str = "system:plan";

/// SPEC §8 promises a step within 1 s of falling due; CI noise gets two more.
pub const SLACK: Duration = Duration::from_secs(3);

/// A nanosecond, as API times compare.
pub const SECOND_NANOS: i128 = 1_000_000_000;

/// The target app every scenario's gateway serves.
pub fn target_app() -> TargetApp {
    TargetApp::new(APP)
        .env(PROD, "{ pilot_testing = false }")
        .env(SANDBOX, "{ approval = \"auto\", pilot_testing = false }")
}

/// A gateway with [`target_app`] on an embedded store.
pub fn gateway() -> Gateway {
    Gateway::start(Options::default().app(target_app()))
}

/// Uploads `version` of `mp` and creates its release for (APP, env) as the developer.
pub fn new_release<'g>(gw: &'g Gateway, mp: &str, env: &str, version: &str) -> Release<'g> {
    upload(gw, mp, version);
    let reply = gw
        .post(
            Who::Developer,
            "/v1/admin/releases",
            &release_body(mp, version, APP, env),
        )
        .expect(201);
    Release::of(gw, &reply)
}

/// A release of `version` of `mp` in production, applied and approved: in
/// `release_preparation`.
pub fn prepared<'g>(gw: &'g Gateway, mp: &str, version: &str) -> Release<'g> {
    let r = new_release(gw, mp, PROD, version);
    status_is(r.act(Who::Developer, "apply"), "under_review");
    status_is(r.act(Who::Reviewer, "approve"), "release_preparation");
    r
}

/// A plan body of grayscale steps `(percentage, hold)`, with a last full step if `full`.
pub fn plan_of(steps: &[(f64, &str)], full: bool) -> Value {
    let mut list: Vec<Value> = steps
        .iter()
        .map(|(p, hold)| json!({ "percentage": p, "hold": hold }))
        .collect();
    if full {
        list.push(json!({ "full": true }));
    }
    json!({ "steps": list })
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

/// Asserts a 409 refusal with `code`, carrying the release's `status` and a list of
/// `allowed_actions`; returns the reply.
#[track_caller]
pub fn refused(reply: Reply, code: &str, status: &str) -> Reply {
    let reply = reply.expect_error(409, code);
    assert_eq!(
        reply.body["error"]["status"], status,
        "{}: status in {}",
        reply.what, reply.text
    );
    assert!(
        reply.body["error"]["allowed_actions"].is_array(),
        "{}: no allowed_actions in {}",
        reply.what,
        reply.text
    );
    reply
}

/// The names in a release's (or a refusal's) `allowed_actions`.
pub fn allowed(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The plan calls of SPEC §8 on a release.
impl Release<'_> {
    /// `PUT …/plan` as `who`.
    pub fn put_plan(&self, who: Who, plan: &Value) -> Reply {
        self.gw.put(who, &self.path("/plan"), plan)
    }

    /// `DELETE …/plan` as `who`.
    pub fn delete_plan(&self, who: Who) -> Reply {
        self.gw.admin("DELETE", &self.path("/plan")).by(who).send()
    }

    /// `go_live {"type":"plan"}` as the admin.
    pub fn start_plan(&self) -> Reply {
        self.act_with(Who::Admin, "go_live", &json!({ "type": "plan" }))
    }

    pub fn go_live_grayscale(&self, percentage: f64) -> Reply {
        let body = json!({ "type": "grayscale", "percentage": percentage });
        self.act_with(Who::Admin, "go_live", &body)
    }

    /// Waits until the release is in `status`; returns it.
    #[track_caller]
    pub fn wait_for_status(&self, status: &str, deadline: Duration) -> Value {
        let what = format!("release {} in {status}", self.id);
        eventually(&what, deadline, || {
            let r = self.get();
            (r["status"] == status).then_some(r)
        })
        .0
    }

    /// Waits until the plan's `step` is `step`; returns the release.
    #[track_caller]
    pub fn wait_for_step(&self, step: usize, deadline: Duration) -> Value {
        let what = format!("release {} at plan step {step}", self.id);
        eventually(&what, deadline, || {
            let r = self.get();
            (r["plan"]["step"] == json!(step)).then_some(r)
        })
        .0
    }

    /// The `go_live` entries of the release's history.
    pub fn go_lives(&self) -> Vec<GoLive> {
        self.history()
            .iter()
            .filter(|h| h["action"] == "go_live")
            .map(GoLive::of)
            .collect()
    }
}

/// One `go_live` entry of a release's history.
#[derive(Debug, Clone)]
pub struct GoLive {
    pub actor: String,
    /// `Some(p)` for a grayscale step, `None` for full.
    pub percentage: Option<f64>,
    pub details: Value,
    pub revision: u64,
    /// Nanoseconds since the Unix epoch.
    pub at: i128,
}

impl GoLive {
    #[track_caller]
    pub fn of(h: &Value) -> GoLive {
        let details = h["details"].clone();
        let percentage = match details["type"].as_str() {
            Some("full") => None,
            _ => details["percentage"].as_f64(),
        };
        GoLive {
            actor: h["actor"].as_str().unwrap_or_default().to_string(),
            percentage,
            details,
            revision: h["revision"].as_u64().unwrap_or_default(),
            at: rfc3339_nanos(h["at"].as_str().unwrap_or_default()),
        }
    }

    /// Whether this is an automatic step with the details SPEC §8 names for `expected`
    /// (`Some(p)` grayscale, `None` full).
    pub fn is_automatic(&self, expected: Option<f64>) -> bool {
        let details = match expected {
            Some(p) => self.details["type"] == "grayscale" && self.percentage == Some(p),
            None => self.details == json!({ "type": "full" }),
        };
        self.actor == SYSTEM_PLAN && details
    }
}

/// Asserts that `steps` are one entry each for `expected` (percentages, `None` for
/// full) in order, that the ones from `first_automatic` on are automatic with the
/// right details, and that revisions increase.
#[track_caller]
pub fn assert_each_step_once(steps: &[GoLive], expected: &[Option<f64>], first_automatic: usize) {
    let got: Vec<Option<f64>> = steps.iter().map(|s| s.percentage).collect();
    assert_eq!(got, expected, "one go_live per step: {steps:#?}");
    for (i, step) in steps.iter().enumerate().skip(first_automatic) {
        assert!(
            step.is_automatic(expected[i]),
            "step {i} is not an automatic go_live with the SPEC details: {step:#?}"
        );
    }
    for pair in steps.windows(2) {
        assert!(
            pair[1].revision > pair[0].revision,
            "revisions must increase: {steps:#?}"
        );
    }
}

/// Asserts that `later` came at least `hold` after `earlier` (never before the hold
/// ended) and at most `hold` + [`SLACK`] after it.
#[track_caller]
pub fn held(earlier: i128, later: i128, hold: Duration) {
    let gap = later - earlier;
    let hold = hold.as_nanos() as i128;
    assert!(
        gap >= hold,
        "a step came {gap} ns after the one before, before its hold of {hold} ns ended"
    );
    assert!(
        gap <= hold + SLACK.as_nanos() as i128,
        "a step came {gap} ns after the one before: more than {SLACK:?} after its hold of {hold} ns"
    );
}

/// Nanoseconds of an RFC 3339 time in a JSON value.
#[track_caller]
pub fn nanos(time: &Value) -> i128 {
    rfc3339_nanos(
        time.as_str()
            .unwrap_or_else(|| panic!("not a time: {time}")),
    )
}

/// The value of the Prometheus sample `series` (`name{labels}` exactly as exposed, or a
/// bare name) in `GET /metrics`, or `None` when absent.
pub fn metric(gw: &Gateway, series: &str) -> Option<f64> {
    let reply = gw.admin("GET", "/metrics").send().expect(200);
    reply.text.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    })
}

/// Asserts that `plan` has every key of SPEC §8, with `state` and `step` as given.
#[track_caller]
pub fn assert_plan(plan: &Value, state: &str, step: Option<usize>) {
    let keys = ["steps", "window", "state", "step", "next_step_at", "reason"];
    for key in keys {
        assert!(
            plan.get(key).is_some(),
            "plan without the key {key}: {plan}"
        );
    }
    assert_eq!(plan["state"], state, "plan state in {plan}");
    assert_eq!(plan["step"], json!(step), "plan step in {plan}");
}
