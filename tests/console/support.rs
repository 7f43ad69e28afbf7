//! Seeded releases for the console tests: a production target without pilot testing,
//! and releases taken through the workflow by the API as the right people.

use serde_json::{Value, json};

use crate::common::{Gateway, Options, Release, TargetApp, Who, create_release, merged};

pub const APP: &str = "superapp-a";
pub const MP: &str = "mp-coupons";

/// A gateway with `superapp-a`: production (manual approval, no pilot) and sandbox.
pub fn gateway() -> Gateway {
    let app = TargetApp::new(APP)
        .env("production", "{ pilot_testing = false }")
        .env("sandbox", "{ approval = \"auto\" }");
    Gateway::start(Options::default().app(app))
}

/// A production release of `version` of [`MP`] created with `extra` merged into the
/// request, still in `new_version_created`.
pub fn created<'g>(gw: &'g Gateway, version: &str, extra: &Value) -> Release<'g> {
    let body = merged(
        json!({"mini_program": MP, "version": version, "app": APP, "env": "production"}),
        extra,
    );
    Release::of(gw, &create_release(gw, &body))
}

/// Applied by the developer and approved by the reviewer: `release_preparation`.
pub fn prepared<'g>(gw: &'g Gateway, version: &str, extra: &Value) -> Release<'g> {
    let release = created(gw, version, extra);
    release.act(Who::Developer, "apply").expect(200);
    release.act(Who::Reviewer, "approve").expect(200);
    release
}

/// Prepared and sent live in full by the admin: `full_release`.
pub fn full<'g>(gw: &'g Gateway, version: &str) -> Release<'g> {
    let release = prepared(gw, version, &json!({}));
    let body = json!({"type": "full"});
    release.act_with(Who::Admin, "go_live", &body).expect(200);
    release
}

/// Resolves [`MP`] in production for `n` users `prefix-0` … and returns the versions.
pub fn resolve_many(gw: &Gateway, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let reply = gw.resolve(APP, "production", MP, &format!("{prefix}-{i}"));
            let reply = reply.expect(200);
            reply.body["version"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}
