//! Custom key stores (`AWS_CLOUDHSM` and `EXTERNAL_KEY_STORE`): their ids, types, connection
//! states and error codes, and the record the store keeps of each.

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
    /// Why a custom key store failed to connect (`ConnectionErrorCode`): the codes of both
    /// store types.
    ConnectionErrorCode {
        InvalidCredentials = "INVALID_CREDENTIALS",
        ClusterNotFound = "CLUSTER_NOT_FOUND",
        NetworkErrors = "NETWORK_ERRORS",
        InternalError = "INTERNAL_ERROR",
        InsufficientCloudhsmHsms = "INSUFFICIENT_CLOUDHSM_HSMS",
        UserLockedOut = "USER_LOCKED_OUT",
        UserNotFound = "USER_NOT_FOUND",
        UserLoggedIn = "USER_LOGGED_IN",
        XksProxyAccessDenied = "XKS_PROXY_ACCESS_DENIED",
        XksProxyNotReachable = "XKS_PROXY_NOT_REACHABLE",
        XksProxyInvalidResponse = "XKS_PROXY_INVALID_RESPONSE",
        XksProxyInvalidConfiguration = "XKS_PROXY_INVALID_CONFIGURATION",
        XksProxyInvalidTlsConfiguration = "XKS_PROXY_INVALID_TLS_CONFIGURATION",
        XksProxyTimedOut = "XKS_PROXY_TIMED_OUT",
    }
}

aws_enum! {
    /// A custom key store's `CustomKeyStoreType`.
    KeyStoreType {
        AwsCloudhsm = "AWS_CLOUDHSM",
        ExternalKeyStore = "EXTERNAL_KEY_STORE",
    }
}

aws_enum! {
    /// How KMS reaches an external key store's proxy (`XksProxyConnectivity`).
    XksProxyConnectivity {
        PublicEndpoint = "PUBLIC_ENDPOINT",
        VpcEndpointService = "VPC_ENDPOINT_SERVICE",
    }
}

/// Where an external key store's proxy is and which credential signs requests to it; the
/// secret access key is the record's `sealed_secret`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XksProxySettings {
    /// `https://` and a host name, no port (the model's pattern).
    pub uri_endpoint: String,
    /// `[/prefix]/kms/xks/v1`.
    pub uri_path: String,
    pub connectivity: XksProxyConnectivity,
    pub access_key_id: String,
}

impl XksProxySettings {
    /// The host of `uri_endpoint`.
    pub fn host(&self) -> &str {
        self.uri_endpoint
            .strip_prefix("https://")
            .unwrap_or(&self.uri_endpoint)
    }
}

/// Everything the store keeps about a custom key store.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyStoreRecord {
    pub scope: Scope,
    pub id: CustomKeyStoreId,
    pub name: String,
    pub kind: KeyStoreType,
    /// A CloudHSM store's cluster; empty for an external store.
    pub cluster_id: String,
    /// The trust anchor certificate (PEM) given at creation, as given; empty for an external
    /// store.
    pub trust_anchor: String,
    /// The store's secret, sealed under the root key: a CloudHSM store's key store user's PIN
    /// (AWS's `kmsuser` password), an external store's proxy secret access key.
    pub sealed_password: Vec<u8>,
    /// An external store's proxy.
    pub xks: Option<XksProxySettings>,
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
            .field("kind", &self.kind)
            .field("cluster_id", &self.cluster_id)
            .field("xks", &self.xks)
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
