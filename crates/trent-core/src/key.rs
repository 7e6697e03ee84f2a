//! A key as the core holds it in memory: its record, what authorization reads about it
//! (parsed key policy, tags, aliases, grants), and the material versions unsealed so far.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::model::{GrantRecord, KeyRecord, MaterialId, SealedMaterial, Tag};
use crate::policy::document::Policy;
use crate::secret::KeyMaterial;

/// A cached key: its record, what authorization reads about it (parsed key policy, tags,
/// aliases, grants), and the material versions unsealed so far.
#[derive(Debug)]
pub struct CachedKey {
    pub record: KeyRecord,
    /// The key policy, parsed once when the key is loaded.
    pub policy: Arc<Policy>,
    pub tags: Vec<Tag>,
    /// The key's alias names (`alias/...`), for `kms:ResourceAliases`.
    pub aliases: Vec<String>,
    pub grants: Vec<GrantRecord>,
    /// Where each grant is in `grants`, by grant id and by grantee principal: a key with tens
    /// of thousands of grants authorizes in time that does not grow with them.
    grant_ids: HashMap<String, usize>,
    grants_by_grantee: HashMap<String, Vec<usize>>,
    /// Grant ids that grant tokens named and the store did not have for this key, so a
    /// stale or foreign token costs one store read, not one per request.
    missing_grants: RwLock<std::collections::HashSet<String>>,
    materials: RwLock<HashMap<MaterialId, Arc<KeyMaterial>>>,
    /// The ids of every material version, once read (the XKS proxy's decryption names a
    /// version by a prefix of its id); a rotation changes the key, which is loaded again.
    material_ids: std::sync::OnceLock<Vec<MaterialId>>,
    /// The current material version as read with the key, still sealed, until it is first
    /// unsealed: a key loaded into the cache costs one store read.
    sealed_current: std::sync::Mutex<Option<SealedMaterial>>,
}

impl CachedKey {
    pub fn new(
        record: KeyRecord,
        policy: Policy,
        tags: Vec<Tag>,
        aliases: Vec<String>,
        grants: Vec<GrantRecord>,
    ) -> CachedKey {
        let mut grant_ids = HashMap::with_capacity(grants.len());
        let mut grants_by_grantee: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, g) in grants.iter().enumerate() {
            grant_ids.insert(g.id.clone(), i);
            grants_by_grantee
                .entry(g.grantee.clone())
                .or_default()
                .push(i);
        }
        CachedKey {
            record,
            policy: Arc::new(policy),
            tags,
            aliases,
            grants,
            grant_ids,
            grants_by_grantee,
            missing_grants: RwLock::new(std::collections::HashSet::new()),
            materials: RwLock::new(HashMap::new()),
            material_ids: std::sync::OnceLock::new(),
            sealed_current: std::sync::Mutex::new(None),
        }
    }

    /// Keeps the current material version read with the key, for its first unseal.
    pub fn with_sealed_current(self, sealed: Option<SealedMaterial>) -> CachedKey {
        if let Ok(mut slot) = self.sealed_current.lock() {
            *slot = sealed;
        }
        self
    }

    /// The sealed version `id` read with the key, once.
    pub fn take_sealed(&self, id: &MaterialId) -> Option<SealedMaterial> {
        let mut slot = self.sealed_current.lock().ok()?;
        if slot.as_ref().is_some_and(|m| m.id == *id) {
            slot.take()
        } else {
            None
        }
    }

    /// The key's grant with this id.
    pub fn grant(&self, id: &str) -> Option<&GrantRecord> {
        self.grant_ids.get(id).and_then(|&i| self.grants.get(i))
    }

    /// The key's grants whose grantee principal is one of `grantees`, in creation order.
    pub fn grants_to(&self, grantees: &[&str]) -> Vec<&GrantRecord> {
        let mut at: Vec<usize> = grantees
            .iter()
            .filter_map(|g| self.grants_by_grantee.get(*g))
            .flatten()
            .copied()
            .collect();
        if grantees.len() > 1 {
            at.sort_unstable();
            at.dedup();
        }
        at.into_iter().filter_map(|i| self.grants.get(i)).collect()
    }

    /// Every material version's id, if read before.
    pub fn material_ids(&self) -> Option<&[MaterialId]> {
        self.material_ids.get().map(Vec::as_slice)
    }

    pub fn set_material_ids(&self, ids: Vec<MaterialId>) -> &[MaterialId] {
        self.material_ids.get_or_init(|| ids)
    }

    pub fn grant_missing(&self, id: &str) -> bool {
        self.missing_grants
            .read()
            .map(|m| m.contains(id))
            .unwrap_or(false)
    }

    pub fn note_missing_grant(&self, id: String) {
        if let Ok(mut m) = self.missing_grants.write()
            && m.len() < 1024
        {
            m.insert(id);
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
