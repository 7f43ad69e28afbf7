//! One (route, version)'s answers per minute over the last 24 h, in a fixed ring.

/// Minutes a ring keeps: 24 h.
pub const MINUTES: usize = 1_440;

const SPAN: i64 = MINUTES as i64;

/// Counts per minute; slot `minute mod MINUTES` holds the minute, for minutes up to
/// [`MINUTES`] before the newest one written.
#[derive(Debug, Clone)]
pub struct Ring {
    counts: Box<[u32]>,
    /// The newest minute written; slots of later minutes are cleared on the next write.
    newest: i64,
}

fn slot(minute: i64) -> usize {
    // rem_euclid of a positive modulus is in 0..MINUTES.
    minute.rem_euclid(SPAN) as usize
}

impl Ring {
    pub fn new(minute: i64) -> Ring {
        Ring {
            counts: vec![0; MINUTES].into_boxed_slice(),
            newest: minute,
        }
    }

    /// Adds `n` answers to `minute` (saturating); a minute older than the window is
    /// dropped, a later one first clears the minutes skipped since the newest.
    pub fn add(&mut self, minute: i64, n: u64) {
        if minute > self.newest {
            let skipped = (minute - self.newest).min(SPAN);
            for m in (minute - skipped + 1)..=minute {
                self.counts[slot(m)] = 0;
            }
            self.newest = minute;
        } else if self.newest - minute >= SPAN {
            return;
        }
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        let count = &mut self.counts[slot(minute)];
        *count = count.saturating_add(n);
    }

    /// The [`MINUTES`] minutes ending at `now`, oldest first; 0 where nothing is known.
    pub fn last_day(&self, now: i64) -> Vec<u32> {
        (now - SPAN + 1..=now)
            .map(|m| {
                let known = m <= self.newest && self.newest - m < SPAN;
                if known { self.counts[slot(m)] } else { 0 }
            })
            .collect()
    }

    /// Nothing in the [`MINUTES`] minutes ending at `now`.
    pub fn is_idle(&self, now: i64) -> bool {
        now - self.newest >= SPAN
    }
}
