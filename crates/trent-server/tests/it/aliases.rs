//! Aliases through the SDK: create, resolve, update, delete, list, and the naming rules.

use aws_sdk_kms::primitives::Blob;

use crate::harness::{Harness, error_of};

#[tokio::test]
async fn alias_lifecycle() {
    let h = Harness::start().await;
    let kms = h.client();
    let (a, b) = (h.key().await, h.key().await);
    kms.create_alias()
        .alias_name("alias/app")
        .target_key_id(&a)
        .send()
        .await
        .unwrap();
    let out = kms
        .encrypt()
        .key_id("alias/app")
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap();
    assert!(out.key_id.unwrap().ends_with(&a));
    assert_eq!(
        error_of(
            kms.create_alias()
                .alias_name("alias/app")
                .target_key_id(&b)
                .send()
                .await
        ),
        (
            "AlreadyExistsException".to_owned(),
            "An alias with the name arn:aws:kms:us-east-1:111122223333:alias/app already exists"
                .to_owned()
        )
    );
    kms.update_alias()
        .alias_name("alias/app")
        .target_key_id(&b)
        .send()
        .await
        .unwrap();
    let out = kms
        .encrypt()
        .key_id("alias/app")
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap();
    assert!(
        out.key_id.unwrap().ends_with(&b),
        "the cache must not keep the old target"
    );
    let listed = kms.list_aliases().send().await.unwrap();
    let entry = listed
        .aliases()
        .iter()
        .find(|x| x.alias_name() == Some("alias/app"))
        .unwrap();
    assert_eq!(entry.target_key_id(), Some(b.as_str()));
    assert_eq!(
        entry.alias_arn(),
        Some("arn:aws:kms:us-east-1:111122223333:alias/app")
    );
    assert!(entry.creation_date().is_some() && entry.last_updated_date().is_some());
    kms.delete_alias()
        .alias_name("alias/app")
        .send()
        .await
        .unwrap();
    let r = kms
        .encrypt()
        .key_id("alias/app")
        .plaintext(Blob::new("x"))
        .send()
        .await;
    assert_eq!(error_of(r).0, "NotFoundException");
    assert_eq!(
        error_of(kms.delete_alias().alias_name("alias/app").send().await),
        (
            "NotFoundException".to_owned(),
            "Alias arn:aws:kms:us-east-1:111122223333:alias/app is not found.".to_owned()
        )
    );
    let r = kms
        .update_alias()
        .alias_name("alias/app")
        .target_key_id(&a)
        .send()
        .await;
    assert_eq!(error_of(r).0, "NotFoundException");
}

#[tokio::test]
async fn alias_name_rules() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    let (code, message) = error_of(
        kms.create_alias()
            .alias_name("app")
            .target_key_id(&id)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("Alias must start with the prefix \"alias/\""),
        "{message}"
    );
    let (code, message) = error_of(
        kms.create_alias()
            .alias_name("alias/bad name")
            .target_key_id(&id)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("regular expression pattern"), "{message}");
    let (code, _) = error_of(
        kms.create_alias()
            .alias_name("alias/aws/s3")
            .target_key_id(&id)
            .send()
            .await,
    );
    assert_eq!(code, "NotAuthorizedException");
    let (code, _) = error_of(kms.delete_alias().alias_name("alias/aws/s3").send().await);
    assert_eq!(code, "NotAuthorizedException");
    // The target must be a key id or ARN of an existing key.
    let (code, _) = error_of(
        kms.create_alias()
            .alias_name("alias/x")
            .target_key_id("alias/other")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidArnException");
    let (code, _) = error_of(
        kms.create_alias()
            .alias_name("alias/x")
            .target_key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
            .send()
            .await,
    );
    assert_eq!(code, "NotFoundException");
}

#[tokio::test]
async fn list_aliases_filters_and_pages() {
    let h = Harness::start().await;
    let kms = h.client();
    let (a, b) = (h.key().await, h.key().await);
    for i in 0..3 {
        kms.create_alias()
            .alias_name(format!("alias/a{i}"))
            .target_key_id(&a)
            .send()
            .await
            .unwrap();
    }
    kms.create_alias()
        .alias_name("alias/b0")
        .target_key_id(&b)
        .send()
        .await
        .unwrap();
    let of_a = kms.list_aliases().key_id(&a).send().await.unwrap();
    let names: Vec<_> = of_a
        .aliases()
        .iter()
        .filter_map(|x| x.alias_name())
        .collect();
    assert_eq!(names, ["alias/a0", "alias/a1", "alias/a2"]);
    let first = kms.list_aliases().limit(3).send().await.unwrap();
    assert!(first.truncated);
    let rest = kms
        .list_aliases()
        .limit(3)
        .marker(first.next_marker.unwrap())
        .send()
        .await
        .unwrap();
    assert!(!rest.truncated);
    let names: Vec<_> = rest
        .aliases()
        .iter()
        .filter_map(|x| x.alias_name())
        .collect();
    assert_eq!(names, ["alias/b0"]);
    let (code, _) = error_of(kms.list_aliases().limit(101).send().await);
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn aliases_of_a_key_pending_deletion_cannot_be_created() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    kms.schedule_key_deletion()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(
        kms.create_alias()
            .alias_name("alias/late")
            .target_key_id(&id)
            .send()
            .await,
    );
    assert_eq!(code, "KMSInvalidStateException");
}
