//! What the admin handlers read from a request besides its body: path ids, query
//! strings, `If-Match`; and the release answer with its `ETag`.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::ReleaseView;
use crate::control::ReleaseInfo;
use crate::http::error::{ApiError, RequestError};
use crate::http::json::Json;
use crate::model::{InvalidValue, ReleaseId};

pub(super) fn query<T: DeserializeOwned>(raw: Option<String>) -> Result<T, ApiError> {
    Ok(crate::http::query::typed(raw.as_deref())?)
}

pub(super) fn release_id(raw: &str) -> Result<ReleaseId, ApiError> {
    raw.parse()
        .map_err(|_| InvalidValue::new("id", "must be a release number").into())
}

/// A release with its revision as ETag, for `If-Match` on the next write.
pub(super) fn release_response(info: ReleaseInfo, status: axum::http::StatusCode) -> Response {
    let view = ReleaseView::from(info);
    let etag = HeaderValue::from_str(&format!("\"{}\"", view.revision)).ok();
    let mut response = (status, Json(view)).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// `If-Match: "7"` (or `7`, `W/"7"`); `*` matches anything.
pub(super) fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad =
        || RequestError::BadRequest("If-Match must be a release revision such as \"7\"".into());
    let text = value.to_str().map_err(|_| bad())?.trim();
    if text == "*" {
        return Ok(None);
    }
    // `"7"`, `W/"7"` or a bare `7`, as the OpenAPI pattern says; nothing half-quoted.
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let digits = match tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(quoted) => quoted,
        None if tag.len() == text.len() => tag,
        None => return Err(bad().into()),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad().into());
    }
    Ok(digits.parse().map(Some).map_err(|_| bad())?)
}
