//! Principals and their credentials: the in-memory [`Directory`], the admin operations that
//! manage accounts, users, roles, inline identity policies and access keys, and STS role
//! sessions.

pub mod admin;
pub mod directory;
pub mod sts;

pub use directory::{Credential, Directory, Entry, Snapshot};

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::RequestContext;
use crate::policy::eval::{Request, evaluate_identity};
use crate::policy::{Conditions, Decision, DenyReason, Facts, Mode, caller, identity_policies};

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Kms {
    /// Reads accounts, principals, access keys and live sessions from the store into the
    /// directory, unsealing their secrets.
    pub async fn reload_identities(&self) -> Result<()> {
        // Secrets are read and unsealed with no root-key rotation in between.
        let _sealing = self.sealing.read().await;
        let now = self.clock.now();
        let mut snapshot = Snapshot::default();
        for account in self.store.accounts().await? {
            snapshot.accounts.push((account.id, account.regions));
        }
        snapshot.principals = self.store.principals().await?;
        for key in self.store.access_keys().await? {
            let secret = self
                .unseal_secret(&key.id, &key.sealed_secret)
                .map_err(|e| {
                    Error::internal(format!("cannot unseal access key {}: {e}", key.id))
                })?;
            snapshot.access_keys.push((key, secret));
        }
        // Sessions expired less than a day ago are kept, so their use is answered
        // ExpiredTokenException.
        let recent = crate::model::UnixMillis(now.0.saturating_sub(crate::model::UnixMillis::DAY));
        for session in self.store.sessions(recent).await? {
            let secret = self.unseal_secret(&session.access_key_id, &session.sealed_secret)?;
            let token = self.vault.unseal(
                crate::vault::Purpose::SessionToken {
                    access_key_id: &session.access_key_id,
                },
                &session.sealed_token,
            )?;
            snapshot.sessions.push((session, secret, token));
        }
        self.directory.replace(snapshot);
        Ok(())
    }

    /// Decides an action on a resource without a resource policy (IAM entities, STS,
    /// `kms:ListRetirableGrants`): the account root may act in its own account, anyone else
    /// needs an identity policy allow and no explicit deny.
    pub fn authorize_identity(
        &self,
        ctx: &RequestContext,
        action: &'static str,
        resource: &str,
    ) -> Result<Decision> {
        self.authorize_identity_with(ctx, action, resource, &Facts::new())
    }

    /// [`Kms::authorize_identity`] with the condition keys the operation adds.
    pub fn authorize_identity_with(
        &self,
        ctx: &RequestContext,
        action: &'static str,
        resource: &str,
        facts: &Facts,
    ) -> Result<Decision> {
        let own = |account: &str| resource == "*" || resource.split(':').nth(4) == Some(account);
        if ctx.principal.is_root() || self.mode == Mode::Permissive {
            if own(ctx.principal.account.as_str()) {
                return Ok(Decision::Permissive);
            }
            return Err(denied(ctx, action, resource, DenyReason::NoIdentityPolicy));
        }
        let conditions = Conditions {
            ctx,
            now: self.clock.now(),
            key: None,
            facts,
        };
        let role_arn = ctx.principal.role_arn();
        let identity = identity_policies(&ctx.principal);
        let request = Request {
            caller: caller(ctx, &role_arn),
            action,
            resource,
            resource_account: ctx.principal.account.as_str(),
            context: &conditions,
            encryption_context: None,
            bound_principals: None,
        };
        let decision = evaluate_identity(&request, &identity);
        if decision.allowed() && own(ctx.principal.account.as_str()) {
            Ok(decision)
        } else {
            Err(denied(ctx, action, resource, DenyReason::of(&decision)))
        }
    }

    /// `AKIA...`/`ASIA...`/`AIDA...`: a prefix and 16 characters of base32.
    pub(crate) fn new_iam_id(&self, prefix: &str) -> Result<String> {
        let random = self.random(16)?;
        let suffix: String = random
            .as_slice()
            .iter()
            .filter_map(|b| BASE32.get(usize::from(b % 32)).map(|c| char::from(*c)))
            .collect();
        Ok(format!("{prefix}{suffix}"))
    }

    /// A new secret access key: 40 characters, as AWS's.
    pub(crate) fn new_secret(&self, len: usize) -> Result<zeroize::Zeroizing<String>> {
        let random = self.random(len)?;
        Ok(zeroize::Zeroizing::new(
            random
                .as_slice()
                .iter()
                .filter_map(|b| {
                    SECRET_ALPHABET
                        .get(usize::from(b % 64))
                        .map(|c| char::from(*c))
                })
                .collect(),
        ))
    }
}

fn denied(ctx: &RequestContext, action: &str, resource: &str, reason: DenyReason) -> Error {
    Error::AccessDenied {
        principal: ctx.principal.arn.clone(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        reason,
    }
}
