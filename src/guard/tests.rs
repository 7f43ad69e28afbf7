//! Unit tests of the math: validation, sentinels, shape of the bounds, extremes.

use super::*;

fn spec(tolerance: f64, min_samples: u64, confidence: f64) -> GuardSpec {
    GuardSpec::new(tolerance, min_samples, confidence).expect("a valid spec")
}

/// `errors` errors among `n` reports.
fn arm(n: u64, errors: u64) -> Counts {
    Counts::new(n - errors, errors)
}

fn assert_sane(a: &Assessment) {
    for (name, x) in [
        ("estimate", a.estimate),
        ("lower", a.lower),
        ("upper", a.upper),
    ] {
        assert!(x.is_finite(), "{name} is {x} in {a:?}");
        assert!((-1.0..=1.0).contains(&x), "{name} is {x} in {a:?}");
    }
    assert!(a.lower <= a.estimate && a.estimate <= a.upper, "{a:?}");
}

#[test]
fn spec_validation_names_the_field() {
    let bad = [
        (GuardSpec::new(-0.01, 1000, 0.95), "max_error_rate_increase"),
        (GuardSpec::new(1.01, 1000, 0.95), "max_error_rate_increase"),
        (
            GuardSpec::new(f64::NAN, 1000, 0.95),
            "max_error_rate_increase",
        ),
        (GuardSpec::new(0.01, 0, 0.95), "min_samples"),
        (GuardSpec::new(0.01, 10_000_001, 0.95), "min_samples"),
        (GuardSpec::new(0.01, 1000, 0.49), "confidence"),
        (GuardSpec::new(0.01, 1000, 0.99991), "confidence"),
        (GuardSpec::new(0.01, 1000, 1.0), "confidence"),
        (GuardSpec::new(0.01, 1000, f64::NAN), "confidence"),
        (GuardSpec::new(0.01, 1000, f64::INFINITY), "confidence"),
    ];
    for (result, field) in bad {
        let err = result.expect_err("refused");
        assert_eq!(err.field(), field);
        assert!(err.to_string().starts_with(field), "{err}");
    }
    for (t, n, c) in [(0.0, 1, 0.5), (1.0, 10_000_000, 0.9999), (0.01, 1000, 0.95)] {
        let s = spec(t, n, c);
        assert_eq!(
            (s.max_error_rate_increase(), s.min_samples(), s.confidence()),
            (t, n, c)
        );
    }
}

#[test]
fn counts_total_and_rate() {
    assert_eq!(Counts::default().total(), 0);
    assert_eq!(Counts::default().error_rate(), 0.0);
    assert_eq!(arm(200, 10).error_rate(), 0.05);
    assert_eq!(Counts::new(u64::MAX, 5).total(), u64::MAX);
}

#[test]
fn no_data_gives_the_sentinels() {
    let s = spec(0.01, 1, 0.95);
    for (c, o) in [
        (Counts::default(), Counts::default()),
        (arm(1000, 10), Counts::default()),
        (Counts::default(), arm(1000, 10)),
    ] {
        let a = assess(&s, c, o);
        assert_eq!(a.decision, Decision::InsufficientData);
        assert_eq!((a.lower, a.estimate, a.upper), (-1.0, 0.0, 1.0));
    }
}

#[test]
fn no_nan_or_infinity_anywhere() {
    let sizes = [1, 2, 10, 100, 1_000, 1_000_000, 1_000_000_000];
    for confidence in [0.5, 0.95, 0.9999] {
        let s = spec(0.0, 1, confidence);
        for &nc in &sizes {
            for &no in &sizes {
                for (ec, eo) in [(0, 0), (nc, no), (0, no), (nc, 0), (nc / 2, no / 3)] {
                    let a = assess(&s, arm(nc, ec), arm(no, eo));
                    assert_sane(&a);
                    assert_ne!(a.decision, Decision::InsufficientData);
                }
            }
        }
    }
    let huge = Counts::new(u64::MAX, u64::MAX);
    assert_sane(&assess(&spec(0.0, 1, 0.95), huge, huge));
    assert_sane(&assess(&spec(0.0, 1, 0.95), huge, arm(1, 1)));
}

#[test]
fn huge_counts_do_not_overflow_and_decide() {
    let s = spec(0.0, 1000, 0.95);
    let n = 1_000_000_000;
    let a = assess(&s, arm(n, n / 100 * 6), arm(n, n / 100 * 5));
    assert_sane(&a);
    assert_eq!(a.decision, Decision::Regression);
    assert!((a.estimate - 0.01).abs() < 1e-12);
    assert!(a.upper - a.lower < 1e-3, "{a:?}");
    let a = assess(&s, arm(n, n / 20), arm(n, n / 20));
    assert_eq!(a.decision, Decision::Healthy);
}

#[test]
fn bounds_shrink_with_more_data() {
    let s = spec(0.01, 1, 0.95);
    let mut last_width = f64::INFINITY;
    for n in [100, 1_000, 10_000, 100_000, 1_000_000, 100_000_000] {
        let a = assess(&s, arm(n, n * 8 / 100), arm(n, n * 5 / 100));
        assert_sane(&a);
        let width = a.upper - a.lower;
        assert!(width < last_width, "n={n}: {width} !< {last_width}");
        last_width = width;
    }
    // More control data alone narrows the bound as well (unequal arms).
    let small = assess(&s, arm(1_000, 50), arm(1_000, 50));
    let big = assess(&s, arm(1_000, 50), arm(1_000_000, 50_000));
    assert!(big.upper - big.lower < small.upper - small.lower);
}

#[test]
fn swapping_the_arms_mirrors_the_difference() {
    let s = spec(0.0, 1, 0.95);
    for (c, o) in [
        (arm(1_000, 30), arm(5_000, 200)),
        (arm(100, 0), arm(100, 7)),
        (arm(70_000, 14_000), arm(3_000, 10)),
    ] {
        let a = assess(&s, c, o);
        let b = assess(&s, o, c);
        assert_eq!(a.estimate, -b.estimate);
        assert!((a.lower + b.upper).abs() < 1e-15 && (a.upper + b.lower).abs() < 1e-15);
    }
    let equal = assess(&s, arm(10_000, 500), arm(10_000, 500));
    assert_eq!(equal.estimate, 0.0);
    assert_eq!(equal.lower, -equal.upper);
    assert_eq!(equal.decision, Decision::Healthy);
}

#[test]
fn higher_confidence_widens_the_bound() {
    let (c, o) = (arm(20_000, 1_400), arm(20_000, 1_000));
    let widths: Vec<f64> = [0.5, 0.9, 0.95, 0.99, 0.9999]
        .iter()
        .map(|&conf| {
            let a = assess(&spec(0.0, 1, conf), c, o);
            a.upper - a.lower
        })
        .collect();
    assert!(widths.windows(2).all(|w| w[0] < w[1]), "{widths:?}");
}

#[test]
fn decisions_follow_min_samples_and_the_tolerance() {
    let s = spec(0.01, 1_000, 0.95);
    // A blatant regression is not decided before each arm has min_samples reports.
    let a = assess(&s, arm(999, 500), arm(100_000, 1_000));
    assert_eq!(a.decision, Decision::InsufficientData);
    assert!(a.lower > 0.01, "the bound is still reported: {a:?}");
    assert_eq!(
        assess(&s, arm(100_000, 1_000), arm(999, 10)).decision,
        Decision::InsufficientData
    );
    assert_eq!(
        assess(&s, arm(1_000, 500), arm(1_000, 10)).decision,
        Decision::Regression
    );
    // 2 points more errors, well measured, is within a 1 point tolerance? No: regression.
    assert_eq!(
        assess(&s, arm(1_000_000, 70_000), arm(1_000_000, 50_000)).decision,
        Decision::Regression
    );
    // The same 2 points against a 3 point tolerance is healthy.
    let lenient = spec(0.03, 1_000, 0.95);
    assert_eq!(
        assess(&lenient, arm(1_000_000, 70_000), arm(1_000_000, 50_000)).decision,
        Decision::Healthy
    );
    // A tolerance of 1 can never be exceeded.
    let never = spec(1.0, 1, 0.95);
    assert_eq!(
        assess(&never, arm(1_000_000, 1_000_000), arm(1_000_000, 0)).decision,
        Decision::Healthy
    );
}

#[test]
fn the_radius_is_the_mixture_boundary_and_the_msprt() {
    let s = spec(0.0, 1, 0.95);
    let (rho, alpha) = (s.rho(), s.alpha());
    for v in [1e-2, 1e-4, 1e-6, 1e-9] {
        let r = mixture_radius(v, rho, alpha);
        let i = 1.0 / v;
        let info_form = ((i + rho) * ((i + rho) / (rho * alpha * alpha)).ln()).sqrt() / i;
        assert!(
            (r - info_form).abs() <= 1e-9 * info_form,
            "v={v}: {r} vs {info_form}"
        );
        // Johari et al.'s mixture likelihood ratio with τ² = 1/ρ is exactly 1/α there.
        let tau2 = 1.0 / rho;
        let log_lambda = 0.5 * (v / (v + tau2)).ln() + tau2 * r * r / (2.0 * v * (v + tau2));
        assert!(
            (log_lambda - (1.0 / alpha).ln()).abs() < 1e-6,
            "v={v}: {log_lambda}"
        );
    }
}

#[test]
fn rho_is_near_optimal_at_the_tuned_information() {
    let s = spec(0.0, 1, 0.95);
    let m = TUNED_REPORTS_PER_ARM / (2.0 * TUNED_ERROR_RATE * (1.0 - TUNED_ERROR_RATE));
    let at = |rho: f64| mixture_radius(1.0 / m, rho, s.alpha());
    let best = at(s.rho());
    assert!(best <= at(s.rho() * 0.8) && best <= at(s.rho() * 1.25));
    assert!((13_200.0..13_300.0).contains(&s.rho()), "rho = {}", s.rho());
}

#[test]
fn serializes_as_the_api_spells_it() {
    let a = assess(&spec(0.01, 1, 0.95), Counts::default(), Counts::default());
    let json = serde_json::to_value(a).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({"decision": "insufficient_data", "estimate": 0.0, "lower": -1.0, "upper": 1.0})
    );
    for d in [
        Decision::InsufficientData,
        Decision::Healthy,
        Decision::Regression,
    ] {
        assert_eq!(serde_json::to_value(d).expect("serializes"), d.as_str());
    }
}
