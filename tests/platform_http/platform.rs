//! The platform actions (SPEC §11) as methods of the harness's release handle, and the
//! allowed actions of the statuses they add.

use serde_json::json;

use crate::common::{Gateway, Release, Reply, Who};
use crate::support::{PLAIN_APP, new_release};

pub const OFFLINE_REVIEW: &[&str] = &["withdraw", "approve", "reject"];

impl Release<'_> {
    pub fn take_offline(&self, who: Who, reason: &str) -> Reply {
        self.act_with(who, "take_offline", &json!({ "reason": reason }))
    }

    pub fn rollback(&self, who: Who, reason: &str) -> Reply {
        self.act_with(who, "rollback", &json!({ "reason": reason }))
    }
}

/// A release of `version` in production of [`PLAIN_APP`] taken to `full_release` the way
/// people do it: apply, approve, go live in full.
pub fn full_in_production<'g>(gw: &'g Gateway, version: &str) -> Release<'g> {
    let r = new_release(gw, PLAIN_APP, "production", version);
    r.apply(Who::Developer).expect(200);
    r.approve(Who::Reviewer).expect(200);
    let full = r.go_live_full().expect(200);
    assert_eq!(full.body["status"], "full_release", "{}", full.text);
    r
}

/// A release of `version` in an environment that approves automatically (development,
/// test, or sandbox of [`AUTO_APP`]): `apply` takes it straight to `full_release`.
pub fn full_at_once<'g>(gw: &'g Gateway, app: &str, env: &str, version: &str) -> Release<'g> {
    let r = new_release(gw, app, env, version);
    let applied = r.apply(Who::Developer).expect(200);
    assert_eq!(applied.body["status"], "full_release", "{}", applied.text);
    r
}

/// The version `user` gets of the scenarios' mini program, or the 404 code.
pub fn answer(gw: &Gateway, app: &str, env: &str, user: &str) -> Result<String, String> {
    let reply = gw.resolve(app, env, crate::support::MP, user);
    match reply.status {
        200 => Ok(reply.body["version"]
            .as_str()
            .unwrap_or_default()
            .to_string()),
        404 => Err(reply.error_code().to_string()),
        other => panic!("resolve answered {other}: {}", reply.text),
    }
}
