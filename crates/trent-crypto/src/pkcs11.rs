//! The PKCS#11 root key: AES-256 key objects in a token (sensitive, never extractable) that
//! seal and unseal every stored secret inside the token, with AES-GCM (ADR 0017).
//!
//! The token holds a ring of key objects under one label, told apart by their `CKA_ID` (a
//! 4-byte generation): the highest generation seals, every one unseals. A rotation adds a
//! generation and, once the store is re-sealed, destroys the older ones. A sealed value is
//! `0x02 ‖ generation (4) ‖ IV (12) ‖ ciphertext ‖ tag (16)`.
//!
//! One session is kept open and logged in; a call that fails because the token went away
//! drops it, and the next call opens and logs in again, so Trent recovers by itself when the
//! token is back. Warm keys never reach here: their material is unsealed once and cached.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use trent_core::backend::{BackendError, RootKeyProvider};
use trent_core::secret::Secret;
use zeroize::Zeroizing;

/// The sealed format's version byte (the file root key's is 1).
const SEAL_VERSION: u8 = 2;
const HEADER_LEN: usize = 1 + 4 + 12;

/// Which token holds the root key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSelector {
    /// The token with this label (`CKA_LABEL` of the token, as `pkcs11-tool -L` shows it).
    Label(String),
    /// The slot with this id.
    Slot(u64),
}

/// Where the root key lives in a PKCS#11 token.
#[derive(Clone)]
pub struct Pkcs11Options {
    /// The vendor's PKCS#11 module (`/usr/lib/softhsm/libsofthsm2.so`).
    pub module: PathBuf,
    pub token: TokenSelector,
    /// The label of the root key's objects.
    pub key_label: String,
    /// The token user's PIN.
    pub pin: Zeroizing<String>,
}

impl std::fmt::Debug for Pkcs11Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Options")
            .field("module", &self.module)
            .field("token", &self.token)
            .field("key_label", &self.key_label)
            .finish_non_exhaustive()
    }
}

/// Why the token could not be opened, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum Pkcs11Error {
    #[error("cannot load the PKCS#11 module {module}: {reason}")]
    Module { module: String, reason: String },
    #[error("no PKCS#11 token {token} in {module}")]
    NoToken { module: String, token: String },
    #[error("the PIN of PKCS#11 token {token} is wrong or locked: {reason}")]
    Login { token: String, reason: String },
    #[error("PKCS#11 token {token}: {reason}")]
    Token { token: String, reason: String },
}

/// The root key in a token.
pub struct Pkcs11RootKey {
    /// The module, loaded again (finalized and initialized) after the token was lost: some
    /// modules, SoftHSM2 among them, find a token that came back only then.
    pkcs11: RwLock<Option<Pkcs11>>,
    module: PathBuf,
    selector: TokenSelector,
    /// The token's slot, found again whenever the session is opened again.
    slot: Mutex<Slot>,
    token: String,
    key_label: String,
    pin: AuthPin,
    session: Mutex<Option<Session>>,
    /// The generations in the token, highest (the sealing one) first.
    ring: RwLock<Vec<u32>>,
}

impl std::fmt::Debug for Pkcs11RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11RootKey")
            .field("token", &self.token)
            .field("key_label", &self.key_label)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> BackendError {
    BackendError::Unavailable(format!("PKCS#11: {e}"))
}

fn describe_token(token: &TokenSelector) -> String {
    match token {
        TokenSelector::Label(label) => format!("'{label}'"),
        TokenSelector::Slot(id) => format!("in slot {id}"),
    }
}

impl Pkcs11RootKey {
    /// Opens the token, logs in, and finds the root key's objects, creating the first if there
    /// is none; `true` when it was created.
    pub fn open_or_create(options: &Pkcs11Options) -> Result<(Pkcs11RootKey, bool), Pkcs11Error> {
        let module = options.module.display().to_string();
        let token = describe_token(&options.token);
        let pkcs11 = load(&options.module).map_err(|reason| Pkcs11Error::Module {
            module: module.clone(),
            reason,
        })?;
        let slot = find_slot(&pkcs11, &options.token)
            .map_err(|reason| Pkcs11Error::Token {
                token: token.clone(),
                reason,
            })?
            .ok_or_else(|| Pkcs11Error::NoToken {
                module: module.clone(),
                token: token.clone(),
            })?;
        let root = Pkcs11RootKey {
            pkcs11: RwLock::new(Some(pkcs11)),
            module: options.module.clone(),
            selector: options.token.clone(),
            slot: Mutex::new(slot),
            token: token.clone(),
            key_label: options.key_label.clone(),
            pin: AuthPin::new(options.pin.as_str().into()),
            session: Mutex::new(None),
            ring: RwLock::new(Vec::new()),
        };
        let session = root.open_session().map_err(|e| match e {
            Opened::Login(reason) => Pkcs11Error::Login {
                token: token.clone(),
                reason,
            },
            Opened::Other(reason) => Pkcs11Error::Token {
                token: token.clone(),
                reason,
            },
        })?;
        let token_error = |e: cryptoki::error::Error| Pkcs11Error::Token {
            token: token.clone(),
            reason: e.to_string(),
        };
        let mut generations = root.generations(&session).map_err(token_error)?;
        let created = generations.is_empty();
        if created {
            root.generate(&session, 1).map_err(token_error)?;
            generations = vec![1];
        }
        if let Ok(mut ring) = root.ring.write() {
            *ring = generations;
        }
        if let Ok(mut held) = root.session.lock() {
            *held = Some(session);
        }
        // A token without AES-GCM, or one that replaces the caller's IV with its own (some
        // HSMs in FIPS mode), would seal values that never open: found now, before any is.
        let probe = root
            .seal(b"trent root key probe", b"trent:probe")
            .and_then(|sealed| root.unseal(&sealed, b"trent:probe"));
        match probe {
            Ok(opened) if opened.as_slice() == b"trent root key probe" => {}
            Ok(_) | Err(_) => {
                return Err(Pkcs11Error::Token {
                    token,
                    reason: "AES-GCM in the token does not seal and open a value again (it needs CKM_AES_GCM with the caller's IV)".to_owned(),
                });
            }
        }
        Ok((root, created))
    }

    fn open_session(&self) -> Result<Session, Opened> {
        let mut slot = self
            .slot
            .lock()
            .map_err(|_| Opened::Other("PKCS#11 slot lock poisoned".to_owned()))?;
        let held = self
            .pkcs11
            .read()
            .map_err(|_| Opened::Other("PKCS#11 module lock poisoned".to_owned()))?;
        let pkcs11 = held
            .as_ref()
            .ok_or_else(|| Opened::Other("the PKCS#11 module is not loaded".to_owned()))?;
        // A token that went away and came back may sit in another slot.
        if let Ok(Some(found)) = find_slot(pkcs11, &self.selector) {
            *slot = found;
        }
        let session = pkcs11
            .open_rw_session(*slot)
            .map_err(|e| Opened::Other(e.to_string()))?;
        match session.login(UserType::User, Some(&self.pin)) {
            Ok(()) => Ok(session),
            Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::UserAlreadyLoggedIn,
                _,
            )) => Ok(session),
            Err(e) => Err(Opened::Login(e.to_string())),
        }
    }

    /// The generations of the root key's objects in the token, highest first.
    fn generations(&self, session: &Session) -> cryptoki::error::Result<Vec<u32>> {
        let mut found = Vec::new();
        for handle in self.objects(session)? {
            if let Some(generation) = self.generation_of(session, handle)? {
                found.push(generation);
            }
        }
        found.sort_unstable_by(|a, b| b.cmp(a));
        found.dedup();
        Ok(found)
    }

    fn objects(&self, session: &Session) -> cryptoki::error::Result<Vec<ObjectHandle>> {
        session.find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Label(self.key_label.as_bytes().to_vec()),
        ])
    }

    fn generation_of(
        &self,
        session: &Session,
        handle: ObjectHandle,
    ) -> cryptoki::error::Result<Option<u32>> {
        let attributes = session.get_attributes(handle, &[AttributeType::Id])?;
        Ok(attributes.into_iter().find_map(|a| match a {
            Attribute::Id(id) => <[u8; 4]>::try_from(id.as_slice())
                .ok()
                .map(u32::from_be_bytes),
            _ => None,
        }))
    }

    fn object(&self, session: &Session, generation: u32) -> cryptoki::error::Result<ObjectHandle> {
        let found = session.find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Label(self.key_label.as_bytes().to_vec()),
            Attribute::Id(generation.to_be_bytes().to_vec()),
        ])?;
        // Not found: the token went away with it, or the object was destroyed.
        found
            .into_iter()
            .next()
            .ok_or(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::ObjectHandleInvalid,
                cryptoki::context::Function::FindObjects,
            ))
    }

    /// A new key object inside the token: AES-256, sensitive, never extractable.
    fn generate(&self, session: &Session, generation: u32) -> cryptoki::error::Result<()> {
        session.generate_key(
            &Mechanism::AesKeyGen,
            &aes_key_template(self.key_label.as_bytes(), &generation.to_be_bytes()),
        )?;
        Ok(())
    }

    /// Runs `f` on the logged-in session, opening it again first if the last call lost it.
    fn with_session<T>(
        &self,
        f: impl Fn(&Session) -> cryptoki::error::Result<T>,
    ) -> Result<T, BackendError> {
        let mut held = self
            .session
            .lock()
            .map_err(|_| BackendError::Fatal("PKCS#11 session lock poisoned".to_owned()))?;
        if held.is_none() {
            let session = match self.open_session() {
                Ok(session) => session,
                Err(_) => {
                    // Perhaps the module has not seen the token come back yet.
                    self.reload();
                    self.open_session().map_err(|e| unavailable(e.reason()))?
                }
            };
            *held = Some(session);
        }
        let session = held.as_ref().ok_or_else(|| unavailable("no session"))?;
        match f(session) {
            Ok(value) => Ok(value),
            Err(e) if lost(&e) => {
                // The token or the session went away: the next call starts afresh, with the
                // module loaded again.
                *held = None;
                self.reload();
                Err(unavailable(e))
            }
            Err(e) => Err(BackendError::Fatal(format!("PKCS#11: {e}"))),
        }
    }

    /// Finalizes the module (its sessions are gone) and initializes it again.
    fn reload(&self) {
        let Ok(mut pkcs11) = self.pkcs11.write() else {
            return;
        };
        // The old context finalizes when the last handle to it (this one) drops, before the
        // new one initializes.
        drop(pkcs11.take());
        *pkcs11 = load(&self.module).ok();
    }

    fn current(&self) -> Result<u32, BackendError> {
        self.ring
            .read()
            .map_err(|_| BackendError::Fatal("PKCS#11 ring lock poisoned".to_owned()))?
            .first()
            .copied()
            .ok_or_else(|| unavailable("the token holds no root key"))
    }
}

/// The template of a new AES-256 key object in a token: sensitive, never extractable, for
/// encryption and decryption only (never wrapping, signing or derivation), named by its
/// label and id. The root key's objects and custom key stores' keys are made from it.
pub(crate) fn aes_key_template(label: &[u8], id: &[u8]) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::ValueLen(32.into()),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        Attribute::Wrap(false),
        Attribute::Unwrap(false),
        Attribute::Sign(false),
        Attribute::Verify(false),
        Attribute::Derive(false),
        Attribute::Label(label.to_vec()),
        Attribute::Id(id.to_vec()),
    ]
}

/// Why a session could not be opened.
enum Opened {
    Login(String),
    Other(String),
}

impl Opened {
    fn reason(self) -> String {
        match self {
            Opened::Login(r) | Opened::Other(r) => r,
        }
    }
}

/// Whether an error means the token or the session is gone (the call may work once it is
/// back), rather than a refusal of this input.
pub(crate) fn lost(e: &cryptoki::error::Error) -> bool {
    use cryptoki::error::RvError::*;
    match e {
        cryptoki::error::Error::Pkcs11(rv, _) => matches!(
            rv,
            DeviceRemoved
                | DeviceError
                | TokenNotPresent
                | TokenNotRecognized
                | SessionHandleInvalid
                | SessionClosed
                | UserNotLoggedIn
                | SlotIdInvalid
                | CryptokiNotInitialized
                | ObjectHandleInvalid
        ),
        _ => false,
    }
}

pub(crate) fn load(module: &Path) -> Result<Pkcs11, String> {
    let pkcs11 = Pkcs11::new(module).map_err(|e| e.to_string())?;
    match pkcs11.initialize(CInitializeArgs::OsThreads) {
        Ok(())
        | Err(cryptoki::error::Error::Pkcs11(
            cryptoki::error::RvError::CryptokiAlreadyInitialized,
            _,
        )) => Ok(pkcs11),
        Err(e) => Err(e.to_string()),
    }
}

pub(crate) fn find_slot(pkcs11: &Pkcs11, token: &TokenSelector) -> Result<Option<Slot>, String> {
    let slots = pkcs11.get_slots_with_token().map_err(|e| e.to_string())?;
    for slot in slots {
        let matches = match token {
            TokenSelector::Slot(id) => slot.id() == *id,
            TokenSelector::Label(label) => pkcs11
                .get_token_info(slot)
                .map(|info| info.label().trim_end() == label)
                .unwrap_or(false),
        };
        if matches {
            return Ok(Some(slot));
        }
    }
    Ok(None)
}

impl RootKeyProvider for Pkcs11RootKey {
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, BackendError> {
        let generation = self.current()?;
        let (iv, body) = self.with_session(|session| {
            let mut iv = session.generate_random_vec(12)?;
            let key = self.object(session, generation)?;
            let params = GcmParams::new(&mut iv, aad, 128.into())?;
            let body = session.encrypt(&Mechanism::AesGcm(params), key, plaintext)?;
            Ok((iv, body))
        })?;
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&generation.to_be_bytes());
        out.extend_from_slice(&iv);
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Secret, BackendError> {
        let crate::root::Sealed { id, iv, body } = crate::root::split_sealed(sealed, SEAL_VERSION)?;
        let generation = u32::from_be_bytes(id);
        let known = self
            .ring
            .read()
            .map(|ring| ring.contains(&generation))
            .unwrap_or(false);
        if !known {
            return Err(BackendError::InvalidCiphertext);
        }
        let opened = self.with_session(|session| {
            let key = self.object(session, generation)?;
            let mut iv = iv.to_vec();
            let params = GcmParams::new(&mut iv, aad, 128.into())?;
            match session.decrypt(&Mechanism::AesGcm(params), key, body) {
                Ok(plain) => Ok(Ok(plain)),
                Err(e) if lost(&e) => Err(e),
                // A tag that does not verify (another AAD, a damaged value).
                Err(_) => Ok(Err(BackendError::InvalidCiphertext)),
            }
        })??;
        Ok(Secret::new(opened))
    }

    fn describe(&self) -> String {
        format!("PKCS#11 token {} key '{}'", self.token, self.key_label)
    }

    fn sealed_under_current(&self, sealed: &[u8]) -> bool {
        match (self.current(), sealed.get(1..5)) {
            (Ok(current), Some(id)) => {
                sealed.first() == Some(&SEAL_VERSION) && id == current.to_be_bytes()
            }
            _ => false,
        }
    }

    fn key_count(&self) -> usize {
        self.ring.read().map(|r| r.len()).unwrap_or(0)
    }

    fn answers(&self) -> bool {
        // Finding the sealing key's object reaches the token itself (random bytes may not).
        let Ok(current) = self.current() else {
            return false;
        };
        self.with_session(|session| self.object(session, current))
            .is_ok()
    }

    fn begin_rotation(&self) -> Result<String, BackendError> {
        let next = self.current()?.saturating_add(1);
        self.with_session(|session| self.generate(session, next))?;
        let mut ring = self
            .ring
            .write()
            .map_err(|_| BackendError::Fatal("PKCS#11 ring lock poisoned".to_owned()))?;
        ring.insert(0, next);
        Ok(format!("{}#{next}", self.key_label))
    }

    fn abandon_rotation(&self) -> Result<(), BackendError> {
        let newest = self.current()?;
        self.with_session(|session| session.destroy_object(self.object(session, newest)?))?;
        let mut ring = self
            .ring
            .write()
            .map_err(|_| BackendError::Fatal("PKCS#11 ring lock poisoned".to_owned()))?;
        ring.retain(|g| *g != newest);
        Ok(())
    }

    fn retire_previous(&self) -> Result<usize, BackendError> {
        let current = self.current()?;
        let older: Vec<u32> = self
            .ring
            .read()
            .map(|ring| ring.iter().copied().filter(|g| *g != current).collect())
            .unwrap_or_default();
        for generation in &older {
            self.with_session(|session| {
                session.destroy_object(self.object(session, *generation)?)
            })?;
        }
        let mut ring = self
            .ring
            .write()
            .map_err(|_| BackendError::Fatal("PKCS#11 ring lock poisoned".to_owned()))?;
        ring.retain(|g| *g == current);
        Ok(older.len())
    }
}
