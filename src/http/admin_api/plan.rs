//! A release's rollout plan (SPEC §8): `PUT` and `DELETE /v1/admin/releases/{id}/plan`.
//! Starting, pausing and resuming a plan are posted actions (`actions`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;

use super::actions::act;
use super::{ApiResult, ReleaseView, release_id};
use crate::http::AdminState;
use crate::http::auth::Authenticated;
use crate::http::body::Body;
use crate::http::error::ErrorBody;
use crate::http::openapi::IfMatch;
use crate::http::params::Path;
use crate::model::{PlanSpec, RawPlan};
use crate::workflow::Command;

/// Set or replace a release's rollout plan (admin; production).
///
/// Allowed in `new_version_created`, `pilot_testing`, `release_preparation` and
/// `grayscale_release` while the plan is not `running`, `waiting_for_data` or `paused`.
/// The plan starts `pending`; `go_live {"type":"plan"}` starts it.
#[utoipa::path(put, path = "/v1/admin/releases/{id}/plan", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(4)), IfMatch),
    request_body(content = RawPlan, example = json!({
        "steps": [{"percentage": 1, "hold": "30m"}, {"percentage": 5, "hold": "2h"}, {"full": true}],
        "window": {"timezone": "Asia/Shanghai", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "10:00", "to": "17:00"}
    })),
    responses(
        (status = 200, description = "The release with its pending plan", body = ReleaseView),
        (status = 400, description = "`invalid_body` (the message names the field), `invalid_parameter`, `bad_request` (`If-Match`, path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
        (status = 409, description = "`action_not_allowed`, `production_only`, `plan_active`", body = ErrorBody),
    ))]
pub async fn put_plan(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<PlanSpec>,
) -> ApiResult {
    let id = release_id(&id)?;
    let cmd = Command::SetPlan(Arc::new(body.parse()?));
    act(&s, &actor, id, &headers, cmd).await
}

/// Remove a release's rollout plan (admin), under the same conditions as setting it.
#[utoipa::path(delete, path = "/v1/admin/releases/{id}/plan", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(4)), IfMatch),
    responses(
        (status = 200, description = "The release without a plan", body = ReleaseView),
        (status = 400, description = "`invalid_parameter`, `bad_request` (`If-Match`, path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
        (status = 409, description = "`action_not_allowed`, `production_only`, `no_plan`, `plan_active`", body = ErrorBody),
    ))]
pub async fn delete_plan(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let id = release_id(&id)?;
    act(&s, &actor, id, &headers, Command::RemovePlan).await
}
