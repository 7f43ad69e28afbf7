//! `GET /v1/admin/whoami`: the name and role a bearer token stands for, so a client
//! (the operator console) can show who is logged in and offer only what that role may do.

use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiResult;
use crate::http::auth::Authenticated;
use crate::http::json::Json;
use crate::model::Role;

/// A token's identity as configured in `[[auth.tokens]]`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhoamiView {
    /// The token's name, which history records as the actor.
    #[schema(example = "ops-alice")]
    pub name: String,
    pub role: Role,
}

/// Who the bearer token is: its name and role. Every valid token may ask.
#[utoipa::path(get, path = "/v1/admin/whoami", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "The token's name and role", body = WhoamiView)))]
pub async fn whoami(Authenticated(actor): Authenticated) -> ApiResult {
    // Only people hold tokens; the system actors never reach a handler.
    let role = actor.role().unwrap_or(Role::Viewer);
    let view = WhoamiView {
        name: actor.name().to_owned(),
        role,
    };
    Ok(Json(view).into_response())
}
