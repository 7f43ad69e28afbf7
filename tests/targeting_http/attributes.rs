//! Client attributes are strict (SPEC §10): names `^[a-z][a-z0-9_]{0,31}$`, at most
//! 16, each once, values 1–256 bytes without control characters, strings only in the
//! batch body. Everything else is a 400 naming the attribute; the limits themselves
//! are fine.

use serde_json::{Value, json};

use crate::support::*;

const EMPTY_NAME: &str = "\"\": must match ^[a-z][a-z0-9_]{0,31}$";
const TWICE: &str = "\"os\" given twice";
const BAD_LENGTH: &str = "os: must be 1 to 256 bytes";
const CONTROL: &str = "os: must not contain control characters";

/// `attr.a0=v&attr.a1=v&…` with `n` attributes.
fn many(n: usize) -> String {
    let pairs: Vec<String> = (0..n).map(|i| format!("attr.a{i}=v")).collect();
    pairs.join("&")
}

/// Every malformed `attr.*` query is a 400 `invalid_parameter` naming what is wrong.
#[test]
fn malformed_query_attributes_are_refused() {
    let gw = gateway();
    route(&gw, MP, os_and_version());
    let long_name = format!("a{}", "b".repeat(32));
    let long_value = "x".repeat(257);
    let cases: [(String, &str); 10] = [
        ("attr.OS=android".into(), "OS"),
        ("attr.1os=android".into(), "1os"),
        ("attr.os-x=android".into(), "os-x"),
        (format!("attr.{long_name}=v"), &long_name),
        ("attr.=android".into(), EMPTY_NAME),
        ("attr.os=android&attr.os=ios".into(), TWICE),
        (many(17), "at most 16"),
        ("attr.os=".into(), BAD_LENGTH),
        ("attr.os=and%07roid".into(), CONTROL),
        (format!("attr.os={long_value}"), BAD_LENGTH),
    ];
    for (raw, needle) in &cases {
        refused_400(
            resolve_raw(&gw, MP, "u-1", raw),
            "invalid_parameter",
            needle,
        );
    }
    let explain = format!(
        "/v1/admin/explain?{}&attr.OS=ios",
        resolve_query(MP, "u-1", &[])
    );
    let reply = gw.get(crate::common::Who::Viewer, &explain);
    refused_400(reply, "invalid_parameter", "OS");
}

/// The limits are accepted: a 32-character name, a 256-byte value (multi-byte UTF-8
/// included), 16 attributes.
#[test]
fn attributes_at_the_limits_are_accepted() {
    let gw = gateway();
    route(&gw, MP, os_and_version());
    let name = format!("a{}", "b".repeat(31));
    let oks = [
        format!("attr.{name}=v"),
        format!("attr.os={}", "x".repeat(256)),
        format!("attr.city={}", "%E5%8C%97".repeat(85)),
        many(16),
        "attr.os=android&attr.app_version=10.2&attr.os_version=14".into(),
    ];
    for raw in &oks {
        resolve_raw(&gw, MP, "u-1", raw).expect(200);
    }
}

/// The same refusals in the batch body's `"attributes"`, plus values that are not
/// strings and a name given twice in the JSON object.
#[test]
fn malformed_body_attributes_are_refused() {
    let gw = gateway();
    route(&gw, MP, os_and_version());
    let seventeen: serde_json::Map<String, Value> =
        (0..17).map(|i| (format!("a{i}"), json!("v"))).collect();
    let cases: [(Value, &str, &str); 9] = [
        (json!({ "OS": "android" }), "invalid_parameter", "OS"),
        (json!({ "1os": "android" }), "invalid_parameter", "1os"),
        (json!({ "": "android" }), "invalid_parameter", EMPTY_NAME),
        (json!(seventeen), "invalid_body", "at most 16"),
        (json!({ "os": "" }), "invalid_parameter", BAD_LENGTH),
        (
            json!({ "os": "and\u{7}roid" }),
            "invalid_parameter",
            CONTROL,
        ),
        (
            json!({ "os": "x".repeat(257) }),
            "invalid_parameter",
            BAD_LENGTH,
        ),
        (
            json!({ "api_level": 30 }),
            "invalid_body",
            "attributes.api_level",
        ),
        (json!({ "os": null }), "invalid_body", "attributes.os"),
    ];
    for (attributes, code, needle) in &cases {
        let reply = batch(&gw, "u-1", &json!({ "attributes": attributes }));
        refused_400(reply, code, needle);
    }
    let raw = [
        r#"{"app":"superapp-t","env":"production","user":"u-1","attributes":{"os":"android","os":"ios"}}"#,
        r#"{"app":"superapp-t","env":"production","user":"u-1","attributes":["os"]}"#,
        r#"{"app":"superapp-t","env":"production","user":"u-1","attributes":"os=android"}"#,
    ];
    let needles = [
        TWICE,
        "attributes: invalid type",
        "attributes: invalid type",
    ];
    for (body, needle) in raw.iter().zip(needles) {
        refused_400(batch_raw(&gw, body), "invalid_body", needle);
    }
    batch(&gw, "u-1", &json!({ "attributes": { "os": "android" } })).expect(200);
}
