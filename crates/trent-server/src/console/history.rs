//! The last hour of requests and errors per operation, a minute at a time, for the console's
//! overview charts. Labels are the metric labels (operation names Trent knows), so a client
//! cannot grow the table with made-up names.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use serde::Serialize;

/// Minutes kept.
pub const MINUTES: usize = 60;
const MINUTES_I64: i64 = 60;

/// One minute's counts of one operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub requests: u64,
    pub errors: u64,
}

/// One minute: its start (epoch seconds) and each operation's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Minute {
    pub start: i64,
    pub operations: BTreeMap<String, Counts>,
}

/// The ring of the last [`MINUTES`] minutes.
#[derive(Debug, Default)]
pub struct History {
    minutes: Mutex<VecDeque<Minute>>,
}

impl History {
    /// Counts one request at `now` (milliseconds since the epoch).
    pub fn observe(&self, operation: &str, error: bool, now_millis: i64) {
        let start = now_millis.div_euclid(60_000) * 60;
        let mut minutes = self.minutes.lock().unwrap_or_else(|e| e.into_inner());
        if minutes.back().is_none_or(|m| m.start < start) {
            minutes.push_back(Minute {
                start,
                operations: BTreeMap::new(),
            });
            while minutes.len() > MINUTES {
                minutes.pop_front();
            }
        }
        // A clock moved back counts into the newest minute.
        let Some(minute) = minutes.back_mut() else {
            return;
        };
        let counts = match minute.operations.get_mut(operation) {
            Some(c) => c,
            None => minute.operations.entry(operation.to_owned()).or_default(),
        };
        counts.requests += 1;
        counts.errors += u64::from(error);
    }

    /// The hour ending at `now`, oldest first: one entry for every minute, empty ones too.
    pub fn hour(&self, now_millis: i64) -> Vec<Minute> {
        let last = now_millis.div_euclid(60_000) * 60;
        let first = last - 60 * (MINUTES_I64 - 1);
        let minutes = self.minutes.lock().unwrap_or_else(|e| e.into_inner());
        (0..MINUTES_I64)
            .map(|i| {
                let start = first + i * 60;
                minutes
                    .iter()
                    .find(|m| m.start == start)
                    .cloned()
                    .unwrap_or(Minute {
                        start,
                        operations: BTreeMap::new(),
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_fall_into_their_minute_and_old_minutes_leave() {
        let h = History::default();
        let t0 = 1_700_000_000_000_i64 - 1_700_000_000_000 % 60_000;
        h.observe("Encrypt", false, t0);
        h.observe("Encrypt", true, t0 + 59_999);
        h.observe("Decrypt", false, t0 + 60_000);
        let hour = h.hour(t0 + 60_000);
        assert_eq!(hour.len(), MINUTES);
        assert_eq!(hour[MINUTES - 1].start * 1000, t0 + 60_000);
        assert_eq!(
            hour[MINUTES - 2].operations["Encrypt"],
            Counts {
                requests: 2,
                errors: 1
            }
        );
        assert_eq!(hour[MINUTES - 1].operations["Decrypt"].requests, 1);
        assert!(hour[..MINUTES - 2].iter().all(|m| m.operations.is_empty()));
        // An hour and a minute later, the first minute is gone; the ring stays bounded.
        for i in 0..70 {
            h.observe("Sign", false, t0 + i * 60_000);
        }
        let later = h.hour(t0 + 69 * 60_000);
        assert!(later.iter().all(|m| !m.operations.contains_key("Encrypt")));
        assert!(later.iter().all(|m| m.operations["Sign"].requests >= 1));
        assert!(h.minutes.lock().unwrap().len() <= MINUTES);
    }
}
