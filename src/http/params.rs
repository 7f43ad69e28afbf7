//! Path and query parameters as the handlers take them: every rejection answers in the
//! JSON error format, and percent-encoded bytes must decode to UTF-8 (SPEC §1: anything
//! else is refused with 400, never replaced).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// `axum::extract::Path` whose rejection (a segment that is not UTF-8, say) answers
/// 400 `bad_request` in JSON instead of axum's plain text.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

/// Refuses a query string whose percent-encoded bytes are not UTF-8: the form decoders
/// would turn them into U+FFFD, so `user=%FF` and `user=%FE` would be one user.
pub fn check_query_utf8(query: &str) -> Result<(), ApiError> {
    if query.contains('%')
        && percent_encoding::percent_decode_str(query)
            .decode_utf8()
            .is_err()
    {
        return Err(ApiError::BadRequest(
            "the query string is not UTF-8 once percent-decoded".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_must_decode_to_utf8() {
        for ok in [
            "",
            "user=a",
            "user=%E7%94%A8",
            "user=%25FF",
            "a=%C3%A9&b=%2B",
        ] {
            assert!(check_query_utf8(ok).is_ok(), "{ok}");
        }
        for bad in ["user=%FF", "user=%C3", "user=%C3&x=%A9", "user=%ED%A0%80"] {
            assert!(check_query_utf8(bad).is_err(), "{bad}");
        }
    }
}
