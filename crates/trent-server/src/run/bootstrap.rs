//! Identities at start-up: apply the config file (accounts, users, roles, access keys), create
//! the default account on a first start without one, and load every identity into the KMS's
//! in-memory directory.

use crate::failure::Failure;
use std::sync::Arc;

use base64::Engine as _;
use std::collections::HashSet;
use trent_core::Kms;

use trent_core::model::{
    AccessKeyRecord, AccountId, AccountRecord, Principal, PrincipalRecord, PrincipalType, Region,
    Tag,
};
use trent_core::policy::Policy;
use zeroize::Zeroizing;

use crate::run::config::{Config, default_regions};

/// The account a first start without a config creates.
pub const DEFAULT_ACCOUNT: &str = "111122223333";
/// The region printed for the default identity, and `--dev`'s fallback region.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The meta row naming the access key created for the default account.
const DEFAULT_KEY_META: &str = "default_access_key";
/// The meta row naming the operator account, whose root may create accounts.
const OPERATOR_META: &str = "operator_account";
/// The meta row listing the access keys the last config declared.
const CONFIG_KEYS_META: &str = "config_access_keys";

/// The credentials of the default account, to print at start-up.
pub struct DefaultIdentity {
    pub access_key_id: String,
    pub secret: Zeroizing<String>,
    pub region: String,
}

impl std::fmt::Debug for DefaultIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultIdentity")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// What start-up learned about identities.
#[derive(Debug)]
pub struct Loaded {
    /// Set when the store holds the auto-created default identity.
    pub default_identity: Option<DefaultIdentity>,
    /// The principal and region `--dev` falls back to.
    pub dev_default: Option<(Principal, Region)>,
}

/// A new access key id in AWS's shape: `AKIA` and 16 characters of base32.
fn new_access_key_id(kms: &Kms) -> Result<String, Failure> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let random = kms.random(16).map_err(|e| Failure::Config(e.to_string()))?;
    let suffix: String = random
        .as_slice()
        .iter()
        .filter_map(|b| ALPHABET.get(usize::from(b % 32)).map(|c| char::from(*c)))
        .collect();
    Ok(format!("AKIA{suffix}"))
}

/// Writes the users and roles the config declares (creating them, or updating their tags and
/// policies); users and roles made through the admin API are left alone.
async fn apply_principals(kms: &Kms, config: &Config) -> Result<(), Failure> {
    let store = kms.store();
    let existing = store
        .principals()
        .await
        .map_err(|e| Failure::Config(e.to_string()))?;
    for account in &config.accounts {
        let declared = account
            .users
            .iter()
            .map(|p| (PrincipalType::User, p))
            .chain(account.roles.iter().map(|p| (PrincipalType::Role, p)));
        for (kind, p) in declared {
            for (name, text) in &p.policies {
                Policy::parse(text, false).map_err(|e| {
                    Failure::Config({
                        format!("policy '{name}' of {} '{}': {e}", kind.as_str(), p.name)
                    })
                })?;
            }
            if let Some(text) = &p.trust_policy {
                Policy::parse(text, true).map_err(|e| {
                    Failure::Config(format!("trust policy of role '{}': {e}", p.name))
                })?;
            }
            let previous = existing
                .iter()
                .find(|e| e.account == account.id && e.kind == kind && e.name == p.name);
            let id = match previous {
                Some(prev) => prev.id.clone(),
                None => {
                    let prefix = if kind == PrincipalType::User {
                        "AIDA"
                    } else {
                        "AROA"
                    };
                    new_access_key_id(kms)?.replacen("AKIA", prefix, 1)
                }
            };
            let record = PrincipalRecord {
                account: account.id.clone(),
                kind,
                name: p.name.clone(),
                id,
                tags: p
                    .tags
                    .iter()
                    .map(|(k, v)| Tag {
                        key: k.clone(),
                        value: v.clone(),
                    })
                    .collect(),
                policies: p.policies.clone(),
                trust_policy: p.trust_policy.clone(),
                max_session_seconds: p.max_session_seconds.unwrap_or(3600),
                created: previous
                    .map(|p| p.created)
                    .unwrap_or_else(|| kms.clock().now()),
            };
            store
                .put_principal(&record)
                .await
                .map_err(|e| Failure::Config(e.to_string()))?;
        }
        // A user the config names only on an access key exists too (without tags or
        // policies), so that policies may name it.
        for key in &account.access_keys {
            let Some(user) = &key.user else { continue };
            let known = account.users.iter().any(|u| &u.name == user)
                || existing.iter().any(|e| {
                    e.account == account.id && e.kind == PrincipalType::User && &e.name == user
                });
            if !known {
                let record = PrincipalRecord {
                    account: account.id.clone(),
                    kind: PrincipalType::User,
                    name: user.clone(),
                    id: new_access_key_id(kms)?.replacen("AKIA", "AIDA", 1),
                    tags: Vec::new(),
                    policies: std::collections::BTreeMap::new(),
                    trust_policy: None,
                    max_session_seconds: 3600,
                    created: kms.clock().now(),
                };
                store
                    .put_principal(&record)
                    .await
                    .map_err(|e| Failure::Config(e.to_string()))?;
            }
        }
    }
    Ok(())
}

/// Applies the config, creates the default identity when needed, and loads all identities
/// into the KMS's directory.
pub async fn load(kms: &Arc<Kms>, config: Option<&Config>) -> Result<Loaded, Failure> {
    let store = kms.store();
    let err = |e: trent_core::store::StoreError| Failure::Store(e.to_string());
    // A config that declares no accounts (only clusters, quotas or the listener, say) leaves
    // identities as they are without one: the default identity is made and kept.
    let identities = config.filter(|c| !c.accounts.is_empty());
    if let Some(config) = identities {
        // The config is authoritative for the access keys it declares: a key an earlier
        // config listed (or the auto-created default key) that this one does not stops
        // working. Keys made through the admin API are the admin API's to manage.
        let listed: HashSet<&str> = config
            .accounts
            .iter()
            .flat_map(|a| a.access_keys.iter().map(|k| k.id.as_str()))
            .collect();
        let mut managed: HashSet<String> = store
            .meta(CONFIG_KEYS_META)
            .await
            .map_err(err)?
            .map(|v| {
                String::from_utf8_lossy(&v)
                    .lines()
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(default_key) = store.meta(DEFAULT_KEY_META).await.map_err(err)? {
            managed.insert(String::from_utf8_lossy(&default_key).into_owned());
        }
        for stored in store.access_keys().await.map_err(err)? {
            if managed.contains(&stored.id) && !listed.contains(stored.id.as_str()) {
                store.delete_access_key(&stored.id).await.map_err(err)?;
                tracing::warn!(access_key_id = %stored.id, "removed an access key the config no longer lists");
            }
        }
        store.delete_meta(DEFAULT_KEY_META).await.map_err(err)?;
        for account in &config.accounts {
            store
                .put_account(&AccountRecord {
                    id: account.id.clone(),
                    regions: account.regions.clone(),
                })
                .await
                .map_err(err)?;
        }
        apply_principals(kms, config).await?;
        for account in &config.accounts {
            for key in &account.access_keys {
                let sealed = kms
                    .seal_secret(&key.id, key.secret.as_bytes())
                    .map_err(|e| Failure::Config(e.to_string()))?;
                store
                    .put_access_key(&AccessKeyRecord {
                        id: key.id.clone(),
                        account: account.id.clone(),
                        user: key.user.clone(),
                        sealed_secret: sealed,
                        enabled: true,
                        created: kms.clock().now(),
                    })
                    .await
                    .map_err(err)?;
            }
        }
        let mut listed: Vec<&str> = listed.into_iter().collect();
        listed.sort_unstable();
        store
            .put_meta(CONFIG_KEYS_META, listed.join("\n").as_bytes())
            .await
            .map_err(err)?;
    }
    if identities.is_none() && store.accounts().await.map_err(err)?.is_empty() {
        let account = AccountId::parse(DEFAULT_ACCOUNT)
            .ok_or_else(|| Failure::Config("default account id".to_owned()))?;
        store
            .put_account(&AccountRecord {
                id: account.clone(),
                regions: default_regions(),
            })
            .await
            .map_err(err)?;
        let id = new_access_key_id(kms)?;
        let secret_bytes = kms.random(30).map_err(|e| Failure::Config(e.to_string()))?;
        let secret = Zeroizing::new(
            base64::engine::general_purpose::STANDARD.encode(secret_bytes.as_slice()),
        );
        let sealed = kms
            .seal_secret(&id, secret.as_bytes())
            .map_err(|e| Failure::Config(e.to_string()))?;
        store
            .put_access_key(&AccessKeyRecord {
                id: id.clone(),
                account,
                user: None,
                sealed_secret: sealed,
                enabled: true,
                created: kms.clock().now(),
            })
            .await
            .map_err(err)?;
        store
            .put_meta(DEFAULT_KEY_META, id.as_bytes())
            .await
            .map_err(err)?;
    }

    kms.reload_identities()
        .await
        .map_err(|e| Failure::Config(e.to_string()))?;
    let accounts = store.accounts().await.map_err(err)?;
    // The operator account (whose root may create accounts): the config's first; without a
    // config, the one recorded at the first start (the default account), never an account
    // that was created later through the admin API.
    let recorded = store
        .meta(OPERATOR_META)
        .await
        .map_err(err)?
        .and_then(|v| AccountId::parse(&String::from_utf8_lossy(&v)));
    let operator = config
        .and_then(|c| c.accounts.first().map(|a| a.id.clone()))
        .or(recorded)
        .or_else(|| {
            accounts
                .iter()
                .find(|a| a.id.as_str() == DEFAULT_ACCOUNT)
                .map(|a| a.id.clone())
        });
    if let Some(op) = &operator {
        store
            .put_meta(OPERATOR_META, op.as_str().as_bytes())
            .await
            .map_err(err)?;
    }
    kms.directory().set_operator(operator);

    let default_key = store
        .meta(DEFAULT_KEY_META)
        .await
        .map_err(err)?
        .map(|v| String::from_utf8_lossy(&v).into_owned());
    let default_identity = default_key
        .and_then(|id| kms.directory().credential(&id).map(|c| (id, c)))
        .map(|(id, c)| DefaultIdentity {
            access_key_id: id,
            secret: Zeroizing::new(String::from_utf8_lossy(c.secret.as_slice()).into_owned()),
            region: DEFAULT_REGION.to_owned(),
        });
    let dev_default = accounts
        .iter()
        .find(|a| a.id.as_str() == DEFAULT_ACCOUNT)
        .or(accounts.first())
        .map(|a| {
            let region = a
                .regions
                .iter()
                .find(|r| r.as_str() == DEFAULT_REGION)
                .or(a.regions.first())
                .cloned()
                .or_else(|| Region::parse(DEFAULT_REGION));
            (Principal::root(a.id.clone()), region)
        })
        .and_then(|(p, r)| Some((p, r?)));
    Ok(Loaded {
        default_identity,
        dev_default,
    })
}

/// The account and Region a config section falls back to when it names none: the config's
/// first account (with `us-east-1` if it has it, else its first Region), else the default
/// account in `us-east-1`.
pub fn default_scope(
    config: Option<&crate::run::config::Config>,
) -> Result<trent_core::model::Scope, Failure> {
    let fallback = || Failure::Config("the default account and Region".to_owned());
    let (account, region) = match config.and_then(|c| c.accounts.first()) {
        Some(a) => (
            a.id.clone(),
            a.regions
                .iter()
                .find(|r| r.as_str() == DEFAULT_REGION)
                .or(a.regions.first())
                .cloned(),
        ),
        None => (
            AccountId::parse(DEFAULT_ACCOUNT).ok_or_else(fallback)?,
            None,
        ),
    };
    Ok(trent_core::model::Scope {
        account,
        region: region
            .or_else(|| Region::parse(DEFAULT_REGION))
            .ok_or_else(fallback)?,
    })
}
