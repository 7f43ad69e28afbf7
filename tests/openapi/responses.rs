//! Real responses against the served description: one release taken from upload to full
//! release, with refusals, client answers and malformed requests on the way. Every reply
//! must have a documented status, content type and headers, and a body that validates
//! against the documented schema.

use serde_json::{Value, json};

use crate::common::{Call, Gateway, Options, Reply, TargetApp, Who, query};
use crate::schema::Doc;

/// The served description and the gateway it describes.
struct Described<'g> {
    gw: &'g Gateway,
    doc: Value,
}

impl Described<'_> {
    /// The documented path that `path` (its query ignored) is an instance of for `method`;
    /// literal segments win over parameters, as in the router.
    fn template(&self, method: &str, path: &str) -> String {
        let path = path.split('?').next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').collect();
        let paths = self.doc["paths"].as_object().expect("paths");
        let fits = |template: &str| {
            let t: Vec<&str> = template.split('/').collect();
            let same = t.len() == segments.len()
                && t.iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s);
            same.then(|| t.iter().filter(|t| !t.starts_with('{')).count())
        };
        paths
            .iter()
            .filter(|(_, item)| item.get(method.to_lowercase()).is_some())
            .filter_map(|(template, _)| Some((fits(template)?, template.clone())))
            .max()
            .map(|(_, template)| template)
            .unwrap_or_else(|| panic!("{method} {path} is no documented operation"))
    }

    /// Sends `call` (`method path`), asserts `status` and that the reply is described.
    #[track_caller]
    fn expect(&self, method: &str, path: &str, call: Call<'_>, status: u16) -> Reply {
        let reply = call.send().expect(status);
        self.check(&self.template(method, path), method, &reply);
        reply
    }

    /// An admin request as `who` (no token for `None`), with a JSON body unless `Null`.
    #[track_caller]
    fn admin(&self, who: Option<Who>, method: &str, path: &str, body: Value, status: u16) {
        let mut call = self.gw.admin(method, path);
        if let Some(who) = who {
            call = call.by(who);
        }
        if !body.is_null() {
            call = call.json(&body);
        }
        self.expect(method, path, call, status);
    }

    /// A client request with a JSON body unless `Null`.
    #[track_caller]
    fn client(&self, method: &str, path: &str, body: Value, status: u16) -> Reply {
        let mut call = self.gw.client(method, path);
        if !body.is_null() {
            call = call.json(&body);
        }
        self.expect(method, path, call, status)
    }

    #[track_caller]
    fn check(&self, template: &str, method: &str, reply: &Reply) {
        let doc = Doc(&self.doc);
        let what = &reply.what;
        let op = &self.doc["paths"][template][method.to_lowercase()];
        let status = reply.status.to_string();
        let response = op["responses"].get(&status).unwrap_or_else(|| {
            panic!(
                "{what}: {status} is not documented for {template}: {}",
                reply.text
            )
        });
        let response = doc.resolve(response);
        match response.get("content").and_then(Value::as_object) {
            Some(content) => {
                let (media, described) = content.iter().next().expect("a media type");
                let got = reply.header("content-type").unwrap_or_default();
                assert!(
                    got.starts_with(media.as_str()),
                    "{what}: {got}, documented {media}"
                );
                if media == "application/json"
                    && let Err(e) = doc.validate(&described["schema"], &reply.body, "body")
                {
                    panic!(
                        "{what}: {status} does not match the schema: {e}\n{}",
                        reply.text
                    );
                }
            }
            None => assert!(reply.text.is_empty(), "{what}: {status} has a body"),
        }
        let headers = response.get("headers").and_then(Value::as_object);
        for name in headers.into_iter().flatten().map(|(name, _)| name) {
            assert!(reply.header(name).is_some(), "{what}: no {name} header");
        }
    }
}

const VERSIONS: &str = "/v1/admin/mini-programs/mp-a/versions";
const RELEASES: &str = "/v1/admin/releases";

fn version(v: &str) -> Value {
    json!({"version": v, "package_url": format!("https://cdn.example.com/{v}.zip")})
}

fn release(v: &str, env: &str, group: Value) -> Value {
    json!({"mini_program": "mp-a", "version": v, "app": "superapp-a", "env": env,
           "config": {"network_allowlist": ["api.example.com"]}, "test_group": group})
}

fn resolve_query(env: &str, user: &str) -> String {
    let pairs = [
        ("app", "superapp-a"),
        ("env", env),
        ("mini_program", "mp-a"),
    ];
    let mut pairs = pairs.to_vec();
    pairs.push(("user", user));
    query(&pairs)
}

#[test]
fn real_responses_match_the_documented_schemas() {
    use Who::{Admin, Developer, Reviewer, Viewer};
    let gw = Gateway::start(
        Options::default().app(
            TargetApp::new("superapp-a")
                .env("production", "{ pilot_testing = true }")
                .env("development", "{}"),
        ),
    );
    let doc = gw.admin("GET", "/openapi.json").send().expect(200).body;
    let d = Described { gw: &gw, doc };
    for path in ["/healthz", "/readyz"] {
        d.client("GET", path, Value::Null, 200);
        d.admin(None, "GET", path, Value::Null, 200);
    }
    d.admin(None, "GET", "/metrics", Value::Null, 200);

    let null = Value::Null;
    let envs = json!({"environments": {"production": {}, "sandbox": {"approval": "manual"}}});
    #[rustfmt::skip]
    let to_pilot_testing = [
        (Some(Viewer), "GET", "/v1/admin/apps", null.clone(), 200),
        (Some(Viewer), "GET", "/v1/admin/apps/superapp-a", null.clone(), 200),
        (Some(Viewer), "GET", "/v1/admin/apps/nope", null.clone(), 404),
        (Some(Viewer), "GET", "/v1/admin/apps/-bad", null.clone(), 400),
        (Some(Viewer), "GET", "/v1/admin/apps/%FF", null.clone(), 400),
        (Some(Reviewer), "PUT", "/v1/admin/apps/superapp-b", envs.clone(), 200),
        (Some(Developer), "PUT", "/v1/admin/apps/superapp-b", envs, 403),
        (Some(Developer), "POST", VERSIONS, version("1.0.0"), 201),
        (Some(Developer), "POST", VERSIONS, version("1.1.0"), 201),
        (Some(Developer), "POST", VERSIONS, version("1.0.0"), 409),
        (Some(Developer), "POST", VERSIONS, json!({}), 400),
        (Some(Viewer), "GET", VERSIONS, null.clone(), 200),
        (Some(Developer), "POST", RELEASES, release("1.0.0", "production", json!(["qa-1"])), 201),
        (Some(Developer), "POST", RELEASES, release("1.0.0", "production", null.clone()), 409),
        (Some(Developer), "POST", RELEASES, release("9.9.9", "production", null.clone()), 404),
        (Some(Developer), "POST", RELEASES, release("1.0.0", "sandbox", null.clone()), 404),
        (Some(Viewer), "GET", "/v1/admin/releases/1", null.clone(), 200),
        (Some(Viewer), "GET", "/v1/admin/releases/99", null.clone(), 404),
        (Some(Viewer), "GET", "/v1/admin/releases/x", null.clone(), 400),
        (Some(Developer), "POST", "/v1/admin/releases/1/apply", null.clone(), 200),
        (Some(Developer), "POST", "/v1/admin/releases/1/approve", null.clone(), 403),
        (Some(Reviewer), "POST", "/v1/admin/releases/1/approve", null.clone(), 200),
        (Some(Admin), "POST", "/v1/admin/releases/1/frobnicate", null.clone(), 404),
        (None, "POST", "/v1/admin/releases/1/cancel", null.clone(), 401),
    ];
    for (who, method, path, body, status) in to_pilot_testing {
        d.admin(who, method, path, body, status);
    }

    let complete = "/v1/admin/releases/1/complete_testing";
    let stale = gw
        .admin("POST", complete)
        .by(Admin)
        .header("if-match", "\"1\"");
    d.expect("POST", complete, stale, 412);
    let garbled = gw
        .admin("POST", complete)
        .by(Admin)
        .header("if-match", "seven");
    d.expect("POST", complete, garbled, 400);
    let go_live = "/v1/admin/releases/1/go_live";
    #[rustfmt::skip]
    let to_grayscale = [
        (Some(Admin), "POST", complete, null.clone(), 200),
        (Some(Admin), "POST", go_live, json!({"type": "grayscale", "percentage": 12.5}), 200),
        (Some(Admin), "POST", go_live, json!({"type": "grayscale", "percentage": 5}), 409),
        (Some(Admin), "POST", go_live, json!({"type": "grayscale"}), 400),
    ];
    for (who, method, path, body, status) in to_grayscale {
        d.admin(who, method, path, body, status);
    }

    // The client listener meanwhile, and explain.
    let pilot = format!("/v1/resolve?{}", resolve_query("production", "qa-1"));
    let etag = d
        .client("GET", &pilot, null.clone(), 200)
        .header("etag")
        .map(str::to_string);
    let cached = gw
        .client("GET", &pilot)
        .header("if-none-match", &etag.unwrap_or_default());
    d.expect("GET", &pilot, cached, 304);
    d.client("GET", "/v1/resolve?app=superapp-a", null.clone(), 400);
    let nothing = format!("/v1/resolve?{}", resolve_query("development", "u"));
    d.client("GET", &nothing, null.clone(), 404);
    let batch = json!({"app": "superapp-a", "env": "production", "user": "qa-1"});
    d.client("POST", "/v1/resolve", batch, 200);
    let named = json!({"app": "superapp-a", "env": "production", "user": "u-1",
                       "mini_programs": ["mp-a", "mp-b"]});
    d.client("POST", "/v1/resolve", named, 200);
    d.client("POST", "/v1/resolve", json!({"app": "superapp-a"}), 400);
    let report = json!({"app": "superapp-a", "env": "production", "events": [
        {"mini_program": "mp-a", "release_id": 1, "channel": "pilot", "outcome": "ok", "count": 3},
        {"mini_program": "mp-b", "release_id": 9, "channel": "full", "outcome": "error"}]});
    d.client("POST", "/v1/report", report, 202);
    d.client("POST", "/v1/report", json!({"app": "superapp-a"}), 400);
    let huge = gw
        .client("POST", "/v1/resolve")
        .body(vec![b' '; 300 * 1024]);
    d.expect("POST", "/v1/resolve", huge, 413);
    for user in ["qa-1", "u-42"] {
        let explain = format!("/v1/admin/explain?{}", resolve_query("production", user));
        d.admin(Some(Viewer), "GET", &explain, null.clone(), 200);
    }
    d.admin(
        Some(Viewer),
        "GET",
        "/v1/admin/explain?app=a",
        null.clone(),
        400,
    );

    let config = |id: u32| format!("/v1/admin/releases/{id}/config");
    let group = |id: u32| format!("/v1/admin/releases/{id}/test-group");
    #[rustfmt::skip]
    let to_full = [
        (Admin, "POST", go_live.to_string(), json!({"type": "full"}), 200),
        (Reviewer, "POST", "/v1/admin/releases/1/reject".into(), json!({"reason": "no"}), 409),
        (Developer, "PUT", config(1), json!({}), 409),
        (Developer, "POST", RELEASES.into(), release("1.1.0", "development", null.clone()), 201),
        (Developer, "PUT", config(2), json!({"payment": {"merchant": "m-1"}}), 200),
        (Developer, "PUT", config(2), json!({"payment": 1}), 400),
        (Developer, "PUT", group(2), json!(["qa-1"]), 409),
        (Developer, "PUT", group(99), json!({"test_group": []}), 404),
        (Viewer, "GET", "/v1/admin/releases/1/history".into(), null.clone(), 200),
        (Viewer, "GET", RELEASES.into(), null.clone(), 200),
        (Viewer, "GET", format!("{RELEASES}?status=full_release&env=production"), null.clone(), 200),
        (Viewer, "GET", format!("{RELEASES}?status=live"), null.clone(), 400),
    ];
    for (who, method, path, body, status) in to_full {
        d.admin(Some(who), method, &path, body, status);
    }

    suspensions(&d);
}

/// SPEC §11 on the served description: a suspension, its refusals, what clients and
/// explain answer while it holds, the reads, and the lift.
fn suspensions(d: &Described<'_>) {
    use Who::{Admin, Reviewer, Viewer};
    let null = Value::Null;
    let one = "/v1/admin/apps/superapp-a/suspensions/mp-a";
    let fraud = json!({"reason": "fraud"});
    #[rustfmt::skip]
    let suspend = [
        (Reviewer, "PUT", one, fraud.clone(), 201),
        (Reviewer, "PUT", one, fraud.clone(), 409),
        (Reviewer, "PUT", one, json!({}), 400),
        (Admin, "PUT", one, fraud.clone(), 403),
        (Reviewer, "PUT", "/v1/admin/apps/superapp-a/suspensions/mp-zzz", fraud.clone(), 404),
        (Reviewer, "PUT", "/v1/admin/apps/nope/suspensions/mp-a", fraud, 404),
        (Viewer, "GET", "/v1/admin/apps/superapp-a/suspensions", null.clone(), 200),
        (Viewer, "GET", "/v1/admin/apps/nope/suspensions", null.clone(), 404),
        (Viewer, "GET", "/v1/admin/apps/superapp-a/suspensions/mp-a/history", null.clone(), 200),
    ];
    for (who, method, path, body, status) in suspend {
        d.admin(Some(who), method, path, body, status);
    }
    let pilot = format!("/v1/resolve?{}", resolve_query("production", "qa-1"));
    d.client("GET", &pilot, null.clone(), 404);
    let batch = json!({"app": "superapp-a", "env": "production", "user": "qa-1"});
    d.client("POST", "/v1/resolve", batch, 200);
    let explain = format!("/v1/admin/explain?{}", resolve_query("production", "qa-1"));
    d.admin(Some(Viewer), "GET", &explain, null.clone(), 200);
    d.admin(Some(Reviewer), "DELETE", one, null.clone(), 200);
    d.admin(Some(Reviewer), "DELETE", one, null, 404);
}
