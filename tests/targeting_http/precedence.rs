//! Targeting only narrows step 2 of SPEC §3: pilot members get the pilot version
//! whatever their attributes, and a full release serves everybody.

use serde_json::json;

use crate::common::Who;
use crate::support::*;

const MEMBER: &str = "pilot-1";

/// Attribute sets that fail the targeting in every way, and one that passes.
const ANY: [Attrs<'static>; 5] = [
    &[],
    &[("os", "ios"), ("app_version", "10.2")],
    &[("os", "android"), ("app_version", "9.0")],
    &[("os", "android"), ("app_version", "not-a-version")],
    &[("os", "android"), ("app_version", "10.2")],
];

#[track_caller]
fn member_gets_pilot(gw: &crate::common::Gateway) {
    for attrs in ANY {
        let got = single(gw, MP, MEMBER, attrs);
        assert_eq!(got, (V2.into(), "pilot".into()), "{MEMBER} with {attrs:?}");
    }
}

/// In pilot testing and in grayscale, the test group's member gets v2 on channel pilot
/// with any attributes; others follow the targeting.
#[test]
fn pilot_members_ignore_targeting() {
    let gw = gateway();
    full(&gw, MP, V1);
    let extra = json!({ "targeting": os_and_version(), "test_group": [MEMBER] });
    let r = create(&gw, MP, V2, extra);
    r.act(Who::Developer, "apply").expect(200);
    let approved = r.act(Who::Reviewer, "approve").expect(200);
    assert_eq!(
        approved.body["status"], "pilot_testing",
        "{}",
        approved.text
    );
    member_gets_pilot(&gw);
    let user = &r.inside(1)[0];
    gets(&gw, MP, user, ANY[4], V1);

    r.take_to_going_live();
    r.go_live_grayscale(PERCENT);
    member_gets_pilot(&gw);
    gets(&gw, MP, user, ANY[4], V2);
    gets(&gw, MP, user, ANY[1], V1);
}

/// Once the targeted release is in full release, everybody gets it on channel full,
/// whatever their attributes or bucket.
#[test]
fn a_full_release_ignores_targeting() {
    let gw = gateway();
    let r = route(&gw, MP, os_and_version());
    let (inside, outside) = (&r.inside(1)[0], &r.outside(1)[0]);
    gets(&gw, MP, inside, ANY[1], V1);
    r.accepted(Who::Admin, "go_live", json!({ "type": "full" }));
    for user in [inside, outside] {
        for attrs in ANY {
            let got = single(&gw, MP, user, attrs);
            assert_eq!(got, (V2.into(), "full".into()), "{user} with {attrs:?}");
        }
    }
}
