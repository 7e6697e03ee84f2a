//! Custom key stores of type `AWS_CLOUDHSM`: their ids, connection states and error codes, and
//! the record the store keeps of each.

use super::key::aws_enum;
use super::{Scope, UnixMillis};

/// A custom key store's id: `cks-` and 17 lowercase hex digits, as AWS.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CustomKeyStoreId(String);

impl CustomKeyStoreId {
    pub fn parse(value: &str) -> Option<CustomKeyStoreId> {
        let hex = value.strip_prefix("cks-")?;
        (hex.len() == 17
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| CustomKeyStoreId(value.to_owned()))
    }

    /// A new random id.
    pub fn random() -> CustomKeyStoreId {
        let hex = uuid::Uuid::new_v4().simple().to_string();
        CustomKeyStoreId(format!("cks-{}", hex.get(..17).unwrap_or_default()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CustomKeyStoreId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `value` is a CloudHSM cluster id: `cluster-` and 11 to 16 characters of
/// `[2-7a-zA-Z]`, the model's pattern.
pub fn is_cluster_id(value: &str) -> bool {
    value.strip_prefix("cluster-").is_some_and(|rest| {
        (11..=16).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphabetic() || (b'2'..=b'7').contains(&b))
    })
}

aws_enum! {
    /// A custom key store's `ConnectionState`.
    ConnectionState {
        Connected = "CONNECTED",
        Connecting = "CONNECTING",
        Failed = "FAILED",
        Disconnected = "DISCONNECTED",
        Disconnecting = "DISCONNECTING",
    }
}

aws_enum! {
    /// Why a custom key store failed to connect (`ConnectionErrorCode`): the codes an
    /// `AWS_CLOUDHSM` store can have.
    ConnectionErrorCode {
        InvalidCredentials = "INVALID_CREDENTIALS",
        ClusterNotFound = "CLUSTER_NOT_FOUND",
        NetworkErrors = "NETWORK_ERRORS",
        InternalError = "INTERNAL_ERROR",
        InsufficientCloudhsmHsms = "INSUFFICIENT_CLOUDHSM_HSMS",
        UserLockedOut = "USER_LOCKED_OUT",
        UserNotFound = "USER_NOT_FOUND",
        UserLoggedIn = "USER_LOGGED_IN",
    }
}

/// Everything the store keeps about a custom key store.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyStoreRecord {
    pub scope: Scope,
    pub id: CustomKeyStoreId,
    pub name: String,
    pub cluster_id: String,
    /// The trust anchor certificate (PEM) given at creation, as given.
    pub trust_anchor: String,
    /// The key store user's PIN (AWS's `kmsuser` password), sealed under the root key.
    pub sealed_password: Vec<u8>,
    pub state: ConnectionState,
    /// Set only while `state` is `FAILED`.
    pub error: Option<ConnectionErrorCode>,
    pub created: UnixMillis,
}

impl std::fmt::Debug for KeyStoreRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStoreRecord")
            .field("scope", &self.scope)
            .field("id", &self.id)
            .field("name", &self.name)
            .field("cluster_id", &self.cluster_id)
            .field("state", &self.state)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_cluster_ids_follow_aws_patterns() {
        let id = CustomKeyStoreId::random();
        assert_eq!(CustomKeyStoreId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(id.as_str().len(), 21);
        for bad in [
            "cks-1234",
            "cks-1234567890ABCDEF0",
            "xks-1234567890abcdef0",
            "",
        ] {
            assert_eq!(CustomKeyStoreId::parse(bad), None, "{bad}");
        }
        assert!(CustomKeyStoreId::parse("cks-1234567890abcdef0").is_some());
        for (value, ok) in [
            ("cluster-abcdefghijk", true),
            ("cluster-234567abcdefGHIJ", true),
            ("cluster-abcdefghij", false),
            ("cluster-abcdefghijklmnopq", false),
            ("cluster-abcdefghij1", false),
            ("cluster-abcdefghij8", false),
            ("clustr-abcdefghijk", false),
        ] {
            assert_eq!(is_cluster_id(value), ok, "{value}");
        }
    }
}
