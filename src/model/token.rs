//! The SHA-256 of a bearer token, as configured or stored: a target app's client report
//! token (SPEC §9). Held as the 32 digest bytes, so a value that exists can always be
//! compared; a hash that would not decode is refused where it enters, never dropped later
//! (dropping it would leave the app without its token, open instead of closed).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// A token's SHA-256: 64 hex characters on the wire (either case), lowercase when shown.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TokenSha256([u8; 32]);

impl TokenSha256 {
    /// The field name in config and API bodies, for error messages.
    pub const FIELD: &'static str = "report_token_sha256";

    pub fn parse(s: &str) -> Result<TokenSha256, InvalidValue> {
        let mut digest = [0u8; 32];
        // `decode_to_slice` also refuses a wrong length: 64 characters make 32 bytes.
        hex::decode_to_slice(s, &mut digest)
            .map(|()| TokenSha256(digest))
            .map_err(|_| InvalidValue::new(Self::FIELD, "must be 64 hex characters"))
    }

    /// The digest bytes, to compare a presented token's digest with.
    pub fn digest(&self) -> &[u8; 32] {
        &self.0
    }
}

impl TryFrom<String> for TokenSha256 {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}

impl From<TokenSha256> for String {
    fn from(v: TokenSha256) -> String {
        hex::encode(v.0)
    }
}

/// Not the digest: a debug print of a config or a record should not copy credentials
/// material into logs, even hashed.
impl fmt::Debug for TokenSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSha256(..)")
    }
}

impl utoipa::PartialSchema for TokenSha256 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "SHA-256 of the token as 64 hex characters (`graygate hash-token`).",
            ))
            .pattern(Some("^[0-9A-Fa-f]{64}$"))
            .min_length(Some(64))
            .max_length(Some(64))
            .into()
    }
}

impl utoipa::ToSchema for TokenSha256 {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_64_hex_characters_parse_and_show_in_lowercase() {
        let upper = "AB".repeat(32);
        let parsed = TokenSha256::parse(&upper).map(String::from);
        assert_eq!(parsed, Ok("ab".repeat(32)));
        for bad in [
            "",
            "ab",
            &"ab".repeat(33),
            &format!("{}zz", "ab".repeat(31)),
        ] {
            let refused = TokenSha256::parse(bad).expect_err(bad);
            assert_eq!(refused.field, "report_token_sha256");
        }
        let json = serde_json::to_string(&TokenSha256::parse(&upper).ok()).expect("json");
        assert_eq!(json, format!("\"{}\"", "ab".repeat(32)));
        assert!(!format!("{:?}", TokenSha256::parse(&upper)).contains("ab"));
    }
}
