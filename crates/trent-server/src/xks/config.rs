//! The config file's `[xks_proxy]` (Trent as an XKS proxy) and `[external_key_store]` (how
//! Trent as a KMS reaches proxies), as written and as checked.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;
use trent_core::model::{AccountId, KeyRef, Region, Scope};
use trent_core::ops::xks_proxy::ExposedKey;
use trent_core::policy::ProxyRule;

use crate::failure::Failure;

/// `[xks_proxy]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XksProxyConfig {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// Mutual TLS: the CA client certificates must chain to.
    pub client_ca_file: Option<PathBuf>,
    /// Mutual TLS: the subject common name the client certificate must have.
    pub client_subject: Option<String>,
    #[serde(default)]
    pub key_store: Vec<RawKeyStore>,
}

/// `[[xks_proxy.key_store]]`, as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKeyStore {
    #[serde(default)]
    pub path_prefix: String,
    pub account: Option<String>,
    pub region: Option<String>,
    pub requests_per_second: Option<u32>,
    pub credentials: Vec<RawCredential>,
    #[serde(default)]
    pub key: Vec<RawExposedKey>,
}

/// One SigV4 credential of a proxy key store.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredential {
    pub access_key_id: String,
    pub secret: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for RawCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawCredential")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// `[[xks_proxy.key_store.key]]`, as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExposedKey {
    pub external_key_id: String,
    pub key: String,
    pub operations: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_principals: Vec<String>,
    #[serde(default)]
    pub allowed_kms_key_arns: Vec<String>,
}

/// A proxy key store, checked: its path, scope, credentials and keys.
#[derive(Debug)]
pub struct ProxyKeyStore {
    /// `<path_prefix>/kms/xks/v1` is served; this is the prefix.
    pub path_prefix: String,
    pub scope: Scope,
    pub requests_per_second: Option<u32>,
    pub credentials: Vec<RawCredential>,
    pub keys: BTreeMap<String, ExposedKey>,
}

/// The checked `[xks_proxy]`.
#[derive(Debug)]
pub struct ProxySettings {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub client_ca_file: Option<PathBuf>,
    pub client_subject: Option<String>,
    pub stores: Vec<ProxyKeyStore>,
}

/// `path`, relative to the config file's directory when it is relative.
fn beside(base: Option<&std::path::Path>, path: PathBuf) -> PathBuf {
    match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path,
    }
}

fn bad(message: impl Into<String>) -> Failure {
    Failure::Config(format!("[xks_proxy]: {}", message.into()))
}

impl XksProxyConfig {
    /// The same settings with relative files read beside the config file.
    pub fn relative_to(self, base: Option<&std::path::Path>) -> XksProxyConfig {
        XksProxyConfig {
            cert_file: beside(base, self.cert_file),
            key_file: beside(base, self.key_file),
            client_ca_file: self.client_ca_file.map(|p| beside(base, p)),
            ..self
        }
    }

    /// Checks every store and key; `default` is the account (and its first Region) used when
    /// a store names none.
    pub fn check(self, default: &Scope) -> Result<ProxySettings, Failure> {
        if self.client_ca_file.is_some() != self.client_subject.is_some() {
            return Err(bad(
                "client_ca_file and client_subject go together (mutual TLS needs both)",
            ));
        }
        let mut prefixes = std::collections::BTreeSet::new();
        let mut stores = Vec::new();
        for raw in self.key_store {
            let prefix = raw.path_prefix.trim_end_matches('/').to_owned();
            if !prefix.is_empty()
                && !trent_api::xks::is_uri_path(&format!("{prefix}{}", trent_api::xks::PATH_SUFFIX))
            {
                return Err(bad(format!(
                    "path_prefix {:?} is not a valid XksProxyUriPath prefix ('/' and letters, digits, '/', '-', '_'; at most 128 characters with /kms/xks/v1)",
                    raw.path_prefix
                )));
            }
            if !prefixes.insert(prefix.clone()) {
                return Err(bad(format!("path_prefix {prefix:?} is used twice")));
            }
            let account = match &raw.account {
                Some(a) => AccountId::parse(a)
                    .ok_or_else(|| bad(format!("account {a:?} is not a 12-digit account id")))?,
                None => default.account.clone(),
            };
            let region = match &raw.region {
                Some(r) => {
                    Region::parse(r).ok_or_else(|| bad(format!("region {r:?} is not a Region")))?
                }
                None => default.region.clone(),
            };
            let scope = Scope { account, region };
            if raw.credentials.is_empty() || raw.credentials.len() > 2 {
                return Err(bad(format!(
                    "key store {prefix:?} needs one or two credentials (two while they rotate)"
                )));
            }
            for c in &raw.credentials {
                if !trent_api::xks::is_access_key_id(&c.access_key_id) {
                    return Err(bad(format!(
                        "access_key_id {:?} must be 20 to 30 characters of A-Z and 2-7",
                        c.access_key_id
                    )));
                }
                if !trent_api::xks::is_secret_access_key(&c.secret) {
                    return Err(bad(format!(
                        "the secret of {} must be 43 to 64 characters of A-Z, a-z, 0-9, '+', '/' and '='",
                        c.access_key_id
                    )));
                }
            }
            let mut keys = BTreeMap::new();
            for k in raw.key {
                if !trent_api::xks::is_external_key_id(&k.external_key_id) {
                    return Err(bad(format!(
                        "external_key_id {:?} must be 1 to 128 characters of A-Z, a-z, 0-9, '-', '_' and '.'",
                        k.external_key_id
                    )));
                }
                let key = KeyRef::parse(&k.key)
                    .map_err(|_| bad(format!("key {:?} is not a key id, ARN or alias", k.key)))?;
                let operations = k
                    .operations
                    .unwrap_or_else(|| vec!["ENCRYPT".to_owned(), "DECRYPT".to_owned()]);
                if operations.is_empty()
                    || operations.iter().any(|o| o != "ENCRYPT" && o != "DECRYPT")
                {
                    return Err(bad(format!(
                        "operations of {} must be ENCRYPT, DECRYPT or both",
                        k.external_key_id
                    )));
                }
                let exposed = ExposedKey {
                    external_key_id: k.external_key_id.clone(),
                    key,
                    encrypt: operations.iter().any(|o| o == "ENCRYPT"),
                    decrypt: operations.iter().any(|o| o == "DECRYPT"),
                    rule: ProxyRule {
                        allowed_principals: k.allowed_principals,
                        allowed_kms_key_arns: k.allowed_kms_key_arns,
                    },
                };
                if keys.insert(k.external_key_id.clone(), exposed).is_some() {
                    return Err(bad(format!(
                        "external_key_id {} is exposed twice in one key store",
                        k.external_key_id
                    )));
                }
            }
            stores.push(ProxyKeyStore {
                path_prefix: prefix,
                scope,
                requests_per_second: raw.requests_per_second,
                credentials: raw.credentials,
                keys,
            });
        }
        Ok(ProxySettings {
            cert_file: self.cert_file,
            key_file: self.key_file,
            client_ca_file: self.client_ca_file,
            client_subject: self.client_subject,
            stores,
        })
    }
}

/// `[external_key_store]`: how Trent as a KMS reaches external key store proxies.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XksClientConfig {
    /// Trust anchors for proxies' certificates (PEM); the system's roots when absent.
    pub ca_file: Option<PathBuf>,
    /// Each call's deadline, connection included (AWS's 250 ms by default).
    pub timeout_ms: Option<u64>,
    /// Dial this address for that host name (TLS still checks the name).
    #[serde(default)]
    pub connect_to: BTreeMap<String, SocketAddr>,
    /// A client certificate for proxies that ask for one (mutual TLS).
    pub client_cert_file: Option<PathBuf>,
    pub client_key_file: Option<PathBuf>,
}

impl XksClientConfig {
    /// The same settings with relative files read beside the config file.
    pub fn relative_to(self, base: Option<&std::path::Path>) -> XksClientConfig {
        XksClientConfig {
            ca_file: self.ca_file.map(|p| beside(base, p)),
            client_cert_file: self.client_cert_file.map(|p| beside(base, p)),
            client_key_file: self.client_key_file.map(|p| beside(base, p)),
            ..self
        }
    }
}

/// AWS KMS's timeout for a proxy call.
pub const DEFAULT_TIMEOUT_MS: u64 = 250;

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            account: AccountId::parse("111122223333").unwrap(),
            region: Region::parse("us-east-1").unwrap(),
        }
    }

    fn parse(text: &str) -> Result<ProxySettings, Failure> {
        let raw: XksProxyConfig = toml::from_str(text).unwrap();
        raw.check(&scope())
    }

    const HEAD: &str = "cert_file = \"c\"\nkey_file = \"k\"\n";
    const CRED: &str = "credentials = [{ access_key_id = \"AKIAI2SFODNN7EXAMPLE\", secret = \"FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE\" }]\n";

    #[test]
    fn a_store_with_keys_is_checked_and_defaults_apply() {
        let settings = parse(&format!(
            "{HEAD}[[key_store]]\npath_prefix = \"/a/\"\n{CRED}[[key_store.key]]\nexternal_key_id = \"k-1\"\nkey = \"alias/x\"\noperations = [\"ENCRYPT\"]\n"
        ))
        .unwrap();
        let store = &settings.stores[0];
        assert_eq!(store.path_prefix, "/a");
        assert_eq!(store.scope, scope());
        let key = &store.keys["k-1"];
        assert!(key.encrypt && !key.decrypt);
    }

    #[test]
    fn bad_settings_are_refused_with_what_is_wrong() {
        let cases = [
            (
                format!("{HEAD}[[key_store]]\ncredentials = []\n"),
                "one or two credentials",
            ),
            (
                format!(
                    "{HEAD}[[key_store]]\ncredentials = [{{ access_key_id = \"short\", secret = \"FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE\" }}]\n"
                ),
                "access_key_id",
            ),
            (
                format!(
                    "{HEAD}[[key_store]]\ncredentials = [{{ access_key_id = \"AKIAI2SFODNN7EXAMPLE\", secret = \"short\" }}]\n"
                ),
                "secret of AKIAI2SFODNN7EXAMPLE",
            ),
            (
                format!("{HEAD}[[key_store]]\npath_prefix = \"/a b\"\n{CRED}"),
                "path_prefix",
            ),
            (
                format!("{HEAD}[[key_store]]\n{CRED}[[key_store]]\n{CRED}"),
                "used twice",
            ),
            (
                format!(
                    "{HEAD}[[key_store]]\n{CRED}[[key_store.key]]\nexternal_key_id = \"bad id\"\nkey = \"alias/x\"\n"
                ),
                "external_key_id",
            ),
            (
                format!(
                    "{HEAD}[[key_store]]\n{CRED}[[key_store.key]]\nexternal_key_id = \"k\"\nkey = \"alias/x\"\noperations = [\"SIGN\"]\n"
                ),
                "ENCRYPT, DECRYPT or both",
            ),
            (format!("{HEAD}client_ca_file = \"ca\"\n"), "go together"),
        ];
        for (text, needle) in cases {
            let error = parse(&text).unwrap_err().to_string();
            assert!(error.contains(needle), "{needle}: {error}");
        }
    }
}
