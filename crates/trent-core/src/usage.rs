//! Key last usage: noted in memory by every successful cryptographic operation (no disk write on
//! the hot path) and written to the store in one batch by each maintenance round.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::Result;
use crate::kms::Kms;
use crate::model::{KeyId, KeyRecord, KeyRef, LastUsage, RequestContext, Scope, UnixMillis};
use crate::ops::pipeline::{KeyUse, StateRule};

/// Usage noted since the last flush, by key.
#[derive(Debug, Default)]
pub struct UsageLog {
    pending: Mutex<HashMap<(Scope, KeyId), LastUsage>>,
}

/// What GetKeyLastUsage reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUsageReport {
    pub key: KeyRecord,
    pub last: Option<LastUsage>,
    pub tracking_start: UnixMillis,
}

impl Kms {
    /// Notes a successful cryptographic operation with a key (`op` as the API names it; a
    /// `kms:` prefix is dropped).
    pub(crate) fn note_use(&self, ctx: &RequestContext, key: &KeyRecord, op: &str) {
        let usage = LastUsage {
            operation: op.trim_start_matches("kms:").to_owned(),
            at: self.clock.now(),
            request_id: ctx.request_id.clone(),
        };
        if let Ok(mut pending) = self.usage.pending.lock() {
            pending.insert((key.scope.clone(), key.id.clone()), usage);
        }
    }

    /// Writes the usage noted since the last flush; returns how many keys it covered.
    pub async fn flush_key_usage(&self) -> Result<usize> {
        let batch: Vec<(Scope, KeyId, LastUsage)> = match self.usage.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending)
                .into_iter()
                .map(|((s, k), u)| (s, k, u))
                .collect(),
            Err(_) => return Ok(0),
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let n = batch.len();
        if let Err(e) = self.store.record_key_usage(&batch).await {
            // Put it back (unless newer usage arrived meanwhile) for the next round.
            if let Ok(mut pending) = self.usage.pending.lock() {
                for (s, k, u) in batch {
                    pending.entry((s, k)).or_insert(u);
                }
            }
            return Err(e.into());
        }
        Ok(n)
    }

    pub async fn get_key_last_usage(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
    ) -> Result<KeyUsageReport> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:GetKeyLastUsage", StateRule::Any).without_aliases(),
            )
            .await?;
        let record = authorized.key().record.clone();
        let noted = self
            .usage
            .pending
            .lock()
            .ok()
            .and_then(|p| p.get(&(record.scope.clone(), record.id.clone())).cloned());
        let last = match noted {
            Some(u) => Some(u),
            None => self.store.key_usage(&record.scope, &record.id).await?,
        };
        Ok(KeyUsageReport {
            tracking_start: record.created,
            key: record,
            last,
        })
    }
}
