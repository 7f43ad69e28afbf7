//! Reads small request bodies before routing. A handler that answers without reading the
//! body (404, 405, 401, an action that takes no body) would otherwise leave unread bytes
//! in the socket, and closing a socket with unread input makes the kernel send a reset
//! that can destroy the response before the client reads it.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::RequestError;

/// Bodies up to this size are read up front; larger ones (test-group uploads) stream.
pub const EAGER_BYTES: u64 = 1024 * 1024;

pub async fn read_small_bodies(req: Request, next: Next) -> Response {
    let length = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if !length.is_some_and(|n| n > 0 && n <= EAGER_BYTES) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, EAGER_BYTES as usize).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => {
            RequestError::BadRequest("the request body could not be read".into()).into_response()
        }
    }
}
