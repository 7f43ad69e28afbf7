//! Apps from the config file are created at start only when missing (SPEC §5): the
//! reviewer owns them afterwards, and a restart with the same file keeps their edits.

use serde_json::json;

use crate::common::{Gateway, Options, Who};

const FILE_APP: &str = "[[apps]]\nid = \"superapp-a\"\n\
    environments.production = { pilot_testing = true }\n\
    environments.sandbox = { approval = \"manual\", pilot_testing = true }\n";

#[test]
fn a_reviewers_edit_of_a_configured_app_survives_a_restart() {
    let mut gw = Gateway::start(Options::default().extra_toml(FILE_APP));
    let edit = json!({"environments": {"production": {"pilot_testing": false}, "development": {}}});
    let saved = gw
        .put(Who::Reviewer, "/v1/admin/apps/superapp-a", &edit)
        .expect(200);
    assert_eq!(
        saved.body["environments"]["production"]["pilot_testing"],
        false
    );

    gw.restart();
    let after = gw.get(Who::Viewer, "/v1/admin/apps/superapp-a").expect(200);
    assert_eq!(
        after.body, saved.body,
        "the start rewrote the reviewer's app"
    );
    assert!(after.body["environments"].get("sandbox").is_none());

    // An app the file adds later is created, and the edited one is still left alone.
    let second = "[[apps]]\nid = \"superapp-b\"\nenvironments.production = {}\n";
    gw.restart_with(Options::default().extra_toml(FILE_APP).extra_toml(second));
    gw.get(Who::Viewer, "/v1/admin/apps/superapp-b").expect(200);
    let kept = gw.get(Who::Viewer, "/v1/admin/apps/superapp-a").expect(200);
    assert_eq!(kept.body, saved.body);
}
