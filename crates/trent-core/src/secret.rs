//! Secret byte strings: key material and plaintexts, zeroized on drop and never printed.

use zeroize::Zeroizing;

/// Bytes that must not outlive their use or appear in logs: key material, plaintexts, data keys.
///
/// `Debug` prints only the length; the memory is zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret(Zeroizing::new(bytes))
    }

    pub fn from_slice(bytes: &[u8]) -> Secret {
        Secret::new(bytes.to_vec())
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Gives the bytes away without copying (they stay zeroizing).
    pub fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(<{} bytes redacted>)", self.0.len())
    }
}

/// Unsealed key material of one KMS key version.
pub type KeyMaterial = Secret;

/// A plaintext handed to or returned by an operation.
pub type Plaintext = Secret;
