//! The compiled evaluation against a plain reference evaluator, over random rule sets
//! and clients; monotonicity and the remove-only check; the JSON round trip.

use std::cmp::Ordering;
use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::json;

use super::version::{naive_cmp, naive_version};
use super::{config, holds};
use crate::model::targeting::{MAX_RULES, Op, RawRule, RawTargeting, Targeting};

const ATTRIBUTES: [&str; 3] = ["os", "app_version", "level"];
/// Values for both sides, few enough that rules match often.
const POOL: &[&str] = &[
    "android",
    "Android",
    "ANDROID",
    "ios",
    "an",
    "Ä",
    "ä",
    "1",
    "1.0",
    "1.0.0",
    "1.0.0-beta",
    "1.0.0-alpha",
    "10.2",
    "10.2.0",
    "10.9",
    "10.10",
    "2",
    "-3",
    "2.5",
    "1e2",
    "inf",
    "NaN",
];

fn raw_rule() -> impl Strategy<Value = RawRule> {
    let pick = |xs: &'static [&'static str]| prop::sample::select(xs);
    let numbers = prop::sample::select(vec![json!(-3), json!(0), json!(1), json!(2.5), json!(100)]);
    let versions = pick(&["1", "1.0.0", "1.0.0-beta", "10.2", "10.9", "10.10", "2"]);
    (
        (pick(&ATTRIBUTES), prop::sample::select(Op::ALL.to_vec())),
        prop::collection::vec(pick(POOL), 1..4),
        any::<Option<bool>>(),
        (pick(&["a", "an", "A", "1", "10."]), versions, numbers),
    )
        .prop_map(|((attribute, op), values, ci, (prefix, version, number))| {
            let membership = matches!(op, Op::In | Op::NotIn);
            let value = match op {
                Op::In | Op::NotIn => None,
                Op::StartsWith => Some(json!(prefix)),
                Op::VersionEq | Op::VersionGte | Op::VersionLt => Some(json!(version)),
                Op::NumGte | Op::NumLt => Some(number),
            };
            RawRule {
                attribute: attribute.into(),
                op,
                values: membership.then(|| values.iter().map(|v| (*v).into()).collect()),
                value,
                case_insensitive: ci.filter(|_| membership),
            }
        })
}

fn raw_rules(max: usize) -> impl Strategy<Value = Vec<RawRule>> {
    prop::collection::vec(raw_rule(), 0..=max)
}

fn client() -> impl Strategy<Value = HashMap<String, String>> {
    prop::collection::vec(
        prop::option::of(prop::sample::select(POOL)),
        ATTRIBUTES.len(),
    )
    .prop_map(|seen| {
        let pairs = ATTRIBUTES.iter().zip(seen);
        pairs
            .filter_map(|(k, v)| Some(((*k).into(), v?.into())))
            .collect()
    })
}

fn compile(rules: &[RawRule]) -> Targeting {
    let raw = RawTargeting {
        rules: rules.to_vec(),
    };
    Targeting::try_from(raw).unwrap_or_else(|e| panic!("{e}"))
}

/// SPEC §10 read plainly: lowercase copies, versions as padded vectors, no precomputing.
fn reference(rule: &RawRule, attrs: &HashMap<String, String>) -> bool {
    let Some(seen) = attrs.get(&rule.attribute) else {
        return false;
    };
    let literal = rule.value.clone().unwrap_or_default();
    let text = literal.as_str().unwrap_or_default().to_string();
    let number = seen.parse::<f64>().ok().filter(|n| n.is_finite());
    let limit = literal.as_f64().unwrap_or(f64::NAN);
    let version = |accept: fn(Ordering) -> bool| match (naive_version(seen), naive_version(&text)) {
        (Some(c), Some(l)) => accept(naive_cmp(&c, &l)),
        _ => false,
    };
    match rule.op {
        Op::In | Op::NotIn => {
            let fold = rule.case_insensitive == Some(true);
            let norm = |s: &str| {
                if fold {
                    s.to_ascii_lowercase()
                } else {
                    s.to_string()
                }
            };
            let listed = rule.values.iter().flatten().any(|x| norm(x) == norm(seen));
            listed == (rule.op == Op::In)
        }
        Op::StartsWith => seen.starts_with(&text),
        Op::VersionEq => version(Ordering::is_eq),
        Op::VersionGte => version(Ordering::is_ge),
        Op::VersionLt => version(Ordering::is_lt),
        Op::NumGte => number.is_some_and(|n| n >= limit),
        Op::NumLt => number.is_some_and(|n| n < limit),
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn compiled_evaluation_equals_the_reference(rules in raw_rules(6), attrs in client()) {
        let t = compile(&rules);
        let want = rules.iter().all(|r| reference(r, &attrs));
        prop_assert_eq!(holds(&t, &attrs), want);
        let checks = t.explain(|name| attrs.get(name).map(String::as_str));
        prop_assert_eq!(checks.iter().all(|c| c.held), want);
        for (check, rule) in checks.iter().zip(&rules) {
            prop_assert_eq!(check.held, reference(rule, &attrs));
            prop_assert_eq!(check.seen, attrs.get(&rule.attribute).map(String::as_str));
            prop_assert_eq!(&check.rule, rule);
        }
    }

    #[test]
    fn removing_a_rule_never_makes_a_client_ineligible(rules in raw_rules(6), attrs in client()) {
        let before = compile(&rules);
        for i in 0..rules.len() {
            let mut fewer = rules.clone();
            fewer.remove(i);
            let after = compile(&fewer);
            prop_assert!(!holds(&before, &attrs) || holds(&after, &attrs));
            prop_assert!(after.only_removes_from(&before));
        }
    }

    #[test]
    fn only_removing_is_told_apart_from_any_other_change(
        rules in raw_rules(6),
        keep in prop::collection::vec(any::<bool>(), 6),
        other in raw_rule(),
        at in any::<prop::sample::Index>(),
    ) {
        let before = compile(&rules);
        let kept: Vec<_> = rules.iter().zip(&keep).filter(|(_, k)| **k).map(|(r, _)| r.clone()).collect();
        prop_assert!(compile(&kept).only_removes_from(&before));
        prop_assert!(before.only_removes_from(&before));
        let mut added = rules.clone();
        added.insert(at.index(rules.len() + 1), other.clone());
        prop_assert!(!compile(&added).only_removes_from(&before));
        if !rules.is_empty() {
            let k = at.index(rules.len());
            let mut changed = rules.clone();
            changed[k] = other;
            prop_assert_eq!(compile(&changed).only_removes_from(&before), changed == rules);
            let mut reordered = rules.clone();
            reordered.swap(0, k);
            prop_assert_eq!(compile(&reordered).only_removes_from(&before), reordered == rules);
        }
    }

    #[test]
    fn json_round_trips_exactly(rules in raw_rules(MAX_RULES)) {
        let json = serde_json::to_value(RawTargeting { rules }).map_err(|e| e.to_string());
        let json = json.unwrap_or_default();
        let t: Targeting = serde_json::from_value(json.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(serde_json::to_value(&t).ok(), Some(json));
    }
}
