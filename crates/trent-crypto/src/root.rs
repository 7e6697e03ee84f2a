//! Root-key providers: the key that seals every piece of key material at rest.
//!
//! [`FileRootKey`] keeps a random 256-bit key in a file (hex, mode 0600) in the data directory.
//! Sealed values have the layout `version (1) | root key id (4) | iv (12) | ciphertext | tag (16)`
//! under AES-256-GCM, with the caller's AAD; the root key id (the first four bytes of
//! SHA-256 of the key) lets a future root-key rotation tell old seals from new ones.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::{digest, rand};
use trent_core::backend::{BackendError, RootKeyProvider};
use trent_core::secret::Secret;
use zeroize::Zeroizing;

const SEAL_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 4 + 12;

/// A root key held in a file.
pub struct FileRootKey {
    key: LessSafeKey,
    id: [u8; 4],
    path: PathBuf,
}

impl std::fmt::Debug for FileRootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileRootKey")
            .field("path", &self.path)
            .field("id", &hex_id(&self.id))
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
    #[error("root key file {} is malformed: it must hold 64 hex digits", .0.display())]
    Malformed(PathBuf),
    #[error("root key file {path} is readable by others (mode {mode:o}); chmod 600 it", path = .0.display(), mode = .1)]
    Permissions(PathBuf, u32),
    #[error("root key: cryptographic failure")]
    Crypto,
}

impl FileRootKey {
    /// Opens the root key at `path`, creating a new random one (mode 0600) if there is none.
    ///
    /// Returns the provider and whether the key was created now.
    pub fn open_or_create(path: &Path) -> Result<(FileRootKey, bool), RootKeyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Self::from_file_text(path, &text)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = Zeroizing::new([0u8; 32]);
                rand::fill(bytes.as_mut()).map_err(|_| RootKeyError::Crypto)?;
                let text = Zeroizing::new(format!("{}\n", hex::encode(bytes.as_ref())));
                write_private(path, text.as_bytes())
                    .map_err(|e| RootKeyError::Io(path.to_owned(), e))?;
                Ok((Self::from_bytes(path, bytes.as_ref())?, true))
            }
            Err(e) => Err(RootKeyError::Io(path.to_owned(), e)),
        }
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
        let bytes = Zeroizing::new(
            hex::decode(text.trim()).map_err(|_| RootKeyError::Malformed(path.to_owned()))?,
        );
        if bytes.len() != 32 {
            return Err(RootKeyError::Malformed(path.to_owned()));
        }
        Self::from_bytes(path, &bytes)
    }

    fn from_bytes(path: &Path, bytes: &[u8]) -> Result<FileRootKey, RootKeyError> {
        let key = UnboundKey::new(&aead::AES_256_GCM, bytes).map_err(|_| RootKeyError::Crypto)?;
        let mut id = [0u8; 4];
        let d = digest::digest(&digest::SHA256, bytes);
        id.copy_from_slice(d.as_ref().get(..4).ok_or(RootKeyError::Crypto)?);
        Ok(FileRootKey {
            key: LessSafeKey::new(key),
            id,
            path: path.to_owned(),
        })
    }
}

/// Writes a new file readable only by its owner, durably.
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
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

impl RootKeyProvider for FileRootKey {
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, BackendError> {
        let mut iv = [0u8; 12];
        rand::fill(&mut iv).map_err(|_| BackendError::Fatal("random".to_owned()))?;
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + 16);
        out.push(SEAL_VERSION);
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&iv);
        let mut body = Zeroizing::new(plaintext.to_vec());
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut *body)
            .map_err(|_| BackendError::Fatal("seal".to_owned()))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Secret, BackendError> {
        let (header, body) = sealed
            .split_at_checked(HEADER_LEN)
            .ok_or(BackendError::InvalidCiphertext)?;
        let (version, rest) = header
            .split_first()
            .ok_or(BackendError::InvalidCiphertext)?;
        let (id, iv) = rest
            .split_at_checked(4)
            .ok_or(BackendError::InvalidCiphertext)?;
        if *version != SEAL_VERSION || id != self.id {
            return Err(BackendError::InvalidCiphertext);
        }
        let iv: [u8; 12] = iv.try_into().map_err(|_| BackendError::InvalidCiphertext)?;
        let mut buf = Zeroizing::new(body.to_vec());
        let len = self
            .key
            .open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut buf)
            .map_err(|_| BackendError::InvalidCiphertext)?
            .len();
        buf.truncate(len);
        Ok(Secret::new(std::mem::take(&mut *buf)))
    }

    fn describe(&self) -> String {
        format!("file {} (id {})", self.path.display(), hex_id(&self.id))
    }
}

#[cfg(test)]
mod tests;
