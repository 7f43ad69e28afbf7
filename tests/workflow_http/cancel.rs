//! `cancel`, the way to roll back: from every cancellable status, refused from the others,
//! and the previous full release keeps (or resumes) serving.

use serde_json::json;

use crate::common::Who;
use crate::support::*;

const PROD: &str = "production";

/// `cancel` from pilot testing, grayscale and release preparation; it is refused from
/// every other status, and the previous full release keeps (or resumes) serving.
#[test]
fn cancel_from_each_cancellable_status() {
    let gw = gateway();
    let v1 = new_release(&gw, PILOT_APP, PROD, "1.0.0");
    to_pilot_testing(&v1);
    moved(
        v1.act(Who::Admin, "complete_testing"),
        "grayscale_release",
        GRAYSCALE,
    );
    moved(v1.go_live_full(), "full_release", FULL);

    // From pilot testing: the pilot group falls back to the full release.
    let v2 = new_release_of(
        &gw,
        MP,
        PILOT_APP,
        PROD,
        "1.1.0",
        json!({ "test_group": ["pilot-1"] }),
    );
    to_pilot_testing(&v2);
    serves(&gw, PILOT_APP, PROD, "pilot-1", Some(("1.1.0", "pilot")));
    moved(v2.act(Who::Admin, "cancel"), "canceled", NOTHING);
    serves(&gw, PILOT_APP, PROD, "pilot-1", Some(("1.0.0", "full")));
    v2.assert_only_allowed("canceled", NOTHING);

    // From grayscale: users in the grayscale go back to the full release.
    let v3 = new_release(&gw, PILOT_APP, PROD, "1.2.0");
    to_pilot_testing(&v3);
    moved(
        v3.act(Who::Admin, "complete_testing"),
        "grayscale_release",
        GRAYSCALE,
    );
    moved(v3.go_live_grayscale(30.0), "grayscale_release", GRAYSCALE);
    let in_grayscale: Vec<String> = users("user", 100)
        .into_iter()
        .filter(|u| {
            served(&gw, PILOT_APP, PROD, MP, u) == Some(("1.2.0".into(), "grayscale".into()))
        })
        .collect();
    assert!(
        !in_grayscale.is_empty(),
        "30 % of 100 users are in the grayscale"
    );
    moved(v3.act(Who::Admin, "cancel"), "canceled", NOTHING);
    for user in &in_grayscale {
        serves(&gw, PILOT_APP, PROD, user, Some(("1.0.0", "full")));
    }
    assert_eq!(
        v1.status(),
        "full_release",
        "cancel leaves the full release alone"
    );

    // From release preparation.
    let w1 = new_release(&gw, PLAIN_APP, PROD, "1.0.0");
    to_release_preparation(&w1);
    moved(w1.act(Who::Admin, "cancel"), "canceled", NOTHING);

    // Not cancellable: new, under review, full, canceled, archived.
    let w2 = new_release(&gw, PLAIN_APP, PROD, "1.1.0");
    refused(
        w2.act(Who::Admin, "cancel"),
        "new_version_created",
        NEW_NO_PILOT,
    );
    moved(w2.apply(Who::Developer), "under_review", UNDER_REVIEW);
    refused(w2.act(Who::Admin, "cancel"), "under_review", UNDER_REVIEW);
    refused(v1.act(Who::Admin, "cancel"), "full_release", FULL);
    refused(w1.act(Who::Admin, "cancel"), "canceled", NOTHING);
    let v4 = new_release(&gw, PILOT_APP, PROD, "1.3.0");
    to_pilot_testing(&v4);
    moved(
        v4.act(Who::Admin, "complete_testing"),
        "grayscale_release",
        GRAYSCALE,
    );
    moved(v4.go_live_full(), "full_release", FULL_WITH_PREDECESSOR);
    refused(v1.act(Who::Admin, "cancel"), "archived", NOTHING);

    use Who::*;
    let (review, pilot, gray) = (
        Some("under_review"),
        Some("pilot_testing"),
        Some("grayscale_release"),
    );
    assert_history(
        &v3,
        &[
            (Developer, "create", None, "new_version_created"),
            (
                Developer,
                "apply",
                Some("new_version_created"),
                "under_review",
            ),
            (Reviewer, "approve", review, "pilot_testing"),
            (Admin, "complete_testing", pilot, "grayscale_release"),
            (Admin, "go_live", gray, "grayscale_release"),
            (Admin, "cancel", gray, "canceled"),
        ],
    );
    assert_eq!(
        entry_of(&v2.history()[3]),
        (
            Admin.name().into(),
            "cancel".into(),
            pilot.map(Into::into),
            "canceled".into()
        )
    );
    let w1_last = w1.history().last().map(entry_of);
    assert_eq!(
        w1_last.map(|e| (e.2, e.3)),
        Some((Some("release_preparation".into()), "canceled".into()))
    );
}
