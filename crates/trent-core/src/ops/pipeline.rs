//! The shared steps of key operations: resolve, check state, check usage, authorize, material.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::key::{CachedKey, GrantSet};
use crate::kms::Kms;
use crate::model::{
    KeyId, KeyRecord, KeyRef, KeyState, KeyUsage, MaterialId, RequestContext, Scope,
};
use crate::policy::{self, AuthorizedKey, Facts, Policy};
use crate::secret::KeyMaterial;

/// Whether an operation's `KeyId` member may name an alias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aliases {
    Allowed,
    Forbidden,
}

/// What an operation asks of the pipeline for one key: which key, for which action, in which
/// states and usage, with which condition keys of its own.
#[derive(Debug)]
pub(crate) struct KeyUse<'a> {
    key: &'a KeyRef,
    aliases: Aliases,
    action: &'static str,
    state: StateRule,
    usage: Option<KeyUsage>,
    facts: Facts,
}

impl<'a> KeyUse<'a> {
    /// `key` (which may be an alias) for `action`, in the states `state` allows, of any usage.
    pub(crate) fn new(key: &'a KeyRef, action: &'static str, state: StateRule) -> KeyUse<'a> {
        KeyUse {
            key,
            aliases: Aliases::Allowed,
            action,
            state,
            usage: None,
            facts: Facts::new(),
        }
    }

    /// Only a key of this usage (`InvalidKeyUsageException` otherwise).
    pub(crate) fn usage(mut self, usage: KeyUsage) -> KeyUse<'a> {
        self.usage = Some(usage);
        self
    }

    /// The operation's `KeyId` may not name an alias.
    pub(crate) fn without_aliases(mut self) -> KeyUse<'a> {
        self.aliases = Aliases::Forbidden;
        self
    }

    /// The condition keys the operation adds.
    pub(crate) fn facts(mut self, facts: Facts) -> KeyUse<'a> {
        self.facts = facts;
        self
    }
}

/// The actions AWS refuses for a key in a custom key store (`AWS_CLOUDHSM` or
/// `EXTERNAL_KEY_STORE`), in any key state: rotation and imported material.
const NOT_FOR_KEY_STORE_KEYS: &[&str] = &[
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:GetKeyRotationStatus",
    "kms:RotateKeyOnDemand",
    "kms:ListKeyRotations",
    "kms:GetParametersForImport",
    "kms:ImportKeyMaterial",
    "kms:DeleteImportedKeyMaterial",
];

/// The key states an operation accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StateRule {
    /// Any state (DescribeKey, ListResourceTags).
    Any,
    /// Not pending deletion (management calls such as TagResource, UpdateKeyDescription).
    NotPendingDeletion,
    /// Enabled only (cryptographic operations).
    Enabled,
    /// Enabled, Disabled or PendingImport (GetParametersForImport, ImportKeyMaterial).
    Importable,
}

/// What an operation's answer says of the keys it used, for their last-use record.
pub(crate) trait UsesKeys {
    fn keys_used(&self) -> Vec<&KeyRecord>;
}

impl UsesKeys for KeyRecord {
    fn keys_used(&self) -> Vec<&KeyRecord> {
        vec![self]
    }
}

impl<T> UsesKeys for (KeyRecord, T) {
    fn keys_used(&self) -> Vec<&KeyRecord> {
        vec![&self.0]
    }
}

/// Grants change who may use a key; they are no use of it.
impl UsesKeys for () {
    fn keys_used(&self) -> Vec<&KeyRecord> {
        Vec::new()
    }
}

impl Kms {
    /// What every key operation shares once its key is authorized and its request checked:
    /// a dry run stops here (`DryRunOperationException`: the call would have been allowed),
    /// and the work's success is noted as the last use of each key it used
    /// (`GetKeyLastUsage`). `work` does not start for a dry run.
    pub(crate) async fn perform<T: UsesKeys>(
        &self,
        ctx: &RequestContext,
        operation: &'static str,
        dry_run: bool,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        if dry_run {
            return Err(Error::DryRun);
        }
        let done = work.await?;
        for key in done.keys_used() {
            self.note_use(ctx, key, operation);
        }
        Ok(done)
    }

    /// Resolves a reference to a key id and the scope it lives in.
    pub(crate) async fn resolve(
        &self,
        ctx: &RequestContext,
        key_ref: &KeyRef,
        aliases: Aliases,
    ) -> Result<(Scope, KeyId)> {
        // Keys are regional: an ARN of another region names nothing here.
        match key_ref {
            KeyRef::Arn { scope, .. } if scope.region != ctx.region => {
                Err(Error::ArnOfOtherRegion {
                    region: scope.region.as_str().to_owned(),
                })
            }
            KeyRef::AliasArn { scope, name } if scope.region != ctx.region => {
                Err(Error::AliasNotFound {
                    alias_arn: name.arn(scope),
                })
            }
            KeyRef::Id(id) => Ok((ctx.scope(), id.clone())),
            KeyRef::Arn { scope, id } => Ok((scope.clone(), id.clone())),
            KeyRef::Alias(name) | KeyRef::AliasArn { name, .. } => {
                let scope = match key_ref {
                    KeyRef::AliasArn { scope, .. } => scope.clone(),
                    _ => ctx.scope(),
                };
                if aliases == Aliases::Forbidden {
                    return Err(Error::AliasNotSupported);
                }
                if let Some(id) = self.cache.alias(&scope, name) {
                    return Ok((scope, id));
                }
                let epoch = self.cache.epoch();
                match self.store.alias(&scope, name).await? {
                    Some(alias) => {
                        self.cache.insert_alias(&scope, name, &alias.target, epoch);
                        Ok((scope, alias.target))
                    }
                    // An AWS managed key comes to be the first time its alias is used, in the
                    // caller's own account.
                    None => match name.aws_managed_service() {
                        Some((service, endpoint)) if scope == ctx.scope() => {
                            let id = self.managed_key(&scope, name, service, endpoint).await?;
                            Ok((scope, id))
                        }
                        _ => Err(Error::AliasNotFound {
                            alias_arn: name.arn(&scope),
                        }),
                    },
                }
            }
        }
    }

    /// Loads a key (cache first), or `None` if it does not exist in that scope.
    pub(crate) async fn load(&self, scope: &Scope, id: &KeyId) -> Result<Option<Arc<CachedKey>>> {
        if let Some(hit) = self.cache.key(scope, id) {
            return Ok(Some(hit));
        }
        let epoch = self.cache.epoch();
        let Some(crate::store::KeyEntry {
            record,
            tags,
            aliases,
            current,
        }) = self.store.key_entry(scope, id).await?
        else {
            return Ok(None);
        };
        let aliases = aliases
            .into_iter()
            .map(|a| a.name.as_str().to_owned())
            .collect();
        let policy = Policy::parse(&record.policy, true).map_err(|e| {
            Error::internal(format!(
                "stored key policy of {} does not parse: {e}",
                record.arn()
            ))
        })?;
        let entry =
            Arc::new(CachedKey::new(record, policy, tags, aliases).with_sealed_current(current));
        self.cache.insert_key(entry.clone(), epoch);
        Ok(Some(entry))
    }

    /// Resolves and loads a key; `NotFoundException` if there is none.
    pub(crate) async fn find(
        &self,
        ctx: &RequestContext,
        key_ref: &KeyRef,
        aliases: Aliases,
    ) -> Result<Arc<CachedKey>> {
        let (scope, id) = self.resolve(ctx, key_ref, aliases).await?;
        self.load(&scope, &id)
            .await?
            .ok_or_else(|| Error::KeyNotFound {
                arn: id.arn(&scope),
            })
    }

    /// The whole pipeline: resolve, load, authorize, check state and usage.
    pub(crate) async fn key_for(
        &self,
        ctx: &RequestContext,
        want: KeyUse<'_>,
    ) -> Result<AuthorizedKey> {
        let KeyUse {
            key: key_ref,
            aliases,
            action,
            state,
            usage,
            facts,
        } = want;
        let key = self.find(ctx, key_ref, aliases).await?;
        // Most operations are for the key's own account only, whatever its policy says.
        if key.record.scope.account != ctx.principal.account
            && !crate::actions::spec(action).is_some_and(|a| a.cross_account)
        {
            return Err(Error::AccessDenied {
                principal: ctx.principal.arn.clone(),
                action: action.to_owned(),
                resource: key.record.arn(),
                reason: policy::DenyReason::NoResourcePolicy,
            });
        }
        if let Some(class) = crate::quota::crypto_class(action, &key.record) {
            self.throttle(ctx, &class)?;
        }
        let facts = match key_ref {
            KeyRef::Alias(name) | KeyRef::AliasArn { name, .. } => {
                facts.with("kms:RequestAlias", name.as_str())
            }
            _ => facts,
        };
        let token_grants = self.token_grants(ctx, &key).await?;
        let check = policy::Check {
            ctx,
            action,
            facts: &facts,
            now: self.clock.now(),
            token_grants: &token_grants,
            mode: self.mode,
        };
        // The grants are read only for a request that the policies alone do not allow.
        if key.grants().is_none() && !policy::decide(&check, &key).allowed() {
            self.grants_of(&key).await?;
        }
        let authorized = policy::authorize(&check, key)?;
        let record = &authorized.key().record;
        // What AWS never does with a key store's key is refused whatever its state.
        if matches!(
            record.origin,
            crate::model::Origin::AwsCloudHsm | crate::model::Origin::ExternalKeyStore
        ) && NOT_FOR_KEY_STORE_KEYS.contains(&action)
        {
            return Err(Error::Unsupported {
                message: format!(
                    "{} origin is {} which is not valid for this operation.",
                    record.arn(),
                    record.origin
                ),
            });
        }
        // A key of a custom key store that is not connected is Unavailable; an external
        // store's key says so in AWS's words (the XKS spec's table).
        let current = self.key_state(record).await?;
        if current == KeyState::Unavailable
            && record.xks_key_id.is_some()
            && !matches!(state, StateRule::Any | StateRule::NotPendingDeletion)
        {
            return Err(Error::KeyStateConflict {
                message: crate::ops::xks::NOT_CONNECTED.to_owned(),
            });
        }
        check_state(current, &record.arn(), state)?;
        if let Some(usage) = usage
            && record.usage != usage
        {
            return Err(Error::InvalidKeyUsage {
                message: format!(
                    "{} key usage is {} which is not valid for {}.",
                    record.arn(),
                    record.usage,
                    action.trim_start_matches("kms:")
                ),
            });
        }
        Ok(authorized)
    }

    /// The grants the request's grant tokens name that the cached key does not list yet
    /// (a grant made on another node a moment ago). Only then is the store read.
    pub(crate) async fn token_grants(
        &self,
        ctx: &RequestContext,
        key: &CachedKey,
    ) -> Result<Vec<crate::model::GrantRecord>> {
        let mut found = Vec::new();
        if ctx.grant_tokens.is_empty() {
            return Ok(found);
        }
        let known = self.grants_of(key).await?;
        for token in &ctx.grant_tokens {
            let id = crate::model::grant::id_of_token(token)
                .ok_or(Error::InvalidGrantToken)?
                .to_owned();
            if known.get(&id).is_some() || key.grant_missing(&id) {
                continue;
            }
            match self.store.grant(&id).await? {
                Some(grant) if grant.key == key.record.id && grant.scope == key.record.scope => {
                    found.push(grant);
                }
                _ => key.note_missing_grant(id),
            }
        }
        Ok(found)
    }

    /// A cached key's grants: read from the store the first time they are needed, then kept
    /// with the key (which any change to its grants drops from the cache).
    pub(crate) async fn grants_of<'k>(&self, key: &'k CachedKey) -> Result<&'k GrantSet> {
        let (scope, id) = (&key.record.scope, &key.record.id);
        Ok(key.load_grants(self.store.grants(scope, id)).await?)
    }

    /// A material version of an authorized key, unsealed once and then served from memory.
    pub(crate) async fn material(
        &self,
        key: &AuthorizedKey,
        id: &MaterialId,
    ) -> Result<Arc<KeyMaterial>> {
        let cached = key.key();
        if let Some(m) = cached.material(id) {
            return Ok(m);
        }
        let material = self
            .vault
            .open_material(self.store.as_ref(), key, id, cached.take_sealed(id))
            .await?;
        let material = Arc::new(material);
        cached.insert_material(*id, material.clone());
        Ok(material)
    }
}

/// Checks that `algorithm` is one the key's spec offers for its usage
/// (`InvalidKeyUsageException` otherwise, in AWS's words).
pub(crate) fn require_algorithm<T: PartialEq + std::fmt::Display>(
    record: &crate::model::KeyRecord,
    algorithm: T,
    offered: &[T],
) -> Result<()> {
    if offered.contains(&algorithm) {
        Ok(())
    } else {
        Err(Error::InvalidKeyUsage {
            message: format!(
                "Algorithm {algorithm} is incompatible with key spec {}.",
                record.spec
            ),
        })
    }
}

/// Applies a state rule, with AWS's exceptions and messages.
pub(crate) fn check_state(state: KeyState, arn: &str, rule: StateRule) -> Result<()> {
    match (rule, state) {
        (StateRule::Any, _) => Ok(()),
        (_, KeyState::Enabled) => Ok(()),
        (StateRule::NotPendingDeletion | StateRule::Importable, KeyState::Disabled) => Ok(()),
        // A key of a disconnected key store is still managed: tags, aliases, grants.
        (StateRule::NotPendingDeletion, KeyState::Unavailable) => Ok(()),
        (StateRule::Importable, KeyState::PendingImport) => Ok(()),
        (StateRule::Enabled, KeyState::Disabled) => Err(Error::Disabled {
            arn: arn.to_owned(),
        }),
        (_, other) => Err(Error::InvalidState {
            arn: arn.to_owned(),
            state: other,
        }),
    }
}
