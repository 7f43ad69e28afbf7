//! Dotted numeric versions for the `version_*` rules (SPEC §10): 1–4 parts of `u32`,
//! missing parts count as 0 (`10.2 == 10.2.0`, `10.10 > 10.9`), and an optional
//! `-suffix` pre-release that sorts before its release, suffixes compared as text
//! (`1.0.0-alpha < 1.0.0-beta < 1.0.0`).
//!
//! Semver crates refuse `10.2` and compare pre-releases by identifier, and the lenient
//! comparison crates take any text as a version, so the grammar is written here once.
//! [`DottedVersion`] is a rule's literal, parsed when the rule is compiled;
//! [`VersionRef`] borrows a client's value on the hot path, where parsing never allocates.

use std::cmp::Ordering;
use std::fmt;

/// The most numeric parts a version may have.
const MAX_PARTS: usize = 4;

/// A version's numeric parts (missing ones 0), how many were written, and its suffix.
type Parts<'a> = ([u32; MAX_PARTS], usize, Option<&'a str>);

/// Reads `^[0-9]+(\.[0-9]+){0,3}(-[0-9A-Za-z._+-]+)?$` with every number fitting a `u32`
/// (leading zeros are allowed and mean nothing: `10.02 == 10.2`). Everything after the
/// first `-` is the suffix, so `1.0-rc-2` has the suffix `rc-2`.
/// One pass over the bytes: clients send a version with every resolve.
fn split(s: &str) -> Option<Parts<'_>> {
    let bytes = s.as_bytes();
    let mut parts = [0u32; MAX_PARTS];
    let (mut len, mut digits, mut i) = (0, 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b @ b'0'..=b'9' => {
                let part = parts.get_mut(len)?;
                *part = part.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
                digits += 1;
            }
            b'.' if digits > 0 => (len, digits) = (len + 1, 0),
            b'-' => break,
            _ => return None,
        }
        i += 1;
    }
    if digits == 0 {
        return None; // empty, or ending in `.` or `-` without a number before it
    }
    let pre = match s.get(i..) {
        Some("") | None => None,
        Some(rest) => Some(rest.get(1..).filter(|p| is_suffix(p))?),
    };
    Some((parts, len + 1, pre))
}

fn is_suffix(s: &str) -> bool {
    let ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-');
    !s.is_empty() && s.bytes().all(ok)
}

/// A version borrowed from a client's attribute value: what a `version_*` rule compares
/// against its literal ([`DottedVersion::as_ref`]). Missing parts are stored as 0, so
/// the derived equality is the order's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRef<'a> {
    parts: [u32; MAX_PARTS],
    pre: Option<&'a str>,
}

impl<'a> VersionRef<'a> {
    /// `None` unless `s` is a version as the module describes; never allocates.
    pub fn parse(s: &'a str) -> Option<VersionRef<'a>> {
        split(s).map(|(parts, _, pre)| VersionRef { parts, pre })
    }
}

impl Ord for VersionRef<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.pre, other.pre) {
                (None, None) => Ordering::Equal,
                // A pre-release comes before its release.
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.as_bytes().cmp(b.as_bytes()),
            }
        })
    }
}

impl PartialOrd for VersionRef<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// An owned version: a rule's literal. It keeps how many parts were written, for
/// [`Display`](fmt::Display), but equality and order ignore it (`10.2 == 10.2.0`).
#[derive(Debug, Clone)]
pub struct DottedVersion {
    parts: [u32; MAX_PARTS],
    len: usize,
    pre: Option<Box<str>>,
}

impl DottedVersion {
    /// `None` unless `s` is a version as the module describes.
    pub fn parse(s: &str) -> Option<DottedVersion> {
        split(s).map(|(parts, len, pre)| DottedVersion {
            parts,
            len,
            pre: pre.map(Box::from),
        })
    }

    /// The version borrowed, to compare with a client's [`VersionRef`].
    pub fn as_ref(&self) -> VersionRef<'_> {
        VersionRef {
            parts: self.parts,
            pre: self.pre.as_deref(),
        }
    }
}

impl PartialEq for DottedVersion {
    fn eq(&self, other: &Self) -> bool {
        self.as_ref() == other.as_ref()
    }
}

impl Eq for DottedVersion {}

impl Ord for DottedVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_ref().cmp(&other.as_ref())
    }
}

impl PartialOrd for DottedVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The parts as written, without leading zeros: `10.2`, `1.0.0-beta`.
impl fmt::Display for DottedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts[..self.len].iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        match &self.pre {
            Some(pre) => write!(f, "-{pre}"),
            None => Ok(()),
        }
    }
}
