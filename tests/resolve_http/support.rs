//! Setup vocabulary of the resolution scenarios: the target apps every gateway starts
//! with, and a [`Release`] handle whose methods are the admin calls that move a release
//! to where a scenario needs it. The workflow itself is `workflow_http`'s subject; here
//! each call only has to succeed.

use serde_json::{Value, json};

use crate::common::{Gateway, Options, Reply, TargetApp, Who};

/// Production with pilot testing, sandbox and development.
pub const APP: &str = "superapp-a";
/// Production without pilot testing.
pub const OTHER_APP: &str = "superapp-b";
pub const PROD: &str = "production";
pub const DEV: &str = "development";

/// The mini program most scenarios release.
pub const MP: &str = "mp-coupons";

/// A gateway with [`APP`] and [`OTHER_APP`].
pub fn gateway() -> Gateway {
    Gateway::start(options())
}

/// The options of [`gateway`], for scenarios that add settings.
pub fn options() -> Options {
    Options::default()
        .app(
            TargetApp::new(APP)
                .env(PROD, "{ pilot_testing = true }")
                .env("sandbox", "{ approval = \"auto\", pilot_testing = false }")
                .env(DEV, "{}"),
        )
        .app(TargetApp::new(OTHER_APP).env(PROD, "{ pilot_testing = false }"))
}

pub fn package_url(mp: &str, version: &str) -> String {
    format!("https://cdn.example.com/{mp}/{version}.zip")
}

/// Uploads `version` of `mp` unless it is already uploaded.
pub fn upload(gw: &Gateway, mp: &str, version: &str) -> Reply {
    let body = json!({ "version": version, "package_url": package_url(mp, version) });
    let reply = gw.post(
        Who::Developer,
        &format!("/v1/admin/mini-programs/{mp}/versions"),
        &body,
    );
    if reply.status == 409 {
        return reply.expect_error(409, "version_exists");
    }
    reply.expect(201)
}

/// A release of the gateway, with the salt it was created with.
#[derive(Clone)]
pub struct Release<'g> {
    pub gw: &'g Gateway,
    pub id: u64,
    pub salt: String,
}

/// Uploads `version` of `mp` and creates its release for (app, env); `extra` fields
/// (`config`, `test_group`) are merged into the body.
pub fn create<'g>(
    gw: &'g Gateway,
    mp: &str,
    version: &str,
    (app, env): (&str, &str),
    extra: Value,
) -> Release<'g> {
    upload(gw, mp, version);
    let mut body = json!({ "mini_program": mp, "version": version, "app": app, "env": env });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let reply = gw
        .post(Who::Developer, "/v1/admin/releases", &body)
        .expect(201);
    let salt = reply.body["salt"].as_str().unwrap_or_default().to_string();
    assert_eq!(salt.len(), 16, "a release carries its salt: {}", reply.text);
    Release {
        gw,
        id: reply.body["id"].as_u64().expect("numeric release id"),
        salt,
    }
}

/// A release of `mp` `version` taken all the way to `full_release` in (app, env).
pub fn released_full<'g>(
    gw: &'g Gateway,
    mp: &str,
    version: &str,
    target: (&str, &str),
) -> Release<'g> {
    let r = create(gw, mp, version, target, json!({}));
    r.apply();
    r.go_to_full();
    r
}

/// A release of `mp` `version` in `pilot_testing` in production of [`APP`] with `group`.
pub fn in_pilot_testing<'g>(
    gw: &'g Gateway,
    mp: &str,
    version: &str,
    group: &[&str],
) -> Release<'g> {
    let r = create(gw, mp, version, (APP, PROD), json!({ "test_group": group }));
    r.apply();
    assert_eq!(r.approve()["status"], "pilot_testing");
    r
}

impl Release<'_> {
    pub fn path(&self, suffix: &str) -> String {
        format!("/v1/admin/releases/{}{suffix}", self.id)
    }

    /// The release's representation.
    pub fn get(&self) -> Value {
        self.gw.get(Who::Viewer, &self.path("")).expect(200).body
    }

    pub fn status(&self) -> String {
        self.get()["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// `POST …/{action}` as `who` with an optional body; must be accepted. Returns the
    /// release as the answer represents it.
    #[track_caller]
    pub fn act(&self, who: Who, action: &str, body: Option<Value>) -> Value {
        let path = self.path(&format!("/{action}"));
        let reply = match body {
            Some(body) => self.gw.post(who, &path, &body),
            None => self.gw.admin("POST", &path).by(who).send(),
        };
        reply.expect(200).body
    }

    pub fn apply(&self) -> Value {
        self.act(Who::Developer, "apply", None)
    }

    pub fn approve(&self) -> Value {
        self.act(Who::Reviewer, "approve", None)
    }

    pub fn complete_testing(&self) -> Value {
        self.act(Who::Admin, "complete_testing", None)
    }

    pub fn go_live_grayscale(&self, percentage: f64) -> Value {
        let body = json!({ "type": "grayscale", "percentage": percentage });
        self.act(Who::Admin, "go_live", Some(body))
    }

    pub fn go_live_full(&self) -> Value {
        self.act(Who::Admin, "go_live", Some(json!({ "type": "full" })))
    }

    pub fn cancel(&self) -> Value {
        self.act(Who::Admin, "cancel", None)
    }

    /// `set_test_group`: `PUT …/test-group`.
    pub fn set_test_group(&self, group: &[&str]) -> Value {
        let body = json!({ "test_group": group });
        let path = self.path("/test-group");
        self.gw.put(Who::Developer, &path, &body).expect(200).body
    }

    /// `edit_config`: `PUT …/config`.
    pub fn edit_config(&self, config: &Value) -> Value {
        let path = self.path("/config");
        self.gw.put(Who::Developer, &path, config).expect(200).body
    }

    /// From wherever the workflow put the release after `apply` to `full_release`, by
    /// the shortest path its target allows.
    #[track_caller]
    pub fn go_to_full(&self) -> Value {
        loop {
            let status = self.status();
            match status.as_str() {
                "under_review" => self.approve(),
                "pilot_testing" => self.complete_testing(),
                "release_preparation" | "grayscale_release" => self.go_live_full(),
                "full_release" => return self.get(),
                other => panic!("release {} cannot go to full from {other}", self.id),
            };
        }
    }

    /// From wherever it is (created, or already in grayscale) to `grayscale_release` at
    /// `percentage` in production.
    #[track_caller]
    pub fn to_grayscale(&self, percentage: f64) -> Value {
        loop {
            match self.status().as_str() {
                "new_version_created" => self.apply(),
                "under_review" => self.approve(),
                "pilot_testing" => self.complete_testing(),
                "release_preparation" | "grayscale_release" => break,
                other => panic!("release {} cannot go to grayscale from {other}", self.id),
            };
        }
        self.go_live_grayscale(percentage)
    }
}

/// Users `prefix-0` … `prefix-{n-1}`.
pub fn users(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// The gr1 threshold of a percentage: parts per million.
pub fn threshold(percentage: f64) -> u32 {
    (percentage * 10_000.0).round() as u32
}
