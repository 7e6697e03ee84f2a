//! The persistence seam: [`Store`], one method per transaction.
//!
//! Every mutating method is atomic: it commits whole or not at all.
//! `trent-store` implements it on SQLite (one process) and PostgreSQL (any number of nodes on
//! one database); both pass the same conformance suite.
//! The store only ever sees sealed material.

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::{
    AccessKeyRecord, AccountId, AccountRecord, AliasName, AliasRecord, AuditDigest, AuditEntry,
    AuditQuery, AuditRecord, CustomKeyStoreId, GrantRecord, ImportToken, KeyId, KeyRecord,
    KeyStoreRecord, LastUsage, MaterialId, PrincipalRecord, PrincipalType, Scope, SealedMaterial,
    SessionRecord, Tag, UnixMillis,
};

/// Failures of a store, by kind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference rule was broken; `constraint` says which.
    #[error("conflict on {constraint:?}")]
    Conflict { constraint: Constraint },
    /// A limit enforced inside the transaction was reached.
    #[error("limit exceeded: {0}")]
    Limit(&'static str),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store corrupt: {0}")]
    Corrupt(String),
    /// The disk (or the database's size limit) is full; nothing was written.
    #[error("store full: {0}")]
    Full(String),
    /// A change of a batch refused; the batch was rolled back.
    #[error("refused: {0}")]
    Refused(Box<crate::Error>),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The rule a [`StoreError::Conflict`] broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// An alias of that name exists in the scope.
    Alias,
    /// A key with that id exists in the scope.
    Key,
    /// A custom key store of that name exists in the scope.
    KeyStoreName,
    /// An access key with that id exists.
    AccessKey,
    /// An audit digest ending at that sequence number exists.
    AuditDigest,
    /// A row names a key (or account) that does not exist.
    ForeignKey,
    /// Another uniqueness rule.
    Other,
}

/// A committed change that caches must see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A key's record, tags or grants changed, or the key was created or deleted.
    Key { scope: Scope, id: KeyId },
    /// The aliases of a scope changed.
    Aliases { scope: Scope },
    /// Accounts, principals, access keys or sessions changed: the identity directory must be
    /// read again.
    Identities,
    /// Custom key stores changed (created, connected, disconnected, updated, deleted).
    KeyStores,
    /// Anything may have changed (a node lost its change feed and cannot tell what it
    /// missed): every cached key and alias must go.
    All,
}

/// Called by a store after every commit that changes keys or aliases, from the store's own
/// execution context: a request abandoned while its write was in flight still has the change
/// seen once it commits. Other nodes' changes arrive the same way, from PostgreSQL's
/// `LISTEN/NOTIFY`.
pub type ChangeListener = Arc<dyn Fn(&Change) + Send + Sync>;

/// A change to a key record, applied inside the store's transaction; it may refuse.
pub type KeyChange = Box<dyn FnOnce(&mut KeyRecord) -> Result<(), crate::Error> + Send>;

/// A change to a custom key store's record, applied inside the store's transaction; it may
/// refuse.
pub type KeyStoreChange = Box<dyn FnOnce(&mut KeyStoreRecord) -> Result<(), crate::Error> + Send>;

/// One key's part of a change to several keys at once (a multi-Region set).
pub struct SetChange {
    pub scope: Scope,
    pub id: KeyId,
    /// A material version to add (or fill again).
    pub material: Option<SealedMaterial>,
    pub change: KeyChange,
}

impl std::fmt::Debug for SetChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetChange")
            .field("scope", &self.scope)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A page of results and whether more follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub truncated: bool,
}

/// A key with what the key cache keeps beside its record, read together: what a key that is
/// not in memory costs (one store read). Its grants are read when they are needed.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyEntry {
    pub record: KeyRecord,
    /// Its tags by key.
    pub tags: Vec<Tag>,
    /// The aliases that point at it, by name.
    pub aliases: Vec<AliasRecord>,
    /// Its current material version, still sealed (`None` while it has none).
    pub current: Option<SealedMaterial>,
}

/// Where a sealed value lives in the store, so that the core can name the AAD it is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SealedSlot {
    /// A meta row (only some hold sealed values; the resealer knows which).
    Meta { name: String },
    /// An access key's secret.
    AccessKey { id: String },
    /// A custom key store's password.
    KeyStorePassword { id: CustomKeyStoreId },
    /// A session's secret.
    SessionSecret { access_key_id: String },
    /// A session's token.
    SessionToken { access_key_id: String },
    /// A material version of a key.
    Material {
        scope: Scope,
        key: KeyId,
        material: MaterialId,
    },
    /// An import token's wrapping private key.
    ImportToken {
        token: String,
        scope: Scope,
        key: KeyId,
    },
}

/// The audit chain's hash: of the previous record's hash, a sequence number and an event.
pub type AuditChain = fn(&[u8], i64, &str) -> Vec<u8>;

/// Re-seals one value: its new sealing, `Ok(None)` to leave it as it is, or why it cannot be
/// opened (which rolls the whole re-seal back).
pub type Resealer =
    Arc<dyn Fn(&SealedSlot, &[u8]) -> Result<Option<Vec<u8>>, String> + Send + Sync>;

/// Durable state: accounts, IAM principals, access keys and sessions; keys with their sealed
/// material, aliases, tags and grants.
/// The audit trail as a store keeps it: what the audit writer and the trail's readers
/// (LookupEvents, `trent audit`) need, and nothing else.
#[async_trait]
pub trait AuditStore: Send + Sync + std::fmt::Debug {
    /// Appends events to the audit chain in one transaction: each gets the next sequence
    /// number and the hash `chain(previous hash, seq, event)`, continuing from the tail the
    /// store holds (the first record chains to 32 zero bytes), so that several nodes writing
    /// one store make one gapless chain. Returns the sequence number and hash of the last
    /// record written (the tail as it was if `events` is empty).
    async fn append_audit(
        &self,
        time: UnixMillis,
        events: Vec<AuditEntry>,
        chain: AuditChain,
    ) -> StoreResult<(i64, Vec<u8>)>;
    /// The last audit record, to continue the chain from.
    async fn audit_tail(&self) -> StoreResult<Option<AuditRecord>>;
    /// Audit records after `after_seq`, in order, at most `limit`.
    async fn audit_records(&self, after_seq: i64, limit: usize) -> StoreResult<Vec<AuditRecord>>;
    /// The records a lookup selects, in the cursor's order, at most `query.limit`, found
    /// through the indexes on account, event name and key.
    async fn audit_lookup(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>>;
    /// `Conflict { constraint: Constraint::AuditDigest }` if a digest already ends at its `last_seq`.
    async fn put_audit_digest(&self, digest: &AuditDigest) -> StoreResult<()>;
    /// Every digest, in order.
    async fn audit_digests(&self) -> StoreResult<Vec<AuditDigest>>;
    /// The public key (DER) the digests are signed with, once there is one.
    async fn audit_public_key(&self) -> StoreResult<Option<Vec<u8>>>;
    async fn put_audit_public_key(&self, key: &[u8]) -> StoreResult<()>;
}

#[async_trait]
pub trait Store: AuditStore {
    /// Registers a listener to call after every commit that changes keys or aliases.
    fn listen(&self, listener: ChangeListener);

    /// A small named value (the root-key check, format markers).
    async fn meta(&self, name: &str) -> StoreResult<Option<Vec<u8>>>;
    async fn put_meta(&self, name: &str, value: &[u8]) -> StoreResult<()>;
    async fn delete_meta(&self, name: &str) -> StoreResult<()>;

    /// Returns once every call queued before it has finished, including writes whose callers
    /// stopped waiting for them (a dropped request's transaction still commits).
    async fn quiesce(&self) -> StoreResult<()>;

    /// Passes every sealed value the store holds through `reseal` and writes back what it
    /// returns, in one transaction (a failure leaves everything as it was). Returns how many
    /// values were rewritten.
    async fn reseal_all(&self, reseal: Resealer) -> StoreResult<u64>;

    async fn put_account(&self, account: &AccountRecord) -> StoreResult<()>;
    async fn accounts(&self) -> StoreResult<Vec<AccountRecord>>;
    async fn put_access_key(&self, key: &AccessKeyRecord) -> StoreResult<()>;
    async fn access_keys(&self) -> StoreResult<Vec<AccessKeyRecord>>;
    /// Removes an access key; absent keys are not an error.
    async fn delete_access_key(&self, id: &str) -> StoreResult<()>;

    /// Creates or replaces an IAM user or role.
    async fn put_principal(&self, principal: &PrincipalRecord) -> StoreResult<()>;
    /// Deletes a user (with its access keys) or a role; `NotFound` if there is none.
    async fn delete_principal(
        &self,
        account: &AccountId,
        kind: PrincipalType,
        name: &str,
    ) -> StoreResult<()>;
    /// Every user and role.
    async fn principals(&self) -> StoreResult<Vec<PrincipalRecord>>;
    async fn put_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// Sessions that expire after `now`.
    async fn sessions(&self, now: UnixMillis) -> StoreResult<Vec<SessionRecord>>;
    /// Forgets sessions that expired at or before `now`; how many.
    async fn delete_expired_sessions(&self, now: UnixMillis) -> StoreResult<u64>;

    /// Creates a key with its material versions (none for a key awaiting imported material;
    /// every version of its primary for a multi-Region replica), tags and aliases in one
    /// transaction.
    /// Fails with `Conflict { constraint: Constraint::Key }` if the id exists, `Constraint::Alias`
    /// if an alias does.
    async fn create_key(
        &self,
        key: &KeyRecord,
        materials: &[SealedMaterial],
        tags: &[Tag],
        aliases: &[AliasRecord],
    ) -> StoreResult<()>;
    async fn key(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyRecord>>;
    /// A key with its tags, aliases and sealed current material, in one read of the store.
    async fn key_entry(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyEntry>>;
    /// Reads a key, lets `change` modify the record, and writes it back with its version
    /// bumped, all in one transaction, so concurrent changes serialize instead of overwriting
    /// each other. When `change` refuses, its error comes back as `Ok(Err(_))` and nothing is
    /// written; nothing is written either when the record is unchanged. `NotFound` if the key
    /// does not exist.
    async fn modify_key(
        &self,
        scope: &Scope,
        id: &KeyId,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, crate::Error>>;
    /// [`Store::modify_key`] that also adds a material version (a rotation), in the same
    /// transaction; the change sets the key's current material and rotation state.
    async fn rotate_key(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: &SealedMaterial,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, crate::Error>>;
    /// [`Store::modify_key`] that also makes a pending material version (imported as new key
    /// material) a completed rotation of `kind`; `NotFound` if no such pending version.
    async fn promote_material(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: &MaterialId,
        kind: crate::model::RotationType,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, crate::Error>>;
    /// [`Store::modify_key`] that also deletes every material version of the key (imported
    /// material deleted or expired), in the same transaction.
    async fn delete_materials(
        &self,
        scope: &Scope,
        id: &KeyId,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, crate::Error>>;
    /// Keys whose imported material expires at or before `now`.
    async fn keys_with_expiring_material(
        &self,
        now: UnixMillis,
    ) -> StoreResult<Vec<(Scope, KeyId)>>;
    async fn put_import_token(&self, token: &ImportToken) -> StoreResult<()>;
    /// Records keys' last usage in one transaction; keys that no longer exist are skipped.
    async fn record_key_usage(&self, usage: &[(Scope, KeyId, LastUsage)]) -> StoreResult<()>;
    async fn key_usage(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<LastUsage>>;
    async fn import_token(&self, token: &str) -> StoreResult<Option<ImportToken>>;
    /// Keys whose automatic rotation is due at or before `now`.
    async fn keys_due_for_rotation(&self, now: UnixMillis) -> StoreResult<Vec<(Scope, KeyId)>>;
    /// A key's material versions, oldest first.
    async fn materials(&self, scope: &Scope, id: &KeyId) -> StoreResult<Vec<SealedMaterial>>;
    /// Applies changes to several keys (each with an optional material version) in one
    /// transaction; `Refused` if any change refuses, and then nothing is written.
    async fn change_keys(&self, changes: Vec<SetChange>) -> StoreResult<()>;
    /// Every key of an account with this id, one per Region (a multi-Region key set).
    async fn key_set(&self, account: &AccountId, id: &KeyId) -> StoreResult<Vec<KeyRecord>>;
    /// Primary keys waiting for their replicas to be deleted.
    async fn keys_pending_replica_deletion(&self) -> StoreResult<Vec<(Scope, KeyId)>>;
    /// How many keys a scope holds (the KMS-keys-per-Region quota).
    async fn count_keys(&self, scope: &Scope) -> StoreResult<usize>;
    /// Keys of a scope in key-id order, starting after `after`.
    async fn list_keys(
        &self,
        scope: &Scope,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<KeyRecord>>;
    async fn material(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: &MaterialId,
    ) -> StoreResult<Option<SealedMaterial>>;
    /// Deletes a key for good (its record, every material, its aliases and tags) if it is still
    /// pending deletion with a deletion date at or before `now`; `NotFound` otherwise.
    async fn delete_key_if_due(
        &self,
        scope: &Scope,
        id: &KeyId,
        now: UnixMillis,
    ) -> StoreResult<()>;
    /// Keys in `PendingDeletion` whose deletion date is at or before `now`.
    async fn keys_due_for_deletion(&self, now: UnixMillis) -> StoreResult<Vec<(Scope, KeyId)>>;

    /// `Conflict { constraint: Constraint::Alias }` if the name is taken.
    async fn create_alias(&self, alias: &AliasRecord) -> StoreResult<()>;
    /// Points an existing alias at another key; `NotFound` if there is no such alias.
    async fn update_alias(
        &self,
        scope: &Scope,
        name: &AliasName,
        target: &KeyId,
        now: UnixMillis,
    ) -> StoreResult<()>;
    async fn delete_alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<()>;
    async fn alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<Option<AliasRecord>>;
    /// Aliases of a scope (of one key if `key` is given) in name order, after `after`.
    async fn list_aliases(
        &self,
        scope: &Scope,
        key: Option<&KeyId>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<AliasRecord>>;

    /// A key's tags in key order.
    async fn tags(&self, scope: &Scope, id: &KeyId) -> StoreResult<Vec<Tag>>;
    /// Adds or overwrites tags; `Limit` if the key would have more than `max` tags.
    async fn tag_key(&self, scope: &Scope, id: &KeyId, tags: &[Tag], max: usize)
    -> StoreResult<()>;
    async fn untag_key(&self, scope: &Scope, id: &KeyId, keys: &[String]) -> StoreResult<()>;

    /// Adds a grant and returns its id, or, when the grant has a name and the key already has
    /// a grant of that name on the same terms, returns that grant's id and adds nothing
    /// (decided inside the transaction, so concurrent retries make one grant). `Limit` if the
    /// key would have more than `max` grants, `NotFound` if the key is gone.
    async fn create_grant(&self, grant: &GrantRecord, max: usize) -> StoreResult<String>;
    /// A key's grants in creation order.
    async fn grants(&self, scope: &Scope, key: &KeyId) -> StoreResult<Vec<GrantRecord>>;
    /// A page of a key's grants in creation order, to `grantee` only if given, after the grant
    /// with id `after` (which must be the key's).
    async fn list_grants(
        &self,
        scope: &Scope,
        key: &KeyId,
        grantee: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<GrantRecord>>;
    /// A grant by id, whatever its key.
    async fn grant(&self, id: &str) -> StoreResult<Option<GrantRecord>>;
    /// Grants whose retiring principal is `principal`, in id order.
    async fn grants_retirable_by(&self, principal: &str) -> StoreResult<Vec<GrantRecord>>;
    /// Deletes a grant of a key; `NotFound` if the key has no such grant.
    async fn delete_grant(&self, scope: &Scope, key: &KeyId, id: &str) -> StoreResult<()>;

    /// Takes or renews the lease `name` for `holder` until `now + ttl_ms`: true if `holder`
    /// holds it now (it was free, expired, or already `holder`'s), false if another holder's
    /// lease is still running. Background work that must run once across many nodes runs only
    /// under its lease; a node that dies loses its leases when they expire.
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixMillis,
        ttl_ms: i64,
    ) -> StoreResult<bool>;

    /// Gives the lease `name` up if `holder` holds it (a node stopping cleanly), so that
    /// another node can take it at once.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;

    // Custom key stores.

    /// Adds a custom key store. `Conflict(KeyStoreName)` if its scope has a store of that name,
    /// `Limit` if the scope would have more than `max` stores (counted inside the transaction).
    async fn create_key_store(&self, store: &KeyStoreRecord, max: usize) -> StoreResult<()>;
    /// A custom key store by id, whatever its scope.
    async fn key_store(&self, id: &CustomKeyStoreId) -> StoreResult<Option<KeyStoreRecord>>;
    /// The custom key stores of a scope (of every scope with `None`), oldest first.
    async fn key_stores(&self, scope: Option<&Scope>) -> StoreResult<Vec<KeyStoreRecord>>;
    /// Applies `change` to a store's current record inside one transaction; `NotFound` if there
    /// is no such store, `Ok(Err)` when `change` refuses, `Conflict(KeyStoreName)` for a name in
    /// use.
    async fn modify_key_store(
        &self,
        id: &CustomKeyStoreId,
        change: KeyStoreChange,
    ) -> StoreResult<Result<KeyStoreRecord, crate::Error>>;
    /// Deletes a store that is `DISCONNECTED` and holds no keys (any state, pending deletion
    /// too): `Conflict(ForeignKey)` if it holds keys, `NotFound` if it is not there or not
    /// disconnected.
    async fn delete_key_store(&self, id: &CustomKeyStoreId) -> StoreResult<()>;
}
