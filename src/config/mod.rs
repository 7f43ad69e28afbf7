//! Typed configuration (SPEC §5): the TOML file, `GRAYGATE_*` environment overrides and
//! validation with clear errors. A [`Config`] that loaded is usable as is.
//!
//! Overrides: `GRAYGATE_<SECTION>_<KEY>` sets `[section] key` (for example
//! `GRAYGATE_SERVER_CLIENT_LISTEN=0.0.0.0:8080`, `GRAYGATE_STORE_KIND=redis`);
//! `GRAYGATE_AUTH_TOKENS` and `GRAYGATE_APPS` take a TOML array of inline tables.
//!
//! Every error after the TOML syntax check names the key path (`limits.max_batch`,
//! `auth.tokens[2].role`), the offending value and where it came from (the file or the
//! `GRAYGATE_*` variable), so an operator can find it without reading the code.
//!
//! Layout: this file holds the typed settings and loading; `overrides` merges the
//! environment into the raw table; `source` turns a key path into an error message;
//! `validate` checks what types cannot say.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::control::AppInput;
use crate::model::{AppId, Env, EnvPolicyInput, Role, TokenSha256};

mod overrides;
mod source;
mod validate;

#[cfg(test)]
mod tests;

pub use validate::check_token_name;

pub const DEFAULT_PATH: &str = "config/graygate.toml";

/// What `check-config` prints when no token is configured, in the words `serve` logs
/// (`server.rs`) at start-up.
pub const NO_TOKENS_WARNING: &str =
    "no [[auth.tokens]] configured: every admin request will be refused (401)";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    /// A setting that does not fit; the message starts with its key path and value.
    #[error("invalid config: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub guard: GuardConfig,
    #[serde(default)]
    pub apps: Vec<AppConfig>,
}

/// Guarded rollouts (SPEC §9).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardConfig {
    /// Seconds between evaluations of every guarded release, on every node.
    pub interval_seconds: f64,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            interval_seconds: 10.0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub client_listen: SocketAddr,
    pub admin_listen: SocketAddr,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_grace_seconds: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            client_listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            shutdown_grace_seconds: 10,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    #[default]
    Embedded,
    Redis,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub kind: StoreKind,
    /// The embedded store's file.
    pub path: PathBuf,
    /// The embedded store's page cache, in MiB. Every record is also in memory, so the
    /// store is read only at start and for history: the cache serves writes (the B-tree
    /// paths a commit touches), and a small one suffices.
    pub cache_mib: usize,
    /// The Redis URL, for `kind = "redis"`.
    pub url: Option<String>,
    /// Redis key prefix; lets several deployments share one Redis.
    pub namespace: String,
    /// Seconds between revision checks against the store (the safety net under pub/sub).
    pub revision_check_seconds: f64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            kind: StoreKind::Embedded,
            path: PathBuf::from("data/graygate.db"),
            cache_mib: 2,
            url: None,
            namespace: "graygate".into(),
            revision_check_seconds: 2.0,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub name: String,
    pub role: Role,
    /// Hex SHA-256 of the bearer token; the token itself is never stored.
    pub token_sha256: String,
}

/// Request limits; see the README's security section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest admin request body, except test groups.
    pub max_body_bytes: usize,
    /// Largest test-group upload.
    pub max_test_group_bytes: usize,
    /// Most mini programs named in one batch resolve.
    pub max_batch: usize,
    /// Open connections per listener; more wait in the kernel backlog.
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers.
    pub header_read_timeout_seconds: f64,
    /// Seconds a request may take, body upload included, before it gets 408.
    pub request_timeout_seconds: f64,
    /// Largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_bytes: 1024 * 1024,
            max_test_group_bytes: 64 * 1024 * 1024,
            max_batch: 1000,
            max_connections: 4096,
            header_read_timeout_seconds: 10.0,
            request_timeout_seconds: 30.0,
            max_header_bytes: 16 * 1024,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub id: AppId,
    #[serde(default)]
    pub environments: BTreeMap<Env, EnvPolicyInput>,
    /// SHA-256 of the token this app's clients must send with health reports (SPEC §9).
    /// Applied when the app is created from this file; an app the store has keeps its
    /// own (change it with `PUT /v1/admin/apps/{app}`).
    #[serde(default)]
    pub report_token_sha256: Option<TokenSha256>,
}

impl AppConfig {
    /// The app as the control plane creates it.
    pub fn input(&self) -> AppInput {
        AppInput {
            id: self.id.clone(),
            environments: self.environments.clone(),
            report_token_sha256: self.report_token_sha256,
        }
    }
}

impl Config {
    /// Reads `path`, applies `GRAYGATE_*` overrides from the process environment, validates.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_parts(path, &text, std::env::vars())
    }

    /// Builds a config from TOML text and environment variables (testable without a process).
    pub fn from_parts(
        path: &Path,
        text: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let syntax = |e: toml::de::Error| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut table: toml::Table = toml::from_str(text).map_err(syntax)?;
        let mut set_by = Vec::new();
        for (var, value) in vars {
            if let Some(key) = overrides::apply(&mut table, &var, &value)? {
                set_by.push((key, var));
            }
        }
        let source = source::Source::new(path, &table, &set_by);
        // The path tracker records where in the table serde was when it failed.
        let config: Config = serde_path_to_error::deserialize(table.clone()).map_err(
            |e: serde_path_to_error::Error<toml::de::Error>| {
                let path = e.path().to_string();
                source.invalid(source::known_part(&path), e.inner().message())
            },
        )?;
        validate::validate(&config, &source)?;
        Ok(config)
    }

    /// Things that load but are probably not what the operator meant.
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut warnings = Vec::new();
        if self.auth.tokens.is_empty() {
            warnings.push(NO_TOKENS_WARNING);
        }
        warnings
    }
}
