//! A release's guard and health (SPEC §9): `PUT` and `DELETE
//! /v1/admin/releases/{id}/guard`, and `GET /v1/admin/releases/{id}/health`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::actions::act;
use super::{ApiResult, ReleaseView, release_id};
use crate::control::ReleaseHealth;
use crate::guard::Counts;
use crate::http::AdminState;
use crate::http::auth::Authenticated;
use crate::http::body::Body;
use crate::http::error::ErrorBody;
use crate::http::json::Json;
use crate::http::openapi::IfMatch;
use crate::http::params::Path;
use crate::model::{Guard, OnRegression, RawGuard, ReleaseId, rfc3339};
use crate::workflow::Command;

/// Set or replace a release's guard (admin; production).
///
/// Allowed in `new_version_created`, `pilot_testing`, `release_preparation` and
/// `grayscale_release`. Every node evaluates it every `[guard] interval_seconds` while
/// the release is in `grayscale_release`; a guarded plan steps only when it finds the
/// release healthy.
#[utoipa::path(put, path = "/v1/admin/releases/{id}/guard", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(4)), IfMatch),
    request_body = RawGuard,
    responses(
        (status = 200, description = "The release with its guard", body = ReleaseView),
        (status = 400, description = "`invalid_body` (the message names the field), `invalid_parameter`, `bad_request` (`If-Match`, path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
        (status = 409, description = "`action_not_allowed`, `production_only`", body = ErrorBody),
    ))]
pub async fn put_guard(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<Guard>,
) -> ApiResult {
    let id = release_id(&id)?;
    let cmd = Command::SetGuard(body.parse()?);
    act(&s, &actor, id, &headers, cmd).await
}

/// Remove a release's guard (admin), under the same conditions as setting it.
#[utoipa::path(delete, path = "/v1/admin/releases/{id}/guard", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(4)), IfMatch),
    responses(
        (status = 200, description = "The release without a guard", body = ReleaseView),
        (status = 400, description = "`invalid_parameter`, `bad_request` (`If-Match`, path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
        (status = 409, description = "`action_not_allowed`, `production_only`, `no_guard`", body = ErrorBody),
    ))]
pub async fn delete_guard(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let id = release_id(&id)?;
    act(&s, &actor, id, &headers, Command::RemoveGuard).await
}

/// A release's client health reports and its guard's decision on them.
///
/// Live for reports this node took, cluster-wide within the flush interval (1 s); also
/// after the release left grayscale (its final counts). Without a guard the counts are
/// shown and the decision, difference and parameters are null.
#[utoipa::path(get, path = "/v1/admin/releases/{id}/health", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(4))),
    responses(
        (status = 200, description = "The counts and the decision", body = HealthView),
        (status = 400, description = "`invalid_parameter`, `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the counts could not be read", body = ErrorBody),
    ))]
pub async fn health(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    let health = s.control.release_health(&actor, release_id(&id)?).await?;
    Ok(Json(HealthView::from(health)).into_response())
}

/// One arm's reports and its error rate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArmView {
    pub ok: u64,
    pub error: u64,
    /// `error / (ok + error)`; 0 without reports.
    pub error_rate: f64,
}

impl From<Counts> for ArmView {
    fn from(c: Counts) -> ArmView {
        ArmView {
            ok: c.ok,
            error: c.error,
            error_rate: c.error_rate(),
        }
    }
}

/// Pilot reports are shown, not judged.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PilotView {
    pub ok: u64,
    pub error: u64,
}

/// `candidate − control` error rate: the estimate and the confidence sequence's bounds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DifferenceView {
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
}

/// A release's health (SPEC §9). Every key is present, null where there is no guard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthView {
    #[schema(value_type = u64)]
    pub release_id: ReleaseId,
    /// `insufficient_data`, `healthy` or `regression`; null without a guard.
    #[schema(value_type = Option<String>, example = "healthy")]
    pub decision: Option<&'static str>,
    /// The in-flight release's `grayscale`-channel reports.
    pub candidate: ArmView,
    /// The full release's `full`-channel reports since this release entered grayscale.
    pub control: ArmView,
    pub pilot: PilotView,
    pub difference: Option<DifferenceView>,
    pub max_error_rate_increase: Option<f64>,
    pub confidence: Option<f64>,
    pub min_samples: Option<u64>,
    pub on_regression: Option<OnRegression>,
    /// When the counts were read. RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub as_of: String,
}

impl From<ReleaseHealth> for HealthView {
    fn from(h: ReleaseHealth) -> HealthView {
        let spec = h.guard.map(|g| g.spec);
        HealthView {
            release_id: h.release_id,
            decision: h.finding.map(|f| f.decision().as_str()),
            candidate: h.counts.candidate.into(),
            control: h.counts.control.into(),
            pilot: PilotView {
                ok: h.counts.pilot.ok,
                error: h.counts.pilot.error,
            },
            difference: h.finding.map(|f| DifferenceView {
                estimate: f.assessment.estimate,
                lower: f.assessment.lower,
                upper: f.assessment.upper,
            }),
            max_error_rate_increase: spec.map(|s| s.max_error_rate_increase()),
            confidence: spec.map(|s| s.confidence()),
            min_samples: spec.map(|s| s.min_samples()),
            on_regression: h.guard.map(|g| g.on_regression),
            as_of: rfc3339(h.as_of),
        }
    }
}
