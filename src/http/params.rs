//! Path parameters as the handlers take them: every rejection answers in the JSON error
//! format. (Query strings: see `query`.)

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::RequestError;

/// `axum::extract::Path` whose rejection (a segment that is not UTF-8, say) answers
/// 400 `bad_request` in JSON instead of axum's plain text.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = RequestError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, RequestError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(RequestError::BadRequest(rejection.body_text())),
        }
    }
}
