//! A request body read whole (within the route's size limit) and parsed as JSON on
//! demand, so every malformed or oversized body gets the JSON error format.
//!
//! The limit is the route's [`Limit`] extension. A body over it is answered 413 only after
//! the rest of it has been read and dropped (up to [`DRAIN_BYTES`]): a server that answers
//! and closes with unread input in the socket makes the kernel send a reset, and a client
//! that writes its whole body before reading sees a broken pipe instead of the 413.

use std::marker::PhantomData;

use axum::body::{BodyDataStream, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_LENGTH;
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::RequestError;

/// The largest body a route takes, set per router or route as a request extension.
#[derive(Debug, Clone, Copy)]
pub struct Limit(pub usize);

/// Without a [`Limit`] extension (routers built by tests), the admin default.
const DEFAULT_LIMIT: usize = 1024 * 1024;

/// How much of an oversized body is read and dropped before the 413, so the client sees
/// it; a client that sends more than this past the limit is cut off instead.
pub const DRAIN_BYTES: u64 = 256 * 1024 * 1024;

pub struct Body<T> {
    bytes: Bytes,
    _shape: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Body<T> {
    /// Parses the body as the endpoint's JSON object.
    pub fn parse(&self) -> Result<T, RequestError> {
        self.parse_as()
    }

    /// Parses the body as another object shape (for endpoints whose shape depends on the
    /// path).
    pub fn parse_as<U: DeserializeOwned>(&self) -> Result<U, RequestError> {
        self.parse_borrowed()
    }

    /// Whether nothing but white space was sent.
    pub fn is_empty(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }

    /// Parses the body as any JSON value of the shape (test groups may be bare arrays).
    pub fn parse_any<U: DeserializeOwned>(&self) -> Result<U, RequestError> {
        serde_json::from_slice(&self.bytes).map_err(|e| RequestError::BadJson(self.explain::<U>(e)))
    }
}

impl<T> Body<T> {
    /// Parses the body as a JSON object whose strings may borrow from the body (the
    /// hot path's reports: no allocation per string). serde's derived structs would also
    /// take a JSON array of the fields in order; the API documents objects, so only
    /// objects are accepted.
    pub fn parse_borrowed<'a, U: Deserialize<'a>>(&'a self) -> Result<U, RequestError> {
        match self.bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            None => Err(RequestError::BadJson("expected a JSON body".into())),
            Some(b'{') => serde_json::from_slice(&self.bytes)
                .map_err(|e| RequestError::BadJson(self.explain::<U>(e))),
            Some(_) => Err(RequestError::BadJson("expected a JSON object".into())),
        }
    }

    /// The message for a body that did not parse, led by the path of the field at fault
    /// (`events[1].outcome: unknown variant …`). The path is found by parsing again, so
    /// a body that parses pays nothing for it.
    fn explain<'a, U: Deserialize<'a>>(&'a self, error: serde_json::Error) -> String {
        let de = &mut serde_json::Deserializer::from_slice(&self.bytes);
        match serde_path_to_error::deserialize::<_, U>(de) {
            Err(tracked) if tracked.path().iter().next().is_some() => {
                format!("{}: {error}", tracked.path())
            }
            Ok(_) | Err(_) => error.to_string(),
        }
    }
}

impl<T> Body<T> {
    /// Reads a request's body within `limit` (413 past it, after draining), as the
    /// extractor does; for the client listener's fast path, which skips the router.
    pub async fn read(
        headers: &axum::http::HeaderMap,
        body: axum::body::Body,
        limit: usize,
    ) -> Result<Self, RequestError> {
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let bytes = read_within(body, limit, declared).await?;
        Ok(Body {
            bytes,
            _shape: PhantomData,
        })
    }
}

impl<S: Send + Sync, T> FromRequest<S> for Body<T> {
    type Rejection = RequestError;

    async fn from_request(req: Request, _: &S) -> Result<Self, RequestError> {
        let limit = req
            .extensions()
            .get::<Limit>()
            .map_or(DEFAULT_LIMIT, |l| l.0);
        let (parts, body) = req.into_parts();
        Body::read(&parts.headers, body, limit).await
    }
}

/// Reads `body` into one buffer (sized from `Content-Length`, so a large upload is held
/// once), or drains it and answers 413 once it passes `limit`.
async fn read_within(
    body: axum::body::Body,
    limit: usize,
    declared: Option<u64>,
) -> Result<Bytes, RequestError> {
    let mut chunks = body.into_data_stream();
    if let Some(n) = declared.filter(|&n| n > limit as u64) {
        // Nothing read yet: drain only a body small enough to be worth it.
        let budget = if n <= DRAIN_BYTES { n } else { 0 };
        return Err(drain(chunks, budget).await);
    }
    let mut buffer = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(chunk) = chunks.next().await {
        let data = chunk
            .map_err(|_| RequestError::BadRequest("the request body could not be read".into()))?;
        if buffer.len() + data.len() > limit {
            drop(buffer);
            return Err(drain(chunks, DRAIN_BYTES).await);
        }
        if buffer.is_empty() && declared == Some(data.len() as u64) {
            return Ok(data); // the whole body in one piece (read up front): no copy
        }
        buffer.extend_from_slice(&data);
    }
    Ok(Bytes::from(buffer))
}

/// Reads and drops up to `budget` more bytes of an oversized body; always the 413 to
/// answer with.
async fn drain(mut chunks: BodyDataStream, budget: u64) -> RequestError {
    let mut read = 0u64;
    while read < budget {
        match chunks.next().await {
            Some(Ok(data)) => read += data.len() as u64,
            Some(Err(_)) | None => break,
        }
    }
    RequestError::PayloadTooLarge
}
