//! `POST /v1/report` (SPEC §9): super-app clients report how the versions they loaded
//! behaved. The whole request is validated before anything counts; then each event is
//! counted on the counters the snapshot bound to the release it names, or dropped (and
//! counted as dropped) when that release does not serve on that channel of that route.
//! Events also count on the guard's arms of the in-flight release ([`crate::reports`]).
//! A report costs a route lookup and two atomic adds per event: no lock, no allocation.
//!
//! An app may require a report token (SPEC §9), held in the snapshot: one more probe and,
//! for such an app, one SHA-256 of the presented token. Why a token: fake `error` reports
//! can only halt or roll back a rollout (fail safe), but fake `ok` reports can fill the
//! guard's `min_samples` and dilute a real regression, so a plan step the guard would
//! hold back goes ahead (never past the plan's own steps and schedule).

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{RawAuthorization, bearer_matches};
use super::body::Body;
use super::client_api::ClientState;
use super::error::{ClientError, ErrorBody};
use super::json::Json;
use crate::metrics::{DropReason, Metrics};
use crate::model::{Channel, Env, InvalidValue, ReleaseId, check_ident};
use crate::snapshot::{Route, Snapshot};

/// The most events one report may carry.
pub const MAX_EVENTS: usize = 100;
/// The largest `count` of one event.
pub const MAX_COUNT: u64 = 1_000;

/// A batch of health events from one client, for one release target.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"app": "superapp-a", "env": "production", "events": [
    {"mini_program": "mp-coupons", "release_id": 2, "channel": "grayscale", "outcome": "ok", "count": 12},
    {"mini_program": "mp-coupons", "release_id": 2, "channel": "grayscale", "outcome": "error"}]}))]
pub struct ReportRequest<'a> {
    /// Borrowed from the body unless it has escapes: no allocation per string.
    #[serde(borrow)]
    #[schema(value_type = crate::model::AppId)]
    app: Cow<'a, str>,
    env: Env,
    /// 1–100 events.
    #[serde(borrow)]
    events: Vec<ReportEvent<'a>>,
}

/// How one loaded version behaved, `count` times (1–1,000, default 1).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportEvent<'a> {
    #[serde(borrow)]
    #[schema(value_type = crate::model::MiniProgramId)]
    mini_program: Cow<'a, str>,
    /// As resolve answered it.
    #[schema(value_type = u64)]
    release_id: ReleaseId,
    /// As resolve answered it.
    channel: Channel,
    outcome: ReportOutcome,
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 1000, default = 1)]
    count: u64,
}

fn one() -> u64 {
    1
}

/// `ok`: launched and ran; `error`: failed to load, crashed, or threw an uncaught error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportOutcome {
    Ok,
    Error,
}

/// How many events were counted and how many dropped.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct ReportAccepted {
    pub accepted: usize,
    pub dropped: usize,
}

/// Report how loaded versions behaved (client listener).
///
/// Events naming a release that does not serve on that channel of that route are dropped
/// and counted in `graygate_reports_dropped_total`, never stored. A bad field answers 400
/// and nothing of the request counts. An app with a report token (`report_token_sha256`)
/// takes reports only with `Authorization: Bearer <token>`; other apps need no header.
#[utoipa::path(post, path = "/v1/report", tag = "client",
    // `{}` first: no token is needed unless the app has one.
    security((), ("bearer" = [])),
    request_body = ReportRequest,
    responses(
        (status = 202, description = "Counted and dropped events", body = ReportAccepted),
        (status = 400, description = "`invalid_parameter`, `invalid_body`", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the app has a report token and the \
            request's bearer token is missing or another; nothing counted", body = ErrorBody),
    ))]
pub async fn report(
    State(s): State<ClientState>,
    RawAuthorization(authorization): RawAuthorization,
    body: Body<ReportRequest<'static>>,
) -> Response {
    let header = authorization.as_ref().map(|h| h.as_bytes());
    report_now(&s, header, &body)
}

/// The answer to a report whose body is read: the router's handler and the client
/// listener's fast path both call this.
pub fn report_now(
    s: &ClientState,
    header: Option<&[u8]>,
    body: &Body<ReportRequest<'static>>,
) -> Response {
    // One snapshot for the token check and the counting, so both see the same app.
    let snapshot = s.snapshot.load();
    match parse(body, &snapshot, header) {
        Ok(request) => {
            let answer = count_events(&snapshot, &s.metrics, &request);
            (StatusCode::ACCEPTED, Json(answer)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The request, once it is well formed and, for an app with a report token, carries it.
/// The token is checked as soon as the app is known, before the events are looked at.
fn parse<'a>(
    body: &'a Body<ReportRequest<'static>>,
    snapshot: &Snapshot,
    authorization: Option<&[u8]>,
) -> Result<ReportRequest<'a>, ClientError> {
    let request: ReportRequest<'a> = body.parse_borrowed()?;
    check_ident("app", &request.app)?;
    if let Some(token) = snapshot.report_token(&request.app)
        && !bearer_matches(authorization, token)
    {
        return Err(ClientError::Unauthorized);
    }
    if request.events.is_empty() || request.events.len() > MAX_EVENTS {
        let why = format!("must hold 1 to {MAX_EVENTS} events");
        return Err(InvalidValue::new("events", why).into());
    }
    for (i, event) in request.events.iter().enumerate() {
        check_ident("mini_program", &event.mini_program).map_err(|e| {
            InvalidValue::new("events", format!("entry {i}: mini_program {}", e.reason))
        })?;
        if !(1..=MAX_COUNT).contains(&event.count) {
            let why = format!("entry {i}: count must be from 1 to {MAX_COUNT}");
            return Err(InvalidValue::new("events", why).into());
        }
    }
    Ok(request)
}

/// Counts each event of a validated request on the release it names, or drops it.
pub fn count_events(
    snapshot: &Snapshot,
    metrics: &Metrics,
    request: &ReportRequest<'_>,
) -> ReportAccepted {
    let mut answer = ReportAccepted {
        accepted: 0,
        dropped: 0,
    };
    // A batch usually names one mini program: its route is looked up once.
    let mut last: Option<(&str, Option<&Arc<Route>>)> = None;
    for event in &request.events {
        let route = match last {
            Some((mp, route)) if mp == event.mini_program => route,
            _ => {
                let route = snapshot.route(&request.app, request.env, &event.mini_program);
                last = Some((&event.mini_program, route));
                route
            }
        };
        let Some(route) = route else {
            metrics.reports.dropped(DropReason::UnknownRoute, 1);
            answer.dropped += 1;
            continue;
        };
        let Some(served) = route.serving(event.release_id, event.channel) else {
            metrics.reports.dropped(DropReason::NotServing, 1);
            answer.dropped += 1;
            continue;
        };
        let error = event.outcome == ReportOutcome::Error;
        match error {
            false => served.reports.ok.add(event.count),
            true => served.reports.error.add(event.count),
        }
        if let Some((tally, arm)) = route.arm(event.channel) {
            tally.add(arm, error, event.count);
        }
        answer.accepted += 1;
    }
    answer
}
