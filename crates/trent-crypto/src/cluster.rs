//! The HSM clusters of `AWS_CLOUDHSM` custom key stores: PKCS#11 tokens the operator declares
//! under CloudHSM-style cluster ids, and the logged-in sessions key store keys are used
//! through (AES-256 objects generated in the token, never extractable; AES-GCM inside it).
//!
//! Each module is loaded once and kept for the life of the process, so that one store's
//! disconnection never finalizes the module under another store's session.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use cryptoki::context::Pkcs11;
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use trent_core::backend::{BackendError, ClusterInfo, HsmClusters, HsmSession};
use trent_core::model::ConnectionErrorCode;
use trent_core::secret::{Plaintext, Secret};

use crate::pkcs11::{TokenSelector, aes_key_template, find_slot, load, lost};

/// A cluster as declared in the config (`[[cloudhsm_cluster]]`).
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// `cluster-` and 11 to 16 characters of `[2-7a-zA-Z]`.
    pub id: String,
    pub module: PathBuf,
    pub token: TokenSelector,
    /// The trust anchor certificate (PEM) key stores must be created with.
    pub trust_anchor: String,
    /// Clusters of one lineage are related (a key store may move between them).
    pub lineage: Option<String>,
}

/// The declared clusters.
#[derive(Debug)]
pub struct Pkcs11Clusters {
    clusters: Vec<ClusterOptions>,
    modules: Mutex<HashMap<PathBuf, Pkcs11>>,
}

impl Pkcs11Clusters {
    pub fn new(clusters: Vec<ClusterOptions>) -> Pkcs11Clusters {
        Pkcs11Clusters {
            clusters,
            modules: Mutex::new(HashMap::new()),
        }
    }

    fn options(&self, id: &str) -> Option<&ClusterOptions> {
        self.clusters.iter().find(|c| c.id == id)
    }

    /// The module of a cluster, loaded on first use and kept.
    fn module(&self, options: &ClusterOptions) -> Result<Pkcs11, String> {
        let mut modules = self
            .modules
            .lock()
            .map_err(|_| "PKCS#11 module lock poisoned".to_owned())?;
        if let Some(module) = modules.get(&options.module) {
            return Ok(module.clone());
        }
        let module = load(&options.module)?;
        modules.insert(options.module.clone(), module.clone());
        Ok(module)
    }
}

impl HsmClusters for Pkcs11Clusters {
    fn cluster(&self, id: &str) -> Option<ClusterInfo> {
        self.options(id).map(|c| ClusterInfo {
            id: c.id.clone(),
            trust_anchor: c.trust_anchor.clone(),
            lineage: c.lineage.clone().unwrap_or_else(|| c.id.clone()),
        })
    }

    fn active(&self, id: &str) -> bool {
        let Some(options) = self.options(id) else {
            return false;
        };
        self.module(options)
            .ok()
            .and_then(|m| find_slot(&m, &options.token).ok().flatten())
            .is_some()
    }

    fn connect(
        &self,
        id: &str,
        password: &Secret,
    ) -> Result<Arc<dyn HsmSession>, ConnectionErrorCode> {
        let options = self
            .options(id)
            .ok_or(ConnectionErrorCode::ClusterNotFound)?;
        let module = self
            .module(options)
            .map_err(|_| ConnectionErrorCode::InternalError)?;
        let slot = find_slot(&module, &options.token)
            .map_err(|_| ConnectionErrorCode::NetworkErrors)?
            .ok_or(ConnectionErrorCode::ClusterNotFound)?;
        let session = module
            .open_rw_session(slot)
            .map_err(|_| ConnectionErrorCode::NetworkErrors)?;
        let pin = std::str::from_utf8(password.as_slice())
            .map_err(|_| ConnectionErrorCode::InvalidCredentials)?;
        match session.login(UserType::User, Some(&AuthPin::new(pin.into()))) {
            Ok(()) | Err(cryptoki::error::Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(cryptoki::error::Error::Pkcs11(rv, _)) => {
                return Err(match rv {
                    RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange => {
                        ConnectionErrorCode::InvalidCredentials
                    }
                    RvError::PinLocked | RvError::PinExpired => ConnectionErrorCode::UserLockedOut,
                    RvError::UserPinNotInitialized => ConnectionErrorCode::UserNotFound,
                    RvError::UserAnotherAlreadyLoggedIn => ConnectionErrorCode::UserLoggedIn,
                    RvError::TokenNotPresent | RvError::SlotIdInvalid => {
                        ConnectionErrorCode::ClusterNotFound
                    }
                    RvError::DeviceRemoved | RvError::DeviceError => {
                        ConnectionErrorCode::NetworkErrors
                    }
                    _ => ConnectionErrorCode::InternalError,
                });
            }
            Err(_) => return Err(ConnectionErrorCode::InternalError),
        }
        // More sessions share the login (PKCS#11 logs the application in, not a session), so
        // that concurrent calls need not wait for one another.
        let mut sessions = vec![Mutex::new(session)];
        for _ in 1..SESSIONS {
            match module.open_rw_session(slot) {
                Ok(more) => sessions.push(Mutex::new(more)),
                Err(_) => break,
            }
        }
        Ok(Arc::new(ClusterSession {
            cluster: id.to_owned(),
            sessions,
            next: AtomicUsize::new(0),
            handles: Mutex::new(HashMap::new()),
        }))
    }
}

/// How many PKCS#11 sessions a connected store keeps with its token.
const SESSIONS: usize = 4;

/// A logged-in connection with a cluster's token: a few sessions under one login.
struct ClusterSession {
    cluster: String,
    /// A PKCS#11 session is for one call at a time; a call takes a free one.
    sessions: Vec<Mutex<Session>>,
    next: AtomicUsize,
    /// Object handles found so far, by (label, id): finding an object searches the token.
    handles: Mutex<HashMap<(String, Vec<u8>), ObjectHandle>>,
}

impl std::fmt::Debug for ClusterSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterSession")
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}

/// A PKCS#11 failure: `Unavailable` when the token or session is gone.
fn failure(e: cryptoki::error::Error) -> BackendError {
    if lost(&e) {
        BackendError::Unavailable(format!("PKCS#11: {e}"))
    } else {
        BackendError::Fatal(format!("PKCS#11: {e}"))
    }
}

fn key_template(label: &str, id: &[u8]) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Id(id.to_vec()),
    ]
}

impl ClusterSession {
    fn with<T>(
        &self,
        f: impl FnOnce(&Session) -> Result<T, BackendError>,
    ) -> Result<T, BackendError> {
        let n = self.sessions.len().max(1);
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        // A free session if there is one, else wait for the next in turn.
        for i in 0..n {
            if let Some(Ok(session)) = self.sessions.get((start + i) % n).map(Mutex::try_lock) {
                return f(&session);
            }
        }
        let session = self
            .sessions
            .get(start)
            .ok_or_else(|| BackendError::Fatal("no PKCS#11 session".to_owned()))?
            .lock()
            .map_err(|_| BackendError::Fatal("PKCS#11 session lock poisoned".to_owned()))?;
        f(&session)
    }

    /// The object of a key; `KeyMissing` when the token has none.
    fn object(
        &self,
        session: &Session,
        label: &str,
        id: &[u8],
    ) -> Result<ObjectHandle, BackendError> {
        let name = (label.to_owned(), id.to_vec());
        if let Some(handle) = self.handles.lock().ok().and_then(|h| h.get(&name).copied()) {
            return Ok(handle);
        }
        let found = session
            .find_objects(&key_template(label, id))
            .map_err(failure)?;
        let handle = found.into_iter().next().ok_or(BackendError::KeyMissing)?;
        if let Ok(mut handles) = self.handles.lock() {
            handles.insert(name, handle);
        }
        Ok(handle)
    }

    fn forget(&self, label: &str, id: &[u8]) {
        if let Ok(mut handles) = self.handles.lock() {
            handles.remove(&(label.to_owned(), id.to_vec()));
        }
    }

    /// Runs `f` on a key's object; a handle that went stale (the object was destroyed) is
    /// looked up once more.
    fn on_key<T>(
        &self,
        label: &str,
        id: &[u8],
        f: impl Fn(&Session, ObjectHandle) -> cryptoki::error::Result<T>,
    ) -> Result<T, BackendError> {
        self.with(|session| {
            let handle = self.object(session, label, id)?;
            match f(session, handle) {
                Err(cryptoki::error::Error::Pkcs11(
                    RvError::ObjectHandleInvalid | RvError::KeyHandleInvalid,
                    _,
                )) => {
                    self.forget(label, id);
                    let handle = self.object(session, label, id)?;
                    f(session, handle).map_err(failure)
                }
                other => other.map_err(failure),
            }
        })
    }
}

impl HsmSession for ClusterSession {
    fn generate_key(&self, label: &str, id: &[u8]) -> Result<(), BackendError> {
        self.with(|session| {
            session
                .generate_key(
                    &Mechanism::AesKeyGen,
                    &aes_key_template(label.as_bytes(), id),
                )
                .map_err(failure)?;
            Ok(())
        })
    }

    fn encrypt(
        &self,
        label: &str,
        id: &[u8],
        iv: &[u8; 12],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, BackendError> {
        self.on_key(label, id, |session, key| {
            let mut iv = *iv;
            let params = GcmParams::new(&mut iv, aad, 128.into())?;
            session.encrypt(&Mechanism::AesGcm(params), key, plaintext)
        })
    }

    fn decrypt(
        &self,
        label: &str,
        id: &[u8],
        iv: &[u8; 12],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Plaintext, BackendError> {
        let opened = self.on_key(label, id, |session, key| {
            let mut iv = *iv;
            let params = GcmParams::new(&mut iv, aad, 128.into())?;
            match session.decrypt(&Mechanism::AesGcm(params), key, ciphertext_and_tag) {
                Ok(plain) => Ok(Some(plain)),
                Err(e @ cryptoki::error::Error::Pkcs11(rv, _))
                    if lost(&e)
                        || matches!(
                            rv,
                            RvError::ObjectHandleInvalid | RvError::KeyHandleInvalid
                        ) =>
                {
                    Err(e)
                }
                // A tag that does not check (another AAD, a damaged blob).
                Err(_) => Ok(None),
            }
        })?;
        opened
            .map(Secret::new)
            .ok_or(BackendError::InvalidCiphertext)
    }

    fn destroy_key(&self, label: &str, id: &[u8]) -> Result<bool, BackendError> {
        self.with(|session| {
            let found = session
                .find_objects(&key_template(label, id))
                .map_err(failure)?;
            self.forget(label, id);
            let mut destroyed = false;
            for handle in found {
                session.destroy_object(handle).map_err(failure)?;
                destroyed = true;
            }
            Ok(destroyed)
        })
    }

    fn random(&self, len: usize) -> Result<Secret, BackendError> {
        let len = u32::try_from(len)
            .map_err(|_| BackendError::InvalidInput("too many random bytes".to_owned()))?;
        self.with(|session| {
            session
                .generate_random_vec(len)
                .map(Secret::new)
                .map_err(failure)
        })
    }
}
