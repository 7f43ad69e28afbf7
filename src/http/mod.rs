//! The two listeners of SPEC §4. The client router (resolve, health) depends only on the
//! snapshot cell and the health flags; the admin router (admin API, health) on the
//! control plane. Routers are plain values so tests can drive them without a socket.
//!
//! Every route is registered through `utoipa-axum`'s `routes!`, which takes the handler's
//! `#[utoipa::path]` operation along: [`client_routes`] and [`admin_routes`] are both the
//! routing tables and the source of the OpenAPI description ([`openapi`]).

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::Router;
use axum::extract::{FromRef, State};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::config::LimitsConfig;
use crate::control::Control;
use crate::health::{Health, LiveStatus, Liveness, Readiness};
use crate::metrics::Metrics;
use crate::snapshot::SnapshotCell;

pub mod access;
pub mod admin_api;
mod attributes;
pub mod auth;
mod body;
pub mod client_api;
pub mod client_service;
pub mod console;
mod drain;
pub mod error;
mod json;
pub mod listener;
pub mod openapi;
mod params;
pub(crate) mod query;
pub mod report;

use auth::Auth;
pub use client_api::ClientState;
use error::ApiError;
use json::Json;

/// What admin handlers see.
#[derive(Clone)]
pub struct AdminState {
    pub control: Arc<Control>,
    pub auth: Arc<Auth>,
    pub snapshot: Arc<SnapshotCell>,
    pub health: Arc<Health>,
    pub metrics: Metrics,
    /// The served split over time, for `GET /v1/admin/releases/{id}/served`.
    pub served: Arc<crate::served_history::ServedHistory>,
}

impl FromRef<AdminState> for Arc<Auth> {
    fn from_ref(s: &AdminState) -> Arc<Auth> {
        Arc::clone(&s.auth)
    }
}

impl FromRef<AdminState> for Metrics {
    fn from_ref(s: &AdminState) -> Metrics {
        s.metrics.clone()
    }
}

/// What `/readyz` reads, on either listener.
#[derive(Clone)]
struct Probe {
    health: Arc<Health>,
    snapshot: Arc<SnapshotCell>,
}

impl FromRef<ClientState> for Probe {
    fn from_ref(s: &ClientState) -> Probe {
        Probe {
            health: Arc::clone(&s.health),
            snapshot: Arc::clone(&s.snapshot),
        }
    }
}

impl FromRef<AdminState> for Probe {
    fn from_ref(s: &AdminState) -> Probe {
        Probe {
            health: Arc::clone(&s.health),
            snapshot: Arc::clone(&s.snapshot),
        }
    }
}

/// Prometheus metrics.
///
/// The Prometheus text exposition format (SPEC §6). No token needed: keep the admin
/// listener on a private network.
#[utoipa::path(get, path = "/metrics", tag = "admin",
    responses((status = 200, description = "Every `graygate_` series and the process metrics",
        content_type = "text/plain; version=0.0.4; charset=utf-8", body = String)))]
async fn render_metrics(State(s): State<AdminState>) -> Response {
    let content_type = [(
        axum::http::header::CONTENT_TYPE,
        "text/plain; version=0.0.4; charset=utf-8",
    )];
    (content_type, s.metrics.render()).into_response()
}

/// Counts every admin request by matched route and status.
async fn count_admin_requests(
    State(s): State<AdminState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(
            || crate::metrics::OTHER.to_string(),
            |p| p.as_str().to_string(),
        );
    let response = next.run(req).await;
    s.metrics.admin_request(&route, response.status().as_str());
    response
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Alive", body = Liveness)))]
async fn healthz() -> Json<Liveness> {
    Json(Liveness {
        status: LiveStatus::Alive,
    })
}

/// Readiness: the node has a snapshot; `degraded` while its store is unreachable.
///
/// Always 200 once the node listens: a degraded node keeps serving resolves from its last
/// good snapshot.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "Ready or degraded", body = Readiness)))]
async fn readyz(State(p): State<Probe>) -> Json<Readiness> {
    Json(p.health.readiness(p.snapshot.load().revision()))
}

async fn no_route() -> ApiError {
    ApiError::NoRoute
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Answers 408 (JSON) when a request, body upload included, outlives its deadline.
async fn deadline(
    State(limit): State<Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::RequestTimeout.into_response(),
    }
}

/// Layers every router gets: a request deadline, and a panic in one request answers
/// 500 (and is counted) instead of tearing down the connection.
fn harden(router: Router, limits: &LimitsConfig, metrics: &Metrics) -> Router {
    let panics = metrics.admin.panics.clone();
    let on_panic = move |_: Box<dyn std::any::Any + Send>| {
        panics.inc();
        tracing::error!("a request handler panicked; answered 500");
        ApiError::Internal.into_response()
    };
    let limit = Duration::from_secs_f64(limits.request_timeout_seconds);
    router
        .layer(axum::middleware::from_fn(drain::read_small_bodies))
        .layer(axum::middleware::from_fn_with_state(limit, deadline))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
}

/// The largest request body the client listener takes (batch resolves, reports).
pub const CLIENT_BODY_LIMIT: usize = 256 * 1024;

/// The client listener's routes, each with its OpenAPI operation.
pub fn client_routes() -> OpenApiRouter<ClientState> {
    OpenApiRouter::default()
        .routes(routes!(client_api::resolve, client_api::resolve_batch))
        .routes(routes!(report::report))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// The admin listener's routes, each with its OpenAPI operation.
pub fn admin_routes(limits: &LimitsConfig) -> OpenApiRouter<AdminState> {
    use admin_api as a;
    // Creating a release takes its test group too, so it gets the test-group limit.
    let test_group_limit = Extension(body::Limit(limits.max_test_group_bytes));
    OpenApiRouter::default()
        .routes(routes!(a::list_apps))
        .routes(routes!(a::get_app, a::put_app))
        .routes(routes!(a::list_versions, a::add_version))
        .routes(routes!(a::list_releases, a::create_release).layer(test_group_limit))
        .routes(routes!(a::get_release))
        .routes(routes!(a::history))
        .routes(routes!(a::actions::put_config))
        .routes(routes!(a::actions::put_test_group).layer(test_group_limit))
        .routes(routes!(a::plan::put_plan, a::plan::delete_plan))
        .routes(routes!(a::guard::put_guard, a::guard::delete_guard))
        .routes(routes!(a::guard::health))
        .routes(routes!(a::served::served))
        .routes(routes!(a::targeting::put_targeting))
        .routes(routes!(a::suspension::list))
        .routes(routes!(a::suspension::suspend, a::suspension::unsuspend))
        .routes(routes!(a::suspension::history))
        .routes(routes!(a::actions::action))
        .routes(routes!(a::explain))
        .routes(routes!(a::whoami::whoami))
        .routes(routes!(render_metrics))
        .routes(routes!(console::redirect))
        .routes(routes!(console::index))
        .routes(routes!(console::file))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

pub fn client_router(state: ClientState, limits: &LimitsConfig) -> Router {
    let metrics = state.metrics.clone();
    let router = Router::from(client_routes())
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(body::Limit(CLIENT_BODY_LIMIT)))
        .with_state(state);
    harden(router, limits, &metrics)
}

pub fn admin_router(state: AdminState, limits: &LimitsConfig) -> Router {
    let metrics = state.metrics.clone();
    let router = Router::from(admin_routes(limits))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::authorize,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_admin_requests,
        ))
        .layer(Extension(body::Limit(limits.max_body_bytes)))
        .with_state(state);
    harden(router, limits, &metrics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    fn hardened(route: axum::routing::MethodRouter) -> (Router, Metrics) {
        let metrics = Metrics::new();
        let limits = LimitsConfig {
            request_timeout_seconds: 0.2,
            ..LimitsConfig::default()
        };
        (
            harden(Router::new().route("/x", route), &limits, &metrics),
            metrics,
        )
    }

    async fn answer(router: Router) -> (StatusCode, String) {
        let req = Request::get("/x").body(Body::empty()).unwrap_or_default();
        let response = router.oneshot(req).await.unwrap_or_else(|e| match e {});
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&body).into())
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_is_counted() {
        #[allow(clippy::panic)]
        async fn boom() -> &'static str {
            panic!("handler bug")
        }
        let (router, metrics) = hardened(get(boom));
        let (status, body) = answer(router).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("\"code\":\"internal\""), "{body}");
        assert_eq!(metrics.admin.panics.get(), 1);
    }

    #[tokio::test]
    async fn a_request_past_its_deadline_answers_408() {
        async fn slow() -> &'static str {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }
        let (router, _) = hardened(get(slow));
        let (status, body) = answer(router).await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert!(body.contains("request_timeout"), "{body}");
    }
}
