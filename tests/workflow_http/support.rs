//! Vocabulary of the workflow scenarios: the target apps every scenario starts with, the
//! actions of SPEC §2 as methods of the harness's [`Release`] handle, and (re-exported
//! from `checks`) assertions that read like the workflow.

use serde_json::{Value, json};

pub use crate::checks::*;
use crate::common::{Gateway, Options, Reply, TargetApp, Who, merged};
pub use crate::common::{Release, package_url, release_body, upload, users};

/// Production with pilot testing; sandbox with manual approval and pilot testing;
/// development and test.
pub const PILOT_APP: &str = "superapp-a";
/// Production without pilot testing; sandbox with manual approval, no pilot testing.
pub const PLAIN_APP: &str = "superapp-b";
/// Sandbox with automatic approval, no pilot testing.
pub const AUTO_APP: &str = "superapp-c";
/// Sandbox with automatic approval and pilot testing.
pub const AUTO_PILOT_APP: &str = "superapp-d";

/// The mini program most scenarios release.
pub const MP: &str = "mp-coupons";

/// Allowed actions per status (SPEC §2, rule 6), for a target with pilot testing and
/// nothing else in flight.
pub const NEW: &[&str] = &["edit_config", "set_test_group", "apply"];
/// `new_version_created` where the target has no pilot testing.
pub const NEW_NO_PILOT: &[&str] = &["edit_config", "apply"];
pub const UNDER_REVIEW: &[&str] = &["withdraw", "approve", "reject"];
pub const PILOT_TESTING: &[&str] = &["set_test_group", "complete_testing", "cancel"];
pub const PREPARATION: &[&str] = &["go_live", "cancel"];
pub const GRAYSCALE: &[&str] = &["go_live", "cancel"];
/// `full_release` of a release that replaced nothing (SPEC §11).
pub const FULL: &[&str] = &["take_offline"];
/// `full_release` of a release that archived a predecessor it can roll back to.
pub const FULL_WITH_PREDECESSOR: &[&str] = &["take_offline", "rollback"];
/// `canceled`, `archived`, `offline`, `rolled_back`.
pub const NOTHING: &[&str] = &[];

/// Every action on an existing release, in SPEC §2 and §11 order.
pub const ACTIONS: [&str; 11] = [
    "edit_config",
    "set_test_group",
    "apply",
    "withdraw",
    "approve",
    "reject",
    "complete_testing",
    "go_live",
    "cancel",
    "take_offline",
    "rollback",
];

/// The actors whose role may perform `action` (SPEC §2 "who").
pub fn permitted(action: &str) -> &'static [Who] {
    use Who::*;
    match action {
        "create" | "edit_config" | "set_test_group" | "apply" | "withdraw" | "take_offline" => {
            &[Developer, Developer2, Admin]
        }
        "approve" | "reject" => &[Reviewer, Reviewer2],
        "complete_testing" | "go_live" | "cancel" | "rollback" => &[Admin],
        other => panic!("unknown action {other}"),
    }
}

/// Some actor whose role may perform `action`.
pub fn someone_who_may(action: &str) -> Who {
    permitted(action)[0]
}

/// A gateway with the four target apps above.
pub fn gateway() -> Gateway {
    Gateway::start(options())
}

/// The options of [`gateway`]: the four target apps above.
pub fn options() -> Options {
    Options::default()
        .app(
            TargetApp::new(PILOT_APP)
                .env("production", "{ pilot_testing = true }")
                .env("sandbox", "{ approval = \"manual\", pilot_testing = true }")
                .env("development", "{}")
                .env("test", "{}"),
        )
        .app(
            TargetApp::new(PLAIN_APP)
                .env("production", "{ pilot_testing = false }")
                .env(
                    "sandbox",
                    "{ approval = \"manual\", pilot_testing = false }",
                ),
        )
        .app(
            TargetApp::new(AUTO_APP)
                .env("production", "{}")
                .env("sandbox", "{ approval = \"auto\", pilot_testing = false }"),
        )
        .app(
            TargetApp::new(AUTO_PILOT_APP)
                .env("production", "{}")
                .env("sandbox", "{ approval = \"auto\", pilot_testing = true }"),
        )
}

/// `POST /v1/admin/releases` with any body.
pub fn create(gw: &Gateway, who: Who, body: &Value) -> Reply {
    gw.post(who, "/v1/admin/releases", body)
}

/// Uploads `version` of [`MP`] and creates its release for (app, env) as the developer.
pub fn new_release<'g>(gw: &'g Gateway, app: &str, env: &str, version: &str) -> Release<'g> {
    new_release_of(gw, MP, app, env, version, json!({}))
}

/// Uploads `version` of `mp` and creates its release with `extra` fields (`config`,
/// `test_group`) merged into the body; asserts the fresh release's representation.
pub fn new_release_of<'g>(
    gw: &'g Gateway,
    mp: &str,
    app: &str,
    env: &str,
    version: &str,
    extra: Value,
) -> Release<'g> {
    upload(gw, mp, version);
    let body = merged(release_body(mp, version, app, env), &extra);
    let before = gw.revision();
    let reply = create(gw, Who::Developer, &body).expect(201);
    let r = &reply.body;
    assert_eq!(r["status"], "new_version_created", "{}", reply.text);
    assert_eq!(
        (&r["mini_program"], &r["version"], &r["app"], &r["env"]),
        (&json!(mp), &json!(version), &json!(app), &json!(env))
    );
    assert_eq!(r["percentage"], json!(0));
    assert_eq!(r["revision"], json!(before + 1), "create is one revision");
    let salt = r["salt"].as_str().unwrap_or_default();
    assert!(
        salt.len() == 16
            && salt
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "salt must be 16 lowercase hex characters: {salt:?}"
    );
    for field in [
        "id",
        "config",
        "test_group_size",
        "created_at",
        "updated_at",
    ] {
        assert!(
            !r[field].is_null(),
            "release without {field}: {}",
            reply.text
        );
    }
    assert_etag(&reply);
    Release {
        gw,
        id: r["id"].as_u64().expect("numeric release id"),
    }
}

/// The actions of SPEC §2 on a release, and what the scenarios assert about them.
impl Release<'_> {
    pub fn apply(&self, who: Who) -> Reply {
        self.act(who, "apply")
    }

    pub fn approve(&self, who: Who) -> Reply {
        self.act(who, "approve")
    }

    pub fn reject(&self, who: Who, reason: &str) -> Reply {
        self.act_with(who, "reject", &json!({ "reason": reason }))
    }

    /// `go_live` as the admin with any body.
    pub fn go_live(&self, body: &Value) -> Reply {
        self.act_with(Who::Admin, "go_live", body)
    }

    pub fn go_live_grayscale(&self, percentage: f64) -> Reply {
        self.go_live(&json!({ "type": "grayscale", "percentage": percentage }))
    }

    pub fn go_live_full(&self) -> Reply {
        self.go_live(&json!({ "type": "full" }))
    }

    /// Performs `action` as `who` with a well-formed request, so that only the role and
    /// the release's state can make it fail.
    pub fn attempt(&self, who: Who, action: &str) -> Reply {
        match action {
            "edit_config" => self.put_config(who, &json!({ "attempt": true })),
            "set_test_group" => self.put_test_group(who, &["attempt-user"]),
            "reject" | "take_offline" | "rollback" => {
                self.act_with(who, action, &json!({ "reason": "attempted" }))
            }
            "go_live" => self.act_with(who, "go_live", &json!({ "type": "full" })),
            other => self.act(who, other),
        }
    }

    /// Performs `action` as someone whose role permits it.
    pub fn attempt_permitted(&self, action: &str) -> Reply {
        self.attempt(someone_who_may(action), action)
    }

    /// Every action outside `allowed`, attempted by a permitted role, is refused with
    /// 409 (whatever the reason code), the current status and the allowed actions;
    /// nothing changes.
    #[track_caller]
    pub fn assert_only_allowed(&self, status: &str, allowed: &[&str]) {
        let before = self.get();
        for action in ACTIONS.iter().filter(|a| !allowed.contains(a)) {
            let reply = self.attempt_permitted(action);
            let code = reply.error_code().to_string();
            refused_because(reply, &code, status, allowed);
        }
        assert_eq!(
            self.get(),
            before,
            "refused actions changed release {}",
            self.id
        );
    }

    /// Every role that may not perform `action` gets 403; nothing changes.
    #[track_caller]
    pub fn assert_roles_enforced(&self, action: &str) {
        let before = self.get();
        for who in Who::ALL
            .into_iter()
            .filter(|w| !permitted(action).contains(w))
        {
            forbidden(self.attempt(who, action));
        }
        assert_eq!(self.get(), before, "forbidden {action} changed the release");
    }
}

/// What an admin request can change: the releases and the global revision.
pub fn releases_and_revision(gw: &Gateway) -> (Value, u64) {
    let list = gw.get(Who::Viewer, "/v1/admin/releases").expect(200).body;
    (list, gw.revision())
}

/// Ids of the releases `GET /v1/admin/releases?{query}` lists.
pub fn listed_where(gw: &Gateway, query: &str) -> Vec<u64> {
    let reply = gw
        .get(Who::Viewer, &format!("/v1/admin/releases?{query}"))
        .expect(200);
    let list = reply.body.as_array().cloned().unwrap_or_default();
    let mut ids: Vec<u64> = list.iter().filter_map(|r| r["id"].as_u64()).collect();
    ids.sort_unstable();
    ids
}

/// Takes `r` in production of [`PILOT_APP`] from creation to `pilot_testing`.
pub fn to_pilot_testing(r: &Release<'_>) {
    moved(r.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(r.approve(Who::Reviewer), "pilot_testing", PILOT_TESTING);
}

/// Takes `r` in production of [`PLAIN_APP`] from creation to `release_preparation`.
pub fn to_release_preparation(r: &Release<'_>) {
    moved(r.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(r.approve(Who::Reviewer), "release_preparation", PREPARATION);
}
