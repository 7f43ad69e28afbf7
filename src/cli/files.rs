//! The files `graygate release` reads: the release config (a JSON object) and the test
//! group (one user id per line) for `create`, a targeting (`{"rules":[…]}`) for
//! `release targeting --json-file`.

use std::path::Path;

use serde_json::Value;

use super::CliError;
use crate::model::RawTargeting;

fn read_file(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::BadFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The release config: a JSON object (the gateway checks its keys and size).
pub(super) fn read_config(path: &Path) -> Result<Value, CliError> {
    let bad = |message: String| CliError::BadFile {
        path: path.to_path_buf(),
        message,
    };
    match serde_json::from_str(&read_file(path)?) {
        Ok(Value::Object(config)) => Ok(Value::Object(config)),
        Ok(_) => Err(bad("the release config must be a JSON object".into())),
        Err(e) => Err(bad(format!("not valid JSON: {e}"))),
    }
}

/// A targeting as the API takes it, sent as written once it has the API's shape (the
/// gateway judges the rules and answers 400 naming the one at fault).
pub(super) fn read_targeting(path: &Path) -> Result<Value, CliError> {
    let bad = |message: String| CliError::BadFile {
        path: path.to_path_buf(),
        message,
    };
    let text = read_file(path)?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    serde_json::from_value::<RawTargeting>(value.clone())
        .map_err(|e| bad(format!("not a targeting ({{\"rules\":[…]}}): {e}")))?;
    Ok(value)
}

/// One user id per line, taken as written (only line endings and blank lines are dropped:
/// user ids are hashed byte for byte, so no other trimming).
pub(super) fn read_test_group(path: &Path) -> Result<Vec<String>, CliError> {
    let text = read_file(path)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(text
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_group_files_hold_one_id_per_line_taken_as_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("group.txt");
        std::fs::write(&path, "\u{feff}qa-1\r\n qa 2\n\nqa-3").expect("write");
        let ids = read_test_group(&path).expect("readable");
        assert_eq!(ids, vec!["qa-1", " qa 2", "qa-3"]);
        std::fs::write(&path, "[1, 2]").expect("write");
        assert!(matches!(read_config(&path), Err(CliError::BadFile { .. })));
    }

    #[test]
    fn targeting_files_must_have_the_api_shape() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("targeting.json");
        let rules = r#"{"rules":[{"attribute":"os","op":"in","values":["a,b"]}]}"#;
        std::fs::write(&path, rules).expect("write");
        let read = read_targeting(&path).ok();
        assert_eq!(read, serde_json::from_str(rules).ok());
        std::fs::write(&path, r#"{"rule":[]}"#).expect("write");
        let typo = read_targeting(&path).map_err(|e| e.to_string());
        assert!(typo.is_err_and(|e| e.contains("not a targeting")));
    }
}
