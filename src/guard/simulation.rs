//! Seeded simulations of whole rollouts (the guard issue's targets), and the exactness of
//! the binomial draw they rest on.
//!
//! Each rollout adds reports to both arms in batches of [`BATCH`] (equal arm sizes, as
//! the "per arm" says) and asks [`assess`] after every batch, up to
//! [`MAX_REPORTS`] per arm. A batch's error count is one exact binomial draw (inverse
//! CDF over a precomputed table), so a check costs O(1) and the whole file runs in
//! seconds in a debug build.
//!
//! The thresholds were fixed before the first run and the seeds are constants chosen
//! before it; neither is to be changed to make a run pass. The figures are printed
//! (`cargo test --lib guard -- --nocapture`) and copied into BENCHMARKS.md.

use super::*;

const RUNS: usize = 2_000;
const BATCH: u64 = 100;
const MAX_REPORTS: u64 = 100_000;
const CONFIDENCE: f64 = 0.95;
const MIN_SAMPLES: u64 = 100;
/// Φ⁻¹(0.95): the one-sided 5 % critical value of the naive z-test.
const Z_95: f64 = 1.644_853_626_951_472_2;

/// Seed of the null-case simulation; fixed before the first run.
const SEED_NULL: u64 = 0x6772_6179_6761_7465;
/// Seed of the regression simulation; fixed before the first run.
const SEED_REGRESSION: u64 = 0x6775_6172_6421_0001;

/// splitmix64 (Steele, Lea & Flood 2014): tiny, fast, and good enough for simulation.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Binomial(n, p) by inverse CDF over the exact table of cumulative probabilities.
struct Binomial {
    cdf: Vec<f64>,
}

impl Binomial {
    fn new(n: u64, p: f64) -> Self {
        assert!(p > 0.0 && p < 1.0);
        let mut pmf = (1.0 - p).powi(n as i32);
        let mut total = 0.0;
        let mut cdf = Vec::with_capacity(n as usize + 1);
        for k in 0..=n {
            total += pmf;
            cdf.push(total);
            pmf *= (n - k) as f64 / (k + 1) as f64 * p / (1.0 - p);
        }
        Self { cdf }
    }

    fn pmf(&self, k: usize) -> f64 {
        self.cdf[k] - if k == 0 { 0.0 } else { self.cdf[k - 1] }
    }

    /// The smallest k with u < CDF(k) (the last k if rounding leaves CDF(n) below u).
    fn sample(&self, rng: &mut SplitMix64) -> u64 {
        let u = rng.uniform();
        let k = self.cdf.partition_point(|&c| c <= u);
        k.min(self.cdf.len() - 1) as u64
    }
}

fn add_batch(arm: &mut Counts, draw: &Binomial, rng: &mut SplitMix64) {
    let errors = draw.sample(rng);
    arm.error += errors;
    arm.ok += BATCH - errors;
}

/// The textbook fixed-horizon one-sided pooled two-proportion z-test at 5 %.
fn naive_z_alarm(candidate: Counts, control: Counts) -> bool {
    let (nc, no) = (candidate.total() as f64, control.total() as f64);
    let pooled = (candidate.error + control.error) as f64 / (nc + no);
    let se = (pooled * (1.0 - pooled) * (1.0 / nc + 1.0 / no)).sqrt();
    se > 0.0 && (candidate.error_rate() - control.error_rate()) / se > Z_95
}

/// Largest false-regression rate allowed: 1 − confidence plus 3σ of binomial noise.
fn null_threshold() -> f64 {
    let alpha = 1.0 - CONFIDENCE;
    alpha + 3.0 * (alpha * (1.0 - alpha) / RUNS as f64).sqrt()
}

/// Runs (out of [`RUNS`]) that ever flag: (guard with tolerance 0, guard with
/// tolerance 0.01, naive z-test).
fn null_rollouts(rate: f64, rng: &mut SplitMix64) -> (usize, usize, usize) {
    let strict = GuardSpec::new(0.0, MIN_SAMPLES, CONFIDENCE).expect("valid");
    let tolerant = GuardSpec::new(0.01, MIN_SAMPLES, CONFIDENCE).expect("valid");
    let draw = Binomial::new(BATCH, rate);
    let (mut strict_hits, mut tolerant_hits, mut z_hits) = (0, 0, 0);
    for _ in 0..RUNS {
        let (mut candidate, mut control) = (Counts::default(), Counts::default());
        let (mut s, mut t, mut z) = (false, false, false);
        while candidate.total() < MAX_REPORTS && !(s && t && z) {
            add_batch(&mut candidate, &draw, rng);
            add_batch(&mut control, &draw, rng);
            s = s || assess(&strict, candidate, control).decision == Decision::Regression;
            t = t || assess(&tolerant, candidate, control).decision == Decision::Regression;
            z = z || (candidate.total() >= MIN_SAMPLES && naive_z_alarm(candidate, control));
        }
        strict_hits += usize::from(s);
        tolerant_hits += usize::from(t);
        z_hits += usize::from(z);
    }
    (strict_hits, tolerant_hits, z_hits)
}

#[test]
fn false_regressions_stay_within_one_minus_confidence() {
    let mut rng = SplitMix64(SEED_NULL);
    let limit = null_threshold();
    println!(
        "guard null case: {RUNS} rollouts per rate, equal rates, checked every {BATCH} reports \
         up to {MAX_REPORTS} per arm, confidence {CONFIDENCE}, min_samples {MIN_SAMPLES}, \
         allowed ≤ {limit:.4}"
    );
    let mut failures = Vec::new();
    for rate in [0.01, 0.05, 0.20] {
        let (strict, tolerant, z) = null_rollouts(rate, &mut rng);
        let share = |hits: usize| hits as f64 / RUNS as f64;
        println!(
            "  base {:>4.1} %: false regressions {:.4} (tolerance 0), {:.4} (tolerance 0.01); \
             naive z-test re-run every {BATCH}: {:.4}",
            rate * 100.0,
            share(strict),
            share(tolerant),
            share(z)
        );
        if share(strict) > limit || share(tolerant) > limit || tolerant > strict {
            failures.push(format!("rate {rate}: {strict} / {tolerant} of {RUNS}"));
        }
        if share(z) <= limit {
            failures.push(format!(
                "rate {rate}: the naive z-test kept its level ({z})"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn a_three_point_regression_is_found_soon() {
    let mut rng = SplitMix64(SEED_REGRESSION);
    let spec = GuardSpec::new(0.01, MIN_SAMPLES, CONFIDENCE).expect("valid");
    let (control_draw, candidate_draw) = (Binomial::new(BATCH, 0.05), Binomial::new(BATCH, 0.08));
    // Reports per arm at detection; u64::MAX when never detected.
    let mut found_at: Vec<u64> = (0..RUNS)
        .map(|_| {
            let (mut candidate, mut control) = (Counts::default(), Counts::default());
            while candidate.total() < MAX_REPORTS {
                add_batch(&mut candidate, &candidate_draw, &mut rng);
                add_batch(&mut control, &control_draw, &mut rng);
                if assess(&spec, candidate, control).decision == Decision::Regression {
                    return candidate.total();
                }
            }
            u64::MAX
        })
        .collect();
    found_at.sort_unstable();
    let detected = found_at.iter().filter(|&&n| n != u64::MAX).count();
    let rank = |q: f64| found_at[((q * RUNS as f64).ceil() as usize).saturating_sub(1)];
    let show = |n: u64| match n {
        u64::MAX => "never".to_string(),
        n => n.to_string(),
    };
    let rate = detected as f64 / RUNS as f64;
    println!(
        "guard regression case: {RUNS} rollouts, control 5 %, candidate 8 %, tolerance 0.01, \
         confidence {CONFIDENCE}: detected {rate:.4}; reports per arm to detection: \
         min {}, median {}, p95 {}, max {}",
        show(found_at[0]),
        show(rank(0.5)),
        show(rank(0.95)),
        show(found_at[RUNS - 1])
    );
    assert!(rate >= 0.95, "detected in {detected} of {RUNS}");
    assert!(rank(0.5) <= 10_000, "median {}", rank(0.5));
}

#[test]
fn binomial_draws_follow_the_exact_distribution() {
    let mut rng = SplitMix64(0x6269_6e6f_6d69_616c);
    const DRAWS: usize = 100_000;
    for p in [0.01, 0.05, 0.08, 0.2, 0.5] {
        let b = Binomial::new(BATCH, p);
        assert!(
            (b.cdf[BATCH as usize] - 1.0).abs() < 1e-12,
            "the table sums to 1"
        );
        let mut seen = vec![0u64; BATCH as usize + 1];
        for _ in 0..DRAWS {
            seen[b.sample(&mut rng) as usize] += 1;
        }
        // Mean within 5 standard errors.
        let mean = seen
            .iter()
            .enumerate()
            .map(|(k, &c)| k as f64 * c as f64)
            .sum::<f64>()
            / DRAWS as f64;
        let sd = (BATCH as f64 * p * (1.0 - p) / DRAWS as f64).sqrt();
        assert!(
            (mean - BATCH as f64 * p).abs() < 5.0 * sd,
            "p={p}: mean {mean}"
        );
        // Chi-square over cells pooled until each expects at least 5 draws.
        let (mut chi2, mut cells) = (0.0, 0usize);
        let (mut expected, mut observed) = (0.0, 0.0);
        for (k, &count) in seen.iter().enumerate() {
            expected += b.pmf(k) * DRAWS as f64;
            observed += count as f64;
            if expected >= 5.0 && (1.0 - b.cdf[k]) * DRAWS as f64 >= 5.0 || k == BATCH as usize {
                chi2 += (observed - expected).powi(2) / expected.max(1e-300);
                cells += 1;
                (expected, observed) = (0.0, 0.0);
            }
        }
        let df = (cells - 1) as f64;
        assert!(df >= 2.0, "p={p}: {cells} cells");
        assert!(
            chi2 < df + 5.0 * (2.0 * df).sqrt(),
            "p={p}: chi2 {chi2} on {df} df"
        );
    }
}
