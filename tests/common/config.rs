//! The generated config file: the actors ([`Who`]) and their tokens, target apps, the
//! store and extra settings ([`Options`]).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The actors configured in every test gateway: one token per person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    Admin,
    Developer,
    Developer2,
    Reviewer,
    Reviewer2,
    Viewer,
}

impl Who {
    pub const ALL: [Who; 6] = [
        Who::Admin,
        Who::Developer,
        Who::Developer2,
        Who::Reviewer,
        Who::Reviewer2,
        Who::Viewer,
    ];

    /// The token name, which the gateway records as the actor in history.
    pub fn name(self) -> &'static str {
        match self {
            Who::Admin => "ops-alice",
            Who::Developer => "dev-dana",
            Who::Developer2 => "dev-dave",
            Who::Reviewer => "rev-rita",
            Who::Reviewer2 => "rev-rob",
            Who::Viewer => "view-vic",
        }
    }

    pub fn role(self) -> &'static str {
        match self {
            Who::Admin => "admin",
            Who::Developer | Who::Developer2 => "developer",
            Who::Reviewer | Who::Reviewer2 => "reviewer",
            Who::Viewer => "viewer",
        }
    }

    /// The bearer token; only its SHA-256 goes into the config file.
    pub fn token(self) -> String {
        format!("graygate-test-token-{}", self.name())
    }
}

/// Hex SHA-256 of a bearer token, as `token_sha256` wants it.
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A target app of the config file: its id and the policy of each environment, written
/// as TOML inline tables (`"{ approval = \"manual\", pilot_testing = true }"`).
#[derive(Debug, Clone)]
pub struct TargetApp {
    id: String,
    environments: Vec<(String, String)>,
    /// `report_token_sha256`, verbatim (a hash, or something that is not one).
    report_token_sha256: Option<String>,
}

impl TargetApp {
    pub fn new(id: &str) -> Self {
        TargetApp {
            id: id.to_string(),
            environments: Vec::new(),
            report_token_sha256: None,
        }
    }

    /// Requires `token` with the app's health reports (its SHA-256 goes into the file).
    pub fn report_token(self, token: &str) -> Self {
        self.report_token_sha256(&token_sha256(token))
    }

    /// Sets `report_token_sha256` to `value` as given.
    pub fn report_token_sha256(mut self, value: &str) -> Self {
        self.report_token_sha256 = Some(value.to_string());
        self
    }

    /// Adds environment `env` with `policy`, a TOML inline table (`"{}"` for the defaults).
    pub fn env(mut self, env: &str, policy: &str) -> Self {
        self.environments
            .push((env.to_string(), policy.to_string()));
        self
    }

    fn to_toml(&self) -> String {
        let mut out = format!("[[apps]]\nid = {}\n", toml_string(&self.id));
        if let Some(hash) = &self.report_token_sha256 {
            out.push_str(&format!("report_token_sha256 = {}\n", toml_string(hash)));
        }
        for (env, policy) in &self.environments {
            out.push_str(&format!("environments.{env} = {policy}\n"));
        }
        out
    }
}

/// Where the gateway keeps its state.
#[derive(Debug, Clone, Default)]
pub enum StoreSpec {
    /// An embedded store file inside the gateway's temporary directory.
    #[default]
    Embedded,
    /// An embedded store file at this path (for example shared with a later gateway).
    EmbeddedAt(PathBuf),
    /// The body of the `[store]` section, verbatim (for example a Redis store).
    Section(String),
}

/// What to start a gateway with. `Options::default()` has no target apps, an embedded
/// store in the temporary directory and no extra settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub apps: Vec<TargetApp>,
    pub store: StoreSpec,
    /// Appended to the config file verbatim: whole sections other than `[server]`,
    /// `[store]` and `[auth]` (for example `[limits]`). Server settings can be given as
    /// `GRAYGATE_SERVER_*` variables through [`Options::env`].
    pub extra_toml: String,
    /// Extra environment variables of the process (`GRAYGATE_*` overrides, `GRAYGATE_LOG`).
    pub env: Vec<(String, String)>,
    /// Actors configured with another role than [`Who::role`] (same name, same token).
    pub roles: Vec<(Who, String)>,
}

impl Options {
    pub fn app(mut self, app: TargetApp) -> Self {
        self.apps.push(app);
        self
    }

    pub fn store(mut self, store: StoreSpec) -> Self {
        self.store = store;
        self
    }

    pub fn extra_toml(mut self, toml: &str) -> Self {
        self.extra_toml.push_str(toml);
        self.extra_toml.push('\n');
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Configures `who` with `role` instead of its usual role (for example to model a
    /// person who moved from development to review between two starts).
    pub fn role(mut self, who: Who, role: &str) -> Self {
        self.roles.push((who, role.to_string()));
        self
    }

    fn role_of(&self, who: Who) -> &str {
        self.roles
            .iter()
            .rev()
            .find(|(w, _)| *w == who)
            .map_or(who.role(), |(_, role)| role.as_str())
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The config file for `options`, with the store at `store_path` unless a section is given.
pub(crate) fn config_text(options: &Options, store_path: &Path) -> String {
    let mut out = String::from(
        "[server]\nclient_listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n\n[store]\n",
    );
    match &options.store {
        StoreSpec::Embedded | StoreSpec::EmbeddedAt(_) => {
            let path = toml_string(&store_path.to_string_lossy());
            out.push_str(&format!("kind = \"embedded\"\npath = {path}\n"));
        }
        StoreSpec::Section(body) => out.push_str(body),
    }
    out.push('\n');
    for who in Who::ALL {
        out.push_str(&format!(
            "\n[[auth.tokens]]\nname = {}\nrole = {}\ntoken_sha256 = \"{}\"\n",
            toml_string(who.name()),
            toml_string(options.role_of(who)),
            token_sha256(&who.token()),
        ));
    }
    for app in &options.apps {
        out.push('\n');
        out.push_str(&app.to_toml());
    }
    out.push('\n');
    out.push_str(&options.extra_toml);
    out
}
