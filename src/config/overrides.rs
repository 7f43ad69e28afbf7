//! `GRAYGATE_*` environment overrides, merged into the raw TOML table before it is typed,
//! so a value from the environment is checked exactly like the same value in the file.

use super::ConfigError;

/// Environment variables with the prefix that are not settings.
const NOT_SETTINGS: [&str; 5] = ["REQUIRE_REDIS", "TOKEN", "CONFIG", "LOG", "ADMIN_URL"];
const SECTIONS: [&str; 5] = ["server", "store", "auth", "limits", "guard"];

/// Sets one `GRAYGATE_*` override into the raw TOML table and answers the key path it set
/// (`limits.max_batch`), or `None` for a variable that is not a setting.
pub(super) fn apply(
    table: &mut toml::Table,
    var: &str,
    value: &str,
) -> Result<Option<String>, ConfigError> {
    let Some(name) = var.strip_prefix("GRAYGATE_") else {
        return Ok(None);
    };
    if NOT_SETTINGS.contains(&name) {
        return Ok(None);
    }
    let err = |message: String| ConfigError::Env {
        var: var.to_string(),
        message,
    };
    let lower = name.to_ascii_lowercase();
    if lower == "apps" {
        table.insert("apps".into(), parse_value(value).map_err(err)?);
        return Ok(Some("apps".into()));
    }
    let Some((section, key)) = SECTIONS.iter().find_map(|s| {
        lower
            .strip_prefix(s)
            .and_then(|k| k.strip_prefix('_'))
            .map(|k| (*s, k))
    }) else {
        return Err(err(
            "not a known setting (sections: server, store, auth, limits, guard, apps)".into(),
        ));
    };
    let entry = table
        .entry(section)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let Some(entry) = entry.as_table_mut() else {
        return Err(err(format!(
            "{section} is not a table in the config file, so {section}.{key} cannot be set"
        )));
    };
    entry.insert(key.to_string(), setting_value(value).map_err(err)?);
    Ok(Some(format!("{section}.{key}")))
}

/// Strings need no quoting in the environment; numbers, booleans, arrays and tables parse
/// as TOML. A value that starts like an array or a table must parse: taking a broken
/// `[{…}` as a string would hide the syntax error behind a type error.
fn setting_value(raw: &str) -> Result<toml::Value, String> {
    match parse_value(raw) {
        Ok(value) => Ok(value),
        Err(e) if raw.trim_start().starts_with(['[', '{']) => Err(e),
        Err(_) => Ok(toml::Value::String(raw.to_string())),
    }
}

fn parse_value(raw: &str) -> Result<toml::Value, String> {
    let doc: toml::Table = toml::from_str(&format!("v = {raw}"))
        .map_err(|e| format!("not a TOML value: {}", e.message()))?;
    doc.get("v")
        .cloned()
        .ok_or_else(|| "empty value".to_string())
}
