//! Encrypt, Decrypt and ReEncrypt for symmetric keys, and the sealing both data keys and
//! Encrypt share.

use crate::envelope::{self, Envelope};
use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{
    EncryptionAlgorithm, EncryptionContext, KeyId, KeyRecord, KeyRef, KeyUsage, MaterialId,
    RequestContext, Scope,
};
use crate::ops::pipeline::{Aliases, StateRule};
use crate::policy::AuthorizedKey;
use crate::secret::Plaintext;

/// The largest plaintext Encrypt takes.
pub const MAX_PLAINTEXT: usize = 4096;

/// The result of Encrypt.
#[derive(Debug)]
pub struct Encrypted {
    pub key: KeyRecord,
    pub ciphertext: Vec<u8>,
    pub material: MaterialId,
}

/// The result of Decrypt.
#[derive(Debug)]
pub struct Decrypted {
    pub key: KeyRecord,
    pub plaintext: Plaintext,
    pub material: MaterialId,
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
}

/// Symmetric keys take only `SYMMETRIC_DEFAULT`.
fn check_algorithm(record: &KeyRecord, algorithm: Option<EncryptionAlgorithm>) -> Result<()> {
    match algorithm {
        None | Some(EncryptionAlgorithm::SymmetricDefault) => Ok(()),
        Some(other) => Err(Error::InvalidKeyUsage {
            message: format!(
                "{} key spec {} does not support the {other} encryption algorithm.",
                record.arn(),
                record.spec
            ),
        }),
    }
}

impl Kms {
    /// The Encrypt pipeline up to the point of no return, shared by Encrypt, GenerateDataKey and
    /// the destination side of ReEncrypt.
    pub(crate) async fn encryption_key(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        action: &'static str,
        algorithm: Option<EncryptionAlgorithm>,
    ) -> Result<AuthorizedKey> {
        let key = self
            .key_for(
                ctx,
                key,
                Aliases::Allowed,
                action,
                StateRule::Enabled,
                Some(KeyUsage::EncryptDecrypt),
            )
            .await?;
        check_algorithm(&key.key().record, algorithm)?;
        Ok(key)
    }

    /// Seals a plaintext under an authorized key's current material.
    pub(crate) async fn seal(
        &self,
        key: &AuthorizedKey,
        context: &EncryptionContext,
        plaintext: &[u8],
    ) -> Result<Encrypted> {
        let record = &key.key().record;
        let material_id = record.current_material;
        let material = self.material(key, &material_id).await?;
        let nonces = self.backend.nonces()?;
        let mut blob = envelope::header(&record.id, &material_id, &nonces);
        let aad = envelope::aad(&blob, context);
        let body = self
            .backend
            .encrypt_symmetric(&material, &nonces, &aad, plaintext)?;
        blob.extend_from_slice(&body);
        Ok(Encrypted {
            key: record.clone(),
            ciphertext: blob,
            material: material_id,
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
        let key = self
            .encryption_key(ctx, key, "kms:Encrypt", algorithm)
            .await?;
        if dry_run {
            return Err(Error::DryRun);
        }
        self.seal(&key, context, plaintext.as_slice()).await
    }

    /// Finds the key a blob names (in the caller's scope, or the scope of the `KeyId` ARN),
    /// authorizes, and checks it against the `KeyId` the caller gave.
    async fn decryption_key(
        &self,
        ctx: &RequestContext,
        envelope: &Envelope<'_>,
        input: &DecryptInput<'_>,
        action: &'static str,
    ) -> Result<AuthorizedKey> {
        let blob_key = KeyId::parse(envelope.key_id).ok_or(Error::InvalidCiphertext)?;
        let scope: Scope = match input.key {
            Some(key_ref) => {
                let (scope, id) = self.resolve(ctx, key_ref, Aliases::Allowed).await?;
                if self.load(&scope, &id).await?.is_none() {
                    return Err(Error::KeyNotFound {
                        arn: id.arn(&scope),
                    });
                }
                if id != blob_key {
                    return Err(Error::IncorrectKey);
                }
                scope
            }
            None => ctx.scope(),
        };
        if self.load(&scope, &blob_key).await?.is_none() {
            return Err(Error::InvalidCiphertext);
        }
        let key = self
            .key_for(
                ctx,
                &KeyRef::Arn {
                    scope,
                    id: blob_key,
                },
                Aliases::Allowed,
                action,
                StateRule::Enabled,
                Some(KeyUsage::EncryptDecrypt),
            )
            .await?;
        check_algorithm(&key.key().record, input.algorithm)?;
        Ok(key)
    }

    async fn open(
        &self,
        key: &AuthorizedKey,
        envelope: &Envelope<'_>,
        context: &EncryptionContext,
    ) -> Result<Decrypted> {
        let material = self.material(key, &envelope.material_id).await?;
        let plaintext = self
            .backend
            .decrypt_symmetric(
                &material,
                &envelope.nonces,
                &envelope.aad(context),
                envelope.body,
            )
            .map_err(|_| Error::InvalidCiphertext)?;
        Ok(Decrypted {
            key: key.key().record.clone(),
            plaintext,
            material: envelope.material_id,
        })
    }

    pub async fn decrypt(
        &self,
        ctx: &RequestContext,
        input: DecryptInput<'_>,
        dry_run: bool,
    ) -> Result<Decrypted> {
        let envelope = Envelope::parse(input.ciphertext).ok_or(Error::InvalidCiphertext)?;
        let key = self
            .decryption_key(ctx, &envelope, &input, "kms:Decrypt")
            .await?;
        if dry_run {
            return Err(Error::DryRun);
        }
        self.open(&key, &envelope, input.context).await
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
        let envelope = Envelope::parse(source.ciphertext).ok_or(Error::InvalidCiphertext)?;
        let source_key = self
            .decryption_key(ctx, &envelope, &source, "kms:ReEncryptFrom")
            .await?;
        let destination_key = self
            .encryption_key(ctx, destination, "kms:ReEncryptTo", destination_algorithm)
            .await?;
        if dry_run {
            return Err(Error::DryRun);
        }
        let decrypted = self.open(&source_key, &envelope, source.context).await?;
        let encrypted = self
            .seal(
                &destination_key,
                destination_context,
                decrypted.plaintext.as_slice(),
            )
            .await?;
        Ok(ReEncrypted {
            source: decrypted,
            destination: encrypted,
        })
    }
}
