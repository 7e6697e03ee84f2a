//! Cryptographic materials: what encrypting or decrypting one message needs from a keyring,
//! and the data key cache (as the SDK's caching materials manager) that lets many messages
//! share one data key, bounded by age, messages and bytes.

use std::collections::HashMap;
use std::time::Duration;

use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::Keyring;
use crate::error::Error;
use crate::header::{EncryptedDataKey, EncryptionContext, PUBLIC_KEY_CONTEXT_KEY};
use crate::message::DataKey;
use crate::suite::Suite;

/// What encrypting one message needs: the data key, its encrypted copies, the context they
/// are bound to (with the verification key for the signed suite) and, for the signed suite,
/// the signing key (PKCS#8).
#[derive(Debug)]
pub struct EncryptionMaterials {
    pub data_key: DataKey,
    pub keys: Vec<EncryptedDataKey>,
    pub context: EncryptionContext,
    pub signing_key: Option<Zeroizing<Vec<u8>>>,
}

impl EncryptionMaterials {
    fn duplicate(&self) -> EncryptionMaterials {
        EncryptionMaterials {
            data_key: self.data_key.duplicate(),
            keys: self.keys.clone(),
            context: self.context.clone(),
            signing_key: self.signing_key.clone(),
        }
    }
}

/// Where the encryptor and decryptor get their materials.
pub trait MaterialsManager {
    /// Materials for one message of `suite` under `context`, of `plaintext_len` bytes if known.
    fn encryption_materials(
        &mut self,
        suite: Suite,
        context: &EncryptionContext,
        plaintext_len: Option<u64>,
    ) -> Result<EncryptionMaterials, Error>;

    /// The data key of a message.
    fn decryption_key(
        &mut self,
        suite: Suite,
        keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> Result<DataKey, Error>;
}

/// Every keyring is a materials manager without a cache: a new data key (and for the signed
/// suite a new signing key) per message.
impl<K: Keyring> MaterialsManager for K {
    fn encryption_materials(
        &mut self,
        suite: Suite,
        context: &EncryptionContext,
        _plaintext_len: Option<u64>,
    ) -> Result<EncryptionMaterials, Error> {
        fresh_materials(self, suite, context)
    }

    fn decryption_key(
        &mut self,
        suite: Suite,
        keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> Result<DataKey, Error> {
        self.unwrap(suite, keys, context)
    }
}

/// New materials from `keyring`: the signing key first (its public half joins the context the
/// data key is bound to), then the data key.
pub fn fresh_materials<K: Keyring + ?Sized>(
    keyring: &mut K,
    suite: Suite,
    context: &EncryptionContext,
) -> Result<EncryptionMaterials, Error> {
    if context.contains_key(PUBLIC_KEY_CONTEXT_KEY) {
        return Err(Error::Policy(format!(
            "the encryption context key {PUBLIC_KEY_CONTEXT_KEY} is reserved"
        )));
    }
    let mut context = context.clone();
    let signing_key = if suite.signed() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &rng)
            .map_err(|_| Error::Crypto)?;
        let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &pkcs8)
            .map_err(|_| Error::Crypto)?;
        let compressed: aws_lc_rs::encoding::EcPublicKeyCompressedBin<'_> =
            aws_lc_rs::encoding::AsBigEndian::as_be_bytes(pair.public_key())
                .map_err(|_| Error::Crypto)?;
        context.insert(
            PUBLIC_KEY_CONTEXT_KEY.to_owned(),
            base64::engine::general_purpose::STANDARD.encode(compressed.as_ref()),
        );
        Some(pkcs8)
    } else {
        None
    };
    let (data_key, keys) = keyring.generate(suite, &context)?;
    Ok(EncryptionMaterials {
        data_key,
        keys,
        context,
        signing_key,
    })
}

/// How long and how much a cached data key may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLimits {
    /// An entry older than this is not used again.
    pub max_age: Duration,
    /// At most this many messages per data key.
    pub max_messages: u64,
    /// At most this many plaintext bytes per data key.
    pub max_bytes: u64,
    /// At most this many entries (the oldest goes first).
    pub capacity: usize,
}

impl Default for CacheLimits {
    fn default() -> CacheLimits {
        CacheLimits {
            max_age: Duration::from_secs(300),
            max_messages: 1 << 32,
            max_bytes: 1 << 62,
            capacity: 1000,
        }
    }
}

struct EncryptEntry {
    materials: EncryptionMaterials,
    created: Duration,
    messages: u64,
    bytes: u64,
}

struct DecryptEntry {
    data_key: DataKey,
    created: Duration,
}

/// A materials manager that reuses data keys within [`CacheLimits`], as the SDK's caching
/// cryptographic materials manager: encryption materials by suite and encryption context,
/// decryption keys by suite, encrypted data keys and context. A message of unknown length
/// never reuses a data key (its bytes could not be counted). Each message still gets its own
/// message id, so its derived key is its own.
pub struct CachingManager<K: Keyring> {
    inner: K,
    limits: CacheLimits,
    /// Time since an arbitrary origin (tests move it).
    clock: Box<dyn Fn() -> Duration + Send>,
    encrypt: HashMap<EncryptKey, EncryptEntry>,
    decrypt: HashMap<DecryptKey, DecryptEntry>,
}

/// Encryption entries are found by suite and context.
type EncryptKey = (Suite, Vec<(String, String)>);
/// Decryption entries by suite, encrypted data keys and context.
type DecryptKey = (Suite, Vec<EncryptedDataKey>, Vec<(String, String)>);

impl<K: Keyring> std::fmt::Debug for CachingManager<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingManager")
            .field("limits", &self.limits)
            .field("encrypt_entries", &self.encrypt.len())
            .field("decrypt_entries", &self.decrypt.len())
            .finish_non_exhaustive()
    }
}

impl<K: Keyring> CachingManager<K> {
    /// A cache over `inner` with the system's monotonic clock.
    pub fn new(inner: K, limits: CacheLimits) -> CachingManager<K> {
        let origin = std::time::Instant::now();
        Self::with_clock(inner, limits, Box::new(move || origin.elapsed()))
    }

    /// A cache with an injected clock.
    pub fn with_clock(
        inner: K,
        limits: CacheLimits,
        clock: Box<dyn Fn() -> Duration + Send>,
    ) -> CachingManager<K> {
        CachingManager {
            inner,
            limits,
            clock,
            encrypt: HashMap::new(),
            decrypt: HashMap::new(),
        }
    }

    pub fn inner(&self) -> &K {
        &self.inner
    }

    fn fresh(&self, created: Duration) -> bool {
        (self.clock)().saturating_sub(created) < self.limits.max_age
    }
}

fn pairs(context: &EncryptionContext) -> Vec<(String, String)> {
    context
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Drops the oldest entry of `map` when it is full.
fn make_room<Q: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<Q, V>,
    capacity: usize,
    created: impl Fn(&V) -> Duration,
) {
    while map.len() >= capacity.max(1) {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| created(v))
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        map.remove(&oldest);
    }
}

impl<K: Keyring> MaterialsManager for CachingManager<K> {
    fn encryption_materials(
        &mut self,
        suite: Suite,
        context: &EncryptionContext,
        plaintext_len: Option<u64>,
    ) -> Result<EncryptionMaterials, Error> {
        let Some(len) = plaintext_len.filter(|l| *l <= self.limits.max_bytes) else {
            return fresh_materials(&mut self.inner, suite, context);
        };
        let key = (suite, pairs(context));
        if let Some(entry) = self.encrypt.get(&key) {
            let usable = self.fresh(entry.created)
                && entry.messages < self.limits.max_messages
                && entry.bytes.saturating_add(len) <= self.limits.max_bytes;
            if !usable {
                self.encrypt.remove(&key);
            }
        }
        if let Some(entry) = self.encrypt.get_mut(&key) {
            entry.messages = entry.messages.saturating_add(1);
            entry.bytes = entry.bytes.saturating_add(len);
            return Ok(entry.materials.duplicate());
        }
        let materials = fresh_materials(&mut self.inner, suite, context)?;
        make_room(&mut self.encrypt, self.limits.capacity, |e| e.created);
        self.encrypt.insert(
            key,
            EncryptEntry {
                materials: materials.duplicate(),
                created: (self.clock)(),
                messages: 1,
                bytes: len,
            },
        );
        Ok(materials)
    }

    fn decryption_key(
        &mut self,
        suite: Suite,
        keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> Result<DataKey, Error> {
        let key = (suite, keys.to_vec(), pairs(context));
        if let Some(entry) = self.decrypt.get(&key) {
            if self.fresh(entry.created) {
                return Ok(entry.data_key.duplicate());
            }
            self.decrypt.remove(&key);
        }
        let data_key = self.inner.unwrap(suite, keys, context)?;
        make_room(&mut self.decrypt, self.limits.capacity, |e| e.created);
        self.decrypt.insert(
            key,
            DecryptEntry {
                data_key: data_key.duplicate(),
                created: (self.clock)(),
            },
        );
        Ok(data_key)
    }
}

#[cfg(test)]
mod tests;
