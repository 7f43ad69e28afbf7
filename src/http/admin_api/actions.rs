//! The workflow actions on an existing release (SPEC §2): `POST
//! /v1/admin/releases/{id}/{action}`, and replacing its config or test group. Each takes
//! `If-Match` and answers the release with its revision as `ETag`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use utoipa::ToSchema;

use super::{ApiResult, ReleaseView, if_match, release_id, release_response};
use crate::http::AdminState;
use crate::http::auth::Authenticated;
use crate::http::body::Body;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::openapi::IfMatch;
use crate::http::params::Path;
use crate::model::{
    Action, Actor, GrayscalePercentage, Reason, ReleaseConfig, ReleaseId, TestGroupUpload,
    UploadVisitor, UserId,
};
use crate::workflow::{Command, GoLive};

/// `go_live`: `{"type":"grayscale","percentage":p}` (0 < p < 100, above the current
/// percentage, at most 4 decimals), `{"type":"full"}`, or `{"type":"plan"}` (start the
/// pending plan).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum GoLiveBody {
    Grayscale { percentage: GrayscalePercentage },
    // A struct variant: serde lets a unit variant of a tagged enum ignore other fields,
    // and `{"type":"full","percentage":50}` must be refused.
    Full {},
    Plan {},
}

impl From<GoLiveBody> for GoLive {
    fn from(b: GoLiveBody) -> GoLive {
        match b {
            GoLiveBody::Grayscale { percentage } => GoLive::Grayscale(percentage.get()),
            GoLiveBody::Full {} => GoLive::Full,
            GoLiveBody::Plan {} => GoLive::Plan,
        }
    }
}

/// One of the two shapes `go_live` accepts (a derived schema could not say that
/// `percentage` goes with `grayscale` only).
impl utoipa::PartialSchema for GoLiveBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Type};
        let kind = |k: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([k]))
        };
        let percentage = ObjectBuilder::new()
            .schema_type(Type::Number)
            .description(Some(
                "Above the current percentage and below 100, at most 4 decimals",
            ))
            .minimum(Some(0.0001))
            .maximum(Some(99.9999));
        let grayscale = ObjectBuilder::new()
            .property("type", kind("grayscale"))
            .required("type")
            .property("percentage", percentage)
            .required("percentage")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        let bare = |k: &str| {
            ObjectBuilder::new()
                .property("type", kind(k))
                .required("type")
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        OneOfBuilder::new()
            .item(grayscale)
            .item(bare("full"))
            .item(bare("plan"))
            .description(Some(
                "`{\"type\":\"grayscale\",\"percentage\":p}` scales the grayscale up; \
                 `{\"type\":\"full\"}` goes to full release; `{\"type\":\"plan\"}` \
                 starts the release's pending plan with its first step above the current \
                 percentage.",
            ))
            .into()
    }
}

impl ToSchema for GoLiveBody {}

/// `reject` (why the application is sent back), `take_offline` and `rollback` (why, for
/// the history and the reviewer; SPEC §11).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    reason: Reason,
}

/// The body of `POST /v1/admin/releases/{id}/{action}`: `go_live`, `reject`,
/// `take_offline` and `rollback` take one, the other actions ignore it.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // a schema only: the handler parses the body per action
pub enum ActionBody {
    GoLive(GoLiveBody),
    Reason(ReasonBody),
}

/// The path segment of `POST /v1/admin/releases/{id}/{action}`: the actions that
/// [`Action::is_posted`] admits, so the schema cannot drift from what the route takes.
pub struct PostAction;

impl utoipa::PartialSchema for PostAction {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Action::posted().map(Action::as_str)))
            .into()
    }
}

impl ToSchema for PostAction {}

/// The command a posted action asks for, with its body parsed. Actions that take no
/// body accept none or a JSON object (ignored), as the OpenAPI description says.
fn posted_command(action: Action, body: &Body<serde_json::Value>) -> Result<Command, ApiError> {
    let takes_body = matches!(
        action,
        Action::Reject | Action::GoLive | Action::TakeOffline | Action::Rollback
    );
    if !takes_body && !body.is_empty() {
        body.parse_as::<serde_json::Map<String, serde_json::Value>>()?;
    }
    Ok(match action {
        Action::Apply => Command::Apply,
        Action::Withdraw => Command::Withdraw,
        Action::Approve => Command::Approve,
        Action::Reject => Command::Reject(body.parse_as::<ReasonBody>()?.reason),
        Action::CompleteTesting => Command::CompleteTesting,
        Action::GoLive => Command::GoLive(body.parse_as::<GoLiveBody>()?.into()),
        Action::Cancel => Command::Cancel,
        Action::Pause => Command::Pause,
        Action::Resume => Command::Resume,
        Action::TakeOffline => Command::TakeOffline(body.parse_as::<ReasonBody>()?.reason),
        Action::Rollback => Command::Rollback(body.parse_as::<ReasonBody>()?.reason),
        Action::Create
        | Action::EditConfig
        | Action::SetTestGroup
        | Action::SetPlan
        | Action::RemovePlan
        | Action::SetGuard
        | Action::RemoveGuard
        | Action::SetTargeting
        | Action::Halt
        | Action::WaitForData
        | Action::Archive
        | Action::Restore => {
            return Err(ApiError::UnknownAction(action.as_str().into()));
        }
    })
}

/// Perform a workflow action on a release (SPEC §2, §11).
///
/// `apply`, `withdraw`, `take_offline` (developer, admin); `approve`, `reject`
/// (reviewer, never the one who applied or asked to take offline); `complete_testing`,
/// `go_live`, `cancel`, `rollback`, and the plan's `pause` and `resume` (admin).
/// `reject`, `take_offline` and `rollback` need `{"reason"}` (1 to 1,000 characters).
/// `take_offline` goes to `offline_review` where approval is manual, else `offline`;
/// `rollback` restores the full release this one archived (`predecessor`) in the same
/// step. An action the status does not allow answers 409 with the release's `status` and
/// `allowed_actions`.
#[utoipa::path(post, path = "/v1/admin/releases/{id}/{action}", tag = "admin",
    security(("bearer" = [])),
    params(
        ("id" = u64, Path, description = "The release id", example = json!(3)),
        ("action" = inline(PostAction), Path, description = "The workflow action", example = json!("withdraw")), IfMatch,
    ),
    request_body(content = Option<ActionBody>, description = "`go_live` and `reject` only"),
    responses(
        (status = 200, description = "The release after the action", body = ReleaseView),
        (status = 400, description = "`invalid_parameter`, `invalid_body`, `bad_request` (`If-Match`, path not UTF-8)", body = ErrorBody),
        (status = 403, description = "`forbidden`, `self_approval`", body = ErrorBody),
        (status = 404, description = "`release_not_found`, `no_route` (unknown action: the message lists the valid ones)", body = ErrorBody),
        (status = 409, description = "`action_not_allowed`, `another_release_in_flight`, `pilot_testing_not_supported`, `production_only`, `percentage_not_increasing`, `no_plan`, `plan_not_pending`, `plan_has_no_step_above`, `plan_not_running`, `plan_not_paused`, `nothing_to_restore`", body = ErrorBody),
    ))]
pub async fn action(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body<serde_json::Value>,
) -> ApiResult {
    let id = release_id(&id)?;
    let action = Action::from_path(&action).ok_or(ApiError::UnknownAction(action))?;
    let cmd = posted_command(action, &body)?;
    act(&s, &actor, id, &headers, cmd).await
}

/// Performs `cmd` on release `id` and answers the release with its revision as ETag.
pub(super) async fn act(
    s: &AdminState,
    actor: &Actor,
    id: ReleaseId,
    headers: &HeaderMap,
    cmd: Command,
) -> ApiResult {
    let info = s.control.act(actor, id, cmd, if_match(headers)?).await?;
    Ok(release_response(info, axum::http::StatusCode::OK))
}

/// Replace a release's config (developer, admin; status `new_version_created`).
#[utoipa::path(put, path = "/v1/admin/releases/{id}/config", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(5)), IfMatch),
    request_body = ReleaseConfig,
    responses(
        (status = 200, description = "The release with its new config", body = ReleaseView),
        (status = 400, description = "`invalid_parameter`, `invalid_body`, `bad_request` (`If-Match`, path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
        (status = 409, description = "`action_not_allowed`", body = ErrorBody),
    ))]
pub async fn put_config(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<ReleaseConfig>,
) -> ApiResult {
    let id = release_id(&id)?;
    let cmd = Command::EditConfig(Arc::new(body.parse()?));
    act(&s, &actor, id, &headers, cmd).await
}

/// A test group upload: `{"test_group":[…]}` or a bare JSON array of user ids. The schema
/// only: the body is read by [`TestGroupPut`], straight into the compact group.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)] // for the schema's `oneOf`
#[allow(dead_code)] // a schema only
pub enum TestGroupBody {
    Wrapped {
        #[schema(value_type = Vec<UserId>)]
        test_group: Vec<String>,
    },
    #[schema(value_type = Vec<UserId>)]
    Bare(Vec<String>),
}

/// Replace a release's pilot test group (developer, admin).
///
/// Allowed in `new_version_created` and `pilot_testing` where the target supports pilot
/// testing. Up to 1,000,000 distinct user ids; this route takes bodies up to
/// `limits.max_test_group_bytes` (64 MiB by default).
#[utoipa::path(put, path = "/v1/admin/releases/{id}/test-group", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(5)), IfMatch),
    request_body = TestGroupBody,
    responses(
        (status = 200, description = "The release with its new group size", body = ReleaseView),
        (status = 400, description = "`invalid_parameter`, `invalid_body`, `bad_request` (`If-Match`, path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
        (status = 409, description = "`action_not_allowed`, `pilot_testing_not_supported`", body = ErrorBody),
    ))]
pub async fn put_test_group(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<TestGroupPut>,
) -> ApiResult {
    let id = release_id(&id)?;
    let TestGroupPut(TestGroupUpload(group)) = body.parse_any()?;
    let cmd = Command::SetTestGroup(Arc::new(group?));
    act(&s, &actor, id, &headers, cmd).await
}

/// Reads [`TestGroupBody`] in one pass: a bare array, or an object whose `test_group` is
/// the array (other keys are ignored, as they always were).
pub struct TestGroupPut(TestGroupUpload);

impl<'de> Deserialize<'de> for TestGroupPut {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TestGroupPutVisitor)
    }
}

struct TestGroupPutVisitor;

impl<'de> Visitor<'de> for TestGroupPutVisitor {
    type Value = TestGroupPut;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(r#"{"test_group":[…]} or an array of user ids"#)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TestGroupPut, A::Error> {
        UploadVisitor.visit_seq(seq).map(TestGroupPut)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TestGroupPut, A::Error> {
        let mut group = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key != "test_group" {
                map.next_value::<IgnoredAny>()?;
            } else if group.is_some() {
                return Err(de::Error::duplicate_field("test_group"));
            } else {
                group = Some(map.next_value::<TestGroupUpload>()?);
            }
        }
        group
            .map(TestGroupPut)
            .ok_or_else(|| de::Error::missing_field("test_group"))
    }
}
