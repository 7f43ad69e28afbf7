//! For the flag parsers' unit tests: what a `graygate release …` command line would send,
//! decided as `run` decides it, without a gateway.

use clap::Parser;
use serde_json::Value;

use super::client::Method;
use super::{Call, ReleaseArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    release: ReleaseArgs,
}

/// The method, path and body `graygate release <args>` would send; clap's message or
/// "not a write" otherwise.
pub(super) fn write_of(args: &[&str]) -> Result<(Method, String, Option<Value>), String> {
    let cli = Cli::try_parse_from([&["release"], args].concat()).map_err(|e| e.to_string())?;
    match Call::for_op(&cli.release.op) {
        Ok(Call::Write {
            method, path, body, ..
        }) => Ok((method, path, body)),
        _ => Err("not a write".into()),
    }
}
