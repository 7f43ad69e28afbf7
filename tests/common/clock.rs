//! Times as the API writes them (RFC 3339), turned into numbers that order correctly:
//! text comparison is wrong as soon as two times differ in offset or fraction digits.

/// Nanoseconds since the Unix epoch of an RFC 3339 time (`2026-11-25T16:34:47.100Z`,
/// any number of fraction digits, `Z` or `±hh:mm`); panics on anything else.
#[track_caller]
pub fn rfc3339_nanos(text: &str) -> i128 {
    match text.parse::<jiff::Timestamp>() {
        Ok(t) => t.as_nanosecond(),
        Err(e) => panic!("not an RFC 3339 time: {text:?}: {e}"),
    }
}
