//! Validated domain values (SPEC §1): identifiers, environments, percentages, statuses,
//! roles and target-app policies. A value of these types is valid by construction; raw
//! strings are parsed once at the edge.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why a raw value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidValue {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

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
    ($(#[$doc:meta])* $name:ident, $check:expr, schema: ($desc:expr, $pattern:expr, $max:expr)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Box<str>);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, InvalidValue> {
                let check: fn(&str) -> Result<(), InvalidValue> = $check;
                check(s)?;
                Ok(Self(s.into()))
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

/// An isolated instance of a target app.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Env {
    Development,
    Test,
    Sandbox,
    Production,
}

impl Env {
    pub const ALL: [Env; 4] = [Env::Development, Env::Test, Env::Sandbox, Env::Production];

    pub fn as_str(self) -> &'static str {
        match self {
            Env::Development => "development",
            Env::Test => "test",
            Env::Sandbox => "sandbox",
            Env::Production => "production",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl FromStr for Env {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        Env::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| {
                InvalidValue::new("env", "must be development, test, sandbox or production")
            })
    }
}

impl fmt::Display for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A grayscale share in parts per million (percentage × 10,000): at most four decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percentage(u32);

impl Percentage {
    pub const ZERO: Percentage = Percentage(0);
    pub const FULL: Percentage = Percentage(crate::bucket::BUCKETS);

    /// Parses a percentage in `0..=100` with at most four decimals.
    pub fn from_percent(p: f64) -> Result<Self, InvalidValue> {
        if !p.is_finite() || !(0.0..=100.0).contains(&p) {
            return Err(InvalidValue::new(
                "percentage",
                "must be a number from 0 to 100",
            ));
        }
        let scaled = p * 10_000.0;
        let ppm = scaled.round();
        // Decimal inputs like 12.3456 are not exact in binary: below 10^6 the noise of
        // `p * 10_000` is about 1e-10, while a fifth decimal is off by at least 0.1.
        if (scaled - ppm).abs() > 1e-6 {
            return Err(InvalidValue::new("percentage", "at most 4 decimal places"));
        }
        Ok(Percentage(ppm as u32))
    }

    pub fn from_ppm(ppm: u32) -> Option<Self> {
        (ppm <= crate::bucket::BUCKETS).then_some(Percentage(ppm))
    }

    /// The grayscale threshold in buckets (parts per million).
    pub fn ppm(self) -> u32 {
        self.0
    }

    pub fn as_percent(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }
}

impl Serialize for Percentage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(10_000) {
            s.serialize_u32(self.0 / 10_000)
        } else {
            s.serialize_f64(self.as_percent())
        }
    }
}

impl<'de> Deserialize<'de> for Percentage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = f64::deserialize(d)?;
        Percentage::from_percent(p).map_err(serde::de::Error::custom)
    }
}

/// A JSON number from 0 to 100 with at most four decimals; whole numbers print without a
/// fraction (`5`, `25.5`, `0.0001`).
impl utoipa::PartialSchema for Percentage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .description(Some(
                "A percentage from 0 to 100 with at most 4 decimals (0.0001 % granularity).",
            ))
            .minimum(Some(0))
            .maximum(Some(100))
            .into()
    }
}

impl ToSchema for Percentage {}

impl fmt::Display for Percentage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_percent())
    }
}

/// Release statuses in API spelling (SPEC §2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NewVersionCreated,
    UnderReview,
    PilotTesting,
    ReleasePreparation,
    GrayscaleRelease,
    FullRelease,
    Canceled,
    Archived,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::NewVersionCreated,
        Status::UnderReview,
        Status::PilotTesting,
        Status::ReleasePreparation,
        Status::GrayscaleRelease,
        Status::FullRelease,
        Status::Canceled,
        Status::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NewVersionCreated => "new_version_created",
            Status::UnderReview => "under_review",
            Status::PilotTesting => "pilot_testing",
            Status::ReleasePreparation => "release_preparation",
            Status::GrayscaleRelease => "grayscale_release",
            Status::FullRelease => "full_release",
            Status::Canceled => "canceled",
            Status::Archived => "archived",
        }
    }

    /// In flight: at most one per (mini program, release target) at a time (rule 2).
    pub fn is_in_flight(self) -> bool {
        match self {
            Status::UnderReview
            | Status::PilotTesting
            | Status::ReleasePreparation
            | Status::GrayscaleRelease => true,
            Status::NewVersionCreated
            | Status::FullRelease
            | Status::Canceled
            | Status::Archived => false,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, Status::Canceled | Status::Archived)
    }
}

impl FromStr for Status {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| InvalidValue::new("status", format!("unknown status {s:?}")))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Token roles: `viewer` < `developer` < `admin`, and `reviewer` for the super-app side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Developer,
    Admin,
    Reviewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Developer, Role::Admin, Role::Reviewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Developer => "developer",
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who performs an action: the token's name and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

/// How a release target approves applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    #[default]
    Auto,
    Manual,
}

/// The effective policy of one release target (SPEC §1 "Target-app policy").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct EnvPolicy {
    pub approval: Approval,
    pub pilot_testing: bool,
}

/// A policy as written by a reviewer or in the config file; fields the environment fixes
/// may be omitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvPolicyInput {
    #[serde(default)]
    pub approval: Option<Approval>,
    #[serde(default)]
    pub pilot_testing: Option<bool>,
}

impl EnvPolicy {
    /// Applies the rules SPEC §1 fixes per environment, refusing settings that contradict them.
    pub fn for_env(env: Env, input: EnvPolicyInput) -> Result<EnvPolicy, InvalidValue> {
        let field = "environments";
        match env {
            Env::Production => {
                if input.approval == Some(Approval::Auto) {
                    return Err(InvalidValue::new(
                        field,
                        "production approval is always manual",
                    ));
                }
                Ok(EnvPolicy {
                    approval: Approval::Manual,
                    pilot_testing: input.pilot_testing.unwrap_or(false),
                })
            }
            Env::Sandbox => Ok(EnvPolicy {
                approval: input.approval.unwrap_or(Approval::Auto),
                pilot_testing: input.pilot_testing.unwrap_or(false),
            }),
            Env::Development | Env::Test => {
                if input.approval == Some(Approval::Manual) || input.pilot_testing == Some(true) {
                    return Err(InvalidValue::new(
                        field,
                        format!("{env} approves automatically and has no pilot testing"),
                    ));
                }
                Ok(EnvPolicy {
                    approval: Approval::Auto,
                    pilot_testing: false,
                })
            }
        }
    }

    /// Production goes live by an admin's `go_live`; other environments go live on approval.
    pub fn manual_go_live(env: Env) -> bool {
        env == Env::Production
    }
}

/// Milliseconds since the Unix epoch, rendered as RFC 3339 in the API.
pub type Millis = i64;

pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

const RFC3339_MILLIS: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-25T16:34:47.100Z`.
pub fn rfc3339(ms: Millis) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(RFC3339_MILLIS).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
