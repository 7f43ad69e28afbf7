//! A compact set of fixed-width hash keys: an ordered linear-probing table, built once.
//!
//! Layout: `m = ⌈n · 5/4⌉` home slots (load factor 0.8, so 8 bytes / 0.8 = 10 bytes a key),
//! a key's home slot is `⌊key · m / 2^BITS⌋`, which is monotone in the key, and the keys are
//! placed in ascending order, each at its home slot or the first free slot after the key
//! before it. The whole table is therefore sorted (ignoring empty slots), so a lookup scans
//! forward from the home slot only while the keys it meets are smaller: about 3 slots at
//! this load, inside one 64-byte line most of the time, whether the key is present or not.
//! Slots past `m` take the overflow of the last cluster, so the table never wraps.
//!
//! `BITS` is the key width: 64 in production; the tests narrow it to make collisions
//! (false members) frequent enough to count.

/// The empty slot. A key of 0 is stored as 1 (see [`CompactSet::key`]).
const EMPTY: u64 = 0;

/// Keys of `BITS` bits, O(1) membership.
#[derive(Clone, PartialEq, Eq)]
pub struct CompactSet<const BITS: u32> {
    /// Home slots; `slots.len() >= home` holds the overflow.
    home: usize,
    len: usize,
    slots: Box<[u64]>,
}

impl<const BITS: u32> Default for CompactSet<BITS> {
    fn default() -> Self {
        CompactSet {
            home: 0,
            len: 0,
            slots: Box::default(),
        }
    }
}

impl<const BITS: u32> CompactSet<BITS> {
    /// The key of a 64-bit hash: its top `BITS` bits, with 0 (the empty slot) taken as 1,
    /// which merges two keys out of 2^BITS.
    pub fn key(hash: u64) -> u64 {
        (hash >> (64 - BITS)).max(1)
    }

    fn home_of(&self, key: u64) -> usize {
        ((u128::from(key) * self.home as u128) >> BITS) as usize
    }

    /// Builds the set from keys (each from [`CompactSet::key`]), in any order, duplicates
    /// allowed. Reuses `keys`' allocation for the table.
    pub fn from_keys(mut keys: Vec<u64>) -> Self {
        keys.sort_unstable();
        keys.dedup();
        let n = keys.len();
        let mut set = CompactSet {
            home: n + n.div_ceil(4),
            len: n,
            slots: Box::default(),
        };
        // First pass: where the last key lands, hence the table length.
        let mut next = 0;
        for &key in &keys {
            next = set.home_of(key).max(next) + 1;
        }
        let total = set.home.max(next);
        // Second pass, in place: the sorted keys move to the tail, then each goes to its
        // slot. A key's slot is never after its tail position (slot − index only grows and
        // ends at most at total − n), so no key is overwritten before it is read.
        let offset = total - n;
        keys.resize(total, EMPTY);
        keys.copy_within(0..n, offset);
        keys[..offset].fill(EMPTY);
        let mut next = 0;
        for i in 0..n {
            let key = std::mem::replace(&mut keys[offset + i], EMPTY);
            let slot = set.home_of(key).max(next);
            keys[slot] = key;
            next = slot + 1;
        }
        set.slots = keys.into_boxed_slice();
        set
    }

    /// The slot holding `key`, if any.
    pub fn slot_of(&self, key: u64) -> Option<usize> {
        let start = self.home_of(key);
        for (i, &slot) in self.slots.get(start..)?.iter().enumerate() {
            if slot == key {
                return Some(start + i);
            }
            if slot == EMPTY || slot > key {
                return None;
            }
        }
        None
    }

    pub fn contains(&self, key: u64) -> bool {
        self.slot_of(key).is_some()
    }

    /// Distinct keys held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Table slots (memory is 8 bytes a slot).
    pub fn slots(&self) -> usize {
        self.slots.len()
    }
}
