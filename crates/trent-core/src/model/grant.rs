//! Grants: permissions to use one key for some operations, given to a principal.

use std::collections::BTreeMap;

use super::{KeyId, Scope, UnixMillis};

/// The operations a grant may allow (`GrantOperation`), in the model's order.
pub const GRANT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
    "Encapsulate",
    "Decapsulate",
];

/// A grant as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRecord {
    pub scope: Scope,
    pub key: KeyId,
    /// 64 hex characters, as AWS's grant ids.
    pub id: String,
    pub name: Option<String>,
    pub grantee: String,
    /// The grantee's unique id (`AIDA...`, `AROA...`) when the grant was made, for an IAM
    /// user or role Trent hosts: the grant is that principal's, not a later one's of the
    /// same name.
    pub grantee_id: Option<String>,
    pub retiring: Option<String>,
    /// The retiring principal's unique id, as `grantee_id`.
    pub retiring_id: Option<String>,
    /// `arn:aws:iam::<account>:root` of the account that created the grant.
    pub issuing_account: String,
    pub operations: Vec<String>,
    pub context_equals: Option<BTreeMap<String, String>>,
    pub context_subset: Option<BTreeMap<String, String>>,
    pub created: UnixMillis,
}

impl GrantRecord {
    /// Whether two grants ask for the same thing (CreateGrant's `Name` idempotency).
    pub fn same_terms(&self, other: &GrantRecord) -> bool {
        let mut a = self.operations.clone();
        let mut b = other.operations.clone();
        a.sort();
        b.sort();
        self.key == other.key
            && self.name == other.name
            && self.grantee == other.grantee
            && self.retiring == other.retiring
            && a == b
            && self.context_equals == other.context_equals
            && self.context_subset == other.context_subset
    }
}

/// The prefix of the grant tokens Trent issues: `TrentGrantToken1:<grant id>:<nonce>`.
const TOKEN_PREFIX: &str = "TrentGrantToken1:";

/// A grant token naming `id`.
pub fn token(id: &str, nonce_hex: &str) -> String {
    format!("{TOKEN_PREFIX}{id}:{nonce_hex}")
}

/// The grant id a grant token names, if it is one of Trent's tokens.
pub fn id_of_token(token: &str) -> Option<&str> {
    token
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .map(|(id, _)| id)
        .filter(|id| is_grant_id(id))
}

/// Whether `id` has the form of a grant id (64 hexadecimal digits).
pub fn is_grant_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}
