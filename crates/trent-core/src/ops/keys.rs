//! Key management: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! UpdateKeyDescription, ScheduleKeyDeletion, CancelKeyDeletion, the deletion sweep, and
//! seeding keys with fixed ids and material.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{
    AliasName, AliasRecord, KeyFamily, KeyId, KeyManager, KeyRecord, KeyRef, KeySpec, KeyState,
    KeyUsage, MaterialId, Origin, RequestContext, Rotation, RotationType, Scope, SealedMaterial,
    Tag, UnixMillis,
};
use crate::ops::pipeline::{Aliases, KeyUse, StateRule, check_state};
use crate::ops::tags::validate_tags;
use crate::policy::Facts;
use crate::secret::KeyMaterial;
use crate::store::{Constraint, Page, StoreError};

/// The deletion waiting period AWS allows, in days.
pub const PENDING_WINDOW_DAYS: std::ops::RangeInclusive<u32> = 7..=30;
/// The default waiting period.
pub const DEFAULT_PENDING_WINDOW_DAYS: u32 = 30;

/// What CreateKey asks for, already parsed.
#[derive(Clone, Debug, Default)]
pub struct CreateKeyInput {
    pub description: String,
    pub usage: Option<KeyUsage>,
    pub spec: Option<KeySpec>,
    pub origin: Option<Origin>,
    pub policy: Option<String>,
    pub tags: Vec<Tag>,
    pub multi_region: bool,
    /// `CustomKeyStoreId`: a key in that store (with `Origin` `AWS_CLOUDHSM` or
    /// `EXTERNAL_KEY_STORE`).
    pub custom_key_store: Option<String>,
    /// `XksKeyId`: the external key of a key in an external key store.
    pub xks_key_id: Option<String>,
    pub bypass_policy_lockout_safety_check: bool,
}

/// A key to create at start-up from a seed file.
#[derive(Debug)]
pub struct SeedKey {
    pub scope: Scope,
    pub id: KeyId,
    pub spec: KeySpec,
    /// The spec's first usage when `None`.
    pub usage: Option<KeyUsage>,
    pub description: String,
    /// Fixed material: 32 bytes for symmetric keys, 1 to 1024 bytes for HMAC keys, the private
    /// key as DER (PKCS#8, or PKCS#1 for RSA) for asymmetric keys; random when `None`.
    pub material: Option<KeyMaterial>,
    pub aliases: Vec<AliasName>,
    pub tags: Vec<Tag>,
    pub enabled: bool,
}

/// A seed key checked and ready to create.
#[derive(Debug)]
pub struct PreparedSeed {
    record: KeyRecord,
    sealed: SealedMaterial,
    tags: Vec<Tag>,
    aliases: Vec<AliasRecord>,
}

/// What seeding did with one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    Created,
    AlreadyPresent,
}

/// AWS's default key policy: the account's root principal may do everything, which delegates
/// access to the account's IAM policies.
pub fn default_key_policy(scope: &Scope) -> String {
    format!(
        r#"{{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {{
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{}:root"
    }},
    "Action" : "kms:*",
    "Resource" : "*"
  }} ]
}}"#,
        scope.account
    )
}

impl Kms {
    pub async fn create_key(
        &self,
        ctx: &RequestContext,
        input: CreateKeyInput,
    ) -> Result<KeyRecord> {
        let spec = input.spec.unwrap_or(KeySpec::SymmetricDefault);
        let usage = match input.usage {
            Some(usage) => usage,
            None if spec == KeySpec::SymmetricDefault => KeyUsage::EncryptDecrypt,
            None => {
                return Err(Error::validation(
                    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
                ));
            }
        };
        let origin = input.origin.unwrap_or(Origin::AwsKms);
        if spec == KeySpec::Sm2 {
            // AWS's answer outside its China Regions, without a final period.
            return Err(Error::Unsupported {
                message: "KeySpec SM2 is not supported in this Region".to_owned(),
            });
        }
        if !spec.usages().contains(&usage) {
            return Err(Error::validation(format!(
                "KeyUsage {usage} is not compatible with KeySpec {spec}"
            )));
        }
        let external = origin == Origin::External;
        let xks = origin == Origin::ExternalKeyStore;
        let in_store = origin == Origin::AwsCloudHsm || xks;
        match (&input.custom_key_store, in_store) {
            (Some(_), false) => {
                return Err(Error::validation(format!(
                    "Origin {origin} is not valid for a KMS key in a custom key store. Use AWS_CLOUDHSM or EXTERNAL_KEY_STORE."
                )));
            }
            (None, true) => {
                return Err(Error::validation(format!(
                    "A CustomKeyStoreId is required when Origin is {origin}."
                )));
            }
            _ => {}
        }
        match (&input.xks_key_id, xks) {
            (Some(_), false) => {
                return Err(Error::validation(
                    "XksKeyId is valid only when Origin is EXTERNAL_KEY_STORE.",
                ));
            }
            (None, true) => {
                return Err(Error::validation(
                    "An XksKeyId is required when Origin is EXTERNAL_KEY_STORE.",
                ));
            }
            _ => {}
        }
        if in_store && (spec != KeySpec::SymmetricDefault || usage != KeyUsage::EncryptDecrypt) {
            return Err(Error::Unsupported {
                message: format!(
                    "KeySpec {spec} is not supported for KMS keys in a custom key store. Only SYMMETRIC_DEFAULT keys are supported."
                ),
            });
        }
        if in_store && input.multi_region {
            return Err(Error::Unsupported {
                message: "Multi-Region keys are not supported in custom key stores.".to_owned(),
            });
        }
        if external && !crate::ops::import::importable(spec) {
            return Err(Error::Unsupported {
                message: format!(
                    "KeySpec {spec} does not support imported key material in this version of Trent."
                ),
            });
        }
        if input.multi_region && external {
            return Err(Error::Unsupported {
                message: "Multi-Region keys with imported key material are not supported by this version of Trent.".to_owned(),
            });
        }
        validate_tags(&input.tags)?;
        let facts = Facts::new()
            .with("kms:KeySpec", spec.as_str())
            .with("kms:KeyUsage", usage.as_str())
            .with("kms:KeyOrigin", origin.as_str())
            .with("kms:MultiRegion", input.multi_region.to_string())
            .with(
                "kms:BypassPolicyLockoutSafetyCheck",
                input.bypass_policy_lockout_safety_check.to_string(),
            )
            .with_request_tags(
                input
                    .tags
                    .iter()
                    .map(|t| (t.key.as_str(), t.value.as_str())),
            );
        self.authorize_identity_with(ctx, "kms:CreateKey", "*", &facts)?;
        let scope = ctx.scope();
        let store = match &input.custom_key_store {
            Some(id) => Some(self.connected_key_store(&scope, id).await?),
            None => None,
        };
        if let Some(store) = &store {
            let records = self.key_store_records().await?;
            let record = records
                .get(store)
                .ok_or_else(|| Error::internal(format!("custom key store {store} vanished")))?;
            let fits = match record.kind {
                crate::model::KeyStoreType::AwsCloudhsm => origin == Origin::AwsCloudHsm,
                crate::model::KeyStoreType::ExternalKeyStore => xks,
            };
            if !fits {
                return Err(Error::validation(format!(
                    "Origin {origin} is not valid for a KMS key in a custom key store of type {}.",
                    record.kind
                )));
            }
            if let Some(external_key_id) = &input.xks_key_id {
                self.check_external_key(ctx, record, external_key_id)
                    .await?;
            }
        }
        self.check_keys_quota(&scope).await?;
        let id = if input.multi_region {
            KeyId::random_multi_region()
        } else {
            KeyId::random()
        };
        let (policy, policy_principals) = match input.policy {
            Some(policy) => {
                let parsed = crate::ops::key_policies::parse_key_policy(&policy)?;
                let bound = self.bind_principals(&parsed)?;
                if !input.bypass_policy_lockout_safety_check {
                    crate::ops::key_policies::check_lockout(
                        ctx,
                        &parsed,
                        &id.arn(&scope),
                        scope.account.as_str(),
                    )?;
                }
                (policy, bound)
            }
            None => (default_key_policy(&scope), BTreeMap::new()),
        };
        let now = self.clock.now();
        // A key for imported material has none until ImportKeyMaterial; a CloudHSM store's key
        // has its material in the HSM only, named by a random material id; an external store's
        // key has material of its own, the first of its two layers.
        let hsm_material = match &store {
            Some(_) if !xks => Some(crate::model::MaterialId(
                self.backend
                    .random(32)?
                    .as_slice()
                    .try_into()
                    .map_err(Error::internal)?,
            )),
            _ => None,
        };
        let (material, public_key) = if external || (store.is_some() && !xks) {
            (None, None)
        } else {
            let (m, p) = self.new_material(spec)?;
            (Some(m), p)
        };
        let record = KeyRecord {
            scope,
            id,
            created: now,
            description: input.description,
            spec,
            usage,
            origin,
            manager: KeyManager::Customer,
            state: if external {
                KeyState::PendingImport
            } else {
                KeyState::Enabled
            },
            deletion_date: None,
            pending_window_days: None,
            current_material: match (&material, hsm_material) {
                (Some(m), _) => self.backend.material_id(m),
                (None, Some(id)) => id,
                (None, None) => MaterialId([0; 32]),
            },
            multi_region: input.multi_region,
            policy,
            public_key,
            version: 0,
            rotation: Rotation::default(),
            valid_to: None,
            expiration_model: None,
            primary_region: input.multi_region.then(|| ctx.region.clone()),
            policy_principals,
            custom_key_store: store.clone(),
            xks_key_id: input.xks_key_id.clone(),
        };
        if let Some(store) = store.as_ref().filter(|_| !xks) {
            let label = record.id.as_str().to_owned();
            let object = record.current_material.0;
            self.with_hsm(store, None, |hsm| hsm.generate_key(&label, &object))
                .await?;
            // All or nothing: a key the store did not take leaves no object behind.
            if let Err(e) = self.store.create_key(&record, &[], &input.tags, &[]).await {
                self.destroy_hsm_key(&record).await;
                return Err(e.into());
            }
            return Ok(record);
        }
        // Held until the sealed value is written: a root-key rotation waits for it.
        let _sealing = self.sealing.read().await;
        let sealed: Vec<SealedMaterial> = material
            .map(|m| self.seal_material(&record.arn(), record.current_material, &m, now, None))
            .transpose()?
            .into_iter()
            .collect();
        match self
            .store
            .create_key(&record, sealed.as_slice(), &input.tags, &[])
            .await
        {
            Ok(()) => Ok(record),
            // Key ids are random: a conflict of an external store's key is its external key,
            // which another KMS key of the store has.
            Err(crate::store::StoreError::Conflict {
                constraint: crate::store::Constraint::Key,
            }) if xks => Err(Error::KeyStore {
                kind: crate::error::KeyStoreFault::XksKeyAlreadyInUse,
                message: format!(
                    "The external key {} is already associated with a KMS key in this external key store.",
                    input.xks_key_id.unwrap_or_default()
                ),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The KMS-keys-per-Region quota, checked before a key is made in `scope`; AWS's answer
    /// names the quota and the keys the scope has.
    pub(crate) async fn check_keys_quota(&self, scope: &Scope) -> Result<()> {
        let max = self.quotas().keys_per_region;
        let usage = self.store.count_keys(scope).await?;
        if usage >= max {
            return Err(Error::LimitExceeded {
                message: format!(
                    "Key quota for this account in this region is {max} but the current usage is {usage}."
                ),
            });
        }
        Ok(())
    }

    /// New material for a spec: the secret part (sealed at rest) and, for asymmetric keys, the
    /// public key.
    fn new_material(&self, spec: KeySpec) -> Result<(KeyMaterial, Option<Vec<u8>>)> {
        match spec.family() {
            KeyFamily::Symmetric => Ok((self.backend.generate_symmetric_material()?, None)),
            KeyFamily::Hmac => {
                let len = spec.hmac_key_len().unwrap_or(32);
                Ok((self.backend.random(len)?, None))
            }
            KeyFamily::Rsa
            | KeyFamily::Ecc
            | KeyFamily::Ed25519
            | KeyFamily::MlDsa
            | KeyFamily::MlKem => {
                let pair = self.backend.generate_key_pair(spec)?;
                Ok((pair.private, Some(pair.public)))
            }
            KeyFamily::Sm2 => Err(Error::Unsupported {
                message: format!("KeySpec {spec} is not supported by this version of Trent."),
            }),
        }
    }

    /// Seals a material version of a key (its id bound in the AAD with the key's ARN).
    pub(crate) fn seal_material(
        &self,
        arn: &str,
        id: MaterialId,
        material: &KeyMaterial,
        now: UnixMillis,
        rotation: Option<RotationType>,
    ) -> Result<SealedMaterial> {
        let sealed = self.vault.seal(
            crate::vault::Purpose::Material { arn, id: &id },
            material.as_slice(),
        )?;
        Ok(SealedMaterial {
            id,
            sealed,
            created: now,
            rotation,
            description: None,
            pending: false,
            valid_to: None,
            expiration_model: None,
        })
    }

    pub async fn describe_key(&self, ctx: &RequestContext, key: &KeyRef) -> Result<KeyRecord> {
        let key = self
            .key_for(ctx, KeyUse::new(key, "kms:DescribeKey", StateRule::Any))
            .await?;
        self.shown(&key.key().record).await
    }

    /// ListKeys: `marker` is the last key id of the previous page.
    pub async fn list_keys(
        &self,
        ctx: &RequestContext,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<KeyRecord>> {
        if let Some(m) = marker
            && KeyId::parse(m).is_none()
        {
            return Err(Error::InvalidMarker {
                message: format!("Invalid marker '{m}'"),
            });
        }
        self.authorize_identity(ctx, "kms:ListKeys", "*")?;
        Ok(self.store.list_keys(&ctx.scope(), marker, limit).await?)
    }

    /// Changes a key's record: authorizes `action`, then has the store apply `change` (which
    /// checks the state it needs and may refuse) to the current record in one transaction, so
    /// a change made from a stale cache can never undo another.
    pub(crate) async fn modify_key<F>(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        action: &'static str,
        change: F,
    ) -> Result<KeyRecord>
    where
        F: FnOnce(&mut KeyRecord) -> Result<()> + Send + 'static,
    {
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, action, StateRule::Any).without_aliases(),
            )
            .await?;
        let (scope, id) = (key.key().record.scope.clone(), key.key().record.id.clone());
        // A key of a disconnected key store may still be enabled or disabled, as at AWS: the
        // stored state changes, and shows once the store is connected again.
        // The store's change listener drops the cached record once the change commits.
        match self.store.modify_key(&scope, &id, Box::new(change)).await {
            Ok(outcome) => outcome,
            Err(StoreError::NotFound) => Err(Error::KeyNotFound {
                arn: id.arn(&scope),
            }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn enable_key(&self, ctx: &RequestContext, key: &KeyRef) -> Result<()> {
        self.modify_key(ctx, key, "kms:EnableKey", |r| {
            check_state(r.state, &r.arn(), StateRule::NotPendingDeletion)?;
            r.state = KeyState::Enabled;
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub async fn disable_key(&self, ctx: &RequestContext, key: &KeyRef) -> Result<()> {
        self.modify_key(ctx, key, "kms:DisableKey", |r| {
            check_state(r.state, &r.arn(), StateRule::NotPendingDeletion)?;
            r.state = KeyState::Disabled;
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub async fn update_key_description(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        description: String,
    ) -> Result<()> {
        self.modify_key(ctx, key, "kms:UpdateKeyDescription", move |r| {
            check_state(r.state, &r.arn(), StateRule::NotPendingDeletion)?;
            r.description = description;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// ScheduleKeyDeletion: the key becomes unusable now and is deleted for good when the
    /// window ends.
    pub async fn schedule_key_deletion(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        window_days: Option<u32>,
    ) -> Result<KeyRecord> {
        let days = window_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
        if !PENDING_WINDOW_DAYS.contains(&days) {
            return Err(Error::validation(
                "PendingWindowInDays must be between 7 and 30",
            ));
        }
        let now = self.clock.now();
        // A multi-Region primary with replicas waits for them (PendingReplicaDeletion) before
        // its own waiting period starts.
        let found = self.find(ctx, key, Aliases::Forbidden).await?;
        let has_replicas = found.record.is_primary()
            && self
                .store
                .key_set(&found.record.scope.account, &found.record.id)
                .await?
                .len()
                > 1;
        self.modify_key(ctx, key, "kms:ScheduleKeyDeletion", move |r| {
            check_state(r.state, &r.arn(), StateRule::NotPendingDeletion)?;
            if has_replicas {
                r.state = KeyState::PendingReplicaDeletion;
                r.deletion_date = None;
            } else {
                r.state = KeyState::PendingDeletion;
                r.deletion_date = Some(now.plus_days(days));
            }
            r.pending_window_days = Some(days);
            Ok(())
        })
        .await
    }

    /// CancelKeyDeletion: back to `Disabled`, as at AWS.
    pub async fn cancel_key_deletion(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
    ) -> Result<KeyRecord> {
        let now = self.clock.now();
        self.modify_key(ctx, key, "kms:CancelKeyDeletion", move |r| {
            if r.state != KeyState::PendingDeletion && r.state != KeyState::PendingReplicaDeletion {
                return Err(Error::NotPendingDeletion { arn: r.arn() });
            }
            if r.deletion_date.is_some_and(|due| due <= now) {
                // Its waiting period is over: the key is gone even if the sweeper has not run.
                return Err(Error::KeyNotFound { arn: r.arn() });
            }
            r.state = KeyState::Disabled;
            r.deletion_date = None;
            r.pending_window_days = None;
            Ok(())
        })
        .await
    }

    /// Deletes, for good, every key whose deletion date has come. Returns how many.
    ///
    /// Idempotent and safe to run late: a key due while Trent was down is deleted on the next
    /// sweep.
    pub async fn delete_due_keys(&self, now: UnixMillis) -> Result<usize> {
        let due = self.store.keys_due_for_deletion(now).await?;
        let mut deleted = 0;
        for (scope, id) in due {
            let record = self.store.key(&scope, &id).await?;
            match self.store.delete_key_if_due(&scope, &id, now).await {
                Ok(()) => {
                    deleted += 1;
                    // A key store's key: its object in the HSM goes too.
                    if let Some(record) = record {
                        self.destroy_hsm_key(&record).await;
                    }
                }
                // Cancelled or already deleted since the query: nothing to do.
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(deleted)
    }

    /// Creates a key from a seed entry unless a key with that id already exists.
    ///
    /// The whole key (record, material, tags, aliases) is created in one transaction, so a
    /// seed either applies whole or not at all.
    /// Checks a seed entry and prepares its key (material loaded or generated, and sealed)
    /// without writing anything, so that a whole seed file can be checked before any key is
    /// created.
    pub fn prepare_seed(&self, seed: SeedKey) -> Result<PreparedSeed> {
        validate_tags(&seed.tags)?;
        let spec = seed.spec;
        let usage = seed
            .usage
            .or_else(|| spec.usages().first().copied())
            .unwrap_or(KeyUsage::EncryptDecrypt);
        if !spec.usages().contains(&usage) {
            return Err(Error::validation(format!(
                "seed key {}: KeyUsage {usage} is not compatible with KeySpec {spec}",
                seed.id
            )));
        }
        let invalid = |what: String| Error::validation(format!("seed key {}: {what}", seed.id));
        let (material, public_key) = match (spec.family(), seed.material) {
            (_, None) => self.new_material(spec)?,
            (KeyFamily::Symmetric, Some(m)) if m.len() == 32 => (m, None),
            (KeyFamily::Symmetric, Some(m)) => {
                return Err(invalid(format!(
                    "symmetric key material must be 32 bytes, not {}",
                    m.len()
                )));
            }
            (KeyFamily::Hmac, Some(m)) if (1..=1024).contains(&m.len()) => (m, None),
            (KeyFamily::Hmac, Some(_)) => {
                return Err(invalid(
                    "HMAC key material must be 1 to 1024 bytes".to_owned(),
                ));
            }
            (_, Some(der)) => {
                let pair = self
                    .backend
                    .key_pair_from_der(spec, der.as_slice())
                    .map_err(|e| invalid(e.to_string()))?;
                (pair.private, Some(pair.public))
            }
        };
        let now = self.clock.now();
        let record = KeyRecord {
            policy: default_key_policy(&seed.scope),
            scope: seed.scope.clone(),
            id: seed.id.clone(),
            created: now,
            description: seed.description,
            spec,
            usage,
            origin: Origin::AwsKms,
            manager: KeyManager::Customer,
            state: if seed.enabled {
                KeyState::Enabled
            } else {
                KeyState::Disabled
            },
            deletion_date: None,
            pending_window_days: None,
            current_material: self.backend.material_id(&material),
            multi_region: false,
            public_key,
            version: 0,
            rotation: Rotation::default(),
            valid_to: None,
            expiration_model: None,
            primary_region: None,
            policy_principals: BTreeMap::new(),
            custom_key_store: None,
            xks_key_id: None,
        };
        let sealed =
            self.seal_material(&record.arn(), record.current_material, &material, now, None)?;
        let mut aliases = Vec::new();
        for name in seed.aliases {
            if name.is_reserved() {
                return Err(invalid(format!(
                    "{name}: the alias/aws/ prefix is reserved for AWS managed keys"
                )));
            }
            aliases.push(AliasRecord {
                scope: seed.scope.clone(),
                name,
                target: seed.id.clone(),
                created: now,
                updated: now,
            });
        }
        Ok(PreparedSeed {
            record,
            sealed,
            tags: seed.tags,
            aliases,
        })
    }

    /// Creates a prepared seed key in one transaction, unless a key with its id exists.
    pub async fn apply_seed(&self, seed: PreparedSeed) -> Result<SeedOutcome> {
        let record = &seed.record;
        if self.store.key(&record.scope, &record.id).await?.is_some() {
            return Ok(SeedOutcome::AlreadyPresent);
        }
        match self
            .store
            .create_key(
                record,
                std::slice::from_ref(&seed.sealed),
                &seed.tags,
                &seed.aliases,
            )
            .await
        {
            Ok(()) => Ok(SeedOutcome::Created),
            Err(StoreError::Conflict {
                constraint: Constraint::Alias,
            }) => Err(Error::validation(format!(
                "seed key {}: one of its aliases already names another key",
                record.id
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// A key's record (from the cache when warm), for tests and tools.
    pub async fn key_record(&self, scope: &Scope, id: &KeyId) -> Result<Option<KeyRecord>> {
        Ok(self
            .load(scope, id)
            .await?
            .map(|k: Arc<_>| k.record.clone()))
    }
}
