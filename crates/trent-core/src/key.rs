//! A key as the core holds it in memory: its record, what authorization reads about it
//! (parsed key policy, tags, aliases, grants), and the material versions unsealed so far.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::model::{GrantRecord, KeyRecord, MaterialId, Tag};
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
    /// Grant ids that grant tokens named and the store did not have for this key, so a
    /// stale or foreign token costs one store read, not one per request.
    missing_grants: RwLock<std::collections::HashSet<String>>,
    materials: RwLock<HashMap<MaterialId, Arc<KeyMaterial>>>,
    /// The ids of every material version, once read (the XKS proxy's decryption names a
    /// version by a prefix of its id); a rotation changes the key, which is loaded again.
    material_ids: std::sync::OnceLock<Vec<MaterialId>>,
}

impl CachedKey {
    pub fn new(
        record: KeyRecord,
        policy: Policy,
        tags: Vec<Tag>,
        aliases: Vec<String>,
        grants: Vec<GrantRecord>,
    ) -> CachedKey {
        CachedKey {
            record,
            policy: Arc::new(policy),
            tags,
            aliases,
            grants,
            missing_grants: RwLock::new(std::collections::HashSet::new()),
            materials: RwLock::new(HashMap::new()),
            material_ids: std::sync::OnceLock::new(),
        }
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
