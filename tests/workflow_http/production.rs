//! Production paths of SPEC §2: with pilot testing (review, pilot, grayscale, full) and
//! without (review, release preparation, grayscale or straight to full).

use serde_json::json;

use crate::common::Who;
use crate::support::*;

const PROD: &str = "production";

/// Create → edit → test group → apply → withdraw → apply → reject → apply → approve →
/// pilot testing → complete testing → grayscale 0 % → 50 % → full, with every refusal on
/// the way and what the client API serves after each step.
#[test]
fn production_with_pilot_testing() {
    let gw = gateway();
    let config = json!({ "network_allowlist": ["api.example.com"], "theme": "dark" });
    let extra = json!({ "config": config, "test_group": ["pilot-1"] });
    let r = new_release_of(&gw, MP, PILOT_APP, PROD, "1.0.0", extra);
    let created = r.get();
    assert_eq!(created["config"], config);
    assert_eq!(created["test_group_size"], 1);
    assert_eq!(allowed_of(&created), set_of(NEW));
    r.assert_only_allowed("new_version_created", NEW);
    serves(&gw, PILOT_APP, PROD, "pilot-1", None);

    // Editing before applying: configuration and pilot test group.
    let config = json!({ "network_allowlist": ["api.example.com", "*.cdn.example.com"], "payment": { "merchant": "m-1" } });
    let edited = moved(
        r.put_config(Who::Developer2, &config),
        "new_version_created",
        NEW,
    );
    assert_eq!(edited["config"], config);
    let grouped = moved(
        r.put_test_group(Who::Admin, &["pilot-1", "pilot-2", "pilot-2"]),
        "new_version_created",
        NEW,
    );
    assert_eq!(grouped["test_group_size"], 2, "duplicates count once");
    assert_eq!(
        grouped["revision"],
        edited["revision"].as_u64().unwrap_or(0) + 1
    );

    // Review: withdraw, reject (with a reason), approve.
    moved(r.apply(Who::Developer), "under_review", UNDER_REVIEW);
    r.assert_only_allowed("under_review", UNDER_REVIEW);
    serves(&gw, PILOT_APP, PROD, "pilot-1", None);
    moved(
        r.act(Who::Developer2, "withdraw"),
        "new_version_created",
        NEW,
    );
    moved(r.apply(Who::Admin), "under_review", UNDER_REVIEW);
    for body in [
        json!({}),
        json!({ "reason": "" }),
        json!({ "reason": "   " }),
    ] {
        bad_request(r.act_with(Who::Reviewer, "reject", &body));
    }
    bad_request(r.act(Who::Reviewer, "reject"));
    assert_eq!(
        r.status(),
        "under_review",
        "a reject without reason changes nothing"
    );
    moved(
        r.reject(Who::Reviewer, "icons are blurry"),
        "new_version_created",
        NEW,
    );
    moved(r.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(r.approve(Who::Reviewer2), "pilot_testing", PILOT_TESTING);

    // Pilot testing: only the test group gets the version; the group can still change.
    r.assert_only_allowed("pilot_testing", PILOT_TESTING);
    serves(&gw, PILOT_APP, PROD, "pilot-1", Some(("1.0.0", "pilot")));
    serves(&gw, PILOT_APP, PROD, "somebody", None);
    moved(
        r.put_test_group(Who::Developer, &["pilot-1", "pilot-3"]),
        "pilot_testing",
        PILOT_TESTING,
    );
    serves(&gw, PILOT_APP, PROD, "pilot-3", Some(("1.0.0", "pilot")));
    serves(&gw, PILOT_APP, PROD, "pilot-2", None);

    // Ready to go live: grayscale at 0 % serves the pilot group only.
    let ready = moved(
        r.act(Who::Admin, "complete_testing"),
        "grayscale_release",
        GRAYSCALE,
    );
    assert_eq!(ready["percentage"], json!(0));
    r.assert_only_allowed("grayscale_release", GRAYSCALE);
    serves(&gw, PILOT_APP, PROD, "pilot-1", Some(("1.0.0", "pilot")));
    serves(&gw, PILOT_APP, PROD, "somebody", None);

    let half = moved(r.go_live_grayscale(50.0), "grayscale_release", GRAYSCALE);
    assert_eq!(half["percentage"], json!(50));
    serves(&gw, PILOT_APP, PROD, "pilot-1", Some(("1.0.0", "pilot")));
    let channels: Vec<_> = users("user", 200)
        .iter()
        .map(|u| served(&gw, PILOT_APP, PROD, MP, u))
        .collect();
    let in_grayscale = channels
        .iter()
        .filter(|c| {
            c.as_ref()
                .is_some_and(|(v, ch)| v == "1.0.0" && ch == "grayscale")
        })
        .count();
    let outside = channels.iter().filter(|c| c.is_none()).count();
    assert_eq!(
        in_grayscale + outside,
        200,
        "only grayscale or nothing: {channels:?}"
    );
    assert!(
        (40..=160).contains(&in_grayscale),
        "50 % of 200 users, got {in_grayscale}"
    );

    let full = moved(r.go_live_full(), "full_release", FULL);
    assert_eq!(full["percentage"], json!(0));
    r.assert_only_allowed("full_release", FULL);
    for user in ["pilot-1", "user-0", "somebody"] {
        serves(&gw, PILOT_APP, PROD, user, Some(("1.0.0", "full")));
    }

    use Who::*;
    let (new, review, pilot, gray, done) = (
        Some("new_version_created"),
        Some("under_review"),
        Some("pilot_testing"),
        Some("grayscale_release"),
        "full_release",
    );
    assert_history(
        &r,
        &[
            (Developer, "create", None, "new_version_created"),
            (Developer2, "edit_config", new, "new_version_created"),
            (Admin, "set_test_group", new, "new_version_created"),
            (Developer, "apply", new, "under_review"),
            (Developer2, "withdraw", review, "new_version_created"),
            (Admin, "apply", new, "under_review"),
            (Reviewer, "reject", review, "new_version_created"),
            (Developer, "apply", new, "under_review"),
            (Reviewer2, "approve", review, "pilot_testing"),
            (Developer, "set_test_group", pilot, "pilot_testing"),
            (Admin, "complete_testing", pilot, "grayscale_release"),
            (Admin, "go_live", gray, "grayscale_release"),
            (Admin, "go_live", gray, done),
        ],
    );
    let history = r.history();
    // Rule 5: nothing else happened meanwhile, so each accepted action is the next revision.
    let revisions: Vec<u64> = history
        .iter()
        .filter_map(|h| h["revision"].as_u64())
        .collect();
    let first = revisions[0];
    assert_eq!(revisions, (first..first + 13).collect::<Vec<_>>());
    assert_eq!(gw.revision(), first + 12);
    assert_eq!(history[6]["details"]["reason"], "icons are blurry");
    assert_eq!(history[11]["details"]["percentage"], json!(50));
}

/// Create → apply → approve → release preparation → grayscale → full; then a second
/// version goes straight from release preparation to full and archives the first.
#[test]
fn production_without_pilot_testing() {
    let gw = gateway();
    upload(&gw, MP, "0.9.0");
    let with_group = json!({ "mini_program": MP, "version": "0.9.0", "app": PLAIN_APP, "env": PROD, "test_group": ["u"] });
    refused_because(
        create(&gw, Who::Developer, &with_group),
        "pilot_testing_not_supported",
        "new_version_created",
        NOTHING,
    );

    let v1 = new_release(&gw, PLAIN_APP, PROD, "1.0.0");
    assert_eq!(allowed_of(&v1.get()), set_of(NEW_NO_PILOT));
    refused_because(
        v1.put_test_group(Who::Developer, &["u"]),
        "pilot_testing_not_supported",
        "new_version_created",
        NEW_NO_PILOT,
    );
    moved(v1.apply(Who::Developer), "under_review", UNDER_REVIEW);
    moved(
        v1.approve(Who::Reviewer),
        "release_preparation",
        PREPARATION,
    );
    v1.assert_only_allowed("release_preparation", PREPARATION);
    serves(&gw, PLAIN_APP, PROD, "user-1", None);

    let gray = moved(v1.go_live_grayscale(20.0), "grayscale_release", GRAYSCALE);
    assert_eq!(gray["percentage"], json!(20));
    let served_users = users("user", 200)
        .iter()
        .filter(|u| served(&gw, PLAIN_APP, PROD, MP, u).is_some())
        .count();
    assert!(
        (10..=80).contains(&served_users),
        "20 % of 200 users, got {served_users}"
    );
    moved(v1.go_live_full(), "full_release", FULL);
    serves(&gw, PLAIN_APP, PROD, "user-1", Some(("1.0.0", "full")));

    // The next version: while it is prepared the previous full release keeps serving.
    let v2 = new_release(&gw, PLAIN_APP, PROD, "1.1.0");
    moved(v2.apply(Who::Developer2), "under_review", UNDER_REVIEW);
    moved(
        v2.approve(Who::Reviewer2),
        "release_preparation",
        PREPARATION,
    );
    serves(&gw, PLAIN_APP, PROD, "user-1", Some(("1.0.0", "full")));
    let full = moved(v2.go_live_full(), "full_release", FULL_WITH_PREDECESSOR);

    // Rule 3: the previous full release is archived in the same step.
    let archived = v1.get();
    assert_eq!(archived["status"], "archived");
    assert_eq!(allowed_of(&archived), set_of(NOTHING));
    assert_eq!(archived["revision"], full["revision"], "one atomic step");
    serves(&gw, PLAIN_APP, PROD, "user-1", Some(("1.1.0", "full")));
    v1.assert_only_allowed("archived", NOTHING);

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
                "approve",
                Some("under_review"),
                "release_preparation",
            ),
            (
                Admin,
                "go_live",
                Some("release_preparation"),
                "grayscale_release",
            ),
            (Admin, "go_live", Some("grayscale_release"), "full_release"),
            (Admin, "archive", Some("full_release"), "archived"),
        ],
    );
    assert_history(
        &v2,
        &[
            (Developer, "create", None, "new_version_created"),
            (
                Developer2,
                "apply",
                Some("new_version_created"),
                "under_review",
            ),
            (
                Reviewer2,
                "approve",
                Some("under_review"),
                "release_preparation",
            ),
            (
                Admin,
                "go_live",
                Some("release_preparation"),
                "full_release",
            ),
        ],
    );
}
