//! `GET /v1/admin/releases/{id}/served`: how this node's answers for a release's route
//! split between its versions, per minute over the last 24 h (the console's chart).

use axum::extract::State;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, release_id};
use crate::control::{ReleaseFilter, ReleaseInfo};
use crate::http::AdminState;
use crate::http::auth::Authenticated;
use crate::http::error::ErrorBody;
use crate::http::json::Json;
use crate::http::params::Path;
use crate::model::{ReleaseId, Serving, Status, now_millis, rfc3339};
use crate::served_history::RouteWindow;

/// A route's answers per version and minute, oldest minute first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServedView {
    #[schema(value_type = u64)]
    pub release_id: ReleaseId,
    #[schema(value_type = crate::model::AppId)]
    pub app: String,
    pub env: crate::model::Env,
    #[schema(value_type = crate::model::MiniProgramId)]
    pub mini_program: String,
    /// The length of one count's interval: a minute.
    #[schema(example = 60)]
    pub step_seconds: u32,
    /// When the minute of every version's first count began. RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub start: String,
    /// When the counts were read. RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub as_of: String,
    /// Every version of the route this node served in the last 24 h, the route's serving
    /// releases and this release, sorted by version; each has as many counts.
    pub versions: Vec<ServedVersionView>,
}

/// One version's answers per minute on every channel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServedVersionView {
    #[schema(value_type = crate::model::Version)]
    pub version: String,
    /// The route's release of this version (a version goes to a target at most once).
    #[schema(value_type = Option<u64>)]
    pub release_id: Option<ReleaseId>,
    pub status: Option<Status>,
    pub counts: Vec<u32>,
}

/// The served split of a release's route over the last 24 h.
///
/// Per-minute answers of this node for every version of the release's route (app,
/// environment, mini program), sampled in memory from `graygate_served_total`: live
/// for the current minute, lost on restart, at most 24 h back.
#[utoipa::path(get, path = "/v1/admin/releases/{id}/served", tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The release id", example = json!(2))),
    responses(
        (status = 200, description = "The route's answers per version and minute", body = ServedView),
        (status = 400, description = "`invalid_parameter` (not a release id), `bad_request` (path not UTF-8)", body = ErrorBody),
        (status = 404, description = "`release_not_found`", body = ErrorBody),
    ))]
pub async fn served(
    State(s): State<AdminState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    let info = s.control.release(&actor, release_id(&id)?).await?;
    let r = &info.release;
    let filter = ReleaseFilter {
        mini_program: Some(r.mini_program.clone()),
        app: Some(r.app.clone()),
        env: Some(r.env),
        status: None,
    };
    let route = s.control.releases(&actor, &filter).await?;
    let now = now_millis();
    let window = s
        .served
        .window(r.app.as_str(), r.env.as_str(), r.mini_program.as_str(), now);
    Ok(Json(view(&info, &route, window, now)).into_response())
}

fn view(info: &ReleaseInfo, route: &[ReleaseInfo], window: RouteWindow, now: i64) -> ServedView {
    let r = &info.release;
    let minutes = window.versions.first().map_or(1, |(_, c)| c.len());
    let mut versions: Vec<ServedVersionView> = window
        .versions
        .into_iter()
        .map(|(version, counts)| ServedVersionView {
            version,
            release_id: None,
            status: None,
            counts,
        })
        .collect();
    for other in route {
        let o = &other.release;
        let wanted = o.id == r.id || o.status.serving() != Serving::Nothing;
        let at = versions
            .iter()
            .position(|v| v.version == o.version.as_str());
        let entry = match at {
            Some(at) => &mut versions[at],
            None if wanted => {
                versions.push(ServedVersionView {
                    version: o.version.to_string(),
                    release_id: None,
                    status: None,
                    counts: vec![0; minutes],
                });
                let last = versions.len() - 1;
                &mut versions[last]
            }
            None => continue,
        };
        entry.release_id = Some(o.id);
        entry.status = Some(o.status);
    }
    versions.sort_unstable_by(|a, b| a.version.cmp(&b.version));
    ServedView {
        release_id: r.id,
        app: r.app.to_string(),
        env: r.env,
        mini_program: r.mini_program.to_string(),
        step_seconds: 60,
        start: rfc3339(window.first_minute.saturating_mul(60_000)),
        as_of: rfc3339(now),
        versions,
    }
}
