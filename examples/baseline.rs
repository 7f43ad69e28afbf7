//! The HTTP baseline for `scripts/load.sh`: a minimal hyper 1 server on the same stack as
//! the gateway's listeners (hyper-util `TokioIo` + auto connection builder, HTTP/1, a
//! multi-thread tokio runtime) that answers every request with one fixed JSON body, except
//! `POST /v1/report`: that one is read whole and answered 202 `{"accepted":10,"dropped":0}`
//! (and a newline), what the gateway answers to the load script's 10-event batch.
//!
//! Usage: `cargo run --release --example baseline [PORT]` (or `BASELINE_PORT`; default 0,
//! an ephemeral port). `BASELINE_BODY` replaces the built-in body, so the load script can
//! serve exactly what the gateway answers. Prints `baseline listening addr=…` on stdout.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

/// A grayscale answer as the gateway renders it (about 300 bytes).
const TYPICAL_BODY: &str = concat!(
    r#"{"mini_program":"mp-load","version":"1.5.0","channel":"grayscale","release_id":2,"#,
    r#""package_url":"https://cdn.example.com/mini-programs/mp-load/1.5.0/package.zip","#,
    r#""config":{"network_allowlist":["api.example.com","img.example.com"],"#,
    r#""payment":{"merchant_id":"m-00000001"}},"revision":9}"#
);

/// The gateway's answer to a report of 10 valid events, byte for byte.
const REPORT_BODY: &str = concat!(r#"{"accepted":10,"dropped":0}"#, "\n");

fn port() -> Result<u16, Box<dyn std::error::Error>> {
    let raw = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("BASELINE_PORT").ok());
    Ok(raw.as_deref().unwrap_or("0").parse()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let body = Bytes::from(std::env::var("BASELINE_BODY").unwrap_or_else(|_| TYPICAL_BODY.into()));
    let addr = SocketAddr::from(([127, 0, 0, 1], port()?));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(addr, body))
}

async fn serve(addr: SocketAddr, body: Bytes) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind(addr).await?;
    println!("baseline listening addr={}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| answer(req, body.clone()));
            let conn = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = conn {
                eprintln!("baseline: connection error: {e}");
            }
        });
    }
}

async fn answer(req: Request<Incoming>, body: Bytes) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() == Method::POST && req.uri().path() == "/v1/report" {
        return Ok(report(req).await);
    }
    Ok(resolve(body))
}

/// The same headers the gateway sends with a resolve answer.
fn resolve(body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(ETAG, HeaderValue::from_static("\"9\""));
    response
}

/// Reads the report's body whole, as the gateway does, then answers 202 with a JSON body.
async fn report(req: Request<Incoming>) -> Response<Full<Bytes>> {
    let status = match req.into_body().collect().await {
        Ok(_) => StatusCode::ACCEPTED,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    let mut response = Response::new(Full::new(Bytes::from_static(REPORT_BODY.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
