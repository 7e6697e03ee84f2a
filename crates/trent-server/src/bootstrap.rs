//! Identities at start-up: apply the config file, create the default account on a first start
//! without one, and load every access key into memory.

use std::sync::Arc;

use base64::Engine as _;
use trent_core::Kms;
use trent_core::model::{AccessKeyRecord, AccountId, AccountRecord, Principal, Region};
use zeroize::Zeroizing;

use crate::config::{Config, default_regions};
use crate::state::{Credential, Identities};

/// The account a first start without a config creates.
pub const DEFAULT_ACCOUNT: &str = "111122223333";
/// The region printed for the default identity, and `--dev`'s fallback region.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The meta row naming the access key created for the default account.
const DEFAULT_KEY_META: &str = "default_access_key";

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
    pub identities: Identities,
    /// Set when the store holds the auto-created default identity.
    pub default_identity: Option<DefaultIdentity>,
    /// The principal and region `--dev` falls back to.
    pub dev_default: Option<(Principal, Region)>,
}

fn principal(account: &AccountId, user: Option<&str>, access_key_id: &str) -> Principal {
    Principal {
        arn: match user {
            Some(u) => format!("arn:aws:iam::{account}:user/{u}"),
            None => format!("arn:aws:iam::{account}:root"),
        },
        account: account.clone(),
        access_key_id: Some(access_key_id.to_owned()),
    }
}

/// A new access key id in AWS's shape: `AKIA` and 16 characters of base32.
fn new_access_key_id(kms: &Kms) -> Result<String, String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let random = kms.random(16).map_err(|e| e.to_string())?;
    let suffix: String = random
        .as_slice()
        .iter()
        .filter_map(|b| ALPHABET.get(usize::from(b % 32)).map(|c| char::from(*c)))
        .collect();
    Ok(format!("AKIA{suffix}"))
}

/// Applies the config, creates the default identity when needed, and loads all identities.
pub async fn load(kms: &Arc<Kms>, config: Option<&Config>) -> Result<Loaded, String> {
    let store = kms.store();
    let err = |e: trent_core::store::StoreError| e.to_string();
    if let Some(config) = config {
        // The config is authoritative: access keys it does not list (an earlier default key,
        // a key removed because it leaked) stop working.
        let listed: std::collections::HashSet<&str> = config
            .accounts
            .iter()
            .flat_map(|a| a.access_keys.iter().map(|k| k.id.as_str()))
            .collect();
        for stored in store.access_keys().await.map_err(err)? {
            if !listed.contains(stored.id.as_str()) {
                store.delete_access_key(&stored.id).await.map_err(err)?;
                tracing::warn!(access_key_id = %stored.id, "removed an access key the config does not list");
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
            for key in &account.access_keys {
                let sealed = kms
                    .seal_secret(&key.id, key.secret.as_bytes())
                    .map_err(|e| e.to_string())?;
                store
                    .put_access_key(&AccessKeyRecord {
                        id: key.id.clone(),
                        account: account.id.clone(),
                        user: key.user.clone(),
                        sealed_secret: sealed,
                        enabled: true,
                    })
                    .await
                    .map_err(err)?;
            }
        }
    }
    if config.is_none() && store.accounts().await.map_err(err)?.is_empty() {
        let account = AccountId::parse(DEFAULT_ACCOUNT).ok_or("default account id")?;
        store
            .put_account(&AccountRecord {
                id: account.clone(),
                regions: default_regions(),
            })
            .await
            .map_err(err)?;
        let id = new_access_key_id(kms)?;
        let secret_bytes = kms.random(30).map_err(|e| e.to_string())?;
        let secret = Zeroizing::new(
            base64::engine::general_purpose::STANDARD.encode(secret_bytes.as_slice()),
        );
        let sealed = kms
            .seal_secret(&id, secret.as_bytes())
            .map_err(|e| e.to_string())?;
        store
            .put_access_key(&AccessKeyRecord {
                id: id.clone(),
                account,
                user: None,
                sealed_secret: sealed,
                enabled: true,
            })
            .await
            .map_err(err)?;
        store
            .put_meta(DEFAULT_KEY_META, id.as_bytes())
            .await
            .map_err(err)?;
    }

    let identities = Identities::default();
    let accounts = store.accounts().await.map_err(err)?;
    for account in &accounts {
        identities.set_account(account);
    }
    let default_key = store
        .meta(DEFAULT_KEY_META)
        .await
        .map_err(err)?
        .map(|v| String::from_utf8_lossy(&v).into_owned());
    let mut default_identity = None;
    for key in store.access_keys().await.map_err(err)? {
        let secret = kms
            .unseal_secret(&key.id, &key.sealed_secret)
            .map_err(|e| format!("cannot unseal access key {}: {e}", key.id))?;
        if default_key.as_deref() == Some(key.id.as_str()) {
            default_identity = Some(DefaultIdentity {
                access_key_id: key.id.clone(),
                secret: Zeroizing::new(String::from_utf8_lossy(secret.as_slice()).into_owned()),
                region: DEFAULT_REGION.to_owned(),
            });
        }
        identities.set_credential(
            key.id.clone(),
            Credential {
                secret: Arc::new(secret),
                principal: principal(&key.account, key.user.as_deref(), &key.id),
                enabled: key.enabled,
            },
        );
    }
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
        identities,
        default_identity,
        dev_default,
    })
}
