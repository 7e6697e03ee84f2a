//! Time, injected: the [`Clock`] trait and the system clock.

use crate::model::UnixMillis;

/// The source of "now" for every date-driven rule (deletion windows, creation dates).
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> UnixMillis;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixMillis {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        UnixMillis(i64::try_from(millis).unwrap_or(i64::MAX))
    }
}
