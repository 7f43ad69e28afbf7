//! How long a plan step bakes before the next one: whole seconds from 1 s to 30 days,
//! written with the units `s`, `m`, `h` and `d` (parsed by jiff, days counted as 24 h).

use std::fmt;

use jiff::{Span, SpanRelativeTo};

/// The shortest hold a step may have.
pub const MIN_HOLD_SECONDS: i64 = 1;
/// The longest hold a step may have: 30 days.
pub const MAX_HOLD_SECONDS: i64 = 30 * 24 * 3600;

/// A step's hold, in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hold(i64);

impl Hold {
    /// Parses `30m`, `2h`, `1d`, `90s` (or `1h30m`); anything else is an error message.
    pub fn parse(s: &str) -> Result<Hold, String> {
        const UNITS: &str = "a duration like 30s, 30m, 2h or 1d";
        let span: Span = s.trim().parse().map_err(|_| format!("must be {UNITS}"))?;
        if span.get_years() != 0 || span.get_months() != 0 || span.get_weeks() != 0 {
            return Err(format!("must be {UNITS} (no weeks, months or years)"));
        }
        let duration = span
            .to_duration(SpanRelativeTo::days_are_24_hours())
            .map_err(|_| format!("must be {UNITS}"))?;
        if duration.subsec_nanos() != 0 {
            return Err("must be whole seconds".into());
        }
        let secs = duration.as_secs();
        if !(MIN_HOLD_SECONDS..=MAX_HOLD_SECONDS).contains(&secs) {
            return Err("must be from 1s to 30d".into());
        }
        Ok(Hold(secs))
    }

    pub fn from_seconds(secs: i64) -> Option<Hold> {
        (MIN_HOLD_SECONDS..=MAX_HOLD_SECONDS)
            .contains(&secs)
            .then_some(Hold(secs))
    }

    pub fn seconds(self) -> i64 {
        self.0
    }

    pub fn millis(self) -> i64 {
        self.0 * 1000
    }
}

/// The largest unit that divides the hold: `1d`, `2h`, `90m`, `45s` (each parses back).
impl fmt::Display for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let (n, unit) = [(86_400, "d"), (3_600, "h"), (60, "m")]
            .into_iter()
            .find(|(size, _)| s % size == 0)
            .map_or((s, "s"), |(size, unit)| (s / size, unit));
        write!(f, "{n}{unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_bounds() {
        let secs = |s: &str| Hold::parse(s).map(Hold::seconds);
        assert_eq!(secs("1s"), Ok(1));
        assert_eq!(secs("30m"), Ok(1800));
        assert_eq!(secs("2h"), Ok(7200));
        assert_eq!(secs("1d"), Ok(86_400));
        assert_eq!(secs("30d"), Ok(MAX_HOLD_SECONDS));
        assert_eq!(secs("1h30m"), Ok(5400));
        for bad in [
            "", "0s", "31d", "1w", "1mo", "1.5s", "500ms", "soon", "-1h", "30",
        ] {
            assert!(Hold::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn display_parses_back() {
        for s in [
            "1s", "59s", "90s", "30m", "90m", "2h", "36h", "1d", "30d", "1h30m",
        ] {
            let hold = Hold::parse(s).unwrap_or(Hold(1));
            assert_eq!(Hold::parse(&hold.to_string()), Ok(hold), "{s}");
        }
        assert_eq!(Hold(5400).to_string(), "90m");
        assert_eq!(Hold(86_400).to_string(), "1d");
    }
}
