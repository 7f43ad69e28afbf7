use super::*;

/// splitmix64: a fixed, seeded stream of ids for the simulations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn ids(&mut self, prefix: &str, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| format!("{prefix}{:016x}", self.next()))
            .collect()
    }
}

fn keys<const BITS: u32>(ids: &[String]) -> Vec<u64> {
    ids.iter()
        .map(|id| CompactSet::<BITS>::key(hash(id.as_bytes())))
        .collect()
}

/// How many of `others` the set takes for members.
fn false_members<const BITS: u32>(set: &CompactSet<BITS>, others: &[String]) -> usize {
    keys::<BITS>(others)
        .into_iter()
        .filter(|k| set.contains(*k))
        .count()
}

/// The mechanism behind the documented n / 2^64: over 24-bit keys, 100,000 members and
/// 1,000,000 lookups of non-members (prefixes differ, so none is a member) should give
/// n / 2^24 ≈ 0.596 % false members, about 5,960 with a standard deviation of about 77.
/// Bounds fixed before the first run: within ±5 % of n / 2^24 (about ±3.9 sd).
#[test]
fn narrowed_hashes_give_false_members_at_n_over_two_to_the_bits() {
    let mut rng = Rng(0x5eed_0010);
    let members = rng.ids("member-", 100_000);
    let others = rng.ids("other-", 1_000_000);
    let set = CompactSet::<24>::from_keys(keys::<24>(&members));
    assert!(keys::<24>(&members).iter().all(|k| set.contains(*k)));
    let expected = members.len() as f64 / f64::from(1u32 << 24);
    let observed = false_members(&set, &others) as f64 / others.len() as f64;
    let ratio = observed / expected;
    assert!(
        (0.95..=1.05).contains(&ratio),
        "observed {observed:.5}, expected {expected:.5} (ratio {ratio:.3})"
    );
}

/// Full width: the same simulation finds no false member (expected 5 · 10⁻⁹ of them).
#[test]
fn full_width_groups_have_no_false_members_in_a_million_lookups() {
    let mut rng = Rng(0x5eed_0064);
    let members = rng.ids("member-", 100_000);
    let others = rng.ids("other-", 1_000_000);
    let group = TestGroup::parse(&members).expect("valid ids");
    assert_eq!(group.len(), members.len());
    assert!(
        members.iter().all(|id| group.contains(id)),
        "no member missed"
    );
    assert_eq!(others.iter().filter(|id| group.contains(id)).count(), 0);
}

/// About 10 bytes an id: the table is sized for a load factor of 0.8.
#[test]
fn a_million_ids_take_about_ten_bytes_each() {
    let ids: Vec<String> = (0..1_000_000).map(|i| format!("user-{i:07}")).collect();
    let group = TestGroup::parse(&ids).expect("valid ids");
    let bytes_per_id = group.members.slots() as f64 * 8.0 / ids.len() as f64;
    assert!(bytes_per_id <= 10.1, "{bytes_per_id} bytes per id");
    assert!(ids.iter().all(|id| group.contains(id)));
}

/// Every size, including the empty and tiny tables and dense clusters at the end.
#[test]
fn every_key_is_found_and_no_other_at_any_size() {
    let mut rng = Rng(7);
    for n in [0usize, 1, 2, 3, 7, 64, 1000] {
        let members = rng.ids("m", n);
        let set = CompactSet::<12>::from_keys(keys::<12>(&members));
        let member_keys = keys::<12>(&members);
        assert!(member_keys.iter().all(|k| set.contains(*k)), "n={n}");
        for k in 1..(1u64 << 12) {
            assert_eq!(set.contains(k), member_keys.contains(&k), "n={n} key={k}");
        }
    }
}

#[test]
fn ids_are_byte_exact_and_duplicates_count_once_in_first_seen_order() {
    let nfc = "caf\u{e9}";
    let nfd = "cafe\u{301}";
    let group = TestGroup::parse(&["bob", nfc, "bob ", nfd, "bob", nfc]).expect("valid ids");
    assert_eq!(group.len(), 4);
    assert!(group.contains("bob ") && group.contains(nfd) && !group.contains("Bob"));
    let lines = group.to_lines().expect("parsed groups keep their ids");
    let expected = format!("bob\n{nfc}\nbob \n{nfd}\n");
    assert_eq!(lines, expected.as_bytes());
}

#[test]
fn a_committed_group_keeps_its_members_but_cannot_be_written_again() {
    let group = TestGroup::parse(&["alice", "bob"]).expect("valid ids");
    let kept = group.without_ids();
    assert_eq!(kept, group);
    assert!(kept.contains("alice") && kept.len() == 2);
    assert_eq!(kept.to_lines(), Err(IdsDropped));
    assert_eq!(TestGroup::default().to_lines(), Ok(&b""[..]));
}

#[test]
fn stored_groups_round_trip_and_corrupt_ones_are_refused() {
    let group = TestGroup::parse(&["alice", "bob"]).expect("valid ids");
    let stored = TestGroup::from_lines(group.to_lines().expect("ids")).expect("readable");
    assert_eq!(stored, group);
    assert_eq!(
        stored.to_lines(),
        Err(IdsDropped),
        "the store keeps the ids"
    );
    assert_eq!(TestGroup::from_lines(b"").map(|g| g.len()), Ok(0));
    for corrupt in [
        &b"alice\nbob"[..],
        b"alice\n\nbob\n",
        b"al\xffice\n",
        b"a\tb\n",
    ] {
        assert!(TestGroup::from_lines(corrupt).is_err(), "{corrupt:?}");
    }
}

#[test]
fn uploads_parse_escapes_and_name_the_bad_entry() {
    let read = |json: &str| serde_json::from_str::<TestGroupUpload>(json).map(|u| u.0);
    let group = read(r#"["caf\u00e9", "café", "a\"b"]"#)
        .expect("JSON")
        .expect("ids");
    assert_eq!(group.len(), 2, "an escape is the same id");
    assert!(group.contains("a\"b"));
    let refused = read(r#"["ok", "fine", "", "x"]"#).expect("JSON");
    let reason = refused.map(|g| g.len()).map_err(|e| e.reason);
    assert_eq!(
        reason,
        Err("entry 2: must be 1 to 256 bytes of UTF-8".to_string())
    );
    assert!(
        read(r#"["ok", 3]"#).is_err(),
        "not a string: malformed JSON"
    );
    assert!(read(r#"{"ok": 1}"#).is_err(), "not an array");
    assert!(
        read(r#"["ok", "", "#).is_err(),
        "a bad id does not hide bad JSON"
    );
}

#[test]
fn more_than_a_million_distinct_ids_are_refused_but_repeats_are_not() {
    let mut ids: Vec<String> = (0..=MAX_TEST_GROUP).map(|i| format!("u{i}")).collect();
    assert!(TestGroup::parse(&ids).is_err());
    ids.truncate(10);
    let repeated: Vec<&String> = ids.iter().cycle().take(2_000_000).collect();
    let group = TestGroup::parse(&repeated).expect("ten distinct ids");
    assert_eq!(group.len(), 10);
    assert_eq!(
        group.to_lines().map(<[u8]>::len),
        Ok(ids.iter().map(|i| i.len() + 1).sum())
    );
}

#[test]
fn stored_groups_read_back_from_chunks_cut_at_line_ends() {
    let ids: Vec<String> = (0..5000).map(|i| format!("user-{i:07}")).collect();
    let group = TestGroup::parse(&ids).expect("valid ids");
    let lines = group.to_lines().expect("ids");
    let chunks: Vec<&[u8]> = TestGroup::line_chunks(lines, 1000).collect();
    assert!(chunks.len() > 50 && chunks.iter().all(|c| c.len() <= 1000 && c.ends_with(b"\n")));
    assert_eq!(chunks.concat(), lines, "nothing lost or reordered");
    let mut reader = StoredLines::new();
    chunks
        .iter()
        .try_for_each(|c| reader.feed(c))
        .expect("whole lines");
    assert_eq!(reader.finish(), Ok(group));
    let long = TestGroup::line_chunks(b"abcdef\nxy\n", 3).collect::<Vec<_>>();
    assert_eq!(
        long,
        vec![&b"abcdef\n"[..], b"xy\n"],
        "a long line stays whole"
    );
}
