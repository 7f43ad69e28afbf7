//! What `graygate release` and `graygate explain` can fail with: the CLI's own refusals
//! (token, URL, files, flags) before any request, the transport, and the admin API's
//! error answers (printed by `render`).

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::TOKEN_VAR;

/// Everything `graygate release` and `graygate explain` can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{TOKEN_VAR} is not set: export the admin API bearer token first")]
    MissingToken,
    #[error("{TOKEN_VAR} {0}")]
    BadToken(&'static str),
    #[error("--admin-url {url:?} must be an http:// URL (this build has no TLS)")]
    BadUrl { url: String },
    #[error("{}: {message}", path.display())]
    BadFile { path: PathBuf, message: String },
    /// Flags that are each valid but do not fit together, found before any request.
    #[error("{flag}: {message}")]
    BadFlag { flag: &'static str, message: String },
    #[error("cannot reach the admin API at {url}: {source}")]
    Transport { url: String, source: ureq::Error },
    /// The admin API refused the request (SPEC §4 error JSON).
    #[error("{0}")]
    Api(ApiFailure),
    #[error("the admin API answered HTTP {status} with an unexpected body: {detail}")]
    UnexpectedResponse { status: u16, detail: String },
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// An error answer of the admin API: `{"error":{"code","message",…}}`.
#[derive(Debug)]
pub struct ApiFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The other fields of the error object (`status`, `allowed_actions`, `revision`, …).
    pub details: Map<String, Value>,
}

/// An answer the CLI cannot read.
pub(super) fn unexpected(status: u16, detail: impl std::fmt::Display) -> CliError {
    CliError::UnexpectedResponse {
        status,
        detail: detail.to_string(),
    }
}
