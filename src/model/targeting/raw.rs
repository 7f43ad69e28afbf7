//! The JSON shape of a targeting (SPEC §10), read strictly and compiled into a
//! [`Targeting`]; each rule keeps its JSON, which is written back as given, so the API,
//! the store and the remove-only check agree.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    DottedVersion, MAX_RULES, MAX_VALUES, Rule, Targeting, Test, check_attribute_name,
    check_attribute_value,
};
use crate::model::InvalidValue;

/// A targeting as the API takes and shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rules": [
    {"attribute": "os", "op": "in", "values": ["android", "harmonyos"]},
    {"attribute": "app_version", "op": "version_gte", "value": "10.2"}]}))]
pub struct RawTargeting {
    /// All must hold; none holds for everybody.
    #[schema(max_items = 16)]
    pub rules: Vec<RawRule>,
}

/// `{"attribute":"os","op":"in","values":[…]}` (`in`, `not_in`, optionally
/// `"case_insensitive":true`) or `{"attribute":…,"op":…,"value":…}` (the others).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    #[schema(pattern = "^[a-z][a-z0-9_]{0,31}$", example = "os")]
    pub attribute: String,
    pub op: Op,
    /// `in` and `not_in` only: 1–1000 strings of 1–256 bytes, compared byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1, max_items = 1000)]
    pub values: Option<Vec<String>>,
    /// The other ops only: a string for `starts_with`, a version (`10.2`, `1.0.0-beta`)
    /// for `version_*`, a JSON number for `num_*`. Read as any JSON value, so that a
    /// wrong one is reported with its rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<RuleValue>)]
    pub value: Option<Value>,
    /// `in` and `not_in` only: compare with ASCII letters folded (`Android` = `android`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_insensitive: Option<bool>,
}

/// What a rule checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    In,
    NotIn,
    StartsWith,
    VersionEq,
    VersionGte,
    VersionLt,
    NumGte,
    NumLt,
}

impl Op {
    pub const ALL: [Op; 8] = [
        Op::In,
        Op::NotIn,
        Op::StartsWith,
        Op::VersionEq,
        Op::VersionGte,
        Op::VersionLt,
        Op::NumGte,
        Op::NumLt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::StartsWith => "starts_with",
            Op::VersionEq => "version_eq",
            Op::VersionGte => "version_gte",
            Op::VersionLt => "version_lt",
            Op::NumGte => "num_gte",
            Op::NumLt => "num_lt",
        }
    }

    /// Whether the op takes `values` (and `case_insensitive`) rather than `value`.
    fn is_membership(self) -> bool {
        matches!(self, Op::In | Op::NotIn)
    }
}

/// A rule's `value` (the schema of the field, which is read as any JSON value).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // a schema only
pub enum RuleValue {
    Text(String),
    Number(f64),
}

impl RawRule {
    /// The compiled test; an error names the rule and the field.
    fn compile(&self, i: usize) -> Result<Test, String> {
        let at = |field: &str, reason: &str| format!("rules[{i}].{field}: {reason}");
        check_attribute_name(&self.attribute).map_err(|e| at("attribute", &e.reason))?;
        self.check_fields()
            .map_err(|(field, reason)| at(field, &reason))?;
        let version = || {
            let text = self.text().map_err(|r| at("value", &r))?;
            DottedVersion::parse(text).ok_or_else(|| {
                at(
                    "value",
                    "not a version (1–4 dotted numbers, optional -suffix)",
                )
            })
        };
        let number = || {
            let n = self.value.as_ref().and_then(Value::as_f64);
            // JSON has no NaN or infinity; the filter keeps evaluation's comparisons total
            // should a number ever be read with more precision than `f64`.
            n.filter(|n| n.is_finite())
                .ok_or_else(|| at("value", "must be a JSON number"))
        };
        Ok(match self.op {
            Op::In | Op::NotIn => self.members(i)?,
            Op::StartsWith => Test::StartsWith(self.text().map_err(|r| at("value", &r))?.into()),
            Op::VersionEq => Test::VersionEq(version()?),
            Op::VersionGte => Test::VersionGte(version()?),
            Op::VersionLt => Test::VersionLt(version()?),
            Op::NumGte => Test::NumGte(number()?),
            Op::NumLt => Test::NumLt(number()?),
        })
    }

    /// Refuses a field the op does not take and requires the one it does, so that a
    /// misspelt rule is not read as a different one.
    fn check_fields(&self) -> Result<(), (&'static str, String)> {
        let op = self.op.as_str();
        if self.op.is_membership() {
            if self.value.is_some() {
                return Err(("value", format!("does not apply to {op} (it takes values)")));
            }
            if self.values.is_none() {
                return Err(("values", format!("is required for {op}")));
            }
            return Ok(());
        }
        if self.values.is_some() {
            return Err(("values", format!("does not apply to {op} (it takes value)")));
        }
        if self.case_insensitive.is_some() {
            return Err(("case_insensitive", "applies to in and not_in only".into()));
        }
        if self.value.is_none() {
            return Err(("value", format!("is required for {op}")));
        }
        Ok(())
    }

    /// `value` as a string a client's value could be compared with.
    fn text(&self) -> Result<&str, String> {
        let text = self.value.as_ref().and_then(Value::as_str);
        let text = text.ok_or("must be a string")?;
        check_attribute_value(text).map_err(|e| e.reason)?;
        Ok(text)
    }

    /// The `in` or `not_in` test: each value checked, folded if asked, then sorted and
    /// deduplicated for the binary search.
    fn members(&self, i: usize) -> Result<Test, String> {
        let values = self.values.as_deref().unwrap_or_default();
        if values.is_empty() || values.len() > MAX_VALUES {
            return Err(format!(
                "rules[{i}].values: must have 1 to {MAX_VALUES} entries"
            ));
        }
        let fold = self.case_insensitive == Some(true);
        let mut set = Vec::with_capacity(values.len());
        for (j, v) in values.iter().enumerate() {
            check_attribute_value(v)
                .map_err(|e| format!("rules[{i}].values[{j}]: {}", e.reason))?;
            set.push(Box::<str>::from(if fold {
                v.to_ascii_lowercase()
            } else {
                v.clone()
            }));
        }
        set.sort_unstable();
        set.dedup();
        Ok(Test::Member {
            values: set.into(),
            fold,
            negate: self.op == Op::NotIn,
        })
    }
}

impl TryFrom<RawTargeting> for Targeting {
    type Error = InvalidValue;
    fn try_from(raw: RawTargeting) -> Result<Targeting, InvalidValue> {
        let invalid = |reason: String| InvalidValue::new("targeting", reason);
        if raw.rules.len() > MAX_RULES {
            return Err(invalid(format!("rules: at most {MAX_RULES} rules")));
        }
        let rules = raw
            .rules
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                Ok(Rule {
                    test: raw.compile(i)?,
                    name: super::Name::new(&raw.attribute),
                    raw: Box::new(raw),
                })
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(invalid)?;
        Ok(Targeting { rules })
    }
}

impl From<&Targeting> for RawTargeting {
    fn from(t: &Targeting) -> RawTargeting {
        RawTargeting {
            rules: t.rules.iter().map(|r| (*r.raw).clone()).collect(),
        }
    }
}

impl From<Targeting> for RawTargeting {
    fn from(t: Targeting) -> RawTargeting {
        RawTargeting {
            rules: t.rules.into_iter().map(|r| *r.raw).collect(),
        }
    }
}
