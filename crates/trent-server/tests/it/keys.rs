//! Key management through the SDK: CreateKey, DescribeKey, ListKeys, Enable/Disable,
//! UpdateKeyDescription, and regional isolation.

use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, OriginType, Tag};

use crate::harness::{Harness, error_of};

#[tokio::test]
async fn create_key_returns_full_metadata() {
    let h = Harness::start().await;
    let out = h
        .client()
        .create_key()
        .description("orders")
        .tags(
            Tag::builder()
                .tag_key("team")
                .tag_value("core")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let m = out.key_metadata.unwrap();
    assert_eq!(m.aws_account_id.as_deref(), Some("111122223333"));
    assert_eq!(
        m.arn.as_deref(),
        Some(format!("arn:aws:kms:us-east-1:111122223333:key/{}", m.key_id).as_str())
    );
    assert!(trent_core::model::KeyId::parse(&m.key_id).is_some());
    assert_eq!(m.description.as_deref(), Some("orders"));
    assert!(m.enabled);
    assert_eq!(m.key_state, Some(KeyState::Enabled));
    assert_eq!(m.key_usage, Some(KeyUsageType::EncryptDecrypt));
    assert_eq!(m.key_spec, Some(KeySpec::SymmetricDefault));
    assert_eq!(m.origin, Some(OriginType::AwsKms));
    assert_eq!(
        m.key_manager,
        Some(aws_sdk_kms::types::KeyManagerType::Customer)
    );
    assert_eq!(m.multi_region, Some(false));
    assert_eq!(
        m.encryption_algorithms(),
        &[aws_sdk_kms::types::EncryptionAlgorithmSpec::SymmetricDefault]
    );
    assert_eq!(m.current_key_material_id.as_deref().map(str::len), Some(64));
    let created = m.creation_date.unwrap().secs();
    assert!((created - crate::harness::now_unix()).abs() < 60);
    assert!(m.deletion_date.is_none());
}

#[tokio::test]
async fn describe_key_accepts_every_form_of_key_id() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    kms.create_alias()
        .alias_name("alias/describe-me")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
    for reference in [
        id.clone(),
        arn.clone(),
        "alias/describe-me".to_owned(),
        "arn:aws:kms:us-east-1:111122223333:alias/describe-me".to_owned(),
    ] {
        let m = h.describe(&reference).await;
        assert_eq!(m.key_id, id, "{reference}");
    }
}

#[tokio::test]
async fn unknown_and_malformed_key_ids_are_not_found() {
    let h = Harness::start().await;
    let kms = h.client();
    let missing = "1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(
        error_of(kms.describe_key().key_id(missing).send().await),
        (
            "NotFoundException".to_owned(),
            format!("Key 'arn:aws:kms:us-east-1:111122223333:key/{missing}' does not exist")
        )
    );
    assert_eq!(
        error_of(kms.describe_key().key_id("not-a-key").send().await),
        (
            "NotFoundException".to_owned(),
            "Invalid keyId 'not-a-key'".to_owned()
        )
    );
    assert_eq!(
        error_of(kms.describe_key().key_id("alias/nope").send().await),
        (
            "NotFoundException".to_owned(),
            "Alias arn:aws:kms:us-east-1:111122223333:alias/nope is not found.".to_owned()
        )
    );
}

#[tokio::test]
async fn keys_are_regional() {
    let h = Harness::start().await;
    let id = h.key().await;
    let (code, message) = error_of(
        h.client_in("eu-west-1")
            .describe_key()
            .key_id(&id)
            .send()
            .await,
    );
    assert_eq!(code, "NotFoundException");
    assert!(
        message.contains("arn:aws:kms:eu-west-1:111122223333:key/"),
        "{message}"
    );
    // Not even by its ARN: a regional endpoint serves only its own region's keys, and says so
    // in AWS's words.
    let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
    let other_region = (
        "NotFoundException".to_owned(),
        "Invalid arn us-east-1".to_owned(),
    );
    let west = h.client_in("eu-west-1");
    assert_eq!(
        error_of(west.describe_key().key_id(&arn).send().await),
        other_region
    );
    let r = west
        .encrypt()
        .key_id(&arn)
        .plaintext(aws_sdk_kms::primitives::Blob::new("x"))
        .send()
        .await;
    assert_eq!(error_of(r), other_region, "Encrypt");
    assert_eq!(
        error_of(
            west.get_key_policy()
                .key_id(&arn)
                .policy_name("default")
                .send()
                .await
        ),
        other_region,
        "GetKeyPolicy"
    );
    assert_eq!(
        error_of(west.schedule_key_deletion().key_id(&arn).send().await),
        other_region,
        "ScheduleKeyDeletion"
    );
    // Nothing happened to the key in its own region.
    assert_eq!(h.describe(&id).await.key_state, Some(KeyState::Enabled));
    let listed = h.client_in("eu-west-1").list_keys().send().await.unwrap();
    assert!(listed.keys().is_empty());
}

#[tokio::test]
async fn list_keys_pages_with_markers() {
    let h = Harness::start().await;
    let kms = h.client();
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(h.key().await);
    }
    created.sort();
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = kms
            .list_keys()
            .limit(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        assert!(page.keys().len() <= 2);
        for k in page.keys() {
            let id = k.key_id.clone().unwrap();
            assert_eq!(
                k.key_arn.as_deref(),
                Some(format!("arn:aws:kms:us-east-1:111122223333:key/{id}").as_str())
            );
            seen.push(id);
        }
        if !page.truncated {
            assert!(page.next_marker.is_none());
            break;
        }
        marker = page.next_marker.clone();
        assert!(marker.is_some());
    }
    assert_eq!(seen, created);
    // The paginator agrees.
    let all: Vec<_> = kms
        .list_keys()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(all.len(), 5);
    let (code, _) = error_of(kms.list_keys().marker("garbage").send().await);
    assert_eq!(code, "InvalidMarkerException");
    let (code, _) = error_of(kms.list_keys().limit(0).send().await);
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn enable_disable_and_describe() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    kms.disable_key().key_id(&id).send().await.unwrap();
    let m = h.describe(&id).await;
    assert_eq!((m.enabled, m.key_state), (false, Some(KeyState::Disabled)));
    // Disabling twice is fine, as at AWS.
    kms.disable_key().key_id(&id).send().await.unwrap();
    kms.enable_key().key_id(&id).send().await.unwrap();
    let m = h.describe(&id).await;
    assert_eq!((m.enabled, m.key_state), (true, Some(KeyState::Enabled)));
    // EnableKey takes a key id or ARN, not an alias.
    kms.create_alias()
        .alias_name("alias/e")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(kms.enable_key().key_id("alias/e").send().await),
        (
            "InvalidArnException".to_owned(),
            "Key Aliases are not supported for this operation.".to_owned()
        )
    );
}

#[tokio::test]
async fn update_key_description() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    kms.update_key_description()
        .key_id(&id)
        .description("new words")
        .send()
        .await
        .unwrap();
    let m = h.describe(&id).await;
    assert_eq!(m.description.as_deref(), Some("new words"));
}

#[tokio::test]
async fn create_key_rejects_what_this_version_does_not_serve() {
    let h = Harness::start().await;
    let kms = h.client();
    let (code, message) = error_of(
        kms.create_key()
            .key_spec(KeySpec::Sm2)
            .key_usage(KeyUsageType::SignVerify)
            .send()
            .await,
    );
    assert_eq!(code, "UnsupportedOperationException", "{message}");
    let (code, _) = error_of(kms.create_key().key_spec(KeySpec::EccNistP256).send().await);
    assert_eq!(
        code, "ValidationException",
        "ECC keys cannot ENCRYPT_DECRYPT"
    );
    let (code, _) = error_of(
        kms.create_key()
            .key_usage(KeyUsageType::SignVerify)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    // A key store's key needs its store named (the rest is tests/it/key_stores.rs's).
    let (code, _) = error_of(
        kms.create_key()
            .origin(OriginType::AwsCloudhsm)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    let (code, message) = error_of(
        kms.create_key()
            .origin(OriginType::ExternalKeyStore)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("CustomKeyStoreId is required when Origin is EXTERNAL_KEY_STORE"),
        "{message}"
    );
    // Imported material for a spec that takes none.
    let (code, _) = error_of(
        kms.create_key()
            .origin(OriginType::External)
            .key_spec(KeySpec::MlKem768)
            .key_usage(KeyUsageType::EncapsulateDecapsulate)
            .send()
            .await,
    );
    assert_eq!(code, "UnsupportedOperationException");
    let (code, _) = error_of(kms.create_key().policy("not json").send().await);
    assert_eq!(code, "MalformedPolicyDocumentException");
    let (code, _) = error_of(
        kms.create_key()
            .tags(
                Tag::builder()
                    .tag_key("aws:reserved")
                    .tag_value("x")
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "TagException");
    // A failed CreateKey creates nothing.
    assert!(kms.list_keys().send().await.unwrap().keys().is_empty());
}
