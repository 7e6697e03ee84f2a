//! Root-key providers: the key that seals every piece of key material at rest.
//!
//! [`FileRootKey`] keeps a keyring of random 256-bit keys in a file in the data directory:
//! `root.key` (hex, one key a line, mode 0600) or, with a passphrase, `root.key.enc`, the same
//! keys sealed (AES-256-GCM) under a key-encryption key derived from the passphrase with
//! Argon2id (64 MiB, 3 passes, fresh random salt), so that the file alone opens nothing.
//!
//! Sealed values have the layout `version (1) | root key id (4) | iv (12) | ciphertext | tag (16)`
//! under AES-256-GCM, with the caller's AAD. The root key id (the first four bytes of SHA-256
//! of the key) names the key that sealed a value: the first key of the ring seals, every key
//! of the ring unseals. A root-key rotation puts a new key first (written to the file before
//! anything is sealed under it), re-seals everything, then drops the earlier keys; a crash at
//! any point leaves a ring that opens every value.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::{digest, rand};
use trent_core::backend::{BackendError, RootKeyProvider};
use trent_core::secret::Secret;
use zeroize::Zeroizing;

const SEAL_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 4 + 12;
const KEY_LEN: usize = 32;

/// One key of the ring.
struct Entry {
    id: [u8; 4],
    key: LessSafeKey,
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl Entry {
    fn new(bytes: &[u8]) -> Result<Entry, RootKeyError> {
        let bytes: [u8; KEY_LEN] = bytes.try_into().map_err(|_| RootKeyError::Crypto)?;
        let bytes = Zeroizing::new(bytes);
        let key = UnboundKey::new(&aead::AES_256_GCM, bytes.as_ref())
            .map_err(|_| RootKeyError::Crypto)?;
        let mut id = [0u8; 4];
        let d = digest::digest(&digest::SHA256, bytes.as_ref());
        id.copy_from_slice(d.as_ref().get(..4).ok_or(RootKeyError::Crypto)?);
        Ok(Entry {
            id,
            key: LessSafeKey::new(key),
            bytes,
        })
    }

    fn random() -> Result<Entry, RootKeyError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::fill(bytes.as_mut()).map_err(|_| RootKeyError::Crypto)?;
        Entry::new(bytes.as_ref())
    }
}

/// How the ring is kept on disk.
enum Protection {
    /// Hex, one key a line.
    Plain,
    /// Sealed under a key derived from a passphrase; the derived key is kept to rewrite the
    /// file when the ring changes.
    Passphrase {
        kek: Zeroizing<[u8; 32]>,
        salt: [u8; 16],
        kdf: Kdf,
    },
}

/// Argon2id parameters: memory in KiB, passes, lanes.
#[derive(Clone, Copy)]
struct Kdf {
    memory: u32,
    passes: u32,
    lanes: u32,
}

const DEFAULT_KDF: Kdf = Kdf {
    memory: 64 * 1024,
    passes: 3,
    lanes: 1,
};
const ENC_MAGIC: &str = "trent-root-v1 argon2id";
const ENC_AAD: &[u8] = b"trent:root-key";

/// A root keyring held in a file.
pub struct FileRootKey {
    /// The first key seals; all of them unseal.
    ring: RwLock<Vec<Entry>>,
    path: PathBuf,
    protection: Protection,
}

impl std::fmt::Debug for FileRootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileRootKey")
            .field("path", &self.path)
            .field("ids", &self.key_ids())
            .finish_non_exhaustive()
    }
}

fn hex_id(id: &[u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Errors opening or creating a root key file.
#[derive(Debug, thiserror::Error)]
pub enum RootKeyError {
    #[error("root key file {path}: {source}", path = .0.display(), source = .1)]
    Io(PathBuf, std::io::Error),
    #[error("root key file {} is malformed: it must hold lines of 64 hex digits", .0.display())]
    Malformed(PathBuf),
    #[error("root key file {path} is readable by others (mode {mode:o}); chmod 600 it", path = .0.display(), mode = .1)]
    Permissions(PathBuf, u32),
    #[error("root key: cryptographic failure")]
    Crypto,
    #[error("the passphrase does not open the root key in {}", .0.display())]
    WrongPassphrase(PathBuf),
    #[error("the data directory has a plain root key file {}; start without a passphrase, or move that key away to begin a new passphrase-protected directory", .0.display())]
    PlainKeyPresent(PathBuf),
    #[error("the root key in {} is protected by a passphrase: start with --root-key-passphrase", .0.display())]
    PassphraseNeeded(PathBuf),
    #[error("both {} and {} exist (an interrupted `trent root-key passphrase`?): keep the one this directory uses and move the other away", .0.display(), .1.display())]
    BothKeyFiles(PathBuf, PathBuf),
}

fn derive_kek(
    passphrase: &[u8],
    salt: &[u8],
    kdf: Kdf,
) -> Result<Zeroizing<[u8; 32]>, RootKeyError> {
    let params = argon2::Params::new(kdf.memory, kdf.passes, kdf.lanes, Some(32))
        .map_err(|_| RootKeyError::Crypto)?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase, salt, out.as_mut())
        .map_err(|_| RootKeyError::Crypto)?;
    Ok(out)
}

fn aead_key(key: &[u8]) -> Result<LessSafeKey, RootKeyError> {
    Ok(LessSafeKey::new(
        UnboundKey::new(&aead::AES_256_GCM, key).map_err(|_| RootKeyError::Crypto)?,
    ))
}

impl FileRootKey {
    /// Opens the plain root keyring at `path`, creating a new random key (mode 0600) if there
    /// is none. Refuses a directory whose root key is passphrase-protected (`enc`).
    ///
    /// Returns the provider and whether the key was created now.
    pub fn open_or_create(path: &Path) -> Result<(FileRootKey, bool), RootKeyError> {
        Self::open_or_create_plain(path, None)
    }

    /// As [`FileRootKey::open_or_create`], refusing to create a plain key when a
    /// passphrase-protected one (`enc`) is present.
    pub fn open_or_create_plain(
        path: &Path,
        enc: Option<&Path>,
    ) -> Result<(FileRootKey, bool), RootKeyError> {
        if let Some(enc) = enc
            && enc.exists()
        {
            return Err(if path.exists() {
                RootKeyError::BothKeyFiles(path.to_owned(), enc.to_owned())
            } else {
                RootKeyError::PassphraseNeeded(enc.to_owned())
            });
        }
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Self::from_file_text(path, &text)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let root = FileRootKey {
                    ring: RwLock::new(Vec::new()),
                    path: path.to_owned(),
                    protection: Protection::Plain,
                };
                root.replace_ring(vec![Entry::random()?], true)?;
                Ok((root, true))
            }
            Err(e) => Err(RootKeyError::Io(path.to_owned(), e)),
        }
    }

    /// Opens the passphrase-protected root keyring at `path` (`root.key.enc`), creating a new
    /// random key sealed under the passphrase if there is none. Refuses a directory whose plain
    /// `root.key` (`plain`) exists, rather than silently making a second root key.
    pub fn open_or_create_with_passphrase(
        path: &Path,
        plain: &Path,
        passphrase: &Secret,
    ) -> Result<(FileRootKey, bool), RootKeyError> {
        if plain.exists() {
            return Err(if path.exists() {
                RootKeyError::BothKeyFiles(plain.to_owned(), path.to_owned())
            } else {
                RootKeyError::PlainKeyPresent(plain.to_owned())
            });
        }
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Self::from_enc_text(path, &text, passphrase)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let root = Self::empty_with_passphrase(path, passphrase)?;
                root.replace_ring(vec![Entry::random()?], true)?;
                Ok((root, true))
            }
            Err(e) => Err(RootKeyError::Io(path.to_owned(), e)),
        }
    }

    fn from_enc_text(
        path: &Path,
        text: &str,
        passphrase: &Secret,
    ) -> Result<FileRootKey, RootKeyError> {
        let malformed = || RootKeyError::Malformed(path.to_owned());
        let rest = text.trim().strip_prefix(ENC_MAGIC).ok_or_else(malformed)?;
        let field = |name: &str| {
            rest.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
                .ok_or_else(malformed)
        };
        let number = |name: &str| field(name)?.parse::<u32>().map_err(|_| malformed());
        let bytes = |name: &str| hex::decode(field(name)?).map_err(|_| malformed());
        let kdf = Kdf {
            memory: number("m")?,
            passes: number("t")?,
            lanes: number("p")?,
        };
        // A damaged or hostile file must not make the start allocate without bound.
        if kdf.memory > 4 * 1024 * 1024 || kdf.passes > 64 || kdf.lanes > 64 {
            return Err(malformed());
        }
        let (salt, iv, sealed) = (bytes("salt")?, bytes("iv")?, bytes("sealed")?);
        let salt: [u8; 16] = salt.try_into().map_err(|_| malformed())?;
        let iv: [u8; 12] = iv.try_into().map_err(|_| malformed())?;
        let kek = derive_kek(passphrase.as_slice(), &salt, kdf)?;
        let mut buf = Zeroizing::new(sealed);
        let keys = aead_key(kek.as_ref())?
            .open_in_place(
                Nonce::assume_unique_for_key(iv),
                Aad::from(ENC_AAD),
                &mut buf,
            )
            .map_err(|_| RootKeyError::WrongPassphrase(path.to_owned()))?;
        let ring = ring_from_bytes(keys).ok_or_else(malformed)?;
        Ok(FileRootKey {
            ring: RwLock::new(ring),
            path: path.to_owned(),
            protection: Protection::Passphrase { kek, salt, kdf },
        })
    }

    fn from_file_text(path: &Path, text: &str) -> Result<FileRootKey, RootKeyError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path)
                .map_err(|e| RootKeyError::Io(path.to_owned(), e))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(RootKeyError::Permissions(path.to_owned(), mode & 0o777));
            }
        }
        let malformed = || RootKeyError::Malformed(path.to_owned());
        let mut ring = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let bytes = Zeroizing::new(hex::decode(line).map_err(|_| malformed())?);
            if bytes.len() != KEY_LEN {
                return Err(malformed());
            }
            ring.push(Entry::new(&bytes)?);
        }
        if ring.is_empty() {
            return Err(malformed());
        }
        Ok(FileRootKey {
            ring: RwLock::new(ring),
            path: path.to_owned(),
            protection: Protection::Plain,
        })
    }

    /// Writes this ring to `path` protected by `passphrase` (a fresh salt), durably, and returns
    /// the provider that keeps it there. Sets or changes the passphrase of a data directory;
    /// the caller removes the file the ring came from, if it was another one.
    pub fn save_with_passphrase(
        &self,
        path: &Path,
        passphrase: &Secret,
    ) -> Result<FileRootKey, RootKeyError> {
        let saved = Self::empty_with_passphrase(path, passphrase)?;
        saved.replace_ring(self.next_ring_all()?, false)?;
        Ok(saved)
    }

    /// A provider with no key yet, kept at `path` under `passphrase` with a fresh salt.
    fn empty_with_passphrase(
        path: &Path,
        passphrase: &Secret,
    ) -> Result<FileRootKey, RootKeyError> {
        let mut salt = [0u8; 16];
        rand::fill(&mut salt).map_err(|_| RootKeyError::Crypto)?;
        let kek = derive_kek(passphrase.as_slice(), &salt, DEFAULT_KDF)?;
        Ok(FileRootKey {
            ring: RwLock::new(Vec::new()),
            path: path.to_owned(),
            protection: Protection::Passphrase {
                kek,
                salt,
                kdf: DEFAULT_KDF,
            },
        })
    }

    /// A copy of the whole ring.
    fn next_ring_all(&self) -> Result<Vec<Entry>, RootKeyError> {
        let ring = self.ring.read().map_err(|_| RootKeyError::Crypto)?;
        ring.iter().map(|e| Entry::new(e.bytes.as_ref())).collect()
    }

    /// The ids of the ring's keys, the sealing one first.
    pub fn key_ids(&self) -> Vec<String> {
        match self.ring.read() {
            Ok(ring) => ring.iter().map(|e| hex_id(&e.id)).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Makes `next` the ring: on disk first, then in memory, so that nothing is ever sealed
    /// under a key the file does not hold. Seals and unseals wait meanwhile.
    fn replace_ring(&self, next: Vec<Entry>, create: bool) -> Result<(), RootKeyError> {
        let mut ring = self.ring.write().map_err(|_| RootKeyError::Crypto)?;
        self.write_ring(&next, create)?;
        *ring = next;
        Ok(())
    }

    /// The current ring with `first` put before its keys (`None`: only its first key).
    fn next_ring(&self, first: Option<Entry>) -> Result<Vec<Entry>, RootKeyError> {
        let ring = self.ring.read().map_err(|_| RootKeyError::Crypto)?;
        let copy = |e: &Entry| Entry::new(e.bytes.as_ref());
        match first {
            Some(entry) => std::iter::once(Ok(entry))
                .chain(ring.iter().map(copy))
                .collect(),
            None => ring.first().map(copy).into_iter().collect(),
        }
    }

    /// Writes the ring to its file: a new file on creation, otherwise a temporary file renamed
    /// over the old one, so that a crash leaves either the old ring or the new one.
    fn write_ring(&self, ring: &[Entry], create: bool) -> Result<(), RootKeyError> {
        let io = |e| RootKeyError::Io(self.path.clone(), e);
        let text = match &self.protection {
            Protection::Plain => {
                let mut text = Zeroizing::new(String::new());
                for entry in ring.iter() {
                    text.push_str(&hex::encode(entry.bytes.as_ref()));
                    text.push('\n');
                }
                text
            }
            Protection::Passphrase { kek, salt, kdf } => {
                let mut body = Zeroizing::new(Vec::with_capacity(ring.len() * KEY_LEN + 16));
                for entry in ring.iter() {
                    body.extend_from_slice(entry.bytes.as_ref());
                }
                let mut iv = [0u8; 12];
                rand::fill(&mut iv).map_err(|_| RootKeyError::Crypto)?;
                aead_key(kek.as_ref())?
                    .seal_in_place_append_tag(
                        Nonce::assume_unique_for_key(iv),
                        Aad::from(ENC_AAD),
                        &mut *body,
                    )
                    .map_err(|_| RootKeyError::Crypto)?;
                Zeroizing::new(format!(
                    "{ENC_MAGIC} m={} t={} p={} salt={} iv={} sealed={}\n",
                    kdf.memory,
                    kdf.passes,
                    kdf.lanes,
                    hex::encode(salt),
                    hex::encode(iv),
                    hex::encode(body.as_slice())
                ))
            }
        };
        if create {
            write_private(&self.path, text.as_bytes()).map_err(io)
        } else {
            let mut tmp = self.path.clone().into_os_string();
            tmp.push(".new");
            let tmp = PathBuf::from(tmp);
            let _ = std::fs::remove_file(&tmp);
            write_private(&tmp, text.as_bytes()).map_err(io)?;
            std::fs::rename(&tmp, &self.path).map_err(io)?;
            sync_parent(&self.path);
            Ok(())
        }
    }
}

/// A ring from the concatenated bytes of its keys.
fn ring_from_bytes(bytes: &[u8]) -> Option<Vec<Entry>> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(KEY_LEN) {
        return None;
    }
    bytes
        .chunks_exact(KEY_LEN)
        .map(|k| Entry::new(k).ok())
        .collect()
}

/// Writes a new file readable only by its owner, durably.
/// A new file only (never through an existing name or link), readable only by its owner.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()?;
    sync_parent(path);
    Ok(())
}

fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// A sealed value's parts: `version ‖ key id (4) ‖ IV (12) ‖ ciphertext and tag`, the layout
/// of both root-key providers (their version bytes differ).
pub(crate) fn split_sealed(sealed: &[u8], version: u8) -> Result<Sealed<'_>, BackendError> {
    let bad = || BackendError::InvalidCiphertext;
    let (&found, rest) = sealed.split_first().ok_or_else(bad)?;
    let (id, rest) = rest.split_at_checked(4).ok_or_else(bad)?;
    let (iv, body) = rest.split_at_checked(12).ok_or_else(bad)?;
    if found != version || body.len() < 16 {
        return Err(bad());
    }
    Ok(Sealed {
        id: id.try_into().map_err(|_| bad())?,
        iv: iv.try_into().map_err(|_| bad())?,
        body,
    })
}

/// The parts of a sealed value.
pub(crate) struct Sealed<'a> {
    pub(crate) id: [u8; 4],
    pub(crate) iv: [u8; 12],
    pub(crate) body: &'a [u8],
}

fn poisoned() -> BackendError {
    BackendError::Fatal("root keyring lock poisoned".to_owned())
}

impl RootKeyProvider for FileRootKey {
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, BackendError> {
        let ring = self.ring.read().map_err(|_| poisoned())?;
        let current = ring.first().ok_or_else(poisoned)?;
        let mut iv = [0u8; 12];
        rand::fill(&mut iv).map_err(|_| BackendError::Fatal("random".to_owned()))?;
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + 16);
        out.push(SEAL_VERSION);
        out.extend_from_slice(&current.id);
        out.extend_from_slice(&iv);
        let mut body = Zeroizing::new(plaintext.to_vec());
        current
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut *body)
            .map_err(|_| BackendError::Fatal("seal".to_owned()))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Secret, BackendError> {
        let Sealed { id, iv, body } = split_sealed(sealed, SEAL_VERSION)?;
        let ring = self.ring.read().map_err(|_| poisoned())?;
        let entry = ring
            .iter()
            .find(|e| e.id == id)
            .ok_or(BackendError::InvalidCiphertext)?;
        let mut buf = Zeroizing::new(body.to_vec());
        let len = entry
            .key
            .open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut buf)
            .map_err(|_| BackendError::InvalidCiphertext)?
            .len();
        buf.truncate(len);
        Ok(Secret::new(std::mem::take(&mut *buf)))
    }

    fn describe(&self) -> String {
        format!(
            "file {} (ids {})",
            self.path.display(),
            self.key_ids().join(", ")
        )
    }

    fn sealed_under_current(&self, sealed: &[u8]) -> bool {
        let Ok(ring) = self.ring.read() else {
            return false;
        };
        match (ring.first(), sealed.get(1..5)) {
            (Some(current), Some(id)) => current.id == id,
            _ => false,
        }
    }

    fn key_count(&self) -> usize {
        self.ring.read().map(|r| r.len()).unwrap_or(0)
    }

    fn begin_rotation(&self) -> Result<String, BackendError> {
        let fatal = |e: RootKeyError| BackendError::Fatal(e.to_string());
        let entry = Entry::random().map_err(fatal)?;
        let id = hex_id(&entry.id);
        let next = self.next_ring(Some(entry)).map_err(fatal)?;
        self.replace_ring(next, false).map_err(fatal)?;
        Ok(id)
    }

    fn abandon_rotation(&self) -> Result<(), BackendError> {
        let fatal = |e: RootKeyError| BackendError::Fatal(e.to_string());
        let next: Vec<Entry> = {
            let ring = self.ring.read().map_err(|_| poisoned())?;
            if ring.len() < 2 {
                return Ok(());
            }
            ring.iter()
                .skip(1)
                .map(|e| Entry::new(e.bytes.as_ref()))
                .collect::<Result<_, _>>()
                .map_err(fatal)?
        };
        self.replace_ring(next, false).map_err(fatal)
    }

    fn retire_previous(&self) -> Result<usize, BackendError> {
        let fatal = |e: RootKeyError| BackendError::Fatal(e.to_string());
        let before = self.key_count();
        let next = self.next_ring(None).map_err(fatal)?;
        self.replace_ring(next, false).map_err(fatal)?;
        Ok(before.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests;
