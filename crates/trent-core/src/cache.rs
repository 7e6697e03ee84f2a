//! The in-memory cache of keys and unsealed material that keeps the hot path off the disk.
//!
//! Encrypt, Decrypt and GenerateDataKey read the key record and material from here.
//! Every change of a key's state or metadata through [`crate::Kms`] invalidates its entry; alias
//! changes clear the alias table.
//! Entries hold unsealed material, which is zeroized when the last reference drops.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::model::{AliasName, KeyId, KeyRecord, MaterialId, Scope};
use crate::secret::KeyMaterial;

/// A cached key: its record and the material versions unsealed so far.
#[derive(Debug)]
pub struct CachedKey {
    pub record: KeyRecord,
    materials: RwLock<HashMap<MaterialId, Arc<KeyMaterial>>>,
}

impl CachedKey {
    pub fn new(record: KeyRecord) -> CachedKey {
        CachedKey {
            record,
            materials: RwLock::new(HashMap::new()),
        }
    }

    pub fn material(&self, id: &MaterialId) -> Option<Arc<KeyMaterial>> {
        self.materials.read().ok()?.get(id).cloned()
    }

    pub fn insert_material(&self, id: MaterialId, material: Arc<KeyMaterial>) {
        if let Ok(mut m) = self.materials.write() {
            m.insert(id, material);
        }
    }
}

/// Keys by scope and id, and alias resolutions by scope and name.
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<(Scope, KeyId), Arc<CachedKey>>>,
    aliases: RwLock<HashMap<(Scope, AliasName), KeyId>>,
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
        self.keys
            .read()
            .ok()?
            .get(&(scope.clone(), id.clone()))
            .cloned()
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

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut keys) = self.keys.write() {
            keys.clear();
        }
        self.invalidate_aliases();
    }
}
