//! Release windows (SPEC §8): automatic plan steps happen only on the listed days between
//! `from` and `to`, local time in an IANA time zone. Zones, dates and DST are jiff's, from
//! its bundled time-zone database, so the host's copy (or lack of one) changes nothing.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::model::Millis;

const DAY_NAMES: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

/// A validated release window.
#[derive(Debug, Clone)]
pub struct Window {
    timezone: String,
    zone: TimeZone,
    /// Bit `n` set: the window opens on the weekday numbered `n` from Monday (0).
    days: u8,
    from: Time,
    to: Time,
}

impl Window {
    /// Validates a window; the error names the field at fault.
    pub fn new(timezone: &str, days: &[String], from: &str, to: &str) -> Result<Window, String> {
        let zone = jiff::tz::db()
            .get(timezone)
            .map_err(|_| format!("window.timezone {timezone:?} is not an IANA time zone"))?;
        if days.is_empty() {
            return Err("window.days must name at least one day".into());
        }
        let mut mask = 0u8;
        for day in days {
            let bit = day_bit(day).ok_or_else(|| {
                format!("window.days: {day:?} is not one of mon, tue, wed, thu, fri, sat, sun")
            })?;
            if mask & bit != 0 {
                return Err(format!("window.days lists {day:?} twice"));
            }
            mask |= bit;
        }
        let (from, to) = (local_time("from", from)?, local_time("to", to)?);
        if from >= to {
            return Err(
                "window.from must be before window.to (windows do not span midnight)".into(),
            );
        }
        Ok(Window {
            timezone: timezone.to_owned(),
            zone,
            days: mask,
            from,
            to,
        })
    }

    pub fn timezone(&self) -> &str {
        &self.timezone
    }

    /// The days the window opens, Monday first, in API spelling.
    pub fn days(&self) -> Vec<&'static str> {
        DAY_NAMES
            .iter()
            .filter(|(name, _)| day_bit(name).is_some_and(|b| self.days & b != 0))
            .map(|(name, _)| *name)
            .collect()
    }

    pub fn from(&self) -> String {
        hh_mm(self.from)
    }

    pub fn to(&self) -> String {
        hh_mm(self.to)
    }

    /// Whether the window is open at `at`.
    pub fn is_open(&self, at: Millis) -> bool {
        self.next_opening(at) == Some(at)
    }

    /// The first moment at or after `at` when the window is open: `at` itself inside it.
    /// Local times that a DST change skips move forward, repeated ones take the first.
    /// `None` only past the end of jiff's calendar.
    pub fn next_opening(&self, at: Millis) -> Option<Millis> {
        let now = Timestamp::from_millisecond(at).ok()?;
        let today = now.to_zoned(self.zone.clone()).date();
        for offset in 0..=7 {
            let day = today.checked_add(offset.days()).ok()?;
            if self.days & weekday_bit(day.weekday()) == 0 {
                continue;
            }
            let open = self.local(day, self.from)?;
            let close = self.local(day, self.to)?;
            if now < close {
                return Some(open.max(now).as_millisecond());
            }
        }
        None
    }

    fn local(&self, day: Date, time: Time) -> Option<Timestamp> {
        let zoned = self.zone.to_zoned(day.to_datetime(time)).ok()?;
        Some(zoned.timestamp())
    }
}

/// Two windows are equal when they open at the same local times in the same named zone.
impl PartialEq for Window {
    fn eq(&self, other: &Window) -> bool {
        (&self.timezone, self.days, self.from, self.to)
            == (&other.timezone, other.days, other.from, other.to)
    }
}

fn local_time(field: &str, s: &str) -> Result<Time, String> {
    let well_formed = s.len() == 5 && s.as_bytes()[2] == b':';
    let time = well_formed
        .then(|| Time::strptime("%H:%M", s).ok())
        .flatten();
    time.ok_or_else(|| format!("window.{field} {s:?} must be a local time HH:MM (00:00 to 23:59)"))
}

fn hh_mm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn day_bit(name: &str) -> Option<u8> {
    DAY_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| weekday_bit(*d))
}

fn weekday_bit(day: Weekday) -> u8 {
    1 << day.to_monday_zero_offset()
}
