//! Who is calling: accounts, access keys, principals, and the per-request context.

use std::net::IpAddr;

use super::{AccountId, Region, Scope};

/// An account and the regions it may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: AccountId,
    pub regions: Vec<Region>,
}

/// An access key: its id, its secret sealed under the root key, and the principal it acts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKeyRecord {
    pub id: String,
    pub account: AccountId,
    /// The IAM user name the key belongs to (the account root when `None`).
    pub user: Option<String>,
    pub sealed_secret: Vec<u8>,
    pub enabled: bool,
}

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub account: AccountId,
    /// `arn:aws:iam::<account>:root` or `arn:aws:iam::<account>:user/<name>`.
    pub arn: String,
    pub access_key_id: Option<String>,
}

impl Principal {
    /// The root principal of an account.
    pub fn root(account: AccountId) -> Principal {
        Principal {
            arn: format!("arn:aws:iam::{account}:root"),
            account,
            access_key_id: None,
        }
    }
}

/// What every operation knows about its request: who, where, and which request.
///
/// Authorization (key policies, grants) will read the principal and the source from here.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub principal: Principal,
    pub region: Region,
    pub request_id: String,
    pub source_ip: Option<IpAddr>,
}

impl RequestContext {
    /// The caller's own account and region, where names without an ARN are looked up.
    pub fn scope(&self) -> Scope {
        Scope {
            account: self.principal.account.clone(),
            region: self.region.clone(),
        }
    }
}
