//! The [`Kms`] facade: the dependencies every operation uses, and identity bootstrapping.
//!
//! The operations themselves are `impl Kms` blocks in [`crate::ops`], one file per family.

use std::sync::Arc;

use crate::backend::{KeyBackend, RootKeyProvider};
use crate::cache::KeyCache;
use crate::clock::Clock;
use crate::error::Result;
use crate::iam::Directory;
use crate::policy::Mode;
use crate::secret::Secret;
use crate::store::{AuditStore, Change, Store};
use crate::vault::{Purpose, ServerSecret, Vault};

/// The KMS: store, backend, root key, clock, and the hot-path cache.
#[derive(Debug)]
pub struct Kms {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) backend: Arc<dyn KeyBackend>,
    /// The root key, behind its one gate.
    pub(crate) vault: Vault,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cache: Arc<KeyCache>,
    pub(crate) mode: Mode,
    pub(crate) directory: Arc<Directory>,
    /// Serializes identity changes (each a store write and a directory rebuild), so that an
    /// older snapshot never replaces a newer one.
    pub(crate) identity_lock: tokio::sync::Mutex<()>,
    /// Key usage noted in memory until the next flush.
    pub(crate) usage: crate::usage::UsageLog,
    pub(crate) limiter: crate::quota::Limiter,
    /// Serializes changes to multi-Region key sets (replication, rotation of a set, primary
    /// moves), so that a replica never misses a material version.
    pub(crate) set_lock: tokio::sync::Mutex<()>,
    /// Held shared by every operation from the moment it seals a value under the root key
    /// until the value is written, and exclusively by a root-key rotation, so that no value
    /// sealed under a retiring root key is written after the rotation has re-sealed the store.
    /// Lock order: `identity_lock` or `set_lock` first, then this.
    pub(crate) sealing: tokio::sync::RwLock<()>,
    /// Woken when another node changed identities.
    pub(crate) identities: Arc<tokio::sync::Notify>,
    /// Several nodes share the store (PostgreSQL): what one node holds alone (the root-key
    /// ring) cannot change online.
    pub(crate) shared_store: bool,
    /// Custom key stores: cached records and this node's HSM sessions.
    pub(crate) key_stores: Arc<crate::ops::key_stores::KeyStores>,
}

impl Kms {
    pub fn new(
        store: Arc<dyn Store>,
        backend: Arc<dyn KeyBackend>,
        root: Arc<dyn RootKeyProvider>,
        clock: Arc<dyn Clock>,
    ) -> Kms {
        let cache = Arc::new(KeyCache::default());
        // The store tells the cache about every committed change, so that invalidation cannot
        // be skipped by a request that is dropped while its write is in flight.
        let listener = cache.clone();
        let identities = Arc::new(tokio::sync::Notify::new());
        let identities_changed = identities.clone();
        let key_stores = Arc::new(crate::ops::key_stores::KeyStores::default());
        let stores_changed = key_stores.clone();
        store.listen(Arc::new(move |change: &Change| match change {
            Change::Key { scope, id } => listener.invalidate_key(scope, id),
            Change::Aliases { scope } => {
                listener.invalidate_aliases();
                listener.invalidate_scope(scope);
            }
            Change::Identities => identities_changed.notify_one(),
            Change::KeyStores => stores_changed.invalidate(),
            Change::All => {
                listener.clear();
                stores_changed.invalidate();
                identities_changed.notify_one();
            }
        }));
        Kms {
            store,
            backend,
            vault: Vault::new(root),
            clock,
            cache,
            mode: Mode::Enforce,
            directory: Arc::new(Directory::default()),
            identity_lock: tokio::sync::Mutex::new(()),
            usage: crate::usage::UsageLog::default(),
            limiter: crate::quota::Limiter::new(crate::quota::RateLimits::default()),
            set_lock: tokio::sync::Mutex::new(()),
            sealing: tokio::sync::RwLock::new(()),
            identities,
            shared_store: false,
            key_stores,
        }
    }

    /// Keeps at most `capacity` keys (and as many alias resolutions) in memory, least recently
    /// used out first (`--key-cache-size`).
    pub fn key_cache_capacity(self, capacity: usize) -> Kms {
        self.cache.set_capacity(capacity);
        self
    }

    /// The store is shared with other nodes.
    pub fn shared(mut self) -> Kms {
        self.shared_store = true;
        self
    }

    /// Reads the identity directory again each time another node changes identities (the
    /// store's change feed says so), until the task is dropped. Changes made through this
    /// node reload at once, in the call that makes them.
    pub async fn follow_identity_changes(&self) {
        loop {
            self.identities.notified().await;
            let _serial = self.identity_lock.lock().await;
            if let Err(e) = self.reload_identities().await {
                tracing::warn!(error = %e, "could not reload identities changed by another node");
            }
        }
    }

    /// `--dev`: callers may use every key of their own account whatever its policy says.
    pub fn permissive(mut self) -> Kms {
        self.mode = Mode::Permissive;
        self
    }

    /// Replaces the request-rate quotas (AWS's defaults until then).
    pub fn with_rate_limits(mut self, limits: crate::quota::RateLimits) -> Kms {
        self.limiter = crate::quota::Limiter::new(limits);
        self
    }

    /// The quotas in force.
    pub fn quotas(&self) -> &crate::quota::RateLimits {
        self.limiter.limits()
    }

    /// Counts a request against a quota class of the caller's account.
    pub fn throttle(
        &self,
        ctx: &crate::model::RequestContext,
        class: &crate::quota::QuotaClass,
    ) -> Result<()> {
        self.limiter
            .take(&ctx.principal.account, &ctx.region, class, self.clock.now())
    }

    /// The in-memory directory of accounts, principals and credentials.
    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }

    /// The store itself, for seeding identities from the configuration at start; everything
    /// else the server reads goes through the narrower views below.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The audit trail's part of the store: all the audit writer and its readers get.
    pub fn audit_store(&self) -> Arc<dyn AuditStore> {
        self.store.clone()
    }

    /// Whether the root key can seal now (`/ready`): a PKCS#11 token that went away cannot.
    pub fn root_key_answers(&self) -> bool {
        self.vault.answers()
    }

    /// Whether the store answers (`/ready`).
    pub async fn store_answers(&self) -> bool {
        crate::vault::store_answers(self.store.as_ref()).await
    }

    /// The accounts the store holds, with their regions.
    pub async fn stored_accounts(&self) -> Result<Vec<crate::model::AccountRecord>> {
        Ok(self.store.accounts().await?)
    }

    /// A secret of the server's own, opened; `None` before it is first put.
    pub async fn server_secret(&self, secret: ServerSecret) -> Result<Option<Secret>> {
        match self.store.meta(secret.meta_name()).await? {
            Some(sealed) => Ok(Some(self.unseal_server_secret(secret, &sealed)?)),
            None => Ok(None),
        }
    }

    /// Seals and keeps a secret of the server's own.
    pub async fn put_server_secret(&self, secret: ServerSecret, plain: &[u8]) -> Result<()> {
        let sealed = self.seal_server_secret(secret, plain)?;
        Ok(self.store.put_meta(secret.meta_name(), &sealed).await?)
    }

    /// Takes or renews a lease for `holder` until `ttl_ms` from now (see `Store::try_lease`).
    pub async fn try_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool> {
        Ok(self
            .store
            .try_lease(name, holder, self.clock.now(), ttl_ms)
            .await?)
    }

    /// Gives a lease up if `holder` holds it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        Ok(self.store.release_lease(name, holder).await?)
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Checks that the root key opens this store, or records it on first use.
    ///
    /// A store sealed under another root key is refused at start rather than failing every
    /// Decrypt later.
    pub async fn check_root_key(&self) -> Result<()> {
        self.vault.check(self.store.as_ref()).await
    }

    /// Seals a secret of the server's own under the root key.
    pub fn seal_server_secret(&self, secret: ServerSecret, plain: &[u8]) -> Result<Vec<u8>> {
        self.vault.seal(Purpose::Server(secret), plain)
    }

    /// Opens what [`Kms::seal_server_secret`] sealed.
    pub fn unseal_server_secret(&self, secret: ServerSecret, sealed: &[u8]) -> Result<Secret> {
        self.vault.unseal(Purpose::Server(secret), sealed)
    }

    /// Seals an access key's secret for storage.
    pub fn seal_secret(&self, access_key_id: &str, secret: &[u8]) -> Result<Vec<u8>> {
        self.vault
            .seal(Purpose::AccessKeySecret { access_key_id }, secret)
    }

    /// Opens an access key's sealed secret.
    pub(crate) fn unseal_secret(&self, access_key_id: &str, sealed: &[u8]) -> Result<Secret> {
        self.vault
            .unseal(Purpose::AccessKeySecret { access_key_id }, sealed)
    }

    /// Random bytes from the backend.
    pub fn random(&self, len: usize) -> Result<Secret> {
        Ok(self.backend.random(len)?)
    }

    /// The key cache's counters and occupancy.
    pub fn key_cache(&self) -> crate::cache::CacheStats {
        self.cache.stats()
    }
}
