//! Vocabulary of the targeting scenarios: the target app, the targetings of issue 13,
//! a route with a full release (v1) and a targeted one in grayscale (v2), users chosen
//! by their gr1 bucket, resolves (single and batch) and explains with attributes, and
//! the `PUT …/targeting` call on the harness's [`Release`] handle.

use serde_json::{Value, json};

use crate::common::{Gateway, Options, Reply, TargetApp, Who, create_release, merged, query};
pub use crate::common::{Release, release_body};
use graygate::bucket::bucket;

/// Production with pilot testing, and a sandbox with automatic approval.
pub const APP: &str = "superapp-t";
pub const PROD: &str = "production";
pub const SANDBOX: &str = "sandbox";

/// The mini program targeted by os and app version.
pub const MP: &str = "mp-coupons";
/// The mini program targeted by a case-insensitive os, a region not in a list and an
/// API level.
pub const MP_B: &str = "mp-maps";

pub const V1: &str = "1.0.0";
pub const V2: &str = "2.0.0";

/// The grayscale share of every route: users with a bucket under 500,000.
pub const PERCENT: f64 = 50.0;
pub const THRESHOLD: u32 = 500_000;

/// Client attributes as `(name, value)` pairs.
pub type Attrs<'a> = &'a [(&'a str, &'a str)];

pub fn gateway() -> Gateway {
    let app = TargetApp::new(APP)
        .env(PROD, "{ pilot_testing = true }")
        .env(SANDBOX, "{ approval = \"auto\", pilot_testing = false }");
    Gateway::start(Options::default().app(app))
}

pub fn os_rule() -> Value {
    json!({ "attribute": "os", "op": "in", "values": ["android", "harmonyos"] })
}

pub fn version_rule() -> Value {
    json!({ "attribute": "app_version", "op": "version_gte", "value": "10.2" })
}

pub fn region_rule() -> Value {
    json!({ "attribute": "region", "op": "in", "values": ["cn"] })
}

/// Issue 13's example: `os in [android, harmonyos]` and `app_version version_gte 10.2`.
pub fn os_and_version() -> Value {
    json!({ "rules": [os_rule(), version_rule()] })
}

/// [`MP_B`]'s targeting: a case-insensitive `in`, a `not_in` and a `num_gte`.
pub fn folded_region_level() -> Value {
    json!({ "rules": [
        { "attribute": "os", "op": "in", "values": ["Android"], "case_insensitive": true },
        { "attribute": "region", "op": "not_in", "values": ["eu"] },
        { "attribute": "api_level", "op": "num_gte", "value": 30 },
    ] })
}

/// Uploads `version` of `mp` and creates its production release as the developer,
/// with `extra` (`targeting`, `test_group`) merged into the body.
pub fn create<'g>(gw: &'g Gateway, mp: &str, version: &str, extra: Value) -> Release<'g> {
    let body = merged(release_body(mp, version, APP, PROD), &extra);
    Release::of(gw, &create_release(gw, &body))
}

/// A full release of `version` of `mp` in production.
pub fn full<'g>(gw: &'g Gateway, mp: &str, version: &str) -> Release<'g> {
    let r = create(gw, mp, version, json!({}));
    r.take_to_going_live();
    r.accepted(Who::Admin, "go_live", json!({ "type": "full" }));
    r
}

/// A route of `mp`: [`V1`] in full release and [`V2`] carrying `targeting` in
/// grayscale at [`PERCENT`]; returns v2.
pub fn route<'g>(gw: &'g Gateway, mp: &str, targeting: Value) -> Release<'g> {
    full(gw, mp, V1);
    let r = create(gw, mp, V2, json!({ "targeting": targeting }));
    r.take_to_going_live();
    r.go_live_grayscale(PERCENT);
    r
}

/// The first `n` of `user-0`, `user-1`, … whose bucket in `salt` is under (`inside`)
/// or not under the threshold.
pub fn users_where(salt: &str, inside: bool, n: usize) -> Vec<String> {
    let all = (0..).map(|i| format!("user-{i}"));
    let picked: Vec<String> = all
        .filter(|u| (bucket(salt, u) < THRESHOLD) == inside)
        .take(n)
        .collect();
    picked
}

impl Release<'_> {
    pub fn salt(&self) -> String {
        self.get()["salt"].as_str().unwrap_or_default().to_string()
    }

    /// `n` users in the grayscale share of this release (when targeted).
    pub fn inside(&self, n: usize) -> Vec<String> {
        users_where(&self.salt(), true, n)
    }

    /// `n` users above the grayscale share of this release.
    pub fn outside(&self, n: usize) -> Vec<String> {
        users_where(&self.salt(), false, n)
    }

    /// `POST …/{action}` as `who` with `body`; must be accepted. The release.
    #[track_caller]
    pub fn accepted(&self, who: Who, action: &str, body: Value) -> Value {
        self.act_with(who, action, &body).expect(200).body
    }

    /// From `new_version_created` to going live (`release_preparation`, or grayscale at
    /// 0 % after pilot testing), approved by the reviewer.
    #[track_caller]
    pub fn take_to_going_live(&self) {
        loop {
            let (who, action) = match self.status().as_str() {
                "new_version_created" => (Who::Developer, "apply"),
                "under_review" => (Who::Reviewer, "approve"),
                "pilot_testing" => (Who::Admin, "complete_testing"),
                "release_preparation" | "grayscale_release" => return,
                other => panic!("release {} cannot be prepared from {other}", self.id),
            };
            self.act(who, action).expect(200);
        }
    }

    pub fn go_live_grayscale(&self, percentage: f64) -> Value {
        let body = json!({ "type": "grayscale", "percentage": percentage });
        self.accepted(Who::Admin, "go_live", body)
    }

    /// `PUT …/targeting` as `who`.
    pub fn put_targeting(&self, who: Who, body: &Value) -> Reply {
        self.gw.put(who, &self.path("/targeting"), body)
    }

    /// The `set_targeting` entries of the release's history.
    pub fn targeting_history(&self) -> Vec<Value> {
        let all = self.history().into_iter();
        all.filter(|h| h["action"] == "set_targeting").collect()
    }
}

/// `app=…&env=…&mini_program=…&user=…` followed by `attr.<name>=value` per attribute.
pub fn resolve_query(mp: &str, user: &str, attrs: Attrs<'_>) -> String {
    let mut pairs = vec![
        ("app".to_string(), APP),
        ("env".to_string(), PROD),
        ("mini_program".to_string(), mp),
        ("user".to_string(), user),
    ];
    pairs.extend(attrs.iter().map(|(n, v)| (format!("attr.{n}"), *v)));
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    query(&refs)
}

/// `GET /v1/resolve` with `raw` appended to the query as is (for malformed input).
pub fn resolve_raw(gw: &Gateway, mp: &str, user: &str, raw: &str) -> Reply {
    let q = resolve_query(mp, user, &[]);
    gw.client("GET", &format!("/v1/resolve?{q}&{raw}")).send()
}

/// What `user` with `attrs` gets from `GET /v1/resolve`: (version, channel).
#[track_caller]
pub fn single(gw: &Gateway, mp: &str, user: &str, attrs: Attrs<'_>) -> (String, String) {
    let q = resolve_query(mp, user, attrs);
    let reply = gw.client("GET", &format!("/v1/resolve?{q}")).send();
    let reply = reply.expect(200);
    let b = &reply.body;
    let text = |k: &str| b[k].as_str().unwrap_or_default().to_string();
    (text("version"), text("channel"))
}

/// Asserts that `user` with `attrs` gets `version` of `mp`, on channel grayscale for
/// [`V2`] and full for [`V1`].
#[track_caller]
pub fn gets(gw: &Gateway, mp: &str, user: &str, attrs: Attrs<'_>, version: &str) {
    let channel = if version == V1 { "full" } else { "grayscale" };
    let want = (version.to_string(), channel.to_string());
    assert_eq!(
        single(gw, mp, user, attrs),
        want,
        "{mp} for {user} {attrs:?}"
    );
}

/// `POST /v1/resolve` for `user` with `body_extra` (`attributes`, `mini_programs`).
pub fn batch(gw: &Gateway, user: &str, body_extra: &Value) -> Reply {
    let body = merged(json!({ "app": APP, "env": PROD, "user": user }), body_extra);
    gw.client("POST", "/v1/resolve").json(&body).send()
}

/// `POST /v1/resolve` with a raw body.
pub fn batch_raw(gw: &Gateway, body: &str) -> Reply {
    let call = gw.client("POST", "/v1/resolve");
    call.header("content-type", "application/json")
        .body(body.to_string())
        .send()
}

/// `GET /v1/admin/explain` as the viewer with `attrs`.
#[track_caller]
pub fn explain(gw: &Gateway, mp: &str, user: &str, attrs: Attrs<'_>) -> Value {
    let q = resolve_query(mp, user, attrs);
    let reply = gw.get(Who::Viewer, &format!("/v1/admin/explain?{q}"));
    reply.expect(200).body
}

/// Asserts a 400 with `code` whose message contains `needle`; returns the message.
#[track_caller]
pub fn refused_400(reply: Reply, code: &str, needle: &str) -> String {
    let what = reply.what.clone();
    let reply = reply.expect_error(400, code);
    let message = reply.body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "{what}: the message should name {needle:?}: {}",
        reply.text
    );
    message.to_string()
}
