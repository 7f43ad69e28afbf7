//! Grayscale percentages, kept as parts per million.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::InvalidValue;

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

/// A grayscale go-live's share: above 0 and below 100, at most four decimals. 100 is a
/// full go-live, a different request, so one message covers every out-of-range value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GrayscalePercentage(Percentage);

impl GrayscalePercentage {
    pub fn from_percent(p: f64) -> Result<Self, InvalidValue> {
        if !p.is_finite() || p <= 0.0 || p >= 100.0 {
            return Err(InvalidValue::new(
                "percentage",
                "must be above 0 and below 100; use {\"type\":\"full\"} for 100",
            ));
        }
        // With at most four decimals, 0 < p < 100 is 1..=999_999 parts per million.
        Percentage::from_percent(p).map(GrayscalePercentage)
    }

    pub fn get(self) -> Percentage {
        self.0
    }
}

impl<'de> Deserialize<'de> for GrayscalePercentage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = f64::deserialize(d)?;
        GrayscalePercentage::from_percent(p).map_err(serde::de::Error::custom)
    }
}
