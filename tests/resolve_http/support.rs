//! Setup vocabulary of the resolution scenarios: the target apps every gateway starts
//! with, and a [`Release`] (the harness's handle plus the salt the release was created
//! with) whose methods are the admin calls that move a release to where a scenario
//! needs it. The workflow itself is `workflow_http`'s subject; here each call only has
//! to succeed.

use std::ops::Deref;

use serde_json::{Value, json};

use crate::common::{Gateway, Options, TargetApp, Who, create_release, merged, release_body};
pub use crate::common::{package_url, upload, users};

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

/// A release of the gateway, with the salt it was created with.
#[derive(Clone)]
pub struct Release<'g> {
    release: crate::common::Release<'g>,
    pub salt: String,
}

/// The harness's calls (`id`, `get`, `status`, `path`, …) work on this handle too.
impl<'g> Deref for Release<'g> {
    type Target = crate::common::Release<'g>;

    fn deref(&self) -> &Self::Target {
        &self.release
    }
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
    let reply = create_release(gw, &merged(release_body(mp, version, app, env), &extra));
    let salt = reply.body["salt"].as_str().unwrap_or_default().to_string();
    assert_eq!(salt.len(), 16, "a release carries its salt: {}", reply.text);
    Release {
        release: crate::common::Release::of(gw, &reply),
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
    /// `POST …/{action}` as `who` with an optional body; must be accepted. Returns the
    /// release as the answer represents it.
    #[track_caller]
    pub fn accepted(&self, who: Who, action: &str, body: Option<Value>) -> Value {
        let reply = match body {
            Some(body) => self.act_with(who, action, &body),
            None => self.act(who, action),
        };
        reply.expect(200).body
    }

    pub fn apply(&self) -> Value {
        self.accepted(Who::Developer, "apply", None)
    }

    pub fn approve(&self) -> Value {
        self.accepted(Who::Reviewer, "approve", None)
    }

    pub fn complete_testing(&self) -> Value {
        self.accepted(Who::Admin, "complete_testing", None)
    }

    pub fn go_live_grayscale(&self, percentage: f64) -> Value {
        let body = json!({ "type": "grayscale", "percentage": percentage });
        self.accepted(Who::Admin, "go_live", Some(body))
    }

    pub fn go_live_full(&self) -> Value {
        self.accepted(Who::Admin, "go_live", Some(json!({ "type": "full" })))
    }

    pub fn cancel(&self) -> Value {
        self.accepted(Who::Admin, "cancel", None)
    }

    /// `set_test_group`: `PUT …/test-group`.
    pub fn set_test_group(&self, group: &[&str]) -> Value {
        self.put_test_group(Who::Developer, group).expect(200).body
    }

    /// `edit_config`: `PUT …/config`.
    pub fn edit_config(&self, config: &Value) -> Value {
        self.put_config(Who::Developer, config).expect(200).body
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

/// The gr1 threshold of a percentage: parts per million.
pub fn threshold(percentage: f64) -> u32 {
    (percentage * 10_000.0).round() as u32
}
