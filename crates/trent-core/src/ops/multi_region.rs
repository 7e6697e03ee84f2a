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
use crate::ops::pipeline::{Aliases, StateRule, material_aad};
use crate::ops::tags::validate_tags;
use crate::store::StoreError;

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
        message: format!("{} is not a multi-Region primary key.", record.arn()),
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
                key,
                Aliases::Forbidden,
                "kms:ReplicateKey",
                StateRule::NotPendingDeletion,
                None,
            )
            .await?;
        let primary = authorized.key().record.clone();
        if !primary.is_primary() {
            return Err(not_primary(&primary));
        }
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
        // Creating the replica is a CreateKey in its Region.
        let mut in_region = ctx.clone();
        in_region.region = region.clone();
        self.authorize_identity(&in_region, "kms:CreateKey", "*")?;
        let arn = primary.id.arn(&scope);
        let policy = match request.policy {
            Some(text) => {
                let parsed = crate::ops::key_policies::parse_key_policy(&text)?;
                self.check_principals(&parsed)?;
                if !request.bypass_policy_lockout_safety_check {
                    crate::ops::key_policies::check_lockout(
                        &in_region,
                        &parsed,
                        &arn,
                        scope.account.as_str(),
                    )?;
                }
                text
            }
            None => crate::ops::keys::default_key_policy(&scope),
        };
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
    fn reseal(
        &self,
        from: &KeyRecord,
        to_arn: &str,
        material: &SealedMaterial,
    ) -> Result<SealedMaterial> {
        let plain = self
            .root
            .unseal(&material.sealed, &material_aad(&from.arn(), &material.id))?;
        Ok(SealedMaterial {
            sealed: self
                .root
                .seal(plain.as_slice(), &material_aad(to_arn, &material.id))?,
            ..material.clone()
        })
    }

    /// Copies a rotation of the primary (its new material and rotation state) to every
    /// replica, so that ciphertexts made anywhere in the set decrypt everywhere.
    pub(crate) async fn sync_replicas(
        &self,
        primary: &KeyRecord,
        material: &SealedMaterial,
    ) -> Result<()> {
        for replica in self
            .store
            .key_set(&primary.scope.account, &primary.id)
            .await?
        {
            if replica.scope == primary.scope {
                continue;
            }
            let sealed = self.reseal(primary, &replica.arn(), material)?;
            let (current, rotation) = (primary.current_material, primary.rotation.clone());
            let change = move |r: &mut KeyRecord| -> Result<()> {
                r.current_material = current;
                r.rotation = Rotation {
                    next: None,
                    ..rotation
                };
                Ok(())
            };
            match self
                .store
                .rotate_key(&replica.scope, &replica.id, &sealed, Box::new(change))
                .await
            {
                Ok(outcome) => {
                    outcome?;
                }
                // Deleted meanwhile: nothing to keep in step.
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// UpdatePrimaryRegion: called on the current primary; the replica in `region` becomes the
    /// primary, and the old primary a replica.
    pub async fn update_primary_region(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        region: &str,
    ) -> Result<()> {
        let authorized = self
            .key_for(
                ctx,
                key,
                Aliases::Forbidden,
                "kms:UpdatePrimaryRegion",
                StateRule::Enabled,
                None,
            )
            .await?;
        let primary = authorized.key().record.clone();
        if !primary.is_primary() {
            return Err(not_primary(&primary));
        }
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
        let regions: Vec<Region> = set.iter().map(|k| k.scope.region.clone()).collect();
        // The schedule moves with the primary.
        let next = primary.rotation.next;
        self.store
            .set_primary_region(&primary.scope.account, &primary.id, &regions, &target)
            .await?;
        let new_scope = Scope {
            account: primary.scope.account.clone(),
            region: target,
        };
        let old_scope = primary.scope.clone();
        for (scope, next) in [(new_scope, next), (old_scope, None)] {
            self.store
                .modify_key(
                    &scope,
                    &primary.id,
                    Box::new(move |r| {
                        r.rotation.next = if r.rotation.period_days.is_some() {
                            next
                        } else {
                            None
                        };
                        Ok(())
                    }),
                )
                .await??;
        }
        Ok(())
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
                Err(e) => return Err(e),
            }
        }
        Ok(released)
    }
}
