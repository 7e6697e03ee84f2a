//! Who may do what: another account's root may not manage a key it does not own, whatever
//! it is, and sees none of the owner's keys by bare key id.

use trent_core::Error;
use trent_core::model::{KeyRef, KeyState, Tag};
use trent_core::policy::DenyReason;

use crate::fixture::{Fixture, OTHER};

#[tokio::test]
async fn another_account_is_refused_management_of_the_key() {
    let f = Fixture::new().await;
    let owner = f.owner();
    let other = f.other();
    let key = f.symmetric_key().await;
    let arn = KeyRef::parse(&key.arn()).unwrap();
    let tags = [Tag {
        key: "team".to_owned(),
        value: "intruders".to_owned(),
    }];

    let outcomes: Vec<(&str, trent_core::Result<()>)> = vec![
        ("kms:DisableKey", f.kms.disable_key(&other, &arn).await),
        ("kms:EnableKey", f.kms.enable_key(&other, &arn).await),
        (
            "kms:UpdateKeyDescription",
            f.kms
                .update_key_description(&other, &arn, "mine now".to_owned())
                .await,
        ),
        (
            "kms:ScheduleKeyDeletion",
            f.kms
                .schedule_key_deletion(&other, &arn, Some(7))
                .await
                .map(drop),
        ),
        (
            "kms:CancelKeyDeletion",
            f.kms.cancel_key_deletion(&other, &arn).await.map(drop),
        ),
        (
            "kms:TagResource",
            f.kms.tag_resource(&other, &arn, &tags).await,
        ),
    ];
    for (action, outcome) in outcomes {
        match outcome {
            Err(Error::AccessDenied {
                principal,
                action: denied,
                resource,
                reason,
                ..
            }) => {
                assert_eq!(principal, format!("arn:aws:iam::{OTHER}:root"), "{action}");
                assert_eq!(denied, action);
                assert_eq!(resource, key.arn(), "{action}");
                assert_eq!(reason, DenyReason::NoResourcePolicy, "{action}");
            }
            other => panic!("{action}: {other:?}"),
        }
    }

    // Nothing changed.
    let id = KeyRef::Id(key.id.clone());
    let described = f.kms.describe_key(&owner, &id).await.unwrap();
    assert_eq!(described.state, KeyState::Enabled);
    assert_eq!(described.description, key.description);
    assert_eq!(described.deletion_date, None);
    assert!(
        f.kms
            .list_resource_tags(&owner, &id)
            .await
            .unwrap()
            .is_empty()
    );
    // The owner may do what the other account may not.
    f.kms.disable_key(&owner, &id).await.unwrap();
    f.kms.tag_resource(&owner, &id, &tags).await.unwrap();
    assert_eq!(f.kms.list_resource_tags(&owner, &id).await.unwrap(), tags);
}

#[tokio::test]
async fn another_account_may_not_even_describe_the_key_without_a_policy_or_grant() {
    let f = Fixture::new().await;
    let key = f.symmetric_key().await;
    // DescribeKey may cross accounts, but the default key policy trusts only the owner.
    match f
        .kms
        .describe_key(&f.other(), &KeyRef::parse(&key.arn()).unwrap())
        .await
    {
        Err(Error::AccessDenied { action, .. }) => assert_eq!(action, "kms:DescribeKey"),
        other => panic!("{other:?}"),
    }
    // A bare key id names a key in the caller's own account, where there is none.
    match f
        .kms
        .describe_key(&f.other(), &KeyRef::Id(key.id.clone()))
        .await
    {
        Err(Error::KeyNotFound { arn }) => {
            assert_eq!(arn, format!("arn:aws:kms:us-east-1:{OTHER}:key/{}", key.id));
        }
        other => panic!("{other:?}"),
    }
}
