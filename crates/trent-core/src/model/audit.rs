//! The audit trail's records: hash-chained events and signed digests.

use super::UnixMillis;

/// One API call, as CloudTrail's event JSON, chained to the previous record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// 1, 2, 3, ... without gaps.
    pub seq: i64,
    pub time: UnixMillis,
    /// The CloudTrail event, serialized.
    pub event: String,
    /// SHA-256 over the previous record's hash, this sequence number and the event.
    pub hash: Vec<u8>,
}

/// A signed statement that the records up to `last_seq` chain to `last_hash`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditDigest {
    pub first_seq: i64,
    pub last_seq: i64,
    pub last_hash: Vec<u8>,
    pub time: UnixMillis,
    /// Ed25519 over [`AuditDigest::signed_bytes`], by the audit signing key.
    pub signature: Vec<u8>,
}

impl AuditDigest {
    /// What the signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = b"trent-audit-digest-v1".to_vec();
        out.extend_from_slice(&self.first_seq.to_be_bytes());
        out.extend_from_slice(&self.last_seq.to_be_bytes());
        out.extend_from_slice(&self.last_hash);
        out.extend_from_slice(&self.time.0.to_be_bytes());
        out
    }
}
