//! A key as the core holds it in memory: its record, what authorization reads about it
//! (parsed key policy, tags, aliases, grants), and the material versions unsealed so far.
//!
//! The grants are read from the store only when something needs them (an evaluation that the
//! policies leave to the grants, a grant token, a grant operation), so a key with tens of
//! thousands of grants loads as fast as one with none, and a CreateGrant by a caller the key
//! policy allows does not read them all again.

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
    /// The key's grants, once read (`Kms::grants_of`). A tokio `OnceCell`: requests that
    /// need them while the first read is under way wait for it instead of each reading them.
    grants: tokio::sync::OnceCell<GrantSet>,
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

/// A key's grants in creation order, indexed by grant id and by grantee principal: a key
/// with tens of thousands of grants authorizes in time that does not grow with them.
#[derive(Debug, Default)]
pub struct GrantSet {
    grants: Vec<GrantRecord>,
    ids: HashMap<String, usize>,
    by_grantee: HashMap<String, Vec<usize>>,
}

impl GrantSet {
    pub fn new(grants: Vec<GrantRecord>) -> GrantSet {
        let mut ids = HashMap::with_capacity(grants.len());
        let mut by_grantee: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, g) in grants.iter().enumerate() {
            ids.insert(g.id.clone(), i);
            by_grantee.entry(g.grantee.clone()).or_default().push(i);
        }
        GrantSet {
            grants,
            ids,
            by_grantee,
        }
    }

    /// Every grant, in creation order.
    pub fn all(&self) -> &[GrantRecord] {
        &self.grants
    }

    /// The grant with this id.
    pub fn get(&self, id: &str) -> Option<&GrantRecord> {
        self.ids.get(id).and_then(|&i| self.grants.get(i))
    }

    /// The grants to `grantee` or to `also` (an assumed-role session's role), in creation
    /// order, read as they are needed.
    pub fn to<'a>(
        &'a self,
        grantee: &str,
        also: Option<&str>,
    ) -> impl Iterator<Item = &'a GrantRecord> + 'a {
        let list = |g: &str| {
            self.by_grantee
                .get(g)
                .map(Vec::as_slice)
                .unwrap_or_default()
        };
        let (first, second) = (list(grantee), also.map(list).unwrap_or_default());
        let at: std::borrow::Cow<'a, [usize]> = match (first.is_empty(), second.is_empty()) {
            (_, true) => first.into(),
            (true, false) => second.into(),
            (false, false) => {
                let mut both = [first, second].concat();
                both.sort_unstable();
                both.dedup();
                both.into()
            }
        };
        (0..at.len()).filter_map(move |i| at.get(i).and_then(|&g| self.grants.get(g)))
    }
}

impl CachedKey {
    pub fn new(
        record: KeyRecord,
        policy: Policy,
        tags: Vec<Tag>,
        aliases: Vec<String>,
    ) -> CachedKey {
        CachedKey {
            record,
            policy: Arc::new(policy),
            tags,
            aliases,
            grants: tokio::sync::OnceCell::new(),
            missing_grants: RwLock::new(std::collections::HashSet::new()),
            materials: RwLock::new(HashMap::new()),
            material_ids: std::sync::OnceLock::new(),
            sealed_current: std::sync::Mutex::new(None),
        }
    }

    /// The key's grants, if they were read.
    pub fn grants(&self) -> Option<&GrantSet> {
        self.grants.get()
    }

    /// The key's grants, read by `read` the first time: one read however many requests
    /// ask at once (the others wait for it); a failed read is tried again by the next.
    pub async fn load_grants<E, F>(&self, read: F) -> Result<&GrantSet, E>
    where
        F: std::future::Future<Output = Result<Vec<GrantRecord>, E>>,
    {
        self.grants
            .get_or_try_init(|| async { read.await.map(GrantSet::new) })
            .await
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
