//! Shared server state: the KMS, the identity registry, and the mode flags.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use trent_core::Kms;
use trent_core::clock::Clock;
use trent_core::model::{AccountId, AccountRecord, Principal, Region};
use trent_core::secret::Secret;

/// An access key as the authenticator needs it: the secret (unsealed, zeroizing) and who it
/// acts as.
#[derive(Debug, Clone)]
pub struct Credential {
    pub secret: Arc<Secret>,
    pub principal: Principal,
    pub enabled: bool,
}

/// Accounts and access keys in memory, so that authentication never touches the disk.
#[derive(Debug, Default)]
pub struct Identities {
    keys: RwLock<HashMap<String, Credential>>,
    accounts: RwLock<HashMap<AccountId, Vec<Region>>>,
}

impl Identities {
    pub fn credential(&self, access_key_id: &str) -> Option<Credential> {
        self.keys.read().ok()?.get(access_key_id).cloned()
    }

    pub fn regions(&self, account: &AccountId) -> Option<Vec<Region>> {
        self.accounts.read().ok()?.get(account).cloned()
    }

    pub fn set_account(&self, account: &AccountRecord) {
        if let Ok(mut a) = self.accounts.write() {
            a.insert(account.id.clone(), account.regions.clone());
        }
    }

    pub fn set_credential(&self, access_key_id: String, credential: Credential) {
        if let Ok(mut k) = self.keys.write() {
            k.insert(access_key_id, credential);
        }
    }
}

/// Everything a request handler may use.
#[derive(Debug)]
pub struct AppState {
    pub kms: Arc<Kms>,
    pub identities: Identities,
    /// Accept any signature (`--dev`).
    pub dev: bool,
    /// The principal and region `--dev` uses for requests it cannot attribute.
    pub dev_default: Option<(Principal, Region)>,
    /// Wall-clock time for SigV4 freshness; the KMS's own clock may be moved by tests.
    pub auth_clock: Arc<dyn Clock>,
    /// The largest request body accepted.
    pub max_body: usize,
}
