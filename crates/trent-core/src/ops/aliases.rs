//! CreateAlias, UpdateAlias, DeleteAlias and ListAliases.

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{AliasName, AliasRecord, KeyRef, RequestContext};
use crate::ops::pipeline::{KeyUse, StateRule};
use crate::store::{Constraint, Page, StoreError};

impl Kms {
    pub async fn create_alias(
        &self,
        ctx: &RequestContext,
        name: &AliasName,
        target: &KeyRef,
    ) -> Result<()> {
        if name.is_reserved() {
            return Err(Error::NotAuthorized);
        }
        self.authorize_identity(ctx, "kms:CreateAlias", &name.arn(&ctx.scope()))?;
        let key = self
            .key_for(
                ctx,
                KeyUse::new(target, "kms:CreateAlias", StateRule::NotPendingDeletion)
                    .without_aliases(),
            )
            .await?;
        let record = &key.key().record;
        let scope = ctx.scope();
        if record.scope != scope {
            // An alias lives in the caller's account and must point at a key there.
            return Err(Error::KeyNotFound { arn: record.arn() });
        }
        let max = self.quotas().aliases_per_key;
        let usage = key.key().aliases.len();
        if usage >= max {
            // AWS's answer names the quota and the aliases the key has.
            return Err(Error::LimitExceeded {
                message: format!(
                    "Aliases per key quota for this account in this region is {max}, current usage is {usage}."
                ),
            });
        }
        let now = self.clock.now();
        let result = self
            .store
            .create_alias(&AliasRecord {
                scope: scope.clone(),
                name: name.clone(),
                target: record.id.clone(),
                created: now,
                updated: now,
            })
            .await;
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict {
                constraint: Constraint::ForeignKey,
            }) => Err(Error::KeyNotFound { arn: record.arn() }),
            Err(StoreError::Conflict { .. }) => Err(Error::AliasAlreadyExists {
                alias_arn: name.arn(&scope),
            }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn update_alias(
        &self,
        ctx: &RequestContext,
        name: &AliasName,
        target: &KeyRef,
    ) -> Result<()> {
        if name.is_reserved() {
            return Err(Error::NotAuthorized);
        }
        let scope = ctx.scope();
        let Some(current) = self.store.alias(&scope, name).await? else {
            return Err(Error::AliasNotFound {
                alias_arn: name.arn(&scope),
            });
        };
        self.authorize_identity(ctx, "kms:UpdateAlias", &name.arn(&scope))?;
        // AWS asks for kms:UpdateAlias on the alias, the key it names now and the new key.
        self.key_for(
            ctx,
            KeyUse::new(
                &KeyRef::Arn {
                    scope: scope.clone(),
                    id: current.target.clone(),
                },
                "kms:UpdateAlias",
                StateRule::Any,
            )
            .without_aliases(),
        )
        .await?;
        let key = self
            .key_for(
                ctx,
                KeyUse::new(target, "kms:UpdateAlias", StateRule::NotPendingDeletion)
                    .without_aliases(),
            )
            .await?;
        let record = &key.key().record;
        if record.scope != scope {
            return Err(Error::KeyNotFound { arn: record.arn() });
        }
        if let Some(old) = self.load(&scope, &current.target).await? {
            let old = &old.record;
            if old.usage != record.usage || old.spec != record.spec {
                return Err(Error::validation(format!(
                    "Alias {} cannot be changed from a key of spec {} and usage {} to a key of spec {} and usage {}",
                    name.arn(&scope),
                    old.spec,
                    old.usage,
                    record.spec,
                    record.usage
                )));
            }
        }
        let result = self
            .store
            .update_alias(&scope, name, &record.id, self.clock.now())
            .await;
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(Error::AliasNotFound {
                alias_arn: name.arn(&scope),
            }),
            Err(StoreError::Conflict {
                constraint: Constraint::ForeignKey,
            }) => Err(Error::KeyNotFound { arn: record.arn() }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_alias(&self, ctx: &RequestContext, name: &AliasName) -> Result<()> {
        if name.is_reserved() {
            return Err(Error::NotAuthorized);
        }
        let scope = ctx.scope();
        self.authorize_identity(ctx, "kms:DeleteAlias", &name.arn(&scope))?;
        // The key the alias names must allow it too.
        if let Some(alias) = self.store.alias(&scope, name).await? {
            let key_ref = KeyRef::Arn {
                scope: scope.clone(),
                id: alias.target,
            };
            self.key_for(
                ctx,
                KeyUse::new(&key_ref, "kms:DeleteAlias", StateRule::Any).without_aliases(),
            )
            .await?;
        }
        let result = self.store.delete_alias(&scope, name).await;
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(Error::AliasNotFound {
                alias_arn: name.arn(&scope),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// ListAliases: `marker` is the last alias name of the previous page.
    pub async fn list_aliases(
        &self,
        ctx: &RequestContext,
        key: Option<&KeyRef>,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<AliasRecord>> {
        if let Some(m) = marker
            && AliasName::parse(m).is_err()
        {
            return Err(Error::InvalidMarker {
                message: format!("Invalid marker '{m}'"),
            });
        }
        let scope = ctx.scope();
        let key_id = match key {
            Some(key_ref) => {
                let key = self
                    .key_for(
                        ctx,
                        KeyUse::new(key_ref, "kms:ListAliases", StateRule::Any).without_aliases(),
                    )
                    .await?;
                Some(key.key().record.id.clone())
            }
            None => {
                self.authorize_identity(ctx, "kms:ListAliases", "*")?;
                None
            }
        };
        Ok(self
            .store
            .list_aliases(&scope, key_id.as_ref(), marker, limit)
            .await?)
    }
}
