//! The limits of SPEC-silent territory a public gateway needs (README "Security"),
//! against the real binary: body size (413), request-head size (431), slow or half-open
//! clients cut off by the header deadline, whole-request deadline (408), the connection
//! cap, and the 1,000,000-id test-group cap. Refused requests store nothing.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Gateway, Options, TargetApp, Who};
use serde_json::json;

const LIMITS: &str = "[limits]\nmax_body_bytes = 4096\nheader_read_timeout_seconds = 1\nrequest_timeout_seconds = 1\nmax_connections = 4\n";

fn gateway() -> Gateway {
    let app = TargetApp::new("superapp-a").env("production", "{ pilot_testing = true }");
    Gateway::start(Options::default().app(app).extra_toml(LIMITS))
}

fn addr(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection or `limit` passes; returns what came.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    stream.set_read_timeout(Some(limit)).expect("timeout");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&out).into(), true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into(), false),
        }
    }
}

#[test]
fn oversized_bodies_and_heads_are_refused_and_change_nothing() {
    let gw = gateway();
    let revision = gw.revision();
    let big = json!({"version": "1.0.0", "package_url": format!("https://cdn.example.com/{}", "a".repeat(5000))});
    gw.post(
        Who::Developer,
        "/v1/admin/mini-programs/mp-a/versions",
        &big,
    )
    .expect_error(413, "payload_too_large");
    let huge_header = "x".repeat(20_000);
    let reply = gw
        .client("GET", "/healthz")
        .header("x-padding", &huge_header)
        .send();
    assert_eq!(reply.status, 431, "request head over the limit");
    assert_eq!(gw.revision(), revision, "nothing stored");
}

#[test]
fn slow_clients_are_cut_off_and_do_not_starve_others() {
    let gw = gateway();
    let mut slow = TcpStream::connect(addr(gw.client_url())).expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .expect("partial head");
    let started = Instant::now();
    gw.client("GET", "/healthz").send().expect(200); // others are served meanwhile
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(5));
    assert!(
        closed,
        "a client that never finishes its headers is disconnected"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "within the 1 s header deadline: {:?}",
        started.elapsed()
    );
}

#[test]
fn a_request_whose_body_never_arrives_gets_408() {
    let gw = gateway();
    let mut stream = TcpStream::connect(addr(gw.admin_url())).expect("connect");
    let head = format!(
        "POST /v1/admin/releases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"mini",
        Who::Developer.token()
    );
    stream.write_all(head.as_bytes()).expect("partial body");
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "a JSON error: {answer}");
}

/// Reports skip the client router (a fast path), but not its deadline or its size limit.
#[test]
fn a_report_whose_body_never_arrives_gets_408_and_an_oversized_one_413() {
    let gw = gateway();
    let mut stream = TcpStream::connect(addr(gw.client_url())).expect("connect");
    let head = "POST /v1/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"app";
    stream.write_all(head.as_bytes()).expect("partial body");
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "a JSON error: {answer}");
    let huge = format!("{{\"app\":\"{}\"}}", "a".repeat(300 * 1024));
    gw.client("POST", "/v1/report")
        .body(huge)
        .send()
        .expect_error(413, "payload_too_large");
}

#[test]
fn connections_beyond_the_cap_wait_instead_of_failing() {
    let gw = gateway();
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(addr(gw.client_url())).expect("connect"))
        .collect();
    // With all 4 slots taken by idle connections, a fifth request waits in the backlog
    // until a slot frees (the idle ones are cut off by the 1 s header deadline).
    let started = Instant::now();
    gw.client("GET", "/healthz").send().expect(200);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "the fifth connection waited: {:?}",
        started.elapsed()
    );
    drop(idle);
}

#[test]
fn test_groups_hold_at_most_a_million_ids() {
    let app = TargetApp::new("superapp-a").env("production", "{ pilot_testing = true }");
    let gw = Gateway::start(Options::default().app(app));
    gw.post(
        Who::Developer,
        "/v1/admin/mini-programs/mp-a/versions",
        &json!({"version": "1.0.0", "package_url": "https://cdn.example.com/a.zip"}),
    )
    .expect(201);
    let create = json!({"mini_program": "mp-a", "version": "1.0.0", "app": "superapp-a", "env": "production"});
    gw.post(Who::Developer, "/v1/admin/releases", &create)
        .expect(201);
    let ids = |n: usize| (0..n).map(|i| format!("u{i}")).collect::<Vec<_>>();
    let revision = gw.revision();
    gw.put(
        Who::Developer,
        "/v1/admin/releases/1/test-group",
        &json!({"test_group": ids(1_000_001)}),
    )
    .expect_error(400, "invalid_parameter");
    assert_eq!(gw.revision(), revision, "a refused group stores nothing");
    let reply = gw
        .put(
            Who::Developer,
            "/v1/admin/releases/1/test-group",
            &json!(ids(1_000_000)),
        )
        .expect(200);
    assert_eq!(reply.body["test_group_size"], 1_000_000);
}

/// Writes a whole request (head, then every byte of `body`, chunked if asked) before
/// reading anything, as simple clients do, and returns the answer.
fn send_whole(url: &str, path: &str, body: &[u8], chunked: bool) -> String {
    let mut stream = TcpStream::connect(addr(url)).expect("connect");
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n",
        Who::Developer.token()
    );
    stream.write_all(head.as_bytes()).expect("head");
    let written = if chunked {
        body.chunks(64 * 1024)
            .try_for_each(|c| {
                stream.write_all(format!("{:x}\r\n", c.len()).as_bytes())?;
                stream.write_all(c)?;
                stream.write_all(b"\r\n")
            })
            .and_then(|()| stream.write_all(b"0\r\n\r\n"))
    } else {
        stream.write_all(body)
    };
    written.unwrap_or_else(|e| panic!("the whole body is written, not cut off: {e}"));
    read_until_closed(&mut stream, Duration::from_secs(5)).0
}

/// A body over its route's limit is read to its end and answered 413 with the JSON error,
/// so a client that writes everything before reading sees the answer, not a broken pipe.
/// Creating a release takes the test-group limit, not the smaller body limit.
#[test]
fn oversized_bodies_are_drained_and_answered_413_and_create_takes_the_group_limit() {
    let app = TargetApp::new("superapp-a").env("production", "{ pilot_testing = true }");
    let limits = "[limits]\nmax_body_bytes = 4096\nmax_test_group_bytes = 65536\n";
    let gw = Gateway::start(Options::default().app(app).extra_toml(limits));
    let version = json!({"version": "1.0.0", "package_url": "https://cdn.example.com/a.zip"});
    gw.post(
        Who::Developer,
        "/v1/admin/mini-programs/mp-a/versions",
        &version,
    )
    .expect(201);
    let revision = gw.revision();
    let huge = vec![b' '; 8 * 1024 * 1024];
    for (path, chunked) in [
        ("/v1/admin/mini-programs/mp-a/versions", false),
        ("/v1/admin/mini-programs/mp-a/versions", true),
        ("/v1/admin/releases", false),
        ("/v1/admin/releases", true),
    ] {
        let answer = send_whole(gw.admin_url(), path, &huge, chunked);
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{path} chunked={chunked}: {answer}"
        );
        assert!(answer.contains(r#""code":"payload_too_large""#), "{answer}");
    }
    assert_eq!(gw.revision(), revision, "nothing stored");
    let group: Vec<String> = (0..2000).map(|i| format!("user-{i:07}")).collect();
    let create = json!({"mini_program": "mp-a", "version": "1.0.0", "app": "superapp-a",
        "env": "production", "test_group": group});
    assert!(create.to_string().len() > 4096, "over the plain body limit");
    let created = gw
        .post(Who::Developer, "/v1/admin/releases", &create)
        .expect(201);
    assert_eq!(created.body["test_group_size"], 2000);
}
