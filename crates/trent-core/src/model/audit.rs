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

/// An event to append, with what lookups select it by. The store keeps these fields in
/// indexed columns beside the event; they are outside the hash chain, so a lookup checks every
/// event it returns against its own filter as well.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditEntry {
    /// The CloudTrail event, serialized.
    pub event: String,
    /// The account whose trail holds the event (`recipientAccountId`); `None` for a call
    /// that failed authentication.
    pub account: Option<String>,
    /// The operation (`eventName`).
    pub event_name: String,
    /// The ids of the KMS keys among the event's resources.
    pub key_ids: Vec<String>,
}

impl From<&str> for AuditEntry {
    /// An event that no lookup selects by anything but time and sequence number.
    fn from(event: &str) -> Self {
        AuditEntry {
            event: event.to_owned(),
            ..AuditEntry::default()
        }
    }
}

impl From<String> for AuditEntry {
    fn from(event: String) -> Self {
        AuditEntry {
            event,
            ..AuditEntry::default()
        }
    }
}

/// Which way a lookup reads the trail, from where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditCursor {
    /// Oldest first, records with a sequence number above this one.
    After(i64),
    /// Newest first, records with a sequence number below this one.
    Before(i64),
}

/// What an audit lookup selects: every given field must match. The store answers from its
/// indexes and reads at most `limit` records, so a lookup costs what it returns, not the size
/// of the trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditQuery {
    pub account: Option<String>,
    pub event_name: Option<String>,
    /// A key id among the event's resources.
    pub key_id: Option<String>,
    /// Inclusive bounds on the record's time.
    pub since: Option<UnixMillis>,
    pub until: Option<UnixMillis>,
    pub cursor: AuditCursor,
    pub limit: usize,
}
