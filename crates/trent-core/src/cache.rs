//! The in-memory cache of keys and unsealed material that keeps the hot path off the disk.
//!
//! Encrypt, Decrypt and GenerateDataKey read the key record and material from here.
//! Every change of a key's state, metadata, tags or grants invalidates its entry; alias changes
//! clear the alias table and the keys of their scope (whose alias lists changed).
//! Entries hold unsealed material, which is zeroized when the last reference drops.
//!
//! Both tables are bounded: past their capacity the least recently used entry goes, so memory
//! stays flat however many keys a Region holds. A key that was evicted costs one store read
//! (record, tags, aliases and sealed material together) and one unseal when next used; its
//! grants are read only if a request needs them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hashlink::LruCache;

pub use crate::key::CachedKey;
use crate::model::{AliasName, KeyId, Scope};

/// How many keys (and, separately, alias resolutions) are kept by default: a few hundred
/// megabytes at most (BENCHMARKS.md measures an entry).
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Keys by scope and id, and alias resolutions by scope and name, each least recently used
/// first out.
#[derive(Debug)]
pub struct KeyCache {
    keys: Mutex<LruCache<(Scope, KeyId), Arc<CachedKey>>>,
    aliases: Mutex<LruCache<(Scope, AliasName), KeyId>>,
    /// Lookups answered from memory, lookups that missed, and entries evicted to stay within
    /// the capacity (for `/metrics`).
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    /// Bumped by every invalidation. A reader notes it before reading the store and inserts
    /// what it read only if no invalidation happened meanwhile, so a slow reader never puts a
    /// stale record back.
    epoch: AtomicU64,
}

/// What `/metrics` shows of the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    /// Keys held now, and the most it holds.
    pub keys: usize,
    pub capacity: usize,
}

impl Default for KeyCache {
    fn default() -> KeyCache {
        KeyCache::new(DEFAULT_CAPACITY)
    }
}

impl KeyCache {
    /// A cache of at most `capacity` keys and `capacity` alias resolutions (at least one).
    pub fn new(capacity: usize) -> KeyCache {
        let capacity = capacity.max(1);
        KeyCache {
            keys: Mutex::new(LruCache::new(capacity)),
            aliases: Mutex::new(LruCache::new(capacity)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
        }
    }

    /// Changes the capacity of both tables, evicting the least recently used entries past it.
    pub fn set_capacity(&self, capacity: usize) {
        let capacity = capacity.max(1);
        if let Ok(mut keys) = self.keys.lock() {
            keys.set_capacity(capacity);
        }
        if let Ok(mut aliases) = self.aliases.lock() {
            aliases.set_capacity(capacity);
        }
    }

    /// The current epoch; pass it to the `insert_*` calls after reading the store.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub fn key(&self, scope: &Scope, id: &KeyId) -> Option<Arc<CachedKey>> {
        let found = self
            .keys
            .lock()
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

    /// Counters and occupancy since start.
    pub fn stats(&self) -> CacheStats {
        let (keys, capacity) = self
            .keys
            .lock()
            .map(|k| (k.len(), k.capacity()))
            .unwrap_or_default();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            keys,
            capacity,
        }
    }

    pub fn insert_key(&self, entry: Arc<CachedKey>, epoch: u64) {
        // The entry pushed out is dropped after the lock is released: dropping the last
        // reference zeroizes its material.
        let evicted = {
            let Ok(mut keys) = self.keys.lock() else {
                return;
            };
            if self.epoch() != epoch {
                return;
            }
            let key = (entry.record.scope.clone(), entry.record.id.clone());
            let evicted = if !keys.contains_key(&key) && keys.len() >= keys.capacity() {
                keys.remove_lru()
            } else {
                None
            };
            keys.insert(key, entry);
            evicted
        };
        if evicted.is_some() {
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Forgets a key (after any change to it).
    pub fn invalidate_key(&self, scope: &Scope, id: &KeyId) {
        let removed = match self.keys.lock() {
            Ok(mut keys) => {
                self.epoch.fetch_add(1, Ordering::SeqCst);
                keys.remove(&(scope.clone(), id.clone()))
            }
            Err(_) => None,
        };
        drop(removed);
    }

    pub fn alias(&self, scope: &Scope, name: &AliasName) -> Option<KeyId> {
        self.aliases
            .lock()
            .ok()?
            .get(&(scope.clone(), name.clone()))
            .cloned()
    }

    pub fn insert_alias(&self, scope: &Scope, name: &AliasName, target: &KeyId, epoch: u64) {
        if let Ok(mut aliases) = self.aliases.lock()
            && self.epoch() == epoch
        {
            // hashlink's LruCache drops its least recently used entry itself past capacity.
            aliases.insert((scope.clone(), name.clone()), target.clone());
        }
    }

    /// Forgets every alias resolution (after any alias change).
    pub fn invalidate_aliases(&self) {
        if let Ok(mut aliases) = self.aliases.lock() {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            aliases.clear();
        }
    }

    /// Forgets the keys of a scope, whose alias lists may have changed.
    pub fn invalidate_scope(&self, scope: &Scope) {
        if let Ok(mut keys) = self.keys.lock() {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            keys.retain(|(s, _), _| s != scope);
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut keys) = self.keys.lock() {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            keys.clear();
        }
        self.invalidate_aliases();
    }
}
