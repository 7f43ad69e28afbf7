//! Who may call which admin endpoint: one table, enforced before any handler runs and
//! read by the role × endpoint test. An admin route missing from the table is refused to
//! everybody, so a new route cannot open up by omission. The control plane checks the
//! same permissions again (`workflow::permits`), as a second line.

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AdminState;
use super::error::ApiError;
use crate::control::ControlError;
use crate::model::Action;
use crate::workflow::{Operation, actor_permits};

/// What an endpoint requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token: health, metrics, the API description and the console's files.
    Public,
    /// A token whose role permits the operation.
    Requires(Operation),
    /// `POST /v1/admin/releases/{id}/{action}`: the operation is the action in the path.
    ReleaseAction,
}

/// One admin endpoint: method, route template (as registered) and what it requires.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

const fn endpoint(method: &'static str, path: &'static str, access: Access) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
    }
}

use Access::{Public, ReleaseAction, Requires};
use Operation::{AddVersion, PutApp, Read, Suspend};

/// Every route of the admin listener.
pub const ADMIN_ENDPOINTS: &[Endpoint] = &[
    endpoint("GET", "/v1/admin/apps", Requires(Read)),
    endpoint("GET", "/v1/admin/apps/{app}", Requires(Read)),
    endpoint("PUT", "/v1/admin/apps/{app}", Requires(PutApp)),
    endpoint("GET", "/v1/admin/apps/{app}/suspensions", Requires(Read)),
    endpoint(
        "PUT",
        "/v1/admin/apps/{app}/suspensions/{mini_program}",
        Requires(Suspend),
    ),
    endpoint(
        "DELETE",
        "/v1/admin/apps/{app}/suspensions/{mini_program}",
        Requires(Suspend),
    ),
    endpoint(
        "GET",
        "/v1/admin/apps/{app}/suspensions/{mini_program}/history",
        Requires(Read),
    ),
    endpoint(
        "GET",
        "/v1/admin/mini-programs/{mp}/versions",
        Requires(Read),
    ),
    endpoint(
        "POST",
        "/v1/admin/mini-programs/{mp}/versions",
        Requires(AddVersion),
    ),
    endpoint("GET", "/v1/admin/releases", Requires(Read)),
    endpoint(
        "POST",
        "/v1/admin/releases",
        Requires(Operation::Release(Action::Create)),
    ),
    endpoint("GET", "/v1/admin/releases/{id}", Requires(Read)),
    endpoint("GET", "/v1/admin/releases/{id}/history", Requires(Read)),
    endpoint(
        "PUT",
        "/v1/admin/releases/{id}/config",
        Requires(Operation::Release(Action::EditConfig)),
    ),
    endpoint(
        "PUT",
        "/v1/admin/releases/{id}/test-group",
        Requires(Operation::Release(Action::SetTestGroup)),
    ),
    endpoint(
        "PUT",
        "/v1/admin/releases/{id}/plan",
        Requires(Operation::Release(Action::SetPlan)),
    ),
    endpoint(
        "DELETE",
        "/v1/admin/releases/{id}/plan",
        Requires(Operation::Release(Action::RemovePlan)),
    ),
    endpoint(
        "PUT",
        "/v1/admin/releases/{id}/guard",
        Requires(Operation::Release(Action::SetGuard)),
    ),
    endpoint(
        "DELETE",
        "/v1/admin/releases/{id}/guard",
        Requires(Operation::Release(Action::RemoveGuard)),
    ),
    endpoint("GET", "/v1/admin/releases/{id}/health", Requires(Read)),
    endpoint("GET", "/v1/admin/releases/{id}/served", Requires(Read)),
    endpoint(
        "PUT",
        "/v1/admin/releases/{id}/targeting",
        Requires(Operation::Release(Action::SetTargeting)),
    ),
    endpoint("POST", "/v1/admin/releases/{id}/{action}", ReleaseAction),
    endpoint("GET", "/v1/admin/explain", Requires(Read)),
    endpoint("GET", "/v1/admin/whoami", Requires(Read)),
    endpoint("GET", "/metrics", Public),
    // The console's files; its API calls carry the operator's token.
    endpoint("GET", "/console", Public),
    endpoint("GET", "/console/", Public),
    endpoint("GET", "/console/{file}", Public),
    endpoint("GET", "/openapi.json", Public),
    endpoint("GET", "/healthz", Public),
    endpoint("GET", "/readyz", Public),
];

/// The actions `POST /v1/admin/releases/{id}/{action}` takes, by their path spelling.
pub fn path_action(segment: &str) -> Option<Action> {
    Action::from_path(segment)
}

/// The table entry of a request, by method and matched route template.
pub fn lookup(method: &str, route: &str) -> Option<&'static Endpoint> {
    ADMIN_ENDPOINTS
        .iter()
        .find(|e| e.method == method && e.path == route)
}

/// A refusal sent before the request's body was read. The connection cannot carry
/// another request until that body is consumed, and reading it for a caller who may not
/// make the request is work an attacker chooses, so the connection closes and says so:
/// a keep-alive client then opens a new one instead of sending into a closing socket.
fn unread(req: &Request, mut response: Response) -> Response {
    let headers = req.headers();
    let has_body = headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .is_some_and(|n| n.as_bytes() != b"0");
    if has_body {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Authenticates and authorizes an admin request by [`ADMIN_ENDPOINTS`]; the actor is
/// left in the request extensions for the handler.
pub async fn authorize(State(s): State<AdminState>, mut req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let Some(endpoint) = route
        .as_deref()
        .and_then(|r| lookup(req.method().as_str(), r))
    else {
        // Another method on a listed route is the router's 405; an unlisted route is a gap
        // in the table, refused until it is listed.
        if route
            .as_deref()
            .is_some_and(|r| ADMIN_ENDPOINTS.iter().any(|e| e.path == r))
        {
            return next.run(req).await;
        }
        tracing::error!(route = ?route, method = %req.method(), "admin route missing from the access table");
        return unread(&req, ApiError::NoRoute.into_response());
    };
    let operation = match endpoint.access {
        Public => return next.run(req).await,
        Requires(op) => op,
        // An unknown action is the handler's 404, for any authenticated caller.
        ReleaseAction => {
            let action = req.uri().path().rsplit('/').next().and_then(path_action);
            action.map_or(Read, Operation::Release)
        }
    };
    let header = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    let actor = match s.auth.authenticate(header) {
        Ok(actor) => actor,
        Err(e) => {
            s.metrics.admin.auth_failures.inc();
            return unread(&req, e.into_response());
        }
    };
    if !actor_permits(&actor, operation) {
        let role = actor.role();
        return unread(
            &req,
            ApiError::Control(ControlError::Forbidden { role }).into_response(),
        );
    }
    req.extensions_mut().insert(actor);
    next.run(req).await
}
