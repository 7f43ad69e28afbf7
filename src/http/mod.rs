//! The two listeners of SPEC §4. The client router (resolve, health) depends only on the
//! snapshot cell and the health flags; the admin router (admin API, health) on the
//! control plane. Routers are plain values so tests can drive them without a socket.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

use crate::config::LimitsConfig;
use crate::control::Control;
use crate::health::Health;
use crate::metrics::Metrics;
use crate::snapshot::SnapshotCell;

pub mod admin_api;
pub mod auth;
mod body;
pub mod client_api;
mod drain;
pub mod error;
pub mod listener;
mod query;

use auth::Auth;
use error::ApiError;

/// What client handlers may see: the snapshot and health, nothing of the control plane.
#[derive(Clone)]
pub struct ClientState {
    pub snapshot: Arc<SnapshotCell>,
    pub health: Arc<Health>,
    pub max_batch: usize,
    pub metrics: Metrics,
}

/// What admin handlers see.
#[derive(Clone)]
pub struct AdminState {
    pub control: Arc<Control>,
    pub auth: Arc<Auth>,
    pub snapshot: Arc<SnapshotCell>,
    pub health: Arc<Health>,
    pub metrics: Metrics,
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

/// `GET /metrics`: the Prometheus text exposition format.
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
    s.metrics.admin_request(&route, response.status().as_u16());
    response
}

async fn healthz() -> Response {
    axum::Json(serde_json::json!({ "status": "alive" })).into_response()
}

fn readiness(health: &Health, snapshot: &SnapshotCell) -> Response {
    axum::Json(health.readiness(snapshot.load().revision())).into_response()
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
    let panics = metrics.panics.clone();
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

pub fn client_router(state: ClientState, limits: &LimitsConfig) -> Router {
    let metrics = state.metrics.clone();
    let router = Router::new()
        .route(
            "/v1/resolve",
            get(client_api::resolve).post(client_api::resolve_batch),
        )
        .route("/healthz", get(healthz))
        .route(
            "/readyz",
            get(|State(s): State<ClientState>| async move { readiness(&s.health, &s.snapshot) }),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(256 * 1024))
        .with_state(state);
    harden(router, limits, &metrics)
}

pub fn admin_router(state: AdminState, limits: &LimitsConfig) -> Router {
    use admin_api as a;
    let test_group =
        put(a::put_test_group).layer(DefaultBodyLimit::max(limits.max_test_group_bytes));
    let metrics = state.metrics.clone();
    let router = Router::new()
        .route("/v1/admin/apps", get(a::list_apps))
        .route("/v1/admin/apps/{app}", get(a::get_app).put(a::put_app))
        .route(
            "/v1/admin/mini-programs/{mp}/versions",
            get(a::list_versions).post(a::add_version),
        )
        .route(
            "/v1/admin/releases",
            get(a::list_releases).post(a::create_release),
        )
        .route("/v1/admin/releases/{id}", get(a::get_release))
        .route("/v1/admin/releases/{id}/history", get(a::history))
        .route("/v1/admin/releases/{id}/config", put(a::put_config))
        .route("/v1/admin/releases/{id}/test-group", test_group)
        .route("/v1/admin/releases/{id}/{action}", post(a::action))
        .route("/v1/admin/explain", get(a::explain))
        .route("/metrics", get(render_metrics))
        .route("/healthz", get(healthz))
        .route(
            "/readyz",
            get(|State(s): State<AdminState>| async move { readiness(&s.health, &s.snapshot) }),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_admin_requests,
        ))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .with_state(state);
    harden(router, limits, &metrics)
}
