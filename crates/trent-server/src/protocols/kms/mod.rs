//! Handlers: translate `trent-api` shapes into `trent-core` calls and back, one file per
//! operation family (the same names as `trent_api::shapes` and `trent_core::ops`).

pub mod agreement;
pub mod aliases;
pub mod data_keys;
pub mod encrypt;
pub mod grants;
pub mod import;
pub mod kem;
pub mod key_policies;
pub mod key_stores;
pub mod keys;
pub mod mac;
pub mod random;
pub mod rotation;
pub mod sign;
pub mod tags;

use std::collections::BTreeMap;

use trent_api::EpochMillis;
use trent_api::shapes::keys::KeyMetadata;
use trent_api::validation::{Constraint, Violation};
use trent_core::model::{EncryptionAlgorithm, EncryptionContext, KeyRecord, KeyRef, Tag};

use crate::http::error::ApiError;

/// `Recipient` asks for a result sealed to a Nitro Enclave's attested key, which Trent cannot
/// verify; refusing is safer than returning the plaintext the caller meant to keep out of reach.
pub(crate) fn no_recipient(recipient: Option<&serde_json::Value>) -> Result<(), ApiError> {
    match recipient {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(_) => Err(ApiError::from(trent_core::Error::Unsupported {
            message:
                "Recipient (Nitro Enclaves attestation) is not supported by this version of Trent."
                    .to_owned(),
        })),
    }
}

/// Parses an AWS enum member (`SigningAlgorithm`, `KeyPairSpec`, ...). The model's validation
/// has already checked the value; an unknown one is still a ValidationException, never a panic.
pub(crate) fn member<T>(
    name: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, ApiError> {
    parse(value).ok_or_else(|| {
        ApiError::from(trent_core::Error::validation(format!(
            "Unknown {name} {value}"
        )))
    })
}

/// Parses a `KeyId` member.
pub(crate) fn key_ref(value: &str) -> Result<KeyRef, ApiError> {
    Ok(KeyRef::parse(value)?)
}

pub(crate) fn context(map: BTreeMap<String, String>) -> EncryptionContext {
    EncryptionContext(map)
}

/// Parses an `EncryptionAlgorithm` member (already checked against the model's enum).
pub(crate) fn algorithm(value: Option<&str>) -> Option<EncryptionAlgorithm> {
    value.and_then(EncryptionAlgorithm::parse)
}

pub(crate) fn tags_in(tags: Vec<trent_api::shapes::Tag>) -> Vec<Tag> {
    tags.into_iter()
        .map(|t| Tag {
            key: t.tag_key,
            value: t.tag_value,
        })
        .collect()
}

pub(crate) fn millis(t: trent_core::model::UnixMillis) -> EpochMillis {
    EpochMillis(t.0)
}

/// The page size to use: the request's `Limit` (at most `max`, as the operation documents) or
/// the operation's default.
pub(crate) fn limit(requested: Option<u32>, default: usize, max: u32) -> Result<usize, ApiError> {
    match requested {
        None => Ok(default),
        Some(l) if l > max => Err(ApiError::from(
            Violation::new(
                "limit",
                Some(l.to_string()),
                Constraint::Max(i64::from(max)),
            )
            .error(),
        )),
        Some(l) => Ok(usize::try_from(l).unwrap_or(default)),
    }
}

/// `NextMarker`: the position of the last item returned, when more follow.
pub(crate) fn next_marker<T>(
    truncated: bool,
    items: &[T],
    position: impl Fn(&T) -> String,
) -> Option<String> {
    if truncated {
        items.last().map(position)
    } else {
        None
    }
}

/// AWS names of a list of algorithms; `None` (the member left out) when empty, as AWS does.
pub(crate) fn names<T: std::fmt::Display>(list: Vec<T>) -> Option<Vec<String>> {
    (!list.is_empty()).then(|| list.iter().map(ToString::to_string).collect())
}

/// `KeyMetadata` as AWS returns it for a key.
pub(crate) fn metadata(key: &KeyRecord) -> KeyMetadata {
    KeyMetadata {
        aws_account_id: key.scope.account.as_str().to_owned(),
        key_id: key.id.as_str().to_owned(),
        arn: key.arn(),
        creation_date: Some(millis(key.created)),
        enabled: key.state == trent_core::model::KeyState::Enabled,
        description: key.description.clone(),
        key_usage: key.usage.as_str().to_owned(),
        key_state: key.state.as_str().to_owned(),
        deletion_date: key.deletion_date.map(millis),
        valid_to: key.valid_to.map(millis),
        expiration_model: key.expiration_model.map(|m| m.as_str().to_owned()),
        multi_region_configuration: None,
        origin: key.origin.as_str().to_owned(),
        key_manager: key.manager.as_str().to_owned(),
        customer_master_key_spec: key.spec.as_str().to_owned(),
        key_spec: key.spec.as_str().to_owned(),
        encryption_algorithms: names(key.spec.encryption_algorithms(key.usage)),
        signing_algorithms: names(key.spec.signing_algorithms(key.usage)),
        mac_algorithms: names(key.spec.mac_algorithms(key.usage)),
        key_agreement_algorithms: names(key.spec.key_agreement_algorithms(key.usage)),
        encapsulation_algorithms: names(key.spec.encapsulation_algorithms(key.usage)),
        multi_region: key.multi_region,
        pending_deletion_window_in_days: key.pending_window_days,
        // As AWS: only symmetric keys (which rotate) name their current material. A key
        // that has never had imported material has none; one whose material was deleted
        // still names it (it is the material a reimport must match).
        current_key_material_id: (key.spec == trent_core::model::KeySpec::SymmetricDefault
            && key.current_material != trent_core::model::MaterialId([0; 32]))
        .then(|| key.current_material.to_hex()),
        custom_key_store_id: key.custom_key_store.as_ref().map(ToString::to_string),
        cloud_hsm_cluster_id: None,
        xks_key_configuration: key
            .xks_key_id
            .as_ref()
            .map(|id| trent_api::shapes::keys::XksKeyConfiguration { id: id.clone() }),
    }
}

/// `KeyMetadata` with the multi-Region configuration of the key's set, for the operations that
/// return it (CreateKey, DescribeKey, ReplicateKey).
pub(crate) async fn full_metadata(
    state: &crate::run::state::AppState,
    key: &KeyRecord,
) -> Result<KeyMetadata, ApiError> {
    let mut meta = metadata(key);
    if let Some(store) = &key.custom_key_store {
        meta.cloud_hsm_cluster_id = state.kms.key_store_cluster(store).await?;
    }
    if let Some(set) = state.kms.multi_region_set(key).await? {
        let entry = |region: &trent_core::model::Region| trent_api::shapes::keys::MultiRegionKey {
            arn: key.id.arn(&trent_core::model::Scope {
                account: key.scope.account.clone(),
                region: region.clone(),
            }),
            region: region.as_str().to_owned(),
        };
        meta.multi_region_configuration = Some(trent_api::shapes::keys::MultiRegionConfiguration {
            multi_region_key_type: if key.is_primary() {
                "PRIMARY"
            } else {
                "REPLICA"
            }
            .to_owned(),
            primary_key: entry(&set.primary),
            replica_keys: set.replicas.iter().map(entry).collect(),
        });
    }
    Ok(meta)
}
