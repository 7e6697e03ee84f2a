//! Imported key material (BYOK): GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial, and the expiry sweep that returns a key to `PendingImport` when
//! its material's `ValidTo` passes.

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{
    ExpirationModel, ImportToken, KeyFamily, KeyRecord, KeyRef, KeySpec, KeyState, MaterialId,
    Origin, RequestContext, UnixMillis, WrappingAlgorithm, WrappingKeySpec,
};
use crate::ops::pipeline::{KeyUse, StateRule};
use crate::policy::Facts;
use crate::secret::KeyMaterial;
use crate::store::StoreError;

/// How long an import token and its wrapping key are valid: 24 hours, as at AWS.
pub const IMPORT_TOKEN_MILLIS: i64 = 24 * 60 * 60 * 1000;
/// The latest `ValidTo` AWS accepts: 365 days from the request.
pub const MAX_VALID_TO_DAYS: u32 = 365;

/// Key specs whose material Trent accepts from outside.
pub fn importable(spec: KeySpec) -> bool {
    matches!(
        spec.family(),
        KeyFamily::Symmetric | KeyFamily::Hmac | KeyFamily::Rsa | KeyFamily::Ecc
    )
}

/// What GetParametersForImport returns.
#[derive(Debug)]
pub struct ImportParameters {
    pub key: KeyRecord,
    pub token: String,
    /// The wrapping public key, DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    pub valid_to: UnixMillis,
}

/// What ImportKeyMaterial asks for.
#[derive(Debug)]
pub struct ImportRequest<'a> {
    pub token: &'a [u8],
    pub wrapped: &'a [u8],
    pub valid_to: Option<UnixMillis>,
    pub expiration_model: Option<ExpirationModel>,
    /// `Some(true)` for NEW_KEY_MATERIAL, `Some(false)` for EXISTING_KEY_MATERIAL.
    pub new_material: Option<bool>,
    pub material_id: Option<&'a str>,
    pub description: Option<&'a str>,
}

fn invalid_token() -> Error {
    Error::InvalidImportToken
}

/// The lengths AWS accepts for imported HMAC keys, in bytes.
fn hmac_lengths(spec: KeySpec) -> std::ops::RangeInclusive<usize> {
    match spec {
        KeySpec::Hmac224 => 28..=64,
        KeySpec::Hmac256 => 32..=64,
        KeySpec::Hmac384 => 48..=128,
        _ => 64..=128,
    }
}

fn require_external(record: &KeyRecord) -> Result<()> {
    if record.origin == Origin::External {
        Ok(())
    } else {
        Err(Error::Unsupported {
            message: format!(
                "{} origin is {} which is not valid for this operation.",
                record.arn(),
                record.origin
            ),
        })
    }
}

impl Kms {
    pub async fn get_parameters_for_import(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        algorithm: WrappingAlgorithm,
        spec: WrappingKeySpec,
    ) -> Result<ImportParameters> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:GetParametersForImport", StateRule::Importable)
                    .without_aliases()
                    .facts(
                        Facts::new()
                            .with("kms:WrappingAlgorithm", algorithm.as_str())
                            .with("kms:WrappingKeySpec", spec.as_str()),
                    ),
            )
            .await?;
        let record = authorized.key().record.clone();
        require_external(&record)?;
        let rsa = match spec {
            WrappingKeySpec::Rsa2048 => KeySpec::Rsa2048,
            WrappingKeySpec::Rsa3072 => KeySpec::Rsa3072,
            WrappingKeySpec::Rsa4096 => KeySpec::Rsa4096,
            WrappingKeySpec::Sm2 => {
                // The form of AWS's answer to CreateKey with SM2 outside its China Regions.
                return Err(Error::Unsupported {
                    message: "WrappingKeySpec SM2 is not supported in this Region".to_owned(),
                });
            }
        };
        if matches!(
            algorithm,
            WrappingAlgorithm::RsaesPkcs1V15 | WrappingAlgorithm::Sm2Pke
        ) {
            return Err(Error::Unsupported {
                message: format!("WrappingAlgorithm {algorithm} is not supported."),
            });
        }
        let pair = self.backend.generate_key_pair(rsa)?;
        let token = hex(self.random(32)?.as_slice());
        let now = self.clock.now();
        let valid_to = UnixMillis(now.0.saturating_add(IMPORT_TOKEN_MILLIS));
        // Held until the sealed value is written: a root-key rotation waits for it.
        let _sealing = self.sealing.read().await;
        let sealed_private = self.vault.seal(
            crate::vault::Purpose::ImportToken {
                token: &token,
                arn: &record.arn(),
            },
            pair.private.as_slice(),
        )?;
        self.store
            .put_import_token(&ImportToken {
                token: token.clone(),
                scope: record.scope.clone(),
                key: record.id.clone(),
                sealed_private,
                algorithm,
                spec,
                expires: valid_to,
            })
            .await?;
        Ok(ImportParameters {
            key: record,
            token,
            public_key: pair.public,
            valid_to,
        })
    }

    /// ImportKeyMaterial; returns the key and the material's id.
    pub async fn import_key_material(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        request: ImportRequest<'_>,
    ) -> Result<(KeyRecord, MaterialId)> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:ImportKeyMaterial", StateRule::Importable)
                    .without_aliases()
                    .facts(
                        Facts::new()
                            .with(
                                "kms:ExpirationModel",
                                request
                                    .expiration_model
                                    .unwrap_or(ExpirationModel::Expires)
                                    .as_str(),
                            )
                            .with_opt(
                                "kms:ValidTo",
                                request.valid_to.map(|t| t.0.div_euclid(1000).to_string()),
                            ),
                    ),
            )
            .await?;
        let record = authorized.key().record.clone();
        require_external(&record)?;
        let now = self.clock.now();

        let model = request.expiration_model.unwrap_or(ExpirationModel::Expires);
        let valid_to = match (model, request.valid_to) {
            (ExpirationModel::Expires, None) => {
                return Err(Error::validation(
                    "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
                ));
            }
            (ExpirationModel::DoesNotExpire, Some(_)) => {
                return Err(Error::validation(
                    "A validTo date cannot be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
                ));
            }
            (_, Some(t)) if t <= now || t > now.plus_days(MAX_VALID_TO_DAYS) => {
                return Err(Error::validation(format!(
                    "ValidTo must be in the future and at most {MAX_VALID_TO_DAYS} days from now."
                )));
            }
            (_, t) => t,
        };

        let token = std::str::from_utf8(request.token).map_err(|_| invalid_token())?;
        let stored = self
            .store
            .import_token(token)
            .await?
            .filter(|t| t.key == record.id && t.scope == record.scope)
            .ok_or_else(invalid_token)?;
        if stored.expires <= now {
            return Err(Error::ExpiredImportToken);
        }
        let wrapping = self
            .vault
            .unseal(
                crate::vault::Purpose::ImportToken {
                    token,
                    arn: &record.arn(),
                },
                &stored.sealed_private,
            )
            .map_err(|_| invalid_token())?;
        let material = self
            .backend
            .unwrap_key_material(&wrapping, stored.algorithm, request.wrapped)
            .map_err(|_| Error::InvalidCiphertext)?;
        let public_key = self.check_imported(&record, &material)?;
        let material_id = self.backend.material_id(&material);

        // The first import gives the key its material. Later ones either bring back a version
        // the key has had (EXISTING_KEY_MATERIAL, the default), or add a new version that
        // waits for RotateKeyOnDemand (NEW_KEY_MATERIAL, symmetric keys only).
        let has_had_material = record.current_material != MaterialId([0; 32]);
        let versions = self.store.materials(&record.scope, &record.id).await?;
        let known =
            material_id == record.current_material || versions.iter().any(|v| v.id == material_id);
        let new_version = has_had_material && request.new_material == Some(true);
        if new_version {
            if record.spec != KeySpec::SymmetricDefault {
                return Err(Error::Unsupported {
                    message: "ImportType NEW_KEY_MATERIAL is only for symmetric encryption keys."
                        .to_owned(),
                });
            }
            if request.material_id.is_some() {
                return Err(Error::validation(
                    "You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.",
                ));
            }
            if known {
                return Err(Error::IncorrectKeyMaterial);
            }
            if let Some(pending) = versions.iter().find(|v| v.pending) {
                return Err(Error::KeyStateConflict {
                    message: format!(
                        "New key material (id: {}) cannot be imported into KMS key {}, because another key material (id: {}) is pending rotation.",
                        material_id.to_hex(),
                        record.id.as_str(),
                        pending.id.to_hex()
                    ),
                });
            }
            // Held until the sealed value is written: a root-key rotation waits for it.
            let _sealing = self.sealing.read().await;
            let mut sealed =
                self.seal_material(&record.arn(), material_id, &material, now, None)?;
            sealed.pending = true;
            sealed.description = request.description.map(str::to_owned);
            // Its expiry applies once it is current.
            sealed.valid_to = valid_to;
            sealed.expiration_model = Some(model);
            return match self
                .store
                .rotate_key(&record.scope, &record.id, &sealed, Box::new(|_| Ok(())))
                .await
            {
                Ok(result) => result.map(|r| (r, material_id)),
                Err(e) => Err(e.into()),
            };
        }
        if has_had_material && !known {
            return Err(Error::IncorrectKeyMaterial);
        }
        if let Some(given) = request.material_id
            && given != material_id.to_hex()
        {
            return Err(Error::IncorrectKeyMaterial);
        }

        let is_current = !has_had_material || material_id == record.current_material;
        let change = move |r: &mut KeyRecord| -> Result<()> {
            crate::ops::pipeline::check_state(r.state, &r.arn(), StateRule::Importable)?;
            // The key is usable again once its current version is back.
            if is_current && r.state == KeyState::PendingImport {
                r.state = KeyState::Enabled;
            }
            if is_current {
                r.current_material = material_id;
                r.valid_to = valid_to;
                r.expiration_model = Some(model);
            }
            if public_key.is_some() {
                r.public_key = public_key;
            }
            Ok(())
        };
        let (scope, id) = (record.scope.clone(), record.id.clone());
        // The version is written (or filled again after a deletion) in the same transaction
        // as the key's change, whatever happened meanwhile.
        // Held until the sealed value is written: a root-key rotation waits for it.
        let _sealing = self.sealing.read().await;
        let mut sealed = self.seal_material(&record.arn(), material_id, &material, now, None)?;
        sealed.description = request.description.map(str::to_owned);
        sealed.valid_to = valid_to;
        sealed.expiration_model = Some(model);
        if let Some(previous) = versions.iter().find(|v| v.id == material_id) {
            sealed.created = previous.created;
            sealed.rotation = previous.rotation;
            sealed.pending = previous.pending;
        }
        let outcome = self
            .store
            .rotate_key(&scope, &id, &sealed, Box::new(change))
            .await;
        match outcome {
            Ok(result) => result.map(|r| (r, material_id)),
            Err(StoreError::NotFound) => Err(Error::KeyNotFound {
                arn: id.arn(&scope),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks imported material against the key spec; for asymmetric keys, the public key.
    fn check_imported(
        &self,
        record: &KeyRecord,
        material: &KeyMaterial,
    ) -> Result<Option<Vec<u8>>> {
        let incorrect = || {
            Error::validation(format!(
                "The imported key material is not valid for key spec {}.",
                record.spec
            ))
        };
        match record.spec.family() {
            KeyFamily::Symmetric if material.len() == 32 => Ok(None),
            KeyFamily::Hmac if hmac_lengths(record.spec).contains(&material.len()) => Ok(None),
            KeyFamily::Rsa | KeyFamily::Ecc => {
                let pair = self
                    .backend
                    .key_pair_from_der(record.spec, material.as_slice())
                    .map_err(|_| incorrect())?;
                Ok(Some(pair.public))
            }
            _ => Err(incorrect()),
        }
    }

    pub async fn delete_imported_key_material(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        material_id: Option<&str>,
    ) -> Result<(KeyRecord, MaterialId)> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:DeleteImportedKeyMaterial", StateRule::Any).without_aliases(),
            )
            .await?;
        let record = authorized.key().record.clone();
        require_external(&record)?;
        if record.state == KeyState::PendingImport {
            return Err(Error::InvalidState {
                arn: record.arn(),
                state: record.state,
            });
        }
        let current = record.current_material;
        if let Some(given) = material_id
            && given != current.to_hex()
        {
            return Err(Error::KeyNotFound {
                arn: format!("{} key material {given}", record.arn()),
            });
        }
        let deleted = self
            .forget_material(&record, |r| {
                crate::ops::pipeline::check_state(r.state, &r.arn(), StateRule::Any)
            })
            .await?;
        Ok((deleted, current))
    }

    /// Deletes a key's material and returns it to `PendingImport` (a key pending deletion
    /// stays so), in one transaction; `guard` re-checks inside it.
    async fn forget_material(
        &self,
        record: &KeyRecord,
        guard: impl FnOnce(&KeyRecord) -> Result<()> + Send + 'static,
    ) -> Result<KeyRecord> {
        let (scope, id) = (record.scope.clone(), record.id.clone());
        let change = move |r: &mut KeyRecord| -> Result<()> {
            guard(r)?;
            if r.state != KeyState::PendingDeletion {
                r.state = KeyState::PendingImport;
            }
            r.valid_to = None;
            r.expiration_model = None;
            Ok(())
        };
        match self
            .store
            .delete_materials(&scope, &id, Box::new(change))
            .await
        {
            Ok(outcome) => outcome,
            Err(StoreError::NotFound) => Err(Error::KeyNotFound {
                arn: id.arn(&scope),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes imported material whose `ValidTo` has passed; returns how many keys lost it.
    pub async fn expire_imported_material(&self, now: UnixMillis) -> Result<usize> {
        let mut expired = 0;
        for (scope, id) in self.store.keys_with_expiring_material(now).await? {
            let Some(record) = self.store.key(&scope, &id).await? else {
                continue;
            };
            let outcome = self
                .forget_material(&record, move |r| {
                    if r.valid_to.is_some_and(|t| t <= now) {
                        Ok(())
                    } else {
                        Err(Error::NotDue)
                    }
                })
                .await;
            match outcome {
                Ok(_) => expired += 1,
                Err(Error::NotDue) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(expired)
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
