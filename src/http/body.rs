//! A request body read whole (within the route's size limit) and parsed as JSON on
//! demand, so every malformed or oversized body gets the JSON error format.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::RequestError;

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
        // serde's derived structs would also take a JSON array of the fields in order;
        // the API documents objects, so only objects are accepted.
        match self.bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            None => Err(RequestError::BadJson("expected a JSON body".into())),
            Some(b'{') => self.parse_any(),
            Some(_) => Err(RequestError::BadJson("expected a JSON object".into())),
        }
    }

    /// Whether nothing but white space was sent.
    pub fn is_empty(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }

    /// Parses the body as any JSON value of the shape (test groups may be bare arrays).
    pub fn parse_any<U: DeserializeOwned>(&self) -> Result<U, RequestError> {
        serde_json::from_slice(&self.bytes).map_err(|e| RequestError::BadJson(e.to_string()))
    }
}

impl<S: Send + Sync, T> FromRequest<S> for Body<T> {
    type Rejection = RequestError;

    async fn from_request(req: Request, state: &S) -> Result<Self, RequestError> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Body {
                bytes,
                _shape: PhantomData,
            }),
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(RequestError::PayloadTooLarge)
            }
            Err(r) => Err(RequestError::BadRequest(r.body_text())),
        }
    }
}
