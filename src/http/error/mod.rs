//! The one place where errors become HTTP responses:
//! `{"error":{"code":"snake_case_code","message":"human text", …}}` with the right status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::control::ControlError;
use crate::model::{Action, Env, InvalidValue, Percentage, ReleaseId, Role, Status};
use crate::store::StoreError;
use crate::workflow::WorkflowError;

mod refusal;

/// The `code` of an error response, in API spelling. Every code the gateway answers
/// with is a variant here, so the OpenAPI description lists exactly these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidParameter,
    InvalidBody,
    BadRequest,
    Unauthorized,
    PayloadTooLarge,
    NoRoute,
    MethodNotAllowed,
    NotReleased,
    Suspended,
    RequestTimeout,
    Internal,
    Forbidden,
    ReleaseNotFound,
    AppNotFound,
    VersionNotFound,
    VersionExists,
    EnvironmentInUse,
    RevisionMismatch,
    StoreUnavailable,
    StoreCorrupt,
    SelfApproval,
    AlreadyReleased,
    EnvironmentNotConfigured,
    ActionNotAllowed,
    AnotherReleaseInFlight,
    PilotTestingNotSupported,
    ProductionOnly,
    PercentageNotIncreasing,
    NoPlan,
    PlanActive,
    PlanNotPending,
    PlanHasNoStepAbove,
    PlanNotRunning,
    PlanNotPaused,
    PlanStepNotDue,
    NoGuard,
    GuardNotApplicable,
    TargetingLocked,
    NothingToRestore,
    MiniProgramNotFound,
    AlreadySuspended,
    NotSuspended,
}

use ErrorCode as Code;

/// The body of every error response: `{"error":{"code","message",…}}`. Describes what
/// [`ApiError::into_response`] writes; the OpenAPI description refers to it.
#[derive(ToSchema)]
#[allow(dead_code)] // a schema only: responses are written from `ApiError`
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong: a code, a human message and, for some codes, facts to act on.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)] // every extra field is listed here: `additionalProperties: false`
#[allow(dead_code)] // a schema only
pub struct ErrorDetail {
    code: ErrorCode,
    message: String,
    /// `forbidden`: the caller's role.
    #[schema(nullable = false)]
    role: Option<Role>,
    /// `forbidden`: the action the role may not perform.
    #[schema(nullable = false)]
    action: Option<Action>,
    /// `already_released`: the release the version already has in this target.
    #[schema(nullable = false, value_type = Option<u64>)]
    release_id: Option<ReleaseId>,
    /// `environment_not_configured`: the missing environment.
    #[schema(nullable = false)]
    env: Option<Env>,
    /// Refused actions (409): the release's current status.
    #[schema(nullable = false)]
    status: Option<Status>,
    /// Refused actions (409): the actions allowed now.
    #[schema(nullable = false)]
    allowed_actions: Option<Vec<Action>>,
    /// `another_release_in_flight`: the release in flight.
    #[schema(nullable = false, value_type = Option<u64>)]
    in_flight_release_id: Option<ReleaseId>,
    /// `percentage_not_increasing`: the current percentage.
    #[schema(nullable = false)]
    percentage: Option<Percentage>,
    /// `revision_mismatch` (412): the release's current revision.
    #[schema(nullable = false)]
    revision: Option<u64>,
}

/// A request that cannot be read as the endpoint's input, on either listener.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The body is not the JSON this endpoint takes.
    #[error("request body is not valid: {0}")]
    BadJson(String),
    /// A required query parameter is missing or a header is malformed.
    #[error("{0}")]
    BadRequest(String),
    #[error("request body is too large")]
    PayloadTooLarge,
}

/// Every error the client API answers with: an unreadable request, an invalid value,
/// a miss, and a report without its app's token. It names nothing of the control plane,
/// so the hot path depends on none of it.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A parameter or body field failed validation.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// Nothing is released to this user for the mini program (SPEC §3 step 4).
    #[error("no release of this mini program serves this user")]
    NotReleased,
    /// The super app suspended the mini program in this app (SPEC §11).
    #[error("this mini program is suspended by the super app")]
    Suspended,
    /// A report for an app with a report token without that token (SPEC §9).
    #[error("this app's reports need its report token: Authorization: Bearer <token>")]
    Unauthorized,
}

/// Every error an HTTP handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A parameter or body field failed validation.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error("missing or invalid bearer token")]
    Unauthorized,
    #[error("no route for this path")]
    NoRoute,
    /// `POST /v1/admin/releases/{id}/{action}` with an action that is not posted.
    #[error("unknown action {0:?}; the actions are {list}", list = posted_actions())]
    UnknownAction(String),
    #[error("method not allowed on this path")]
    MethodNotAllowed,
    #[error("the request took too long")]
    RequestTimeout,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// Status, code and any extra fields; every variant decided here.
    fn parts(&self) -> (StatusCode, ErrorCode, Option<Value>) {
        match self {
            ApiError::Client(e) => client_parts(e),
            ApiError::Control(e) => control_parts(e),
            ApiError::Request(e) => request_parts(e),
            ApiError::Invalid(_) => (StatusCode::BAD_REQUEST, Code::InvalidParameter, None),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, Code::Unauthorized, None),
            ApiError::NoRoute | ApiError::UnknownAction(_) => {
                (StatusCode::NOT_FOUND, Code::NoRoute, None)
            }
            ApiError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, Code::MethodNotAllowed, None)
            }
            ApiError::RequestTimeout => (StatusCode::REQUEST_TIMEOUT, Code::RequestTimeout, None),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, Code::Internal, None),
        }
    }
}

/// `apply, withdraw, …`: what `POST /v1/admin/releases/{id}/{action}` takes.
fn posted_actions() -> String {
    Action::posted()
        .map(Action::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn request_parts(e: &RequestError) -> (StatusCode, ErrorCode, Option<Value>) {
    match e {
        RequestError::BadJson(_) => (StatusCode::BAD_REQUEST, Code::InvalidBody, None),
        RequestError::BadRequest(_) => (StatusCode::BAD_REQUEST, Code::BadRequest, None),
        RequestError::PayloadTooLarge => {
            (StatusCode::PAYLOAD_TOO_LARGE, Code::PayloadTooLarge, None)
        }
    }
}

fn client_parts(e: &ClientError) -> (StatusCode, ErrorCode, Option<Value>) {
    match e {
        ClientError::Request(e) => request_parts(e),
        ClientError::Invalid(_) => (StatusCode::BAD_REQUEST, Code::InvalidParameter, None),
        ClientError::NotReleased => (StatusCode::NOT_FOUND, Code::NotReleased, None),
        ClientError::Suspended => (StatusCode::NOT_FOUND, Code::Suspended, None),
        ClientError::Unauthorized => (StatusCode::UNAUTHORIZED, Code::Unauthorized, None),
    }
}

fn control_parts(e: &ControlError) -> (StatusCode, ErrorCode, Option<Value>) {
    use StatusCode as S;
    match e {
        ControlError::Invalid(_) => (S::BAD_REQUEST, Code::InvalidParameter, None),
        ControlError::Workflow(w) => workflow_parts(w),
        ControlError::Forbidden { role } => {
            (S::FORBIDDEN, Code::Forbidden, Some(json!({ "role": role })))
        }
        ControlError::ReleaseNotFound => (S::NOT_FOUND, Code::ReleaseNotFound, None),
        ControlError::AppNotFound => (S::NOT_FOUND, Code::AppNotFound, None),
        ControlError::VersionNotFound => (S::NOT_FOUND, Code::VersionNotFound, None),
        ControlError::VersionExists => (S::CONFLICT, Code::VersionExists, None),
        ControlError::MiniProgramNotFound => (S::NOT_FOUND, Code::MiniProgramNotFound, None),
        ControlError::AlreadySuspended => (S::CONFLICT, Code::AlreadySuspended, None),
        ControlError::NotSuspended => (S::NOT_FOUND, Code::NotSuspended, None),
        ControlError::EnvironmentInUse(_) => (S::CONFLICT, Code::EnvironmentInUse, None),
        ControlError::PreconditionFailed { current, .. } => (
            S::PRECONDITION_FAILED,
            Code::RevisionMismatch,
            Some(json!({ "revision": current })),
        ),
        ControlError::Store(
            StoreError::Unavailable(_) | StoreError::Conflict { .. } | StoreError::Stale { .. },
        ) => (S::SERVICE_UNAVAILABLE, Code::StoreUnavailable, None),
        ControlError::Store(StoreError::Corrupt(_)) => {
            (S::INTERNAL_SERVER_ERROR, Code::StoreCorrupt, None)
        }
    }
}

fn workflow_parts(e: &WorkflowError) -> (StatusCode, ErrorCode, Option<Value>) {
    use StatusCode as S;
    match e {
        WorkflowError::Forbidden { role, action } => (
            S::FORBIDDEN,
            Code::Forbidden,
            Some(json!({ "role": role, "action": action })),
        ),
        WorkflowError::NotTheSystemsJob { action, .. } => (
            S::FORBIDDEN,
            Code::Forbidden,
            Some(json!({ "action": action })),
        ),
        WorkflowError::SelfApproval => (S::FORBIDDEN, Code::SelfApproval, None),
        WorkflowError::AlreadyReleased(id) => (
            S::CONFLICT,
            Code::AlreadyReleased,
            Some(json!({ "release_id": id })),
        ),
        WorkflowError::EnvironmentNotConfigured(env) => (
            S::NOT_FOUND,
            Code::EnvironmentNotConfigured,
            Some(json!({ "env": env })),
        ),
        WorkflowError::Refused(r) => {
            let mut extra = json!({ "status": r.status, "allowed_actions": r.allowed });
            let code = refusal::code(&r.reason, &mut extra);
            (S::CONFLICT, code, Some(extra))
        }
    }
}

/// The human message: what went wrong and, for refusals, why.
fn message(e: &ApiError) -> String {
    match e {
        ApiError::Control(ControlError::Workflow(WorkflowError::Refused(r))) => {
            let why = refusal::message(r);
            format!("{} refused: {why}", r.action)
        }
        // Store details may name hosts or paths: log them, do not send them.
        ApiError::Control(ControlError::Store(s)) => {
            tracing::warn!(error = %s, "store error answered to a client");
            match s {
                StoreError::Corrupt(_) => "the store holds unreadable data".into(),
                _ => "the store is unavailable; nothing was changed, retry later".into(),
            }
        }
        other => other.to_string(),
    }
}

impl IntoResponse for ClientError {
    fn into_response(self) -> Response {
        ApiError::Client(self).into_response()
    }
}

impl IntoResponse for RequestError {
    fn into_response(self) -> Response {
        ApiError::Request(self).into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, extra) = self.parts();
        let mut error = json!({ "code": code, "message": message(&self) });
        if let (Some(Value::Object(extra)), Value::Object(obj)) = (extra, &mut error) {
            obj.extend(extra);
        }
        let mut body = json!({ "error": error }).to_string();
        body.push('\n');
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

#[cfg(test)]
mod tests;
