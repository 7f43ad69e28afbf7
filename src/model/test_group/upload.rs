//! A JSON array of user ids read straight into a [`TestGroup`]: each id is validated,
//! hashed and appended to the ids blob as the parser meets it (borrowed from the request
//! body, or from the parser's scratch buffer when it has escapes), so an upload costs the
//! body, the blob and the set, and no list of strings.

use std::fmt;

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Builder, TestGroup};
use crate::model::InvalidValue;

/// The outcome of reading a JSON array of ids: malformed JSON (not an array, an entry that
/// is not a string) fails deserialization; an invalid id or too many ids is kept here as
/// the [`InvalidValue`] naming the entry, so the API answers `invalid_parameter` for it.
#[derive(Debug)]
pub struct TestGroupUpload(pub Result<TestGroup, InvalidValue>);

impl<'de> Deserialize<'de> for TestGroupUpload {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(UploadVisitor)
    }
}

/// Visits the array; public to the crate so a body that wraps it can reuse `visit_seq`.
pub(crate) struct UploadVisitor;

impl<'de> Visitor<'de> for UploadVisitor {
    type Value = TestGroupUpload;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of user ids")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut builder = Builder::keeping_ids();
        let mut refused = None;
        let mut index = 0;
        loop {
            let entry = IdSeed {
                builder: &mut builder,
                refused: &mut refused,
                index,
            };
            if seq.next_element_seed(entry)?.is_none() {
                break;
            }
            index += 1;
        }
        Ok(TestGroupUpload(match refused {
            Some(e) => Err(e),
            None => builder.finish(),
        }))
    }
}

/// One entry: pushed into the builder, or only checked to be a string once an earlier
/// entry was refused (the rest of the body must still be valid JSON).
struct IdSeed<'a> {
    builder: &'a mut Builder,
    refused: &'a mut Option<InvalidValue>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for IdSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for IdSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a user id (a string)")
    }

    fn visit_str<E: de::Error>(self, id: &str) -> Result<(), E> {
        if self.refused.is_none()
            && let Err(e) = self.builder.push(self.index, id)
        {
            *self.refused = Some(e);
        }
        Ok(())
    }
}
