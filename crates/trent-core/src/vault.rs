//! The root key's one gate: every value is sealed under it for a typed [`Purpose`] (which
//! fixes the value's AAD), and key material is opened only for a key the policy evaluator
//! authorized ([`AuthorizedKey`]) or, inside the core, for a typed maintenance purpose.

use std::sync::Arc;

use crate::backend::{BackendError, RootKeyProvider};
use crate::error::{Error, Result};
use crate::model::{MaterialId, SealedMaterial};
use crate::policy::AuthorizedKey;
use crate::secret::{KeyMaterial, Secret};
use crate::store::{SealedSlot, Store, StoreResult};

/// The meta row that proves the root key is the one the store was sealed with.
const ROOT_CHECK: &str = "root_key_check";
const ROOT_CHECK_VALUE: &[u8] = b"trent root key check v1";

/// A secret of the server's own, kept in the store's meta table sealed under the root key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerSecret {
    /// The Ed25519 key that signs the audit trail's digests.
    AuditSigningKey,
}

impl ServerSecret {
    pub const ALL: &[ServerSecret] = &[ServerSecret::AuditSigningKey];

    /// The meta row that holds it.
    pub fn meta_name(self) -> &'static str {
        match self {
            ServerSecret::AuditSigningKey => "audit_signing_key",
        }
    }
}

/// What a sealed value is for: the one place its AAD is written.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Purpose<'a> {
    /// The value that proves the root key is the store's.
    RootCheck,
    Server(ServerSecret),
    /// An access key's secret, long-term or a session's.
    AccessKeySecret {
        access_key_id: &'a str,
    },
    /// A session's token.
    SessionToken {
        access_key_id: &'a str,
    },
    /// A version of a key's material, bound to the key's ARN.
    Material {
        arn: &'a str,
        id: &'a MaterialId,
    },
    /// A custom key store's password (its HSM user's PIN).
    KeyStorePassword {
        id: &'a crate::model::CustomKeyStoreId,
    },
    /// The wrapping private key of an import token, bound to its key's ARN.
    ImportToken {
        token: &'a str,
        arn: &'a str,
    },
}

impl Purpose<'_> {
    fn aad(&self) -> Vec<u8> {
        match self {
            Purpose::RootCheck => b"trent:root-key-check".to_vec(),
            Purpose::Server(ServerSecret::AuditSigningKey) => b"trent:audit-signing-key".to_vec(),
            Purpose::AccessKeySecret { access_key_id } => {
                format!("trent:access-key:{access_key_id}").into_bytes()
            }
            Purpose::SessionToken { access_key_id } => {
                format!("trent:session-token:{access_key_id}").into_bytes()
            }
            Purpose::Material { arn, id } => {
                format!("trent:material:{arn}:{}", id.to_hex()).into_bytes()
            }
            Purpose::ImportToken { token, arn } => {
                format!("trent:import-token:{token}:{arn}").into_bytes()
            }
            Purpose::KeyStorePassword { id } => {
                format!("trent:key-store-password:{id}").into_bytes()
            }
        }
    }
}

/// The AAD of the value a store slot holds; `None` for meta rows that hold nothing sealed.
fn slot_aad(slot: &SealedSlot) -> Option<Vec<u8>> {
    Some(match slot {
        SealedSlot::Meta { name } if name == ROOT_CHECK => Purpose::RootCheck.aad(),
        SealedSlot::Meta { name } => {
            let secret = ServerSecret::ALL
                .iter()
                .find(|s| s.meta_name() == name.as_str())?;
            Purpose::Server(*secret).aad()
        }
        SealedSlot::AccessKey { id } | SealedSlot::SessionSecret { access_key_id: id } => {
            Purpose::AccessKeySecret { access_key_id: id }.aad()
        }
        SealedSlot::SessionToken { access_key_id } => Purpose::SessionToken { access_key_id }.aad(),
        SealedSlot::KeyStorePassword { id } => Purpose::KeyStorePassword { id }.aad(),
        SealedSlot::Material {
            scope,
            key,
            material,
        } => Purpose::Material {
            arn: &key.arn(scope),
            id: material,
        }
        .aad(),
        SealedSlot::ImportToken { token, scope, key } => Purpose::ImportToken {
            token,
            arn: &key.arn(scope),
        }
        .aad(),
    })
}

/// The root key, reachable only through this type.
#[derive(Clone, Debug)]
pub struct Vault {
    root: Arc<dyn RootKeyProvider>,
}

impl Vault {
    pub(crate) fn new(root: Arc<dyn RootKeyProvider>) -> Vault {
        Vault { root }
    }

    pub(crate) fn seal(&self, purpose: Purpose<'_>, plain: &[u8]) -> Result<Vec<u8>> {
        Ok(self.root.seal(plain, &purpose.aad())?)
    }

    pub(crate) fn unseal(&self, purpose: Purpose<'_>, sealed: &[u8]) -> Result<Secret> {
        Ok(self.root.unseal(sealed, &purpose.aad())?)
    }

    /// Opens a material version of an authorized key: the sealed version read with the key
    /// (`read_with_key`, when it is that version) or read from the store now, then read from
    /// the store again at most once (a root-key rotation that completes between the read and
    /// the unseal has re-sealed the row under the new key and forgotten the old one).
    pub(crate) async fn open_material(
        &self,
        store: &dyn Store,
        key: &AuthorizedKey,
        id: &MaterialId,
        read_with_key: Option<SealedMaterial>,
    ) -> Result<KeyMaterial> {
        let record = &key.key().record;
        let arn = record.arn();
        let purpose = Purpose::Material { arn: &arn, id };
        let mut attempt = 0;
        let mut read_with_key = read_with_key.filter(|m| m.id == *id);
        loop {
            let sealed = match read_with_key.take() {
                Some(sealed) => sealed,
                None => store
                    .material(&record.scope, &record.id, id)
                    .await?
                    .ok_or(Error::InvalidCiphertext)?,
            };
            match self.unseal(purpose, &sealed.sealed) {
                Ok(m) => return Ok(m),
                Err(_) if attempt == 0 && !self.root.sealed_under_current(&sealed.sealed) => {
                    attempt += 1;
                }
                Err(e) => {
                    return Err(Error::internal(format!(
                        "cannot unseal material of {arn}: {e}"
                    )));
                }
            }
        }
    }

    /// A material version sealed for the key `from_arn`, sealed again for `to_arn` (another
    /// key of the same multi-Region set).
    pub(crate) fn reseal_material(
        &self,
        from_arn: &str,
        to_arn: &str,
        material: &SealedMaterial,
    ) -> Result<SealedMaterial> {
        let plain = self.unseal(
            Purpose::Material {
                arn: from_arn,
                id: &material.id,
            },
            &material.sealed,
        )?;
        Ok(SealedMaterial {
            sealed: self.seal(
                Purpose::Material {
                    arn: to_arn,
                    id: &material.id,
                },
                plain.as_slice(),
            )?,
            ..material.clone()
        })
    }

    /// Checks that the root key opens this store, or records it on first use.
    pub(crate) async fn check(&self, store: &dyn Store) -> Result<()> {
        match store.meta(ROOT_CHECK).await? {
            Some(sealed) => {
                let opened = self.unseal(Purpose::RootCheck, &sealed).map_err(|_| {
                    Error::internal(
                        "the root key does not open this data directory: it was sealed under another root key",
                    )
                })?;
                if opened.as_slice() != ROOT_CHECK_VALUE {
                    return Err(Error::internal("root key check value mismatch"));
                }
                Ok(())
            }
            None => {
                let sealed = self.seal(Purpose::RootCheck, ROOT_CHECK_VALUE)?;
                store.put_meta(ROOT_CHECK, &sealed).await?;
                Ok(())
            }
        }
    }

    /// Re-seals one stored value under the current root key: `Ok(None)` when it needs
    /// nothing (sealed under the current key already, emptied, or not a sealed value).
    pub(crate) fn reseal_slot(
        &self,
        slot: &SealedSlot,
        sealed: &[u8],
    ) -> std::result::Result<Option<Vec<u8>>, String> {
        // Material whose bytes were deleted (DeleteImportedKeyMaterial) has nothing to seal.
        if sealed.is_empty() || self.root.sealed_under_current(sealed) {
            return Ok(None);
        }
        let Some(aad) = slot_aad(slot) else {
            return Ok(None);
        };
        let plain = self
            .root
            .unseal(sealed, &aad)
            .map_err(|e| format!("cannot unseal {slot:?}: {e}"))?;
        self.root
            .seal(plain.as_slice(), &aad)
            .map(Some)
            .map_err(|e| format!("cannot seal {slot:?}: {e}"))
    }

    /// The root-key rotation's steps (see `reseal.rs`).
    pub(crate) fn begin_rotation(&self) -> std::result::Result<String, BackendError> {
        self.root.begin_rotation()
    }

    pub(crate) fn abandon_rotation(&self) -> std::result::Result<(), BackendError> {
        self.root.abandon_rotation()
    }

    pub(crate) fn retire_previous(&self) -> std::result::Result<usize, BackendError> {
        self.root.retire_previous()
    }

    pub(crate) fn key_count(&self) -> usize {
        self.root.key_count()
    }

    pub(crate) fn answers(&self) -> bool {
        self.root.answers()
    }
}

/// Whether a store has been sealed under some root key already (a node must not seal with a
/// new key of its own what the others cannot open).
pub async fn store_is_sealed(store: &dyn Store) -> StoreResult<bool> {
    Ok(store.meta(ROOT_CHECK).await?.is_some())
}

/// Whether the store answers (`/ready`).
pub async fn store_answers(store: &dyn Store) -> bool {
    store.meta(ROOT_CHECK).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountId, KeyId, Region, Scope};

    /// The AADs are part of the stored format: changing one makes existing stores unreadable.
    #[test]
    fn every_purpose_keeps_its_aad() {
        let id = MaterialId([7; 32]);
        let store = crate::model::CustomKeyStoreId::parse("cks-1234567890abcdef0").unwrap();
        let cases: Vec<(Purpose<'_>, String)> = vec![
            (Purpose::RootCheck, "trent:root-key-check".into()),
            (
                Purpose::Server(ServerSecret::AuditSigningKey),
                "trent:audit-signing-key".into(),
            ),
            (
                Purpose::AccessKeySecret {
                    access_key_id: "AKIA1",
                },
                "trent:access-key:AKIA1".into(),
            ),
            (
                Purpose::SessionToken {
                    access_key_id: "ASIA1",
                },
                "trent:session-token:ASIA1".into(),
            ),
            (
                Purpose::Material {
                    arn: "arn:k",
                    id: &id,
                },
                format!("trent:material:arn:k:{}", "07".repeat(32)),
            ),
            (
                Purpose::ImportToken {
                    token: "t",
                    arn: "arn:k",
                },
                "trent:import-token:t:arn:k".into(),
            ),
            (
                Purpose::KeyStorePassword { id: &store },
                "trent:key-store-password:cks-1234567890abcdef0".into(),
            ),
        ];
        for (purpose, aad) in cases {
            assert_eq!(purpose.aad(), aad.into_bytes(), "{purpose:?}");
        }
    }

    #[test]
    fn store_slots_name_their_purpose() {
        let scope = Scope {
            account: AccountId::parse("111122223333").unwrap(),
            region: Region::parse("eu-west-1").unwrap(),
        };
        let key = KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890ab").unwrap();
        let material = MaterialId([1; 32]);
        let slot = SealedSlot::Material {
            scope: scope.clone(),
            key: key.clone(),
            material,
        };
        let arn = key.arn(&scope);
        assert_eq!(
            slot_aad(&slot),
            Some(
                Purpose::Material {
                    arn: &arn,
                    id: &material
                }
                .aad()
            )
        );
        let meta = |name: &str| SealedSlot::Meta {
            name: name.to_owned(),
        };
        assert_eq!(slot_aad(&meta(ROOT_CHECK)), Some(Purpose::RootCheck.aad()));
        assert_eq!(
            slot_aad(&meta("audit_signing_key")),
            Some(Purpose::Server(ServerSecret::AuditSigningKey).aad())
        );
        assert_eq!(slot_aad(&meta("audit_public_key")), None);
    }
}
