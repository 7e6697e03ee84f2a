//! Test doubles: clocks that tests move by hand.
//!
//! [`ManualClock`] runs with the system clock plus an offset; [`FixedClock`] never reads the
//! system clock at all, so every date an operation derives from "now" is exact.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::clock::{Clock, SystemClock};
use crate::model::UnixMillis;

/// A clock that runs with the system clock plus an offset that tests can advance, so that a
/// test can jump past a deletion window without sleeping.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    offset_millis: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn new() -> ManualClock {
        ManualClock::default()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: std::time::Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_millis.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixMillis {
        let base = SystemClock.now();
        UnixMillis(
            base.0
                .saturating_add(self.offset_millis.load(Ordering::SeqCst)),
        )
    }
}

/// A clock that stands still at a given instant until a test moves it with
/// [`advance`](FixedClock::advance) or [`set`](FixedClock::set). It never reads the system
/// clock, so a creation date is the instant the clock shows and a deletion date is that
/// instant plus the window, to the millisecond.
///
/// Clones share one instant: keep a clone, hand another to the `Kms`, and move both at once.
#[derive(Clone, Debug)]
pub struct FixedClock {
    now_millis: Arc<AtomicI64>,
}

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: UnixMillis) -> FixedClock {
        FixedClock {
            now_millis: Arc::new(AtomicI64::new(at.0)),
        }
    }

    /// Moves the clock forward by `by` (saturating at the end of time).
    pub fn advance(&self, by: std::time::Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        // The closure always answers `Some`, so the update cannot fail.
        let _ = self
            .now_millis
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(millis))
            });
    }

    /// Puts the clock at `at`, backwards as well as forwards.
    pub fn set(&self, at: UnixMillis) {
        self.now_millis.store(at.0, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.now_millis.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_fixed_clock_stands_still_until_moved() {
        let clock = FixedClock::new(UnixMillis(1_000));
        assert_eq!(clock.now(), UnixMillis(1_000));
        assert_eq!(clock.now(), UnixMillis(1_000));

        // A clone is the same clock.
        let shared = clock.clone();
        shared.advance(Duration::from_millis(250));
        assert_eq!(clock.now(), UnixMillis(1_250));
        clock.advance(Duration::from_secs(86_400));
        assert_eq!(shared.now(), UnixMillis(1_250 + UnixMillis::DAY));

        clock.set(UnixMillis(5));
        assert_eq!(shared.now(), UnixMillis(5));
    }

    #[test]
    fn a_fixed_clock_saturates_at_the_end_of_time() {
        let clock = FixedClock::new(UnixMillis(i64::MAX - 1));
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now(), UnixMillis(i64::MAX));
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), UnixMillis(i64::MAX));
    }
}
