use super::*;
use crate::model::{Channel, Env};

const MINUTE: Millis = MINUTE_MILLIS;
/// Some minute boundary, well after the epoch.
const T0: Millis = 1_800_000_000 * 1_000 / MINUTE * MINUTE;

fn served(metrics: &Metrics, version: &str, channel: Channel) -> crate::metrics::ServedCounters {
    metrics.served_counters("app", Env::Production, "mp-a", version, channel)
}

fn counts(history: &ServedHistory, now: Millis) -> (i64, Vec<(String, Vec<u32>)>) {
    let w = history.window("app", "production", "mp-a", now);
    (w.first_minute, w.versions)
}

#[test]
fn answers_land_in_their_minute_per_version_with_channels_added_up() {
    let metrics = Metrics::new();
    let history = ServedHistory::new(metrics.clone());
    let full = served(&metrics, "1.0.0", Channel::Full);
    let gray = served(&metrics, "1.1.0", Channel::Grayscale);
    let pilot = served(&metrics, "1.1.0", Channel::Pilot);
    history.sample(T0);
    (0..3).for_each(|_| full.inc());
    gray.inc();
    history.sample(T0 + 20_000);
    pilot.inc();
    full.inc();
    history.sample(T0 + 50_000);
    (0..5).for_each(|_| full.inc());
    let (first, versions) = counts(&history, T0 + MINUTE + 1);
    assert_eq!(
        first,
        minute_of(T0) + 2 - MIN_WINDOW as i64,
        "at least an hour"
    );
    let last_two: Vec<(&str, &[u32])> = versions
        .iter()
        .map(|(v, c)| (v.as_str(), &c[MIN_WINDOW - 2..]))
        .collect();
    assert_eq!(
        last_two,
        vec![("1.0.0", &[4, 5][..]), ("1.1.0", &[2, 0][..])]
    );
    let earlier_empty = |c: &Vec<u32>| c[..MIN_WINDOW - 2].iter().all(|&n| n == 0);
    assert!(
        versions
            .iter()
            .all(|(_, c)| c.len() == MIN_WINDOW && earlier_empty(c))
    );
}

#[test]
fn a_route_without_answers_is_an_empty_hour_and_other_routes_are_apart() {
    let metrics = Metrics::new();
    let history = ServedHistory::new(metrics.clone());
    let other = metrics.served_counters("app", Env::Sandbox, "mp-a", "1.0.0", Channel::Full);
    other.inc();
    let (first, versions) = counts(&history, T0);
    assert_eq!(
        (first, versions),
        (minute_of(T0) + 1 - MIN_WINDOW as i64, vec![])
    );
    let sandbox = history.window("app", "sandbox", "mp-a", T0);
    let mut expected = vec![0; MIN_WINDOW];
    expected[MIN_WINDOW - 1] = 1;
    assert_eq!(sandbox.versions, vec![("1.0.0".to_string(), expected)]);
}

#[test]
fn a_series_bound_again_after_its_release_stopped_counts_from_zero() {
    let metrics = Metrics::new();
    let history = ServedHistory::new(metrics.clone());
    let full = served(&metrics, "1.0.0", Channel::Full);
    (0..10).for_each(|_| full.inc());
    history.sample(T0);
    metrics.forget_served("app", Env::Production, "mp-a", "1.0.0");
    history.sample(T0 + 1_000);
    let again = served(&metrics, "1.0.0", Channel::Full);
    (0..3).for_each(|_| again.inc());
    let (_, versions) = counts(&history, T0 + 2_000);
    assert_eq!(versions[0].1.iter().sum::<u32>(), 13);
    assert_eq!(versions[0].1.last(), Some(&13));
}

#[test]
fn the_window_is_the_last_24_hours_and_idle_rings_are_freed() {
    let metrics = Metrics::new();
    let history = ServedHistory::new(metrics.clone());
    let full = served(&metrics, "1.0.0", Channel::Full);
    full.inc();
    history.sample(T0);
    full.inc();
    history.sample(T0 + 90 * MINUTE);
    let (first, versions) = counts(&history, T0 + 90 * MINUTE);
    assert_eq!(
        first,
        minute_of(T0),
        "from the first answer, more than an hour ago"
    );
    assert_eq!(versions[0].1.len(), 91);
    assert_eq!((versions[0].1[0], versions[0].1[90]), (1, 1));
    // A day after the first answer, only the second is left in the window.
    let day = MINUTES as Millis * MINUTE;
    let (first, versions) = counts(&history, T0 + day);
    assert_eq!(first, minute_of(T0 + 90 * MINUTE));
    assert_eq!(versions[0].1.first(), Some(&1));
    assert_eq!(
        versions[0].1.iter().sum::<u32>(),
        1,
        "the first answer left the window"
    );
    // A day after the last answer the ring is gone.
    let (_, versions) = counts(&history, T0 + 90 * MINUTE + day);
    assert_eq!(versions, vec![]);
    assert_eq!(history.lock().rings, 0);
}

#[test]
fn rings_stop_at_the_cap() {
    let metrics = Metrics::new();
    let history = ServedHistory::new(metrics.clone());
    let counters: Vec<_> = (0..=MAX_RINGS)
        .map(|i| served(&metrics, &format!("1.0.{i}"), Channel::Full))
        .collect();
    counters.iter().for_each(|c| c.inc());
    history.sample(T0);
    assert_eq!(history.lock().rings, MAX_RINGS);
    let (_, versions) = counts(&history, T0);
    assert_eq!(versions.len(), MAX_RINGS, "one version is not charted");
}

#[test]
fn a_ring_ignores_minutes_older_than_its_window() {
    let mut ring = Ring::new(100);
    ring.add(100, 2);
    ring.add(100 - MINUTES as i64, 5);
    ring.add(101, 1);
    assert_eq!(ring.last_day(101)[MINUTES - 2..], [2, 1]);
    assert_eq!(ring.last_day(101).iter().sum::<u32>(), 3);
    ring.add(101, u64::MAX);
    assert_eq!(ring.last_day(101)[MINUTES - 1], u32::MAX, "saturates");
}
