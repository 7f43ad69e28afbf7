//! JSON answers: every body the gateway writes is one JSON value and a newline, so
//! answers printed one after another (curl in a shell) stay apart.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const CONTENT_TYPE: HeaderValue = HeaderValue::from_static("application/json");

/// A JSON response body, written with a trailing newline.
pub struct Json<T>(pub T);

/// `value` as JSON text and a newline.
pub fn to_body<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut body = serde_json::to_vec(value)?;
    body.push(b'\n');
    Ok(body)
}

/// A response carrying `body`, already JSON text ending in a newline.
pub fn response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, CONTENT_TYPE);
    response
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match to_body(&self.0) {
            Ok(body) => response(StatusCode::OK, body),
            // Our views hold strings, numbers and JSON maps only.
            Err(e) => {
                tracing::error!(error = %e, "a response could not be serialized");
                super::error::ApiError::Internal.into_response()
            }
        }
    }
}
