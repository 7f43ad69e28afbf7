//! Configuration (SPEC §5) seen from outside, against the real `graygate` binary: each
//! `GRAYGATE_*` override beating the file in every section, the shipped config on the
//! default path, `check-config`, errors that name key, value and variable, apps from the
//! file created only when missing, and the 64 KiB release-config limit over HTTP.
//!
//! Gateways that the shared harness can start use [`common::Gateway`]; starts it cannot
//! express (no `--config` flag, a failing start) use `process`.

#[path = "common/mod.rs"]
mod common;

#[path = "config_http/process.rs"]
mod process;

#[path = "config_http/apps.rs"]
mod apps;
#[path = "config_http/check.rs"]
mod check;
#[path = "config_http/overrides.rs"]
mod overrides;
#[path = "config_http/release_config.rs"]
mod release_config;
#[path = "config_http/startup.rs"]
mod startup;
