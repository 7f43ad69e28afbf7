//! The guarded rollout's sequential test (SPEC §9): pure statistics, no I/O, no clock.
//!
//! The control plane counts `ok` and `error` reports for two arms — the candidate (the
//! in-flight release on the `grayscale` channel) and the control (the current full
//! release on `full`, counted over the same period) — and asks [`assess`] as often as it
//! likes. [`assess`] answers whether the candidate's error rate exceeds the control's by
//! more than [`GuardSpec::max_error_rate_increase`], with a false-regression probability
//! of at most `1 − confidence` **over the whole rollout, however often it is asked**.
//! What to do on a regression (halt or roll back) is the control plane's business.
//!
//! # The test: a normal-mixture confidence sequence in information time
//!
//! Write `n_c, e_c` and `n_0, e_0` for the candidate's and the control's reports and
//! errors, `p̂ = e / n`, and `Δ = p_c − p_0` for the true difference of error rates.
//!
//! - Estimate: `Δ̂ = p̂_c − p̂_0`.
//! - Variance of the estimate: `V = p̃_c(1 − p̃_c)/n_c + p̃_0(1 − p̃_0)/n_0`, with the
//!   plug-in rates `p̃ = (e + 1)/(n + 2)` (one pseudo-error and one pseudo-success per
//!   arm, as in Agresti & Caffo (2000), "Simple and effective confidence intervals for
//!   proportions and differences of proportions", *The American Statistician* 54(4)), so
//!   `V > 0` even when an arm has no error yet. Information: `I = 1/V`.
//! - Radius, with `α = 1 − confidence`:
//!   `r = sqrt( V·(1 + ρV) · ( ln(1 + 1/(ρV)) + 2·ln(1/α) ) )`,
//!   which is `sqrt((I + ρ)·ln((I + ρ)/(ρα²))) / I` written so that it cannot overflow.
//! - Bounds: `lower = max(Δ̂ − r, −1)`, `upper = min(Δ̂ + r, 1)` (Δ lies in [−1, 1], so
//!   clipping loses nothing).
//! - Decision: [`Decision::InsufficientData`] while either arm has fewer than
//!   `min_samples` reports; then [`Decision::Regression`] iff `lower >
//!   max_error_rate_increase`, else [`Decision::Healthy`].
//!
//! This is the two-sided normal-mixture boundary of Howard, Ramdas, McAuliffe & Sekhon
//! (2021), "Time-uniform, nonparametric, nonasymptotic confidence sequences", *Annals of
//! Statistics* 49(2) (its conjugate normal-mixture boundary), applied to the
//! score `S = I·(Δ̂ − Δ)` with intrinsic time `I`. Written as a test of `Δ = θ` it is the
//! mixture SPRT of Johari, Pekelis & Walsh (2022), "Always valid inference: continuous
//! monitoring of A/B tests", *Operations Research* 70(3), with mixing variance
//! `τ² = 1/ρ`: `Λ = sqrt(V/(V + τ²))·exp(τ²(Δ̂ − θ)²/(2V(V + τ²)))`, and `|Δ̂ − θ| ≥ r`
//! exactly when `Λ ≥ 1/α`.
//!
//! ## Why it holds at every moment, and with unequal arms
//!
//! Both arms' counts only grow, and how many reports each arm gets does not depend on
//! their outcomes (traffic is split by bucket). Then the efficient estimates `Δ̂_k` at
//! any sequence of looks have the *canonical joint distribution* of Jennison & Turnbull
//! (2000), *Group Sequential Methods with Applications to Clinical Trials*:
//! `Cov(Δ̂_j, Δ̂_k) = V_k` for `j ≤ k`, because `Cov(p̂_{c,j}, p̂_{c,k}) =
//! σ_c²/n_{c,k}` when `n_{c,j} ≤ n_{c,k}` (and likewise for the control). So `S` has
//! independent increments with variance `I`: it is Brownian motion in information time,
//! whatever the ratio of the arm sizes, and the ratio may change as the plan's share
//! grows. For Brownian motion the mixture `∫ exp(λS − λ²I/2) dN(0, 1/ρ)(λ) =
//! sqrt(ρ/(I + ρ))·exp(S²/(2(I + ρ)))` is a nonnegative martingale with mean 1, and
//! Ville's inequality bounds the chance that it ever reaches `1/α` by `α`; it reaches
//! `1/α` exactly when `|S| ≥ sqrt((I + ρ)·ln((I + ρ)/(ρα²)))`, i.e. when Δ leaves
//! `[Δ̂ − r, Δ̂ + r]`. A false regression needs `Δ ≤ max_error_rate_increase < lower`,
//! so it needs the sequence to miss Δ: probability ≤ α over all time.
//!
//! ## Assumptions, and what is not guaranteed
//!
//! - **Asymptotic, not exact.** Reports are Bernoulli, not Gaussian, and `V` is a
//!   plug-in, so the guarantee is the asymptotic one of Waudby-Smith, Arbour, Sinha,
//!   Kennedy & Ramdas (2024), "Time-uniform central limit theory and asymptotic
//!   confidence sequences", *Annals of Statistics* 52(6), who justify exactly this
//!   boundary with a plug-in variance. Three things keep it conservative in practice:
//!   the one-sided decision uses the two-sided boundary (its miss probability is ≤ α
//!   for both tails together), Ville's inequality is not tight, and the tuning below
//!   makes the bound wide while counts are small and the normal approximation poor. The
//!   seeded simulation in `simulation.rs` measures the false-regression rate at 1 %,
//!   5 % and 20 % error rates (BENCHMARKS.md, "Guard statistics").
//! - Reports are independent with a constant rate within an arm. One client reporting
//!   the same crash many times makes reports correlated, and the bound too narrow.
//! - The control is counted over the same period as the candidate (SPEC §9), and
//!   counts are never reset during a rollout; a reset starts a new sequence.
//!
//! ## The tuning parameter ρ
//!
//! Any ρ > 0 fixed before the data keeps the guarantee; ρ only chooses where the bound
//! is tightest. The radius at information `m` is smallest for
//! `ρ ≈ m / (2·ln(1/α) + ln(1 + 2·ln(1/α)))` (Howard et al. 2021, the approximate
//! optimum for the normal mixture; also Waudby-Smith et al. 2024). We take `m` to be the
//! information of [`TUNED_REPORTS_PER_ARM`] = 10,000 reports per arm at a 5 % error rate
//! in both arms, `m = 10,000 / (2 · 0.05 · 0.95)`: the scale at which a few points of
//! regression at a few percent of errors should be found, so detection is fastest
//! there, and the bound is deliberately wide over the first few hundred reports, where
//! the normal approximation is worst.
//!
//! ## Output
//!
//! [`Assessment`] always holds finite numbers within [−1, 1], so it serializes as JSON
//! numbers: with no report in an arm, the estimate is 0 and the bounds are −1 and 1
//! (nothing is known); otherwise the estimate and bounds are reported even while the
//! decision is still [`Decision::InsufficientData`] (the sequence is valid at every
//! moment, so the bounds are meaningful before `min_samples`).

use serde::Serialize;

#[cfg(test)]
mod simulation;
#[cfg(test)]
mod tests;

/// The reports per arm at which the bound is tuned to be tightest (with a 5 % error
/// rate in both arms); see the module documentation.
pub const TUNED_REPORTS_PER_ARM: f64 = 10_000.0;

/// The error rate, in both arms, at which the bound is tuned.
const TUNED_ERROR_RATE: f64 = 0.05;

/// One arm's reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counts {
    pub ok: u64,
    pub error: u64,
}

impl Counts {
    pub fn new(ok: u64, error: u64) -> Self {
        Self { ok, error }
    }

    /// All reports (saturating: never overflows).
    pub fn total(self) -> u64 {
        self.ok.saturating_add(self.error)
    }

    /// `error / total`, and 0 when there is no report.
    pub fn error_rate(self) -> f64 {
        match self.total() {
            0 => 0.0,
            _ => self.error as f64 / self.total_f64(),
        }
    }

    /// The total in floating point, computed there so it cannot saturate.
    fn total_f64(self) -> f64 {
        self.ok as f64 + self.error as f64
    }
}

/// A guard's statistical parameters (SPEC §9), validated: a built value is always
/// usable. `on_regression` is the control plane's, not the test's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GuardSpec {
    max_error_rate_increase: f64,
    min_samples: u64,
    confidence: f64,
}

/// Why a [`GuardSpec`] was refused; each variant names the field (its JSON key is
/// [`GuardSpecError::field`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GuardSpecError {
    /// `max_error_rate_increase` is not a number in [0, 1].
    #[error("max_error_rate_increase must be a number in [0, 1]")]
    MaxErrorRateIncrease,
    /// `min_samples` is not in 1–10,000,000.
    #[error("min_samples must be an integer in 1..=10000000")]
    MinSamples,
    /// `confidence` is not a number in [0.5, 0.9999].
    #[error("confidence must be a number in [0.5, 0.9999]")]
    Confidence,
}

impl GuardSpecError {
    /// The refused field's name, as spelled in the API.
    pub fn field(self) -> &'static str {
        match self {
            Self::MaxErrorRateIncrease => "max_error_rate_increase",
            Self::MinSamples => "min_samples",
            Self::Confidence => "confidence",
        }
    }
}

impl GuardSpec {
    pub const MIN_SAMPLES_MAX: u64 = 10_000_000;
    pub const CONFIDENCE_MIN: f64 = 0.5;
    pub const CONFIDENCE_MAX: f64 = 0.9999;

    /// Checks each field in the order of the API (NaN is refused like any other value
    /// out of range).
    pub fn new(
        max_error_rate_increase: f64,
        min_samples: u64,
        confidence: f64,
    ) -> Result<Self, GuardSpecError> {
        if !(0.0..=1.0).contains(&max_error_rate_increase) {
            return Err(GuardSpecError::MaxErrorRateIncrease);
        }
        if !(1..=Self::MIN_SAMPLES_MAX).contains(&min_samples) {
            return Err(GuardSpecError::MinSamples);
        }
        if !(Self::CONFIDENCE_MIN..=Self::CONFIDENCE_MAX).contains(&confidence) {
            return Err(GuardSpecError::Confidence);
        }
        Ok(Self {
            max_error_rate_increase,
            min_samples,
            confidence,
        })
    }

    pub fn max_error_rate_increase(&self) -> f64 {
        self.max_error_rate_increase
    }

    pub fn min_samples(&self) -> u64 {
        self.min_samples
    }

    pub fn confidence(&self) -> f64 {
        self.confidence
    }

    /// `α = 1 − confidence`, in [0.0001, 0.5].
    fn alpha(&self) -> f64 {
        1.0 - self.confidence
    }

    /// The mixture's precision ρ, in information units (see the module documentation).
    fn rho(&self) -> f64 {
        let tuned_information =
            TUNED_REPORTS_PER_ARM / (2.0 * TUNED_ERROR_RATE * (1.0 - TUNED_ERROR_RATE));
        let two_log = 2.0 * (1.0 / self.alpha()).ln();
        tuned_information / (two_log + two_log.ln_1p())
    }
}

/// What the test says at this moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// An arm has fewer than `min_samples` reports: no decision yet.
    InsufficientData,
    /// Each arm has enough reports and no regression is shown.
    Healthy,
    /// The candidate's error rate exceeds the control's by more than
    /// `max_error_rate_increase`, with the guard's confidence.
    Regression,
}

impl Decision {
    /// The API spelling, also the `decision` label of `graygate_guard_decisions_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InsufficientData => "insufficient_data",
            Self::Healthy => "healthy",
            Self::Regression => "regression",
        }
    }
}

/// The decision and the difference `p_candidate − p_control`: its estimate and the
/// confidence sequence's bounds at this moment. All finite and within [−1, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Assessment {
    pub decision: Decision,
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
}

/// The test: pure, cheap (a few dozen flops), safe to call at any moment and as often
/// as wanted. See the module documentation for the formula and what it guarantees.
pub fn assess(spec: &GuardSpec, candidate: Counts, control: Counts) -> Assessment {
    let (lower, estimate, upper) = difference_bounds(spec, candidate, control);
    let enough = candidate.total() >= spec.min_samples && control.total() >= spec.min_samples;
    let decision = if !enough {
        Decision::InsufficientData
    } else if lower > spec.max_error_rate_increase {
        Decision::Regression
    } else {
        Decision::Healthy
    };
    Assessment {
        decision,
        estimate,
        lower,
        upper,
    }
}

/// `(lower, estimate, upper)` for `p_candidate − p_control`; `(−1, 0, 1)` while an arm
/// has no report.
fn difference_bounds(spec: &GuardSpec, candidate: Counts, control: Counts) -> (f64, f64, f64) {
    if candidate.total() == 0 || control.total() == 0 {
        return (-1.0, 0.0, 1.0);
    }
    let estimate = candidate.error_rate() - control.error_rate();
    let variance = plug_in_variance(candidate) + plug_in_variance(control);
    let radius = mixture_radius(variance, spec.rho(), spec.alpha());
    let lower = (estimate - radius).clamp(-1.0, 1.0);
    let upper = (estimate + radius).clamp(-1.0, 1.0);
    (lower, estimate, upper)
}

/// `p̃(1 − p̃)/n` with `p̃ = (e + 1)/(n + 2)`, computed as `(e + 1)(ok + 1)/(n + 2)²/n`
/// so that it stays positive for every `n ≥ 1`, even when `p̃` rounds to 1.
fn plug_in_variance(arm: Counts) -> f64 {
    let n = arm.total_f64();
    let shifted = n + 2.0;
    (arm.error as f64 + 1.0) * (arm.ok as f64 + 1.0) / (shifted * shifted) / n
}

/// The normal-mixture radius for an estimate of variance `v` (information `1/v`):
/// `sqrt(v·(1 + ρv)·(ln(1 + 1/(ρv)) + 2·ln(1/α)))`.
fn mixture_radius(v: f64, rho: f64, alpha: f64) -> f64 {
    let rho_v = rho * v;
    let log_term = (1.0 / rho_v).ln_1p() + 2.0 * (1.0 / alpha).ln();
    (v * (1.0 + rho_v) * log_term).sqrt()
}
