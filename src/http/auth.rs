//! Bearer-token authentication for the admin API, and the check of a target app's client
//! report token (SPEC §9). Tokens are configured by their SHA-256 only; a presented token
//! is hashed and compared in constant time against every configured hash, so neither the
//! match nor its position leaks through timing.

use axum::extract::FromRequestParts;
use axum::http::HeaderValue;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use crate::config::TokenConfig;
use crate::model::{Actor, Role, TokenSha256};

struct Credential {
    name: String,
    role: Role,
    sha256: [u8; 32],
}

/// The configured tokens.
pub struct Auth {
    credentials: Vec<Credential>,
}

impl Auth {
    /// Builds from validated config (hashes are 64 hex characters there).
    pub fn new(tokens: &[TokenConfig]) -> Auth {
        let credentials = tokens
            .iter()
            .filter_map(|t| {
                let mut sha256 = [0u8; 32];
                hex::decode_to_slice(t.token_sha256.to_ascii_lowercase(), &mut sha256).ok()?;
                Some(Credential {
                    name: t.name.clone(),
                    role: t.role,
                    sha256,
                })
            })
            .collect();
        Auth { credentials }
    }

    /// The actor a raw `Authorization` header value identifies.
    pub fn authenticate(&self, header: Option<&[u8]>) -> Result<Actor, ApiError> {
        let token = bearer_token(header).ok_or(ApiError::Unauthorized)?;
        let digest = Sha256::digest(token);
        let mut found: Option<&Credential> = None;
        for c in &self.credentials {
            if bool::from(c.sha256.ct_eq(digest.as_slice())) {
                found = Some(c);
            }
        }
        found
            .map(|c| Actor::person(c.name.clone(), c.role))
            .ok_or(ApiError::Unauthorized)
    }
}

/// The token of an `Authorization: Bearer <token>` header value, if it is one.
fn bearer_token(header: Option<&[u8]>) -> Option<&[u8]> {
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    header
        .filter(|h| h.len() > 7 && h[..7].eq_ignore_ascii_case(b"bearer "))
        .map(|h| h[7..].trim_ascii())
        .filter(|t| !t.is_empty())
}

/// Whether a raw `Authorization` header value carries the token hashed as `expected`
/// (a target app's report token), compared in constant time like admin tokens.
pub fn bearer_matches(header: Option<&[u8]>, expected: &TokenSha256) -> bool {
    bearer_token(header).is_some_and(|token| {
        let digest = Sha256::digest(token);
        bool::from(expected.digest().ct_eq(digest.as_slice()))
    })
}

/// Hex SHA-256 of a token, as `token_sha256` wants it.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// The raw `Authorization` header of a client request, for [`bearer_matches`]. Taken
/// out of the request rather than copied: the handler is its only reader.
pub struct RawAuthorization(pub Option<HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for RawAuthorization {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RawAuthorization(parts.headers.remove(AUTHORIZATION)))
    }
}

/// Extracts the authenticated [`Actor`] of an admin request (401 otherwise).
pub struct Authenticated(pub Actor);

impl<S> FromRequestParts<S> for Authenticated
where
    S: Send + Sync,
    std::sync::Arc<Auth>: axum::extract::FromRef<S>,
    crate::metrics::Metrics: axum::extract::FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // The access layer authenticated already; reuse its answer.
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(Authenticated(actor.clone()));
        }
        let auth: std::sync::Arc<Auth> = axum::extract::FromRef::from_ref(state);
        let header = parts.headers.get(AUTHORIZATION).map(|v| v.as_bytes());
        auth.authenticate(header)
            .map(Authenticated)
            .inspect_err(|_| {
                let metrics: crate::metrics::Metrics = axum::extract::FromRef::from_ref(state);
                metrics.admin.auth_failures.inc();
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(&[
            TokenConfig {
                name: "alice".into(),
                role: Role::Admin,
                token_sha256: hash_token("s3cret"),
            },
            TokenConfig {
                name: "rita".into(),
                role: Role::Reviewer,
                token_sha256: hash_token("other"),
            },
        ])
    }

    #[test]
    fn bearer_tokens_map_to_their_actor() {
        let a = auth();
        let alice = a
            .authenticate(Some(b"Bearer s3cret"))
            .map(|x| x.name().to_owned());
        assert_eq!(alice.ok().as_deref(), Some("alice"));
        let rita = a
            .authenticate(Some(b"bearer other"))
            .map(|x| x.role().expect("a person"));
        assert_eq!(rita.ok(), Some(Role::Reviewer));
        for bad in [
            None,
            Some(&b"Bearer wrong"[..]),
            Some(b"s3cret"),
            Some(b"Bearer "),
            Some(b"Basic s3cret"),
        ] {
            assert!(matches!(a.authenticate(bad), Err(ApiError::Unauthorized)));
        }
    }

    #[test]
    fn a_report_token_matches_only_its_own_bearer_header() {
        let expected = TokenSha256::parse(&hash_token("client-secret")).expect("hash");
        assert!(bearer_matches(Some(b"Bearer client-secret"), &expected));
        assert!(bearer_matches(Some(b"BEARER  client-secret "), &expected));
        for bad in [
            None,
            Some(&b"Bearer client-secreT"[..]),
            Some(b"client-secret"),
            Some(b"Bearer "),
            Some(b"Basic client-secret"),
        ] {
            assert!(!bearer_matches(bad, &expected), "{bad:?}");
        }
    }
}
