//! Encrypt, Decrypt and ReEncrypt, for symmetric keys (Trent's envelope) and RSA keys (raw
//! RSAES-OAEP, as AWS), and the sealing that data keys share.

use crate::envelope::{self, Envelope};
use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{
    EncryptionAlgorithm, EncryptionContext, KeyFamily, KeyId, KeyRecord, KeyRef, KeyUsage,
    MaterialId, RequestContext, Scope,
};
use crate::ops::pipeline::{Aliases, KeyUse, StateRule};
use crate::policy::{AuthorizedKey, Facts};
use crate::secret::Plaintext;

/// The result of Encrypt.
#[derive(Debug)]
pub struct Encrypted {
    pub key: KeyRecord,
    pub ciphertext: Vec<u8>,
    pub material: MaterialId,
    pub algorithm: EncryptionAlgorithm,
}

/// The result of Decrypt.
#[derive(Debug)]
pub struct Decrypted {
    pub key: KeyRecord,
    pub plaintext: Plaintext,
    pub material: MaterialId,
    pub algorithm: EncryptionAlgorithm,
}

/// The result of ReEncrypt.
#[derive(Debug)]
pub struct ReEncrypted {
    pub source: Decrypted,
    pub destination: Encrypted,
}

/// The options Decrypt and ReEncrypt share for the source side.
#[derive(Debug)]
pub struct DecryptInput<'a> {
    pub ciphertext: &'a [u8],
    pub context: &'a EncryptionContext,
    pub key: Option<&'a KeyRef>,
    pub algorithm: Option<EncryptionAlgorithm>,
    /// A dry run with `DryRunModifiers: [IGNORE_CIPHERTEXT]`: check authorization on the
    /// named `KeyId` only, never reading `ciphertext`.
    pub ignore_ciphertext: bool,
}

/// An authorized key and the algorithm to use with it.
#[derive(Debug)]
pub(crate) struct Using {
    key: AuthorizedKey,
    algorithm: EncryptionAlgorithm,
}

impl Using {
    pub(crate) fn key(&self) -> &crate::key::CachedKey {
        self.key.key()
    }
}

/// What a ciphertext will be opened with.
#[derive(Debug)]
enum Source<'a> {
    Symmetric(AuthorizedKey, Envelope<'a>),
    Rsa(Using),
    /// Authorization checked without a ciphertext (`IGNORE_CIPHERTEXT`); only a dry run ends
    /// here.
    Unread,
}

/// Checks that `algorithm` (default `SYMMETRIC_DEFAULT`) is one the key offers, and that an
/// encryption context is used only with symmetric keys.
fn algorithm_for(
    record: &KeyRecord,
    algorithm: Option<EncryptionAlgorithm>,
    context: &EncryptionContext,
) -> Result<EncryptionAlgorithm> {
    let algorithm = algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault);
    if !record.encryption_algorithms().contains(&algorithm) {
        return Err(Error::InvalidKeyUsage {
            message: format!(
                "Algorithm {algorithm} is incompatible with key spec {}.",
                record.spec
            ),
        });
    }
    if record.spec.family() != KeyFamily::Symmetric && !context.0.is_empty() {
        return Err(Error::validation(
            "EncryptionContext is not supported for asymmetric KMS keys.",
        ));
    }
    Ok(algorithm)
}

/// The condition keys of an operation with an encryption context and algorithm.
pub(crate) fn crypto_facts(
    facts: Facts,
    algorithm: Option<EncryptionAlgorithm>,
    context: &EncryptionContext,
) -> Facts {
    facts
        .with(
            "kms:EncryptionAlgorithm",
            algorithm
                .unwrap_or(EncryptionAlgorithm::SymmetricDefault)
                .as_str(),
        )
        .with_context(context)
}

impl Kms {
    /// Authorizes an ENCRYPT_DECRYPT key for `action` and settles the algorithm.
    pub(crate) async fn encryption_key(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        action: &'static str,
        algorithm: Option<EncryptionAlgorithm>,
        context: &EncryptionContext,
        facts: Facts,
    ) -> Result<Using> {
        let facts = crypto_facts(facts, algorithm, context);
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, action, StateRule::Enabled)
                    .usage(KeyUsage::EncryptDecrypt)
                    .facts(facts),
            )
            .await?;
        let algorithm = algorithm_for(&key.key().record, algorithm, context)?;
        Ok(Using { key, algorithm })
    }

    /// Authorizes the key that seals a data key or data key pair (GenerateDataKey*,
    /// GenerateDataKeyPair*): a symmetric encryption key. A key of another usage gets AWS's
    /// key-usage answer (`<key-arn> key usage is SIGN_VERIFY which is not valid for
    /// GenerateDataKey.`) from the pipeline, as Encrypt does; an asymmetric ENCRYPT_DECRYPT
    /// key (RSA), whose answer at AWS is not recorded, `<Operation> requires a symmetric
    /// encryption KMS key.`
    pub(crate) async fn data_key_sealing_key(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        action: &'static str,
        context: &EncryptionContext,
        facts: Facts,
    ) -> Result<Using> {
        let facts = crypto_facts(facts, None, context);
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, action, StateRule::Enabled)
                    .usage(KeyUsage::EncryptDecrypt)
                    .facts(facts),
            )
            .await?;
        if key.key().record.spec.family() != KeyFamily::Symmetric {
            return Err(Error::InvalidKeyUsage {
                message: format!(
                    "{} requires a symmetric encryption KMS key.",
                    action.trim_start_matches("kms:")
                ),
            });
        }
        let algorithm = algorithm_for(&key.key().record, None, context)?;
        Ok(Using { key, algorithm })
    }

    /// Encrypts under an authorized key: Trent's envelope for symmetric keys, raw RSAES-OAEP
    /// for RSA keys.
    pub(crate) async fn seal(
        &self,
        ctx: &RequestContext,
        using: &Using,
        context: &EncryptionContext,
        plaintext: &[u8],
    ) -> Result<Encrypted> {
        let record = &using.key.key().record;
        let material_id = record.current_material;
        if record.spec.family() == KeyFamily::Rsa {
            let max = record
                .spec
                .rsa_max_plaintext(using.algorithm)
                .unwrap_or_default();
            if plaintext.len() > max {
                return Err(Error::validation(format!(
                    "Algorithm {} and key spec {} cannot encrypt data larger than {max} bytes.",
                    using.algorithm, record.spec
                )));
            }
            let public = record
                .public_key
                .as_deref()
                .ok_or_else(|| Error::internal(format!("{} has no public key", record.arn())))?;
            return Ok(Encrypted {
                key: record.clone(),
                ciphertext: self
                    .backend
                    .rsa_encrypt(public, using.algorithm, plaintext)?,
                material: material_id,
                algorithm: using.algorithm,
            });
        }
        let nonces = self.backend.nonces()?;
        let mut blob = envelope::header(&record.id, &material_id, &nonces);
        let aad = envelope::aad(&blob, context);
        let body = match &record.custom_key_store {
            // AES-GCM inside the store's HSM, under the key's object (ADR 0018).
            Some(store) if record.xks_key_id.is_none() => {
                self.hsm_encrypt(store, record, &nonces.iv, &aad, plaintext)
                    .await?
            }
            _ => {
                let material = self.material(&using.key, &material_id).await?;
                let inner = self
                    .backend
                    .encrypt_symmetric(&material, &nonces, &aad, plaintext)?;
                // An external store's key: the proxy encrypts Trent's ciphertext again, under
                // the external key (ADR 0020).
                match record.xks_key_id {
                    Some(_) => {
                        let outer = self.backend.sha256(&aad);
                        self.xks_encrypt(ctx, record, &outer, &inner).await?
                    }
                    None => inner,
                }
            }
        };
        blob.extend_from_slice(&body);
        Ok(Encrypted {
            key: record.clone(),
            ciphertext: blob,
            material: material_id,
            algorithm: EncryptionAlgorithm::SymmetricDefault,
        })
    }

    pub async fn encrypt(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        plaintext: &Plaintext,
        context: &EncryptionContext,
        algorithm: Option<EncryptionAlgorithm>,
        dry_run: bool,
    ) -> Result<Encrypted> {
        let using = self
            .encryption_key(ctx, key, "kms:Encrypt", algorithm, context, Facts::new())
            .await?;
        self.perform(ctx, "Encrypt", dry_run, async {
            self.seal(ctx, &using, context, plaintext.as_slice()).await
        })
        .await
    }

    /// Settles what opens a ciphertext: an RSA key named by `KeyId`, or the symmetric key the
    /// blob names (in the caller's scope, or the scope of the `KeyId` ARN), checked against the
    /// `KeyId` when one is given.
    async fn source<'a>(
        &self,
        ctx: &RequestContext,
        input: &DecryptInput<'a>,
        action: &'static str,
        facts: Facts,
    ) -> Result<Source<'a>> {
        let mut facts = crypto_facts(facts, input.algorithm, input.context);
        // The named key is authorized by its ARN below; an alias the caller named still
        // counts for `kms:RequestAlias`, as on Encrypt.
        if let Some(KeyRef::Alias(name) | KeyRef::AliasArn { name, .. }) = input.key {
            facts = facts.with("kms:RequestAlias", name.as_str());
        }
        let authorize = |key_ref: KeyRef| {
            let facts = facts.clone();
            async move {
                self.key_for(
                    ctx,
                    KeyUse::new(&key_ref, action, StateRule::Enabled)
                        .usage(KeyUsage::EncryptDecrypt)
                        .facts(facts),
                )
                .await
            }
        };
        let named = match input.key {
            Some(key_ref) => {
                let (scope, id) = self.resolve(ctx, key_ref, Aliases::Allowed).await?;
                let Some(key) = self.load(&scope, &id).await? else {
                    return Err(Error::KeyNotFound {
                        arn: id.arn(&scope),
                    });
                };
                let family = key.record.spec.family();
                let decrypts =
                    family == KeyFamily::Symmetric || key.record.usage == KeyUsage::EncryptDecrypt;
                if !decrypts {
                    // An HMAC, signing or key-agreement key: AWS checks the caller may use it,
                    // then answers IncorrectKeyException.
                    self.key_for(
                        ctx,
                        KeyUse::new(&KeyRef::Arn { scope, id }, action, StateRule::Enabled)
                            .facts(facts.clone()),
                    )
                    .await?;
                    return Err(Error::IncorrectKey);
                }
                if input.ignore_ciphertext {
                    authorize(KeyRef::Arn { scope, id }).await?;
                    return Ok(Source::Unread);
                }
                if family != KeyFamily::Symmetric {
                    let key = authorize(KeyRef::Arn { scope, id }).await?;
                    let algorithm =
                        algorithm_for(&key.key().record, input.algorithm, input.context)?;
                    return Ok(Source::Rsa(Using { key, algorithm }));
                }
                Some((scope, id))
            }
            None if input.ignore_ciphertext => {
                return Err(Error::Validation {
                    message: "KeyId is required when DryRunModifiers contains IGNORE_CIPHERTEXT."
                        .into(),
                });
            }
            None => None,
        };
        let envelope = Envelope::parse(input.ciphertext).ok_or(Error::InvalidCiphertext)?;
        let blob_key = KeyId::parse(envelope.key_id).ok_or(Error::InvalidCiphertext)?;
        let scope: Scope = match named {
            Some((_, id)) if id != blob_key => return Err(Error::IncorrectKey),
            Some((scope, _)) => scope,
            None => ctx.scope(),
        };
        // A blob names a symmetric key; anything else means the blob is not one of ours.
        match self.load(&scope, &blob_key).await? {
            Some(key) if key.record.spec.family() == KeyFamily::Symmetric => {}
            _ => return Err(Error::InvalidCiphertext),
        }
        let key = authorize(KeyRef::Arn {
            scope,
            id: blob_key,
        })
        .await?;
        algorithm_for(&key.key().record, input.algorithm, input.context)?;
        Ok(Source::Symmetric(key, envelope))
    }

    async fn open(
        &self,
        ctx: &RequestContext,
        source: &Source<'_>,
        input: &DecryptInput<'_>,
    ) -> Result<Decrypted> {
        match source {
            Source::Symmetric(key, envelope) => {
                let record = &key.key().record;
                let aad = envelope.aad(input.context);
                let plaintext = match &record.custom_key_store {
                    // A key store's key has one material (it never rotates): a blob that names
                    // another is not this key's, and the HSM is not asked.
                    Some(_) if envelope.material_id != record.current_material => {
                        return Err(Error::InvalidCiphertext);
                    }
                    // The arm above leaves only blobs of the key's one material.
                    Some(store) if record.xks_key_id.is_none() => {
                        self.hsm_decrypt(store, record, &envelope.nonces.iv, &aad, envelope.body)
                            .await?
                    }
                    Some(_) => {
                        // An external store's key: the proxy opens its layer first, then
                        // Trent's own material opens what it gives back.
                        let material = self.material(key, &envelope.material_id).await?;
                        let outer = self.backend.sha256(&aad);
                        let inner = self.xks_decrypt(ctx, record, &outer, envelope.body).await?;
                        self.backend
                            .decrypt_symmetric(&material, &envelope.nonces, &aad, inner.as_slice())
                            .map_err(|_| Kms::xks_inner_failed())?
                    }
                    None => {
                        let material = self.material(key, &envelope.material_id).await?;
                        self.backend
                            .decrypt_symmetric(&material, &envelope.nonces, &aad, envelope.body)
                            .map_err(|_| Error::InvalidCiphertext)?
                    }
                };
                Ok(Decrypted {
                    key: key.key().record.clone(),
                    plaintext,
                    material: envelope.material_id,
                    algorithm: EncryptionAlgorithm::SymmetricDefault,
                })
            }
            Source::Rsa(using) => {
                let record = &using.key.key().record;
                let private = self.material(&using.key, &record.current_material).await?;
                let plaintext = self
                    .backend
                    .rsa_decrypt(&private, using.algorithm, input.ciphertext)
                    .map_err(|_| Error::InvalidCiphertext)?;
                Ok(Decrypted {
                    key: record.clone(),
                    plaintext,
                    material: record.current_material,
                    algorithm: using.algorithm,
                })
            }
            Source::Unread => Err(Error::DryRun),
        }
    }

    /// Whether ReEncrypt's source and destination are one key (`kms:ReEncryptOnSameKey`);
    /// `false` when either cannot be resolved (the request then fails on its own).
    async fn same_key(
        &self,
        ctx: &RequestContext,
        source: &DecryptInput<'_>,
        destination: &KeyRef,
    ) -> bool {
        let Ok((_, to)) = self.resolve(ctx, destination, Aliases::Allowed).await else {
            return false;
        };
        let from = match source.key {
            Some(key_ref) => self
                .resolve(ctx, key_ref, Aliases::Allowed)
                .await
                .ok()
                .map(|(_, id)| id),
            None => Envelope::parse(source.ciphertext).and_then(|e| KeyId::parse(e.key_id)),
        };
        from.is_some_and(|id| id == to)
    }

    pub async fn decrypt(
        &self,
        ctx: &RequestContext,
        input: DecryptInput<'_>,
        dry_run: bool,
    ) -> Result<Decrypted> {
        let source = self
            .source(ctx, &input, "kms:Decrypt", Facts::new())
            .await?;
        self.perform(ctx, "Decrypt", dry_run, self.open(ctx, &source, &input))
            .await
    }

    /// ReEncrypt: decrypt under the source key and encrypt under the destination key, without
    /// the plaintext leaving the service.
    pub async fn re_encrypt(
        &self,
        ctx: &RequestContext,
        source: DecryptInput<'_>,
        destination: &KeyRef,
        destination_context: &EncryptionContext,
        destination_algorithm: Option<EncryptionAlgorithm>,
        dry_run: bool,
    ) -> Result<ReEncrypted> {
        let same = self.same_key(ctx, &source, destination).await;
        let same = Facts::new().with("kms:ReEncryptOnSameKey", same.to_string());
        let from = self
            .source(ctx, &source, "kms:ReEncryptFrom", same.clone())
            .await?;
        let to = self
            .encryption_key(
                ctx,
                destination,
                "kms:ReEncryptTo",
                destination_algorithm,
                destination_context,
                same,
            )
            .await?;
        self.perform(ctx, "ReEncrypt", dry_run, async {
            let decrypted = self.open(ctx, &from, &source).await?;
            let encrypted = self
                .seal(
                    ctx,
                    &to,
                    destination_context,
                    decrypted.plaintext.as_slice(),
                )
                .await?;
            Ok(ReEncrypted {
                source: decrypted,
                destination: encrypted,
            })
        })
        .await
    }
}

impl crate::ops::pipeline::UsesKeys for Encrypted {
    fn keys_used(&self) -> Vec<&crate::model::KeyRecord> {
        vec![&self.key]
    }
}

impl crate::ops::pipeline::UsesKeys for Decrypted {
    fn keys_used(&self) -> Vec<&crate::model::KeyRecord> {
        vec![&self.key]
    }
}

impl crate::ops::pipeline::UsesKeys for ReEncrypted {
    fn keys_used(&self) -> Vec<&crate::model::KeyRecord> {
        vec![&self.source.key, &self.destination.key]
    }
}
