//! Validated identifiers: target apps, mini programs, versions and user ids (SPEC §1).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// Checks `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`.
pub fn check_ident(field: &'static str, s: &str) -> Result<(), InvalidValue> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 128 {
        return Err(InvalidValue::new(field, "must be 1 to 128 characters"));
    }
    if !b[0].is_ascii_alphanumeric() || !b.iter().all(|&c| is_ident_char(c)) {
        return Err(InvalidValue::new(
            field,
            "must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
        ));
    }
    Ok(())
}

/// Checks `^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$`.
fn check_version(s: &str) -> Result<(), InvalidValue> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 64 {
        return Err(InvalidValue::new("version", "must be 1 to 64 characters"));
    }
    let ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'-');
    if !b[0].is_ascii_alphanumeric() || !b.iter().all(|&c| ok(c)) {
        return Err(InvalidValue::new(
            "version",
            "must match ^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$",
        ));
    }
    Ok(())
}

/// Checks a user id: 1–256 bytes of UTF-8 without control characters.
pub fn check_user_id(s: &str) -> Result<(), InvalidValue> {
    if s.is_empty() || s.len() > 256 {
        return Err(InvalidValue::new("user", "must be 1 to 256 bytes of UTF-8"));
    }
    if s.chars().any(char::is_control) {
        return Err(InvalidValue::new(
            "user",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// An OpenAPI string schema for a validated identifier; `max_length` counts characters,
/// so it is exact only for ASCII identifiers (user ids are limited in bytes).
fn string_schema(
    description: &str,
    pattern: &str,
    max_length: usize,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .min_length(Some(1))
        .max_length(Some(max_length))
        .into()
}

macro_rules! string_newtype {
    // A value kept exactly as given, once `$check` accepts it.
    ($(#[$doc:meta])* $name:ident, $check:expr, schema: ($desc:expr, $pattern:expr, $max:expr)) => {
        string_newtype!(
            $(#[$doc])* $name,
            normalised by |s: &str| {
                let check: fn(&str) -> Result<(), InvalidValue> = $check;
                check(s).map(|()| Box::from(s))
            },
            schema: ($desc, $pattern, $max)
        );
    };
    // A value kept in the form `$normalise` makes of it (lowercase, trimmed, …).
    ($(#[$doc:meta])* $name:ident, normalised by $normalise:expr,
     schema: ($desc:expr, $pattern:expr, $max:expr)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Box<str>);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, InvalidValue> {
                let normalise: fn(&str) -> Result<Box<str>, InvalidValue> = $normalise;
                normalise(s).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(s: String) -> Result<Self, InvalidValue> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0.into()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                string_schema($desc, $pattern, $max)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

const IDENT_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";

string_newtype!(
    /// A target app (super app) id.
    AppId,
    |s| check_ident("app", s),
    schema: ("A target app id.", IDENT_PATTERN, 128)
);
string_newtype!(
    /// A mini program id.
    MiniProgramId,
    |s| check_ident("mini_program", s),
    schema: ("A mini program id.", IDENT_PATTERN, 128)
);
string_newtype!(
    /// A mini program version.
    Version,
    check_version,
    schema: ("A mini program version.", "^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$", 64)
);
string_newtype!(
    /// An end user id as the super app knows it; hashed byte for byte.
    UserId,
    check_user_id,
    schema: ("An end user id: 1 to 256 bytes of UTF-8 without control characters, hashed byte for byte.", "^[^\\u0000-\\u001F\\u007F-\\u009F]+$", 256)
);

/// Release ids are assigned by the control plane, in creation order from 1.
pub type ReleaseId = u64;

/// A release's bucketing salt (spec gr1): 16 lowercase hex characters, drawn once. It
/// holds the ready hash prefix, so the hot path gets it without a check. A stored salt of
/// another shape is a corrupt store, never re-drawn or defaulted: either would silently
/// move users between buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Salt(crate::bucket::Salted);

impl Salt {
    pub fn parse(s: &str) -> Result<Salt, InvalidValue> {
        crate::bucket::Salted::new(s)
            .map(Salt)
            .ok_or_else(|| InvalidValue::new("salt", "must be 16 lowercase hex characters"))
    }

    /// Draws a fresh salt from the OS random source.
    pub fn random() -> Result<Salt, getrandom::Error> {
        let drawn = crate::bucket::new_salt()?;
        // `new_salt` draws exactly the shape `Salted::new` takes.
        Salt::parse(&drawn).map_err(|_| getrandom::Error::UNSUPPORTED)
    }

    pub fn as_str(&self) -> &str {
        self.0.salt()
    }

    /// `"gr1:" + salt + ":"`, as the resolver hashes it.
    pub fn salted(&self) -> crate::bucket::Salted {
        self.0
    }
}

impl TryFrom<String> for Salt {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}

impl From<Salt> for String {
    fn from(v: Salt) -> String {
        v.as_str().to_owned()
    }
}

impl fmt::Display for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a package URL: absolute http(s), printable, at most 2048 bytes.
fn check_package_url(url: &str) -> Result<(), InvalidValue> {
    let field = "package_url";
    if url.len() > 2048 {
        return Err(InvalidValue::new(field, "at most 2048 bytes"));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| InvalidValue::new(field, "must be an absolute http(s) URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(InvalidValue::new(
            field,
            "must be an absolute http(s) URL with a host",
        ));
    }
    Ok(())
}

string_newtype!(
    /// Where a mini program package is downloaded from: an absolute http(s) URL.
    PackageUrl,
    check_package_url,
    schema: ("An absolute http(s) URL of at most 2048 bytes.",
        "^https?://[^/?#\\s\\u0000-\\u001F\\u007F-\\u009F]+[^\\s\\u0000-\\u001F\\u007F-\\u009F]*$", 2048)
);

string_newtype!(
    /// The SHA-256 of a package: 64 hex characters, kept in lowercase.
    Sha256,
    normalised by |s| {
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(s.to_ascii_lowercase().into())
        } else {
            Err(InvalidValue::new("sha256", "must be 64 hex characters"))
        }
    },
    schema: ("SHA-256 of the package as 64 hex characters; stored in lowercase.", "^[0-9A-Fa-f]{64}$", 64)
);

string_newtype!(
    /// Why a person did something (a rejection, taking offline, a rollback, a
    /// suspension): SPEC §11's 1 to 1,000
    /// characters once trimmed, counted as Unicode scalar values (what JSON Schema's
    /// `maxLength` counts), never truncated.
    Reason,
    normalised by |s| {
        let reason = s.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(InvalidValue::new(
                "reason",
                "a reason of 1 to 1,000 characters is required",
            ));
        }
        Ok(reason.into())
    },
    schema: ("1 to 1,000 characters, not only white space.", "\\S", MAX_REASON_CHARS)
);

/// The longest [`Reason`], in characters (SPEC §11).
pub const MAX_REASON_CHARS: usize = 1000;
