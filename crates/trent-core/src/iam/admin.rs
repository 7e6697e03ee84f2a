//! The admin operations: accounts, IAM users and roles with tags and inline policies, and
//! access keys. Each is authorized like IAM (the account root, or an identity policy allowing
//! `iam:<Action>`), written in one store transaction, and visible at once: the directory is
//! reloaded before the call returns.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{
    AccessKeyRecord, AccountId, AccountRecord, PrincipalRecord, PrincipalType, Region,
    RequestContext, Tag,
};
use crate::ops::tags::validate_tags;
use crate::policy::{Mode, Policy};
use crate::store::StoreError;

/// IAM's limit on an inline policy document (users: 2 KB, roles: 10 KB; Trent allows the
/// larger for both).
pub const MAX_INLINE_POLICY: usize = 10_240;
/// IAM's limit of access keys per user.
pub const MAX_ACCESS_KEYS: usize = 2;

/// A new access key, with its secret (shown once).
#[derive(Debug)]
pub struct NewAccessKey {
    pub record: AccessKeyRecord,
    pub secret: zeroize::Zeroizing<String>,
}

fn valid_name(name: &str, max: usize) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "The specified value for name is invalid: '{name}'. It must contain only alphanumeric characters and/or the following: +=,.@_- and be at most {max} characters long."
        )))
    }
}

fn no_such(kind: PrincipalType, name: &str) -> Error {
    let what = match kind {
        PrincipalType::User => "user",
        PrincipalType::Role => "role",
    };
    Error::NoSuchEntity {
        message: format!("The {what} with name {name} cannot be found."),
    }
}

impl Kms {
    fn principal_arn(ctx: &RequestContext, kind: PrincipalType, name: &str) -> String {
        format!(
            "arn:aws:iam::{}:{}/{name}",
            ctx.principal.account,
            kind.as_str()
        )
    }

    async fn commit_identities(&self) -> Result<()> {
        self.reload_identities().await
    }

    /// The operator account's root may create accounts; it is set at start-up.
    pub fn is_operator(&self, ctx: &RequestContext) -> bool {
        ctx.principal.is_root()
            && self.directory.operator().as_ref() == Some(&ctx.principal.account)
    }

    pub async fn create_account(
        &self,
        ctx: &RequestContext,
        id: &AccountId,
        regions: Vec<Region>,
    ) -> Result<NewAccessKey> {
        let _guard = self.identity_lock.lock().await;
        if !(self.is_operator(ctx) || self.mode == Mode::Permissive) {
            return Err(Error::AccessDenied {
                principal: ctx.principal.arn.clone(),
                action: "trent:CreateAccount".to_owned(),
                resource: format!("arn:aws:iam::{id}:root"),
                reason: crate::policy::DenyReason::NoIdentityPolicy,
            });
        }
        if self.directory.regions(id).is_some() {
            return Err(Error::EntityAlreadyExists {
                message: format!("Account {id} already exists."),
            });
        }
        if regions.is_empty() {
            return Err(Error::validation("An account needs at least one region."));
        }
        self.store
            .put_account(&AccountRecord {
                id: id.clone(),
                regions,
            })
            .await?;
        let key = self.put_new_access_key(id, None).await?;
        self.commit_identities().await?;
        Ok(key)
    }

    pub fn list_accounts(&self, ctx: &RequestContext) -> Result<Vec<(AccountId, Vec<Region>)>> {
        let ids = if self.is_operator(ctx) || self.mode == Mode::Permissive {
            self.directory.accounts()
        } else {
            vec![ctx.principal.account.clone()]
        };
        Ok(ids
            .into_iter()
            .map(|id| {
                let regions = self.directory.regions(&id).unwrap_or_default();
                (id, regions)
            })
            .collect())
    }

    /// CreateUser / CreateRole.
    pub async fn create_principal(
        &self,
        ctx: &RequestContext,
        kind: PrincipalType,
        name: &str,
        tags: Vec<Tag>,
        trust_policy: Option<String>,
        max_session_seconds: Option<u32>,
    ) -> Result<PrincipalRecord> {
        let _guard = self.identity_lock.lock().await;
        let action = match kind {
            PrincipalType::User => "iam:CreateUser",
            PrincipalType::Role => "iam:CreateRole",
        };
        valid_name(name, 64)?;
        self.authorize_identity(ctx, action, &Self::principal_arn(ctx, kind, name))?;
        validate_tags(&tags)?;
        let account = ctx.principal.account.clone();
        if self.directory.entry(&account, kind, name).is_some() {
            return Err(Error::EntityAlreadyExists {
                message: format!(
                    "{} with name {name} already exists.",
                    if kind == PrincipalType::User {
                        "User"
                    } else {
                        "Role"
                    }
                ),
            });
        }
        let trust_policy = match (kind, trust_policy) {
            (PrincipalType::Role, Some(text)) => {
                parse_document(&text, true)?;
                Some(text)
            }
            (PrincipalType::Role, None) => {
                return Err(Error::validation("AssumeRolePolicyDocument is required."));
            }
            (PrincipalType::User, _) => None,
        };
        let max_session_seconds = max_session_seconds.unwrap_or(3600);
        if !(3600..=43_200).contains(&max_session_seconds) {
            return Err(Error::validation(
                "MaxSessionDuration must be between 3600 and 43200 seconds.",
            ));
        }
        let record = PrincipalRecord {
            account,
            kind,
            name: name.to_owned(),
            id: self.new_iam_id(match kind {
                PrincipalType::User => "AIDA",
                PrincipalType::Role => "AROA",
            })?,
            tags,
            policies: BTreeMap::new(),
            trust_policy,
            max_session_seconds,
            created: self.clock.now(),
        };
        self.store.put_principal(&record).await?;
        self.commit_identities().await?;
        Ok(record)
    }

    /// Applies a change to an existing user or role (tags, policies, trust policy).
    async fn change_principal(
        &self,
        ctx: &RequestContext,
        kind: PrincipalType,
        name: &str,
        action: &'static str,
        change: impl FnOnce(&mut PrincipalRecord) -> Result<()>,
    ) -> Result<PrincipalRecord> {
        let _guard = self.identity_lock.lock().await;
        self.authorize_identity(ctx, action, &Self::principal_arn(ctx, kind, name))?;
        let entry = self
            .directory
            .entry(&ctx.principal.account, kind, name)
            .ok_or_else(|| no_such(kind, name))?;
        let mut record = entry.record.clone();
        change(&mut record)?;
        self.store.put_principal(&record).await?;
        self.commit_identities().await?;
        Ok(record)
    }

    pub async fn delete_principal(
        &self,
        ctx: &RequestContext,
        kind: PrincipalType,
        name: &str,
    ) -> Result<()> {
        let _guard = self.identity_lock.lock().await;
        let action = match kind {
            PrincipalType::User => "iam:DeleteUser",
            PrincipalType::Role => "iam:DeleteRole",
        };
        self.authorize_identity(ctx, action, &Self::principal_arn(ctx, kind, name))?;
        match self
            .store
            .delete_principal(&ctx.principal.account, kind, name)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(no_such(kind, name)),
            Err(e) => return Err(e.into()),
        }
        self.commit_identities().await
    }

    pub fn list_principals(
        &self,
        ctx: &RequestContext,
        kind: PrincipalType,
    ) -> Result<Vec<PrincipalRecord>> {
        let action = match kind {
            PrincipalType::User => "iam:ListUsers",
            PrincipalType::Role => "iam:ListRoles",
        };
        self.authorize_identity(ctx, action, &Self::principal_arn(ctx, kind, "*"))?;
        Ok(self
            .directory
            .entries(&ctx.principal.account, kind)
            .iter()
            .map(|e| e.record.clone())
            .collect())
    }

    /// GetUser / GetRole.
    pub fn get_principal(
        &self,
        ctx: &RequestContext,
        kind: PrincipalType,
        name: &str,
    ) -> Result<PrincipalRecord> {
        let action = match kind {
            PrincipalType::User => "iam:GetUser",
            PrincipalType::Role => "iam:GetRole",
        };
        self.authorize_identity(ctx, action, &Self::principal_arn(ctx, kind, name))?;
        self.directory
            .entry(&ctx.principal.account, kind, name)
            .map(|e| e.record.clone())
            .ok_or_else(|| no_such(kind, name))
    }

    pub async fn tag_principal(
        &self,
        ctx: &RequestContext,
        kind: PrincipalType,
        name: &str,
        tags: Vec<Tag>,
    ) -> Result<PrincipalRecord> {
        let action = match kind {
            PrincipalType::User => "iam:TagUser",
            PrincipalType::Role => "iam:TagRole",
        };
        self.change_principal(ctx, kind, name, action, |r| {
            for tag in tags {
                r.tags.retain(|t| t.key != tag.key);
                r.tags.push(tag);
            }
            validate_tags(&r.tags)
        })
        .await
    }

    pub async fn untag_principal(
        &self,
        ctx: &RequestContext,
        kind: PrincipalType,
        name: &str,
        keys: Vec<String>,
    ) -> Result<PrincipalRecord> {
        let action = match kind {
            PrincipalType::User => "iam:UntagUser",
            PrincipalType::Role => "iam:UntagRole",
        };
        self.change_principal(ctx, kind, name, action, |r| {
            r.tags.retain(|t| !keys.contains(&t.key));
            Ok(())
        })
        .await
    }

    /// PutUserPolicy / PutRolePolicy: adds or replaces an inline identity policy.
    pub async fn put_principal_policy(
        &self,
        ctx: &RequestContext,
        kind: PrincipalType,
        name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<PrincipalRecord> {
        valid_name(policy_name, 128)?;
        if document.len() > MAX_INLINE_POLICY {
            return Err(Error::LimitExceeded {
                message: format!(
                    "Maximum policy size of {MAX_INLINE_POLICY} bytes exceeded for {} {name}.",
                    kind.as_str()
                ),
            });
        }
        parse_document(document, false)?;
        let action = match kind {
            PrincipalType::User => "iam:PutUserPolicy",
            PrincipalType::Role => "iam:PutRolePolicy",
        };
        self.change_principal(ctx, kind, name, action, |r| {
            r.policies
                .insert(policy_name.to_owned(), document.to_owned());
            Ok(())
        })
        .await
    }

    pub async fn delete_principal_policy(
        &self,
        ctx: &RequestContext,
        kind: PrincipalType,
        name: &str,
        policy_name: &str,
    ) -> Result<PrincipalRecord> {
        let action = match kind {
            PrincipalType::User => "iam:DeleteUserPolicy",
            PrincipalType::Role => "iam:DeleteRolePolicy",
        };
        self.change_principal(ctx, kind, name, action, |r| {
            r.policies
                .remove(policy_name)
                .map(|_| ())
                .ok_or_else(|| Error::NoSuchEntity {
                    message: format!(
                        "The {} policy with name {policy_name} cannot be found.",
                        kind.as_str()
                    ),
                })
        })
        .await
    }

    /// UpdateAssumeRolePolicy: replaces a role's trust policy.
    pub async fn update_trust_policy(
        &self,
        ctx: &RequestContext,
        name: &str,
        document: &str,
    ) -> Result<PrincipalRecord> {
        parse_document(document, true)?;
        self.change_principal(
            ctx,
            PrincipalType::Role,
            name,
            "iam:UpdateAssumeRolePolicy",
            |r| {
                r.trust_policy = Some(document.to_owned());
                Ok(())
            },
        )
        .await
    }

    async fn put_new_access_key(
        &self,
        account: &AccountId,
        user: Option<&str>,
    ) -> Result<NewAccessKey> {
        let id = self.new_iam_id("AKIA")?;
        let secret = self.new_secret(40)?;
        // Held until the sealed value is written: a root-key rotation waits for it.
        let _sealing = self.sealing.read().await;
        let record = AccessKeyRecord {
            sealed_secret: self.seal_secret(&id, secret.as_bytes())?,
            id,
            account: account.clone(),
            user: user.map(str::to_owned),
            enabled: true,
            created: self.clock.now(),
        };
        self.store.put_access_key(&record).await?;
        Ok(NewAccessKey { record, secret })
    }

    fn access_key_resource(ctx: &RequestContext, user: Option<&str>) -> String {
        match user {
            Some(u) => Self::principal_arn(ctx, PrincipalType::User, u),
            None => format!("arn:aws:iam::{}:root", ctx.principal.account),
        }
    }

    /// CreateAccessKey for a user, or (for the root only) for the account root.
    pub async fn create_access_key(
        &self,
        ctx: &RequestContext,
        user: Option<&str>,
    ) -> Result<NewAccessKey> {
        let _guard = self.identity_lock.lock().await;
        let user = user.or(ctx.principal.user_name()).map(str::to_owned);
        self.authorize_identity(
            ctx,
            "iam:CreateAccessKey",
            &Self::access_key_resource(ctx, user.as_deref()),
        )?;
        let account = ctx.principal.account.clone();
        if let Some(u) = &user {
            if self
                .directory
                .entry(&account, PrincipalType::User, u)
                .is_none()
            {
                return Err(no_such(PrincipalType::User, u));
            }
            if self.directory.access_keys(&account, Some(u)).len() >= MAX_ACCESS_KEYS {
                return Err(Error::LimitExceeded {
                    message: format!(
                        "Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"
                    ),
                });
            }
        } else if !ctx.principal.is_root() && self.mode != Mode::Permissive {
            return Err(Error::validation(
                "Only the account root can create access keys for itself.",
            ));
        }
        let key = self.put_new_access_key(&account, user.as_deref()).await?;
        self.commit_identities().await?;
        Ok(key)
    }

    /// ListAccessKeys: `(id, active)` pairs of a user (or of the root).
    pub fn list_access_keys(
        &self,
        ctx: &RequestContext,
        user: Option<&str>,
    ) -> Result<Vec<(String, bool)>> {
        let user = user.or(ctx.principal.user_name());
        if user.is_none() && !ctx.principal.is_root() && self.mode != Mode::Permissive {
            return Err(root_only(ctx));
        }
        self.authorize_identity(
            ctx,
            "iam:ListAccessKeys",
            &Self::access_key_resource(ctx, user),
        )?;
        Ok(self.directory.access_keys(&ctx.principal.account, user))
    }

    /// The stored record of one of the caller account's long-term access keys.
    async fn own_access_key(&self, ctx: &RequestContext, id: &str) -> Result<AccessKeyRecord> {
        self.store
            .access_keys()
            .await?
            .into_iter()
            .find(|k| k.id == id && k.account == ctx.principal.account)
            .ok_or_else(|| Error::NoSuchEntity {
                message: format!("The Access Key with id {id} cannot be found."),
            })
            .and_then(|k| {
                // As at AWS, only the root manages the root's own keys.
                if k.user.is_none() && !ctx.principal.is_root() && self.mode != Mode::Permissive {
                    Err(root_only(ctx))
                } else {
                    Ok(k)
                }
            })
    }

    /// UpdateAccessKey: `Active` or `Inactive`.
    pub async fn update_access_key(
        &self,
        ctx: &RequestContext,
        id: &str,
        active: bool,
    ) -> Result<()> {
        let _guard = self.identity_lock.lock().await;
        // The record is read and written back whole, its sealed secret included: a root-key
        // rotation must not fall between the two (identity, then sealing, as everywhere).
        let sealing = self.sealing.read().await;
        let mut key = self.own_access_key(ctx, id).await?;
        self.authorize_identity(
            ctx,
            "iam:UpdateAccessKey",
            &Self::access_key_resource(ctx, key.user.as_deref()),
        )?;
        key.enabled = active;
        self.store.put_access_key(&key).await?;
        drop(sealing);
        self.commit_identities().await
    }

    pub async fn delete_access_key(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let _guard = self.identity_lock.lock().await;
        let key = self.own_access_key(ctx, id).await?;
        self.authorize_identity(
            ctx,
            "iam:DeleteAccessKey",
            &Self::access_key_resource(ctx, key.user.as_deref()),
        )?;
        self.store.delete_access_key(id).await?;
        self.commit_identities().await
    }
}

fn root_only(ctx: &RequestContext) -> Error {
    Error::Denied {
        message: format!(
            "User: {} is not authorized to manage the access keys of the account root: only the root may.",
            ctx.principal.arn
        ),
    }
}

/// Parses an identity or trust policy (`MalformedPolicyDocumentException` when it is not one).
fn parse_document(text: &str, needs_principal: bool) -> Result<Policy> {
    Policy::parse(text, needs_principal).map_err(|e| Error::MalformedPolicy {
        message: e.to_string(),
    })
}
