//! What the types cannot say: unique token names and hashes, reserved names, ranges, a
//! Redis URL for a Redis store, and app policies that the control plane would refuse.

use std::collections::HashSet;

use super::source::Source;
use super::{Config, ConfigError, StoreKind};

/// The prefix of the gateway's own actors (`system:plan`, `system:guard`): a token named
/// like one would make history ambiguous about who acted.
const RESERVED_PREFIX: &str = "system:";

/// Why `name` cannot name a token, if it cannot.
pub fn check_token_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("every token needs a name".into());
    }
    if name.starts_with(RESERVED_PREFIX) {
        return Err(format!(
            "names starting with {RESERVED_PREFIX:?} are reserved for the gateway's own \
             actors (system:plan, system:guard)"
        ));
    }
    Ok(())
}

pub(super) fn validate(config: &Config, src: &Source<'_>) -> Result<(), ConfigError> {
    tokens(config, src)?;
    store(config, src)?;
    guard(config, src)?;
    limits(config, src)?;
    apps(config, src)
}

fn tokens(config: &Config, src: &Source<'_>) -> Result<(), ConfigError> {
    let mut names = HashSet::new();
    let mut hashes = HashSet::new();
    for (i, t) in config.auth.tokens.iter().enumerate() {
        let key = |field: &str| format!("auth.tokens[{i}].{field}");
        check_token_name(&t.name).map_err(|m| src.invalid(&key("name"), m))?;
        if !names.insert(t.name.as_str()) {
            return Err(src.invalid(&key("name"), "the name of an earlier token"));
        }
        let h = t.token_sha256.to_ascii_lowercase();
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(src.invalid(&key("token_sha256"), "must be 64 hex characters"));
        }
        if !hashes.insert(h) {
            return Err(src.invalid(&key("token_sha256"), "the same token is configured twice"));
        }
    }
    Ok(())
}

fn store(config: &Config, src: &Source<'_>) -> Result<(), ConfigError> {
    if config.store.kind == StoreKind::Redis && config.store.url.is_none() {
        return Err(src.invalid("store.url", "required when store.kind = \"redis\""));
    }
    if !seconds_ok(config.store.revision_check_seconds) {
        return Err(src.invalid("store.revision_check_seconds", "must be in (0, 3600]"));
    }
    Ok(())
}

fn guard(config: &Config, src: &Source<'_>) -> Result<(), ConfigError> {
    if !seconds_ok(config.guard.interval_seconds) {
        return Err(src.invalid("guard.interval_seconds", "must be in (0, 3600]"));
    }
    Ok(())
}

fn seconds_ok(s: f64) -> bool {
    s > 0.0 && s <= 3600.0
}

fn limits(config: &Config, src: &Source<'_>) -> Result<(), ConfigError> {
    let l = &config.limits;
    let timeouts = [
        ("header_read_timeout_seconds", l.header_read_timeout_seconds),
        ("request_timeout_seconds", l.request_timeout_seconds),
    ];
    for (key, seconds) in timeouts {
        if !seconds_ok(seconds) {
            let message = "timeouts must be in (0, 3600] seconds";
            return Err(src.invalid(&format!("limits.{key}"), message));
        }
    }
    let counts = [
        ("max_connections", l.max_connections),
        ("max_batch", l.max_batch),
        ("max_body_bytes", l.max_body_bytes),
    ];
    for (key, count) in counts {
        if count == 0 {
            return Err(src.invalid(&format!("limits.{key}"), "must be positive"));
        }
    }
    Ok(())
}

fn apps(config: &Config, src: &Source<'_>) -> Result<(), ConfigError> {
    let mut ids = HashSet::new();
    for (i, app) in config.apps.iter().enumerate() {
        if !ids.insert(&app.id) {
            return Err(src.invalid(&format!("apps[{i}].id"), "listed twice"));
        }
        crate::control::build_app(app.input(), 0, 0)
            .map_err(|e| src.invalid(&format!("apps[{i}].environments"), e))?;
    }
    Ok(())
}
