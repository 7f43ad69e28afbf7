//! Turns a key path into an error an operator can act on: the path, the value found there,
//! the token or app it belongs to, and whether the file or a `GRAYGATE_*` variable set it.

use std::fmt::Display;
use std::path::Path;

use super::ConfigError;

/// Values longer than this are cut in messages (a whole `GRAYGATE_APPS` array, say).
const MAX_SHOWN_CHARS: usize = 120;

/// The raw settings after overrides, and which variable set which key path.
pub(super) struct Source<'a> {
    file: &'a Path,
    table: &'a toml::Table,
    set_by: &'a [(String, String)],
}

impl<'a> Source<'a> {
    pub(super) fn new(
        file: &'a Path,
        table: &'a toml::Table,
        set_by: &'a [(String, String)],
    ) -> Source<'a> {
        Source {
            file,
            table,
            set_by,
        }
    }

    /// `key = value (token "x", from GRAYGATE_…): message`; `(not set)` for a missing key.
    pub(super) fn invalid(&self, key: &str, message: impl Display) -> ConfigError {
        let mut notes = Vec::new();
        if let Some(owner) = self.owner(key) {
            notes.push(owner);
        }
        let value = lookup(self.table, key);
        if value.is_none() {
            notes.push("not set".to_string());
        }
        match self.var_for(key) {
            Some(var) => notes.push(format!("from {var}")),
            None if value.is_some() => notes.push(format!("in {}", self.file.display())),
            None => {}
        }
        let shown = value.map(|v| format!(" = {}", shorten(&v.to_string())));
        ConfigError::Invalid(format!(
            "{key}{} ({}): {message}",
            shown.unwrap_or_default(),
            notes.join(", ")
        ))
    }

    /// The `GRAYGATE_*` variable that set `key` or a table that holds it.
    fn var_for(&self, key: &str) -> Option<&str> {
        let covers = |set: &str| {
            key.strip_prefix(set)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        };
        self.set_by
            .iter()
            .rev()
            .find(|(set, _)| covers(set))
            .map(|(_, var)| var.as_str())
    }

    /// The token or app a key inside `auth.tokens[i]` or `apps[i]` belongs to, by its name.
    fn owner(&self, key: &str) -> Option<String> {
        let (list, field, label) = if key.starts_with("auth.tokens[") {
            ("auth.tokens", "name", "token")
        } else if key.starts_with("apps[") {
            ("apps", "id", "app")
        } else {
            return None;
        };
        let index = key[list.len()..].split(']').next()?;
        let entry = lookup(self.table, &format!("{list}{index}]"))?;
        let name = entry.get(field)?.as_str()?;
        Some(format!("{label} {name:?}"))
    }
}

/// The part of a `serde_path_to_error` path that names keys: it writes `?` for a map key
/// it could not capture (an environment name, say), and the value of the table above it
/// still shows the operator the key.
pub(super) fn known_part(path: &str) -> &str {
    match path.find('?') {
        Some(at) => path[..at].trim_end_matches('.'),
        None => path,
    }
}

/// The value at a key path such as `auth.tokens[2].role` (the syntax of
/// `serde_path_to_error`'s paths); `None` where nothing is set.
pub(super) fn lookup<'t>(table: &'t toml::Table, key: &str) -> Option<&'t toml::Value> {
    let mut found: Option<&toml::Value> = None;
    for part in key.split('.') {
        let mut pieces = part.split('[');
        let name = pieces.next()?;
        let value = match found {
            None => table.get(name)?,
            Some(parent) => parent.get(name)?,
        };
        found = Some(value);
        for index in pieces {
            let index: usize = index.strip_suffix(']')?.parse().ok()?;
            found = Some(found?.get(index)?);
        }
    }
    found
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
