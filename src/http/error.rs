//! The one place where errors become HTTP responses:
//! `{"error":{"code":"snake_case_code","message":"human text", …}}` with the right status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::control::ControlError;
use crate::model::InvalidValue;
use crate::store::StoreError;
use crate::workflow::{RefusalReason, WorkflowError};

/// Every error an HTTP handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Control(#[from] ControlError),
    /// A parameter or body field failed validation.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// The body is not the JSON this endpoint takes.
    #[error("request body is not valid: {0}")]
    BadJson(String),
    /// A required query parameter is missing or a header is malformed.
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or invalid bearer token")]
    Unauthorized,
    #[error("request body is too large")]
    PayloadTooLarge,
    #[error("no route for this path")]
    NoRoute,
    #[error("method not allowed on this path")]
    MethodNotAllowed,
    /// Nothing is released to this user for the mini program (SPEC §3 step 4).
    #[error("no release of this mini program serves this user")]
    NotReleased,
    #[error("the request took too long")]
    RequestTimeout,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// Status, code and any extra fields; every variant decided here.
    fn parts(&self) -> (StatusCode, &'static str, Option<Value>) {
        match self {
            ApiError::Control(e) => control_parts(e),
            ApiError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_parameter", None),
            ApiError::BadJson(_) => (StatusCode::BAD_REQUEST, "invalid_body", None),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", None),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", None),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, "no_route", None),
            ApiError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None)
            }
            ApiError::NotReleased => (StatusCode::NOT_FOUND, "not_released", None),
            ApiError::RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "request_timeout", None),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", None),
        }
    }
}

fn control_parts(e: &ControlError) -> (StatusCode, &'static str, Option<Value>) {
    use StatusCode as S;
    match e {
        ControlError::Invalid(_) => (S::BAD_REQUEST, "invalid_parameter", None),
        ControlError::Workflow(w) => workflow_parts(w),
        ControlError::Forbidden { role } => {
            (S::FORBIDDEN, "forbidden", Some(json!({ "role": role })))
        }
        ControlError::ReleaseNotFound => (S::NOT_FOUND, "release_not_found", None),
        ControlError::AppNotFound => (S::NOT_FOUND, "app_not_found", None),
        ControlError::VersionNotFound => (S::NOT_FOUND, "version_not_found", None),
        ControlError::VersionExists => (S::CONFLICT, "version_exists", None),
        ControlError::EnvironmentInUse(_) => (S::CONFLICT, "environment_in_use", None),
        ControlError::PreconditionFailed { current, .. } => (
            S::PRECONDITION_FAILED,
            "revision_mismatch",
            Some(json!({ "revision": current })),
        ),
        ControlError::Store(StoreError::Unavailable(_) | StoreError::Conflict { .. }) => {
            (S::SERVICE_UNAVAILABLE, "store_unavailable", None)
        }
        ControlError::Store(StoreError::Corrupt(_)) => {
            (S::INTERNAL_SERVER_ERROR, "store_corrupt", None)
        }
    }
}

fn workflow_parts(e: &WorkflowError) -> (StatusCode, &'static str, Option<Value>) {
    use StatusCode as S;
    match e {
        WorkflowError::Forbidden { role, action } => (
            S::FORBIDDEN,
            "forbidden",
            Some(json!({ "role": role, "action": action })),
        ),
        WorkflowError::SelfApproval => (S::FORBIDDEN, "self_approval", None),
        WorkflowError::AlreadyReleased(id) => (
            S::CONFLICT,
            "already_released",
            Some(json!({ "release_id": id })),
        ),
        WorkflowError::EnvironmentNotConfigured(env) => (
            S::NOT_FOUND,
            "environment_not_configured",
            Some(json!({ "env": env })),
        ),
        WorkflowError::Refused(r) => {
            let mut extra = json!({ "status": r.status, "allowed_actions": r.allowed });
            let code = match &r.reason {
                RefusalReason::WrongStatus => "action_not_allowed",
                RefusalReason::AnotherInFlight(id) => {
                    extra["in_flight_release_id"] = json!(id);
                    "another_release_in_flight"
                }
                RefusalReason::PilotTestingNotSupported => "pilot_testing_not_supported",
                RefusalReason::ProductionOnly => "production_only",
                RefusalReason::PercentageNotIncreasing { current, .. } => {
                    extra["percentage"] = json!(current);
                    "percentage_not_increasing"
                }
            };
            (S::CONFLICT, code, Some(extra))
        }
    }
}

/// The human message: what went wrong and, for refusals, why.
fn message(e: &ApiError) -> String {
    match e {
        ApiError::Control(ControlError::Workflow(WorkflowError::Refused(r))) => {
            let why = match &r.reason {
                RefusalReason::WrongStatus => format!("not possible in status {}", r.status),
                RefusalReason::AnotherInFlight(id) => {
                    format!("release {id} of the same mini program and target is in flight")
                }
                RefusalReason::PilotTestingNotSupported => {
                    "the release target does not support pilot testing".into()
                }
                RefusalReason::ProductionOnly => "go-live exists only in production".into(),
                RefusalReason::PercentageNotIncreasing { current, requested } => format!(
                    "percentage must be above the current {current} and below 100 (got {requested}); roll back with cancel"
                ),
            };
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, extra) = self.parts();
        let mut error = json!({ "code": code, "message": message(&self) });
        if let (Some(Value::Object(extra)), Value::Object(obj)) = (extra, &mut error) {
            obj.extend(extra);
        }
        let body = json!({ "error": error }).to_string();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}
