//! The ciphertext blob of symmetric keys: a versioned, self-describing header and the sealed
//! body.
//!
//! Layout of format version 1 (all lengths in bytes; see `docs/ciphertext-format.md`):
//!
//! ```text
//! 1   version            0x01
//! 1   key id length L    1..=64
//! L   key id             ASCII, as the key's KeyId
//! 32  material id        which version of the key's material sealed this
//! 16  nonce              salt of the per-message key derivation
//! 12  iv                 AES-GCM nonce
//! n   ciphertext         n = plaintext length
//! 16  tag                AES-GCM tag
//! ```
//!
//! The header (everything before the ciphertext) is authenticated: it is part of the AAD,
//! followed by the canonical encryption context. Changing any byte therefore makes decryption
//! fail.

use crate::backend::SymmetricNonces;
use crate::model::{EncryptionContext, KeyId, MaterialId};

/// The current format version.
pub const VERSION: u8 = 1;
/// The AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// The longest key id the format carries.
pub const MAX_KEY_ID_LEN: usize = 64;

/// A parsed ciphertext blob, borrowing from the bytes it was parsed from.
#[derive(Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub key_id: &'a str,
    pub material_id: MaterialId,
    pub nonces: SymmetricNonces,
    /// The authenticated header bytes.
    pub header: &'a [u8],
    /// Ciphertext followed by the tag.
    pub body: &'a [u8],
}

/// A byte reader that never panics.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.data.len() {
            return None;
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
}

impl<'a> Envelope<'a> {
    /// Parses a blob; `None` for anything that is not a well-formed version-1 blob.
    pub fn parse(blob: &'a [u8]) -> Option<Envelope<'a>> {
        let mut r = Reader { data: blob };
        let [version] = r.array::<1>()?;
        if version != VERSION {
            return None;
        }
        let [len] = r.array::<1>()?;
        let len = usize::from(len);
        if len == 0 || len > MAX_KEY_ID_LEN {
            return None;
        }
        let key_id = std::str::from_utf8(r.take(len)?).ok()?;
        let material_id = MaterialId(r.array::<32>()?);
        let nonce = r.array::<16>()?;
        let iv = r.array::<12>()?;
        let header_len = blob.len() - r.data.len();
        let header = blob.get(..header_len)?;
        if r.data.len() < TAG_LEN {
            return None;
        }
        Some(Envelope {
            key_id,
            material_id,
            nonces: SymmetricNonces { nonce, iv },
            header,
            body: r.data,
        })
    }

    /// The AAD to authenticate this blob with a given encryption context.
    pub fn aad(&self, context: &EncryptionContext) -> Vec<u8> {
        aad(self.header, context)
    }
}

/// Builds the header of a new blob.
pub fn header(key_id: &KeyId, material_id: &MaterialId, nonces: &SymmetricNonces) -> Vec<u8> {
    let id = key_id.as_str().as_bytes();
    let mut out = Vec::with_capacity(2 + id.len() + 32 + 16 + 12);
    out.push(VERSION);
    // Key ids are at most 36 characters (UUID) or 36 (mrk-...); the format allows 64.
    out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(id);
    out.extend_from_slice(&material_id.0);
    out.extend_from_slice(&nonces.nonce);
    out.extend_from_slice(&nonces.iv);
    out
}

/// The AAD: the header, then the canonical encryption context.
pub fn aad(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let ctx = context.canonical_bytes();
    let mut out = Vec::with_capacity(header.len() + ctx.len());
    out.extend_from_slice(header);
    out.extend_from_slice(&ctx);
    out
}

#[cfg(test)]
mod tests;
