//! Background maintenance: the timer side of date-driven work (the logic lives in trent-core).
//!
//! The deletion sweep (keys whose waiting period has ended are deleted for good), automatic key
//! rotation (keys whose rotation is due get new material, once, however long they were
//! overdue), and the purge of expired role sessions.
//! A sweep is idempotent and catches up after downtime, so a key that fell due while Trent
//! was stopped is deleted on the first sweep after start.
//!
//! Several nodes on one store run this work once between them: a round runs only on the node
//! that holds the store's [`LEASE`], which it renews every round; when that node dies the lease
//! expires ([`lease_ttl`]) and the next node to try takes it over. Each node still writes the
//! key usage it noted itself.

use std::sync::Arc;
use std::time::Duration;

use trent_core::Kms;

/// The lease under which the cluster's maintenance runs.
pub const LEASE: &str = "maintenance";

/// How long a maintenance lease lasts without renewal: three rounds, at least three seconds.
pub fn lease_ttl(interval: Duration) -> Duration {
    (interval * 3).max(Duration::from_secs(3))
}

/// One round on this node: its own key usage, then, if it holds (or takes) the lease, the
/// cluster's maintenance and an audit digest. `Ok(None)` when another node holds the lease.
pub async fn tick(
    kms: &Kms,
    audit: Option<&crate::audit::AuditLog>,
    holder: &str,
    interval: Duration,
) -> Result<Option<usize>, trent_core::Error> {
    let noted = kms.flush_key_usage().await?;
    if noted > 0 {
        tracing::debug!(keys = noted, "recorded key usage");
    }
    let ttl = i64::try_from(lease_ttl(interval).as_millis()).unwrap_or(i64::MAX);
    let held = kms.try_lease(LEASE, holder, ttl).await?;
    if !held {
        return Ok(None);
    }
    let deleted = run_once(kms).await?;
    // Seal what the audit trail gained since the last digest.
    if let Some(audit) = audit
        && let Err(e) = audit.seal().await
    {
        tracing::warn!(error = %e, "could not sign an audit digest; will retry");
    }
    Ok(Some(deleted))
}

/// Runs one round of the cluster's maintenance now, whoever holds the lease; returns the
/// number of keys deleted.
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
    let sessions = kms.purge_expired_sessions().await?;
    if sessions > 0 {
        tracing::debug!(sessions, "forgot expired role sessions");
    }
    Ok(deleted)
}

/// Runs a round every `interval` until the task is dropped.
pub async fn run(kms: Arc<Kms>, interval: Duration, audit: crate::audit::AuditLog, holder: String) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = tick(&kms, Some(&audit), &holder, interval).await {
            tracing::warn!(error = %e, "maintenance failed; will retry");
        }
    }
}
