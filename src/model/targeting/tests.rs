use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::json;

use super::*;

mod reference;
mod version;

fn targeting(json: serde_json::Value) -> Result<Targeting, String> {
    serde_json::from_value(json).map_err(|e| e.to_string())
}

/// Every property test tries the same cases on every run: a fixed seed, so a failure
/// reproduces without a regressions file.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x7a46_6574),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// --- attribute names and values ------------------------------------------------

#[test]
fn attribute_names_and_values_are_checked() {
    for ok in ["os", "app_version", "a", "x9_", &"a".repeat(32)] {
        assert_eq!(check_attribute_name(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "Os",
        "9os",
        "_os",
        "os-version",
        "os.version",
        "ös",
        &"a".repeat(33),
    ] {
        let e = check_attribute_name(bad).expect_err(bad);
        assert_eq!(e.field, "attribute");
    }
    for ok in ["android", "10.2.3", "Zürich", " x ", &"é".repeat(128)] {
        assert_eq!(check_attribute_value(ok), Ok(()), "{ok}");
    }
    for bad in ["", "a\nb", "\u{7f}", "tab\t", "\u{85}", &"a".repeat(257)] {
        assert!(check_attribute_value(bad).is_err(), "{bad:?}");
    }
}

// --- validation and the JSON shape ----------------------------------------------

#[test]
fn every_invalid_rule_names_its_rule_and_field() {
    let ok = json!({"attribute":"os","op":"in","values":["android"]});
    let many: Vec<_> = (0..=MAX_VALUES).map(|i| i.to_string()).collect();
    let cases = [
        (
            json!({"attribute":"OS","op":"in","values":["a"]}),
            "rules[1].attribute: must match",
        ),
        (
            json!({"attribute":"os","op":"in"}),
            "rules[1].values: is required for in",
        ),
        (
            json!({"attribute":"os","op":"not_in","value":"a"}),
            "rules[1].value: does not apply",
        ),
        (
            json!({"attribute":"os","op":"in","values":[]}),
            "rules[1].values: must have 1 to 1000",
        ),
        (
            json!({"attribute":"os","op":"in","values":many}),
            "rules[1].values: must have 1 to 1000",
        ),
        (
            json!({"attribute":"os","op":"in","values":["a",""]}),
            "rules[1].values[1]: must be 1 to",
        ),
        (
            json!({"attribute":"os","op":"in","values":["a\u{0}"]}),
            "rules[1].values[0]: must not",
        ),
        (
            json!({"attribute":"os","op":"starts_with","values":["a"]}),
            "rules[1].values: does not",
        ),
        (
            json!({"attribute":"os","op":"starts_with"}),
            "rules[1].value: is required",
        ),
        (
            json!({"attribute":"os","op":"starts_with","value":1}),
            "rules[1].value: must be a string",
        ),
        (
            json!({"attribute":"os","op":"starts_with","value":""}),
            "rules[1].value: must be 1 to",
        ),
        (
            json!({"attribute":"os","op":"starts_with","value":"a","case_insensitive":true}),
            "rules[1].case_insensitive: applies to in and not_in only",
        ),
        (
            json!({"attribute":"v","op":"version_gte","value":"1","case_insensitive":false}),
            "rules[1].case_insensitive",
        ),
        (
            json!({"attribute":"v","op":"version_gte","value":"abc"}),
            "rules[1].value: not a version",
        ),
        (
            json!({"attribute":"v","op":"version_eq","value":"1.2.3.4.5"}),
            "rules[1].value: not a",
        ),
        (
            json!({"attribute":"v","op":"version_lt","value":10}),
            "rules[1].value: must be a string",
        ),
        (
            json!({"attribute":"v","op":"version_lt"}),
            "rules[1].value: is required",
        ),
        (
            json!({"attribute":"n","op":"num_gte","value":"10"}),
            "rules[1].value: must be a JSON number",
        ),
        (
            json!({"attribute":"n","op":"num_lt","value":true}),
            "rules[1].value: must be a JSON number",
        ),
        (
            json!({"attribute":"n","op":"num_lt","values":["1"]}),
            "rules[1].values: does not apply",
        ),
        (
            json!({"attribute":"os","op":"eq","value":"a"}),
            "unknown variant",
        ),
        (
            json!({"attribute":"os","op":"in","values":["a"],"negate":true}),
            "unknown field",
        ),
        (
            json!({"attribute":"os","values":["a"]}),
            "missing field `op`",
        ),
        (
            json!({"attribute":"os","op":"in","values":[1]}),
            "invalid type",
        ),
    ];
    for (rule, want) in cases {
        let got = targeting(json!({"rules":[ok, rule]})).expect_err(want);
        assert!(got.contains(want), "{got} should contain {want}");
    }
    let rules = vec![ok.clone(); MAX_RULES + 1];
    let got = targeting(json!({"rules":rules})).expect_err("17 rules");
    assert!(got.contains("rules: at most 16 rules"), "{got}");
    let got = targeting(json!({"rules":[],"extra":1})).expect_err("unknown field");
    assert!(got.contains("unknown field"), "{got}");
    assert_eq!(
        targeting(json!({"rules":vec![ok; MAX_RULES]})).map(|t| t.rules().len()),
        Ok(16)
    );
}

#[test]
fn a_targeting_round_trips_as_given() {
    let json = json!({"rules":[
        {"attribute":"os","op":"in","values":["harmonyos","Android","android"],"case_insensitive":true},
        {"attribute":"region","op":"not_in","values":["cn-north"],"case_insensitive":false},
        {"attribute":"device_model","op":"starts_with","value":"HUAWEI"},
        {"attribute":"app_version","op":"version_gte","value":"10.02"},
        {"attribute":"app_version","op":"version_lt","value":"11.0.0-beta"},
        {"attribute":"os_version","op":"version_eq","value":"14"},
        {"attribute":"level","op":"num_gte","value":2.5},
        {"attribute":"level","op":"num_lt","value":-3}
    ]});
    let t = targeting(json.clone()).expect("valid");
    assert_eq!(t.rules().len(), 8);
    assert_eq!(t.rules()[3].attribute(), "app_version");
    assert_eq!(serde_json::to_value(&t).ok(), Some(json.clone()));
    assert_eq!(
        serde_json::to_value(RawTargeting::from(&t)).ok(),
        Some(json)
    );
    assert!(Targeting::default().is_empty());
    assert_eq!(targeting(json!({"rules":[]})), Ok(Targeting::default()));
}

// --- evaluation -------------------------------------------------------------------

fn attrs(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

pub(super) fn holds(t: &Targeting, attrs: &HashMap<String, String>) -> bool {
    t.holds(|name| {
        let name = std::str::from_utf8(name).ok()?;
        attrs.get(name).map(String::as_str)
    })
}

#[test]
fn the_spec_example_holds_for_new_android_clients_only() {
    let t = targeting(json!({"rules":[
        {"attribute":"os","op":"in","values":["android","harmonyos"]},
        {"attribute":"app_version","op":"version_gte","value":"10.2"}]}))
    .expect("valid");
    assert!(holds(
        &t,
        &attrs(&[("os", "android"), ("app_version", "10.2.3")])
    ));
    assert!(holds(
        &t,
        &attrs(&[("os", "harmonyos"), ("app_version", "10.2")])
    ));
    assert!(holds(
        &t,
        &attrs(&[("os", "android"), ("app_version", "10.10")])
    ));
    assert!(!holds(
        &t,
        &attrs(&[("os", "android"), ("app_version", "10.2-beta")])
    ));
    assert!(!holds(
        &t,
        &attrs(&[("os", "Android"), ("app_version", "10.2")])
    ));
    assert!(!holds(&t, &attrs(&[("os", "ios"), ("app_version", "11")])));
    assert!(!holds(
        &t,
        &attrs(&[("os", "android"), ("app_version", "latest")])
    ));
    assert!(
        !holds(&t, &attrs(&[("app_version", "11")])),
        "absent fails closed"
    );
    let checks = t.explain(|name| (name == "os").then_some("android"));
    let seen: Vec<_> = checks.iter().map(|c| (c.seen, c.held)).collect();
    assert_eq!(seen, [(Some("android"), true), (None, false)]);
    assert_eq!(checks[1].rule, t.rules()[1].raw().clone());
}

#[test]
fn membership_numbers_and_prefixes_evaluate_exactly() {
    let t = |rule: serde_json::Value| targeting(json!({"rules":[rule]})).expect("valid");
    let ci = t(json!({"attribute":"os","op":"in","values":["Android"],"case_insensitive":true}));
    let not_in = t(json!({"attribute":"os","op":"not_in","values":["a"],"case_insensitive":true}));
    let long = "A".repeat(300);
    assert!(holds(&ci, &attrs(&[("os", "aNDROID")])));
    assert!(!holds(&ci, &attrs(&[("os", &long)])));
    assert!(
        holds(&not_in, &attrs(&[("os", &long)])),
        "too long to be listed"
    );
    assert!(!holds(&not_in, &attrs(&[("os", "A")])));
    assert!(!holds(&not_in, &attrs(&[])), "not_in fails closed too");
    let fold_ascii_only =
        t(json!({"attribute":"c","op":"in","values":["ä"],"case_insensitive":true}));
    assert!(!holds(&fold_ascii_only, &attrs(&[("c", "Ä")])));
    let num = t(json!({"attribute":"n","op":"num_gte","value":100}));
    assert!(holds(&num, &attrs(&[("n", "1e2")])));
    assert!(holds(&num, &attrs(&[("n", "100.5")])));
    for no in ["99.9", "inf", "NaN", "ten", ""] {
        assert!(!holds(&num, &attrs(&[("n", no)])), "{no}");
    }
    let prefix = t(json!({"attribute":"m","op":"starts_with","value":"HUAWEI"}));
    assert!(holds(&prefix, &attrs(&[("m", "HUAWEI P60")])));
    assert!(!holds(&prefix, &attrs(&[("m", "huawei P60")])));
}

#[test]
fn the_schema_states_the_constraints() {
    use utoipa::PartialSchema;
    let schema = |s| serde_json::to_value(s).unwrap_or_default();
    let targeting = schema(RawTargeting::schema());
    assert_eq!(
        targeting["properties"]["rules"]["maxItems"],
        json!(MAX_RULES)
    );
    let rule = schema(RawRule::schema()).to_string();
    for want in [
        r#""maxItems":1000"#,
        r#""minItems":1"#,
        "^[a-z][a-z0-9_]{0,31}$",
    ] {
        assert!(rule.contains(want), "{want} in {rule}");
    }
    let ops = schema(Op::schema());
    let names: Vec<_> = Op::ALL.iter().map(|op| op.as_str()).collect();
    assert_eq!(ops["enum"], json!(names));
    let serialized: Vec<_> = Op::ALL.iter().map(|op| json!(op)).collect();
    assert_eq!(json!(serialized), json!(names));
}
