//! Random requests against a running gateway: random methods, paths, headers and bodies
//! on both listeners never produce a 5xx, always answer errors as JSON, and never change
//! state (requests that could legitimately write carry no valid credential or a body
//! no endpoint accepts).

mod common;

use common::{Gateway, Who, query};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use serde_json::json;

const PATHS: &[&str] = &[
    "/v1/resolve",
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1/admin/apps",
    "/v1/admin/apps/superapp-a",
    "/v1/admin/mini-programs/mp-a/versions",
    "/v1/admin/releases",
    "/v1/admin/releases/1",
    "/v1/admin/releases/1/history",
    "/v1/admin/releases/1/config",
    "/v1/admin/releases/1/test-group",
    "/v1/admin/releases/1/apply",
    "/v1/admin/releases/1/approve",
    "/v1/admin/releases/1/go_live",
    "/v1/admin/releases/1/reject",
    "/v1/admin/releases/1/cancel",
    "/v1/admin/explain",
];

/// A request as the fuzzer builds it.
#[derive(Debug, Clone)]
struct Fuzz {
    admin_listener: bool,
    method: &'static str,
    path: String,
    token: Option<String>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

fn path() -> impl Strategy<Value = String> {
    let known = prop::sample::select(PATHS).prop_map(str::to_string);
    let mutated = (prop::sample::select(PATHS), "[a-zA-Z0-9%._~/-]{0,20}")
        .prop_map(|(p, tail)| format!("{p}{tail}"));
    let with_query = (
        prop::sample::select(PATHS),
        prop::collection::vec(("[a-z_]{1,12}", "\\PC{0,20}"), 0..5),
    )
        .prop_map(|(p, pairs)| {
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            format!("{p}?{}", query(&pairs))
        });
    let random = "/[a-zA-Z0-9%._~/-]{0,40}";
    prop_oneof![known, mutated, with_query, random]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..200),
        "\\PC{0,100}".prop_map(String::into_bytes),
        Just(b"{\"type\":".to_vec()),
        Just(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec()),
        ("[a-z_]{1,10}", "\\PC{0,10}").prop_map(|(k, v)| json!({ k: v }).to_string().into_bytes()),
        Just(
            json!({"app": 1, "env": [], "user": {}})
                .to_string()
                .into_bytes()
        ),
    ]
}

fn fuzz() -> impl Strategy<Value = Fuzz> {
    let token = prop_oneof![
        Just(None),
        Just(Some(Who::Viewer.token())),
        "[ -~]{0,40}".prop_map(Some),
    ];
    let method =
        prop::sample::select(&["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"][..]);
    let content_type = prop::sample::select(
        &[
            None,
            Some("application/json"),
            Some("text/plain"),
            Some("multipart/form-data"),
        ][..],
    );
    (any::<bool>(), method, path(), token, content_type, body()).prop_map(
        |(admin_listener, method, path, token, content_type, body)| Fuzz {
            admin_listener,
            method,
            path,
            token,
            content_type,
            body,
        },
    )
}

fn send(gw: &Gateway, f: &Fuzz) -> (u16, String, Option<String>) {
    let mut call = if f.admin_listener {
        gw.admin(f.method, &f.path)
    } else {
        gw.client(f.method, &f.path)
    };
    if let Some(token) = &f.token {
        call = call.header("authorization", &format!("Bearer {token}"));
    }
    if let Some(ct) = f.content_type {
        call = call.header("content-type", ct);
    }
    if !f.body.is_empty() {
        call = call.body(f.body.clone());
    }
    let reply = call.send();
    let ct = reply.header("content-type").map(str::to_string);
    (reply.status, reply.text, ct)
}

fn seeded_gateway() -> Gateway {
    let gw = Gateway::with_release(json!({"test_group": ["u1"]}));
    gw.post(Who::Developer, "/v1/admin/releases/1/apply", &json!({}))
        .expect(200);
    gw.post(Who::Reviewer, "/v1/admin/releases/1/approve", &json!({}))
        .expect(200);
    gw
}

#[test]
fn random_requests_never_fail_the_server_or_change_state() {
    let gw = seeded_gateway();
    let before = gw.get(Who::Admin, "/v1/admin/releases").expect(200).text;
    let revision = gw.revision();
    let mut runner = TestRunner::new(Config {
        cases: 600,
        // A failing case is kept in tests/fuzz_http.proptest-regressions and replayed
        // first on every later run.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        source_file: Some(file!()),
        ..Config::default()
    });
    let result = runner.run(&fuzz(), |f| {
        let (status, text, content_type) = send(&gw, &f);
        prop_assert!(status < 500, "{f:?} answered {status}: {text}");
        let json_error =
            content_type.as_deref() == Some("application/json") && text.contains("\"error\"");
        // 431 comes from the HTTP parser itself, before any route runs, with no body.
        if status >= 400 && f.method != "HEAD" && status != 431 {
            prop_assert!(
                json_error,
                "{f:?} answered {status} without a JSON error: {text}"
            );
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert_eq!(gw.revision(), revision, "no random request changed state");
    assert_eq!(
        gw.get(Who::Admin, "/v1/admin/releases").expect(200).text,
        before
    );
}

#[test]
fn garbage_bodies_from_an_admin_change_nothing() {
    let gw = seeded_gateway();
    let revision = gw.revision();
    const WRITES: [(&str, &str); 7] = [
        ("POST", "/v1/admin/releases"),
        ("POST", "/v1/admin/mini-programs/mp-a/versions"),
        ("PUT", "/v1/admin/releases/1/config"),
        ("PUT", "/v1/admin/releases/1/test-group"),
        ("POST", "/v1/admin/releases/1/go_live"),
        ("POST", "/v1/admin/releases/1/reject"),
        ("PUT", "/v1/admin/apps/superapp-a"),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 300,
        // A failing case is kept in tests/fuzz_http.proptest-regressions and replayed
        // first on every later run.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        source_file: Some(file!()),
        ..Config::default()
    });
    let strategy = (
        prop::sample::select(&WRITES[..]),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 1..100)
                .prop_filter("an array is a valid test group", |b| {
                    !serde_json::from_slice::<serde_json::Value>(b).is_ok_and(|v| v.is_array())
                }),
            Just(b"{}".to_vec()),
            Just(b"null".to_vec()),
            // Arrays of the fields in order: serde would take them for structs.
            Just(br#"["1.0.1","https://cdn.example.com/a.zip",null]"#.to_vec()),
            Just(br#"{"environments":{"production":[null,true]}}"#.to_vec())
        ],
    );
    let result = runner.run(&strategy, |((method, path), body)| {
        let who = if path.contains("approve") || path.contains("reject") || path.contains("apps/") {
            Who::Reviewer
        } else {
            Who::Admin
        };
        let reply = gw
            .admin(method, path)
            .by(who)
            .header("content-type", "application/json")
            .body(body.clone())
            .send();
        prop_assert!(
            (400..500).contains(&reply.status),
            "{method} {path} {body:?} answered {}: {}",
            reply.status,
            reply.text
        );
        prop_assert!(!reply.error_code().is_empty(), "JSON error: {}", reply.text);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert_eq!(gw.revision(), revision, "refused requests store nothing");
}
