//! CreateKey, DescribeKey, ListKeys and UpdateKeyDescription.

use trent_core::Error;
use trent_core::model::{KeyManager, KeyRef, KeySpec, KeyState, KeyUsage, Origin};
use trent_core::ops::keys::{CreateKeyInput, default_key_policy};
use trent_core::store::Store;

use crate::fixture::{Fixture, OWNER, START};

#[tokio::test]
async fn create_key_then_describe_key_returns_the_record() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    // (what is asked, the spec and usage it gets, whether it has a public key)
    let cases = [
        (
            CreateKeyInput {
                description: "orders".to_owned(),
                ..CreateKeyInput::default()
            },
            KeySpec::SymmetricDefault,
            KeyUsage::EncryptDecrypt,
            false,
        ),
        (
            CreateKeyInput {
                spec: Some(KeySpec::Hmac256),
                usage: Some(KeyUsage::GenerateVerifyMac),
                ..CreateKeyInput::default()
            },
            KeySpec::Hmac256,
            KeyUsage::GenerateVerifyMac,
            false,
        ),
        (
            CreateKeyInput {
                spec: Some(KeySpec::EccNistP256),
                usage: Some(KeyUsage::SignVerify),
                ..CreateKeyInput::default()
            },
            KeySpec::EccNistP256,
            KeyUsage::SignVerify,
            true,
        ),
    ];
    let mut created = Vec::new();
    for (input, spec, usage, public) in cases {
        let description = input.description.clone();
        let record = f.kms.create_key(&ctx, input).await.unwrap();
        assert_eq!(record.scope, f.scope());
        assert_eq!(
            record.arn(),
            format!("arn:aws:kms:us-east-1:{OWNER}:key/{}", record.id)
        );
        assert_eq!(record.spec, spec);
        assert_eq!(record.usage, usage);
        assert_eq!(record.state, KeyState::Enabled);
        assert_eq!(record.origin, Origin::AwsKms);
        assert_eq!(record.manager, KeyManager::Customer);
        assert_eq!(record.description, description);
        assert_eq!(record.created, START, "the fixed clock dates the key");
        assert_eq!(record.deletion_date, None);
        assert_eq!(record.public_key.is_some(), public, "{spec}");
        assert!(!record.multi_region);
        assert_eq!(record.policy, default_key_policy(&f.scope()));

        let described = f
            .kms
            .describe_key(&ctx, &KeyRef::Id(record.id.clone()))
            .await
            .unwrap();
        assert_eq!(described.id, record.id);
        assert_eq!(described.arn(), record.arn());
        assert_eq!(described.spec, record.spec);
        assert_eq!(described.usage, record.usage);
        assert_eq!(described.state, KeyState::Enabled);
        assert_eq!(described.description, record.description);
        assert_eq!(described.created, record.created);
        assert_eq!(described.current_material, record.current_material);
        assert_eq!(described.public_key, record.public_key);
        assert_eq!(described.policy, record.policy);

        // The record is in the store, not only in the cache.
        let stored = f
            .store
            .key(&record.scope, &record.id)
            .await
            .unwrap()
            .expect("the key is stored");
        assert_eq!(stored.id, record.id);
        assert_eq!(stored.spec, spec);
        created.push(record.id);
    }

    let listed = f.kms.list_keys(&ctx, 100, None).await.unwrap();
    assert!(!listed.truncated);
    let mut listed: Vec<_> = listed.items.into_iter().map(|k| k.id).collect();
    listed.sort();
    created.sort();
    assert_eq!(listed, created);
}

#[tokio::test]
async fn create_key_refuses_what_it_cannot_make() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    // (case, input, whether the answer is ValidationException rather than Unsupported)
    let cases = [
        (
            "HMAC without a usage",
            CreateKeyInput {
                spec: Some(KeySpec::Hmac256),
                ..CreateKeyInput::default()
            },
            true,
        ),
        (
            "HMAC for encryption",
            CreateKeyInput {
                spec: Some(KeySpec::Hmac256),
                usage: Some(KeyUsage::EncryptDecrypt),
                ..CreateKeyInput::default()
            },
            true,
        ),
        (
            "ECC for encryption",
            CreateKeyInput {
                spec: Some(KeySpec::EccNistP256),
                usage: Some(KeyUsage::EncryptDecrypt),
                ..CreateKeyInput::default()
            },
            true,
        ),
        (
            "SM2",
            CreateKeyInput {
                spec: Some(KeySpec::Sm2),
                usage: Some(KeyUsage::EncryptDecrypt),
                ..CreateKeyInput::default()
            },
            false,
        ),
        (
            "CloudHSM origin without a key store",
            CreateKeyInput {
                origin: Some(Origin::AwsCloudHsm),
                ..CreateKeyInput::default()
            },
            true,
        ),
        (
            "a key store without the CloudHSM origin",
            CreateKeyInput {
                custom_key_store: Some("cks-1234567890abcdef0".to_owned()),
                ..CreateKeyInput::default()
            },
            true,
        ),
        (
            "an asymmetric key in a key store",
            CreateKeyInput {
                origin: Some(Origin::AwsCloudHsm),
                custom_key_store: Some("cks-1234567890abcdef0".to_owned()),
                spec: Some(KeySpec::EccNistP256),
                usage: Some(KeyUsage::SignVerify),
                ..CreateKeyInput::default()
            },
            false,
        ),
        (
            "an external key store's key without its store",
            CreateKeyInput {
                origin: Some(Origin::ExternalKeyStore),
                xks_key_id: Some("ext-1".to_owned()),
                ..CreateKeyInput::default()
            },
            true,
        ),
        (
            "an external key store's key without its external key",
            CreateKeyInput {
                origin: Some(Origin::ExternalKeyStore),
                custom_key_store: Some("cks-1234567890abcdef0".to_owned()),
                ..CreateKeyInput::default()
            },
            true,
        ),
        (
            "an external key id for a key of Trent's own",
            CreateKeyInput {
                xks_key_id: Some("ext-1".to_owned()),
                ..CreateKeyInput::default()
            },
            true,
        ),
    ];
    for (case, input, validation) in cases {
        let outcome = f.kms.create_key(&ctx, input).await;
        match outcome {
            Err(Error::Validation { .. }) if validation => {}
            Err(Error::Unsupported { .. }) if !validation => {}
            other => panic!("{case}: {other:?}"),
        }
    }
    // Nothing was made.
    let listed = f.kms.list_keys(&ctx, 100, None).await.unwrap();
    assert!(listed.items.is_empty(), "{:?}", listed.items);
}

#[tokio::test]
async fn describe_key_of_a_key_that_does_not_exist_is_not_found() {
    let f = Fixture::new().await;
    let missing = KeyRef::parse("1234abcd-12ab-34cd-56ef-1234567890ab").unwrap();
    match f.kms.describe_key(&f.owner(), &missing).await {
        Err(Error::KeyNotFound { arn }) => assert_eq!(
            arn,
            format!("arn:aws:kms:us-east-1:{OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn update_key_description_shows_in_describe_key() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.symmetric_key().await;
    let id = KeyRef::Id(key.id.clone());
    f.kms
        .update_key_description(&ctx, &id, "payments".to_owned())
        .await
        .unwrap();
    let described = f.kms.describe_key(&ctx, &id).await.unwrap();
    assert_eq!(described.description, "payments");
    assert_eq!(described.state, KeyState::Enabled);
}
