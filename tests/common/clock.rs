//! Times as the API writes them (RFC 3339), turned into numbers that order correctly:
//! text comparison is wrong as soon as two times differ in offset or fraction digits.

/// Nanoseconds since the Unix epoch of an RFC 3339 time (`2026-11-25T16:34:47.100Z`,
/// any number of fraction digits, `Z` or `±hh:mm`); panics on anything else.
#[track_caller]
pub fn rfc3339_nanos(text: &str) -> i128 {
    parse(text).unwrap_or_else(|| panic!("not an RFC 3339 time: {text:?}"))
}

fn parse(text: &str) -> Option<i128> {
    let (date, rest) = text.split_once(['T', 't'])?;
    let mut ymd = date.splitn(3, '-').map(|p| p.parse::<i32>().ok());
    let (year, month, day) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
    let split = rest.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = rest.split_at(split);
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.splitn(3, ':').map(|p| p.parse::<u8>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    let nanos = if fraction.is_empty() {
        0
    } else {
        let digits: String = fraction
            .chars()
            .chain(std::iter::repeat('0'))
            .take(9)
            .collect();
        digits.parse::<u32>().ok()?
    };
    let clock = time::Time::from_hms_nano(h, m, s, nanos).ok()?;
    let offset = match zone {
        "Z" | "z" => time::UtcOffset::UTC,
        _ => {
            let sign: i8 = if zone.starts_with('-') { -1 } else { 1 };
            let (oh, om) = zone[1..].split_once(':')?;
            let (oh, om) = (oh.parse::<i8>().ok()?, om.parse::<i8>().ok()?);
            time::UtcOffset::from_hms(sign * oh, sign * om, 0).ok()?
        }
    };
    Some(
        date.with_time(clock)
            .assume_offset(offset)
            .unix_timestamp_nanos(),
    )
}
