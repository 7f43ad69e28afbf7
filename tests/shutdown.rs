//! Graceful shutdown against the real binary: requests in flight when SIGTERM arrives
//! (a batch resolve on the client listener, a test-group write on the admin listener)
//! finish with their normal answers, new connections are refused from then on, and the
//! process exits 0 within `server.shutdown_grace_seconds`, also when a request never
//! finishes.
//!
//! A request is held in flight by sending its headers and half of its
//! `Content-Length` body, then the rest after the signal: the gateway has accepted the
//! connection and is reading the body when it is told to stop.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{Gateway, Options, Release, TargetApp, Who};
use serde_json::{Value, json};

/// How long the server may give in-flight requests after SIGTERM.
const GRACE: Duration = Duration::from_secs(4);
/// How long the scheduler may take to run the exit once it is due.
const SLACK: Duration = Duration::from_millis(1500);

/// A gateway whose release 1 (version 1.0.0 of `mp-a`) is in pilot testing for `alice`.
fn gateway(grace: Duration) -> Gateway {
    let app = TargetApp::new("superapp-a").env("production", "{ pilot_testing = true }");
    let seconds = grace.as_secs().to_string();
    let options = Options::default()
        .app(app)
        .env("GRAYGATE_SERVER_SHUTDOWN_GRACE_SECONDS", &seconds);
    let mut gw = Gateway::with_release(json!({ "test_group": ["alice"] }));
    // `with_release` starts with default settings; the store carries over.
    gw.restart_with(options);
    let r = Release { gw: &gw, id: 1 };
    r.act(Who::Developer, "apply").expect(200);
    r.act(Who::Reviewer, "approve").expect(200);
    assert_eq!(r.status(), "pilot_testing");
    gw
}

/// `http://host:port` to a socket address.
fn addr(base: &str) -> SocketAddr {
    let host_port = base.trim_start_matches("http://");
    host_port.parse().expect("a socket address")
}

/// A request whose headers and first body part are sent; [`Held::finish`] sends the rest.
struct Held {
    stream: TcpStream,
    rest: Vec<u8>,
}

impl Held {
    fn start(to: SocketAddr, head: &str, body: &Value) -> Held {
        let body = body.to_string().into_bytes();
        let mut stream = TcpStream::connect(to).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("read timeout");
        let head = format!(
            "{head}\r\nhost: {to}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let half = body.len() / 2;
        stream.write_all(head.as_bytes()).expect("send the headers");
        stream.write_all(&body[..half]).expect("send half the body");
        stream.flush().expect("flush");
        Held {
            stream,
            rest: body[half..].to_vec(),
        }
    }

    /// Sends the rest of the body and reads the answer: (status, JSON body).
    fn finish(mut self) -> (u16, Value) {
        self.stream.write_all(&self.rest).expect("send the rest");
        let mut raw = Vec::new();
        self.stream.read_to_end(&mut raw).expect("read the answer");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("a whole response");
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {head:?}"));
        let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}"));
        (status, body)
    }
}

/// Whether a TCP connection to `to` is refused now.
fn refused(to: SocketAddr) -> bool {
    TcpStream::connect_timeout(&to, Duration::from_millis(200)).is_err()
}

/// Polls until both listeners refuse connections; how long after `since` that was.
fn until_refused(client: SocketAddr, admin: SocketAddr, since: Instant) -> Duration {
    while !(refused(client) && refused(admin)) {
        assert!(
            since.elapsed() < GRACE,
            "the listeners still accept connections {:?} after SIGTERM",
            since.elapsed()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    since.elapsed()
}

/// The batch resolve and the test-group write, held in flight.
fn held_requests(gw: &Gateway) -> (Held, Held) {
    let batch = json!({"app": "superapp-a", "env": "production", "user": "alice", "mini_programs": ["mp-a"]});
    let resolve = Held::start(addr(gw.client_url()), "POST /v1/resolve HTTP/1.1", &batch);
    let head = format!(
        "PUT /v1/admin/releases/1/test-group HTTP/1.1\r\nauthorization: Bearer {}",
        Who::Developer.token()
    );
    let group = json!({ "test_group": ["alice", "bob"] });
    let write = Held::start(addr(gw.admin_url()), &head, &group);
    // Let the gateway accept both connections and start reading their bodies.
    std::thread::sleep(Duration::from_millis(300));
    (resolve, write)
}

#[test]
fn requests_in_flight_at_sigterm_finish_and_the_process_exits_0() {
    let mut gw = gateway(GRACE);
    let (client, admin) = (addr(gw.client_url()), addr(gw.admin_url()));
    let (resolve, write) = held_requests(&gw);
    assert!(gw.send_sigterm(), "SIGTERM sent");
    let signalled = Instant::now();
    let closed = until_refused(client, admin, signalled);
    println!("both listeners refuse new connections {closed:?} after SIGTERM");

    let (status, answer) = resolve.finish();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"]["mp-a"]["version"], "1.0.0", "{answer}");
    assert_eq!(answer["results"]["mp-a"]["channel"], "pilot", "{answer}");
    let (status, release) = write.finish();
    assert_eq!(status, 200, "{release}");
    assert_eq!(release["test_group_size"], 2, "{release}");
    assert_eq!(release["status"], "pilot_testing", "{release}");

    let exit = gw.wait_exit(GRACE + SLACK);
    let took = signalled.elapsed();
    let exit = exit.unwrap_or_else(|| panic!("no exit within the grace period ({took:?})"));
    assert!(exit.success(), "exit status {exit:?}");
    assert!(took < GRACE + SLACK, "exited after {took:?}");

    // The write acknowledged during the drain is in the store.
    gw.restart();
    let r = Release { gw: &gw, id: 1 };
    assert_eq!(r.get()["test_group_size"], 2);
    assert_eq!(
        gw.resolve("superapp-a", "production", "mp-a", "bob")
            .expect(200)
            .body["channel"],
        "pilot"
    );
}

/// A request that never finishes does not hold the process: it exits 0 once the grace
/// period is over, and no sooner than the request had a chance to finish.
#[test]
fn a_request_that_never_finishes_ends_with_the_grace_period() {
    let grace = Duration::from_secs(1);
    let mut gw = gateway(grace);
    let (_resolve, _write) = held_requests(&gw);
    assert!(gw.send_sigterm(), "SIGTERM sent");
    let signalled = Instant::now();
    let exit = gw.wait_exit(grace + SLACK);
    let took = signalled.elapsed();
    let exit = exit.unwrap_or_else(|| panic!("still running {took:?} after SIGTERM"));
    assert!(exit.success(), "exit status {exit:?}");
    assert!(
        took >= grace - Duration::from_millis(100),
        "exited after {took:?}, before the grace period of {grace:?} was over"
    );
}
