//! Targeting is part of what the reviewer approves (SPEC §10): free before review,
//! fixed under review, and after approval only an admin may remove whole rules; the
//! history records each change; outside production there is no targeting.

use serde_json::{Value, json};

use crate::common::{Gateway, Who, create_release};
use crate::support::*;

/// Asserts that `PUT …/targeting` of `body` as `who` is refused with `code` (403 for
/// `forbidden`, else 409) and that the release did not change.
#[track_caller]
fn refused_unchanged(r: &Release<'_>, who: Who, body: &Value, code: &str) {
    let before = r.get();
    let reply = r.put_targeting(who, body);
    let status = if code == "forbidden" { 403 } else { 409 };
    reply.expect_error(status, code);
    let after = r.get();
    assert_eq!(after["targeting"], before["targeting"], "targeting changed");
    assert_eq!(after["revision"], before["revision"], "revision changed");
}

/// Set at create and by a developer's PUT in `new_version_created`; under review
/// nobody may change it, not even to remove a rule.
#[test]
fn targeting_is_free_before_review_and_fixed_under_review() {
    let gw = gateway();
    let r = create(
        &gw,
        MP,
        V2,
        json!({ "targeting": { "rules": [os_rule()] } }),
    );
    assert_eq!(r.get()["targeting"], json!({ "rules": [os_rule()] }));
    let three = json!({ "rules": [os_rule(), version_rule(), region_rule()] });
    let put = r.put_targeting(Who::Developer, &three).expect(200);
    assert_eq!(put.body["targeting"], three, "{}", put.text);
    assert_eq!(r.get()["targeting"], three);
    let none = r.put_targeting(Who::Admin, &json!({ "rules": [] }));
    assert!(
        none.expect(200).body["targeting"].is_null(),
        "no rules: null"
    );
    r.put_targeting(Who::Developer, &three).expect(200);

    r.act(Who::Developer, "apply").expect(200);
    for who in [Who::Developer, Who::Admin] {
        for body in [os_and_version(), three.clone(), json!({ "rules": [] })] {
            refused_unchanged(&r, who, &body, "targeting_locked");
        }
    }
    let history = r.targeting_history();
    let details: Vec<&Value> = history.iter().map(|h| &h["details"]).collect();
    let want = [json!({ "targeting": three }), json!({ "targeting": null })];
    assert_eq!(details, [&want[0], &want[1], &want[0]], "{history:#?}");
    assert!(history.iter().all(|h| h["from"] == "new_version_created"));
}

/// After approval, in grayscale: a developer is forbidden; an admin adding, changing or
/// reordering rules is refused with nothing changed; an admin removing a rule widens
/// the share at once, and removing them all lets everybody in.
#[test]
fn after_approval_an_admin_may_only_remove_whole_rules() {
    let gw = gateway();
    full(&gw, MP, V1);
    let three = json!({ "rules": [os_rule(), version_rule(), region_rule()] });
    let r = create(&gw, MP, V2, json!({ "targeting": three }));
    r.take_to_going_live();
    r.go_live_grayscale(PERCENT);
    let user = &r.inside(1)[0];
    let android: Attrs<'_> = &[("os", "android"), ("app_version", "10.2")];
    gets(&gw, MP, user, android, V1);

    refused_unchanged(&r, Who::Developer, &os_and_version(), "forbidden");
    let wider_os =
        json!({ "attribute": "os", "op": "in", "values": ["android", "harmonyos", "ios"] });
    let folded = json!({ "attribute": "os", "op": "in", "values": ["android", "harmonyos"], "case_insensitive": true });
    let locked = [
        json!({ "rules": [os_rule(), version_rule(), region_rule(), { "attribute": "language", "op": "in", "values": ["zh"] }] }),
        json!({ "rules": [wider_os, version_rule(), region_rule()] }),
        json!({ "rules": [folded, version_rule(), region_rule()] }),
        json!({ "rules": [version_rule(), os_rule(), region_rule()] }),
        json!({ "rules": [region_rule(), version_rule()] }),
    ];
    for body in &locked {
        refused_unchanged(&r, Who::Admin, body, "targeting_locked");
    }
    gets(&gw, MP, user, android, V1);

    let put = r.put_targeting(Who::Admin, &os_and_version()).expect(200);
    assert_eq!(put.body["targeting"], os_and_version(), "{}", put.text);
    gets(&gw, MP, user, android, V2);
    gets(&gw, MP, user, &[("os", "ios"), ("app_version", "10.2")], V1);
    r.put_targeting(Who::Admin, &json!({ "rules": [] }))
        .expect(200);
    gets(&gw, MP, user, &[("os", "ios")], V2);
    assert_removals_recorded(&r);
}

/// The admin's two removals, in order, with what was left.
#[track_caller]
fn assert_removals_recorded(r: &Release<'_>) {
    let history = r.targeting_history();
    let by_admin: Vec<(&Value, &Value)> = history
        .iter()
        .map(|h| (&h["actor"], &h["details"]["targeting"]))
        .collect();
    let (admin, none) = (json!(Who::Admin.name()), Value::Null);
    assert_eq!(
        by_admin,
        [(&admin, &os_and_version()), (&admin, &none)],
        "{history:#?}"
    );
    assert!(history.iter().all(|h| h["from"] == "grayscale_release"));
}

/// A sandbox release takes no targeting: not at create (nothing is created), not by
/// `PUT`.
#[test]
fn targeting_is_production_only() {
    let gw: Gateway = gateway();
    let body = json!({ "mini_program": MP, "version": V2, "app": APP, "env": SANDBOX,
        "targeting": os_and_version() });
    crate::common::upload(&gw, MP, V2);
    let reply = gw.post(Who::Developer, "/v1/admin/releases", &body);
    reply.expect_error(409, "production_only");
    let list = gw.get(Who::Viewer, "/v1/admin/releases").expect(200).body;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");

    let plain = release_body(MP, V2, APP, SANDBOX);
    let r = Release::of(&gw, &create_release(&gw, &plain));
    for who in [Who::Developer, Who::Admin] {
        refused_unchanged(&r, who, &os_and_version(), "production_only");
    }
    assert!(r.get()["targeting"].is_null());
    assert!(r.targeting_history().is_empty());
}
