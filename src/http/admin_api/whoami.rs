//! `GET /v1/admin/whoami`: the name and role a bearer token stands for, and the release
//! actions that role may perform, so a client (the operator console) can show who is
//! logged in and offer only what that role may do, from the one permission table.

use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiResult;
use crate::http::auth::Authenticated;
use crate::http::json::Json;
use crate::model::{Action, Role};
use crate::workflow::{Operation, permits};

/// A token's identity as configured in `[[auth.tokens]]`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhoamiView {
    /// The token's name, which history records as the actor.
    #[schema(example = "ops-alice")]
    pub name: String,
    pub role: Role,
    /// The release actions this role may perform where the workflow allows them (a
    /// release's `allowed_actions` says what it allows now).
    pub actions: Vec<Action>,
}

/// Who the bearer token is: its name, role and the release actions the role may perform.
///
/// Every valid token may ask.
#[utoipa::path(get, path = "/v1/admin/whoami", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "The token's name and role", body = WhoamiView)))]
pub async fn whoami(Authenticated(actor): Authenticated) -> ApiResult {
    // Only people hold tokens; the system actors never reach a handler.
    let role = actor.role().unwrap_or(Role::Viewer);
    let actions = Action::ALL
        .into_iter()
        .filter(|&a| permits(role, Operation::Release(a)))
        .collect();
    let view = WhoamiView {
        name: actor.name().to_owned(),
        role,
        actions,
    };
    Ok(Json(view).into_response())
}
