//! `graygate hash-token`: the `token_sha256` of a bearer token read on stdin, or with
//! `--name` and `--role` a complete `[[auth.tokens]]` entry to append to the config file.

use clap::Args;

use crate::model::Role;

#[derive(Debug, Args)]
pub struct HashTokenArgs {
    /// Print a whole [[auth.tokens]] entry with this token name (needs --role).
    #[arg(long, requires = "role")]
    name: Option<String>,
    /// The entry's role: viewer, developer, admin or reviewer (needs --name).
    #[arg(long, requires = "name", value_parser = parse_role)]
    role: Option<Role>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashTokenError {
    #[error("no token on stdin")]
    NoToken,
    #[error("--name {name:?}: {message}")]
    BadName { name: String, message: String },
}

/// What `hash-token` prints for `token` (one line read from stdin, newline included).
pub fn hash_token(args: &HashTokenArgs, token: &str) -> Result<String, HashTokenError> {
    if token.trim().is_empty() {
        return Err(HashTokenError::NoToken);
    }
    // The same hash the gateway compares bearer tokens with.
    let hash = crate::http::auth::hash_token(token);
    let (Some(name), Some(role)) = (&args.name, args.role) else {
        return Ok(format!("{hash}\n"));
    };
    crate::config::check_token_name(name).map_err(|message| HashTokenError::BadName {
        name: name.clone(),
        message,
    })?;
    // TOML quoting, so a name with a quote or a backslash still makes a valid entry.
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    Ok(format!(
        "[[auth.tokens]]\nname = {}\nrole = {}\ntoken_sha256 = {}\n",
        quoted(name),
        quoted(role.as_str()),
        quoted(&hash)
    ))
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::ALL
        .into_iter()
        .find(|r| r.as_str() == raw)
        .ok_or_else(|| {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("not a role; one of {}", names.join(", "))
        })
}
