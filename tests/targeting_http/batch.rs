//! The batch resolve's `"attributes"` decide exactly what the single resolve's
//! `attr.<name>` parameters decide.

use serde_json::{Map, Value, json};

use crate::support::*;

const SUBJECT_ATTRS: [Attrs<'static>; 7] = [
    &[],
    &[("os", "android"), ("app_version", "10.2")],
    &[("os", "ios"), ("app_version", "10.2")],
    &[
        ("os", "Android"),
        ("app_version", "10.10"),
        ("region", "cn"),
        ("api_level", "30"),
    ],
    &[
        ("os", "android"),
        ("app_version", "10.2.0-beta"),
        ("region", "cn"),
        ("api_level", "31"),
    ],
    &[
        ("os", "android"),
        ("app_version", "11"),
        ("region", "eu"),
        ("api_level", "40"),
    ],
    &[
        ("os", "android"),
        ("app_version", "10.2"),
        ("api_level", "40"),
    ],
];

fn attributes(attrs: Attrs<'_>) -> Value {
    let map: Map<String, Value> = attrs
        .iter()
        .map(|(n, v)| (n.to_string(), json!(v)))
        .collect();
    Value::Object(map)
}

/// `(version, channel)` of `mp` in a batch answer.
#[track_caller]
fn entry(results: &Value, mp: &str) -> (String, String) {
    let e = &results[mp];
    let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
    (text("version"), text("channel"))
}

/// For users inside and outside the share, with attribute sets that pass and fail each
/// route's rules, the single and batch resolves (naming the mini programs or not) give
/// the same answers; the set of answers holds both versions.
#[test]
fn batch_and_single_resolve_agree() {
    let gw = gateway();
    let a = route(&gw, MP, os_and_version());
    route(&gw, MP_B, folded_region_level());
    let mut users = a.inside(3);
    users.extend(a.outside(2));
    let mut seen = std::collections::BTreeSet::new();
    for user in &users {
        for attrs in SUBJECT_ATTRS {
            let attributes = attributes(attrs);
            let named = json!({ "attributes": attributes, "mini_programs": [MP, MP_B] });
            let named = batch(&gw, user, &named).expect(200).body;
            let all = batch(&gw, user, &json!({ "attributes": attributes }));
            let all = all.expect(200).body;
            for mp in [MP, MP_B] {
                let one = single(&gw, mp, user, attrs);
                let what = format!("{mp} for {user} with {attrs:?}");
                assert_eq!(entry(&named["results"], mp), one, "named batch, {what}");
                assert_eq!(entry(&all["results"], mp), one, "whole batch, {what}");
                seen.insert(one);
            }
        }
    }
    let grayscale = (V2.to_string(), "grayscale".to_string());
    let full = (V1.to_string(), "full".to_string());
    assert!(
        seen.contains(&grayscale) && seen.contains(&full),
        "{seen:?}"
    );
}
