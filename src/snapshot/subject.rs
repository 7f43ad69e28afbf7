//! Who a resolve is for: the user, and the client's attributes (SPEC §10), which the
//! in-flight release's targeting reads.

use crate::model::short_eq;

/// The client attributes of a resolve (`attr.os=android`, …), borrowed from the request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attributes<'a>(&'a [(&'a str, &'a str)]);

impl<'a> Attributes<'a> {
    /// No attributes.
    pub const NONE: Attributes<'static> = Attributes(&[]);

    pub fn new(pairs: &'a [(&'a str, &'a str)]) -> Attributes<'a> {
        Attributes(pairs)
    }

    /// The value of attribute `name`, if the client sent it.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.get_bytes(name.as_bytes())
    }

    /// [`Attributes::get`] by the name's bytes, as targeting asks on every resolve.
    pub fn get_bytes(&self, name: &[u8]) -> Option<&'a str> {
        let sent = |(n, _): &&(&str, &str)| short_eq(n.as_bytes(), name);
        self.0.iter().find(sent).map(|(_, v)| *v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn pairs(&self) -> &'a [(&'a str, &'a str)] {
        self.0
    }
}

/// One resolve's subject: a validated user id and the client's attributes.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub user: &'a str,
    pub attributes: Attributes<'a>,
}

impl<'a> Subject<'a> {
    /// A user without attributes.
    pub fn user(user: &'a str) -> Subject<'a> {
        Subject {
            user,
            attributes: Attributes::NONE,
        }
    }
}
