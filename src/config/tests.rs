//! The config's unit tests: loading, overrides, and errors that name their key and value.

use super::*;

fn parse(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Config::from_parts(Path::new("test.toml"), text, vars)
}

#[test]
fn shipped_config_is_valid_and_has_no_credential() {
    let text = include_str!("../../config/graygate.toml");
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

/// The message of an `Invalid` error, or a panic naming what came instead.
fn invalid(text: &str, vars: &[(&str, &str)]) -> String {
    match parse(text, vars) {
        Err(ConfigError::Invalid(message)) => message,
        other => panic!("expected an invalid-config error, got {other:?}"),
    }
}

fn assert_names(message: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            message.contains(needle),
            "{needle:?} missing in {message:?}"
        );
    }
}

fn token(name: &str, role: &str, hash_byte: &str) -> String {
    format!(
        "[[auth.tokens]]\nname = \"{name}\"\nrole = \"{role}\"\ntoken_sha256 = \"{}\"\n",
        hash_byte.repeat(32)
    )
}

#[test]
fn a_type_error_names_the_key_the_value_and_the_file() {
    let message = invalid("[limits]\nmax_batch = \"lots\"", &[]);
    assert_names(&message, &["limits.max_batch", "\"lots\"", "test.toml"]);
}

#[test]
fn a_type_error_from_the_environment_names_the_variable() {
    let message = invalid("", &[("GRAYGATE_LIMITS_MAX_BATCH", "lots")]);
    assert_names(
        &message,
        &["limits.max_batch", "\"lots\"", "GRAYGATE_LIMITS_MAX_BATCH"],
    );
}

#[test]
fn a_bad_socket_address_names_the_key_and_the_value() {
    let message = invalid("[server]\nclient_listen = \"localhost:80:80\"", &[]);
    assert_names(&message, &["server.client_listen", "localhost:80:80"]);
    let message = invalid("", &[("GRAYGATE_SERVER_ADMIN_LISTEN", "127.0.0.1")]);
    assert_names(
        &message,
        &[
            "server.admin_listen",
            "127.0.0.1",
            "GRAYGATE_SERVER_ADMIN_LISTEN",
        ],
    );
}

#[test]
fn an_unknown_role_names_the_token_its_index_and_the_role() {
    let text = [
        token("a", "admin", "aa"),
        token("b", "viewer", "bb"),
        token("ops-bob", "boss", "cc"),
    ]
    .concat();
    let message = invalid(&text, &[]);
    assert_names(
        &message,
        &["auth.tokens[2].role", "\"boss\"", "\"ops-bob\""],
    );
    let tokens = format!(
        "[{{name = \"env-bob\", role = \"boss\", token_sha256 = \"{}\"}}]",
        "ab".repeat(32)
    );
    let message = invalid("", &[("GRAYGATE_AUTH_TOKENS", &tokens)]);
    assert_names(
        &message,
        &[
            "auth.tokens[0].role",
            "\"boss\"",
            "\"env-bob\"",
            "GRAYGATE_AUTH_TOKENS",
        ],
    );
}

#[test]
fn an_unknown_key_names_its_path_and_value() {
    let message = invalid("[limits]\nmax_btach = 5", &[]);
    assert_names(&message, &["limits.max_btach", "5", "test.toml"]);
    let message = invalid("[[apps]]\nid = \"a\"\nenvironment = {}", &[]);
    assert_names(&message, &["apps[0].environment", "app \"a\""]);
    // An environment name is a map key the path cannot hold: the table above it shows it.
    let message = invalid("[[apps]]\nid = \"a\"\nenvironments.staging = {}", &[]);
    assert_names(
        &message,
        &["apps[0].environments = { staging = {} }", "app \"a\""],
    );
    assert!(!message.contains('?'), "{message}");
    let message = invalid("", &[("GRAYGATE_STORE_CACHE", "64")]);
    assert_names(&message, &["store.cache", "64", "GRAYGATE_STORE_CACHE"]);
}

#[test]
fn validation_errors_name_the_key_and_value() {
    let message = invalid("[limits]\nmax_batch = 0", &[]);
    assert_names(&message, &["limits.max_batch = 0", "positive"]);
    let message = invalid("", &[("GRAYGATE_LIMITS_REQUEST_TIMEOUT_SECONDS", "7200")]);
    assert_names(
        &message,
        &[
            "limits.request_timeout_seconds = 7200",
            "GRAYGATE_LIMITS_REQUEST_TIMEOUT_SECONDS",
        ],
    );
    let message = invalid(&token("ops-amy", "admin", "xy"), &[]);
    assert_names(
        &message,
        &["auth.tokens[0].token_sha256", "xyxy", "\"ops-amy\""],
    );
    let message = invalid("[store]\nkind = \"redis\"", &[]);
    assert_names(&message, &["store.url", "not set"]);
    let apps = "[{id = \"x\", environments.sandbox = {}}]";
    let message = invalid("", &[("GRAYGATE_APPS", apps)]);
    assert_names(
        &message,
        &["apps[0].environments", "app \"x\"", "GRAYGATE_APPS"],
    );
    let twice = [token("a", "admin", "aa"), token("a", "viewer", "bb")].concat();
    assert_names(&invalid(&twice, &[]), &["auth.tokens[1].name = \"a\""]);
}

#[test]
fn token_names_in_the_system_namespace_are_refused() {
    for name in ["system:plan", "system:guard", "system:ops"] {
        let message = invalid(&token(name, "admin", "aa"), &[]);
        assert_names(&message, &["auth.tokens[0].name", name, "reserved"]);
    }
    let allowed = parse(&token("systems-team", "admin", "aa"), &[]);
    assert!(allowed.is_ok(), "{allowed:?}");
}

#[test]
fn a_broken_table_in_the_environment_is_a_syntax_error_of_that_variable() {
    let broken = parse("", &[("GRAYGATE_AUTH_TOKENS", "[{name = \"a\"")]);
    assert!(
        matches!(&broken, Err(ConfigError::Env { var, .. }) if var == "GRAYGATE_AUTH_TOKENS"),
        "{broken:?}"
    );
}

#[test]
fn only_a_missing_token_list_is_warned_about() {
    let config = parse("", &[]).expect("empty config loads");
    assert_eq!(config.warnings(), [NO_TOKENS_WARNING]);
    let config = parse(&token("a", "admin", "aa"), &[]).expect("loads");
    assert!(config.warnings().is_empty());
}

#[test]
fn an_app_takes_a_report_token_hash_and_refuses_a_bad_one_by_name() {
    let app = |hash: &str| {
        format!(
            "[[apps]]\nid = \"superapp-a\"\nreport_token_sha256 = \"{hash}\"\n\
             environments.production = {{}}"
        )
    };
    let config = parse(&app(&"AB".repeat(32)), &[]).expect("a hash in either case loads");
    let hash = config.apps[0].report_token_sha256.map(String::from);
    assert_eq!(hash, Some("ab".repeat(32)));
    let without = parse("[[apps]]\nid = \"a\"\nenvironments.production = {}", &[]);
    assert_eq!(without.expect("loads").apps[0].report_token_sha256, None);
    for bad in ["xyz", &"ab".repeat(31), &"ag".repeat(32)] {
        let message = invalid(&app(bad), &[]);
        assert_names(&message, &["apps[0].report_token_sha256", bad, "64 hex"]);
    }
    let from_env = format!(
        "[{{id = \"superapp-a\", report_token_sha256 = \"{}\", environments.production = {{}}}}]",
        "0f".repeat(32)
    );
    let config = parse("", &[("GRAYGATE_APPS", &from_env)]).expect("override loads");
    assert!(config.apps[0].report_token_sha256.is_some());
}
