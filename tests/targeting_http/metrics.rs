//! Attributes never become metric labels (SPEC §10): after resolves with distinctive
//! attribute values, none of them appears in `/metrics`, while the answers are counted.

use serde_json::json;

use crate::support::*;

/// Attribute values no series of the gateway could carry by itself.
const VALUES: [&str; 4] = ["android", "10.2.7", "zz-region-north", "PixelAttr42"];

#[test]
fn attribute_values_never_appear_in_metrics() {
    let gw = gateway();
    let r = route(&gw, MP, os_and_version());
    let attrs: Attrs<'_> = &[
        ("os", VALUES[0]),
        ("app_version", VALUES[1]),
        ("region", VALUES[2]),
        ("device_model", VALUES[3]),
    ];
    for user in r.inside(3).iter().chain(&r.outside(3)) {
        single(&gw, MP, user, attrs);
        let map: serde_json::Map<String, serde_json::Value> = attrs
            .iter()
            .map(|(n, v)| (n.to_string(), json!(v)))
            .collect();
        batch(&gw, user, &json!({ "attributes": map })).expect(200);
    }
    let text = gw.admin("GET", "/metrics").send().expect(200).text;
    let grayscale = text.lines().any(|l| {
        l.starts_with("graygate_served_total{")
            && l.contains("channel=\"grayscale\"")
            && !l.ends_with(" 0")
    });
    assert!(grayscale, "the grayscale answers are counted:\n{text}");
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        for value in VALUES {
            assert!(!line.contains(value), "{value:?} in a series: {line}");
        }
        for name in ["os=", "app_version=", "region=", "device_model="] {
            let labels = line.split_once('{').map_or("", |(_, l)| l);
            assert!(!labels.contains(name), "attribute label {name}: {line}");
        }
    }
}
