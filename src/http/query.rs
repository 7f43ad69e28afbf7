//! Strict `application/x-www-form-urlencoded` query decoding. The usual decoders replace
//! bytes that are not UTF-8 with U+FFFD, which would silently bucket a different user
//! than the client named; SPEC §1 wants such input refused instead.

use std::borrow::Cow;

use percent_encoding::percent_decode;

use super::error::RequestError;

/// Decodes one key or value: `+` is a space, `%XX` a byte, and the result must be UTF-8.
fn decode(raw: &str) -> Result<Cow<'_, str>, RequestError> {
    if !raw.contains(['%', '+']) {
        return Ok(Cow::Borrowed(raw));
    }
    let spaced = raw.replace('+', " ");
    let bytes: Vec<u8> = percent_decode(spaced.as_bytes()).collect();
    String::from_utf8(bytes).map(Cow::Owned).map_err(|_| {
        RequestError::BadRequest("query parameters must be percent-encoded UTF-8".into())
    })
}

/// One decoded `key=value` pair.
pub type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The decoded pairs of a query string, in order; borrowed when no escapes occur, so
/// the resolve hot path does not allocate.
pub fn pairs(query: &str) -> impl Iterator<Item = Result<Pair<'_>, RequestError>> {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        Ok((decode(k)?, decode(v)?))
    })
}

/// Parses a query into `T`, refusing input that is not UTF-8 after decoding.
pub fn typed<T: serde::de::DeserializeOwned>(query: Option<&str>) -> Result<T, RequestError> {
    let query = query.unwrap_or("");
    pairs(query).try_for_each(|p| p.map(drop))?;
    serde_urlencoded::from_str(query).map_err(|e| RequestError::BadRequest(e.to_string()))
}

/// Whether an `If-None-Match` value names `etag`: weak comparison, lists and `*`
/// (RFC 9110 §13.1.2).
pub fn none_match(header: &[u8], etag: &str) -> bool {
    let Ok(header) = std::str::from_utf8(header) else {
        return false;
    };
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_is_strict_utf8() {
        let p: Vec<(String, String)> = pairs("user=a%20b+c&app=x&empty=&flag")
            .filter_map(Result::ok)
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        assert_eq!(p[0], ("user".into(), "a b c".into()));
        assert_eq!(p[2], ("empty".into(), String::new()));
        assert_eq!(p[3], ("flag".into(), String::new()));
        assert!(pairs("user=%E4%B8%AD").all(|p| p.is_ok()));
        for bad in ["user=%FF", "user=a%C3", "user=%ED%A0%80", "user=%C0%AF"] {
            assert!(pairs(bad).any(|p| p.is_err()), "{bad}");
        }
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        for h in ["\"8\"", "W/\"8\"", "\"7\", \"8\"", "*"] {
            assert!(none_match(h.as_bytes(), "\"8\""), "{h}");
        }
        for h in ["\"7\"", "\"80\"", "", "W/\"9\""] {
            assert!(!none_match(h.as_bytes(), "\"8\""), "{h}");
        }
    }
}
