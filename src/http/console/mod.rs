//! The operator console (SPEC §12): static files embedded in the binary, served on the
//! admin listener only at `/console/` (`/console` redirects there). The page talks to
//! the admin API with the operator's bearer token; nothing here reads a token.
//!
//! Every answer carries a strict Content-Security-Policy (scripts, styles and fetches
//! from this origin only; no inline script, no inline handlers, no framing), `nosniff`,
//! no referrer, and `Cache-Control: no-cache` with an `ETag`, so a browser revalidates
//! after an upgrade of the binary and gets 304 otherwise.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::params::Path;

mod assets;

use assets::Asset;

/// The policy of every console answer.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// `/console` to `/console/`, where the page's relative module paths resolve.
#[utoipa::path(get, path = "/console", tag = "admin",
    responses((status = 308, description = "To `/console/`",
        headers(("location" = String, description = "`/console/`")))))]
pub async fn redirect() -> Response {
    (
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, "/console/")],
    )
        .into_response()
}

/// The operator console.
///
/// A web page for watching and driving rollouts with a bearer token (kept in the tab's
/// `sessionStorage` only). No token needed to load it; every API call needs one.
#[utoipa::path(get, path = "/console/", tag = "admin",
    responses(
        (status = 200, description = "The console's page", content_type = "text/html; charset=utf-8", body = String),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`"),
    ))]
pub async fn index(headers: HeaderMap) -> Response {
    answer(assets::INDEX, &headers)
}

/// One of the console's scripts, style sheets or licences.
#[utoipa::path(get, path = "/console/{file}", tag = "admin",
    params(("file" = String, Path, description = "A file of the console", example = json!("app.js"))),
    responses(
        (status = 200, description = "The file, with its content type", body = String),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`"),
        (status = 404, description = "`no_route`: the console has no such file", body = super::error::ErrorBody),
    ))]
pub async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    match assets::find(&name) {
        Some(asset) => answer(asset, &headers),
        None => ApiError::NoRoute.into_response(),
    }
}

fn answer(asset: &'static Asset, request: &HeaderMap) -> Response {
    let etag = asset.etag();
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag.as_str()));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.bytes).into_response()
    };
    let headers = response.headers_mut();
    let pairs = [
        (header::CACHE_CONTROL, "no-cache"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in pairs {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    response
}
