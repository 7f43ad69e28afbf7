//! Pilot test groups (SPEC §3 step 1, §4): who a release's pilot serves.
//!
//! The snapshot needs membership only, so a group in memory is a [`CompactSet`] of 64-bit
//! hashes of its ids (about 10 bytes an id, one or two cache lines a lookup, whatever the
//! size), not the ids. The ids themselves live in the store: a group parsed from a request
//! carries them (newline-separated, the stored form) until its batch is committed, and the
//! control plane then keeps [`TestGroup::without_ids`]. A group read back from the store
//! ([`TestGroup::from_lines`]) is built straight from the stored bytes.
//!
//! **False members.** An id is a member iff `xxh3_64(id, seed = HASH_SEED)` equals the hash
//! of a member. A non-member is therefore taken for a member with probability about
//! `n / 2^64` per lookup (n distinct members): 5.4 · 10⁻¹⁴ for a million ids. Two distinct
//! ids with equal hashes count once in `len` (probability about `n² / 2^65`, 2.7 · 10⁻⁸ for
//! a million ids): the group is deduplicated by hash. The seed is not the bucketing hash
//! (spec gr1 hashes `"gr1:" + salt + ":" + user` with seed 0), so pilot membership and
//! grayscale buckets stay independent; it may change between versions, as the set is
//! rebuilt from the stored ids at every start.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use super::{InvalidValue, MAX_TEST_GROUP};

mod set;
mod upload;

pub use set::CompactSet;
pub use upload::TestGroupUpload;
pub(crate) use upload::UploadVisitor;

/// The membership hash's seed: fixed, and distinct from the bucketing hash's (0).
pub const HASH_SEED: u64 = 0x6772_6179_6761_7465; // "graygate"

/// The membership hash of an id.
fn hash(id: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(id, HASH_SEED)
}

/// A pilot test group: O(1) membership whatever its size; see the module docs for the
/// false-member probability. Two groups are equal when their members are.
#[derive(Clone)]
pub struct TestGroup {
    members: Arc<CompactSet<64>>,
    /// The distinct ids, one per line, while they still have to be stored.
    ids: Option<Bytes>,
}

/// A group whose ids were dropped after commit was asked to write them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the test group's ids were dropped after commit and cannot be written again")]
pub struct IdsDropped;

impl TestGroup {
    /// Builds a group from raw ids, refusing the first invalid one and more than
    /// [`MAX_TEST_GROUP`] distinct ids. Duplicates count once.
    pub fn parse<S: AsRef<str>>(ids: &[S]) -> Result<Self, InvalidValue> {
        let mut builder = Builder::keeping_ids();
        for (i, id) in ids.iter().enumerate() {
            builder.push(i, id.as_ref())?;
        }
        builder.finish()
    }

    pub fn contains(&self, user: &str) -> bool {
        self.members
            .contains(CompactSet::<64>::key(hash(user.as_bytes())))
    }

    /// Distinct ids (by hash).
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The distinct ids, newline-separated (user ids cannot contain control characters),
    /// in first-seen order: what the store keeps. Only a group that still has its ids
    /// (parsed from a request, not yet committed) can be written.
    pub fn to_lines(&self) -> Result<&[u8], IdsDropped> {
        self.ids.as_deref().ok_or(IdsDropped)
    }

    /// The same members without the ids: what the control plane keeps once they are stored.
    pub fn without_ids(&self) -> TestGroup {
        TestGroup {
            members: Arc::clone(&self.members),
            ids: None,
        }
    }

    /// Reads what [`TestGroup::to_lines`] wrote, straight into the set (the ids are not
    /// kept). Every line must be a valid id ending in a newline.
    pub fn from_lines(bytes: &[u8]) -> Result<Self, InvalidValue> {
        let mut reader = StoredLines::new();
        reader.feed(bytes)?;
        reader.finish()
    }

    /// `lines` (as [`TestGroup::to_lines`] wrote them) cut at line ends into pieces of
    /// about `max` bytes (more only for a line longer than that), for stores that keep a
    /// group as several values; [`StoredLines`] reads them back.
    pub fn line_chunks(lines: &[u8], max: usize) -> impl Iterator<Item = &[u8]> {
        let mut rest = lines;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let window = &rest[..rest.len().min(max.max(1))];
            let end = match window.iter().rposition(|b| *b == b'\n') {
                Some(i) => i + 1,
                None => rest
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(rest.len(), |i| i + 1),
            };
            let (chunk, tail) = rest.split_at(end);
            rest = tail;
            Some(chunk)
        })
    }
}

/// Reads a stored group from one or more runs of whole lines, in order, straight into
/// the set (the ids are not kept).
pub struct StoredLines {
    builder: Builder,
    lines: usize,
}

impl StoredLines {
    pub fn new() -> StoredLines {
        StoredLines {
            builder: Builder::dropping_ids(),
            lines: 0,
        }
    }

    /// Reads `bytes`: valid ids, each ending in a newline.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), InvalidValue> {
        let mut lines = bytes.split(|b| *b == b'\n');
        let last = lines.next_back().unwrap_or_default();
        if !last.is_empty() {
            return Err(InvalidValue::new("test_group", "stored group is truncated"));
        }
        for line in lines {
            let id = std::str::from_utf8(line)
                .map_err(|_| InvalidValue::new("test_group", "stored group is not UTF-8"))?;
            self.builder.push(self.lines, id)?;
            self.lines += 1;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<TestGroup, InvalidValue> {
        self.builder.finish()
    }
}

impl Default for StoredLines {
    fn default() -> Self {
        StoredLines::new()
    }
}

impl Default for TestGroup {
    /// The empty group (storable: it has no ids to lose).
    fn default() -> Self {
        TestGroup {
            members: Arc::default(),
            ids: Some(Bytes::new()),
        }
    }
}

impl PartialEq for TestGroup {
    fn eq(&self, other: &Self) -> bool {
        self.members == other.members
    }
}

impl Eq for TestGroup {}

impl fmt::Debug for TestGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestGroup")
            .field("len", &self.len())
            .field("id_bytes", &self.ids.as_ref().map(Bytes::len))
            .finish()
    }
}

/// Builds a group one id at a time, so no list of strings is ever held.
pub(crate) struct Builder {
    keys: Vec<u64>,
    pushed: usize,
    ids: Option<Vec<u8>>,
}

fn too_many() -> InvalidValue {
    InvalidValue::new("test_group", "at most 1,000,000 user ids")
}

impl Builder {
    pub(crate) fn keeping_ids() -> Builder {
        Builder {
            keys: Vec::new(),
            pushed: 0,
            ids: Some(Vec::new()),
        }
    }

    fn dropping_ids() -> Builder {
        Builder {
            ids: None,
            ..Builder::keeping_ids()
        }
    }

    /// Adds entry `index` of the upload, refusing an invalid id.
    pub(crate) fn push(&mut self, index: usize, id: &str) -> Result<(), InvalidValue> {
        super::check_user_id(id)
            .map_err(|e| InvalidValue::new("test_group", format!("entry {index}: {}", e.reason)))?;
        if self.keys.len() == self.keys.capacity() {
            self.compact()?;
        }
        self.keys.push(CompactSet::<64>::key(hash(id.as_bytes())));
        self.pushed += 1;
        if let Some(ids) = &mut self.ids {
            ids.extend_from_slice(id.as_bytes());
            ids.push(b'\n');
        }
        Ok(())
    }

    /// Drops duplicate keys before the key list grows, so an upload repeating a few ids
    /// holds no more than twice its distinct ids, and refuses a group past the cap early.
    fn compact(&mut self) -> Result<(), InvalidValue> {
        self.keys.sort_unstable();
        self.keys.dedup();
        if self.keys.len() > MAX_TEST_GROUP {
            return Err(too_many());
        }
        if self.keys.len() > self.keys.capacity() / 2 {
            self.keys.reserve(self.keys.capacity().max(64));
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<TestGroup, InvalidValue> {
        let members = CompactSet::from_keys(self.keys);
        if members.len() > MAX_TEST_GROUP {
            return Err(too_many());
        }
        let ids = self.ids.map(|mut ids| {
            if members.len() < self.pushed {
                keep_first_of_each(&mut ids, &members);
            }
            ids.shrink_to_fit();
            Bytes::from(ids)
        });
        Ok(TestGroup {
            members: Arc::new(members),
            ids,
        })
    }
}

/// Removes, in place, every line whose hash an earlier line already had.
fn keep_first_of_each(lines: &mut Vec<u8>, members: &CompactSet<64>) {
    let mut seen = vec![0u64; members.slots().div_ceil(64)];
    let (mut read, mut write) = (0, 0);
    while let Some(len) = lines[read..].iter().position(|b| *b == b'\n') {
        let end = read + len + 1;
        let key = CompactSet::<64>::key(hash(&lines[read..end - 1]));
        // Every line was inserted, so its slot exists; `None` cannot happen.
        let first = members.slot_of(key).is_none_or(|slot| {
            let (word, bit) = (slot / 64, 1u64 << (slot % 64));
            let new = seen[word] & bit == 0;
            seen[word] |= bit;
            new
        });
        if first {
            lines.copy_within(read..end, write);
            write += end - read;
        }
        read = end;
    }
    lines.truncate(write);
}

#[cfg(test)]
mod tests;
