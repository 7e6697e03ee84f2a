//! Background maintenance: the timer side of date-driven work (the logic lives in trent-core).
//!
//! The deletion sweep (keys whose waiting period has ended are deleted for good), automatic key
//! rotation (keys whose rotation is due get new material, once, however long they were
//! overdue), and the purge of expired role sessions.
//! A sweep is idempotent and catches up after downtime, so a key that fell due while Trent
//! was stopped is deleted on the first sweep after start.

use std::sync::Arc;
use std::time::Duration;

use trent_core::Kms;

/// Runs one round of maintenance now; returns the number of keys deleted.
pub async fn run_once(kms: &Kms) -> Result<usize, trent_core::Error> {
    let now = kms.clock().now();
    let deleted = kms.delete_due_keys(now).await?;
    if deleted > 0 {
        tracing::info!(deleted, "deleted keys whose waiting period ended");
    }
    let released = kms.release_primaries(now).await?;
    if released > 0 {
        tracing::info!(
            released,
            "multi-Region primaries whose replicas are gone start their waiting period"
        );
    }
    let expired = kms.expire_imported_material(now).await?;
    if expired > 0 {
        tracing::info!(
            expired,
            "deleted imported key material whose ValidTo passed"
        );
    }
    let rotated = kms.rotate_due_keys(now).await?;
    if rotated > 0 {
        tracing::info!(rotated, "rotated keys whose automatic rotation was due");
    }
    let noted = kms.flush_key_usage().await?;
    if noted > 0 {
        tracing::debug!(keys = noted, "recorded key usage");
    }
    let sessions = kms.purge_expired_sessions().await?;
    if sessions > 0 {
        tracing::debug!(sessions, "forgot expired role sessions");
    }
    Ok(deleted)
}

/// Runs maintenance every `interval` until the task is dropped.
pub async fn run(kms: Arc<Kms>, interval: Duration, audit: crate::audit::AuditLog) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = run_once(&kms).await {
            tracing::warn!(error = %e, "maintenance failed; will retry");
        }
        // Seal what the audit trail gained since the last digest.
        if let Err(e) = audit.seal().await {
            tracing::warn!(error = %e, "could not sign an audit digest; will retry");
        }
    }
}
