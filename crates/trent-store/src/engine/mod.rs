//! The one implementation of [`Store`]: every statement and every decision, written once over
//! a driver's [`Tx`]. A driver (`sqlite.rs`, `postgres.rs`) supplies only connections,
//! transactions, the change feed and the audit append.

pub(crate) mod catalog;
mod identity;
mod key_stores;
mod keys;

use std::future::Future;

use async_trait::async_trait;
use trent_core::model::{
    AccessKeyRecord, AccountId, AccountRecord, AliasName, AliasRecord, AuditDigest, AuditEntry,
    AuditQuery, AuditRecord, CustomKeyStoreId, GrantRecord, ImportToken, KeyId, KeyRecord,
    KeyStoreRecord, LastUsage, MaterialId, PrincipalRecord, PrincipalType, RotationType, Scope,
    SealedMaterial, SessionRecord, Tag, UnixMillis,
};
use trent_core::store::{
    AuditChain, AuditStore, Change, ChangeListener, KeyChange, KeyEntry, KeyStoreChange, Page,
    Resealer, SetChange, Store, StoreResult,
};

use crate::common::{MaterialOp, key_and_aliases};
use crate::sql::{Body, BoxFuture, Tx};

/// What a database driver gives the engine.
pub trait Driver: Send + Sync + std::fmt::Debug + 'static {
    /// Runs `body` on a connection, outside a transaction: reads.
    fn read<T: Send + 'static>(&self, body: Body<T>)
    -> impl Future<Output = StoreResult<T>> + Send;

    /// Runs `body` in one transaction that commits only if it succeeds, whatever becomes of
    /// the caller; after the commit, this node's listeners (and, with a shared database, the
    /// other nodes) hear of `changes`.
    fn write<T: Send + 'static>(
        &self,
        changes: Vec<Change>,
        body: Body<T>,
    ) -> impl Future<Output = StoreResult<T>> + Send;

    fn listen(&self, listener: ChangeListener);

    /// Waits for every call queued before this one.
    fn quiesce(&self) -> impl Future<Output = StoreResult<()>> + Send;

    /// Appends audit events to the one chain (the hot path's only write: each driver does it
    /// its fastest way).
    fn append_audit(
        &self,
        time: UnixMillis,
        events: Vec<AuditEntry>,
        chain: AuditChain,
    ) -> impl Future<Output = StoreResult<(i64, Vec<u8>)>> + Send;
}

/// A [`Store`] over a driver.
#[derive(Clone)]
pub struct Engine<D> {
    pub(crate) driver: D,
}

impl<D: Driver> std::fmt::Debug for Engine<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.driver.fmt(f)
    }
}

impl<D: Driver> Engine<D> {
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut dyn Tx) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        self.driver.read(Box::new(f)).await
    }

    async fn write<T, F>(&self, changes: Vec<Change>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut dyn Tx) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        self.driver.write(changes, Box::new(f)).await
    }

    /// Reads a key, lets `change` modify it, applies `material`, and writes it back with its
    /// version bumped: one transaction.
    async fn change_key(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: MaterialOp,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
        let (scope, id) = (scope.clone(), id.clone());
        let changes = vec![Change::Key {
            scope: scope.clone(),
            id: id.clone(),
        }];
        self.write(changes, move |tx| {
            Box::pin(async move { keys::apply_change(tx, &scope, &id, material, change).await })
        })
        .await
    }
}

/// The meta row of the audit trail's public key.
const AUDIT_PUBLIC_KEY: &str = "audit_public_key";

/// The change a write to a key announces.
fn key_change(scope: &Scope, id: &KeyId) -> Vec<Change> {
    vec![Change::Key {
        scope: scope.clone(),
        id: id.clone(),
    }]
}

fn alias_change(scope: &Scope) -> Vec<Change> {
    vec![Change::Aliases {
        scope: scope.clone(),
    }]
}

#[async_trait]
impl<D: Driver> AuditStore for Engine<D> {
    async fn append_audit(
        &self,
        time: UnixMillis,
        events: Vec<AuditEntry>,
        chain: AuditChain,
    ) -> StoreResult<(i64, Vec<u8>)> {
        self.driver.append_audit(time, events, chain).await
    }

    async fn audit_tail(&self) -> StoreResult<Option<AuditRecord>> {
        self.read(|tx| Box::pin(identity::audit_tail(tx))).await
    }

    async fn audit_records(&self, after_seq: i64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        self.read(move |tx| Box::pin(identity::audit_records(tx, after_seq, limit)))
            .await
    }

    async fn audit_lookup(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        let query = query.clone();
        self.read(move |tx| Box::pin(async move { identity::audit_lookup(tx, &query).await }))
            .await
    }

    async fn put_audit_digest(&self, digest: &AuditDigest) -> StoreResult<()> {
        let digest = digest.clone();
        self.write(Vec::new(), move |tx| {
            Box::pin(async move { identity::put_audit_digest(tx, &digest).await })
        })
        .await
    }

    async fn audit_digests(&self) -> StoreResult<Vec<AuditDigest>> {
        self.read(|tx| Box::pin(identity::audit_digests(tx))).await
    }

    async fn audit_public_key(&self) -> StoreResult<Option<Vec<u8>>> {
        self.read(|tx| Box::pin(async move { identity::meta(tx, AUDIT_PUBLIC_KEY).await }))
            .await
    }

    async fn put_audit_public_key(&self, key: &[u8]) -> StoreResult<()> {
        let key = key.to_vec();
        self.write(Vec::new(), move |tx| {
            Box::pin(async move { identity::put_meta(tx, AUDIT_PUBLIC_KEY, key).await })
        })
        .await
    }
}

#[async_trait]
impl<D: Driver> Store for Engine<D> {
    fn listen(&self, listener: ChangeListener) {
        self.driver.listen(listener);
    }

    async fn meta(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let name = name.to_owned();
        self.read(move |tx| Box::pin(async move { identity::meta(tx, &name).await }))
            .await
    }

    async fn put_meta(&self, name: &str, value: &[u8]) -> StoreResult<()> {
        let (name, value) = (name.to_owned(), value.to_vec());
        self.write(Vec::new(), move |tx| {
            Box::pin(async move { identity::put_meta(tx, &name, value).await })
        })
        .await
    }

    async fn delete_meta(&self, name: &str) -> StoreResult<()> {
        let name = name.to_owned();
        self.write(Vec::new(), move |tx| {
            Box::pin(async move { identity::delete_meta(tx, &name).await })
        })
        .await
    }

    async fn quiesce(&self) -> StoreResult<()> {
        self.driver.quiesce().await
    }

    async fn reseal_all(&self, reseal: Resealer) -> StoreResult<u64> {
        self.write(Vec::new(), move |tx| {
            Box::pin(async move { crate::sealed::reseal_all(tx, &reseal).await })
        })
        .await
    }

    async fn put_account(&self, account: &AccountRecord) -> StoreResult<()> {
        let account = account.clone();
        self.write(vec![Change::Identities], move |tx| {
            Box::pin(async move { identity::put_account(tx, &account).await })
        })
        .await
    }

    async fn accounts(&self) -> StoreResult<Vec<AccountRecord>> {
        self.read(|tx| Box::pin(identity::accounts(tx))).await
    }

    async fn put_access_key(&self, key: &AccessKeyRecord) -> StoreResult<()> {
        let key = key.clone();
        self.write(vec![Change::Identities], move |tx| {
            Box::pin(async move { identity::put_access_key(tx, &key).await })
        })
        .await
    }

    async fn access_keys(&self) -> StoreResult<Vec<AccessKeyRecord>> {
        self.read(|tx| Box::pin(identity::access_keys(tx))).await
    }

    async fn delete_access_key(&self, id: &str) -> StoreResult<()> {
        let id = id.to_owned();
        self.write(vec![Change::Identities], move |tx| {
            Box::pin(async move { identity::delete_access_key(tx, &id).await })
        })
        .await
    }

    async fn put_principal(&self, principal: &PrincipalRecord) -> StoreResult<()> {
        let p = principal.clone();
        self.write(vec![Change::Identities], move |tx| {
            Box::pin(async move { identity::put_principal(tx, &p).await })
        })
        .await
    }

    async fn delete_principal(
        &self,
        account: &AccountId,
        kind: PrincipalType,
        name: &str,
    ) -> StoreResult<()> {
        let (account, name) = (account.clone(), name.to_owned());
        self.write(vec![Change::Identities], move |tx| {
            Box::pin(async move { identity::delete_principal(tx, &account, kind, &name).await })
        })
        .await
    }

    async fn principals(&self) -> StoreResult<Vec<PrincipalRecord>> {
        self.read(|tx| Box::pin(identity::principals(tx))).await
    }

    async fn put_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let s = session.clone();
        self.write(vec![Change::Identities], move |tx| {
            Box::pin(async move { identity::put_session(tx, &s).await })
        })
        .await
    }

    async fn sessions(&self, now: UnixMillis) -> StoreResult<Vec<SessionRecord>> {
        self.read(move |tx| Box::pin(identity::sessions(tx, now)))
            .await
    }

    async fn delete_expired_sessions(&self, now: UnixMillis) -> StoreResult<u64> {
        self.write(Vec::new(), move |tx| {
            Box::pin(identity::delete_expired_sessions(tx, now))
        })
        .await
    }

    async fn create_key(
        &self,
        key: &KeyRecord,
        materials: &[SealedMaterial],
        tags: &[Tag],
        aliases: &[AliasRecord],
    ) -> StoreResult<()> {
        let (key, materials, tags, aliases) = (
            key.clone(),
            materials.to_vec(),
            tags.to_vec(),
            aliases.to_vec(),
        );
        // Only a key created with aliases changes its scope's aliases (and the alias lists of
        // the scope's cached keys).
        let changes = if aliases.is_empty() {
            key_change(&key.scope, &key.id)
        } else {
            key_and_aliases(&key.scope, &key.id)
        };
        self.write(changes, move |tx| {
            Box::pin(async move { keys::create(tx, &key, &materials, &tags, &aliases).await })
        })
        .await
    }

    async fn key(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyRecord>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.read(move |tx| Box::pin(async move { keys::key(tx, &scope, &id, false).await }))
            .await
    }

    async fn key_entry(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyEntry>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.read(move |tx| {
            Box::pin(async move {
                let Some(record) = keys::key(tx, &scope, &id, false).await? else {
                    return Ok(None);
                };
                let tags = catalog::tags(tx, &scope, &id).await?;
                let aliases = catalog::list_aliases(tx, &scope, Some(&id), "", usize::MAX)
                    .await?
                    .items;
                let current = keys::material(tx, &scope, &id, &record.current_material).await?;
                Ok(Some(KeyEntry {
                    record,
                    tags,
                    aliases,
                    current,
                }))
            })
        })
        .await
    }

    async fn modify_key(
        &self,
        scope: &Scope,
        id: &KeyId,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
        self.change_key(scope, id, MaterialOp::Keep, change).await
    }

    async fn rotate_key(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: &SealedMaterial,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
        self.change_key(scope, id, MaterialOp::Add(material.clone()), change)
            .await
    }

    async fn promote_material(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: &MaterialId,
        kind: RotationType,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
        self.change_key(scope, id, MaterialOp::Promote(*material, kind), change)
            .await
    }

    async fn delete_materials(
        &self,
        scope: &Scope,
        id: &KeyId,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
        self.change_key(scope, id, MaterialOp::DeleteAll, change)
            .await
    }

    async fn keys_with_expiring_material(
        &self,
        now: UnixMillis,
    ) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.read(move |tx| Box::pin(keys::with_expiring_material(tx, now)))
            .await
    }

    async fn put_import_token(&self, token: &ImportToken) -> StoreResult<()> {
        let token = token.clone();
        self.write(Vec::new(), move |tx| {
            Box::pin(async move { keys::put_import_token(tx, &token).await })
        })
        .await
    }

    async fn record_key_usage(&self, usage: &[(Scope, KeyId, LastUsage)]) -> StoreResult<()> {
        let usage = usage.to_vec();
        self.write(Vec::new(), move |tx| {
            Box::pin(async move { keys::record_usage(tx, &usage).await })
        })
        .await
    }

    async fn key_usage(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<LastUsage>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.read(move |tx| Box::pin(async move { keys::usage(tx, &scope, &id).await }))
            .await
    }

    async fn import_token(&self, token: &str) -> StoreResult<Option<ImportToken>> {
        let token = token.to_owned();
        self.read(move |tx| Box::pin(async move { keys::import_token(tx, &token).await }))
            .await
    }

    async fn keys_due_for_rotation(&self, now: UnixMillis) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.read(move |tx| Box::pin(keys::due_for_rotation(tx, now)))
            .await
    }

    async fn materials(&self, scope: &Scope, id: &KeyId) -> StoreResult<Vec<SealedMaterial>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.read(move |tx| Box::pin(async move { keys::materials(tx, &scope, &id).await }))
            .await
    }

    async fn change_keys(&self, changes: Vec<SetChange>) -> StoreResult<()> {
        let notices = changes
            .iter()
            .flat_map(|c| key_change(&c.scope, &c.id))
            .collect();
        self.write(notices, move |tx| Box::pin(keys::change_set(tx, changes)))
            .await
    }

    async fn key_set(&self, account: &AccountId, id: &KeyId) -> StoreResult<Vec<KeyRecord>> {
        let (account, id) = (account.clone(), id.clone());
        self.read(move |tx| Box::pin(async move { keys::set(tx, &account, &id).await }))
            .await
    }

    async fn keys_pending_replica_deletion(&self) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.read(|tx| Box::pin(keys::pending_replica_deletion(tx)))
            .await
    }

    async fn count_keys(&self, scope: &Scope) -> StoreResult<usize> {
        let scope = scope.clone();
        self.read(move |tx| Box::pin(async move { keys::count(tx, &scope).await }))
            .await
    }

    async fn list_keys(
        &self,
        scope: &Scope,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<KeyRecord>> {
        let (scope, after) = (scope.clone(), after.unwrap_or_default().to_owned());
        self.read(move |tx| Box::pin(async move { keys::list(tx, &scope, &after, limit).await }))
            .await
    }

    async fn material(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: &MaterialId,
    ) -> StoreResult<Option<SealedMaterial>> {
        let (scope, id, material) = (scope.clone(), id.clone(), *material);
        self.read(move |tx| {
            Box::pin(async move { keys::material(tx, &scope, &id, &material).await })
        })
        .await
    }

    async fn delete_key_if_due(
        &self,
        scope: &Scope,
        id: &KeyId,
        now: UnixMillis,
    ) -> StoreResult<()> {
        let (scope, id) = (scope.clone(), id.clone());
        let changes = key_and_aliases(&scope, &id);
        self.write(changes, move |tx| {
            Box::pin(async move { keys::delete_if_due(tx, &scope, &id, now).await })
        })
        .await
    }

    async fn keys_due_for_deletion(&self, now: UnixMillis) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.read(move |tx| Box::pin(keys::due_for_deletion(tx, now)))
            .await
    }

    async fn create_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        let alias = alias.clone();
        self.write(alias_change(&alias.scope), move |tx| {
            Box::pin(async move { catalog::create_alias(tx, &alias).await })
        })
        .await
    }

    async fn update_alias(
        &self,
        scope: &Scope,
        name: &AliasName,
        target: &KeyId,
        now: UnixMillis,
    ) -> StoreResult<()> {
        let (scope, name, target) = (scope.clone(), name.clone(), target.clone());
        self.write(alias_change(&scope), move |tx| {
            Box::pin(async move { catalog::update_alias(tx, &scope, &name, &target, now).await })
        })
        .await
    }

    async fn delete_alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<()> {
        let (scope, name) = (scope.clone(), name.clone());
        self.write(alias_change(&scope), move |tx| {
            Box::pin(async move { catalog::delete_alias(tx, &scope, &name).await })
        })
        .await
    }

    async fn alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<Option<AliasRecord>> {
        let (scope, name) = (scope.clone(), name.clone());
        self.read(move |tx| Box::pin(async move { catalog::alias(tx, &scope, &name).await }))
            .await
    }

    async fn list_aliases(
        &self,
        scope: &Scope,
        key: Option<&KeyId>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<AliasRecord>> {
        let (scope, key, after) = (
            scope.clone(),
            key.cloned(),
            after.unwrap_or_default().to_owned(),
        );
        self.read(move |tx| {
            Box::pin(
                async move { catalog::list_aliases(tx, &scope, key.as_ref(), &after, limit).await },
            )
        })
        .await
    }

    async fn tags(&self, scope: &Scope, id: &KeyId) -> StoreResult<Vec<Tag>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.read(move |tx| Box::pin(async move { catalog::tags(tx, &scope, &id).await }))
            .await
    }

    async fn tag_key(
        &self,
        scope: &Scope,
        id: &KeyId,
        tags: &[Tag],
        max: usize,
    ) -> StoreResult<()> {
        let (scope, id, tags) = (scope.clone(), id.clone(), tags.to_vec());
        self.write(key_change(&scope, &id), move |tx| {
            Box::pin(async move { catalog::tag_key(tx, &scope, &id, &tags, max).await })
        })
        .await
    }

    async fn untag_key(&self, scope: &Scope, id: &KeyId, keys: &[String]) -> StoreResult<()> {
        let (scope, id, keys) = (scope.clone(), id.clone(), keys.to_vec());
        self.write(key_change(&scope, &id), move |tx| {
            Box::pin(async move { catalog::untag_key(tx, &scope, &id, &keys).await })
        })
        .await
    }

    async fn create_grant(&self, grant: &GrantRecord, max: usize) -> StoreResult<String> {
        let grant = grant.clone();
        self.write(key_change(&grant.scope, &grant.key), move |tx| {
            Box::pin(async move { catalog::create_grant(tx, &grant, max).await })
        })
        .await
    }

    async fn grants(&self, scope: &Scope, key: &KeyId) -> StoreResult<Vec<GrantRecord>> {
        let (scope, key) = (scope.clone(), key.clone());
        self.read(move |tx| Box::pin(async move { catalog::grants(tx, &scope, &key).await }))
            .await
    }

    async fn list_grants(
        &self,
        scope: &Scope,
        key: &KeyId,
        grantee: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<GrantRecord>> {
        let (scope, key) = (scope.clone(), key.clone());
        let (grantee, after) = (grantee.map(str::to_owned), after.map(str::to_owned));
        self.read(move |tx| {
            Box::pin(async move {
                catalog::list_grants(
                    tx,
                    &scope,
                    &key,
                    grantee.as_deref(),
                    after.as_deref(),
                    limit,
                )
                .await
            })
        })
        .await
    }

    async fn grant(&self, id: &str) -> StoreResult<Option<GrantRecord>> {
        let id = id.to_owned();
        self.read(move |tx| Box::pin(async move { catalog::grant(tx, &id).await }))
            .await
    }

    async fn grants_retirable_by(&self, principal: &str) -> StoreResult<Vec<GrantRecord>> {
        let principal = principal.to_owned();
        self.read(move |tx| {
            Box::pin(async move { catalog::grants_retirable_by(tx, &principal).await })
        })
        .await
    }

    async fn delete_grant(&self, scope: &Scope, key: &KeyId, id: &str) -> StoreResult<()> {
        let (scope, key, id) = (scope.clone(), key.clone(), id.to_owned());
        self.write(key_change(&scope, &key), move |tx| {
            Box::pin(async move { catalog::delete_grant(tx, &scope, &key, &id).await })
        })
        .await
    }

    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixMillis,
        ttl_ms: i64,
    ) -> StoreResult<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(Vec::new(), move |tx| {
            Box::pin(async move { identity::try_lease(tx, &name, &holder, now, ttl_ms).await })
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(Vec::new(), move |tx| {
            Box::pin(async move { identity::release_lease(tx, &name, &holder).await })
        })
        .await
    }

    async fn create_key_store(&self, store: &KeyStoreRecord, max: usize) -> StoreResult<()> {
        let store = store.clone();
        self.write(vec![Change::KeyStores], move |tx| {
            Box::pin(async move { key_stores::create(tx, &store, max).await })
        })
        .await
    }

    async fn key_store(&self, id: &CustomKeyStoreId) -> StoreResult<Option<KeyStoreRecord>> {
        let id = id.clone();
        self.read(move |tx| Box::pin(async move { key_stores::get(tx, &id, false).await }))
            .await
    }

    async fn key_stores(&self, scope: Option<&Scope>) -> StoreResult<Vec<KeyStoreRecord>> {
        let scope = scope.cloned();
        self.read(move |tx| Box::pin(async move { key_stores::list(tx, scope.as_ref()).await }))
            .await
    }

    async fn modify_key_store(
        &self,
        id: &CustomKeyStoreId,
        change: KeyStoreChange,
    ) -> StoreResult<Result<KeyStoreRecord, trent_core::Error>> {
        let id = id.clone();
        self.write(vec![Change::KeyStores], move |tx| {
            Box::pin(async move { key_stores::modify(tx, &id, change).await })
        })
        .await
    }

    async fn delete_key_store(&self, id: &CustomKeyStoreId) -> StoreResult<()> {
        let id = id.clone();
        self.write(vec![Change::KeyStores], move |tx| {
            Box::pin(async move { key_stores::delete(tx, &id).await })
        })
        .await
    }
}
