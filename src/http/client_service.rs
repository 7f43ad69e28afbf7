//! The client listener's connection service. `GET /v1/resolve` is answered right here,
//! synchronously, without the router and its middleware (the request has no body to
//! wait for, so neither the request deadline nor body draining applies); everything else
//! goes through the router. Both paths call the same `client_api::resolve_now`.

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};

use axum::Router;
use axum::http::{Method, Request};
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready};
use hyper::body::Incoming;
use hyper_util::service::{TowerToHyperService, TowerToHyperServiceFuture};

use super::ClientState;
use super::client_api::resolve_now;
use super::error::ApiError;

#[derive(Clone)]
pub struct ClientService {
    state: ClientState,
    router: TowerToHyperService<Router>,
}

impl ClientService {
    pub fn new(state: ClientState, router: Router) -> ClientService {
        ClientService {
            state,
            router: TowerToHyperService::new(router),
        }
    }
}

type Routed = TowerToHyperServiceFuture<Router, Request<Incoming>>;

impl hyper::service::Service<Request<Incoming>> for ClientService {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, Routed>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        if req.method() != Method::GET || req.uri().path() != "/v1/resolve" {
            return Either::Right(self.router.call(req));
        }
        let answer = catch_unwind(AssertUnwindSafe(|| {
            resolve_now(&self.state, req.uri(), req.headers())
        }));
        Either::Left(ready(Ok(answer.unwrap_or_else(|_| {
            self.state.metrics.admin.panics.inc();
            tracing::error!("resolve panicked; answered 500");
            ApiError::Internal.into_response()
        }))))
    }
}
