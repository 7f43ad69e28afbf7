//! Suspensions by the super app (SPEC §11): `PUT` / `DELETE
//! /v1/admin/apps/{app}/suspensions/{mini_program}` (reviewer), the list of those in force
//! and each mini program's recorded events (every role). Parse, call one control-plane
//! method, map the result.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiResult;
use crate::control::{Lifted, SuspensionInfo};
use crate::http::AdminState;
use crate::http::auth::Authenticated;
use crate::http::body::Body;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::json::Json;
use crate::http::params::Path;
use crate::model::{AppId, MiniProgramId, Reason, SuspensionAction, SuspensionEvent, rfc3339};

/// Why the super app stops the mini program.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "payment fraud reported; stop it until reviewed"}))]
pub struct SuspendBody {
    reason: Reason,
}

/// A suspension in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuspensionView {
    #[schema(value_type = MiniProgramId)]
    pub mini_program: String,
    #[schema(value_type = Reason)]
    pub reason: String,
    /// The name of the reviewer's token that suspended it.
    pub by: String,
    /// RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub at: String,
    /// The revision the suspension was committed at.
    pub revision: u64,
}

impl From<SuspensionInfo> for SuspensionView {
    fn from(s: SuspensionInfo) -> SuspensionView {
        SuspensionView {
            mini_program: s.mini_program.to_string(),
            reason: s.suspension.reason.to_string(),
            by: s.suspension.by,
            at: rfc3339(s.suspension.at),
            revision: s.suspension.revision,
        }
    }
}

/// The suspensions in force in one target app.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuspensionList {
    pub suspensions: Vec<SuspensionView>,
}

/// A lifted suspension: what was in force, and who lifted it when.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiftedView {
    /// The suspension as it was in force.
    pub lifted: SuspensionView,
    /// The name of the reviewer's token that lifted it.
    pub by: String,
    /// RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub at: String,
    /// The revision the lift was committed at.
    pub revision: u64,
}

/// One recorded suspend or lift.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuspensionEventView {
    pub revision: u64,
    /// RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub at: String,
    /// The name of the token that acted.
    pub actor: String,
    pub action: SuspensionAction,
    /// The suspension's reason; for `unsuspend`, that of the suspension lifted.
    #[schema(value_type = Reason)]
    pub reason: String,
}

impl From<SuspensionEvent> for SuspensionEventView {
    fn from(e: SuspensionEvent) -> SuspensionEventView {
        SuspensionEventView {
            revision: e.revision,
            at: rfc3339(e.at),
            actor: e.actor,
            action: e.action,
            reason: e.reason.to_string(),
        }
    }
}

fn ids(app: &str, mp: &str) -> Result<(AppId, MiniProgramId), ApiError> {
    Ok((AppId::parse(app)?, MiniProgramId::parse(mp)?))
}

/// Suspend a mini program in every environment of a target app (reviewer).
///
/// Resolve then answers 404 `suspended` for it in each environment of the app, and a
/// batch resolve `null`, whatever its releases' statuses; the releases keep their status
/// and history. The mini program must have an uploaded version.
#[utoipa::path(put, path = "/v1/admin/apps/{app}/suspensions/{mini_program}", tag = "admin",
    security(("bearer" = [])),
    params(
        ("app" = AppId, Path, description = "The target app id", example = json!("superapp-a")),
        ("mini_program" = MiniProgramId, Path, description = "The mini program id", example = json!("mp-coupons")),
    ),
    request_body = SuspendBody,
    responses(
        (status = 201, description = "The suspension in force", body = SuspensionView),
        (status = 400, description = "`invalid_parameter` (ids), `invalid_body` (reason missing, empty or over 1,000 characters; unknown field), `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`app_not_found`, `mini_program_not_found` (no uploaded version)", body = ErrorBody),
        (status = 409, description = "`already_suspended`", body = ErrorBody),
    ))]
pub async fn suspend(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path((app, mp)): Path<(String, String)>,
    body: Body<SuspendBody>,
) -> ApiResult {
    let (app, mp) = ids(&app, &mp)?;
    let body = body.parse()?;
    let info = s.control.suspend(&actor, &app, &mp, &body.reason).await?;
    Ok((StatusCode::CREATED, Json(SuspensionView::from(info))).into_response())
}

/// Lift a mini program's suspension in a target app (reviewer).
///
/// What its releases serve is served again at once.
#[utoipa::path(delete, path = "/v1/admin/apps/{app}/suspensions/{mini_program}", tag = "admin",
    security(("bearer" = [])),
    params(
        ("app" = AppId, Path, description = "The target app id", example = json!("superapp-a")),
        ("mini_program" = MiniProgramId, Path, description = "The mini program id", example = json!("mp-coupons")),
    ),
    responses(
        (status = 200, description = "The suspension lifted, and the lift", body = LiftedView),
        (status = 400, description = "`invalid_parameter` (ids), `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`app_not_found`, `mini_program_not_found`, `not_suspended`", body = ErrorBody),
    ))]
pub async fn unsuspend(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path((app, mp)): Path<(String, String)>,
) -> ApiResult {
    let (app, mp) = ids(&app, &mp)?;
    let Lifted { lifted, event } = s.control.unsuspend(&actor, &app, &mp).await?;
    let view = LiftedView {
        lifted: SuspensionView::from(lifted),
        by: event.actor,
        at: rfc3339(event.at),
        revision: event.revision,
    };
    Ok(Json(view).into_response())
}

/// The suspensions in force in a target app.
#[utoipa::path(get, path = "/v1/admin/apps/{app}/suspensions", tag = "admin",
    security(("bearer" = [])),
    params(("app" = AppId, Path, description = "The target app id", example = json!("superapp-a"))),
    responses(
        (status = 200, description = "The suspensions in force, by mini program", body = SuspensionList),
        (status = 400, description = "`invalid_parameter` (not an app id), `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`app_not_found`", body = ErrorBody),
    ))]
pub async fn list(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(app): Path<String>,
) -> ApiResult {
    let list = s.control.suspensions(&actor, &AppId::parse(&app)?).await?;
    let suspensions = list.into_iter().map(SuspensionView::from).collect();
    Ok(Json(SuspensionList { suspensions }).into_response())
}

/// Every suspend and lift of a mini program in a target app, oldest first.
#[utoipa::path(get, path = "/v1/admin/apps/{app}/suspensions/{mini_program}/history", tag = "admin",
    security(("bearer" = [])),
    params(
        ("app" = AppId, Path, description = "The target app id", example = json!("superapp-a")),
        ("mini_program" = MiniProgramId, Path, description = "The mini program id", example = json!("mp-coupons")),
    ),
    responses(
        (status = 200, description = "The recorded events (empty if it was never suspended)", body = Vec<SuspensionEventView>),
        (status = 400, description = "`invalid_parameter` (ids), `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`app_not_found`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
    ))]
pub async fn history(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path((app, mp)): Path<(String, String)>,
) -> ApiResult {
    let (app, mp) = ids(&app, &mp)?;
    let events = s.control.suspension_history(&actor, &app, &mp).await?;
    let events: Vec<_> = events.into_iter().map(SuspensionEventView::from).collect();
    Ok(Json(events).into_response())
}
