//! Vocabulary of the many-node scenarios: gateway nodes on one Redis namespace, the
//! target app they serve, releases driven through the admin API, waiting until the
//! nodes are in step with Redis, and firing two requests at the same instant.

use std::sync::Barrier;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Gateway, Namespace, Options, Release, Reply, StoreSpec, TargetApp, Who};
pub use crate::common::{eventually, releases, users};

/// Production without pilot testing (apply → under_review → approve →
/// release_preparation → go_live) and development (apply → full_release at once).
pub const APP: &str = "superapp-r";
pub const PROD: &str = "production";
pub const DEV: &str = "development";
pub const MP: &str = "mp-coupons";

/// How long a change may take to reach another node, or a node to notice an outage.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// A gateway node on `ns` with the target app above, checking the store's revision
/// every `revision_check_seconds`.
pub fn node(ns: &Namespace, revision_check_seconds: f64) -> Gateway {
    let app = TargetApp::new(APP)
        .env(PROD, "{ pilot_testing = false }")
        .env(DEV, "{}");
    let store = StoreSpec::Section(ns.store_section(revision_check_seconds));
    Gateway::start(Options::default().app(app).store(store))
}

/// Uploads `version` of [`MP`] through `gw`, whatever the answer.
pub fn upload_reply(gw: &Gateway, version: &str) -> Reply {
    crate::common::upload_reply(gw, MP, version)
}

/// Uploads `version` of [`MP`] through `gw`.
pub fn upload(gw: &Gateway, version: &str) {
    upload_reply(gw, version).expect(201);
}

/// The `POST /v1/admin/releases` body of `version` of [`MP`] for (APP, env).
pub fn release_body(env: &str, version: &str) -> Value {
    crate::common::release_body(MP, version, APP, env)
}

/// Uploads `version` and creates its release for (APP, env) through `gw`; its id.
pub fn new_release(gw: &Gateway, env: &str, version: &str) -> u64 {
    upload(gw, version);
    let reply = gw
        .post(
            Who::Developer,
            "/v1/admin/releases",
            &release_body(env, version),
        )
        .expect(201);
    reply.body["id"].as_u64().expect("numeric release id")
}

/// `POST /v1/admin/releases/{id}/{action}` as `who`, with an optional JSON body and
/// `If-Match` revision.
pub fn act(
    gw: &Gateway,
    who: Who,
    id: u64,
    action: &str,
    body: Option<&Value>,
    if_match: Option<u64>,
) -> Reply {
    let path = Release { gw, id }.path(&format!("/{action}"));
    let mut call = gw.admin("POST", &path).by(who);
    if let Some(revision) = if_match {
        call = call.if_match(revision);
    }
    match body {
        Some(body) => call.json(body).send(),
        None => call.send(),
    }
}

/// Asserts a 200 answer that put the release in `status`; returns the release.
#[track_caller]
pub fn moved_to(reply: Reply, status: &str) -> Value {
    let reply = reply.expect(200);
    assert_eq!(
        reply.body["status"], status,
        "{}: {}",
        reply.what, reply.text
    );
    reply.body
}

/// Creates and applies `version` in development through `gw`: it is fully released.
pub fn release_to_development(gw: &Gateway, version: &str) -> u64 {
    let id = new_release(gw, DEV, version);
    moved_to(
        act(gw, Who::Developer, id, "apply", None, None),
        "full_release",
    );
    id
}

/// Creates, applies and approves `version` in production through `gw`.
pub fn to_release_preparation(gw: &Gateway, version: &str) -> u64 {
    let id = new_release(gw, PROD, version);
    moved_to(
        act(gw, Who::Developer, id, "apply", None, None),
        "under_review",
    );
    let approved = act(gw, Who::Reviewer, id, "approve", None, None);
    moved_to(approved, "release_preparation");
    id
}

/// `go_live` to a grayscale `percentage` as the admin, with an optional `If-Match`.
pub fn go_live(gw: &Gateway, id: u64, percentage: f64, if_match: Option<u64>) -> Reply {
    let body = json!({ "type": "grayscale", "percentage": percentage });
    act(gw, Who::Admin, id, "go_live", Some(&body), if_match)
}

/// A release as `gw` shows it.
pub fn release(gw: &Gateway, id: u64) -> Value {
    Release { gw, id }.get()
}

/// A release's history as `gw` shows it.
pub fn history(gw: &Gateway, id: u64) -> Vec<Value> {
    Release { gw, id }.history()
}

/// The version `gw` serves `user` of [`MP`] in (APP, env), `None` on 404 `not_released`.
#[track_caller]
pub fn served(gw: &Gateway, env: &str, user: &str) -> Option<String> {
    let reply = gw.resolve(APP, env, MP, user);
    match reply.status {
        200 => reply.body["version"].as_str().map(str::to_string),
        _ => {
            reply.expect_error(404, "not_released");
            None
        }
    }
}

/// What `gw` answers each user in production and development: (status, body).
pub fn answers(gw: &Gateway, users: &[String]) -> Vec<(u16, Value)> {
    let mut out = Vec::new();
    for env in [PROD, DEV] {
        for user in users {
            let reply = gw.resolve(APP, env, MP, user);
            out.push((reply.status, reply.body));
        }
    }
    out
}

/// Waits until every node serves the revision Redis holds; returns how long it took.
#[track_caller]
pub fn in_step(ns: &Namespace, nodes: &[&Gateway]) -> Duration {
    let target = ns.revision();
    let what = format!("every node at revision {target}");
    let ((), took) = eventually(&what, DEADLINE, || {
        nodes.iter().all(|n| n.revision() == target).then_some(())
    });
    took
}

/// Waits until the nodes are in step, then asserts they list the same releases.
#[track_caller]
pub fn converged(ns: &Namespace, nodes: &[&Gateway]) -> Duration {
    let took = in_step(ns, nodes);
    let first = releases(nodes[0]);
    for (i, node) in nodes.iter().enumerate().skip(1) {
        assert_eq!(
            releases(node),
            first,
            "node {i} lists other releases than node 0"
        );
    }
    took
}

/// Runs `a` and `b` on two threads released by one barrier, so both requests are in
/// flight at the same time; returns both results.
pub fn at_once<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let a = s.spawn(|| {
            barrier.wait();
            a()
        });
        let b = s.spawn(|| {
            barrier.wait();
            b()
        });
        (
            a.join().expect("first request panicked"),
            b.join().expect("second request panicked"),
        )
    })
}

/// p50, p95, p99 and max of `samples`, in milliseconds, for the test's output.
pub fn summary(samples: &[Duration]) -> String {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    format!(
        "n={} p50={:.2}ms p95={:.2}ms p99={:.2}ms max={:.2}ms",
        ms.len(),
        at(0.50),
        at(0.95),
        at(0.99),
        ms[ms.len() - 1]
    )
}
