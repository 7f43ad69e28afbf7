//! Sandbox, development and test paths of SPEC §2: no go-live step (those environments go
//! live on approval or after pilot testing), manual or automatic approval per app.

use serde_json::json;

use crate::common::Who;
use crate::support::*;

const SANDBOX: &str = "sandbox";

/// Manual approval with pilot testing: apply → approve → pilot testing → complete testing
/// goes straight to full release. `go_live` does not exist in the sandbox (rule 4).
#[test]
fn sandbox_manual_approval_with_pilot_testing() {
    let gw = gateway();
    let extra = json!({ "test_group": ["pilot-1"] });
    let v1 = new_release_of(&gw, MP, PILOT_APP, SANDBOX, "1.0.0", extra);
    assert_eq!(allowed_of(&v1.get()), set_of(NEW));
    moved(v1.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(v1.approve(Who::Reviewer), "pilot_testing", PILOT_TESTING);
    serves(&gw, PILOT_APP, SANDBOX, "pilot-1", Some(("1.0.0", "pilot")));
    serves(&gw, PILOT_APP, SANDBOX, "somebody", None);
    v1.assert_only_allowed("pilot_testing", PILOT_TESTING);
    refused(v1.go_live_grayscale(10.0), "pilot_testing", PILOT_TESTING);

    moved(v1.act(Who::Admin, "complete_testing"), "full_release", FULL);
    serves(&gw, PILOT_APP, SANDBOX, "somebody", Some(("1.0.0", "full")));
    serves(&gw, PILOT_APP, SANDBOX, "pilot-1", Some(("1.0.0", "full")));
    refused(v1.go_live_grayscale(10.0), "full_release", FULL);
    refused(v1.go_live_full(), "full_release", FULL);

    let v2 = new_release_of(&gw, MP, PILOT_APP, SANDBOX, "1.1.0", json!({}));
    moved(v2.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(v2.approve(Who::Reviewer), "pilot_testing", PILOT_TESTING);
    // An empty test group: nobody is piloting, everybody keeps the full release.
    serves(&gw, PILOT_APP, SANDBOX, "pilot-1", Some(("1.0.0", "full")));
    moved(
        v2.put_test_group(Who::Developer, &["pilot-9"]),
        "pilot_testing",
        PILOT_TESTING,
    );
    serves(&gw, PILOT_APP, SANDBOX, "pilot-9", Some(("1.1.0", "pilot")));
    serves(&gw, PILOT_APP, SANDBOX, "pilot-1", Some(("1.0.0", "full")));
    moved(
        v2.act(Who::Admin, "complete_testing"),
        "full_release",
        FULL_WITH_PREDECESSOR,
    );
    assert_eq!(v1.status(), "archived");
    serves(&gw, PILOT_APP, SANDBOX, "pilot-1", Some(("1.1.0", "full")));

    use Who::*;
    assert_history(
        &v1,
        &[
            (Developer, "create", None, "new_version_created"),
            (
                Developer,
                "apply",
                Some("new_version_created"),
                "under_review",
            ),
            (Reviewer, "approve", Some("under_review"), "pilot_testing"),
            (
                Admin,
                "complete_testing",
                Some("pilot_testing"),
                "full_release",
            ),
            (Admin, "archive", Some("full_release"), "archived"),
        ],
    );
}

/// Manual approval without pilot testing: approval is the go-live.
#[test]
fn sandbox_manual_approval_without_pilot_testing() {
    let gw = gateway();
    let v1 = new_release(&gw, PLAIN_APP, SANDBOX, "1.0.0");
    assert_eq!(allowed_of(&v1.get()), set_of(NEW_NO_PILOT));
    refused_because(
        v1.put_test_group(Who::Developer, &["u"]),
        "pilot_testing_not_supported",
        "new_version_created",
        NEW_NO_PILOT,
    );
    moved(v1.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(
        v1.reject(Who::Reviewer, "missing privacy text"),
        "new_version_created",
        NEW_NO_PILOT,
    );
    moved(v1.apply(Who::Developer), "under_review", UNDER_REVIEW);
    serves(&gw, PLAIN_APP, SANDBOX, "somebody", None);
    moved(v1.approve(Who::Reviewer), "full_release", FULL);
    serves(&gw, PLAIN_APP, SANDBOX, "somebody", Some(("1.0.0", "full")));
    v1.assert_only_allowed("full_release", FULL);

    let v2 = new_release(&gw, PLAIN_APP, SANDBOX, "1.1.0");
    moved(v2.apply(Who::Developer), "under_review", UNDER_REVIEW);
    serves(&gw, PLAIN_APP, SANDBOX, "somebody", Some(("1.0.0", "full")));
    moved(
        v2.approve(Who::Reviewer2),
        "full_release",
        FULL_WITH_PREDECESSOR,
    );
    assert_eq!(v1.status(), "archived");
    serves(&gw, PLAIN_APP, SANDBOX, "somebody", Some(("1.1.0", "full")));

    use Who::*;
    assert_history(
        &v1,
        &[
            (Developer, "create", None, "new_version_created"),
            (
                Developer,
                "apply",
                Some("new_version_created"),
                "under_review",
            ),
            (
                Reviewer,
                "reject",
                Some("under_review"),
                "new_version_created",
            ),
            (
                Developer,
                "apply",
                Some("new_version_created"),
                "under_review",
            ),
            (Reviewer, "approve", Some("under_review"), "full_release"),
            (Reviewer2, "archive", Some("full_release"), "archived"),
        ],
    );
}

/// Automatic approval: `apply` goes straight to full release (no pilot) or to pilot
/// testing (with pilot); nothing is ever under review.
#[test]
fn sandbox_auto_approval() {
    let gw = gateway();
    let v1 = new_release(&gw, AUTO_APP, SANDBOX, "1.0.0");
    moved(v1.apply(Who::Developer), "full_release", FULL);
    serves(&gw, AUTO_APP, SANDBOX, "somebody", Some(("1.0.0", "full")));
    v1.assert_only_allowed("full_release", FULL);
    let v2 = new_release(&gw, AUTO_APP, SANDBOX, "1.1.0");
    moved(v2.apply(Who::Admin), "full_release", FULL_WITH_PREDECESSOR);
    assert_eq!(v1.status(), "archived");
    serves(&gw, AUTO_APP, SANDBOX, "somebody", Some(("1.1.0", "full")));
    use Who::*;
    assert_history(
        &v1,
        &[
            (Developer, "create", None, "new_version_created"),
            (
                Developer,
                "apply",
                Some("new_version_created"),
                "full_release",
            ),
            (Admin, "archive", Some("full_release"), "archived"),
        ],
    );

    let extra = json!({ "test_group": ["pilot-1"] });
    let p1 = new_release_of(&gw, MP, AUTO_PILOT_APP, SANDBOX, "1.0.0", extra);
    moved(p1.apply(Who::Developer), "pilot_testing", PILOT_TESTING);
    serves(
        &gw,
        AUTO_PILOT_APP,
        SANDBOX,
        "pilot-1",
        Some(("1.0.0", "pilot")),
    );
    serves(&gw, AUTO_PILOT_APP, SANDBOX, "somebody", None);
    moved(p1.act(Who::Admin, "complete_testing"), "full_release", FULL);
    serves(
        &gw,
        AUTO_PILOT_APP,
        SANDBOX,
        "somebody",
        Some(("1.0.0", "full")),
    );
    assert_history(
        &p1,
        &[
            (Developer, "create", None, "new_version_created"),
            (
                Developer,
                "apply",
                Some("new_version_created"),
                "pilot_testing",
            ),
            (
                Admin,
                "complete_testing",
                Some("pilot_testing"),
                "full_release",
            ),
        ],
    );
}

/// Development and test approve automatically and have no pilot testing: `apply` is the
/// go-live, and the next version archives the previous one.
#[test]
fn development_and_test_go_live_on_apply() {
    let gw = gateway();
    for env in ["development", "test"] {
        let grouped = format!("0.1.0-{env}");
        upload(&gw, MP, &grouped);
        let with_group = json!({ "mini_program": MP, "version": grouped, "app": PILOT_APP, "env": env, "test_group": ["u"] });
        refused_because(
            create(&gw, Who::Developer, &with_group),
            "pilot_testing_not_supported",
            "new_version_created",
            NOTHING,
        );

        let v1 = new_release(&gw, PILOT_APP, env, &format!("1.0.0-{env}"));
        assert_eq!(allowed_of(&v1.get()), set_of(NEW_NO_PILOT));
        v1.assert_only_allowed("new_version_created", NEW_NO_PILOT);
        serves(&gw, PILOT_APP, env, "somebody", None);
        moved(v1.apply(Who::Developer), "full_release", FULL);
        serves(
            &gw,
            PILOT_APP,
            env,
            "somebody",
            Some((&format!("1.0.0-{env}"), "full")),
        );
        v1.assert_only_allowed("full_release", FULL);

        let v2 = new_release(&gw, PILOT_APP, env, &format!("1.1.0-{env}"));
        let v2_full = moved(
            v2.apply(Who::Developer2),
            "full_release",
            FULL_WITH_PREDECESSOR,
        );
        let v1_now = v1.get();
        assert_eq!(v1_now["status"], "archived");
        assert_eq!(v1_now["revision"], v2_full["revision"]);
        serves(
            &gw,
            PILOT_APP,
            env,
            "somebody",
            Some((&format!("1.1.0-{env}"), "full")),
        );
        use Who::*;
        assert_history(
            &v2,
            &[
                (Developer, "create", None, "new_version_created"),
                (
                    Developer2,
                    "apply",
                    Some("new_version_created"),
                    "full_release",
                ),
            ],
        );
        assert_eq!(
            v1.history().last().map(entry_of).map(|e| e.1),
            Some("archive".into())
        );
    }
}
