//! Client attributes at the edge (SPEC §10): `attr.<name>=value` query parameters and the
//! batch body's `"attributes"` object, validated strictly (each refusal names the
//! attribute) into a fixed buffer on the stack, so a resolve with a handful of attributes
//! allocates nothing (values with percent escapes excepted). Attributes never become
//! metric labels.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};

use crate::model::{InvalidValue, check_attribute_name, check_attribute_value};
use crate::snapshot::Attributes;

/// The most attributes one resolve may carry.
pub const MAX_ATTRIBUTES: usize = 16;

/// The query-string prefix of an attribute parameter.
pub const QUERY_PREFIX: &str = "attr.";

/// Up to [`MAX_ATTRIBUTES`] validated `(name, value)` pairs, borrowed where possible.
#[derive(Debug, Default)]
pub struct AttributeBuf<'a> {
    pairs: [(Cow<'a, str>, Cow<'a, str>); MAX_ATTRIBUTES],
    len: usize,
}

fn invalid(reason: String) -> InvalidValue {
    InvalidValue::new("attributes", reason)
}

impl<'a> AttributeBuf<'a> {
    /// Adds one attribute: a valid name not given before, a valid value, at most 16.
    pub fn push(&mut self, name: Cow<'a, str>, value: Cow<'a, str>) -> Result<(), InvalidValue> {
        check_attribute_name(&name).map_err(|e| invalid(format!("{name:?}: {}", e.reason)))?;
        if self.pairs[..self.len].iter().any(|(n, _)| *n == name) {
            return Err(invalid(format!("{name:?} given twice")));
        }
        check_attribute_value(&value).map_err(|e| invalid(format!("{name}: {}", e.reason)))?;
        let slot = self
            .pairs
            .get_mut(self.len)
            .ok_or_else(|| invalid(format!("at most {MAX_ATTRIBUTES} attributes")))?;
        *slot = (name, value);
        self.len += 1;
        Ok(())
    }

    /// Takes a decoded query pair if its key is `attr.<name>` (resolve and explain read
    /// the key after percent-decoding, so `attr%2Eos` is one too); otherwise hands the
    /// value back.
    pub fn take(
        &mut self,
        key: &Cow<'a, str>,
        value: Cow<'a, str>,
    ) -> Result<Option<Cow<'a, str>>, InvalidValue> {
        let name = match key {
            Cow::Borrowed(k) => k.strip_prefix(QUERY_PREFIX).map(Cow::Borrowed),
            Cow::Owned(k) => k
                .strip_prefix(QUERY_PREFIX)
                .map(|n| Cow::Owned(n.to_owned())),
        };
        match name {
            Some(name) => self.push(name, value).map(|()| None),
            None => Ok(Some(value)),
        }
    }

    /// Calls `f` with the attributes as the resolver reads them.
    pub fn with<R>(&self, f: impl FnOnce(Attributes<'_>) -> R) -> R {
        if self.len == 0 {
            return f(Attributes::NONE);
        }
        let mut view: [(&str, &str); MAX_ATTRIBUTES] = [("", ""); MAX_ATTRIBUTES];
        for (slot, (name, value)) in view.iter_mut().zip(&self.pairs[..self.len]) {
            *slot = (name, value);
        }
        f(Attributes::new(&view[..self.len]))
    }
}

/// The batch body's `"attributes"`: a JSON object of strings, each name once (a repeated
/// key is refused, not silently overwritten), at most 16; checked again by
/// [`AttributeBuf::push`].
#[derive(Debug, Default)]
pub struct BodyAttributes(pub Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for BodyAttributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(PairsVisitor)
    }
}

struct PairsVisitor;

impl<'de> Visitor<'de> for PairsVisitor {
    type Value = BodyAttributes;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of at most 16 string attributes")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<BodyAttributes, M::Error> {
        use serde::de::Error;
        let mut pairs: Vec<(String, String)> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let value: String = map.next_value()?;
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(M::Error::custom(format!("attribute {name:?} given twice")));
            }
            if pairs.len() == MAX_ATTRIBUTES {
                return Err(M::Error::custom(format!(
                    "at most {MAX_ATTRIBUTES} attributes"
                )));
            }
            pairs.push((name, value));
        }
        Ok(BodyAttributes(pairs))
    }
}

impl BodyAttributes {
    /// The validated attributes, borrowing the body's strings.
    pub fn validated(&self) -> Result<AttributeBuf<'_>, InvalidValue> {
        let mut buf = AttributeBuf::default();
        for (name, value) in &self.0 {
            buf.push(Cow::Borrowed(name), Cow::Borrowed(value))?;
        }
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_all(pairs: &[(&'static str, &'static str)]) -> Result<AttributeBuf<'static>, String> {
        let mut buf = AttributeBuf::default();
        for (n, v) in pairs {
            buf.push(Cow::Borrowed(n), Cow::Borrowed(v))
                .map_err(|e| e.reason)?;
        }
        Ok(buf)
    }

    #[test]
    fn attributes_are_read_back_as_given() {
        let buf = push_all(&[("os", "android"), ("app_version", "10.2.3")]).expect("valid");
        buf.with(|a| {
            assert_eq!(a.get("os"), Some("android"));
            assert_eq!(a.get("app_version"), Some("10.2.3"));
            assert_eq!(a.get("region"), None);
        });
    }

    #[test]
    fn bad_attributes_are_refused_by_name() {
        let long = Box::leak("x".repeat(257).into_boxed_str());
        let cases: [(&[(&'static str, &'static str)], &str); 5] = [
            (&[("OS", "android")], "\"OS\""),
            (&[("os", "a"), ("os", "b")], "given twice"),
            (&[("os", "")], "os"),
            (&[("os", "a\u{7}b")], "os"),
            (&[("os", long)], "os"),
        ];
        for (pairs, needle) in cases {
            let err = push_all(pairs).err().unwrap_or_default();
            assert!(err.contains(needle), "{pairs:?}: {err:?}");
        }
        let names: Vec<&'static str> = (0..17)
            .map(|i| &*Box::leak(format!("a{i}").into_boxed_str()))
            .collect();
        let many: Vec<_> = names.iter().map(|n| (*n, "v")).collect();
        assert!(push_all(&many).is_err(), "17 attributes are refused");
        assert!(push_all(&many[..16]).is_ok(), "16 are fine");
    }

    #[test]
    fn a_body_object_refuses_repeated_keys_and_non_strings() {
        let parse = |s: &str| serde_json::from_str::<BodyAttributes>(s).map(|b| b.0.len());
        assert_eq!(parse(r#"{"os":"android","region":"cn"}"#).ok(), Some(2));
        assert!(parse(r#"{"os":"android","os":"ios"}"#).is_err());
        assert!(parse(r#"{"os":10}"#).is_err());
        assert!(parse(r#"["os"]"#).is_err());
    }
}
