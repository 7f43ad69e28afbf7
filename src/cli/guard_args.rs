//! The flags of `graygate release guard` (SPEC §9), turned into the JSON of `PUT …/guard`,
//! or `--remove` for `DELETE …/guard`. Each number is checked against the API's range here,
//! with the flag's name in the message, so a typo such as `--confidence 95` fails before
//! any request instead of coming back as a 400 about a JSON field the operator never typed.
//! The ranges are the guard's own constants ([`GuardSpec`]), so the two cannot drift apart.

use std::ops::RangeInclusive;

use clap::Args;
use serde_json::json;

use super::client::Method;
use super::{Call, Target};
use crate::guard::GuardSpec;

/// `release guard`: set or replace the guard (`PUT …/guard`), or `--remove` it (`DELETE`).
#[derive(Debug, Args)]
pub(super) struct GuardArgs {
    #[command(flatten)]
    target: Target,
    /// The largest tolerated rise of the candidate's error rate over the full release's,
    /// as a fraction in [0, 1]: 0.01 is 1 percentage point (2.0% -> 3.0%).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.01, value_parser = max_increase)]
    max_increase: f64,
    /// Reports each arm (the candidate on grayscale, the full release) needs before the
    /// guard decides anything; 1-10000000. Until then a guarded plan waits for data.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=GuardSpec::MIN_SAMPLES_MAX))]
    min_samples: u64,
    /// How sure the guard must be of a regression, in [0.5, 0.9999]: 0.95 keeps the chance
    /// of a false alarm over the whole rollout at 5%, however long it runs.
    #[arg(long, value_name = "LEVEL", default_value_t = 0.95, value_parser = confidence)]
    confidence: f64,
    /// What a regression does: halt (the plan stops until resumed; the release keeps
    /// serving) or rollback (the release is canceled at once).
    #[arg(long, value_name = "ACTION", value_parser = ["halt", "rollback"],
          required_unless_present = "remove")]
    on_regression: Option<String>,
    /// Remove the guard instead of setting one.
    #[arg(long, conflicts_with_all = ["max_increase", "min_samples", "confidence", "on_regression"])]
    remove: bool,
}

/// `PUT …/guard` with the guard, or `DELETE …/guard` for `--remove`.
pub(super) fn guard_call(g: &GuardArgs) -> Call {
    let (method, body) = if g.remove {
        (Method::Delete, None)
    } else {
        // clap requires --on-regression without --remove, so it is never null here.
        let body = json!({
            "max_error_rate_increase": g.max_increase,
            "min_samples": g.min_samples,
            "confidence": g.confidence,
            "on_regression": g.on_regression,
        });
        (Method::Put, Some(body))
    };
    Call::Write {
        method,
        path: format!("/{}/guard", g.target.id),
        body,
        if_match: g.target.if_match,
    }
}

fn max_increase(raw: &str) -> Result<f64, String> {
    number_in(raw, 0.0..=1.0, "0.01 is 1 percentage point")
}

fn confidence(raw: &str) -> Result<f64, String> {
    let range = GuardSpec::CONFIDENCE_MIN..=GuardSpec::CONFIDENCE_MAX;
    number_in(raw, range, "0.95 is 95%")
}

/// A number within `range`; `example` tells people who typed a percentage what to write.
fn number_in(raw: &str, range: RangeInclusive<f64>, example: &str) -> Result<f64, String> {
    let number: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?} is not a number ({example})"))?;
    // `contains` is false for NaN, so "NaN" is refused with the range.
    if !range.contains(&number) {
        return Err(format!(
            "must be a number in [{}, {}] ({example})",
            range.start(),
            range.end()
        ));
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::test_support::write_of;

    #[test]
    fn guard_commands_put_the_api_shape_with_defaults_or_delete() {
        let put = write_of(&["guard", "7", "--on-regression", "rollback"]);
        let body = json!({"max_error_rate_increase": 0.01, "min_samples": 1000,
            "confidence": 0.95, "on_regression": "rollback"});
        assert_eq!(put, Ok((Method::Put, "/7/guard".into(), Some(body))));
        let args = [
            "guard",
            "7",
            "--max-increase",
            "0.02",
            "--min-samples",
            "50",
            "--confidence",
            "0.99",
            "--on-regression",
            "halt",
        ];
        let body = json!({"max_error_rate_increase": 0.02, "min_samples": 50,
            "confidence": 0.99, "on_regression": "halt"});
        assert_eq!(
            write_of(&args),
            Ok((Method::Put, "/7/guard".into(), Some(body)))
        );
        let remove = write_of(&["guard", "7", "--remove"]);
        assert_eq!(remove, Ok((Method::Delete, "/7/guard".into(), None)));
    }

    #[test]
    fn guard_flags_out_of_range_or_not_fitting_together_are_refused() {
        let refused = |args: &[&str]| write_of(&[&["guard", "7"], args].concat()).unwrap_err();
        let confidence = refused(&["--on-regression", "halt", "--confidence", "2"]);
        assert!(
            confidence.contains("--confidence") && confidence.contains("[0.5, 0.9999]"),
            "{confidence}"
        );
        let percent = refused(&["--on-regression", "halt", "--max-increase", "1%"]);
        assert!(percent.contains("not a number"), "{percent}");
        for args in [
            &[][..],
            &["--on-regression", "pause"],
            &["--on-regression", "halt", "--min-samples", "0"],
            &["--on-regression", "halt", "--min-samples", "10000001"],
            &["--on-regression", "halt", "--max-increase", "-0.1"],
            &["--on-regression", "halt", "--confidence", "NaN"],
            &["--remove", "--on-regression", "halt"],
            &["--remove", "--confidence", "0.9"],
        ] {
            refused(args);
        }
    }

    #[test]
    fn numbers_take_both_ends_of_their_range() {
        assert_eq!(max_increase("0"), Ok(0.0));
        assert_eq!(max_increase(" 1 "), Ok(1.0));
        assert_eq!(confidence("0.5"), Ok(0.5));
        assert_eq!(confidence("0.9999"), Ok(0.9999));
        assert!(confidence("95").is_err_and(|e| e.contains("0.95 is 95%")));
    }
}
