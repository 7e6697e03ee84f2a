//! Test doubles: a clock that tests move by hand.

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
