//! The client listener's connection service. The two hot requests skip the router and
//! its middleware: `GET /v1/resolve` is answered right here, synchronously (it has no
//! body to wait for, so neither the request deadline nor body draining applies), and
//! `POST /v1/report` reads its body within the client limit and the request deadline,
//! then is answered synchronously too. Everything else goes through the router. Both
//! paths call the same `client_api::resolve_now` and `report::report_now`.

use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::time::Duration;

use axum::Router;
use axum::http::header::AUTHORIZATION;
use axum::http::{Method, Request};
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready};
use hyper::body::Incoming;
use hyper_util::service::{TowerToHyperService, TowerToHyperServiceFuture};

use super::body::Body;
use super::client_api::resolve_now;
use super::error::ApiError;
use super::report::report_now;
use super::{CLIENT_BODY_LIMIT, ClientState};

#[derive(Clone)]
pub struct ClientService {
    state: ClientState,
    router: TowerToHyperService<Router>,
    /// The request deadline the router's requests get (`limits.request_timeout_seconds`).
    deadline: Duration,
}

impl ClientService {
    pub fn new(state: ClientState, router: Router, deadline: Duration) -> ClientService {
        ClientService {
            state,
            router: TowerToHyperService::new(router),
            deadline,
        }
    }
}

type Routed = TowerToHyperServiceFuture<Router, Request<Incoming>>;
type Answer = Result<Response, Infallible>;
type Reported = Pin<Box<dyn Future<Output = Answer> + Send>>;

impl hyper::service::Service<Request<Incoming>> for ClientService {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Answer>, Either<Reported, Routed>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        match (req.method(), req.uri().path()) {
            (&Method::GET, "/v1/resolve") => {
                let answer = guarded(&self.state, "resolve", || {
                    resolve_now(&self.state, req.uri(), req.headers())
                });
                Either::Left(ready(Ok(answer)))
            }
            (&Method::POST, "/v1/report") => {
                let report = report(self.state.clone(), self.deadline, req);
                Either::Right(Either::Left(Box::pin(report)))
            }
            _ => Either::Right(Either::Right(self.router.call(req))),
        }
    }
}

/// A panic in an answer is a 500 (counted), never a torn-down connection.
fn guarded(state: &ClientState, what: &str, answer: impl FnOnce() -> Response) -> Response {
    catch_unwind(AssertUnwindSafe(answer)).unwrap_or_else(|_| {
        state.metrics.admin.panics.inc();
        tracing::error!("{what} panicked; answered 500");
        ApiError::Internal.into_response()
    })
}

/// `POST /v1/report`: the body within the client limit and the deadline (408 past it),
/// then the answer.
async fn report(state: ClientState, deadline: Duration, req: Request<Incoming>) -> Answer {
    let (parts, body) = req.into_parts();
    let read = Body::read(
        &parts.headers,
        axum::body::Body::new(body),
        CLIENT_BODY_LIMIT,
    );
    let body = match tokio::time::timeout(deadline, read).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => return Ok(e.into_response()),
        Err(_) => return Ok(ApiError::RequestTimeout.into_response()),
    };
    let header = parts.headers.get(AUTHORIZATION).map(|h| h.as_bytes());
    Ok(guarded(&state, "report", || {
        report_now(&state, header, &body)
    }))
}
