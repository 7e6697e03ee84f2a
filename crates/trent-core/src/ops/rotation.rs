//! Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations, and the scheduler's sweep of keys whose automatic
//! rotation is due.
//!
//! A rotation adds a material version and makes it current: new ciphertexts use it, every
//! older one still decrypts (the blob names its material), ReEncrypt moves a ciphertext to it.

use crate::error::{Constraint, Error, Result};
use crate::kms::Kms;
use crate::model::{
    KeyManager, KeyRecord, KeyRef, KeySpec, KeyUsage, Origin, RequestContext, RotationType,
    SealedMaterial, UnixMillis,
};
use crate::ops::pipeline::{KeyUse, StateRule};
use crate::policy::Facts;
use crate::store::{Page, SetChange, StoreError};

/// AWS's default automatic rotation period.
pub const DEFAULT_ROTATION_DAYS: u32 = 365;
/// AWS's limit of on-demand rotations per key.
pub const MAX_ON_DEMAND_ROTATIONS: u32 = 25;

const NOT_ROTATABLE: &str = "You cannot perform this operation on a non-symmetric key or a key with non-ENCRYPT_DECRYPT key usage.";

/// The rotation state GetKeyRotationStatus reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationStatus {
    pub key: KeyRecord,
    pub enabled: bool,
}

/// One entry of ListKeyRotations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationEntry {
    pub material: SealedMaterial,
    pub current: bool,
    /// Material imported into an EXTERNAL key.
    pub imported: bool,
}

/// Whether a key's material can rotate: symmetric encryption keys, automatically only when
/// Trent generated the material.
fn rotatable(record: &KeyRecord) -> bool {
    record.spec == KeySpec::SymmetricDefault
        && record.usage == KeyUsage::EncryptDecrypt
        && record.origin == Origin::AwsKms
}

/// Imported symmetric keys rotate on demand, to key material imported as new.
fn rotatable_on_demand(record: &KeyRecord) -> bool {
    rotatable(record)
        || (record.spec == KeySpec::SymmetricDefault
            && record.usage == KeyUsage::EncryptDecrypt
            && record.origin == Origin::External)
}

/// EnableKeyRotation and DisableKeyRotation are for keys that rotate automatically. AWS
/// answers an asymmetric or HMAC key with the bare type (no message, as RotateKeyOnDemand), and
/// a key of another origin (imported material) by naming the origin.
fn require_rotatable(record: &KeyRecord) -> Result<()> {
    if rotatable(record) {
        return Ok(());
    }
    if record.spec != KeySpec::SymmetricDefault || record.usage != KeyUsage::EncryptDecrypt {
        return Err(Error::Unsupported {
            message: String::new(),
        });
    }
    Err(Error::Unsupported {
        message: format!(
            "{} origin is {} which is not valid for this operation.",
            record.arn(),
            record.origin
        ),
    })
}

/// Rotation of a multi-Region key set is the primary's to change.
fn require_not_replica(record: &KeyRecord) -> Result<()> {
    if record.is_replica() {
        return Err(Error::Unsupported {
            message: format!(
                "{} is a multi-Region replica key: rotate its primary key instead.",
                record.arn()
            ),
        });
    }
    Ok(())
}

impl Kms {
    pub async fn enable_key_rotation(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        period_days: Option<u32>,
    ) -> Result<()> {
        let period = period_days.unwrap_or(DEFAULT_ROTATION_DAYS);
        // The model's range; the wire checks it first, in the same words.
        let bound = match period {
            p if p < 90 => Some(Constraint::Min(90)),
            p if p > 2560 => Some(Constraint::Max(2560)),
            _ => None,
        };
        if let Some(constraint) = bound {
            return Err(Error::invalid_parameter(
                "rotationPeriodInDays",
                Some(period.to_string()),
                constraint,
            ));
        }
        let facts = Facts::new().with("kms:RotationPeriodInDays", period.to_string());
        self.change_rotation(ctx, key, "kms:EnableKeyRotation", facts, move |r, now| {
            let base = match (r.rotation.period_days, r.rotation.next) {
                // Already enabled: keep the schedule's origin, change the period.
                (Some(old), Some(next)) => {
                    UnixMillis(next.0.saturating_sub(i64::from(old) * UnixMillis::DAY))
                }
                _ => now,
            };
            let next = base.plus_days(period).max(now);
            r.rotation.period_days = Some(period);
            r.rotation.next = Some(next);
        })
        .await
    }

    pub async fn disable_key_rotation(&self, ctx: &RequestContext, key: &KeyRef) -> Result<()> {
        self.change_rotation(ctx, key, "kms:DisableKeyRotation", Facts::new(), |r, _| {
            r.rotation.period_days = None;
            r.rotation.next = None;
        })
        .await
    }

    async fn change_rotation(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        action: &'static str,
        facts: Facts,
        change: impl FnOnce(&mut KeyRecord, UnixMillis) + Send + 'static,
    ) -> Result<()> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, action, StateRule::Enabled)
                    .without_aliases()
                    .facts(facts),
            )
            .await?;
        let record = &authorized.key().record;
        require_rotatable(record)?;
        require_not_replica(record)?;
        if record.manager == KeyManager::Aws {
            return Err(Error::Unsupported {
                message: "You cannot change the rotation of an AWS managed key.".to_owned(),
            });
        }
        let now = self.clock.now();
        let (scope, id) = (record.scope.clone(), record.id.clone());
        match self
            .store
            .modify_key(
                &scope,
                &id,
                Box::new(move |r| {
                    crate::ops::pipeline::check_state(r.state, &r.arn(), StateRule::Enabled)?;
                    change(r, now);
                    Ok(())
                }),
            )
            .await
        {
            Ok(outcome) => {
                let changed = outcome?;
                // The rotation period is a shared property of a multi-Region key set.
                if changed.is_primary() {
                    self.sync_rotation_period(&changed).await?;
                }
                Ok(())
            }
            Err(StoreError::NotFound) => Err(Error::KeyNotFound {
                arn: id.arn(&scope),
            }),
            Err(e) => Err(e.into()),
        }
    }

    async fn sync_rotation_period(&self, primary: &KeyRecord) -> Result<()> {
        let _set = self.set_lock.lock().await;
        let mut changes = Vec::new();
        for replica in self
            .store
            .key_set(&primary.scope.account, &primary.id)
            .await?
        {
            if replica.scope == primary.scope {
                continue;
            }
            let period = primary.rotation.period_days;
            changes.push(SetChange {
                scope: replica.scope,
                id: replica.id,
                material: None,
                change: Box::new(move |r: &mut KeyRecord| {
                    r.rotation.period_days = period;
                    r.rotation.next = None;
                    Ok(())
                }),
            });
        }
        Ok(self.store.change_keys(changes).await?)
    }

    pub async fn get_key_rotation_status(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
    ) -> Result<RotationStatus> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:GetKeyRotationStatus", StateRule::Any).without_aliases(),
            )
            .await?;
        let record = authorized.key().record.clone();
        // As AWS now does: asymmetric and HMAC keys answer "not enabled" rather than an error.
        Ok(RotationStatus {
            enabled: rotatable(&record) && record.rotation.period_days.is_some(),
            key: record,
        })
    }

    /// RotateKeyOnDemand: a new material version now; the automatic schedule is unchanged.
    pub async fn rotate_key_on_demand(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
    ) -> Result<KeyRecord> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:RotateKeyOnDemand", StateRule::Enabled).without_aliases(),
            )
            .await?;
        let record = authorized.key().record.clone();
        if !rotatable_on_demand(&record) {
            // AWS answers RotateKeyOnDemand on an asymmetric or HMAC key with the bare type.
            return Err(Error::Unsupported {
                message: String::new(),
            });
        }
        require_not_replica(&record)?;
        if record.rotation.on_demand_count >= MAX_ON_DEMAND_ROTATIONS {
            return Err(limit(&record));
        }
        if record.origin == Origin::External {
            return self.rotate_to_imported(&record).await;
        }
        self.rotate(&record, RotationType::OnDemand, self.clock.now())
            .await
    }

    /// On-demand rotation of an imported key: the version imported as new key material
    /// becomes current.
    async fn rotate_to_imported(&self, record: &KeyRecord) -> Result<KeyRecord> {
        let pending = self
            .store
            .materials(&record.scope, &record.id)
            .await?
            .into_iter()
            .find(|m| m.pending)
            .ok_or_else(|| Error::KeyStateConflict {
                message: format!(
                    "No available key material pending rotation for the key: {}.",
                    record.arn()
                ),
            })?;
        let now = self.clock.now();
        let id = pending.id;
        let (valid_to, expiration_model) = (pending.valid_to, pending.expiration_model);
        let change = move |r: &mut KeyRecord| -> Result<()> {
            crate::ops::pipeline::check_state(r.state, &r.arn(), StateRule::Enabled)?;
            if r.rotation.on_demand_count >= MAX_ON_DEMAND_ROTATIONS {
                return Err(limit(r));
            }
            r.rotation.on_demand_count += 1;
            r.rotation.on_demand_started = Some(now);
            r.current_material = id;
            // The key takes the expiry the material was imported with.
            r.valid_to = valid_to;
            r.expiration_model = expiration_model;
            Ok(())
        };
        match self
            .store
            .promote_material(
                &record.scope,
                &record.id,
                &id,
                RotationType::OnDemand,
                Box::new(change),
            )
            .await
        {
            Ok(outcome) => outcome,
            Err(StoreError::NotFound) => Err(Error::KeyNotFound { arn: record.arn() }),
            Err(e) => Err(e.into()),
        }
    }

    /// Adds a material version to a key and makes it current, in one store transaction that
    /// re-checks what the caller decided on (so concurrent rotations do not both count). A
    /// multi-Region primary rotates its whole set in that same transaction.
    async fn rotate(
        &self,
        record: &KeyRecord,
        kind: RotationType,
        now: UnixMillis,
    ) -> Result<KeyRecord> {
        let material = self.backend.generate_symmetric_material()?;
        let material_id = self.backend.material_id(&material);
        // The set, then sealing (the order everywhere): held until the sealed value is written,
        // so a root-key rotation waits for it.
        let _set = self.set_lock.lock().await;
        let _sealing = self.sealing.read().await;
        let sealed = self.seal_material(&record.arn(), material_id, &material, now, Some(kind))?;
        let (scope, id) = (record.scope.clone(), record.id.clone());
        let change = move |r: &mut KeyRecord| -> Result<()> {
            crate::ops::pipeline::check_state(r.state, &r.arn(), StateRule::Enabled)?;
            match kind {
                RotationType::OnDemand => {
                    if r.rotation.on_demand_count >= MAX_ON_DEMAND_ROTATIONS {
                        return Err(limit(r));
                    }
                    r.rotation.on_demand_count += 1;
                    r.rotation.on_demand_started = Some(now);
                }
                RotationType::Automatic => {
                    let (Some(period), Some(next)) = (r.rotation.period_days, r.rotation.next)
                    else {
                        return Err(Error::NotDue);
                    };
                    if next > now {
                        return Err(Error::NotDue);
                    }
                    // Once, however long the key was overdue; the next one a period from now.
                    r.rotation.next = Some(now.plus_days(period));
                }
            }
            r.current_material = material_id;
            Ok(())
        };
        if !record.is_primary() {
            return match self
                .store
                .rotate_key(&scope, &id, &sealed, Box::new(change))
                .await
            {
                Ok(outcome) => outcome,
                Err(StoreError::NotFound) => Err(Error::KeyNotFound {
                    arn: id.arn(&scope),
                }),
                Err(e) => Err(e.into()),
            };
        }
        // The set: the primary's change, and every replica taking the same version.
        let mut changes = vec![SetChange {
            scope: scope.clone(),
            id: id.clone(),
            material: Some(sealed.clone()),
            change: Box::new(change),
        }];
        for replica in self.store.key_set(&scope.account, &id).await? {
            if replica.scope == scope {
                continue;
            }
            changes.push(SetChange {
                material: Some(self.reseal(record, &replica.arn(), &sealed)?),
                scope: replica.scope,
                id: replica.id,
                change: Box::new(move |r: &mut KeyRecord| {
                    if kind == RotationType::OnDemand {
                        r.rotation.on_demand_count = r.rotation.on_demand_count.saturating_add(1);
                        r.rotation.on_demand_started = Some(now);
                    }
                    r.current_material = material_id;
                    Ok(())
                }),
            });
        }
        self.store.change_keys(changes).await?;
        self.store
            .key(&scope, &id)
            .await?
            .ok_or_else(|| Error::KeyNotFound {
                arn: id.arn(&scope),
            })
    }

    /// Rotates every enabled key whose automatic rotation is due; returns how many rotated.
    /// A disabled key is rotated when it is enabled again and still overdue, as at AWS.
    pub async fn rotate_due_keys(&self, now: UnixMillis) -> Result<usize> {
        let mut rotated = 0;
        for (scope, id) in self.store.keys_due_for_rotation(now).await? {
            let Some(record) = self.store.key(&scope, &id).await? else {
                continue;
            };
            // Replicas rotate with their primary, never on their own.
            if record.state != crate::model::KeyState::Enabled
                || !rotatable(&record)
                || record.is_replica()
            {
                continue;
            }
            match self.rotate(&record, RotationType::Automatic, now).await {
                Ok(_) => rotated += 1,
                // Another node or sweep got there first, or the key changed meanwhile.
                Err(Error::NotDue | Error::Disabled { .. } | Error::InvalidState { .. }) => {}
                // One key's failure does not stop the round for the others.
                Err(e) => {
                    tracing::warn!(key = %record.arn(), error = %e, "automatic rotation failed; will retry")
                }
            }
        }
        Ok(rotated)
    }

    /// ListKeyRotations: completed rotations (and, with `all`, the first material too), oldest
    /// first; `marker` is the material id of the last entry of the previous page. Returns the
    /// key's ARN with the page.
    pub async fn list_key_rotations(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        all: bool,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<(String, Page<RotationEntry>)> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:ListKeyRotations", StateRule::Any).without_aliases(),
            )
            .await?;
        let record = &authorized.key().record;
        if !rotatable_on_demand(record) {
            return Err(Error::Unsupported {
                message: NOT_ROTATABLE.to_owned(),
            });
        }
        let entries: Vec<RotationEntry> = self
            .store
            .materials(&record.scope, &record.id)
            .await?
            .into_iter()
            .filter(|m| all || (m.rotation.is_some() && !m.pending))
            .map(|material| RotationEntry {
                current: material.id == record.current_material,
                imported: record.origin == Origin::External,
                material,
            })
            .collect();
        let start = match marker {
            None => 0,
            Some(m) => entries
                .iter()
                .position(|e| e.material.id.to_hex() == m)
                .map(|i| i.saturating_add(1))
                .ok_or_else(|| Error::InvalidMarker {
                    message: format!("Invalid marker '{m}'"),
                })?,
        };
        let rest: Vec<RotationEntry> = entries.into_iter().skip(start).collect();
        let truncated = rest.len() > limit;
        Ok((
            record.arn(),
            Page {
                items: rest.into_iter().take(limit).collect(),
                truncated,
            },
        ))
    }
}

fn limit(record: &KeyRecord) -> Error {
    Error::LimitExceeded {
        message: format!(
            "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {}",
            record.arn()
        ),
    }
}
