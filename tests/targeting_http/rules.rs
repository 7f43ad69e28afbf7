//! Invalid rules are refused (SPEC §10): each a 400 whose message names the rule and
//! the field, and nothing changes, neither by `PUT …/targeting` nor at create.

use serde_json::{Value, json};

use crate::common::Who;
use crate::support::*;

/// `(where the message points, after "rules[1]", bad rule)`: each rule is placed
/// second, after a valid one.
const BAD_RULES: [(&str, &str); 18] = [
    (".op", r#"{"attribute":"os","op":"matches","values":["a"]}"#),
    (".values", r#"{"attribute":"os","op":"in"}"#),
    (".values", r#"{"attribute":"os","op":"in","values":[]}"#),
    (
        ".values[0]",
        r#"{"attribute":"os","op":"in","values":[""]}"#,
    ),
    (".values[0]", r#"{"attribute":"os","op":"in","values":[7]}"#),
    (
        ".value",
        r#"{"attribute":"os","op":"in","values":["a"],"value":"a"}"#,
    ),
    (
        ".values",
        r#"{"attribute":"m","op":"starts_with","value":"H","values":["H"]}"#,
    ),
    (".value", r#"{"attribute":"m","op":"starts_with"}"#),
    (
        ".value",
        r#"{"attribute":"m","op":"starts_with","value":7}"#,
    ),
    (
        ".value",
        r#"{"attribute":"v","op":"version_gte","value":"10.x"}"#,
    ),
    (
        ".value",
        r#"{"attribute":"v","op":"version_lt","value":"1.2.3.4.5"}"#,
    ),
    (
        ".value",
        r#"{"attribute":"v","op":"version_eq","value":10.2}"#,
    ),
    (
        ".case_insensitive",
        r#"{"attribute":"v","op":"version_eq","value":"1","case_insensitive":true}"#,
    ),
    (".value", r#"{"attribute":"n","op":"num_gte","value":"30"}"#),
    (".value", r#"{"attribute":"n","op":"num_lt"}"#),
    (
        ".attribute",
        r#"{"attribute":"OS","op":"in","values":["a"]}"#,
    ),
    (
        ": missing field `attribute`",
        r#"{"op":"in","values":["a"]}"#,
    ),
    (
        ".negate",
        r#"{"attribute":"os","op":"in","values":["a"],"negate":true}"#,
    ),
];

/// [`BAD_RULES`] as `(rule, the text the message must contain)`.
fn bad_rules() -> Vec<(Value, String)> {
    let parse = |raw: &str| serde_json::from_str(raw).expect("a JSON rule");
    let rules = BAD_RULES.iter();
    rules
        .map(|(at, raw)| (parse(raw), format!("rules[1]{at}")))
        .collect()
}

/// Asserts that `PUT …/targeting` of `body` is a 400 `invalid_body` naming `needle`
/// and that the release (targeting, revision, history) did not change.
#[track_caller]
fn refused_unchanged(r: &Release<'_>, body: &Value, needle: &str) {
    let (before, history) = (r.get(), r.history().len());
    refused_400(
        r.put_targeting(Who::Developer, body),
        "invalid_body",
        needle,
    );
    let after = r.get();
    assert_eq!(after["targeting"], before["targeting"], "after {body}");
    assert_eq!(after["revision"], before["revision"], "after {body}");
    assert_eq!(r.history().len(), history, "after {body}");
}

/// Every invalid rule, too many rules or values, and bodies of the wrong shape, on a
/// release in `new_version_created` that would take any valid targeting.
#[test]
fn invalid_rules_are_refused_with_nothing_changed() {
    let gw = gateway();
    let r = create(&gw, MP, V2, json!({ "targeting": os_and_version() }));
    for (rule, needle) in bad_rules() {
        refused_unchanged(&r, &json!({ "rules": [os_rule(), rule] }), &needle);
    }
    let seventeen: Vec<Value> = (0..17).map(|_| os_rule()).collect();
    refused_unchanged(&r, &json!({ "rules": seventeen }), "at most 16");
    let values: Vec<String> = (0..1001).map(|i| format!("v{i}")).collect();
    let rule = json!({ "attribute": "os", "op": "in", "values": values });
    refused_unchanged(&r, &json!({ "rules": [rule] }), "rules[0].values");
    refused_unchanged(&r, &json!({ "rules": [os_rule()], "mode": "any" }), "mode");
    refused_unchanged(&r, &json!({}), "rules");
    refused_unchanged(&r, &json!({ "rules": os_rule() }), "rules");

    let sixteen: Vec<Value> = (0..16).map(|_| version_rule()).collect();
    r.put_targeting(Who::Developer, &json!({ "rules": sixteen }))
        .expect(200);
    let values: Vec<String> = (0..1000).map(|i| format!("v{i}")).collect();
    let rule = json!({ "attribute": "os", "op": "in", "values": values });
    r.put_targeting(Who::Developer, &json!({ "rules": [rule] }))
        .expect(200);
}

/// An invalid targeting at create is a 400 naming the rule, and no release is made.
#[test]
fn invalid_targeting_at_create_creates_nothing() {
    let gw = gateway();
    crate::common::upload(&gw, MP, V2);
    for (rule, needle) in bad_rules().into_iter().take(4) {
        let targeting = json!({ "rules": [os_rule(), rule] });
        let body = release_body(MP, V2, APP, PROD);
        let body = crate::common::merged(body, &json!({ "targeting": targeting }));
        let reply = gw.post(Who::Developer, "/v1/admin/releases", &body);
        refused_400(reply, "invalid_body", &needle);
    }
    let list = gw.get(Who::Viewer, "/v1/admin/releases").expect(200).body;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
}
