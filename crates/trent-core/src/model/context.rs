//! Encryption contexts and their canonical, unambiguous byte encoding for use as AAD.

use std::collections::BTreeMap;

/// An encryption context: non-secret key-value pairs bound to a ciphertext.
///
/// Keys are kept sorted (a `BTreeMap` orders by byte-wise string comparison), so the
/// canonical encoding does not depend on the order in which the client sent the pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncryptionContext(pub BTreeMap<String, String>);

impl EncryptionContext {
    /// The AAD encoding: a 4-byte big-endian pair count, then for each pair in key order the
    /// key and the value, each as a 4-byte big-endian length and the UTF-8 bytes.
    ///
    /// Length prefixes make the encoding injective: `{"a": "bc"}` and `{"ab": "c"}` differ.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let len_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes();
        let mut out = Vec::with_capacity(
            4 + self
                .0
                .iter()
                .map(|(k, v)| 8 + k.len() + v.len())
                .sum::<usize>(),
        );
        out.extend_from_slice(&len_u32(self.0.len()));
        for (k, v) in &self.0 {
            out.extend_from_slice(&len_u32(k.len()));
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&len_u32(v.len()));
            out.extend_from_slice(v.as_bytes());
        }
        out
    }
}
