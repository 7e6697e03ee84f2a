//! Custom key stores of type `AWS_CLOUDHSM`: the six management operations, the connection
//! state machine, and the HSM sessions the keys of connected stores are used through.
//!
//! A store's record (and its `ConnectionState`) is in the `Store`, shared by every node; a
//! node's logged-in session with the store's cluster is its own, opened when the store
//! connects or, on a node that did not connect it (or after a restart), on first use of a
//! store whose record says `CONNECTED`. Records are cached in memory and dropped on every
//! `Change::KeyStores`, so a warm key of a connected store costs no store read.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::backend::{BackendError, HsmClusters, HsmSession, NoClusters, NoXksProxies, XksProxies};
use crate::error::{Error, KeyStoreFault, Result};
use crate::kms::Kms;
use crate::model::{
    ConnectionErrorCode, ConnectionState, CustomKeyStoreId, KeyRecord, KeyState, KeyStoreRecord,
    KeyStoreType, RequestContext, Scope, XksProxyConnectivity, XksProxySettings,
};
use crate::store::{Constraint, Page, StoreError};
use crate::vault::Purpose;

/// How long a node waits before it logs in again to a cluster that did not answer.
const LOGIN_RETRY_MILLIS: i64 = 5_000;

/// AWS's quota of custom key stores per account and Region.
pub const MAX_KEY_STORES_PER_SCOPE: usize = 10;

/// A node's session with a store and the cluster it is logged in to.
type Held = (String, Arc<dyn HsmSession>);

/// An external store's proxy secret, unsealed, with the sealed value it came from.
type Unsealed = (Vec<u8>, Arc<crate::secret::Secret>);

/// The key stores a node knows: the cached records and its sessions.
#[derive(Debug)]
pub(crate) struct KeyStores {
    clusters: RwLock<Arc<dyn HsmClusters>>,
    /// Every store's record, by id, once read; `None` until then and after a change.
    records: RwLock<Option<Arc<HashMap<CustomKeyStoreId, KeyStoreRecord>>>>,
    /// Bumped by every invalidation, so that a read begun before it is not cached after it.
    epoch: AtomicU64,
    /// This node's sessions, by store, each with the cluster it is logged in to (a store
    /// moved to a related cluster needs a session there).
    sessions: Mutex<HashMap<CustomKeyStoreId, Held>>,
    /// When this node last failed to log in to a store's cluster on first use, so that a
    /// cluster that does not answer is not asked again on every request.
    failed_logins: Mutex<HashMap<CustomKeyStoreId, crate::model::UnixMillis>>,
    /// Serializes this node's management calls (each a read, a decision and a write).
    pub(crate) lock: tokio::sync::Mutex<()>,
    /// The way to external key stores' proxies.
    proxies: RwLock<Arc<dyn XksProxies>>,
    /// External stores' proxy secrets, unsealed, each with the sealed value it came from.
    secrets: Mutex<HashMap<CustomKeyStoreId, Unsealed>>,
}

impl Default for KeyStores {
    fn default() -> KeyStores {
        KeyStores::new(Arc::new(NoClusters))
    }
}

impl KeyStores {
    pub(crate) fn new(clusters: Arc<dyn HsmClusters>) -> KeyStores {
        KeyStores {
            clusters: RwLock::new(clusters),
            records: RwLock::new(None),
            epoch: AtomicU64::new(0),
            sessions: Mutex::new(HashMap::new()),
            failed_logins: Mutex::new(HashMap::new()),
            lock: tokio::sync::Mutex::new(()),
            proxies: RwLock::new(Arc::new(NoXksProxies)),
            secrets: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn proxies(&self) -> Arc<dyn XksProxies> {
        match self.proxies.read() {
            Ok(proxies) => proxies.clone(),
            Err(_) => Arc::new(NoXksProxies),
        }
    }

    pub(crate) fn set_proxies(&self, proxies: Arc<dyn XksProxies>) {
        if let Ok(mut held) = self.proxies.write() {
            *held = proxies;
        }
    }

    /// A store's unsealed proxy secret, if it was unsealed from this sealed value.
    pub(crate) fn secret(
        &self,
        id: &CustomKeyStoreId,
        sealed: &[u8],
    ) -> Option<Arc<crate::secret::Secret>> {
        match self.secrets.lock().ok()?.get(id) {
            Some((from, secret)) if from.as_slice() == sealed => Some(secret.clone()),
            _ => None,
        }
    }

    pub(crate) fn put_secret(
        &self,
        id: &CustomKeyStoreId,
        sealed: &[u8],
        secret: Arc<crate::secret::Secret>,
    ) {
        if let Ok(mut secrets) = self.secrets.lock() {
            secrets.insert(id.clone(), (sealed.to_vec(), secret));
        }
    }

    fn clusters(&self) -> Arc<dyn HsmClusters> {
        match self.clusters.read() {
            Ok(clusters) => clusters.clone(),
            Err(_) => Arc::new(NoClusters),
        }
    }

    /// Drops the cached records (a store changed, here or on another node).
    pub(crate) fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut records) = self.records.write() {
            *records = None;
        }
        // A deleted store's secret must not outlive it; the others are unsealed again once.
        if let Ok(mut secrets) = self.secrets.lock() {
            secrets.clear();
        }
    }

    /// This node's session with a store, if it is logged in to `cluster`.
    fn session(&self, id: &CustomKeyStoreId, cluster: &str) -> Option<Arc<dyn HsmSession>> {
        match self.sessions.lock().ok()?.get(id) {
            Some((logged_in, session)) if logged_in == cluster => Some(session.clone()),
            _ => None,
        }
    }

    fn put_session(&self, id: &CustomKeyStoreId, cluster: &str, session: Arc<dyn HsmSession>) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(id.clone(), (cluster.to_owned(), session));
        }
        if let Ok(mut failed) = self.failed_logins.lock() {
            failed.remove(id);
        }
    }

    /// Logs out of a store's cluster (its session is dropped).
    fn drop_session(&self, id: &CustomKeyStoreId) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(id);
        }
    }
}

/// What CreateCustomKeyStore asks for.
#[derive(Debug)]
pub struct CreateKeyStoreInput {
    pub name: String,
    /// `CustomKeyStoreType`; `AWS_CLOUDHSM` when not given.
    pub kind: Option<KeyStoreType>,
    pub cluster_id: Option<String>,
    pub trust_anchor: Option<String>,
    pub password: Option<crate::secret::Secret>,
    pub xks: XksProxyInput,
}

/// The `XksProxy*` members of CreateCustomKeyStore and UpdateCustomKeyStore, as given (their
/// patterns are the model's, checked before).
#[derive(Debug, Default)]
pub struct XksProxyInput {
    pub uri_endpoint: Option<String>,
    pub uri_path: Option<String>,
    pub connectivity: Option<XksProxyConnectivity>,
    pub vpc_endpoint_service_name: Option<String>,
    pub vpc_endpoint_service_owner: Option<String>,
    /// `XksProxyAuthenticationCredential`: the access key id and the raw secret.
    pub credential: Option<(String, crate::secret::Secret)>,
}

impl XksProxyInput {
    /// The first member given, by its wire name.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.uri_endpoint.is_some(), "XksProxyUriEndpoint"),
            (self.uri_path.is_some(), "XksProxyUriPath"),
            (self.connectivity.is_some(), "XksProxyConnectivity"),
            (
                self.vpc_endpoint_service_name.is_some(),
                "XksProxyVpcEndpointServiceName",
            ),
            (
                self.vpc_endpoint_service_owner.is_some(),
                "XksProxyVpcEndpointServiceOwner",
            ),
            (
                self.credential.is_some(),
                "XksProxyAuthenticationCredential",
            ),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name))
    }
}

/// What UpdateCustomKeyStore asks for.
#[derive(Debug)]
pub struct UpdateKeyStoreInput {
    pub id: String,
    pub new_name: Option<String>,
    pub cluster_id: Option<String>,
    pub password: Option<crate::secret::Secret>,
    pub xks: XksProxyInput,
}

/// Which stores DescribeCustomKeyStores lists.
#[derive(Debug, Default)]
pub struct DescribeKeyStoresInput {
    pub id: Option<String>,
    pub name: Option<String>,
    pub limit: usize,
    pub marker: Option<String>,
}

fn fault(kind: KeyStoreFault, message: impl Into<String>) -> Error {
    Error::KeyStore {
        kind,
        message: message.into(),
    }
}

/// `CustomKeyStoreInvalidStateException` for a store that must be connected and is not.
fn not_connected(id: &impl std::fmt::Display, state: ConnectionState) -> Error {
    fault(
        KeyStoreFault::InvalidState,
        format!("Custom key store '{id}' is not connected. Its connection state is {state}."),
    )
}

fn name_in_use(name: &str) -> Error {
    fault(
        KeyStoreFault::NameInUse,
        format!("Custom key store name '{name}' is already in use."),
    )
}

fn cluster_not_active(cluster: &str) -> Error {
    fault(
        KeyStoreFault::ClusterNotActive,
        format!("AWS CloudHSM cluster {cluster} is not active."),
    )
}

fn not_found(id: &str) -> Error {
    fault(
        KeyStoreFault::NotFound,
        format!("Custom key store '{id}' does not exist"),
    )
}

/// A trust anchor as compared: its lines without surrounding whitespace, blank lines left out.
fn normalized(pem: &str) -> String {
    pem.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Kms {
    /// The clusters key stores may use (none unless the config declares some).
    pub fn with_clusters(self, clusters: Arc<dyn HsmClusters>) -> Kms {
        if let Ok(mut held) = self.key_stores.clusters.write() {
            *held = clusters;
        }
        self
    }

    /// Every store's record, from memory once read.
    pub(crate) async fn key_store_records(
        &self,
    ) -> Result<Arc<HashMap<CustomKeyStoreId, KeyStoreRecord>>> {
        if let Ok(records) = self.key_stores.records.read()
            && let Some(records) = records.as_ref()
        {
            return Ok(records.clone());
        }
        let epoch = self.key_stores.epoch.load(Ordering::SeqCst);
        let all: HashMap<_, _> = self
            .store
            .key_stores(None)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let all = Arc::new(all);
        if let Ok(mut records) = self.key_stores.records.write()
            && self.key_stores.epoch.load(Ordering::SeqCst) == epoch
        {
            *records = Some(all.clone());
        }
        Ok(all)
    }

    /// A store of the caller's scope by id; `CustomKeyStoreNotFoundException` otherwise.
    async fn scoped_key_store(&self, scope: &Scope, id: &str) -> Result<KeyStoreRecord> {
        let parsed = CustomKeyStoreId::parse(id).ok_or_else(|| not_found(id))?;
        match self.store.key_store(&parsed).await? {
            Some(record) if &record.scope == scope => Ok(record),
            _ => Err(not_found(id)),
        }
    }

    /// The state a key is in, as DescribeKey shows it: a key of a store that is not
    /// connected is `Unavailable` unless it is pending deletion.
    pub(crate) async fn key_state(&self, record: &KeyRecord) -> Result<KeyState> {
        let Some(store) = &record.custom_key_store else {
            return Ok(record.state);
        };
        if !matches!(record.state, KeyState::Enabled | KeyState::Disabled) {
            return Ok(record.state);
        }
        let records = self.key_store_records().await?;
        let connected = records
            .get(store)
            .is_some_and(|s| s.state == ConnectionState::Connected);
        Ok(if connected {
            record.state
        } else {
            KeyState::Unavailable
        })
    }

    /// A key's record with the state DescribeKey shows.
    pub(crate) async fn shown(&self, record: &KeyRecord) -> Result<KeyRecord> {
        let state = self.key_state(record).await?;
        Ok(KeyRecord {
            state,
            ..record.clone()
        })
    }

    /// The cluster a store's key lives in, for DescribeKey's `CloudHsmClusterId`.
    pub async fn key_store_cluster(&self, id: &CustomKeyStoreId) -> Result<Option<String>> {
        Ok(self
            .key_store_records()
            .await?
            .get(id)
            .filter(|r| r.kind == KeyStoreType::AwsCloudhsm)
            .map(|r| r.cluster_id.clone()))
    }

    /// The session of a connected store: this node's, or a new one if the record says the
    /// store is connected and this node has none yet (another node connected it, or Trent
    /// restarted). `CustomKeyStoreInvalidStateException` if the store is not connected.
    pub(crate) async fn hsm(&self, id: &CustomKeyStoreId) -> Result<Arc<dyn HsmSession>> {
        let records = self.key_store_records().await?;
        let Some(record) = records.get(id) else {
            return Err(not_found(id.as_str()));
        };
        if record.state != ConnectionState::Connected {
            self.key_stores.drop_session(id);
            return Err(not_connected(id, record.state));
        }
        if let Some(session) = self.key_stores.session(id, &record.cluster_id) {
            return Ok(session);
        }
        let now = self.clock.now();
        let recently_failed = self
            .key_stores
            .failed_logins
            .lock()
            .ok()
            .and_then(|f| f.get(id).copied())
            .is_some_and(|at| now.0.saturating_sub(at.0) < LOGIN_RETRY_MILLIS);
        if recently_failed {
            return Err(cannot_communicate());
        }
        let password = self
            .vault
            .unseal(Purpose::KeyStorePassword { id }, &record.sealed_password)?;
        match self
            .key_stores
            .clusters()
            .connect(&record.cluster_id, &password)
        {
            Ok(session) => {
                self.key_stores
                    .put_session(id, &record.cluster_id, session.clone());
                Ok(session)
            }
            Err(code) => {
                tracing::warn!(store = %id, cluster = %record.cluster_id, code = %code, "cannot open a session with a custom key store's cluster");
                if matches!(
                    code,
                    ConnectionErrorCode::InvalidCredentials
                        | ConnectionErrorCode::UserLockedOut
                        | ConnectionErrorCode::UserNotFound
                ) {
                    // Logging in again would only lock the user out: the store is FAILED,
                    // as AWS shows it, until an operator disconnects and fixes it.
                    let _ = self
                        .set_connection(id, ConnectionState::Failed, Some(code), |s| {
                            s == ConnectionState::Connected
                        })
                        .await;
                } else if let Ok(mut failed) = self.key_stores.failed_logins.lock() {
                    failed.insert(id.clone(), now);
                }
                Err(cannot_communicate())
            }
        }
    }

    /// Runs a call on a store's session; a session that failed because its HSM went away is
    /// dropped, so that the next call opens a new one.
    /// `key` is the key the call uses, named when its object is missing.
    pub(crate) async fn with_hsm<T>(
        &self,
        id: &CustomKeyStoreId,
        key: Option<&KeyRecord>,
        call: impl FnOnce(&dyn HsmSession) -> std::result::Result<T, BackendError>,
    ) -> Result<T> {
        let session = self.hsm(id).await?;
        match call(session.as_ref()) {
            Ok(value) => Ok(value),
            Err(BackendError::Unavailable(why)) => {
                self.key_stores.drop_session(id);
                tracing::warn!(store = %id, error = %why, "the HSM of a custom key store is unreachable");
                Err(cannot_communicate())
            }
            Err(BackendError::KeyMissing) => match key {
                Some(record) => Err(key_material_missing(record)),
                None => Err(Error::internal("a key object is missing from its HSM")),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// AES-GCM under a key store key's object, inside its HSM: the ciphertext, then its tag.
    /// The object is the key's one material (a key store's key never rotates).
    pub(crate) async fn hsm_encrypt(
        &self,
        store: &CustomKeyStoreId,
        record: &KeyRecord,
        iv: &[u8; 12],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let material = record.current_material;
        self.with_hsm(store, Some(record), |hsm| {
            hsm.encrypt(record.id.as_str(), &material.0, iv, aad, plaintext)
        })
        .await
    }

    /// Opens what [`Kms::hsm_encrypt`] sealed; `InvalidCiphertext` when the tag does not check.
    pub(crate) async fn hsm_decrypt(
        &self,
        store: &CustomKeyStoreId,
        record: &KeyRecord,
        iv: &[u8; 12],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<crate::secret::Plaintext> {
        let material = record.current_material;
        self.with_hsm(store, Some(record), |hsm| {
            hsm.decrypt(record.id.as_str(), &material.0, iv, aad, ciphertext_and_tag)
        })
        .await
    }

    /// A store of the caller's scope that is connected (CreateKey's store, GenerateRandom's):
    /// `CustomKeyStoreNotFoundException` or `CustomKeyStoreInvalidStateException` otherwise.
    pub(crate) async fn connected_key_store(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<CustomKeyStoreId> {
        let record = self.scoped_key_store(scope, id).await?;
        if record.state != ConnectionState::Connected {
            if record.kind == KeyStoreType::ExternalKeyStore {
                // The XKS spec's table: AWS's text for a store not connected to its proxy.
                return Err(fault(
                    KeyStoreFault::InvalidState,
                    crate::ops::xks::NOT_CONNECTED,
                ));
            }
            return Err(not_connected(&id, record.state));
        }
        Ok(record.id)
    }

    /// The declared cluster with this id; `CloudHsmClusterNotFoundException` otherwise.
    fn declared_cluster(&self, id: &str) -> Result<crate::backend::ClusterInfo> {
        self.key_stores.clusters().cluster(id).ok_or_else(|| {
            fault(
                KeyStoreFault::ClusterNotFound,
                format!("AWS CloudHSM cluster {id} not found."),
            )
        })
    }

    /// A cluster's lineage; a cluster the config no longer declares is its own.
    fn lineage_of(&self, cluster: &str) -> String {
        self.key_stores
            .clusters()
            .cluster(cluster)
            .map_or_else(|| cluster.to_owned(), |c| c.lineage)
    }

    pub async fn create_custom_key_store(
        &self,
        ctx: &RequestContext,
        input: CreateKeyStoreInput,
    ) -> Result<CustomKeyStoreId> {
        self.authorize_identity(ctx, "kms:CreateCustomKeyStore", "*")?;
        if input.kind == Some(KeyStoreType::ExternalKeyStore) {
            return self.create_external_key_store(ctx, input).await;
        }
        if let Some(member) = input.xks.first_given() {
            return Err(Error::validation(format!(
                "{member} is valid only for a custom key store of type EXTERNAL_KEY_STORE."
            )));
        }
        let (Some(cluster_id), Some(trust_anchor), Some(password)) =
            (input.cluster_id, input.trust_anchor, input.password)
        else {
            return Err(Error::validation(
                "CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword are required for a custom key store of type AWS_CLOUDHSM.",
            ));
        };
        let _serial = self.key_stores.lock.lock().await;
        let scope = ctx.scope();
        let cluster = self.declared_cluster(&cluster_id)?;
        // Every store, of every account and Region: a cluster belongs to one account, as at
        // AWS, so a store anywhere on a cluster of this lineage holds it.
        let everywhere = self.store.key_stores(None).await?;
        let existing: Vec<&KeyStoreRecord> =
            everywhere.iter().filter(|s| s.scope == scope).collect();
        if existing.iter().any(|s| s.name == input.name) {
            return Err(name_in_use(&input.name));
        }
        self.refuse_cluster_in_use(&everywhere, &cluster.lineage)?;
        if !self.key_stores.clusters().active(&cluster_id) {
            return Err(cluster_not_active(&cluster_id));
        }
        if normalized(&cluster.trust_anchor) != normalized(&trust_anchor) {
            return Err(fault(
                KeyStoreFault::IncorrectTrustAnchor,
                format!(
                    "The trust anchor certificate does not match the trust anchor certificate of AWS CloudHSM cluster {cluster_id}."
                ),
            ));
        }
        if existing.len() >= MAX_KEY_STORES_PER_SCOPE {
            return Err(key_store_quota(existing.len()));
        }
        let id = CustomKeyStoreId::random();
        let _sealing = self.sealing.read().await;
        let sealed_password = self
            .vault
            .seal(Purpose::KeyStorePassword { id: &id }, password.as_slice())?;
        let record = KeyStoreRecord {
            scope,
            id: id.clone(),
            name: input.name.clone(),
            kind: KeyStoreType::AwsCloudhsm,
            cluster_id,
            trust_anchor,
            sealed_password,
            xks: None,
            state: ConnectionState::Disconnected,
            error: None,
            created: self.clock.now(),
        };
        self.record_key_store(&record).await?;
        Ok(id)
    }

    /// `CloudHsmClusterInUseException` when one of `stores` uses a cluster of this lineage.
    fn refuse_cluster_in_use(&self, stores: &[KeyStoreRecord], lineage: &str) -> Result<()> {
        for store in stores {
            if store.kind == KeyStoreType::AwsCloudhsm
                && self.lineage_of(&store.cluster_id) == lineage
            {
                return Err(fault(
                    KeyStoreFault::ClusterInUse,
                    format!(
                        "AWS CloudHSM cluster {} is already associated with custom key store {}.",
                        store.cluster_id, store.id
                    ),
                ));
            }
        }
        Ok(())
    }

    /// ConnectCustomKeyStore: `Some(id)` when the store is now `CONNECTING` and
    /// [`Kms::finish_connecting`] must be run (the caller does it in the background, as the
    /// operation returns at once).
    pub async fn connect_custom_key_store(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<Option<CustomKeyStoreId>> {
        self.authorize_identity(ctx, "kms:ConnectCustomKeyStore", "*")?;
        let _serial = self.key_stores.lock.lock().await;
        let record = self.scoped_key_store(&ctx.scope(), id).await?;
        match record.state {
            ConnectionState::Connected | ConnectionState::Connecting => return Ok(None),
            ConnectionState::Failed | ConnectionState::Disconnecting => {
                return Err(fault(
                    KeyStoreFault::InvalidState,
                    format!(
                        "Custom key store '{id}' cannot be connected while its connection state is {}. Disconnect it first.",
                        record.state
                    ),
                ));
            }
            ConnectionState::Disconnected => {}
        }
        let cluster = &record.cluster_id;
        if record.kind == KeyStoreType::AwsCloudhsm
            && self.key_stores.clusters().cluster(cluster).is_some()
            && !self.key_stores.clusters().active(cluster)
        {
            return Err(cluster_not_active(cluster));
        }
        self.set_connection(&record.id, ConnectionState::Connecting, None, |s| {
            s == ConnectionState::Disconnected
        })
        .await?;
        Ok(Some(record.id))
    }

    /// The second half of a connection: logs in to the cluster with the store's password and
    /// records `CONNECTED`, or `FAILED` with the reason.
    pub async fn finish_connecting(&self, id: &CustomKeyStoreId) -> Result<ConnectionState> {
        self.finish_connecting_for(id, &uuid::Uuid::new_v4().to_string())
            .await
    }

    /// [`Kms::finish_connecting`] for the ConnectCustomKeyStore request `request_id`, which an
    /// external store's proxy is told (its trail and the KMS's then name the same request).
    pub async fn finish_connecting_for(
        &self,
        id: &CustomKeyStoreId,
        request_id: &str,
    ) -> Result<ConnectionState> {
        let Some(record) = self.store.key_store(id).await? else {
            return Err(not_found(id.as_str()));
        };
        if record.state != ConnectionState::Connecting {
            return Ok(record.state);
        }
        if record.kind == KeyStoreType::ExternalKeyStore {
            let error = self.connect_proxy(&record, request_id).await;
            let state = match error {
                None => ConnectionState::Connected,
                Some(code) => {
                    tracing::warn!(store = %id, code = %code, "external key store failed to connect");
                    ConnectionState::Failed
                }
            };
            self.set_connection(id, state, error, |s| s == ConnectionState::Connecting)
                .await?;
            return Ok(state);
        }
        let outcome = match self.key_stores.clusters().cluster(&record.cluster_id) {
            None => Err(ConnectionErrorCode::ClusterNotFound),
            Some(_) => match self
                .vault
                .unseal(Purpose::KeyStorePassword { id }, &record.sealed_password)
            {
                Ok(password) => self
                    .key_stores
                    .clusters()
                    .connect(&record.cluster_id, &password),
                Err(e) => {
                    tracing::warn!(store = %id, error = %e, "cannot open a key store's password");
                    Err(ConnectionErrorCode::InternalError)
                }
            },
        };
        let (state, error) = match outcome {
            Ok(session) => {
                self.key_stores.put_session(id, &record.cluster_id, session);
                (ConnectionState::Connected, None)
            }
            Err(code) => {
                tracing::warn!(store = %id, cluster = %record.cluster_id, code = %code, "custom key store failed to connect");
                (ConnectionState::Failed, Some(code))
            }
        };
        // Disconnected meanwhile: the disconnection wins.
        match self
            .set_connection(id, state, error, |s| s == ConnectionState::Connecting)
            .await
        {
            Ok(()) => Ok(state),
            Err(e) => {
                self.key_stores.drop_session(id);
                Err(e)
            }
        }
    }

    /// Finishes the connections an earlier run of Trent left `CONNECTING` (it stopped between
    /// the two halves); run at start.
    pub async fn resume_connecting(&self) -> Result<usize> {
        let mut resumed = 0;
        for store in self.store.key_stores(None).await? {
            if store.state == ConnectionState::Connecting {
                self.finish_connecting(&store.id).await?;
                resumed += 1;
            }
        }
        Ok(resumed)
    }

    /// Writes a store's connection state if its current one passes `from`.
    async fn set_connection(
        &self,
        id: &CustomKeyStoreId,
        state: ConnectionState,
        error: Option<ConnectionErrorCode>,
        from: impl FnOnce(ConnectionState) -> bool + Send + 'static,
    ) -> Result<()> {
        let shown = id.clone();
        let outcome = self
            .store
            .modify_key_store(
                id,
                Box::new(move |r| {
                    if !from(r.state) {
                        return Err(fault(
                            KeyStoreFault::InvalidState,
                            format!(
                                "Custom key store '{shown}' changed its connection state to {} meanwhile.",
                                r.state
                            ),
                        ));
                    }
                    r.state = state;
                    r.error = error;
                    Ok(())
                }),
            )
            .await;
        match outcome {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(refused)) => Err(refused),
            Err(StoreError::NotFound) => Err(not_found(id.as_str())),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn disconnect_custom_key_store(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.authorize_identity(ctx, "kms:DisconnectCustomKeyStore", "*")?;
        let _serial = self.key_stores.lock.lock().await;
        let record = self.scoped_key_store(&ctx.scope(), id).await?;
        if matches!(
            record.state,
            ConnectionState::Disconnecting | ConnectionState::Disconnected
        ) {
            return Err(fault(
                KeyStoreFault::InvalidState,
                format!(
                    "Custom key store '{id}' cannot be disconnected while its connection state is {}.",
                    record.state
                ),
            ));
        }
        self.set_connection(&record.id, ConnectionState::Disconnected, None, |_| true)
            .await?;
        self.key_stores.drop_session(&record.id);
        Ok(())
    }

    pub async fn update_custom_key_store(
        &self,
        ctx: &RequestContext,
        input: UpdateKeyStoreInput,
    ) -> Result<()> {
        self.authorize_identity(ctx, "kms:UpdateCustomKeyStore", "*")?;
        let _serial = self.key_stores.lock.lock().await;
        let scope = ctx.scope();
        let record = self.scoped_key_store(&scope, &input.id).await?;
        if record.kind == KeyStoreType::ExternalKeyStore {
            return self.update_external_key_store(ctx, record, input).await;
        }
        if let Some(member) = input.xks.first_given() {
            return Err(Error::validation(format!(
                "{member} is valid only for a custom key store of type EXTERNAL_KEY_STORE."
            )));
        }
        let id = record.id.clone();
        let changes_hsm = input.cluster_id.is_some() || input.password.is_some();
        if changes_hsm && record.state != ConnectionState::Disconnected {
            return Err(fault(
                KeyStoreFault::InvalidState,
                format!(
                    "Custom key store '{id}' must be disconnected to change its cluster or password. Its connection state is {}.",
                    record.state
                ),
            ));
        }
        if let Some(cluster_id) = &input.cluster_id {
            let cluster = self.declared_cluster(cluster_id)?;
            if cluster.lineage != self.lineage_of(&record.cluster_id) {
                return Err(fault(
                    KeyStoreFault::ClusterNotRelated,
                    format!(
                        "AWS CloudHSM cluster {cluster_id} is not related to cluster {}.",
                        record.cluster_id
                    ),
                ));
            }
            if !self.key_stores.clusters().active(cluster_id) {
                return Err(cluster_not_active(cluster_id));
            }
        }
        if input.new_name.is_some()
            && !matches!(
                record.state,
                ConnectionState::Connected | ConnectionState::Disconnected
            )
        {
            return Err(fault(
                KeyStoreFault::InvalidState,
                format!(
                    "Custom key store '{id}' can be renamed only while it is CONNECTED or DISCONNECTED. Its connection state is {}.",
                    record.state
                ),
            ));
        }
        self.refuse_name_taken(&scope, &record, input.new_name.as_deref())
            .await?;
        let _sealing = self.sealing.read().await;
        let sealed_password = input
            .password
            .as_ref()
            .map(|p| {
                self.vault
                    .seal(Purpose::KeyStorePassword { id: &id }, p.as_slice())
            })
            .transpose()?;
        let (name, cluster) = (input.new_name.clone(), input.cluster_id.clone());
        let shown = id.clone();
        let outcome = self
            .store
            .modify_key_store(
                &id,
                Box::new(move |r| {
                    if (cluster.is_some() || sealed_password.is_some())
                        && r.state != ConnectionState::Disconnected
                    {
                        return Err(fault(
                            KeyStoreFault::InvalidState,
                            format!("Custom key store '{shown}' is not disconnected."),
                        ));
                    }
                    if let Some(name) = name {
                        r.name = name;
                    }
                    if let Some(cluster) = cluster {
                        r.cluster_id = cluster;
                    }
                    if let Some(sealed) = sealed_password {
                        r.sealed_password = sealed;
                    }
                    Ok(())
                }),
            )
            .await;
        updated(outcome, &id, input.new_name.as_deref())
    }

    pub async fn delete_custom_key_store(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.authorize_identity(ctx, "kms:DeleteCustomKeyStore", "*")?;
        let _serial = self.key_stores.lock.lock().await;
        let record = self.scoped_key_store(&ctx.scope(), id).await?;
        if record.state != ConnectionState::Disconnected {
            return Err(fault(
                KeyStoreFault::InvalidState,
                format!(
                    "Custom key store '{id}' must be disconnected before it is deleted. Its connection state is {}.",
                    record.state
                ),
            ));
        }
        match self.store.delete_key_store(&record.id).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict {
                constraint: Constraint::ForeignKey,
            }) => Err(fault(
                KeyStoreFault::HasKeys,
                format!(
                    "Custom key store '{id}' contains KMS keys. Delete its KMS keys before you delete the custom key store."
                ),
            )),
            Err(StoreError::NotFound) => Err(not_found(id)),
            Err(e) => Err(e.into()),
        }
    }

    /// DescribeCustomKeyStores: one store by id or name, or a page of the scope's stores in
    /// creation order (`marker` is the id of the last one of the previous page).
    pub async fn describe_custom_key_stores(
        &self,
        ctx: &RequestContext,
        input: DescribeKeyStoresInput,
    ) -> Result<Page<KeyStoreRecord>> {
        self.authorize_identity(ctx, "kms:DescribeCustomKeyStores", "*")?;
        let stores = self.store.key_stores(Some(&ctx.scope())).await?;
        let selected: Vec<KeyStoreRecord> = match (&input.id, &input.name) {
            (Some(_), Some(_)) => {
                return Err(Error::validation(
                    "You cannot specify both CustomKeyStoreId and CustomKeyStoreName.",
                ));
            }
            (Some(id), None) => {
                let found: Vec<_> = stores.into_iter().filter(|s| s.id.as_str() == id).collect();
                if found.is_empty() {
                    return Err(not_found(id));
                }
                found
            }
            (None, Some(name)) => {
                let found: Vec<_> = stores.into_iter().filter(|s| &s.name == name).collect();
                if found.is_empty() {
                    return Err(fault(
                        KeyStoreFault::NotFound,
                        format!("Custom key store '{name}' does not exist"),
                    ));
                }
                found
            }
            (None, None) => stores,
        };
        let start = match &input.marker {
            None => 0,
            Some(marker) => selected
                .iter()
                .position(|s| s.id.as_str() == marker)
                .map(|i| i + 1)
                .ok_or_else(|| Error::InvalidMarker {
                    message: format!("Invalid marker '{marker}'"),
                })?,
        };
        let rest: Vec<KeyStoreRecord> = selected.into_iter().skip(start).collect();
        let truncated = rest.len() > input.limit;
        Ok(Page {
            items: rest.into_iter().take(input.limit).collect(),
            truncated,
        })
    }

    /// Random bytes from a connected store's HSM (GenerateRandom with `CustomKeyStoreId`).
    pub(crate) async fn hsm_random(
        &self,
        ctx: &RequestContext,
        id: &str,
        len: usize,
    ) -> Result<crate::secret::Secret> {
        let store = self.connected_key_store(&ctx.scope(), id).await?;
        let external = self
            .key_store_records()
            .await?
            .get(&store)
            .is_some_and(|r| r.kind == KeyStoreType::ExternalKeyStore);
        if external {
            // AWS's answer: an external key store has no random source to offer.
            return Err(Error::Unsupported {
                message: format!(
                    "GenerateRandom does not support the external key store {id}. Specify an AWS CloudHSM key store."
                ),
            });
        }
        self.with_hsm(&store, None, |hsm| hsm.random(len)).await
    }

    /// Destroys the HSM object of a key store key that was deleted; best effort, as at AWS:
    /// a store that is not connected keeps the object (an orphan the log names).
    pub(crate) async fn destroy_hsm_key(&self, record: &KeyRecord) {
        // An external store's key has nothing in an HSM: its external key is the proxy's.
        let (Some(store), None) = (&record.custom_key_store, &record.xks_key_id) else {
            return;
        };
        let label = record.id.as_str().to_owned();
        let id = record.current_material.0;
        match self
            .with_hsm(store, None, |hsm| hsm.destroy_key(&label, &id))
            .await
        {
            Ok(_) => {}
            Err(e) => tracing::warn!(
                key = %record.arn(),
                store = %store,
                error = %e,
                "the HSM object of a deleted key could not be destroyed; it is left in the cluster"
            ),
        }
    }
}

/// The settings an external store is created with: every member it needs, and no member of a
/// CloudHSM store.
fn external_settings(
    input: &CreateKeyStoreInput,
) -> Result<(XksProxySettings, crate::secret::Secret)> {
    for (given, member) in [
        (input.cluster_id.is_some(), "CloudHsmClusterId"),
        (input.trust_anchor.is_some(), "TrustAnchorCertificate"),
        (input.password.is_some(), "KeyStorePassword"),
    ] {
        if given {
            return Err(Error::validation(format!(
                "{member} is valid only for a custom key store of type AWS_CLOUDHSM."
            )));
        }
    }
    let xks = &input.xks;
    let (Some(uri_endpoint), Some(uri_path), Some(connectivity), Some((access_key_id, secret))) = (
        &xks.uri_endpoint,
        &xks.uri_path,
        xks.connectivity,
        &xks.credential,
    ) else {
        return Err(Error::validation(
            "XksProxyUriEndpoint, XksProxyUriPath, XksProxyAuthenticationCredential and XksProxyConnectivity are required for a custom key store of type EXTERNAL_KEY_STORE.",
        ));
    };
    refuse_vpc(connectivity, xks)?;
    refuse_ip_endpoint(uri_endpoint)?;
    Ok((
        XksProxySettings {
            uri_endpoint: uri_endpoint.clone(),
            uri_path: uri_path.clone(),
            connectivity,
            access_key_id: access_key_id.clone(),
        },
        crate::secret::Secret::new(secret.as_slice().to_vec()),
    ))
}

/// The spec: a proxy is named by a fully qualified domain name, never an IP address (the
/// model's pattern admits dotted digits). Its TLS certificate names it.
fn refuse_ip_endpoint(uri_endpoint: &str) -> Result<()> {
    let host = uri_endpoint
        .strip_prefix("https://")
        .unwrap_or(uri_endpoint);
    if host.parse::<std::net::Ipv4Addr>().is_ok() || !host.contains('.') {
        return Err(Error::validation(format!(
            "XksProxyUriEndpoint {uri_endpoint} must name its proxy by a fully qualified domain name, not an IP address or a single label."
        )));
    }
    Ok(())
}

/// Trent has no Amazon VPC: a proxy is reached at its public endpoint only.
fn refuse_vpc(connectivity: XksProxyConnectivity, xks: &XksProxyInput) -> Result<()> {
    if connectivity == XksProxyConnectivity::VpcEndpointService
        || xks.vpc_endpoint_service_name.is_some()
        || xks.vpc_endpoint_service_owner.is_some()
    {
        return Err(Error::Unsupported {
            message: "XksProxyConnectivity VPC_ENDPOINT_SERVICE is not supported by Trent, which has no Amazon VPC. Use PUBLIC_ENDPOINT.".to_owned(),
        });
    }
    Ok(())
}

/// `XksProxyUriInUseException` when another external store of the Region has this endpoint
/// and path (a public endpoint may serve several stores under different paths).
fn refuse_uri_in_use(
    stores: &[KeyStoreRecord],
    region: &crate::model::Region,
    except: Option<&CustomKeyStoreId>,
    settings: &XksProxySettings,
) -> Result<()> {
    let taken = stores.iter().any(|s| {
        Some(&s.id) != except
            && &s.scope.region == region
            && s.xks.as_ref().is_some_and(|x| {
                x.uri_endpoint == settings.uri_endpoint && x.uri_path == settings.uri_path
            })
    });
    if taken {
        return Err(fault(
            KeyStoreFault::XksProxyUriInUse,
            format!(
                "The URI {}{} is already associated with another external key store in this Region.",
                settings.uri_endpoint, settings.uri_path
            ),
        ));
    }
    Ok(())
}

impl Kms {
    /// CreateCustomKeyStore of type `EXTERNAL_KEY_STORE`: checked with the proxy's health
    /// (kmsOperation `CreateCustomKeyStore`) before it is recorded, DISCONNECTED.
    async fn create_external_key_store(
        &self,
        ctx: &RequestContext,
        input: CreateKeyStoreInput,
    ) -> Result<CustomKeyStoreId> {
        let (settings, secret) = external_settings(&input)?;
        let _serial = self.key_stores.lock.lock().await;
        let scope = ctx.scope();
        let everywhere = self.store.key_stores(None).await?;
        let existing: Vec<&KeyStoreRecord> =
            everywhere.iter().filter(|s| s.scope == scope).collect();
        if existing.iter().any(|s| s.name == input.name) {
            return Err(name_in_use(&input.name));
        }
        refuse_uri_in_use(&everywhere, &scope.region, None, &settings)?;
        if existing.len() >= MAX_KEY_STORES_PER_SCOPE {
            return Err(key_store_quota(existing.len()));
        }
        let id = CustomKeyStoreId::random();
        let mut record = KeyStoreRecord {
            scope,
            id: id.clone(),
            name: input.name.clone(),
            kind: KeyStoreType::ExternalKeyStore,
            cluster_id: String::new(),
            trust_anchor: String::new(),
            sealed_password: Vec::new(),
            xks: Some(settings),
            state: ConnectionState::Disconnected,
            error: None,
            created: self.clock.now(),
        };
        self.check_proxy(ctx, &record, Some(&secret)).await?;
        let _sealing = self.sealing.read().await;
        record.sealed_password = self
            .vault
            .seal(Purpose::KeyStorePassword { id: &id }, secret.as_slice())?;
        self.record_key_store(&record).await?;
        Ok(id)
    }

    /// UpdateCustomKeyStore of an external store. The name, path and credential change in any
    /// state (a credential rotates while connected); the endpoint and connectivity only while
    /// DISCONNECTED. A change of the proxy settings is checked with the proxy's health first.
    async fn update_external_key_store(
        &self,
        ctx: &RequestContext,
        record: KeyStoreRecord,
        input: UpdateKeyStoreInput,
    ) -> Result<()> {
        for (given, member) in [
            (input.cluster_id.is_some(), "CloudHsmClusterId"),
            (input.password.is_some(), "KeyStorePassword"),
        ] {
            if given {
                return Err(Error::validation(format!(
                    "{member} is valid only for a custom key store of type AWS_CLOUDHSM."
                )));
            }
        }
        let id = record.id.clone();
        let xks = &input.xks;
        let Some(current) = record.xks.clone() else {
            return Err(Error::internal(format!(
                "external key store {id} has no proxy"
            )));
        };
        let connectivity = xks.connectivity.unwrap_or(current.connectivity);
        refuse_vpc(connectivity, xks)?;
        if let Some(endpoint) = &xks.uri_endpoint {
            refuse_ip_endpoint(endpoint)?;
        }
        let moves = xks
            .uri_endpoint
            .as_ref()
            .is_some_and(|e| e != &current.uri_endpoint)
            || connectivity != current.connectivity;
        if moves && record.state != ConnectionState::Disconnected {
            return Err(fault(
                KeyStoreFault::InvalidState,
                format!(
                    "Custom key store '{id}' must be disconnected to change its XksProxyUriEndpoint or XksProxyConnectivity. Its connection state is {}.",
                    record.state
                ),
            ));
        }
        if !matches!(
            record.state,
            ConnectionState::Connected | ConnectionState::Disconnected
        ) {
            return Err(fault(
                KeyStoreFault::InvalidState,
                format!(
                    "Custom key store '{id}' can be updated only while it is CONNECTED or DISCONNECTED. Its connection state is {}.",
                    record.state
                ),
            ));
        }
        let scope = ctx.scope();
        self.refuse_name_taken(&scope, &record, input.new_name.as_deref())
            .await?;
        let settings = XksProxySettings {
            uri_endpoint: xks
                .uri_endpoint
                .clone()
                .unwrap_or_else(|| current.uri_endpoint.clone()),
            uri_path: xks
                .uri_path
                .clone()
                .unwrap_or_else(|| current.uri_path.clone()),
            connectivity,
            access_key_id: xks
                .credential
                .as_ref()
                .map_or_else(|| current.access_key_id.clone(), |(a, _)| a.clone()),
        };
        let secret = xks
            .credential
            .as_ref()
            .map(|(_, s)| crate::secret::Secret::new(s.as_slice().to_vec()));
        let proxy_changes = settings != current || secret.is_some();
        if proxy_changes {
            let everywhere = self.store.key_stores(None).await?;
            refuse_uri_in_use(&everywhere, &scope.region, Some(&id), &settings)?;
            let candidate = KeyStoreRecord {
                xks: Some(settings.clone()),
                ..record.clone()
            };
            // Without a new credential, the stored one (unsealed once, as for every call).
            self.check_proxy(ctx, &candidate, secret.as_ref()).await?;
        }
        let _sealing = self.sealing.read().await;
        let sealed = secret
            .as_ref()
            .map(|s| {
                self.vault
                    .seal(Purpose::KeyStorePassword { id: &id }, s.as_slice())
            })
            .transpose()?;
        let name = input.new_name.clone();
        let shown = id.clone();
        let (checked, checked_secret) = (current, record.sealed_password.clone());
        let outcome = self
            .store
            .modify_key_store(
                &id,
                // Decided again on the record as it is now: another node may have changed the
                // store since it was read, and a proxy change was checked against what was
                // read then.
                Box::new(move |r| {
                    let changed = |why: &str| {
                        Err(fault(
                            KeyStoreFault::InvalidState,
                            format!("Custom key store '{shown}' {why}. Try the request again."),
                        ))
                    };
                    if proxy_changes
                        && (r.xks.as_ref() != Some(&checked) || r.sealed_password != checked_secret)
                    {
                        return changed("changed its proxy settings meanwhile");
                    }
                    if !matches!(
                        r.state,
                        ConnectionState::Connected | ConnectionState::Disconnected
                    ) || (moves && r.state != ConnectionState::Disconnected)
                    {
                        return changed("changed its connection state meanwhile");
                    }
                    if let Some(name) = name {
                        r.name = name;
                    }
                    if proxy_changes {
                        r.xks = Some(settings);
                        if let Some(sealed) = sealed {
                            r.sealed_password = sealed;
                        }
                    }
                    Ok(())
                }),
            )
            .await;
        updated(outcome, &id, input.new_name.as_deref())
    }
}

impl Kms {
    /// Writes a new store's record; the store's refusals in AWS's exceptions (a name taken
    /// meanwhile, the quota).
    async fn record_key_store(&self, record: &KeyStoreRecord) -> Result<()> {
        match self
            .store
            .create_key_store(record, MAX_KEY_STORES_PER_SCOPE)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict {
                constraint: Constraint::KeyStoreName,
            }) => Err(name_in_use(&record.name)),
            Err(StoreError::Limit(_)) => Err(key_store_quota(MAX_KEY_STORES_PER_SCOPE)),
            Err(e) => Err(e.into()),
        }
    }

    /// `CustomKeyStoreNameInUseException` when `new_name` is another store's in the scope.
    async fn refuse_name_taken(
        &self,
        scope: &Scope,
        record: &KeyStoreRecord,
        new_name: Option<&str>,
    ) -> Result<()> {
        if let Some(name) = new_name
            && name != record.name
            && self
                .store
                .key_stores(Some(scope))
                .await?
                .iter()
                .any(|s| s.name == name)
        {
            return Err(name_in_use(name));
        }
        Ok(())
    }
}

/// The outcome of an UpdateCustomKeyStore's write, in AWS's exceptions.
fn updated(
    outcome: std::result::Result<Result<KeyStoreRecord>, StoreError>,
    id: &CustomKeyStoreId,
    new_name: Option<&str>,
) -> Result<()> {
    match outcome {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(refused)) => Err(refused),
        Err(StoreError::NotFound) => Err(not_found(id.as_str())),
        Err(StoreError::Conflict {
            constraint: Constraint::KeyStoreName,
        }) => Err(name_in_use(new_name.unwrap_or_default())),
        Err(e) => Err(e.into()),
    }
}

/// AWS's answer when its CloudHSM cluster cannot be reached.
fn cannot_communicate() -> Error {
    Error::KeyStateConflict {
        message: "KMS cannot communicate with your CloudHSM cluster".to_owned(),
    }
}

/// A key store key whose object is not in the HSM (destroyed outside Trent): the key keeps
/// its state, and cryptographic operations fail as at AWS, with `KMSInvalidStateException`.
pub(crate) fn key_material_missing(record: &KeyRecord) -> Error {
    Error::KeyStateConflict {
        message: format!(
            "The key material for {} is not in its AWS CloudHSM cluster.",
            record.arn()
        ),
    }
}

fn key_store_quota(count: usize) -> Error {
    Error::LimitExceeded {
        message: format!(
            "Custom key store quota for this account in this region is {MAX_KEY_STORES_PER_SCOPE} but the current usage is {count}."
        ),
    }
}
