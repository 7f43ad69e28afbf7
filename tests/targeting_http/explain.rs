//! Explain with attributes (SPEC §10): every rule with the value seen and whether it
//! held, `targeted`, and a grayscale step that names the failing attribute; the
//! decision is the one resolve makes.

use serde_json::{Value, json};

use crate::support::*;

/// `in_flight.targeting` as `(rule, seen, held)`.
fn checks(e: &Value) -> Vec<(Value, Value, Value)> {
    let list = e["in_flight"]["targeting"].as_array().cloned();
    let list = list.unwrap_or_else(|| panic!("no in_flight.targeting list: {e}"));
    list.iter()
        .map(|c| (c["rule"].clone(), c["seen"].clone(), c["held"].clone()))
        .collect()
}

/// The grayscale step of an explanation: `(matched, reason)`.
#[track_caller]
fn grayscale_step(e: &Value) -> (bool, String) {
    let steps = e["steps"].as_array().cloned().unwrap_or_default();
    let step = steps.iter().find(|s| s["rule"] == "grayscale");
    let step = step.unwrap_or_else(|| panic!("no grayscale step: {e}"));
    let reason = step["reason"].as_str().unwrap_or_default().to_string();
    (step["matched"] == true, reason)
}

/// An ios client under the threshold: the os rule failed on "ios", the version rule
/// held, not targeted, v1 full; the reason names `os`.
#[test]
fn explain_shows_each_rule_with_the_value_seen() {
    let gw = gateway();
    let r = route(&gw, MP, os_and_version());
    let user = &r.inside(1)[0];
    let e = explain(&gw, MP, user, &[("os", "ios"), ("app_version", "10.2")]);
    let want = vec![
        (os_rule(), json!("ios"), json!(false)),
        (version_rule(), json!("10.2"), json!(true)),
    ];
    assert_eq!(checks(&e), want, "{e}");
    let f = &e["in_flight"];
    assert_eq!(
        (&f["targeted"], &f["in_grayscale"]),
        (&json!(false), &json!(false)),
        "{e}"
    );
    assert!(
        f["bucket"]
            .as_u64()
            .is_some_and(|b| b < u64::from(THRESHOLD)),
        "{e}"
    );
    assert_eq!(e["decision"]["version"], V1, "{e}");
    assert_eq!(e["outcome"], "full", "{e}");
    let (matched, reason) = grayscale_step(&e);
    assert!(!matched, "{e}");
    assert!(
        reason.contains("os") && reason.contains("\"ios\""),
        "{reason}"
    );
    gets(&gw, MP, user, &[("os", "ios"), ("app_version", "10.2")], V1);
}

/// An absent attribute is seen as null and fails; a targeted client under the
/// threshold is in the grayscale, as resolve says.
#[test]
fn explain_shows_absent_attributes_and_agrees_with_resolve() {
    let gw = gateway();
    let r = route(&gw, MP, os_and_version());
    let user = &r.inside(1)[0];
    let e = explain(&gw, MP, user, &[("os", "android")]);
    let want = vec![
        (os_rule(), json!("android"), json!(true)),
        (version_rule(), Value::Null, json!(false)),
    ];
    assert_eq!(checks(&e), want, "{e}");
    assert_eq!(e["in_flight"]["targeted"], false, "{e}");
    let (_, reason) = grayscale_step(&e);
    assert!(
        reason.contains("app_version") && reason.contains("absent"),
        "{reason}"
    );

    let targeted: Attrs<'_> = &[("os", "android"), ("app_version", "10.10")];
    let e = explain(&gw, MP, user, targeted);
    assert!(checks(&e).iter().all(|(_, _, held)| held == true), "{e}");
    assert_eq!(e["in_flight"]["targeted"], true, "{e}");
    assert_eq!(e["in_flight"]["in_grayscale"], true, "{e}");
    assert_eq!(e["outcome"], "grayscale", "{e}");
    assert!(grayscale_step(&e).0, "{e}");
    gets(&gw, MP, user, targeted, V2);
}

/// Explain reads attribute keys as resolve does, after percent-decoding: `attr%2Eos`
/// is the attribute `os` for both.
#[test]
fn explain_decodes_attribute_keys_as_resolve_does() {
    let gw = gateway();
    let r = route(&gw, MP, os_and_version());
    let user = &r.inside(1)[0];
    let q = resolve_query(MP, user, &[]);
    let raw = "attr%2Eos=android&attr%2Eapp_version=10.2";
    let resolved = gw.client("GET", &format!("/v1/resolve?{q}&{raw}")).send();
    assert_eq!(resolved.expect(200).body["channel"], "grayscale");
    let path = format!("/v1/admin/explain?{q}&{raw}");
    let e = gw.get(crate::common::Who::Viewer, &path).expect(200).body;
    assert_eq!(e["in_flight"]["targeted"], true, "{e}");
    assert_eq!(e["outcome"], "grayscale", "{e}");
}
