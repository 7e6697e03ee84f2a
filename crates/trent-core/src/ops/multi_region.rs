//! Multi-Region keys: ReplicateKey, UpdatePrimaryRegion, the set's configuration for
//! DescribeKey, keeping replicas' material in step with the primary, and the primary's wait in
//! `PendingReplicaDeletion`.
//!
//! A set is the keys of one account with one `mrk-` id, one per Region, all with the same
//! material versions (each sealed under its own ARN) and the same primary Region. A ciphertext
//! made in any Region of the set decrypts in every other.

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{
    KeyRecord, KeyRef, KeyState, Region, RequestContext, Rotation, Scope, SealedMaterial, Tag,
    UnixMillis,
};
use crate::ops::pipeline::{KeyUse, StateRule};
use crate::ops::tags::validate_tags;
use crate::policy::Facts;
use crate::store::{SetChange, StoreError};

/// What ReplicateKey asks for.
#[derive(Debug, Default)]
pub struct ReplicaRequest {
    pub region: String,
    pub policy: Option<String>,
    pub bypass_policy_lockout_safety_check: bool,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

/// The Regions of a multi-Region key set: the primary's, and the replicas'.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiRegionSet {
    pub primary: Region,
    pub replicas: Vec<Region>,
}

fn not_primary(record: &KeyRecord) -> Error {
    Error::Unsupported {
        message: format!("{} is not a multi-region primary key.", record.arn()),
    }
}

impl Kms {
    /// The set a multi-Region key belongs to (`None` for single-Region keys).
    pub async fn multi_region_set(&self, record: &KeyRecord) -> Result<Option<MultiRegionSet>> {
        let Some(primary) = record.primary_region.clone() else {
            return Ok(None);
        };
        let replicas = self
            .store
            .key_set(&record.scope.account, &record.id)
            .await?
            .into_iter()
            .map(|k| k.scope.region)
            .filter(|r| r != &primary)
            .collect();
        Ok(Some(MultiRegionSet { primary, replicas }))
    }

    /// ReplicateKey: the primary's material versions, spec, usage and rotation, with its own
    /// policy, description and tags, in another Region of the account.
    pub async fn replicate_key(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        request: ReplicaRequest,
    ) -> Result<(KeyRecord, Vec<Tag>)> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:ReplicateKey", StateRule::NotPendingDeletion)
                    .without_aliases()
                    .facts(Facts::new().with("kms:ReplicaRegion", request.region.as_str())),
            )
            .await?;
        let primary = authorized.key().record.clone();
        if !primary.is_primary() {
            return Err(not_primary(&primary));
        }
        let _set = self.set_lock.lock().await;
        validate_tags(&request.tags)?;
        let region = Region::parse(&request.region)
            .filter(|r| {
                self.directory
                    .regions(&primary.scope.account)
                    .is_some_and(|rs| rs.contains(r))
            })
            .ok_or_else(|| {
                Error::validation(format!(
                    "{} is not a Region account {} may use.",
                    request.region, primary.scope.account
                ))
            })?;
        if region == primary.scope.region {
            return Err(Error::validation(
                "The replica Region must differ from the primary key's Region.",
            ));
        }
        let scope = Scope {
            account: primary.scope.account.clone(),
            region: region.clone(),
        };
        if self.store.key(&scope, &primary.id).await?.is_some() {
            return Err(Error::AlreadyExists {
                message: format!("{} already exists.", primary.id.arn(&scope)),
            });
        }
        // Creating the replica is a CreateKey in its Region: its permission, its quotas.
        let mut in_region = ctx.clone();
        in_region.region = region.clone();
        let facts = Facts::new()
            .with("kms:KeySpec", primary.spec.as_str())
            .with("kms:KeyUsage", primary.usage.as_str())
            .with("kms:KeyOrigin", primary.origin.as_str())
            .with("kms:MultiRegion", "true")
            .with("kms:MultiRegionKeyType", "REPLICA")
            .with_request_tags(
                request
                    .tags
                    .iter()
                    .map(|t| (t.key.as_str(), t.value.as_str())),
            );
        self.authorize_identity_with(&in_region, "kms:CreateKey", "*", &facts)?;
        self.throttle(
            &in_region,
            &crate::quota::QuotaClass::Operation("CreateKey".to_owned()),
        )?;
        self.check_keys_quota(&scope).await?;
        let arn = primary.id.arn(&scope);
        let (policy, policy_principals) = match request.policy {
            Some(text) => {
                let parsed = crate::ops::key_policies::parse_key_policy(&text)?;
                let bound = self.bind_principals(&parsed)?;
                if !request.bypass_policy_lockout_safety_check {
                    crate::ops::key_policies::check_lockout(
                        &in_region,
                        &parsed,
                        &arn,
                        scope.account.as_str(),
                    )?;
                }
                (text, bound)
            }
            None => (
                crate::ops::keys::default_key_policy(&scope),
                std::collections::BTreeMap::new(),
            ),
        };
        // Held until the sealed value is written: a root-key rotation waits for it.
        let _sealing = self.sealing.read().await;
        // Every material version, sealed again under the replica's ARN.
        let mut materials = Vec::new();
        for m in self.store.materials(&primary.scope, &primary.id).await? {
            materials.push(self.reseal(&primary, &arn, &m)?);
        }
        let now = self.clock.now();
        let replica = KeyRecord {
            scope: scope.clone(),
            id: primary.id.clone(),
            created: now,
            description: request.description.unwrap_or_default(),
            policy,
            policy_principals,
            custom_key_store: None,
            xks_key_id: None,
            state: if primary.state == KeyState::Disabled {
                KeyState::Disabled
            } else {
                KeyState::Enabled
            },
            deletion_date: None,
            pending_window_days: None,
            version: 0,
            rotation: Rotation {
                // Only the primary is scheduled; it rotates the whole set.
                next: None,
                on_demand_started: None,
                ..primary.rotation.clone()
            },
            ..primary.clone()
        };
        match self
            .store
            .create_key(&replica, &materials, &request.tags, &[])
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(Error::AlreadyExists {
                    message: format!("{arn} already exists."),
                });
            }
            Err(e) => return Err(e.into()),
        }
        Ok((replica, request.tags))
    }

    /// A material version of `from`, sealed again for the key `to_arn` of the same set.
    pub(crate) fn reseal(
        &self,
        from: &KeyRecord,
        to_arn: &str,
        material: &SealedMaterial,
    ) -> Result<SealedMaterial> {
        self.vault.reseal_material(&from.arn(), to_arn, material)
    }

    /// UpdatePrimaryRegion: called on the current primary, and allowed on the replica in
    /// `region` too; that replica becomes the primary (with the automatic rotation schedule),
    /// the old primary a replica, across the set in one transaction.
    pub async fn update_primary_region(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        region: &str,
    ) -> Result<()> {
        let facts = Facts::new().with("kms:PrimaryRegion", region);
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:UpdatePrimaryRegion", StateRule::Enabled)
                    .without_aliases()
                    .facts(facts.clone()),
            )
            .await?;
        let primary = authorized.key().record.clone();
        if !primary.is_primary() {
            return Err(not_primary(&primary));
        }
        let _set = self.set_lock.lock().await;
        let set = self
            .store
            .key_set(&primary.scope.account, &primary.id)
            .await?;
        let target = Region::parse(region)
            .filter(|r| set.iter().any(|k| &k.scope.region == r))
            .ok_or_else(|| Error::KeyNotFound {
                arn: format!("{} has no replica in {region}", primary.arn()),
            })?;
        if target == primary.scope.region {
            return Ok(());
        }
        // The replica must allow it too, in its own Region, and not be on its way out.
        let mut in_region = ctx.clone();
        in_region.region = target.clone();
        self.key_for(
            &in_region,
            KeyUse::new(
                &KeyRef::Arn {
                    scope: Scope {
                        account: primary.scope.account.clone(),
                        region: target.clone(),
                    },
                    id: primary.id.clone(),
                },
                "kms:UpdatePrimaryRegion",
                StateRule::NotPendingDeletion,
            )
            .without_aliases()
            .facts(facts),
        )
        .await?;
        let next = primary.rotation.next;
        let changes = set
            .into_iter()
            .map(|k| {
                let becomes_primary = k.scope.region == target;
                let primary_region = target.clone();
                SetChange {
                    scope: k.scope,
                    id: k.id,
                    material: None,
                    change: Box::new(move |r: &mut KeyRecord| {
                        r.primary_region = Some(primary_region);
                        // The schedule moves with the primary.
                        r.rotation.next = if becomes_primary && r.rotation.period_days.is_some() {
                            next
                        } else {
                            None
                        };
                        Ok(())
                    }),
                }
            })
            .collect();
        Ok(self.store.change_keys(changes).await?)
    }

    /// Primaries in `PendingReplicaDeletion` whose replicas are all gone start their own
    /// waiting period; returns how many.
    pub async fn release_primaries(&self, now: UnixMillis) -> Result<usize> {
        let mut released = 0;
        for (scope, id) in self.store.keys_pending_replica_deletion().await? {
            let set = self.store.key_set(&scope.account, &id).await?;
            if set.iter().any(|k| k.scope != scope) {
                continue;
            }
            let outcome = self
                .store
                .modify_key(
                    &scope,
                    &id,
                    Box::new(move |r| {
                        if r.state != KeyState::PendingReplicaDeletion {
                            return Err(Error::NotDue);
                        }
                        let days = r.pending_window_days.unwrap_or(30);
                        r.state = KeyState::PendingDeletion;
                        r.deletion_date = Some(now.plus_days(days));
                        Ok(())
                    }),
                )
                .await?;
            match outcome {
                Ok(_) => released += 1,
                Err(Error::NotDue) => {}
                Err(e) => {
                    tracing::warn!(key = %id.arn(&scope), error = %e, "could not start the waiting period; will retry")
                }
            }
        }
        Ok(released)
    }
}
