//! The records the checks build on: one scope, a key, its first material, an alias.

use std::collections::BTreeMap;

use trent_core::model::{
    AccountId, AliasName, AliasRecord, ExpirationModel, KeyId, KeyManager, KeyRecord, KeySpec,
    KeyState, KeyUsage, MaterialId, Origin, Region, Scope, SealedMaterial, UnixMillis,
};

pub(crate) fn scope() -> Scope {
    Scope {
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    }
}

pub(crate) fn key(id: &str) -> KeyRecord {
    KeyRecord {
        scope: scope(),
        id: KeyId::parse(id).unwrap(),
        created: UnixMillis(1_700_000_000_000),
        description: "d".into(),
        spec: KeySpec::SymmetricDefault,
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::AwsKms,
        manager: KeyManager::Customer,
        state: KeyState::Enabled,
        deletion_date: None,
        pending_window_days: None,
        current_material: MaterialId([7; 32]),
        multi_region: false,
        policy: "{}".into(),
        public_key: Some(vec![0x30, 1, 2]),
        version: 0,
        rotation: Default::default(),
        valid_to: Some(UnixMillis(9_000)),
        expiration_model: Some(ExpirationModel::Expires),
        primary_region: None,
        policy_principals: BTreeMap::from([(
            "arn:aws:iam::111122223333:user/alice".to_owned(),
            "AIDAALICE".to_owned(),
        )]),
        custom_key_store: None,
        xks_key_id: None,
    }
}

pub(crate) fn material() -> SealedMaterial {
    SealedMaterial {
        id: MaterialId([7; 32]),
        sealed: vec![1, 2, 3],
        created: UnixMillis(1),
        rotation: None,
        description: Some("first".into()),
        pending: false,
        valid_to: None,
        expiration_model: None,
    }
}

pub(crate) fn alias(name: &str, target: &str) -> AliasRecord {
    AliasRecord {
        scope: scope(),
        name: AliasName::parse(name).unwrap(),
        target: KeyId::parse(target).unwrap(),
        created: UnixMillis(1),
        updated: UnixMillis(1),
    }
}

pub(crate) const A: &str = "00000000-0000-4000-8000-000000000001";
pub(crate) const B: &str = "00000000-0000-4000-8000-000000000002";
