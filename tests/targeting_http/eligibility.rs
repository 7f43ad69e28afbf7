//! Who is in the grayscale share (SPEC §10): every rule must hold, versions compare as
//! dotted numbers, `in` is exact bytes unless `case_insensitive`, and everything that
//! is not a clear yes (an absent attribute, `not_in` included, a value that is not a
//! version or a number) is a no. The bucket still decides within the targeted users.

use crate::support::*;

/// Issue 13's targeting on a user whose bucket is under the threshold: android and
/// harmonyos on 10.2 or later get v2 on channel grayscale; other systems, older
/// versions and pre-releases of 10.2 stay on v1; `in` compares exact bytes.
#[test]
fn os_and_version_decide_who_gets_the_grayscale() {
    let gw = gateway();
    let r = route(&gw, MP, os_and_version());
    let user = &r.inside(1)[0];
    let cases: [(Attrs<'_>, &str); 12] = [
        (&[("os", "android"), ("app_version", "10.2")], V2),
        (&[("os", "android"), ("app_version", "10.10")], V2),
        (&[("os", "android"), ("app_version", "10.2.0")], V2),
        (&[("os", "android"), ("app_version", "11")], V2),
        (&[("os", "harmonyos"), ("app_version", "10.2.3")], V2),
        (&[("app_version", "10.2"), ("os", "android")], V2),
        (&[("os", "ios"), ("app_version", "10.2")], V1),
        (&[("os", "android"), ("app_version", "10.1.9")], V1),
        (&[("os", "android"), ("app_version", "10.2.0-beta")], V1),
        (&[("os", "android"), ("app_version", "9.99")], V1),
        (&[("os", "Android"), ("app_version", "10.2")], V1),
        (&[("os", "android "), ("app_version", "10.2")], V1),
    ];
    for (attrs, version) in cases {
        gets(&gw, MP, user, attrs, version);
    }
}

/// The percentage is a share of the targeted users: a targeted client whose bucket is
/// at or above the threshold stays on v1, one under it gets v2.
#[test]
fn the_bucket_still_decides_among_targeted_users() {
    let gw = gateway();
    let r = route(&gw, MP, os_and_version());
    let targeted: Attrs<'_> = &[("os", "android"), ("app_version", "10.2")];
    for user in r.outside(5) {
        gets(&gw, MP, &user, targeted, V1);
    }
    for user in r.inside(5) {
        gets(&gw, MP, &user, targeted, V2);
    }
}

/// `case_insensitive` folds ASCII letters on both sides; `num_gte` reads the client's
/// value as a number.
#[test]
fn case_insensitive_rules_fold_and_number_rules_compare_numbers() {
    let gw = gateway();
    let r = route(&gw, MP_B, folded_region_level());
    let user = &r.inside(1)[0];
    let with_os = |os: &'static str, level: &'static str| {
        [("os", os), ("region", "cn"), ("api_level", level)]
    };
    let cases = [
        (with_os("android", "30"), V2),
        (with_os("Android", "31.5"), V2),
        (with_os("ANDROID", "1e3"), V2),
        (with_os("ios", "30"), V1),
        (with_os("android", "29"), V1),
        (with_os("android", "29.99"), V1),
    ];
    for (attrs, version) in cases {
        gets(&gw, MP_B, user, &attrs, version);
    }
}

/// An absent attribute fails its rule, `not_in` included; a value that is not a
/// version fails a version rule and one that is not a number a number rule.
#[test]
fn targeting_fails_closed() {
    let gw = gateway();
    let a = route(&gw, MP, os_and_version());
    let b = route(&gw, MP_B, folded_region_level());
    let (ua, ub) = (&a.inside(1)[0], &b.inside(1)[0]);
    gets(&gw, MP, ua, &[], V1);
    gets(&gw, MP, ua, &[("os", "android")], V1);
    gets(&gw, MP, ua, &[("app_version", "10.2")], V1);
    gets(&gw, MP, ua, &[("os", "android"), ("version", "10.2")], V1);
    for bad in [
        "latest",
        "10.2.x",
        "v10.2",
        "10..2",
        "10.2.",
        "1.2.3.4.5",
        "10.2-",
    ] {
        gets(&gw, MP, ua, &[("os", "android"), ("app_version", bad)], V1);
    }
    let region_level = |region: Option<&'static str>, level: &'static str| {
        let mut attrs = vec![("os", "android"), ("api_level", level)];
        attrs.extend(region.map(|r| ("region", r)));
        attrs
    };
    gets(&gw, MP_B, ub, &region_level(Some("cn"), "30"), V2);
    gets(&gw, MP_B, ub, &region_level(Some("eu"), "30"), V1);
    gets(&gw, MP_B, ub, &region_level(None, "30"), V1);
    for bad in ["thirty", "30x", "inf", "NaN", "0x1e"] {
        gets(&gw, MP_B, ub, &region_level(Some("cn"), bad), V1);
    }
}
