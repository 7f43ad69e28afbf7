//! `GET /v1/admin/whoami` and `GET /v1/admin/releases/{id}/served`.

use serde_json::{Value, json};

use crate::common::Who;
use crate::support::{APP, MP, full, gateway, prepared, resolve_many};

#[test]
fn whoami_names_every_valid_token_and_refuses_others() {
    let gw = gateway();
    for who in Who::ALL {
        let reply = gw.get(who, "/v1/admin/whoami").expect(200);
        assert_eq!(reply.body["name"], who.name());
        assert_eq!(reply.body["role"], who.role());
    }
    let actions = |who: Who| gw.get(who, "/v1/admin/whoami").expect(200).body["actions"].clone();
    assert_eq!(actions(Who::Viewer), json!([]), "a viewer may do nothing");
    assert_eq!(actions(Who::Reviewer), json!(["approve", "reject"]));
    let developer = json!([
        "create",
        "edit_config",
        "set_test_group",
        "apply",
        "withdraw",
        "set_targeting",
        "take_offline"
    ]);
    assert_eq!(actions(Who::Developer), developer);
    let admin = actions(Who::Admin);
    for action in [
        "apply",
        "withdraw",
        "go_live",
        "cancel",
        "set_plan",
        "pause",
        "resume",
        "take_offline",
        "rollback",
    ] {
        assert!(
            admin.as_array().is_some_and(|a| a.contains(&json!(action))),
            "{admin}"
        );
    }
    gw.admin("GET", "/v1/admin/whoami")
        .send()
        .expect_error(401, "unauthorized");
    gw.admin("GET", "/v1/admin/whoami")
        .bearer("not-a-token")
        .send()
        .expect_error(401, "unauthorized");
}

/// The counts of `version` in a served answer, summed over the minutes.
fn total(served: &Value, version: &str) -> u64 {
    let versions = served["versions"].as_array().cloned().unwrap_or_default();
    let entry = versions.iter().find(|v| v["version"] == version);
    let counts = entry.and_then(|v| v["counts"].as_array().cloned());
    counts
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_u64)
        .sum()
}

#[test]
fn served_splits_the_routes_answers_between_its_versions_per_minute() {
    let gw = gateway();
    let old = full(&gw, "1.0.0");
    let candidate = prepared(&gw, "1.1.0", &json!({}));
    let path = candidate.path("/served");
    let before = gw.get(Who::Viewer, &path).expect(200).body;
    assert_eq!(before["release_id"], candidate.id);
    assert_eq!(
        (before["app"].as_str(), before["mini_program"].as_str()),
        (Some(APP), Some(MP))
    );
    assert_eq!(before["step_seconds"], 60);
    let versions: Vec<&Value> = before["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let listed: Vec<(&Value, &Value, &Value)> = versions
        .iter()
        .map(|v| (&v["version"], &v["release_id"], &v["status"]))
        .collect();
    let expected_old = (&json!("1.0.0"), &json!(old.id), &json!("full_release"));
    let expected_new = (
        &json!("1.1.0"),
        &json!(candidate.id),
        &json!("release_preparation"),
    );
    assert_eq!(
        listed,
        vec![expected_old, expected_new],
        "the full version and this release"
    );
    assert_eq!(total(&before, "1.1.0"), 0);

    let body = json!({"type": "grayscale", "percentage": 50});
    candidate.act_with(Who::Admin, "go_live", &body).expect(200);
    let answers = resolve_many(&gw, "u", 200);
    let on_candidate = answers.iter().filter(|v| *v == "1.1.0").count() as u64;
    assert!(
        (40..160).contains(&on_candidate),
        "{on_candidate} of 200 on the candidate"
    );
    let after = gw.get(Who::Viewer, &path).expect(200).body;
    assert_eq!(total(&after, "1.1.0"), on_candidate, "{after}");
    assert_eq!(total(&after, "1.0.0"), 200 - on_candidate, "{after}");
    let lengths: Vec<usize> = after["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v["counts"].as_array().map_or(0, Vec::len))
        .collect();
    assert!(
        lengths
            .iter()
            .all(|&n| n == lengths[0] && (1..=1440).contains(&n)),
        "{lengths:?}"
    );
    // The release of the full version charts the same route.
    let from_old = gw.get(Who::Viewer, &old.path("/served")).expect(200).body;
    assert_eq!(total(&from_old, "1.1.0"), on_candidate);
}

#[test]
fn served_of_an_unknown_release_is_404() {
    let gw = gateway();
    gw.get(Who::Viewer, "/v1/admin/releases/999/served")
        .expect_error(404, "release_not_found");
}
