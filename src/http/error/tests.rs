//! The error map: documented fields, messages.
use super::*;
use crate::workflow::{Refusal, RefusalReason};

fn body(e: ApiError) -> Value {
    let response = e.into_response();
    let bytes = futures_util::FutureExt::now_or_never(axum::body::to_bytes(
        response.into_body(),
        usize::MAX,
    ));
    let bytes = bytes.and_then(Result::ok).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_default()
}

fn refused(reason: RefusalReason) -> ApiError {
    let refusal = Refusal {
        action: Action::GoLive,
        status: Status::GrayscaleRelease,
        allowed: vec![Action::GoLive, Action::Cancel],
        reason,
    };
    ControlError::Workflow(WorkflowError::Refused(refusal)).into()
}

/// Every field an error body carries is a property of the documented `ErrorDetail`
/// (which forbids others), so the description cannot miss one.
#[test]
fn error_fields_are_documented() {
    let schema = serde_json::to_value(<ErrorDetail as utoipa::PartialSchema>::schema());
    let schema = schema.unwrap_or_default();
    let documented = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert_eq!(schema["additionalProperties"], Value::Bool(false));
    let errors: Vec<ApiError> = vec![
        ControlError::Forbidden {
            role: Some(Role::Viewer),
        }
        .into(),
        ControlError::Workflow(WorkflowError::Forbidden {
            role: Role::Developer,
            action: Action::Approve,
        })
        .into(),
        ControlError::Workflow(WorkflowError::AlreadyReleased(3)).into(),
        ControlError::Workflow(WorkflowError::EnvironmentNotConfigured(Env::Sandbox)).into(),
        ControlError::PreconditionFailed {
            expected: 1,
            current: 2,
        }
        .into(),
        refused(RefusalReason::WrongStatus),
        refused(RefusalReason::AnotherInFlight(4)),
        refused(RefusalReason::PercentageNotIncreasing {
            current: Percentage::FULL,
            requested: Percentage::ZERO,
        }),
        ClientError::NotReleased.into(),
        ApiError::UnknownAction("golive".into()),
    ];
    for e in errors {
        let what = format!("{e:?}");
        let body = body(e);
        let fields = body["error"].as_object().cloned().unwrap_or_default();
        assert!(
            fields.contains_key("code") && fields.contains_key("message"),
            "{what}"
        );
        for key in fields.keys() {
            assert!(
                documented.contains_key(key),
                "{what}: {key} is not documented"
            );
        }
    }
}

#[test]
fn an_unknown_action_names_the_valid_ones() {
    let b = body(ApiError::UnknownAction("golive".into()));
    assert_eq!(b["error"]["code"], "no_route");
    let message = b["error"]["message"].as_str().unwrap_or_default();
    for action in [
        "apply",
        "withdraw",
        "approve",
        "reject",
        "complete_testing",
        "go_live",
        "cancel",
    ] {
        assert!(message.contains(action), "{message}");
    }
    assert!(message.contains("\"golive\""), "{message}");
}
