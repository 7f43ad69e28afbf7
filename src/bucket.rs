//! The bucketing spec "gr1" (SPEC §3) and nothing else.
//!
//! `h = xxh3_64("gr1:" + salt + ":" + user_id)`, `bucket = ((h >> 32) * 1_000_000) >> 32`.
//! The bucket lies in `0..1_000_000`; a user is in a grayscale at threshold `t` (parts per
//! million, `percentage × 10_000`) iff `bucket < t`. The arithmetic stays below 2^53 so a
//! JavaScript client reproduces it with plain Numbers.

use xxhash_rust::xxh3::xxh3_64;

/// Buckets per release: one bucket is one user in a million (0.0001 %).
pub const BUCKETS: u32 = 1_000_000;

/// Length of a release salt in hex characters.
pub const SALT_LEN: usize = 16;

/// The longest user id SPEC §1 allows, in bytes.
const MAX_USER_BYTES: usize = 256;
const PREFIX: &[u8] = b"gr1:";
/// "gr1:" + salt + ":" + user id fits this buffer for every valid input, so the hot path
/// hashes from the stack instead of allocating.
const STACK_INPUT: usize = PREFIX.len() + SALT_LEN + 1 + MAX_USER_BYTES;

/// The 64-bit xxh3 hash of `"gr1:" + salt + ":" + user_id`, byte for byte.
pub fn hash(salt: &str, user_id: &str) -> u64 {
    hash_bytes(salt.as_bytes(), user_id.as_bytes())
}

/// Typical inputs (a 16-character salt and a user id of up to 43 bytes) fit this buffer;
/// zeroing the full-size one would cost as much as hashing.
const SHORT_INPUT: usize = 64;

fn hash_bytes(salt: &[u8], user_id: &[u8]) -> u64 {
    let len = PREFIX.len() + salt.len() + 1 + user_id.len();
    let parts = [PREFIX, salt, b":", user_id];
    if len <= SHORT_INPUT {
        hash_in(&mut [0u8; SHORT_INPUT], &parts, len)
    } else if len <= STACK_INPUT {
        hash_in(&mut [0u8; STACK_INPUT], &parts, len)
    } else {
        // Only reachable for inputs longer than the spec allows (vectors, tests).
        xxh3_64(&parts.concat())
    }
}

fn hash_in(buf: &mut [u8], parts: &[&[u8]; 4], len: usize) -> u64 {
    let mut at = 0;
    for part in parts {
        buf[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    xxh3_64(&buf[..len])
}

/// Maps a gr1 hash to its bucket in `0..1_000_000`.
pub fn bucket_of_hash(h: u64) -> u32 {
    // (h >> 32) < 2^32, times 10^6 < 2^52: exact in an f64 as well as in a u64.
    (((h >> 32) * u64::from(BUCKETS)) >> 32) as u32
}

/// The bucket of `user_id` in the release salted with `salt`.
///
/// ```
/// use graygate::bucket::{bucket, hash, in_grayscale};
/// // A vector of tests/vectors/gr1.json: every SDK must reproduce it.
/// assert_eq!(hash("5f3a9c0e12b47d68", "123456"), 18037607759720675171);
/// assert_eq!(bucket("5f3a9c0e12b47d68", "123456"), 977820);
/// // So this user is in a grayscale at 97.7821 % (threshold 977821), not at 97.782 %.
/// assert!(in_grayscale("5f3a9c0e12b47d68", "123456", 977_821));
/// assert!(!in_grayscale("5f3a9c0e12b47d68", "123456", 977_820));
/// ```
pub fn bucket(salt: &str, user_id: &str) -> u32 {
    bucket_of_hash(hash(salt, user_id))
}

/// Length of `"gr1:" + salt + ":"` for a 16-character salt.
const SALTED_LEN: usize = PREFIX.len() + SALT_LEN + 1;

/// The fixed part of one release's hash input, `"gr1:" + salt + ":"`, assembled once per
/// release so that bucketing a user copies one fixed-size block and the user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Salted([u8; SALTED_LEN]);

impl Salted {
    /// `None` unless `salt` has the shape [`new_salt`] draws.
    pub fn new(salt: &str) -> Option<Salted> {
        if !is_salt(salt) {
            return None;
        }
        let mut input = [0u8; SALTED_LEN];
        input[..PREFIX.len()].copy_from_slice(PREFIX);
        input[PREFIX.len()..SALTED_LEN - 1].copy_from_slice(salt.as_bytes());
        input[SALTED_LEN - 1] = b':';
        Some(Salted(input))
    }

    /// The salt, as the API shows it.
    pub fn salt(&self) -> &str {
        std::str::from_utf8(&self.0[PREFIX.len()..SALTED_LEN - 1]).unwrap_or_default()
    }

    /// The bucket of `user_id`; equal to `bucket(self.salt(), user_id)`.
    pub fn bucket(&self, user_id: &str) -> u32 {
        let user = user_id.as_bytes();
        let len = SALTED_LEN + user.len();
        let h = if len <= SHORT_INPUT {
            let mut buf = [0u8; SHORT_INPUT];
            buf[..SALTED_LEN].copy_from_slice(&self.0);
            buf[SALTED_LEN..len].copy_from_slice(user);
            xxh3_64(&buf[..len])
        } else {
            hash_bytes(&self.0[PREFIX.len()..SALTED_LEN - 1], user)
        };
        bucket_of_hash(h)
    }
}

/// Whether `user_id` falls inside a grayscale of `threshold` parts per million.
pub fn in_grayscale(salt: &str, user_id: &str, threshold: u32) -> bool {
    threshold > 0 && bucket(salt, user_id) < threshold
}

/// Draws a fresh salt: 16 lowercase hex characters from the OS random source.
pub fn new_salt() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; SALT_LEN / 2];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// Whether `s` has the shape of a salt this crate draws.
pub fn is_salt(s: &str) -> bool {
    s.len() == SALT_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_and_heap_paths_agree() {
        let salt = "0123456789abcdef";
        let long = "x".repeat(MAX_USER_BYTES);
        let longer = "x".repeat(MAX_USER_BYTES + 10);
        for user in ["", "u", long.as_str(), longer.as_str()] {
            let input = format!("gr1:{salt}:{user}");
            assert_eq!(hash(salt, user), xxh3_64(input.as_bytes()));
        }
    }

    #[test]
    fn salted_prefix_matches_the_plain_bucket() {
        let salted = Salted::new("0123456789abcdef").expect("valid salt");
        assert_eq!(salted.salt(), "0123456789abcdef");
        let long = "é".repeat(128);
        for user in [
            "u",
            "user-0001234567",
            "6f1c2a9e-4b7d-4e0a-9c35-1d2e3f405a6b",
            long.as_str(),
        ] {
            assert_eq!(
                salted.bucket(user),
                bucket("0123456789abcdef", user),
                "{user}"
            );
        }
        assert!(Salted::new("short").is_none());
    }

    #[test]
    fn bucket_bounds() {
        assert_eq!(bucket_of_hash(0), 0);
        assert_eq!(bucket_of_hash(u64::MAX), BUCKETS - 1);
        assert_eq!(bucket_of_hash(1 << 63), BUCKETS / 2);
    }

    #[test]
    fn salts_are_fresh_and_well_formed() {
        let a = new_salt().expect("os random");
        let b = new_salt().expect("os random");
        assert!(is_salt(&a) && is_salt(&b));
        assert_ne!(a, b);
        assert!(!is_salt("0123456789ABCDEF"));
        assert!(!is_salt("0123"));
    }

    #[test]
    fn zero_threshold_admits_nobody() {
        assert!(!in_grayscale("0123456789abcdef", "anyone", 0));
        assert!(in_grayscale("0123456789abcdef", "anyone", BUCKETS));
    }
}
