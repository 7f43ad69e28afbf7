//! graygate's gr1 bucketing against the published test vectors (SPEC §3).
//!
//! `tests/vectors/gr1.json` is written by `scripts/gen_vectors.py` with the PyPI `xxhash`
//! package (the reference C libxxhash), so these tests cross-check two independent xxh3
//! implementations and prove the file we publish for client SDKs says what we compute.

use std::path::PathBuf;

use graygate::bucket::{self, BUCKETS};
use serde::Deserialize;
use xxhash_rust::xxh3::xxh3_64;

/// The whole vector file; unknown fields are refused so the file and this test stay in step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VectorFile {
    spec: String,
    formula: String,
    description: String,
    vectors: Vec<Vector>,
    /// Plain xxh3_64 of 0–3 byte inputs: a band no gr1 input reaches ("gr1::" is 5 bytes).
    xxh3_raw_vectors: Vec<RawVector>,
}

/// One gr1 vector: `h` is a decimal string because a u64 does not fit a JavaScript Number.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    user_id: String,
    user_id_utf8_hex: String,
    salt: String,
    input_len: usize,
    h: String,
    bucket: u32,
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVector {
    input_utf8_hex: String,
    input_len: usize,
    h: String,
    note: String,
}

impl Vector {
    fn h(&self) -> u64 {
        parse_h(&self.h, &self.note)
    }
}

fn parse_h(h: &str, note: &str) -> u64 {
    h.parse()
        .unwrap_or_else(|e| panic!("h {h:?} of vector {note:?} is not a decimal u64: {e}"))
}

fn load() -> VectorFile {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "vectors", "gr1.json"]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The xxh3 code path an input of `len` bytes takes.
fn band(len: usize) -> &'static str {
    match len {
        0..=3 => "0-3",
        4..=8 => "4-8",
        9..=16 => "9-16",
        17..=128 => "17-128",
        129..=240 => "129-240",
        _ => ">240",
    }
}

/// The bucket as a JavaScript client computes it: the high word as a Number, then
/// `Math.floor((hi * 1e6) / 2 ** 32)` in IEEE doubles.
fn js_bucket(hi: u32) -> u32 {
    let buckets = f64::from(BUCKETS);
    let two_pow_32 = 4_294_967_296.0_f64;
    let b = ((f64::from(hi) * buckets) / two_pow_32).floor();
    assert!((0.0..buckets).contains(&b), "JS bucket {b} out of range");
    b as u32
}

fn high_word(h: u64) -> u32 {
    u32::try_from(h >> 32).expect("the high 32 bits of a u64 fit a u32")
}

/// The vector file is for spec gr1 and every entry explains what it covers.
#[test]
fn file_describes_spec_gr1() {
    let file = load();
    assert_eq!(file.spec, "gr1");
    assert!(file.formula.contains("xxh3_64") && file.formula.contains("1000000"));
    assert!(
        file.description.contains("0-3"),
        "description must explain the 0-3 band"
    );
    assert!(!file.vectors.is_empty());
    for note in file.vectors.iter().map(|v| &v.note) {
        assert!(!note.is_empty(), "every vector needs a note");
    }
    for note in file.xxh3_raw_vectors.iter().map(|v| &v.note) {
        assert!(!note.is_empty(), "every raw vector needs a note");
    }
}

/// `graygate::bucket::hash` and `bucket` agree with the reference implementation on every vector.
#[test]
fn hash_and_bucket_match_every_vector() {
    let file = load();
    let mismatches: Vec<String> = file
        .vectors
        .iter()
        .filter_map(|v| {
            let (h, b) = (
                bucket::hash(&v.salt, &v.user_id),
                bucket::bucket(&v.salt, &v.user_id),
            );
            (h != v.h() || b != v.bucket).then(|| {
                format!(
                    "{:?} salt {:?}: ours h={h} bucket={b}, vector h={} bucket={} ({})",
                    v.user_id, v.salt, v.h, v.bucket, v.note
                )
            })
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "mismatches:\n{}",
        mismatches.join("\n")
    );
}

/// The vector's bucket follows from its own h, so an SDK can test the two steps separately.
#[test]
fn bucket_follows_from_h_in_every_vector() {
    for v in load().vectors {
        assert!(v.bucket < BUCKETS, "bucket out of range: {}", v.note);
        assert_eq!(bucket::bucket_of_hash(v.h()), v.bucket, "{}", v.note);
    }
}

/// `user_id_utf8_hex` is exactly the UTF-8 bytes of `user_id`, and `input_len` is the byte
/// length of the whole hashed input `"gr1:" + salt + ":" + user_id`.
#[test]
fn hex_and_input_len_describe_the_hashed_bytes() {
    for v in load().vectors {
        assert_eq!(
            v.user_id_utf8_hex,
            hex::encode(v.user_id.as_bytes()),
            "{}",
            v.note
        );
        let decoded = hex::decode(&v.user_id_utf8_hex).expect("user_id_utf8_hex is valid hex");
        assert_eq!(decoded, v.user_id.as_bytes(), "{}", v.note);
        let input_len = "gr1:".len() + v.salt.len() + ":".len() + v.user_id.len();
        assert_eq!(v.input_len, input_len, "{}", v.note);
        assert!(
            v.note.starts_with(band(input_len)),
            "note names the wrong band: {}",
            v.note
        );
    }
}

/// The raw vectors for the 0–3 band check the xxh3 we link against, byte for byte.
#[test]
fn raw_xxh3_vectors_match() {
    for v in load().xxh3_raw_vectors {
        let input = hex::decode(&v.input_utf8_hex).expect("input_utf8_hex is valid hex");
        assert_eq!(input.len(), v.input_len, "{}", v.note);
        assert_eq!(xxh3_64(&input), parse_h(&v.h, &v.note), "{}", v.note);
    }
}

/// Every xxh3 input-length band is covered, including both edges of each band a gr1
/// input can reach; the unreachable 0–3 band is covered by the raw vectors at every length.
#[test]
fn vectors_cover_every_xxh3_length_band() {
    let file = load();
    let lens: Vec<usize> = file.vectors.iter().map(|v| v.input_len).collect();
    for edge in [5, 8, 9, 16, 17, 128, 129, 240, 241] {
        assert!(lens.contains(&edge), "no vector with a {edge}-byte input");
    }
    assert!(
        lens.iter().any(|&n| n > 1024),
        "no vector crossing xxh3's 1024-byte block"
    );
    let raw: Vec<usize> = file.xxh3_raw_vectors.iter().map(|v| v.input_len).collect();
    for len in 0..=3 {
        assert!(raw.contains(&len), "no raw vector of {len} bytes");
    }
}

/// Hashing is byte for byte: the NFC and NFD spellings of the same visible name, and ids
/// differing only in surrounding spaces or case, are different users with different buckets.
#[test]
fn no_normalisation_trimming_or_case_folding() {
    let file = load();
    let find = |user: &str| {
        file.vectors
            .iter()
            .find(|v| v.user_id == user)
            .unwrap_or_else(|| panic!("the vectors must include {user:?}"))
    };
    let families: [&[&str]; 2] = [
        &["Jos\u{e9}", "Jose\u{301}"],
        &[
            "alice", " alice", "alice ", " alice ", "Alice", "ALICE", "aLiCe",
        ],
    ];
    for family in families {
        let vectors: Vec<&Vector> = family.iter().map(|u| find(u)).collect();
        for (i, a) in vectors.iter().enumerate() {
            for b in &vectors[i + 1..] {
                assert_eq!(
                    a.salt, b.salt,
                    "compare {:?} and {:?} under one salt",
                    a.user_id, b.user_id
                );
                assert_ne!(a.bucket, b.bucket, "{:?} and {:?}", a.user_id, b.user_id);
            }
        }
    }
}

/// A JavaScript client computing the bucket with plain Numbers gets the same bucket for
/// every vector.
#[test]
fn javascript_number_arithmetic_reproduces_every_vector() {
    for v in load().vectors {
        assert_eq!(js_bucket(high_word(v.h())), v.bucket, "{}", v.note);
    }
}

/// The JavaScript formula agrees with the integer one for every possible hash, not just the
/// vectors. Both are non-decreasing in the high word (IEEE multiplication and division are
/// correctly rounded, hence monotonic), so agreeing at both sides of every one of the 10^6
/// bucket boundaries, and at the two ends, proves they agree on all 2^32 high words.
#[test]
fn javascript_number_arithmetic_is_exact_for_every_hash() {
    let integer = |hi: u32| bucket::bucket_of_hash(u64::from(hi) << 32);
    for hi in [0, u32::MAX] {
        assert_eq!(js_bucket(hi), integer(hi), "hi = {hi}");
    }
    for k in 1..u64::from(BUCKETS) {
        // The smallest high word whose bucket is k.
        let first = u32::try_from((k << 32).div_ceil(u64::from(BUCKETS)))
            .expect("a bucket boundary lies below 2^32");
        let k = u32::try_from(k).expect("bucket fits u32");
        assert_eq!((integer(first - 1), integer(first)), (k - 1, k));
        assert_eq!(
            (js_bucket(first - 1), js_bucket(first)),
            (k - 1, k),
            "boundary {k}"
        );
    }
}
