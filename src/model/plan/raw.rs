//! The JSON shape of a plan spec (SPEC §8), read strictly and validated into a
//! [`PlanSpec`]; the same shape is written back, so the API and the store agree.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Hold, PlanSpec, Step, Window};
use crate::model::{GrayscalePercentage, InvalidValue, Percentage};

/// A plan as the API takes and shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    /// 1–20 steps; percentages strictly increasing; `{"full":true}` only last.
    #[schema(min_items = 1, max_items = 20)]
    pub steps: Vec<RawStep>,
    /// Automatic steps happen only inside this window.
    #[serde(default)]
    pub window: Option<RawWindow>,
}

/// `{"percentage":p,"hold":"30m"}` or `{"full":true}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// Above 0 and below 100, at most 4 decimals. Read as a plain number, so that a bad
    /// one is reported with its step.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "as_percentage"
    )]
    #[schema(exclusive_minimum = 0, exclusive_maximum = 100, example = 5)]
    pub percentage: Option<f64>,
    /// How long the step bakes: `s`, `m`, `h` or `d` units, 1s to 30d.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "30m", pattern = "^([0-9]+[smhd])+$")]
    pub hold: Option<String>,
    /// `true` for a last step that goes live to everybody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full: Option<bool>,
}

/// `{"timezone":"Asia/Shanghai","days":["mon",…],"from":"10:00","to":"17:00"}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    /// An IANA time zone name.
    #[schema(example = "Asia/Shanghai")]
    pub timezone: String,
    /// `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`, each at most once.
    #[schema(value_type = Vec<Day>, min_items = 1, max_items = 7)]
    pub days: Vec<String>,
    /// Local opening time, `HH:MM`.
    #[schema(example = "10:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub from: String,
    /// Local closing time, `HH:MM`, after `from`.
    #[schema(example = "17:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub to: String,
}

/// A day of the week in a window (the schema of `days`' entries).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // a schema only: days are read as strings and checked with the window
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl RawStep {
    fn validate(&self, i: usize) -> Result<Step, String> {
        match (self.percentage, &self.hold, self.full) {
            (None, None, Some(true)) => Ok(Step::Full),
            (None, None, Some(false)) => Err(format!("steps[{i}].full must be true")),
            (Some(p), Some(hold), None) => {
                let percentage = GrayscalePercentage::from_percent(p)
                    .map_err(|e| format!("steps[{i}].percentage {}", e.reason))?;
                let hold = Hold::parse(hold).map_err(|e| format!("steps[{i}].hold {e}"))?;
                Ok(Step::Grayscale { percentage, hold })
            }
            (Some(_), None, None) => Err(format!("steps[{i}].hold is required")),
            (None, Some(_), None) => Err(format!("steps[{i}].percentage is required")),
            _ => Err(format!(
                "steps[{i}] must be {{\"percentage\":p,\"hold\":\"30m\"}} or {{\"full\":true}}"
            )),
        }
    }

    fn of(step: Step) -> RawStep {
        match step {
            Step::Grayscale { percentage, hold } => RawStep {
                percentage: Some(percentage.get().as_percent()),
                hold: Some(hold.to_string()),
                full: None,
            },
            Step::Full => RawStep {
                full: Some(true),
                ..RawStep::default()
            },
        }
    }
}

/// Writes a step's share as [`Percentage`] does: whole numbers without a fraction.
fn as_percentage<S: serde::Serializer>(p: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match p.map(Percentage::from_percent) {
        Some(Ok(p)) => p.serialize(s),
        Some(Err(e)) => Err(serde::ser::Error::custom(e)),
        None => s.serialize_none(),
    }
}

impl TryFrom<RawPlan> for PlanSpec {
    type Error = InvalidValue;
    fn try_from(raw: RawPlan) -> Result<PlanSpec, InvalidValue> {
        let invalid = |reason: String| InvalidValue::new("plan", reason);
        let steps = raw
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| s.validate(i))
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let window = raw
            .window
            .map(|w| Window::new(&w.timezone, &w.days, &w.from, &w.to))
            .transpose()
            .map_err(invalid)?;
        PlanSpec::new(steps, window)
    }
}

impl From<PlanSpec> for RawPlan {
    fn from(spec: PlanSpec) -> RawPlan {
        RawPlan {
            steps: spec.steps.iter().copied().map(RawStep::of).collect(),
            window: spec.window.as_ref().map(|w| RawWindow {
                timezone: w.timezone().to_owned(),
                days: w.days().into_iter().map(str::to_owned).collect(),
                from: w.from(),
                to: w.to(),
            }),
        }
    }
}

impl From<&PlanSpec> for RawPlan {
    fn from(spec: &PlanSpec) -> RawPlan {
        RawPlan::from(spec.clone())
    }
}
