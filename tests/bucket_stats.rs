//! Statistical properties of gr1 bucketing (SPEC §3): grayscale cohorts have the size the
//! percentage promises whatever the shape of the user ids, buckets are uniform, releases with
//! different salts pick independent cohorts, and raising a percentage never removes a user.
//!
//! Every input is deterministic (fixed salts, fixed id sequences, a seeded generator) and
//! every acceptance bound was fixed before the first run: counts within
//! [`MAX_SIGMAS`] binomial standard deviations of expectation, and a chi-square p-value in
//! `[P_MIN, 1 - P_MIN]`. The tests are therefore reproducible; a failure means the hash
//! changed or is biased, never bad luck to be re-rolled with another salt.
//!
//! Run with `cargo test --test bucket_stats -- --nocapture` to see the measured figures.

use std::fmt::Write as _;
use std::sync::OnceLock;

use graygate::bucket::{self, BUCKETS};
use graygate::model::Percentage;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Ids per shape.
const N: u32 = 1_000_000;
/// The release salt of the cohort tests.
const SALT: &str = "5f3a9c0e12b47d68";
/// A second release's salt, for the independence test.
const OTHER_SALT: &str = "c41d7e92a06b83f5";
/// Largest accepted distance of a count from its expectation, in standard deviations.
/// With the dozen counts checked here a correct hash fails by chance with odds below 1e-3.
const MAX_SIGMAS: f64 = 4.0;
/// The chi-square p-value must lie in `[P_MIN, 1 - P_MIN]`: too small is non-uniform,
/// too close to 1 is suspiciously regular (not random at all).
const P_MIN: f64 = 1e-4;
/// Percentages whose cohorts are measured.
const PERCENTS: [f64; 3] = [1.0, 10.0, 50.0];

// ---------------------------------------------------------------------------------------
// Id shapes. Each writes id number `i` into a reused buffer: no allocation per id.

fn sequential(i: u32, out: &mut String) {
    write!(out, "{i}").expect("writing to a String cannot fail");
}

fn prefixed(i: u32, out: &mut String) {
    write!(out, "user_{i:07}").expect("writing to a String cannot fail");
}

/// 11-digit mainland-China mobile numbers from 13800000000 upward.
fn phone(i: u32, out: &mut String) {
    write!(out, "{}", 13_800_000_000_u64 + u64::from(i)).expect("writing to a String cannot fail");
}

/// splitmix64 (Steele, Lea & Flood 2014): a tiny, well-mixed deterministic generator, so the
/// UUIDs need no new dependency and are the same on every run.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Random (version 4, RFC 9562 variant) UUIDs in canonical lowercase form, from a seeded RNG.
fn uuid_v4(seed: u64) -> impl FnMut(u32, &mut String) {
    let mut rng = SplitMix64(seed);
    move |_, out| {
        let (hi, lo) = (rng.next(), rng.next());
        let hi = (hi & !0xf000) | 0x4000; // version 4
        let lo = (lo & !(0b11 << 62)) | (0b10 << 62); // variant 10xx
        write!(
            out,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
        .expect("writing to a String cannot fail");
    }
}

/// The buckets of ids `0..N` of one shape under `salt`.
fn buckets(salt: &str, mut shape: impl FnMut(u32, &mut String)) -> Vec<u32> {
    let mut id = String::with_capacity(64);
    (0..N)
        .map(|i| {
            id.clear();
            shape(i, &mut id);
            bucket::bucket(salt, &id)
        })
        .collect()
}

/// Sequential ids under [`SALT`], shared by the tests that need them: hashed once.
fn sequential_buckets() -> &'static [u32] {
    static BUCKETS_OF_SEQUENTIAL: OnceLock<Vec<u32>> = OnceLock::new();
    BUCKETS_OF_SEQUENTIAL.get_or_init(|| buckets(SALT, sequential))
}

// ---------------------------------------------------------------------------------------
// Statistics.

fn threshold(percent: f64) -> u32 {
    Percentage::from_percent(percent)
        .expect("a valid percentage")
        .ppm()
}

/// How many standard deviations `count` successes in `n` trials lie from the binomial
/// expectation at probability `p`.
fn sigmas(count: usize, n: u32, p: f64) -> f64 {
    let n = f64::from(n);
    (count as f64 - n * p) / (n * p * (1.0 - p)).sqrt()
}

/// Asserts that the cohort below each of [`PERCENTS`] has its expected size.
fn assert_cohort_sizes(shape: &str, buckets: &[u32]) {
    for percent in PERCENTS {
        let threshold = threshold(percent);
        let count = buckets.iter().filter(|&&b| b < threshold).count();
        let z = sigmas(count, N, f64::from(threshold) / f64::from(BUCKETS));
        println!("{shape:>10} ids, {percent:>4} %: {count:>6} in cohort, {z:+.3} sigma");
        assert!(
            z.abs() <= MAX_SIGMAS,
            "{shape} ids at {percent} %: {count} users is {z:+.2} sigma off"
        );
    }
}

/// The complementary error function, by the Chebyshev fit of Numerical Recipes in C
/// (2nd ed., §6.2, `erfcc`): fractional error below 1.2e-7 for every real `x`, far finer
/// than the `P_MIN` = 1e-4 the chi-square test needs.
fn erfc(x: f64) -> f64 {
    const C: [f64; 10] = [
        -1.265_512_23,
        1.000_023_68,
        0.374_091_96,
        0.096_784_18,
        -0.186_288_06,
        0.278_868_07,
        -1.135_203_98,
        1.488_515_87,
        -0.822_152_23,
        0.170_872_77,
    ];
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = C.iter().rev().fold(0.0, |acc, c| c + t * acc);
    let ans = t * (-z * z + poly).exp();
    if x >= 0.0 { ans } else { 2.0 - ans }
}

/// P(X ≥ `stat`) for X chi-square with `df` degrees of freedom, by the Wilson–Hilferty
/// approximation: (X/df)^(1/3) is close to normal with mean 1 − 2/(9 df) and variance
/// 2/(9 df). For df near 10^4 its error is far below the 1e-4 bounds used here (checked
/// against exact incomplete-gamma values in `chi_square_tail_matches_exact_values`).
fn chi_square_upper_tail(stat: f64, df: f64) -> f64 {
    let v = 2.0 / (9.0 * df);
    let z = ((stat / df).cbrt() - (1.0 - v)) / v.sqrt();
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

// ---------------------------------------------------------------------------------------
// Tests.

/// Grayscale cohorts of sequential integer ids "0".."999999" have the promised size.
#[test]
fn cohort_sizes_sequential_integers() {
    assert_cohort_sizes("sequential", sequential_buckets());
}

/// Cohorts of `user_%07d` ids have the promised size.
#[test]
fn cohort_sizes_prefixed_ids() {
    assert_cohort_sizes("user_%07d", &buckets(SALT, prefixed));
}

/// Cohorts of 11-digit phone numbers from 13800000000 have the promised size.
#[test]
fn cohort_sizes_phone_numbers() {
    assert_cohort_sizes("phone", &buckets(SALT, phone));
}

/// Cohorts of random UUIDv4 strings have the promised size.
#[test]
fn cohort_sizes_uuid_v4() {
    assert_cohort_sizes("uuid-v4", &buckets(SALT, uuid_v4(0x6772_3173_7461_7473)));
}

/// Sequential ids spread uniformly over the whole bucket range, not just below the three
/// thresholds: a chi-square test over 10,000 equal ranges of 100 buckets each.
#[test]
fn buckets_are_uniform_chi_square() {
    const CELLS: u32 = 10_000;
    let width = BUCKETS / CELLS;
    let mut observed = vec![0_u32; CELLS as usize];
    for &b in sequential_buckets() {
        observed[(b / width) as usize] += 1;
    }
    let expected = f64::from(N) / f64::from(CELLS);
    let stat: f64 = observed
        .iter()
        .map(|&o| (f64::from(o) - expected).powi(2) / expected)
        .sum();
    let df = f64::from(CELLS - 1);
    let p = chi_square_upper_tail(stat, df);
    println!("chi-square over {CELLS} cells: statistic {stat:.1}, df {df}, p-value {p:.4}");
    assert!(
        (P_MIN..=1.0 - P_MIN).contains(&p),
        "chi-square {stat:.1} on {df} df has p-value {p:e}"
    );
}

/// Two releases with different salts pick independent cohorts: at 10 % each, the users in
/// both number 1 % of all, within [`MAX_SIGMAS`].
#[test]
fn releases_with_different_salts_are_independent() {
    let t = threshold(10.0);
    let first = sequential_buckets();
    let second = buckets(OTHER_SALT, sequential);
    let both = first
        .iter()
        .zip(&second)
        .filter(|&(&a, &b)| a < t && b < t)
        .count();
    let z = sigmas(both, N, 0.01);
    println!("in both 10 % cohorts: {both} users (expected 10000), {z:+.3} sigma");
    assert!(
        z.abs() <= MAX_SIGMAS,
        "{both} users in both cohorts is {z:+.2} sigma off"
    );
}

/// The erfc above matches exact values to its documented 1.2e-7 relative error.
#[test]
fn erfc_matches_exact_values() {
    let exact = [
        (0.0, 1.0),
        (0.5, 0.479_500_122_186_953_5),
        (1.0, 0.157_299_207_050_285_1),
        (2.0, 0.004_677_734_981_047_266),
        (3.0, 2.209_049_699_858_544e-5),
        (-1.0, 1.842_700_792_949_715),
    ];
    for (x, want) in exact {
        let got = erfc(x);
        assert!(
            ((got - want) / want).abs() < 1.2e-7,
            "erfc({x}) = {got}, want {want}"
        );
    }
}

/// The Wilson–Hilferty tail on 9,999 degrees of freedom matches the exact regularized upper
/// incomplete gamma Q(df/2, x/2) (computed with mpmath) to 1 % relative, in both tails.
#[test]
fn chi_square_tail_matches_exact_values() {
    let df = 9_999.0;
    let exact_upper = [
        (9_999.0, 0.498_119_271_927_219),
        (10_500.0, 2.415_301_142_225_5e-4),
    ];
    for (x, want) in exact_upper {
        let got = chi_square_upper_tail(x, df);
        assert!(
            ((got - want) / want).abs() < 0.01,
            "Q at {x} = {got}, want {want}"
        );
    }
    let (x, want_lower) = (9_500.0, 1.689_435_655_969_524e-4);
    let got_lower = 1.0 - chi_square_upper_tail(x, df);
    assert!(
        ((got_lower - want_lower) / want_lower).abs() < 0.01,
        "P at {x} = {got_lower}"
    );
}

proptest! {
    // Found cases are kept in tests/bucket_stats.proptest-regressions and replayed first.
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    /// Raising a percentage never removes a user: for any salt, user id and thresholds
    /// p1 <= p2, being in the grayscale at p1 implies being in it at p2.
    #[test]
    fn raising_the_percentage_never_removes_a_user(
        salt in "[0-9a-f]{16}",
        user in "\\PC{1,64}",
        a in 0..=BUCKETS,
        b in 0..=BUCKETS,
    ) {
        let low = Percentage::from_ppm(a.min(b)).expect("ppm within 0..=1_000_000");
        let high = Percentage::from_ppm(a.max(b)).expect("ppm within 0..=1_000_000");
        prop_assert!(
            !bucket::in_grayscale(&salt, &user, low.ppm())
                || bucket::in_grayscale(&salt, &user, high.ppm())
        );
    }
}
