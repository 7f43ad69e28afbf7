//! Seeded data through the admin API, the way an operator makes it: versions, release
//! bodies, a [`Release`] handle whose methods are the raw admin calls on one release
//! (every answer comes back as a [`Reply`], refusals included), users, and waiting
//! for something that happens asynchronously ([`eventually`]).
//!
//! Capability-specific vocabulary (the workflow's assertions, resolve's salts, the
//! many-node helpers) builds on these in each test crate's `support` module.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Gateway, Options, Reply, TargetApp, Who, query};

/// The package URL every seeded version gets.
pub fn package_url(mp: &str, version: &str) -> String {
    format!("https://cdn.example.com/{mp}/{version}.zip")
}

/// `POST /v1/admin/mini-programs/{mp}/versions` as the developer, whatever the answer.
pub fn upload_reply(gw: &Gateway, mp: &str, version: &str) -> Reply {
    let body = json!({ "version": version, "package_url": package_url(mp, version) });
    let path = format!("/v1/admin/mini-programs/{mp}/versions");
    gw.post(Who::Developer, &path, &body)
}

/// Uploads `version` of `mp` unless it is already uploaded (versions are shared by the
/// releases of every target): 201, or 409 `version_exists`.
#[track_caller]
pub fn upload(gw: &Gateway, mp: &str, version: &str) -> Reply {
    let reply = upload_reply(gw, mp, version);
    if reply.status == 409 {
        return reply.expect_error(409, "version_exists");
    }
    reply.expect(201)
}

/// A `POST /v1/admin/releases` body.
pub fn release_body(mp: &str, version: &str, app: &str, env: &str) -> Value {
    json!({ "mini_program": mp, "version": version, "app": app, "env": env })
}

/// `base` with the fields of `extra` (an object) added or replaced.
pub fn merged(mut base: Value, extra: &Value) -> Value {
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    base
}

/// Uploads the version and creates the release as the developer; the 201 answer.
#[track_caller]
pub fn create_release(gw: &Gateway, body: &Value) -> Reply {
    let mp = body["mini_program"].as_str().unwrap_or_default();
    upload(gw, mp, body["version"].as_str().unwrap_or_default());
    gw.post(Who::Developer, "/v1/admin/releases", body)
        .expect(201)
}

/// Users `prefix-0` … `prefix-{n-1}`.
pub fn users(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Polls `probe` every millisecond until it returns `Some` or `deadline` passes (then
/// panics naming `what`); returns the value and how long it took.
#[track_caller]
pub fn eventually<T>(
    what: &str,
    deadline: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> (T, Duration) {
    let started = Instant::now();
    loop {
        if let Some(value) = probe() {
            return (value, started.elapsed());
        }
        assert!(
            started.elapsed() < deadline,
            "{what}: not within {deadline:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A release of a gateway; its methods are the admin API calls on it, each answer
/// returned as it came.
#[derive(Clone, Copy)]
pub struct Release<'g> {
    pub gw: &'g Gateway,
    pub id: u64,
}

impl<'g> Release<'g> {
    /// The release a 201 or 200 answer represents.
    #[track_caller]
    pub fn of(gw: &'g Gateway, reply: &Reply) -> Release<'g> {
        let id = reply.body["id"].as_u64();
        let id = id.unwrap_or_else(|| gw.fail(&format!("no release id in {}", reply.text)));
        Release { gw, id }
    }

    pub fn path(&self, suffix: &str) -> String {
        format!("/v1/admin/releases/{}{suffix}", self.id)
    }

    /// The release's representation (read as the viewer).
    pub fn get(&self) -> Value {
        self.gw.get(Who::Viewer, &self.path("")).expect(200).body
    }

    pub fn status(&self) -> String {
        self.get()["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn revision(&self) -> u64 {
        self.get()["revision"].as_u64().unwrap_or_default()
    }

    /// `GET …/history`: the entries, oldest first.
    pub fn history(&self) -> Vec<Value> {
        let reply = self.gw.get(Who::Viewer, &self.path("/history")).expect(200);
        reply.body.as_array().cloned().unwrap_or_else(|| {
            panic!("history is not a list: {}", reply.text);
        })
    }

    /// `POST …/{action}` without a body.
    pub fn act(&self, who: Who, action: &str) -> Reply {
        self.gw
            .admin("POST", &self.path(&format!("/{action}")))
            .by(who)
            .send()
    }

    /// `POST …/{action}` with a JSON body.
    pub fn act_with(&self, who: Who, action: &str, body: &Value) -> Reply {
        self.gw.post(who, &self.path(&format!("/{action}")), body)
    }

    /// `edit_config`: `PUT …/config`.
    pub fn put_config(&self, who: Who, config: &Value) -> Reply {
        self.gw.put(who, &self.path("/config"), config)
    }

    /// `set_test_group`: `PUT …/test-group` in the SPEC body shape.
    pub fn put_test_group(&self, who: Who, users: &[&str]) -> Reply {
        let body = json!({ "test_group": users });
        self.gw.put(who, &self.path("/test-group"), &body)
    }
}

/// `GET /v1/admin/releases` as the viewer.
pub fn releases(gw: &Gateway) -> Value {
    gw.get(Who::Viewer, "/v1/admin/releases").expect(200).body
}

/// Seeded gateways and what they serve.
impl Gateway {
    /// `GET /v1/resolve` on the client listener.
    pub fn resolve(&self, app: &str, env: &str, mini_program: &str, user: &str) -> Reply {
        let query = query(&[
            ("app", app),
            ("env", env),
            ("mini_program", mini_program),
            ("user", user),
        ]);
        self.client("GET", &format!("/v1/resolve?{query}")).send()
    }

    /// A gateway with `superapp-a` (production with pilot testing) and release 1: version
    /// 1.0.0 of `mp-a`, created by a developer with `create_extra` merged into the request.
    pub fn with_release(create_extra: Value) -> Gateway {
        let app = TargetApp::new("superapp-a").env("production", "{ pilot_testing = true }");
        let gw = Gateway::start(Options::default().app(app));
        let version =
            serde_json::json!({"version": "1.0.0", "package_url": "https://cdn.example.com/a.zip"});
        gw.post(
            Who::Developer,
            "/v1/admin/mini-programs/mp-a/versions",
            &version,
        )
        .expect(201);
        let mut create = serde_json::json!({"mini_program": "mp-a", "version": "1.0.0", "app": "superapp-a", "env": "production"});
        if let (Some(c), Some(extra)) = (create.as_object_mut(), create_extra.as_object()) {
            c.extend(extra.clone());
        }
        gw.post(Who::Developer, "/v1/admin/releases", &create)
            .expect(201);
        gw
    }

    /// The global revision the gateway serves, from the client listener's `/readyz`.
    pub fn revision(&self) -> u64 {
        let reply = self.client("GET", "/readyz").send().expect(200);
        reply.body["revision"]
            .as_u64()
            .unwrap_or_else(|| self.fail(&format!("no revision in /readyz: {}", reply.text)))
    }
}
