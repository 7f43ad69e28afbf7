//! Admin API handlers (SPEC §4): parse, call one control-plane method, map the result.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::AdminState;
use super::auth::Authenticated;
use super::body::Body;
use super::error::ApiError;
use crate::control::{CreateRelease, ReleaseCommand, ReleaseFilter, ReleaseView};
use crate::model::{
    AppId, Env, EnvPolicyInput, InvalidValue, MiniProgramId, Percentage, Status, UserId, Version,
};
use crate::release::{
    MiniProgramVersion, ReleaseConfig, ReleaseId, TestGroup, check_package_url, check_sha256,
};
use crate::workflow::GoLive;

type ApiResult = Result<Response, ApiError>;

fn query<T: DeserializeOwned>(raw: Option<String>) -> Result<T, ApiError> {
    super::query::typed(raw.as_deref())
}

fn release_id(raw: &str) -> Result<ReleaseId, ApiError> {
    raw.parse()
        .map_err(|_| InvalidValue::new("id", "must be a release number").into())
}

/// A release with its revision as ETag, for `If-Match` on the next write.
fn release_response(view: ReleaseView, status: axum::http::StatusCode) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", view.revision)).ok();
    let mut response = (status, Json(view)).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// `If-Match: "7"` (or `7`, `W/"7"`); `*` matches anything.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || ApiError::BadRequest("If-Match must be a release revision such as \"7\"".into());
    let text = value.to_str().map_err(|_| bad())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse().map(Some).map_err(|_| bad())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutAppBody {
    environments: BTreeMap<Env, EnvPolicyInput>,
}

pub async fn put_app(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(app): Path<String>,
    body: Body<PutAppBody>,
) -> ApiResult {
    let app = AppId::parse(&app)?;
    let body = body.parse()?;
    Ok(Json(s.control.put_app(&actor, app, body.environments).await?).into_response())
}

pub async fn list_apps(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
) -> ApiResult {
    Ok(Json(s.control.apps(&actor).await?).into_response())
}

pub async fn get_app(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(app): Path<String>,
) -> ApiResult {
    Ok(Json(s.control.app(&actor, &AppId::parse(&app)?).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddVersionBody {
    version: Version,
    package_url: String,
    #[serde(default)]
    sha256: Option<String>,
}

pub async fn add_version(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(mp): Path<String>,
    body: Body<AddVersionBody>,
) -> ApiResult {
    let mini_program = MiniProgramId::parse(&mp)?;
    let body = body.parse()?;
    check_package_url(&body.package_url)?;
    if let Some(d) = &body.sha256 {
        check_sha256(d)?;
    }
    let version = MiniProgramVersion {
        mini_program,
        version: body.version,
        package_url: body.package_url,
        sha256: body.sha256.map(|d| d.to_ascii_lowercase()),
        created_by: actor.name.clone(),
        created_at: crate::model::now_millis(),
        revision: 0,
    };
    let view = s.control.add_version(&actor, version).await?;
    Ok((axum::http::StatusCode::CREATED, Json(view)).into_response())
}

pub async fn list_versions(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(mp): Path<String>,
) -> ApiResult {
    Ok(Json(
        s.control
            .versions(&actor, &MiniProgramId::parse(&mp)?)
            .await?,
    )
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateReleaseBody {
    mini_program: MiniProgramId,
    version: Version,
    app: AppId,
    env: Env,
    #[serde(default)]
    config: Option<ReleaseConfig>,
    #[serde(default)]
    test_group: Option<Vec<String>>,
}

pub async fn create_release(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    body: Body<CreateReleaseBody>,
) -> ApiResult {
    let b = body.parse()?;
    let test_group = b.test_group.map(|ids| TestGroup::parse(&ids)).transpose()?;
    let req = CreateRelease {
        mini_program: b.mini_program,
        version: b.version,
        app: b.app,
        env: b.env,
        config: b.config.unwrap_or_default(),
        test_group: test_group.map(Arc::new),
    };
    let view = s.control.create_release(&actor, req).await?;
    Ok(release_response(view, axum::http::StatusCode::CREATED))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    mini_program: Option<String>,
    app: Option<String>,
    env: Option<String>,
    status: Option<String>,
}

pub async fn list_releases(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let q: ListQuery = query(raw)?;
    let filter = ReleaseFilter {
        mini_program: q
            .mini_program
            .as_deref()
            .map(MiniProgramId::parse)
            .transpose()?,
        app: q.app.as_deref().map(AppId::parse).transpose()?,
        env: q.env.as_deref().map(str::parse::<Env>).transpose()?,
        status: q.status.as_deref().map(str::parse::<Status>).transpose()?,
    };
    Ok(Json(s.control.releases(&actor, &filter).await?).into_response())
}

pub async fn get_release(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    let view = s.control.release(&actor, release_id(&id)?).await?;
    Ok(release_response(view, axum::http::StatusCode::OK))
}

pub async fn history(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(s.control.history(&actor, release_id(&id)?).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoLiveBody {
    #[serde(rename = "type")]
    kind: GoLiveKind,
    #[serde(default)]
    percentage: Option<f64>,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum GoLiveKind {
    Grayscale,
    Full,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

fn go_live(body: &Body<serde_json::Value>) -> Result<GoLive, ApiError> {
    let b: GoLiveBody = body.parse_as()?;
    match (b.kind, b.percentage) {
        (GoLiveKind::Full, None) => Ok(GoLive::Full),
        (GoLiveKind::Full, Some(_)) => Err(ApiError::BadJson(
            "a full go-live takes no percentage".into(),
        )),
        (GoLiveKind::Grayscale, None) => {
            Err(InvalidValue::new("percentage", "required for a grayscale go-live").into())
        }
        (GoLiveKind::Grayscale, Some(p)) => {
            let p = Percentage::from_percent(p)?;
            if p == Percentage::ZERO || p == Percentage::FULL {
                return Err(InvalidValue::new(
                    "percentage",
                    "must be above 0 and below 100; use {\"type\":\"full\"} for 100",
                )
                .into());
            }
            Ok(GoLive::Grayscale(p))
        }
    }
}

fn reject_reason(body: &Body<serde_json::Value>) -> Result<String, ApiError> {
    let b: RejectBody = body.parse_as()?;
    let reason = b.reason.trim();
    if reason.is_empty() || reason.len() > 4096 {
        return Err(
            InvalidValue::new("reason", "a rejection needs a reason of 1 to 4096 bytes").into(),
        );
    }
    Ok(reason.to_string())
}

pub async fn action(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body<serde_json::Value>,
) -> ApiResult {
    let id = release_id(&id)?;
    let cmd = match action.as_str() {
        "apply" => ReleaseCommand::Apply,
        "withdraw" => ReleaseCommand::Withdraw,
        "approve" => ReleaseCommand::Approve,
        "reject" => ReleaseCommand::Reject {
            reason: reject_reason(&body)?,
        },
        "complete_testing" => ReleaseCommand::CompleteTesting,
        "go_live" => ReleaseCommand::GoLive(go_live(&body)?),
        "cancel" => ReleaseCommand::Cancel,
        _ => return Err(ApiError::NoRoute),
    };
    let view = s.control.act(&actor, id, cmd, if_match(&headers)?).await?;
    Ok(release_response(view, axum::http::StatusCode::OK))
}

pub async fn put_config(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<ReleaseConfig>,
) -> ApiResult {
    let id = release_id(&id)?;
    let cmd = ReleaseCommand::EditConfig(body.parse()?);
    let view = s.control.act(&actor, id, cmd, if_match(&headers)?).await?;
    Ok(release_response(view, axum::http::StatusCode::OK))
}

/// A test group upload: `{"test_group":[…]}` or a bare JSON array of user ids.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum TestGroupBody {
    Wrapped { test_group: Vec<String> },
    Bare(Vec<String>),
}

pub async fn put_test_group(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body<TestGroupBody>,
) -> ApiResult {
    let id = release_id(&id)?;
    let ids = match body.parse()? {
        TestGroupBody::Wrapped { test_group } | TestGroupBody::Bare(test_group) => test_group,
    };
    let group = TestGroup::parse(&ids)?;
    let cmd = ReleaseCommand::SetTestGroup(Arc::new(group));
    let view = s.control.act(&actor, id, cmd, if_match(&headers)?).await?;
    Ok(release_response(view, axum::http::StatusCode::OK))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainQuery {
    app: String,
    env: String,
    mini_program: String,
    user: String,
}

pub async fn explain(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    if !crate::workflow::permits(actor.role, crate::workflow::Operation::Read) {
        return Err(crate::control::ControlError::Forbidden { role: actor.role }.into());
    }
    let q: ExplainQuery = query(raw)?;
    let app = AppId::parse(&q.app)?;
    let env: Env = q.env.parse()?;
    let mp = MiniProgramId::parse(&q.mini_program)?;
    let user = UserId::parse(&q.user)?;
    let snapshot = s.snapshot.load();
    let explanation = snapshot.explain(app.as_str(), env, mp.as_str(), user.as_str());
    Ok(Json(explanation).into_response())
}
