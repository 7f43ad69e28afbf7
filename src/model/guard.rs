//! A release's guard (SPEC §9): the sequential test's parameters and what a regression
//! does, in one strict JSON shape for the API and the store; and a [`Finding`], what one
//! evaluation of the guard saw, which the workflow decides on and history records.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::guard::{Assessment, Counts, Decision, GuardSpec, GuardSpecError, assess};

/// What a regression does to the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnRegression {
    /// The plan stops (`halted`) until a person resumes it; the release keeps serving.
    Halt,
    /// The release is canceled at once: everybody but the pilot group is back on full.
    Rollback,
}

impl OnRegression {
    pub fn as_str(self) -> &'static str {
        match self {
            OnRegression::Halt => "halt",
            OnRegression::Rollback => "rollback",
        }
    }
}

/// A validated guard: a built value is always usable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawGuard", into = "RawGuard")]
pub struct Guard {
    pub spec: GuardSpec,
    pub on_regression: OnRegression,
}

/// A guard as the API takes and shows it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"max_error_rate_increase": 0.01, "min_samples": 1000,
    "confidence": 0.95, "on_regression": "rollback"}))]
pub struct RawGuard {
    /// The largest tolerated increase of the error rate over the control's, absolute.
    #[schema(minimum = 0, maximum = 1, example = 0.01)]
    pub max_error_rate_increase: f64,
    /// Reports each arm needs before any decision.
    #[schema(minimum = 1, maximum = 10_000_000, example = 1000)]
    pub min_samples: u64,
    /// One minus the false-regression probability over the whole rollout.
    #[schema(minimum = 0.5, maximum = 0.9999, example = 0.95)]
    pub confidence: f64,
    pub on_regression: OnRegression,
}

/// The error names the field, so the API's 400 says which one.
impl TryFrom<RawGuard> for Guard {
    type Error = GuardSpecError;
    fn try_from(raw: RawGuard) -> Result<Guard, GuardSpecError> {
        let spec = GuardSpec::new(raw.max_error_rate_increase, raw.min_samples, raw.confidence)?;
        Ok(Guard {
            spec,
            on_regression: raw.on_regression,
        })
    }
}

impl From<Guard> for RawGuard {
    fn from(g: Guard) -> RawGuard {
        RawGuard {
            max_error_rate_increase: g.spec.max_error_rate_increase(),
            min_samples: g.spec.min_samples(),
            confidence: g.spec.confidence(),
            on_regression: g.on_regression,
        }
    }
}

/// What one evaluation of a guard saw: the counts of each arm, the parameters it was
/// assessed with, and the assessment. The workflow checks that it was made with the
/// release's guard as it is now, and history keeps it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding {
    pub spec: GuardSpec,
    pub candidate: Counts,
    pub control: Counts,
    pub assessment: Assessment,
}

impl Finding {
    /// Assesses the counts with `spec`.
    pub fn new(spec: GuardSpec, candidate: Counts, control: Counts) -> Finding {
        Finding {
            spec,
            candidate,
            control,
            assessment: assess(&spec, candidate, control),
        }
    }

    pub fn decision(&self) -> Decision {
        self.assessment.decision
    }

    /// Why a plan waits or halts, in plain words with the figures.
    pub fn reason(&self) -> String {
        let (c, k) = (self.candidate, self.control);
        let min = self.spec.min_samples();
        match self.decision() {
            Decision::InsufficientData => format!(
                "guard needs {min} reports per arm: candidate has {}, control has {}",
                c.total(),
                k.total()
            ),
            Decision::Healthy => "guard finds no regression".to_owned(),
            Decision::Regression => format!(
                "guard found a regression: error rate {:.2}% vs {:.2}% on full \
                 ({} and {} reports); the increase is at least {:.2} pp with {}% \
                 confidence, over the {:.2} pp allowed",
                100.0 * c.error_rate(),
                100.0 * k.error_rate(),
                c.total(),
                k.total(),
                100.0 * self.assessment.lower,
                100.0 * self.spec.confidence(),
                100.0 * self.spec.max_error_rate_increase()
            ),
        }
    }

    /// The history entry's details: samples, error rates and the bound (SPEC §9).
    pub fn details(&self) -> Value {
        let arm = |c: Counts| json!({"ok": c.ok, "error": c.error, "error_rate": c.error_rate()});
        let a = self.assessment;
        json!({
            "decision": a.decision.as_str(),
            "candidate": arm(self.candidate),
            "control": arm(self.control),
            "difference": {"estimate": a.estimate, "lower": a.lower, "upper": a.upper},
            "max_error_rate_increase": self.spec.max_error_rate_increase(),
            "confidence": self.spec.confidence(),
            "min_samples": self.spec.min_samples(),
            "reason": self.reason(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<Guard, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn the_json_shape_round_trips_and_refuses_each_bad_field() {
        let ok = json!({"max_error_rate_increase": 0.01, "min_samples": 1000,
            "confidence": 0.95, "on_regression": "rollback"});
        let guard = parse(ok.clone()).expect("valid");
        assert_eq!(guard.on_regression, OnRegression::Rollback);
        assert_eq!(serde_json::to_value(guard).ok(), Some(ok.clone()));
        let bad = [
            (
                "max_error_rate_increase",
                json!(1.5),
                "max_error_rate_increase",
            ),
            (
                "max_error_rate_increase",
                json!(-0.1),
                "max_error_rate_increase",
            ),
            ("min_samples", json!(0), "min_samples"),
            ("min_samples", json!(10_000_001), "min_samples"),
            ("confidence", json!(0.49), "confidence"),
            ("confidence", json!(1.0), "confidence"),
            (
                "on_regression",
                json!("pause"),
                "expected `halt` or `rollback`",
            ),
        ];
        for (field, value, named) in bad {
            let mut v = ok.clone();
            v[field] = value.clone();
            let err = parse(v).expect_err(&format!("{field} = {value} refused"));
            assert!(err.contains(named), "{field} = {value}: {err}");
        }
        let mut extra = ok.clone();
        extra["window"] = json!(1);
        assert!(parse(extra).is_err(), "unknown fields refused");
        let mut missing = ok;
        missing.as_object_mut().map(|m| m.remove("confidence"));
        assert!(parse(missing).is_err(), "every field is required");
    }

    #[test]
    fn a_regression_reason_carries_the_figures() {
        let spec = GuardSpec::new(0.01, 100, 0.95).expect("valid");
        let f = Finding::new(spec, Counts::new(800, 200), Counts::new(950, 50));
        assert_eq!(f.decision(), Decision::Regression);
        let reason = f.reason();
        assert!(reason.contains("20.00% vs 5.00%"), "{reason}");
        assert!(reason.contains("1000 and 1000 reports"), "{reason}");
        let d = f.details();
        assert_eq!(d["candidate"]["error"], 200);
        assert_eq!(d["control"]["ok"], 950);
        assert!(d["difference"]["lower"].as_f64().is_some_and(|l| l > 0.01));
        let waiting = Finding::new(spec, Counts::new(10, 0), Counts::new(500, 0));
        assert_eq!(waiting.decision(), Decision::InsufficientData);
        assert!(waiting.reason().contains("candidate has 10"));
    }
}
