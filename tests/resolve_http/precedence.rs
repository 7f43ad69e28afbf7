//! SPEC §3 in order: pilot → grayscale → full → `not_released`, and percentages that
//! only ever add users until the full release serves everybody.

use std::collections::BTreeSet;

use serde_json::json;

use crate::checks::*;
use crate::support::*;
use graygate::bucket::bucket;

const TARGET: (&str, &str) = (APP, PROD);
const MEMBERS: [&str; 2] = ["pilot-1", "pilot-2"];

/// Which of `users` get the in-flight version on channel grayscale; everybody else
/// must get `full` (or nothing when `full` is `None`).
#[track_caller]
fn grayscale_users(
    gw: &crate::common::Gateway,
    target: (&str, &str),
    users: &[String],
    gray: &str,
    full: Option<&str>,
) -> BTreeSet<String> {
    let mut inside = BTreeSet::new();
    for user in users {
        match served(gw, target, MP, user) {
            Some((v, c)) if v == gray && c == "grayscale" => {
                inside.insert(user.clone());
            }
            got => {
                let want = full.map(|v| (v.to_string(), "full".to_string()));
                assert_eq!(got, want, "{user:?} is outside the grayscale");
            }
        }
    }
    inside
}

/// Users whose gr1 bucket in `salt` is under the threshold of `percentage`.
fn under_threshold(users: &[String], salt: &str, percentage: f64) -> BTreeSet<String> {
    let t = threshold(percentage);
    users
        .iter()
        .filter(|u| bucket(salt, u) < t)
        .cloned()
        .collect()
}

/// Full 1.0 for everybody; 2.0 in pilot testing serves its test group on channel pilot;
/// `complete_testing` (grayscale at 0 %) still serves only the group; at 30 % the users
/// whose bucket is under 300,000 get grayscale, about 30 % of them, the others stay on
/// full.
#[test]
fn pilot_then_grayscale_then_full() {
    let gw = gateway();
    let crowd = users("user", 2000);
    serves(&gw, TARGET, MP, "user-0", None);

    released_full(&gw, MP, "1.0.0", TARGET);
    for user in MEMBERS.iter().chain(["user-0", "user-1"].iter()) {
        serves(&gw, TARGET, MP, user, Some(("1.0.0", "full")));
    }

    let v2 = in_pilot_testing(&gw, MP, "2.0.0", &MEMBERS);
    for member in MEMBERS {
        serves(&gw, TARGET, MP, member, Some(("2.0.0", "pilot")));
        assert_explain_agrees(&gw, TARGET, MP, member);
    }
    serves(&gw, TARGET, MP, "user-0", Some(("1.0.0", "full")));
    serves(&gw, TARGET, MP, "pilot-3", Some(("1.0.0", "full")));

    let ready = v2.complete_testing();
    assert_eq!(ready["status"], "grayscale_release");
    assert_eq!(ready["percentage"].as_f64(), Some(0.0));
    for member in MEMBERS {
        serves(&gw, TARGET, MP, member, Some(("2.0.0", "pilot")));
    }
    let nobody = grayscale_users(&gw, TARGET, &crowd, "2.0.0", Some("1.0.0"));
    assert!(nobody.is_empty(), "grayscale at 0 % serves {nobody:?}");

    v2.go_live_grayscale(30.0);
    for member in MEMBERS {
        serves(&gw, TARGET, MP, member, Some(("2.0.0", "pilot")));
    }
    let inside = grayscale_users(&gw, TARGET, &crowd, "2.0.0", Some("1.0.0"));
    assert_eq!(inside, under_threshold(&crowd, &v2.salt, 30.0));
    let share = inside.len() as f64 / crowd.len() as f64;
    assert!(
        (0.26..=0.34).contains(&share),
        "30 % grayscale, got {share}"
    );
    for user in crowd.iter().take(50) {
        let e = assert_explain_agrees(&gw, TARGET, MP, user);
        assert_eq!(e["in_flight"]["salt"], v2.salt.as_str());
        assert_eq!(e["in_flight"]["threshold"], 300_000);
        assert_eq!(e["in_flight"]["pilot_member"], false);
    }
}

/// Step 4: nothing serves the user → 404 `not_released`: a mini program never released,
/// one in release preparation, one in pilot testing for somebody else; cancel rolls an
/// in-flight release back to the full release, or to nothing where there is none.
#[test]
fn nothing_serves_the_user_then_not_released() {
    let gw = gateway();
    serves(&gw, TARGET, "mp-never", "user-0", None);

    let prepared = create(&gw, MP, "1.0.0", (OTHER_APP, PROD), json!({}));
    prepared.apply();
    assert_eq!(prepared.approve()["status"], "release_preparation");
    serves(&gw, (OTHER_APP, PROD), MP, "user-0", None);

    let pilot = in_pilot_testing(&gw, MP, "0.1.0", &["pilot-1"]);
    serves(&gw, TARGET, MP, "pilot-1", Some(("0.1.0", "pilot")));
    serves(&gw, TARGET, MP, "user-0", None);
    assert_explain_agrees(&gw, TARGET, MP, "user-0");
    pilot.cancel();
    serves(&gw, TARGET, MP, "pilot-1", None);

    released_full(&gw, MP, "1.0.0", TARGET);
    let v2 = create(&gw, MP, "2.0.0", TARGET, json!({ "test_group": MEMBERS }));
    v2.to_grayscale(50.0);
    let crowd = users("user", 200);
    let inside = grayscale_users(&gw, TARGET, &crowd, "2.0.0", Some("1.0.0"));
    assert!(!inside.is_empty(), "50 % of 200 users");
    v2.cancel();
    let members = MEMBERS.iter().map(|m| m.to_string());
    for user in members.chain(inside) {
        serves(&gw, TARGET, MP, &user, Some(("1.0.0", "full")));
    }
}

/// 5 % → 20 % → 50 % → 99.9999 %: at each step exactly the users under the threshold
/// are in, and everybody in at a lower percentage is still in; `go_live` full then
/// serves everybody the new version on channel full and archives the previous full.
#[test]
fn scale_up_only_adds_users_then_full_serves_everybody() {
    let gw = gateway();
    let target = (OTHER_APP, PROD);
    let crowd = users("member", 2000);
    let v1 = released_full(&gw, MP, "1.0.0", target);
    let v2 = create(&gw, MP, "2.0.0", target, json!({}));
    let mut previous = BTreeSet::new();
    for percentage in [5.0, 20.0, 50.0, 99.9999] {
        let moved = v2.to_grayscale(percentage);
        assert_eq!(moved["percentage"].as_f64(), Some(percentage));
        let inside = grayscale_users(&gw, target, &crowd, "2.0.0", Some("1.0.0"));
        assert_eq!(
            inside,
            under_threshold(&crowd, &v2.salt, percentage),
            "at {percentage} %"
        );
        let lost: Vec<_> = previous.difference(&inside).collect();
        assert!(
            lost.is_empty(),
            "raising to {percentage} % removed {lost:?}"
        );
        let share = inside.len() as f64 / crowd.len() as f64;
        let expected = percentage / 100.0;
        assert!(
            (share - expected).abs() < 0.04,
            "{percentage} %: observed share {share}"
        );
        previous = inside;
    }

    let full = v2.go_live_full();
    assert_eq!(full["status"], "full_release");
    for user in &crowd {
        let a = resolved(&gw, target, MP, user).expect("full serves everybody");
        assert_eq!((a.version.as_str(), a.channel.as_str()), ("2.0.0", "full"));
        assert_eq!(a.release_id, v2.id);
    }
    assert_eq!(v1.status(), "archived");
    assert_explain_agrees(&gw, target, MP, "member-0");
}
