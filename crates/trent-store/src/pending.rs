//! Calls a store has queued and not finished, by ticket, so that `Store::quiesce` can wait for
//! every call queued before it (including writes whose callers stopped waiting).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use trent_core::store::{StoreError, StoreResult};

/// The tickets of unfinished calls.
#[derive(Clone, Debug, Default)]
pub struct Pending {
    open: Arc<Mutex<BTreeSet<u64>>>,
    next: Arc<AtomicU64>,
}

/// Marks a queued call finished when dropped (also if the call panics).
#[derive(Debug)]
pub struct Ticket {
    open: Arc<Mutex<BTreeSet<u64>>>,
    id: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(&self.id);
        }
    }
}

impl Pending {
    /// A ticket for a call about to be queued.
    pub fn ticket(&self) -> Ticket {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut open) = self.open.lock() {
            open.insert(id);
        }
        Ticket {
            open: self.open.clone(),
            id,
        }
    }

    /// Returns once every call ticketed before this one has finished (at most a minute).
    pub async fn quiesce(&self) -> StoreResult<()> {
        let before = self.next.load(Ordering::SeqCst);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let waiting = self
                .open
                .lock()
                .map_err(|_| StoreError::Unavailable("pending calls lock poisoned".to_owned()))?
                .first()
                .is_some_and(|first| *first < before);
            if !waiting {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(StoreError::Unavailable(
                    "calls queued before a root-key rotation did not finish".to_owned(),
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
}
