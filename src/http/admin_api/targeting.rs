//! A release's targeting (SPEC §10): `PUT /v1/admin/releases/{id}/targeting`.

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
use crate::model::{RawTargeting, Targeting};
use crate::workflow::Command;

/// Set a release's targeting (developer, admin; production).
///
/// All rules must hold for a client to be in the grayscale share; an absent attribute
/// fails its rule. Free in `new_version_created`; fixed under review; after approval an
/// admin may only remove whole rules, the others unchanged (`targeting_locked`
/// otherwise). `{"rules":[]}` removes every rule.
#[utoipa::path(put, path = "/v1/admin/releases/{id}/targeting", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(4)), IfMatch),
    request_body(content = RawTargeting, example = json!({"rules": [
        {"attribute": "os", "op": "in", "values": ["android", "harmonyos"]},
        {"attribute": "app_version", "op": "version_gte", "value": "10.2"}]})),
    responses(
        (status = 200, description = "The release with its targeting", body = ReleaseView),
        (status = 400, description = "`invalid_body` (the message names the rule and field), `invalid_parameter`, `bad_request` (`If-Match`, path not UTF-8)", body = ErrorBody),
        (status = 403, description = "`forbidden`: after approval only an admin may", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
        (status = 409, description = "`action_not_allowed`, `production_only`, `targeting_locked`", body = ErrorBody),
    ))]
pub async fn put_targeting(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<Targeting>,
) -> ApiResult {
    let id = release_id(&id)?;
    let targeting: Targeting = body.parse()?;
    let cmd = Command::SetTargeting(Some(Arc::new(targeting)).filter(|t| !t.is_empty()));
    act(&s, &actor, id, &headers, cmd).await
}
