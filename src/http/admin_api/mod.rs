//! Admin API handlers (SPEC §4): parse, call one control-plane method, map the result.
//! Target apps, versions, creating and reading releases, and explain are here; the
//! workflow actions on an existing release are in [`actions`].

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::AdminState;
use super::attributes::AttributeBuf;
use super::auth::Authenticated;
use super::body::Body;
use super::error::{ApiError, ErrorBody};
use super::json::Json;
use super::openapi::IfMatch;
use super::params::Path;
use crate::control::{AppInput, CreateRelease, ReleaseFilter};
use crate::model::{
    AppId, Env, EnvPolicyInput, MiniProgramId, MiniProgramVersion, PackageUrl, ReleaseConfig,
    Sha256, Status, TestGroupUpload, TokenSha256, UserId, Version,
};
use crate::snapshot::{Explanation, Subject};

pub mod actions;
pub mod guard;
pub mod plan;
mod request;
pub mod served;
pub mod suspension;
pub mod targeting;
mod view;
pub mod whoami;

use request::{if_match, query, release_id, release_response};

pub use view::{AppView, HistoryView, PlanView, ReleaseView, VersionView};

type ApiResult = Result<Response, ApiError>;

/// A target app's environments and their policies. `production` is required;
/// environments left out are removed (409 `environment_in_use` while they have releases).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutAppBody {
    #[schema(example = json!({"production": {"pilot_testing": true}, "sandbox": {"approval": "manual"}}))]
    environments: BTreeMap<Env, EnvPolicyInput>,
    /// SHA-256 of the token the app's clients must send with `POST /v1/report`
    /// (`Authorization: Bearer <token>`). Left out or null: reports need no token. The
    /// PUT replaces the app, so leaving it out removes a token the app had.
    #[serde(default)]
    #[schema(nullable = true)]
    report_token_sha256: Option<TokenSha256>,
}

/// Create or replace a target app (reviewer only).
///
/// The super-app side owns its target apps and their environment policies. Production
/// approval is always manual; development and test approve automatically without pilot testing.
/// `report_token_sha256` sets the app's client report token; the answer shows only
/// whether one is set (`report_token`), never the hash.
#[utoipa::path(put, path = "/v1/admin/apps/{app}", tag = "admin",
    security(("bearer" = [])),
    params(("app" = AppId, Path, description = "The target app id", example = json!("superapp-a")), IfMatch),
    request_body = PutAppBody,
    responses(
        (status = 200, description = "The app as saved", body = AppView),
        (status = 400, description = "`invalid_parameter` (id or policy), `invalid_body`, `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 403, description = "`forbidden`: only a reviewer may", body = ErrorBody),
        (status = 409, description = "`environment_in_use`: a removed environment has releases", body = ErrorBody),
    ))]
pub async fn put_app(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(app): Path<String>,
    headers: HeaderMap,
    body: Body<PutAppBody>,
) -> ApiResult {
    let app = AppId::parse(&app)?;
    let body = body.parse()?;
    let if_match = if_match(&headers)?;
    let input = AppInput {
        id: app,
        environments: body.environments,
        report_token_sha256: body.report_token_sha256,
    };
    let saved = s.control.put_app(&actor, input, if_match).await;
    Ok(Json(AppView::from(saved?)).into_response())
}

/// List the target apps and their policies.
#[utoipa::path(get, path = "/v1/admin/apps", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Every target app", body = Vec<AppView>)))]
pub async fn list_apps(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
) -> ApiResult {
    let apps = s.control.apps(&actor).await?;
    Ok(Json(apps.into_iter().map(AppView::from).collect::<Vec<_>>()).into_response())
}

/// One target app and its policies.
#[utoipa::path(get, path = "/v1/admin/apps/{app}", tag = "admin",
    security(("bearer" = [])),
    params(("app" = AppId, Path, description = "The target app id", example = json!("superapp-a"))),
    responses(
        (status = 200, description = "The app", body = AppView),
        (status = 400, description = "`invalid_parameter` (not an app id), `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`app_not_found`", body = ErrorBody),
    ))]
pub async fn get_app(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(app): Path<String>,
) -> ApiResult {
    let app = s.control.app(&actor, &AppId::parse(&app)?).await?;
    Ok(Json(AppView::from(app)).into_response())
}

/// A version upload.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": "1.4.0", "package_url": "https://cdn.example.com/mp-coupons/1.4.0.zip"}))]
pub struct AddVersionBody {
    version: Version,
    #[schema(example = "https://cdn.example.com/mp-coupons/1.4.0.zip")]
    package_url: PackageUrl,
    #[serde(default)]
    sha256: Option<Sha256>,
}

/// Upload a version of a mini program (developer, admin). Versions are immutable.
#[utoipa::path(post, path = "/v1/admin/mini-programs/{mp}/versions", tag = "admin",
    security(("bearer" = [])),
    params(("mp" = MiniProgramId, Path, description = "The mini program id", example = json!("mp-coupons"))),
    request_body = AddVersionBody,
    responses(
        (status = 201, description = "The version as stored", body = VersionView),
        (status = 400, description = "`invalid_parameter`, `invalid_body`, `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 409, description = "`version_exists`: versions cannot be changed", body = ErrorBody),
    ))]
pub async fn add_version(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(mp): Path<String>,
    body: Body<AddVersionBody>,
) -> ApiResult {
    let mini_program = MiniProgramId::parse(&mp)?;
    let body = body.parse()?;
    let version = MiniProgramVersion {
        mini_program,
        version: body.version,
        package_url: body.package_url,
        sha256: body.sha256,
        created_by: actor.name().to_owned(),
        created_at: crate::model::now_millis(),
        revision: 0,
    };
    let view = VersionView::from(s.control.add_version(&actor, version).await?);
    Ok((axum::http::StatusCode::CREATED, Json(view)).into_response())
}

/// List the uploaded versions of a mini program.
#[utoipa::path(get, path = "/v1/admin/mini-programs/{mp}/versions", tag = "admin",
    security(("bearer" = [])),
    params(("mp" = MiniProgramId, Path, description = "The mini program id", example = json!("mp-coupons"))),
    responses(
        (status = 200, description = "The versions (empty for an unknown mini program)", body = Vec<VersionView>),
        (status = 400, description = "`invalid_parameter` (not a mini program id), `bad_request` (path not UTF-8)", body = ErrorBody),
    ))]
pub async fn list_versions(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(mp): Path<String>,
) -> ApiResult {
    let versions = s
        .control
        .versions(&actor, &MiniProgramId::parse(&mp)?)
        .await?;
    Ok(Json(
        versions
            .into_iter()
            .map(VersionView::from)
            .collect::<Vec<_>>(),
    )
    .into_response())
}

/// A new release: an uploaded version sent to one release target.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mini_program": "mp-coupons", "version": "1.1.0", "app": "superapp-a",
    "env": "sandbox", "config": {"network_allowlist": ["api.example.com"]}, "test_group": ["qa-1"]}))]
pub struct CreateReleaseBody {
    mini_program: MiniProgramId,
    version: Version,
    app: AppId,
    env: Env,
    #[serde(default)]
    config: Option<ReleaseConfig>,
    /// The pilot test group: up to 1,000,000 distinct user ids (targets with pilot testing).
    #[serde(default)]
    #[schema(value_type = Option<Vec<UserId>>)]
    test_group: Option<TestGroupUpload>,
    /// Who may be in the grayscale share (SPEC §10; production only).
    #[serde(default)]
    #[schema(value_type = Option<crate::model::RawTargeting>)]
    targeting: Option<crate::model::Targeting>,
}

/// Create a release (developer, admin): status `new_version_created`.
///
/// A version is released to a release target at most once, canceled releases included.
/// The body may carry the whole test group, so this route takes bodies up to
/// `limits.max_test_group_bytes` (64 MiB by default).
#[utoipa::path(post, path = "/v1/admin/releases", tag = "admin",
    security(("bearer" = [])),
    request_body = CreateReleaseBody,
    responses(
        (status = 201, description = "The new release", body = ReleaseView),
        (status = 400, description = "`invalid_parameter`, `invalid_body`", body = ErrorBody),
        (status = 404, description = "`app_not_found`, `version_not_found`, `environment_not_configured`", body = ErrorBody),
        (status = 409, description = "`already_released`, `pilot_testing_not_supported`, `production_only` (targeting outside production)", body = ErrorBody),
    ))]
pub async fn create_release(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    body: Body<CreateReleaseBody>,
) -> ApiResult {
    let b = body.parse()?;
    let test_group = b.test_group.map(|upload| upload.0).transpose()?;
    let req = CreateRelease {
        mini_program: b.mini_program,
        version: b.version,
        app: b.app,
        env: b.env,
        config: b.config.unwrap_or_default(),
        test_group: test_group.map(Arc::new),
        targeting: b.targeting.map(Arc::new),
    };
    let info = s.control.create_release(&actor, req).await?;
    Ok(release_response(info, axum::http::StatusCode::CREATED))
}

/// Filters of `GET /v1/admin/releases`; every one is optional.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(value_type = Option<MiniProgramId>, example = json!("mp-coupons"))]
    mini_program: Option<String>,
    #[param(value_type = Option<AppId>, example = json!("superapp-a"))]
    app: Option<String>,
    #[param(value_type = Option<Env>, example = json!("production"))]
    env: Option<String>,
    #[param(value_type = Option<Status>, example = json!("grayscale_release"))]
    status: Option<String>,
}

/// List releases, optionally filtered.
#[utoipa::path(get, path = "/v1/admin/releases", tag = "admin",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "The matching releases", body = Vec<ReleaseView>),
        (status = 400, description = "`invalid_parameter`, `bad_request` (unknown parameter, not UTF-8)", body = ErrorBody),
    ))]
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
    let releases = s.control.releases(&actor, &filter).await?;
    Ok(Json(
        releases
            .into_iter()
            .map(ReleaseView::from)
            .collect::<Vec<_>>(),
    )
    .into_response())
}

/// One release.
#[utoipa::path(get, path = "/v1/admin/releases/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(2))),
    responses(
        (status = 200, description = "The release", body = ReleaseView),
        (status = 400, description = "`invalid_parameter` (not a release id), `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
    ))]
pub async fn get_release(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    let info = s.control.release(&actor, release_id(&id)?).await?;
    Ok(release_response(info, axum::http::StatusCode::OK))
}

/// A release's history, oldest first.
#[utoipa::path(get, path = "/v1/admin/releases/{id}/history", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(1))),
    responses(
        (status = 200, description = "Every accepted action on the release", body = Vec<HistoryView>),
        (status = 400, description = "`invalid_parameter` (not a release id), `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
    ))]
pub async fn history(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    let history = s.control.history(&actor, release_id(&id)?).await?;
    Ok(Json(
        history
            .into_iter()
            .map(HistoryView::from)
            .collect::<Vec<_>>(),
    )
    .into_response())
}

/// The resolve request to explain; every parameter is required.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    #[param(value_type = AppId, example = json!("superapp-a"))]
    app: String,
    #[param(value_type = Env, example = json!("production"))]
    env: String,
    #[param(value_type = MiniProgramId, example = json!("mp-coupons"))]
    mini_program: String,
    #[param(value_type = UserId, example = json!("u-42"))]
    user: String,
}

/// Explain a resolve: the decision with bucket, threshold and pilot membership.
#[utoipa::path(get, path = "/v1/admin/explain", tag = "admin",
    security(("bearer" = [])),
    params(ExplainQuery),
    responses(
        (status = 200, description = "The decision and its inputs at the served revision", body = Explanation),
        (status = 400, description = "`invalid_parameter`, `bad_request` (missing or unknown parameter, not UTF-8)", body = ErrorBody),
    ))]
pub async fn explain(
    State(s): State<AdminState>,
    // The access table admits every role to reads; the extractor proves a token was given.
    Authenticated(_): Authenticated,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let raw = raw.unwrap_or_default();
    // `attr.<name>=value` are the client's attributes, read as resolve reads them; the
    // rest of the query is typed.
    let mut attributes = AttributeBuf::default();
    let mut rest = Vec::new();
    for segment in raw.split('&').filter(|p| !p.is_empty()) {
        for pair in crate::http::query::pairs(segment) {
            let (key, value) = pair?;
            if attributes.take(&key, value)?.is_some() {
                rest.push(segment);
            }
        }
    }
    let q: ExplainQuery = query(Some(rest.join("&")))?;
    let app = AppId::parse(&q.app)?;
    let env: Env = q.env.parse()?;
    let mp = MiniProgramId::parse(&q.mini_program)?;
    let user = UserId::parse(&q.user)?;
    let snapshot = s.snapshot.load();
    let explanation = attributes.with(|attributes| {
        let subject = Subject {
            user: user.as_str(),
            attributes,
        };
        snapshot.explain(app.as_str(), env, mp.as_str(), &subject)
    });
    Ok(Json(explanation).into_response())
}
