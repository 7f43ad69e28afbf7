//! Versions: the SPEC's examples, refusals, and properties against a naive reading.

use std::cmp::Ordering;

use proptest::prelude::*;

use super::config;
use crate::model::targeting::{DottedVersion, VersionRef};

fn v(s: &str) -> DottedVersion {
    DottedVersion::parse(s).unwrap_or_else(|| panic!("{s} is a version"))
}

#[test]
fn versions_compare_as_the_spec_says() {
    let cases = [
        ("10.2", "10.2.0", Ordering::Equal),
        ("10.2", "10.2.0.0", Ordering::Equal),
        ("10.02", "10.2", Ordering::Equal),
        ("10.10", "10.9", Ordering::Greater),
        ("10.2.3", "10.2", Ordering::Greater),
        ("9", "10", Ordering::Less),
        ("1.0.0-beta", "1.0.0", Ordering::Less),
        ("1.0-beta", "1.0.0-beta", Ordering::Equal),
        ("1.0.0-alpha", "1.0.0-beta", Ordering::Less),
        ("1.0.0-beta.10", "1.0.0-beta.9", Ordering::Less), // suffixes are text
        ("1.0.0-rc", "0.9.9", Ordering::Greater),
        ("4294967295", "4294967294.9", Ordering::Greater),
    ];
    for (a, b, want) in cases {
        assert_eq!(v(a).cmp(&v(b)), want, "{a} vs {b}");
        assert_eq!(v(a) == v(b), want == Ordering::Equal, "{a} == {b}");
        let (ra, rb) = (VersionRef::parse(a), VersionRef::parse(b));
        assert_eq!(ra.zip(rb).map(|(a, b)| a.cmp(&b)), Some(want), "{a} vs {b}");
    }
}

#[test]
fn invalid_versions_are_refused() {
    for s in [
        "",
        "1.",
        ".1",
        "1.2.3.4.5",
        "a.b",
        "1..2",
        "-beta",
        "1.0-",
        "99999999999",
        "4294967296",
        "+1",
        "1.+2",
        " 1",
        "1 ",
        "1.0-be ta",
        "1.0-é",
        "v1.0",
        "1,0",
    ] {
        assert_eq!(DottedVersion::parse(s), None, "{s:?}");
        assert_eq!(VersionRef::parse(s), None, "{s:?}");
    }
    assert_eq!(v("1.0-rc-2").to_string(), "1.0-rc-2");
    assert_eq!(v("010.2").to_string(), "10.2");
}

/// Versions from small parts, so that equal ones come up often.
fn version_text() -> impl Strategy<Value = String> {
    let suffix = prop::sample::select(vec!["", "-alpha", "-beta", "-beta.2", "-rc-1", "-10"]);
    (prop::collection::vec(0u32..4, 1..=4), suffix).prop_map(|(parts, suffix)| {
        let parts: Vec<String> = parts.iter().map(u32::to_string).collect();
        format!("{}{suffix}", parts.join("."))
    })
}

/// An independent reading of SPEC §10's versions: numbers padded to four, suffix text.
pub(super) fn naive_version(s: &str) -> Option<(Vec<u64>, Option<String>)> {
    let (numbers, pre) = match s.find('-') {
        Some(at) => (&s[..at], Some(s[at + 1..].to_string())),
        None => (s, None),
    };
    let suffix_ok = |p: &String| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_+".contains(c))
    };
    if pre.as_ref().is_some_and(|p| !suffix_ok(p)) {
        return None;
    }
    let mut parts = Vec::new();
    for part in numbers.split('.') {
        if part.is_empty() || part.len() > 12 || !part.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        parts.push(
            part.parse::<u64>()
                .ok()
                .filter(|n| *n <= u64::from(u32::MAX))?,
        );
    }
    if parts.len() > 4 {
        return None;
    }
    parts.resize(4, 0);
    Some((parts, pre))
}

pub(super) fn naive_cmp(
    a: &(Vec<u64>, Option<String>),
    b: &(Vec<u64>, Option<String>),
) -> Ordering {
    a.0.cmp(&b.0).then(match (&a.1, &b.1) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn versions_are_totally_ordered(a in version_text(), b in version_text(), c in version_text()) {
        let (a, b, c) = (v(&a), v(&b), v(&c));
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
        if a <= b && b <= c {
            prop_assert!(a <= c);
        }
    }

    #[test]
    fn display_parses_back(s in version_text()) {
        let version = v(&s);
        prop_assert_eq!(DottedVersion::parse(&version.to_string()), Some(version.clone()));
        prop_assert_eq!(version.to_string(), s);
    }

    #[test]
    fn borrowed_owned_and_naive_versions_agree(a in version_text(), b in version_text()) {
        let (ra, rb) = (VersionRef::parse(&a), VersionRef::parse(&b));
        let (ra, rb) = (ra.expect("a version"), rb.expect("a version"));
        let (na, nb) = (naive_version(&a).expect("naive"), naive_version(&b).expect("naive"));
        prop_assert_eq!(ra.cmp(&rb), v(&a).cmp(&v(&b)));
        prop_assert_eq!(ra.cmp(&rb), naive_cmp(&na, &nb));
        let owned = v(&a);
        prop_assert_eq!(ra, owned.as_ref());
    }

    #[test]
    fn parsing_accepts_what_the_naive_reading_accepts(s in "[0-9.a+-]{0,12}") {
        prop_assert_eq!(VersionRef::parse(&s).is_some(), naive_version(&s).is_some(), "{:?}", s);
        prop_assert_eq!(DottedVersion::parse(&s).is_some(), naive_version(&s).is_some());
    }
}
