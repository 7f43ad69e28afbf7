//! Typed configuration (SPEC §5): the TOML file, `GRAYGATE_*` environment overrides and
//! validation with clear errors. A [`Config`] that loaded is usable as is.
//!
//! Overrides: `GRAYGATE_<SECTION>_<KEY>` sets `[section] key` (for example
//! `GRAYGATE_SERVER_CLIENT_LISTEN=0.0.0.0:8080`, `GRAYGATE_STORE_KIND=redis`);
//! `GRAYGATE_AUTH_TOKENS` and `GRAYGATE_APPS` take a TOML array of inline tables.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::{AppId, Env, EnvPolicyInput, Role};

pub const DEFAULT_PATH: &str = "config/graygate.toml";

/// Environment variables with the prefix that are not settings.
const NOT_SETTINGS: [&str; 5] = ["REQUIRE_REDIS", "TOKEN", "CONFIG", "LOG", "ADMIN_URL"];
const SECTIONS: [&str; 4] = ["server", "store", "auth", "limits"];

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
    pub apps: Vec<AppConfig>,
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
    /// The embedded store's page cache, in MiB.
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
            cache_mib: 32,
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
        for (var, value) in vars {
            apply_override(&mut table, &var, &value)?;
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        let mut names = HashSet::new();
        let mut hashes = HashSet::new();
        for t in &self.auth.tokens {
            if t.name.trim().is_empty() {
                return invalid("auth.tokens: every token needs a name".into());
            }
            if !names.insert(t.name.as_str()) {
                return invalid(format!("auth.tokens: duplicate name {:?}", t.name));
            }
            let h = t.token_sha256.to_ascii_lowercase();
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return invalid(format!(
                    "auth.tokens {:?}: token_sha256 must be 64 hex characters",
                    t.name
                ));
            }
            if !hashes.insert(h) {
                return invalid(format!(
                    "auth.tokens {:?}: the same token is configured twice",
                    t.name
                ));
            }
        }
        if self.store.kind == StoreKind::Redis && self.store.url.is_none() {
            return invalid("store.url is required when store.kind = \"redis\"".into());
        }
        if !(self.store.revision_check_seconds > 0.0 && self.store.revision_check_seconds <= 3600.0)
        {
            return invalid("store.revision_check_seconds must be in (0, 3600]".into());
        }
        let l = &self.limits;
        let seconds_ok = |s: f64| s > 0.0 && s <= 3600.0;
        if !(seconds_ok(l.header_read_timeout_seconds) && seconds_ok(l.request_timeout_seconds)) {
            return invalid("limits: timeouts must be in (0, 3600] seconds".into());
        }
        if l.max_connections == 0 || l.max_batch == 0 || l.max_body_bytes == 0 {
            return invalid(
                "limits: max_connections, max_batch and max_body_bytes must be positive".into(),
            );
        }
        let mut apps = HashSet::new();
        for app in &self.apps {
            if !apps.insert(&app.id) {
                return invalid(format!("apps: {} is listed twice", app.id));
            }
            crate::control::build_app(app.id.clone(), app.environments.clone(), 0, 0)
                .map_err(|e| ConfigError::Invalid(format!("apps {}: {e}", app.id)))?;
        }
        Ok(())
    }
}

/// Sets one `GRAYGATE_*` override into the raw TOML table.
fn apply_override(table: &mut toml::Table, var: &str, value: &str) -> Result<(), ConfigError> {
    let Some(name) = var.strip_prefix("GRAYGATE_") else {
        return Ok(());
    };
    if NOT_SETTINGS.contains(&name) {
        return Ok(());
    }
    let err = |message: String| ConfigError::Env {
        var: var.to_string(),
        message,
    };
    let lower = name.to_ascii_lowercase();
    if lower == "apps" {
        table.insert("apps".into(), parse_value(value).map_err(err)?);
        return Ok(());
    }
    let Some((section, key)) = SECTIONS.iter().find_map(|s| {
        lower
            .strip_prefix(s)
            .and_then(|k| k.strip_prefix('_'))
            .map(|k| (*s, k))
    }) else {
        return Err(err(
            "not a known setting (sections: server, store, auth, limits, apps)".into(),
        ));
    };
    let section = table
        .entry(section)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let Some(section) = section.as_table_mut() else {
        return Err(err(format!("[{key}] is not a table in the config file")));
    };
    // Strings need no quoting in the environment; numbers, booleans and arrays parse as TOML.
    let parsed = parse_value(value).unwrap_or_else(|_| toml::Value::String(value.to_string()));
    section.insert(key.to_string(), parsed);
    Ok(())
}

fn parse_value(raw: &str) -> Result<toml::Value, String> {
    let doc: toml::Table =
        toml::from_str(&format!("v = {raw}")).map_err(|e| e.message().to_string())?;
    doc.get("v")
        .cloned()
        .ok_or_else(|| "empty value".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Config::from_parts(Path::new("test.toml"), text, vars)
    }

    #[test]
    fn shipped_config_is_valid_and_has_no_credential() {
        let text = include_str!("../config/graygate.toml");
        let config = parse(text, &[]).expect("shipped config loads");
        assert!(config.auth.tokens.is_empty());
        assert_eq!(config.store.kind, StoreKind::Embedded);
    }

    #[test]
    fn environment_overrides_every_section() {
        let config = parse(
            "",
            &[
                ("GRAYGATE_SERVER_CLIENT_LISTEN", "0.0.0.0:9000"),
                ("GRAYGATE_STORE_KIND", "redis"),
                ("GRAYGATE_STORE_URL", "redis://127.0.0.1:6379/0"),
                ("GRAYGATE_STORE_REVISION_CHECK_SECONDS", "0.5"),
                (
                    "GRAYGATE_AUTH_TOKENS",
                    &format!(
                        "[{{name = \"a\", role = \"admin\", token_sha256 = \"{}\"}}]",
                        "ab".repeat(32)
                    ),
                ),
                (
                    "GRAYGATE_APPS",
                    "[{id = \"superapp-a\", environments.production = {pilot_testing = true}}]",
                ),
                ("GRAYGATE_TOKEN", "ignored"),
                ("PATH", "/usr/bin"),
            ],
        )
        .expect("overrides apply");
        assert_eq!(config.server.client_listen.port(), 9000);
        assert_eq!(config.store.kind, StoreKind::Redis);
        assert_eq!(config.store.revision_check_seconds, 0.5);
        assert_eq!(config.auth.tokens.len(), 1);
        assert_eq!(config.apps.len(), 1);
    }

    #[test]
    fn bad_settings_are_refused_with_their_name() {
        let typo = parse("", &[("GRAYGATE_SERVER_CLIENT_LISTN", "x")]);
        assert!(matches!(typo, Err(ConfigError::Invalid(m)) if m.contains("client_listn")));
        assert!(matches!(
            parse("", &[("GRAYGATE_NOPE", "x")]),
            Err(ConfigError::Env { .. })
        ));
        assert!(parse("[store]\nkind = \"redis\"", &[]).is_err());
        let bad_hash = "[[auth.tokens]]\nname = \"a\"\nrole = \"admin\"\ntoken_sha256 = \"xyz\"";
        assert!(parse(bad_hash, &[]).is_err());
        let no_prod = "[[apps]]\nid = \"a\"\nenvironments.sandbox = {}";
        assert!(parse(no_prod, &[]).is_err());
        let auto_prod = "[[apps]]\nid = \"a\"\nenvironments.production = {approval = \"auto\"}";
        assert!(parse(auto_prod, &[]).is_err());
        assert!(matches!(
            parse("[server", &[]),
            Err(ConfigError::Syntax { .. })
        ));
    }
}
