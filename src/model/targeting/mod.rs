//! Targeting by client context (SPEC §10): which attribute names and values a client may
//! send, the rule language a production release carries, and its evaluation.
//!
//! A [`Targeting`] is read from its strict JSON shape ([`RawTargeting`]) and compiled
//! once, when it is set: `in` sets sorted (and case-folded where asked), version
//! literals parsed, numbers read. Evaluation ([`Targeting::holds`]) then only reads and
//! never allocates, so the snapshot can run it on every resolve. Each compiled rule keeps
//! the JSON it was given, so the API and the store show exactly that, and the workflow's
//! remove-only check after approval compares what the reviewer saw.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::InvalidValue;

mod raw;
mod short;
#[cfg(test)]
mod tests;
mod version;

pub use raw::{Op, RawRule, RawTargeting};
pub use short::eq as short_eq;
pub use version::{DottedVersion, VersionRef};

/// The most rules a targeting may have.
pub const MAX_RULES: usize = 16;
/// The most values an `in` or `not_in` rule may list.
pub const MAX_VALUES: usize = 1000;
/// The longest attribute value, in bytes; also the case-folding buffer's size.
const MAX_VALUE_BYTES: usize = 256;

/// Checks an attribute name: `^[a-z][a-z0-9_]{0,31}$`.
pub fn check_attribute_name(name: &str) -> Result<(), InvalidValue> {
    let b = name.as_bytes();
    let tail = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_';
    let ok = matches!(b.first(), Some(c) if c.is_ascii_lowercase())
        && b.len() <= 32
        && b.iter().all(tail);
    if !ok {
        return Err(InvalidValue::new(
            "attribute",
            "must match ^[a-z][a-z0-9_]{0,31}$",
        ));
    }
    Ok(())
}

/// Checks an attribute value (a client's, or one a rule compares with): 1–256 bytes of
/// UTF-8 without control characters.
pub fn check_attribute_value(value: &str) -> Result<(), InvalidValue> {
    if value.is_empty() || value.len() > MAX_VALUE_BYTES {
        return Err(InvalidValue::new(
            "attribute value",
            "must be 1 to 256 bytes of UTF-8",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidValue::new(
            "attribute value",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// One validated rule: the JSON it was given and its compiled test.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The attribute's name inline, so evaluating the rule does not chase `raw`.
    name: Name,
    test: Test,
    /// Boxed: only explain and the API read it, and a small rule keeps the rules of a
    /// release in a few cache lines.
    raw: Box<RawRule>,
}

/// An attribute name (at most 32 bytes, checked when compiled) held inline.
#[derive(Debug, Clone, PartialEq)]
struct Name {
    bytes: [u8; 32],
    len: u8,
}

impl Name {
    fn new(name: &str) -> Name {
        let mut bytes = [0; 32];
        let len = name.len().min(32);
        bytes[..len].copy_from_slice(&name.as_bytes()[..len]);
        Name {
            bytes,
            len: len as u8,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    fn as_str(&self) -> &str {
        // Built from a checked name's first bytes: ASCII, so always a whole str.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// What a rule checks of a present attribute value, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    /// `in` (`negate` false) or `not_in`: membership in `values`, sorted by bytes and
    /// deduplicated for a binary search, and ASCII-lowercased when `fold` is set.
    Member {
        values: Box<[Box<str>]>,
        fold: bool,
        negate: bool,
    },
    StartsWith(Box<str>),
    VersionEq(DottedVersion),
    VersionGte(DottedVersion),
    VersionLt(DottedVersion),
    NumGte(f64),
    NumLt(f64),
}

impl Rule {
    /// The attribute the rule reads.
    pub fn attribute(&self) -> &str {
        self.name.as_str()
    }

    pub fn op(&self) -> Op {
        self.raw.op
    }

    /// The rule as it was given.
    pub fn raw(&self) -> &RawRule {
        &self.raw
    }

    /// Whether the rule holds for the attribute's value `seen`. An absent value fails
    /// every rule, `not_in` included (fail closed); a value that is not a version (a
    /// number) fails the version (number) rules.
    pub fn holds(&self, seen: Option<&str>) -> bool {
        let Some(v) = seen else { return false };
        let version = || VersionRef::parse(v);
        match &self.test {
            Test::Member {
                values,
                fold,
                negate,
            } => contains(values, v, *fold) != *negate,
            Test::StartsWith(prefix) => {
                let prefix = prefix.as_bytes();
                let head = v.as_bytes().get(..prefix.len());
                head.is_some_and(|head| short::eq(head, prefix))
            }
            Test::VersionEq(l) => version().is_some_and(|c| c == l.as_ref()),
            Test::VersionGte(l) => version().is_some_and(|c| c >= l.as_ref()),
            Test::VersionLt(l) => version().is_some_and(|c| c < l.as_ref()),
            Test::NumGte(l) => number(v).is_some_and(|c| c >= *l),
            Test::NumLt(l) => number(v).is_some_and(|c| c < *l),
        }
    }
}

/// Up to this many values a linear scan (comparing lengths first) beats the binary
/// search's branches.
const LINEAR_VALUES: usize = 8;

/// Whether `v` is one of the sorted `values`. With `fold`, only ASCII letters are
/// folded (`Android` matches `android`, `İ` stays itself): the values were folded when
/// compiled, and `v` is folded byte by byte as it is compared, so nothing is allocated.
fn contains(values: &[Box<str>], v: &str, fold: bool) -> bool {
    let v = v.as_bytes();
    if values.len() <= LINEAR_VALUES {
        return values.iter().any(|x| {
            let x = x.as_bytes();
            if fold {
                x.len() == v.len() && x.eq_ignore_ascii_case(v)
            } else {
                short::eq(x, v)
            }
        });
    }
    if !fold {
        return values.binary_search_by(|x| x.as_bytes().cmp(v)).is_ok();
    }
    let folded = v.iter().map(u8::to_ascii_lowercase);
    values
        .binary_search_by(|x| x.as_bytes().iter().copied().cmp(folded.clone()))
        .is_ok()
}

/// A client's value as a number: what `str::parse::<f64>` reads (`10`, `-2.5`, `1e3`),
/// finite only, so `inf` and `NaN` are not numbers.
fn number(v: &str) -> Option<f64> {
    v.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A release's targeting: every rule must hold (AND), at most [`MAX_RULES`]; no rules
/// hold for everybody.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawTargeting", into = "RawTargeting")]
pub struct Targeting {
    rules: Vec<Rule>,
}

/// One rule applied to a client, for explain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleCheck<'v> {
    pub rule: RawRule,
    /// The attribute's value the client sent; `null` when absent.
    #[schema(value_type = Option<String>, required = true)]
    pub seen: Option<&'v str>,
    pub held: bool,
}

impl Targeting {
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether every rule holds for the attributes `get` answers for each rule's
    /// attribute name, as bytes (see [`Rule::holds`]). Never allocates.
    pub fn holds<'v>(&self, get: impl Fn(&[u8]) -> Option<&'v str>) -> bool {
        self.rules.iter().all(|r| r.holds(get(r.name.as_bytes())))
    }

    /// Each rule with the value seen and whether it held, for explain.
    pub fn explain<'v>(&self, get: impl Fn(&str) -> Option<&'v str>) -> Vec<RuleCheck<'v>> {
        self.rules
            .iter()
            .map(|r| {
                let seen = get(r.attribute());
                RuleCheck {
                    rule: (*r.raw).clone(),
                    seen,
                    held: r.holds(seen),
                }
            })
            .collect()
    }

    /// Whether `self` keeps only whole rules of `before`, each identical as JSON and in
    /// the same order: SPEC §10's only change after approval. Removing a rule can only
    /// widen who is eligible, so nobody who got the version loses it.
    pub fn only_removes_from(&self, before: &Targeting) -> bool {
        // A greedy match finds a subsequence whenever there is one.
        let mut left = before.rules.iter();
        self.rules.iter().all(|r| left.any(|b| b.raw == r.raw))
    }
}
