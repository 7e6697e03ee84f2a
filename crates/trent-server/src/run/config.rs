//! The TOML configuration file (`--config`): accounts, their regions, IAM users and roles
//! with tags and inline policies, and access keys.
//!
//! ```toml
//! [[accounts]]                             # the first account is the operator account
//! id = "111122223333"
//! regions = ["us-east-1", "eu-west-1"]   # optional: every AWS commercial region
//!
//! [[accounts.users]]
//! name = "alice"
//! tags = { team = "blue" }
//! policies = { use-keys = '{"Version":"2012-10-17","Statement":[...]}' }
//!
//! [[accounts.roles]]
//! name = "Ops"
//! trust_policy = '{"Version":"2012-10-17","Statement":[...]}'
//! max_session_seconds = 3600              # optional, 3600 to 43200
//!
//! [[accounts.access_keys]]
//! id = "AKIAIOSFODNN7EXAMPLE"
//! secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
//! user = "alice"                           # optional: the account root when absent
//!
//! [quotas]                                 # optional: AWS's rates, switched off
//! enabled = true                           # request-rate quotas on (default false)
//! rates = { symmetric = 100000, rsa = 1000, ecc = 1000, CreateKey = 5, RSA_2048 = 20 }
//! keys_per_region = 100000                 # resource quotas, always on
//! aliases_per_key = 50
//!
//! [sigv4]
//! require_signed_target = true             # refuse requests whose X-Amz-Target is unsigned
//!
//! [listener]                               # optional: the front door's bounds (defaults shown)
//! header_timeout_secs = 10                 # TLS handshake and each request head
//! body_timeout_secs = 30                   # each request body
//! idle_timeout_secs = 60                   # a keep-alive connection with nothing in flight
//! max_connections = 4096
//! max_connections_per_ip = 512
//! max_streams_per_connection = 100         # HTTP/2
//! max_header_bytes = 65536
//! body_memory_bytes = 67108864             # request bodies being received, in all
//! h2c = false                              # HTTP/2 over plain TCP
//! auth_failures_per_second = 10            # per source address, after a burst of
//! auth_failure_burst = 100                 # ... this many; then ThrottlingException
//! admin_per_second = 50                    # per account, bursts of ten seconds' worth
//! assume_role_per_second = 100
//! lookup_events_per_second = 10
//!
//! [root_key]                               # optional: the root key in a PKCS#11 token
//! pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so"
//! token = "trent"                          # the token's label (or slot = 0)
//! key_label = "trent-root"                 # optional (this is the default)
//! pin = "env:TRENT_HSM_PIN"                # prompt, env:NAME or file:PATH
//!
//! [[cloudhsm_cluster]]                     # optional: an HSM for AWS_CLOUDHSM key stores
//! id = "cluster-234567abcdefg"             # cluster- and 11 to 16 of [2-7a-zA-Z]
//! pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so"
//! token = "store-1"                        # the token's label (or slot = 1)
//! trust_anchor = "/etc/trent/customerCA.crt" # PEM; CreateCustomKeyStore must give the same
//! lineage = "prod"                         # optional: clusters of one lineage are related
//!
//! [console]                                # optional: the web console at /console
//! enabled = true                           # default true
//! idle_timeout_secs = 900                  # a session unused this long is signed out
//! max_sessions = 1000                      # held at once; the least recently used goes
//! ```

use crate::failure::Failure;
use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use trent_core::model::{AccountId, Region};

/// The regions an account may use when its configuration names none: AWS's commercial regions.
pub const DEFAULT_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    accounts: Vec<RawAccount>,
    quotas: Option<RawQuotas>,
    sigv4: Option<RawSigv4>,
    listener: Option<ListenerConfig>,
    root_key: Option<RootKeyConfig>,
    #[serde(default)]
    cloudhsm_cluster: Vec<RawCluster>,
    console: Option<ConsoleConfig>,
    xks_proxy: Option<crate::xks::config::XksProxyConfig>,
    external_key_store: Option<crate::xks::config::XksClientConfig>,
}

/// `[console]`: the web console at `/console`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Serve the console (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A session unused this long is signed out (default 900, at most 43200).
    #[serde(default = "default_idle")]
    pub idle_timeout_secs: u64,
    /// Sessions held at once (default 1000); past it the least recently used goes.
    #[serde(default = "default_sessions")]
    pub max_sessions: usize,
}

fn yes() -> bool {
    true
}
fn default_idle() -> u64 {
    crate::console::session::IDLE_TIMEOUT_SECS
}
fn default_sessions() -> usize {
    crate::console::session::MAX_SESSIONS
}

impl Default for ConsoleConfig {
    fn default() -> ConsoleConfig {
        ConsoleConfig {
            enabled: true,
            idle_timeout_secs: default_idle(),
            max_sessions: default_sessions(),
        }
    }
}

/// `[[cloudhsm_cluster]]`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    id: String,
    pkcs11_module: std::path::PathBuf,
    token: Option<String>,
    slot: Option<u64>,
    trust_anchor: std::path::PathBuf,
    lineage: Option<String>,
}

/// A cluster that custom key stores may use: a PKCS#11 token under a CloudHSM-style id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    pub id: String,
    pub pkcs11_module: std::path::PathBuf,
    pub token: trent_crypto::TokenSelector,
    /// The trust anchor certificate's PEM text, read from the file named.
    pub trust_anchor: String,
    pub lineage: Option<String>,
}

impl RawCluster {
    fn check(self, base: Option<&Path>) -> Result<ClusterConfig, Failure> {
        let id = self.id;
        if !trent_core::model::is_cluster_id(&id) {
            return Err(Failure::Config(format!(
                "cloudhsm_cluster '{id}': an id is cluster- and 11 to 16 characters of [2-7a-zA-Z]"
            )));
        }
        let token = match (self.token, self.slot) {
            (Some(label), None) => trent_crypto::TokenSelector::Label(label),
            (None, Some(slot)) => trent_crypto::TokenSelector::Slot(slot),
            _ => {
                return Err(Failure::Config(format!(
                    "cloudhsm_cluster '{id}': give its token's label (token) or its slot, not both"
                )));
            }
        };
        let anchor_path = match base {
            Some(dir) if self.trust_anchor.is_relative() => dir.join(&self.trust_anchor),
            _ => self.trust_anchor.clone(),
        };
        let trust_anchor = std::fs::read_to_string(&anchor_path).map_err(|e| {
            Failure::Config(format!(
                "cloudhsm_cluster '{id}': cannot read its trust anchor {}: {e}",
                anchor_path.display()
            ))
        })?;
        if !trust_anchor.contains("-----BEGIN CERTIFICATE-----") {
            return Err(Failure::Config(format!(
                "cloudhsm_cluster '{id}': {} is not a PEM certificate",
                anchor_path.display()
            )));
        }
        Ok(ClusterConfig {
            id,
            pkcs11_module: self.pkcs11_module,
            token,
            trust_anchor,
            lineage: self.lineage,
        })
    }
}

/// `[root_key]`: the root key in a PKCS#11 token (the flags `--root-key-pkcs11` and the
/// others win over it).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RootKeyConfig {
    pub pkcs11_module: std::path::PathBuf,
    pub token: Option<String>,
    pub slot: Option<u64>,
    pub key_label: Option<String>,
    /// Where the PIN comes from: `prompt`, `env:NAME` or `file:PATH`.
    pub pin: String,
}

/// `[listener]`: the front door's timeouts and caps; what is absent keeps its default.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfig {
    pub header_timeout_secs: Option<f64>,
    pub body_timeout_secs: Option<f64>,
    pub idle_timeout_secs: Option<f64>,
    pub max_connections: Option<usize>,
    pub max_connections_per_ip: Option<usize>,
    pub max_streams_per_connection: Option<u32>,
    pub max_header_bytes: Option<usize>,
    pub body_memory_bytes: Option<usize>,
    pub h2c: Option<bool>,
    pub auth_failures_per_second: Option<u32>,
    pub auth_failure_burst: Option<u32>,
    pub admin_per_second: Option<u32>,
    pub assume_role_per_second: Option<u32>,
    pub lookup_events_per_second: Option<u32>,
}

impl ListenerConfig {
    fn check(&self) -> Result<(), Failure> {
        for (name, secs) in [
            ("header_timeout_secs", self.header_timeout_secs),
            ("body_timeout_secs", self.body_timeout_secs),
            ("idle_timeout_secs", self.idle_timeout_secs),
        ] {
            if secs.is_some_and(|s| !(s > 0.0 && s <= 86_400.0)) {
                return Err(Failure::Config(format!(
                    "[listener] {name}: expected more than 0 and at most 86400"
                )));
            }
        }
        let zero = [
            ("max_connections", self.max_connections == Some(0)),
            (
                "max_connections_per_ip",
                self.max_connections_per_ip == Some(0),
            ),
            (
                "max_streams_per_connection",
                self.max_streams_per_connection == Some(0),
            ),
            ("body_memory_bytes", self.body_memory_bytes == Some(0)),
            (
                "auth_failures_per_second",
                self.auth_failures_per_second == Some(0),
            ),
            ("auth_failure_burst", self.auth_failure_burst == Some(0)),
            ("admin_per_second", self.admin_per_second == Some(0)),
            (
                "assume_role_per_second",
                self.assume_role_per_second == Some(0),
            ),
            (
                "lookup_events_per_second",
                self.lookup_events_per_second == Some(0),
            ),
        ];
        if let Some((name, _)) = zero.iter().find(|(_, is_zero)| *is_zero) {
            return Err(Failure::Config(format!(
                "[listener] {name}: expected at least 1"
            )));
        }
        if self.max_header_bytes.is_some_and(|n| n < 8192) {
            return Err(Failure::Config(
                "[listener] max_header_bytes: expected at least 8192".to_owned(),
            ));
        }
        Ok(())
    }

    /// Overrides `limits` with what the file sets.
    pub fn apply(&self, limits: &mut crate::http::front_door::Limits) {
        let secs = std::time::Duration::from_secs_f64;
        if let Some(s) = self.header_timeout_secs {
            limits.header_timeout = secs(s);
        }
        if let Some(s) = self.body_timeout_secs {
            limits.body_timeout = secs(s);
        }
        if let Some(s) = self.idle_timeout_secs {
            limits.idle_timeout = secs(s);
        }
        if let Some(n) = self.max_connections {
            limits.max_connections = n;
        }
        if let Some(n) = self.max_connections_per_ip {
            limits.max_connections_per_ip = n;
        }
        if let Some(n) = self.max_streams_per_connection {
            limits.max_streams_per_connection = n;
        }
        if let Some(n) = self.max_header_bytes {
            limits.max_header_bytes = n;
        }
        if let Some(n) = self.body_memory_bytes {
            limits.body_memory = n;
        }
        if let Some(on) = self.h2c {
            limits.h2c |= on;
        }
        if let Some(n) = self.auth_failures_per_second {
            limits.auth_failures_per_second = n;
        }
        if let Some(n) = self.auth_failure_burst {
            limits.auth_failure_burst = n;
        }
        if let Some(n) = self.admin_per_second {
            limits.admin_per_second = n;
        }
        if let Some(n) = self.assume_role_per_second {
            limits.assume_role_per_second = n;
        }
        if let Some(n) = self.lookup_events_per_second {
            limits.lookup_events_per_second = n;
        }
    }
}

/// `[sigv4]`: how strict signature checking is beyond what AWS requires.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigv4 {
    /// Refuse a request whose `X-Amz-Target` is present but not signed (AWS accepts it).
    #[serde(default)]
    require_signed_target: bool,
}

/// `[quotas]`: request-rate quotas per account, requests per second (off unless `enabled`),
/// and resource quotas (always on).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuotas {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    rates: BTreeMap<String, u32>,
    keys_per_region: Option<usize>,
    aliases_per_key: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    id: String,
    regions: Option<Vec<String>>,
    #[serde(default)]
    access_keys: Vec<RawAccessKey>,
    #[serde(default)]
    users: Vec<PrincipalConfig>,
    #[serde(default)]
    roles: Vec<PrincipalConfig>,
}

/// A user or role declared in the config.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalConfig {
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Inline identity policies: name to JSON document.
    #[serde(default)]
    pub policies: BTreeMap<String, String>,
    /// Roles only: who may assume the role.
    pub trust_policy: Option<String>,
    pub max_session_seconds: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccessKey {
    id: String,
    secret: String,
    user: Option<String>,
}

impl std::fmt::Debug for RawAccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAccessKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A parsed, checked configuration.
#[derive(Debug, Default)]
pub struct Config {
    pub accounts: Vec<AccountConfig>,
    /// Request-rate and resource quotas; AWS's (request rates off) when the file has no
    /// `[quotas]`.
    pub quotas: Option<trent_core::quota::RateLimits>,
    /// `[sigv4] require_signed_target`: the operation header must be signed.
    pub require_signed_target: bool,
    /// `[listener]`: the front door's bounds.
    pub listener: Option<ListenerConfig>,
    /// `[root_key]`: the root key in a PKCS#11 token.
    pub root_key: Option<RootKeyConfig>,
    /// `[[cloudhsm_cluster]]`: the HSMs custom key stores may use.
    pub clusters: Vec<ClusterConfig>,
    /// `[console]`: the web console's settings (served, with its defaults, when absent).
    pub console: Option<ConsoleConfig>,
    /// `[xks_proxy]`: Trent as an external key store proxy (checked at start, which knows the
    /// default account).
    pub xks_proxy: Option<crate::xks::config::XksProxyConfig>,
    /// `[external_key_store]`: how Trent reaches the proxies of external key stores.
    pub external_key_store: Option<crate::xks::config::XksClientConfig>,
}

#[derive(Debug)]
pub struct AccountConfig {
    pub id: AccountId,
    pub regions: Vec<Region>,
    pub access_keys: Vec<AccessKeyConfig>,
    pub users: Vec<PrincipalConfig>,
    pub roles: Vec<PrincipalConfig>,
}

pub struct AccessKeyConfig {
    pub id: String,
    pub secret: zeroize::Zeroizing<String>,
    pub user: Option<String>,
}

impl std::fmt::Debug for AccessKeyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyConfig")
            .field("id", &self.id)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The default region list, parsed.
pub fn default_regions() -> Vec<Region> {
    DEFAULT_REGIONS
        .iter()
        .filter_map(|r| Region::parse(r))
        .collect()
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Config(format!("cannot read config {}: {e}", path.display())))?;
        Config::parse_in(&text, path.parent())
            .map_err(|e| Failure::Config(format!("config {}: {e}", path.display())))
    }

    pub fn parse(text: &str) -> Result<Config, Failure> {
        Config::parse_in(text, None)
    }

    /// Parses a config whose relative paths (trust anchors, certificates) are relative to
    /// `base`.
    fn parse_in(text: &str, base: Option<&Path>) -> Result<Config, Failure> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| Failure::Config(e.to_string()))?;
        let mut accounts = Vec::new();
        let mut seen_keys = std::collections::HashSet::new();
        for a in raw.accounts {
            let id = AccountId::parse(&a.id).ok_or_else(|| {
                Failure::Config(format!("account id '{}' is not twelve digits", a.id))
            })?;
            let regions = match a.regions {
                None => default_regions(),
                Some(list) => list
                    .iter()
                    .map(|r| {
                        Region::parse(r)
                            .ok_or_else(|| Failure::Config(format!("invalid region '{r}'")))
                    })
                    .collect::<Result<_, _>>()?,
            };
            if regions.is_empty() {
                return Err(Failure::Config(format!("account {id} has no regions")));
            }
            let mut access_keys = Vec::new();
            for k in a.access_keys {
                // AWS's own ids are 16 to 128 word characters; test rigs often pin short ones
                // such as `test`, so any length from 1 is accepted.
                let valid_id = (1..=128).contains(&k.id.len())
                    && k.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !valid_id {
                    return Err(Failure::Config(format!(
                        "access key id '{}' must be 1 to 128 letters, digits and underscores",
                        k.id
                    )));
                }
                if k.secret.is_empty() {
                    return Err(Failure::Config(format!(
                        "the secret of access key '{}' is empty",
                        k.id
                    )));
                }
                if !seen_keys.insert(k.id.clone()) {
                    return Err(Failure::Config(format!(
                        "access key '{}' is declared twice",
                        k.id
                    )));
                }
                access_keys.push(AccessKeyConfig {
                    id: k.id,
                    secret: zeroize::Zeroizing::new(k.secret),
                    user: k.user,
                });
            }
            for r in &a.roles {
                if r.trust_policy.is_none() {
                    return Err(Failure::Config(format!(
                        "role '{}' of account {id} has no trust_policy",
                        r.name
                    )));
                }
            }
            for u in &a.users {
                if u.trust_policy.is_some() || u.max_session_seconds.is_some() {
                    return Err(Failure::Config(format!(
                        "user '{}' of account {id}: trust_policy and max_session_seconds are for roles",
                        u.name
                    )));
                }
            }
            accounts.push(AccountConfig {
                id,
                regions,
                access_keys,
                users: a.users,
                roles: a.roles,
            });
        }
        let quotas = match raw.quotas {
            None => None,
            Some(q) => {
                let mut limits = trent_core::quota::RateLimits {
                    enabled: q.enabled,
                    ..Default::default()
                };
                if let Some(n) = q.keys_per_region {
                    limits.keys_per_region = n;
                }
                if let Some(n) = q.aliases_per_key {
                    limits.aliases_per_key = n;
                }
                for (name, rate) in &q.rates {
                    if *rate == 0 || !limits.set(name, *rate) {
                        return Err(Failure::Config(format!(
                            "quota '{name}': expected symmetric, rsa, ecc, post_quantum or a management operation such as CreateKey, with a rate of at least 1"
                        )));
                    }
                }
                Some(limits)
            }
        };
        if let Some(listener) = &raw.listener {
            listener.check()?;
        }
        let mut clusters: Vec<ClusterConfig> = Vec::new();
        for raw_cluster in raw.cloudhsm_cluster {
            let cluster = raw_cluster.check(base)?;
            if clusters.iter().any(|c| c.id == cluster.id) {
                return Err(Failure::Config(format!(
                    "cloudhsm_cluster '{}' is declared twice",
                    cluster.id
                )));
            }
            clusters.push(cluster);
        }
        Ok(Config {
            accounts,
            quotas,
            require_signed_target: raw.sigv4.unwrap_or_default().require_signed_target,
            listener: raw.listener,
            console: match raw.console {
                Some(c) if c.idle_timeout_secs == 0 || c.idle_timeout_secs > 43_200 => {
                    return Err(Failure::Config(
                        "[console] idle_timeout_secs: expected more than 0 and at most 43200"
                            .to_owned(),
                    ));
                }
                Some(c) if c.max_sessions == 0 => {
                    return Err(Failure::Config(
                        "[console] max_sessions: expected at least 1".to_owned(),
                    ));
                }
                other => other,
            },
            root_key: raw.root_key,
            clusters,
            xks_proxy: raw.xks_proxy.map(|x| x.relative_to(base)),
            external_key_store: raw.external_key_store.map(|x| x.relative_to(base)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_key_may_be_named_in_a_token() {
        let config = Config::parse(
            "[root_key]\npkcs11_module = \"/usr/lib/softhsm/libsofthsm2.so\"\ntoken = \"trent\"\npin = \"env:PIN\"\n",
        )
        .unwrap();
        let root_key = config.root_key.unwrap();
        assert_eq!(root_key.token.as_deref(), Some("trent"));
        assert_eq!(root_key.pin, "env:PIN");
        assert_eq!(root_key.key_label, None);
        assert!(Config::parse("[root_key]\ntoken = \"trent\"\npin = \"env:PIN\"\n").is_err());
        assert!(
            Config::parse("[root_key]\npkcs11_module = \"m\"\npin = \"p\"\nunknown = 1\n").is_err()
        );
    }

    #[test]
    fn listener_settings_override_the_defaults() {
        let c = Config::parse(
            "[listener]\nheader_timeout_secs = 2.5\nmax_connections_per_ip = 8\nh2c = true",
        )
        .unwrap();
        let mut limits = crate::http::front_door::Limits::default();
        c.listener.unwrap().apply(&mut limits);
        assert_eq!(
            limits,
            crate::http::front_door::Limits {
                header_timeout: std::time::Duration::from_millis(2500),
                max_connections_per_ip: 8,
                h2c: true,
                ..crate::http::front_door::Limits::default()
            }
        );
    }

    #[test]
    fn parses_accounts_and_keys() {
        let c = Config::parse(
            r#"
            [[accounts]]
            id = "123456789012"
            regions = ["eu-west-1"]
            [[accounts.access_keys]]
            id = "AKIAIOSFODNN7EXAMPLE"
            secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            [[accounts]]
            id = "210987654321"
            "#,
        );
        let c = c.unwrap_or_default();
        assert_eq!(c.accounts.len(), 2);
        assert_eq!(c.accounts.first().map(|a| a.access_keys.len()), Some(1));
        assert_eq!(
            c.accounts.get(1).map(|a| a.regions.len()),
            Some(DEFAULT_REGIONS.len())
        );
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "[[accounts]]\nid = \"12\"",
            "[[accounts]]\nid = \"123456789012\"\nregions = [\"US EAST\"]",
            "[[accounts]]\nid = \"123456789012\"\n[[accounts.access_keys]]\nid = \"has space\"\nsecret = \"s\"",
            "[[accounts]]\nid = \"123456789012\"\n[[accounts.access_keys]]\nid = \"test\"\nsecret = \"\"",
            "[[accounts]]\nid = \"123456789012\"\nunknown = 1",
            "not toml at all [",
            "[listener]\nheader_timeout_secs = 0",
            "[listener]\nmax_connections = 0",
            "[listener]\nmax_header_bytes = 100",
            "[listener]\nunknown = 1",
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }
}
