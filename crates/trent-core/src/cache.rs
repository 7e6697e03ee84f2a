//! The in-memory cache of keys and unsealed material that keeps the hot path off the disk.
//!
//! Encrypt, Decrypt and GenerateDataKey read the key record and material from here.
//! Every change of a key's state, metadata, tags or grants invalidates its entry; alias changes
//! clear the alias table and the keys of their scope (whose alias lists changed).
//! Entries hold unsealed material, which is zeroized when the last reference drops.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

pub use crate::key::CachedKey;
use crate::model::{AliasName, KeyId, Scope};

/// Keys by scope and id, and alias resolutions by scope and name.
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<(Scope, KeyId), Arc<CachedKey>>>,
    aliases: RwLock<HashMap<(Scope, AliasName), KeyId>>,
    /// Lookups answered from memory, and lookups that missed (for `/metrics`).
    hits: AtomicU64,
    misses: AtomicU64,
    /// Bumped by every invalidation. A reader notes it before reading the store and inserts
    /// what it read only if no invalidation happened meanwhile, so a slow reader never puts a
    /// stale record back.
    epoch: AtomicU64,
}

impl KeyCache {
    /// The current epoch; pass it to the `insert_*` calls after reading the store.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub fn key(&self, scope: &Scope, id: &KeyId) -> Option<Arc<CachedKey>> {
        let found = self
            .keys
            .read()
            .ok()?
            .get(&(scope.clone(), id.clone()))
            .cloned();
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// `(hits, misses)` of key lookups since start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    pub fn insert_key(&self, entry: Arc<CachedKey>, epoch: u64) {
        if let Ok(mut keys) = self.keys.write()
            && self.epoch() == epoch
        {
            keys.insert((entry.record.scope.clone(), entry.record.id.clone()), entry);
        }
    }

    /// Forgets a key (after any change to it).
    pub fn invalidate_key(&self, scope: &Scope, id: &KeyId) {
        if let Ok(mut keys) = self.keys.write() {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            keys.remove(&(scope.clone(), id.clone()));
        }
    }

    pub fn alias(&self, scope: &Scope, name: &AliasName) -> Option<KeyId> {
        self.aliases
            .read()
            .ok()?
            .get(&(scope.clone(), name.clone()))
            .cloned()
    }

    pub fn insert_alias(&self, scope: &Scope, name: &AliasName, target: &KeyId, epoch: u64) {
        if let Ok(mut aliases) = self.aliases.write()
            && self.epoch() == epoch
        {
            aliases.insert((scope.clone(), name.clone()), target.clone());
        }
    }

    /// Forgets every alias resolution (after any alias change).
    pub fn invalidate_aliases(&self) {
        if let Ok(mut aliases) = self.aliases.write() {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            aliases.clear();
        }
    }

    /// Forgets the keys of a scope, whose alias lists may have changed.
    pub fn invalidate_scope(&self, scope: &Scope) {
        if let Ok(mut keys) = self.keys.write() {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            keys.retain(|(s, _), _| s != scope);
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut keys) = self.keys.write() {
            keys.clear();
        }
        self.invalidate_aliases();
    }
}
