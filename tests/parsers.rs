//! Property tests of every parser and validator at graygate's edge: identifiers, user ids,
//! percentages, release configs, test groups and config files. Each accepts exactly
//! what SPEC §1/§4/§5 allows, refuses everything else with an error, and never panics.

use std::path::Path;

use graygate::config::Config;
use graygate::model::{AppId, MiniProgramId, Percentage, UserId, Version};
use graygate::model::{ReleaseConfig, TestGroup};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Value, json};

/// `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`, written out independently of the crate.
fn is_identifier(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    (1..=128).contains(&s.len())
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().all(ok)
}

/// `^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$`.
fn is_version(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || ".+-".contains(c);
    (1..=64).contains(&s.len())
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().all(ok)
}

/// Strings that are often near the boundaries: identifier-ish ASCII, punctuation,
/// control characters, multibyte text, and lengths around the limits.
fn edgy_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9._+-]{0,130}",
        "[ -~]{0,40}",
        "\\PC{0,80}",
        ".{0,300}",
        "[a\\x00-\\x1f\\x7f]{0,5}",
        "[é中😀]{60,90}",
    ]
}

proptest! {
    // Found cases are kept in tests/parsers.proptest-regressions and replayed first.
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::with_cases(2000)
    })]

    #[test]
    fn identifiers_accept_exactly_the_spec_pattern(s in edgy_string()) {
        prop_assert_eq!(AppId::parse(&s).is_ok(), is_identifier(&s));
        prop_assert_eq!(MiniProgramId::parse(&s).is_ok(), is_identifier(&s));
        prop_assert_eq!(Version::parse(&s).is_ok(), is_version(&s));
        if let Ok(id) = AppId::parse(&s) {
            prop_assert_eq!(id.as_str(), s.as_str(), "never truncated or normalised");
        }
    }

    #[test]
    fn user_ids_are_1_to_256_bytes_without_control_characters(s in edgy_string()) {
        let valid = (1..=256).contains(&s.len()) && !s.chars().any(char::is_control);
        prop_assert_eq!(UserId::parse(&s).is_ok(), valid);
    }

    #[test]
    fn percentages_with_four_decimals_round_trip(ppm in 0u32..=1_000_000) {
        let p = f64::from(ppm) / 10_000.0;
        let parsed = Percentage::from_percent(p).map(Percentage::ppm);
        prop_assert_eq!(parsed, Ok(ppm));
        let json = serde_json::to_string(&Percentage::from_ppm(ppm)).unwrap_or_default();
        let back: Result<Percentage, _> = serde_json::from_str(&json);
        prop_assert_eq!(back.map(Percentage::ppm).ok(), Some(ppm), "JSON round trip of {}", json);
    }

    #[test]
    fn percentages_with_a_fifth_decimal_or_out_of_range_are_refused(
        ppm in 0u32..1_000_000, fifth in 1u32..10, far in prop_oneof![-1e9..-1e-9f64, 100.000_01..1e12f64]
    ) {
        let p = (f64::from(ppm) * 10.0 + f64::from(fifth)) / 100_000.0;
        prop_assert!(Percentage::from_percent(p).is_err(), "{p} has five decimals");
        prop_assert!(Percentage::from_percent(far).is_err(), "{far} is out of range");
    }

    #[test]
    fn release_configs_are_objects_with_valid_hosts(value in json_value(3)) {
        let result = ReleaseConfig::try_from(value.clone());
        let Value::Object(map) = &value else {
            prop_assert!(result.is_err(), "only objects are configs");
            return Ok(());
        };
        let hosts_ok = map.get("network_allowlist").is_none_or(|l| {
            l.as_array().is_some_and(|a| a.iter().all(|h| h.as_str().is_some_and(is_host)))
        });
        let payment_ok = map.get("payment").is_none_or(Value::is_object);
        let small = value.to_string().len() <= 64 * 1024;
        prop_assert_eq!(result.is_ok(), hosts_ok && payment_ok && small);
    }

    #[test]
    fn test_groups_keep_every_distinct_valid_id(ids in prop::collection::vec(edgy_string(), 0..50)) {
        let all_valid = ids.iter().all(|s| UserId::parse(s).is_ok());
        match TestGroup::parse(&ids) {
            Ok(group) => {
                prop_assert!(all_valid);
                let distinct: std::collections::HashSet<&String> = ids.iter().collect();
                prop_assert_eq!(group.len(), distinct.len());
                prop_assert!(ids.iter().all(|id| group.contains(id)));
                let stored = group.to_lines().ok().and_then(|lines| TestGroup::from_lines(lines).ok());
                prop_assert_eq!(stored, Some(group), "storage format round trip");
            }
            Err(_) => prop_assert!(!all_valid),
        }
    }

    #[test]
    fn config_files_never_panic(text in "[\\[\\]a-z_.=\" \\n0-9{}:,]{0,200}", var in "[A-Z_]{0,30}", value in "\\PC{0,30}") {
        let vars = vec![(format!("GRAYGATE_{var}"), value)];
        let _ = Config::from_parts(Path::new("fuzz.toml"), &text, vars);
    }
}

/// RFC 1123 host name with an optional `*.` prefix.
fn is_host(h: &str) -> bool {
    let name = h.strip_prefix("*.").unwrap_or(h);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    !name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok)
}

/// Arbitrary JSON, biased towards the keys release configs care about.
fn json_value(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z.*-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(depth, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("network_allowlist".to_string()),
                        Just("payment".to_string()),
                        "[a-z]{1,6}"
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

#[test]
fn config_files_with_every_key_load() {
    let text = include_str!("../config/graygate.toml");
    assert!(Config::from_parts(Path::new("graygate.toml"), text, Vec::new()).is_ok());
}
