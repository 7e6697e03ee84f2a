//! AWS managed keys through `aws-sdk-kms`: created on first use of `alias/aws/<service>`,
//! KeyManager AWS, rotated yearly, policy immutable, not deletable, not usable directly.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyManagerType;

use crate::builders::assert_denied;
use crate::harness::{Harness, error_of};

#[tokio::test]
async fn created_on_first_use_and_immutable() {
    let h = Harness::start().await;
    let kms = h.client();
    // Not listed before first use; created by DescribeKey of its alias.
    let meta = kms
        .describe_key()
        .key_id("alias/aws/s3")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.key_manager, Some(KeyManagerType::Aws));
    assert!(meta.description.unwrap().contains("s3"));
    // The same key the second time.
    let again = h.describe("alias/aws/s3").await;
    assert_eq!(again.key_id, meta.key_id);
    let aliases = kms
        .list_aliases()
        .key_id(&meta.key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(aliases.aliases()[0].alias_name(), Some("alias/aws/s3"));

    // Rotated every year, and that cannot be changed.
    let status = kms
        .get_key_rotation_status()
        .key_id(&meta.key_id)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(365));
    assert_denied(kms.disable_key_rotation().key_id(&meta.key_id).send().await);
    // Its policy allows use only through the service, and lets nobody change the key.
    let policy = kms
        .get_key_policy()
        .key_id(&meta.key_id)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert!(policy.contains("s3.us-east-1.amazonaws.com"), "{policy}");
    for code in [
        error_of(
            kms.encrypt()
                .key_id("alias/aws/s3")
                .plaintext(Blob::new("x"))
                .send()
                .await,
        )
        .0,
        error_of(
            kms.put_key_policy()
                .key_id(&meta.key_id)
                .policy(&policy)
                .send()
                .await,
        )
        .0,
        error_of(
            kms.schedule_key_deletion()
                .key_id(&meta.key_id)
                .send()
                .await,
        )
        .0,
        error_of(kms.disable_key().key_id(&meta.key_id).send().await).0,
    ] {
        assert_eq!(code, "AccessDeniedException");
    }
    // Its alias is reserved.
    let own = h.key().await;
    assert_eq!(
        error_of(
            kms.update_alias()
                .alias_name("alias/aws/s3")
                .target_key_id(&own)
                .send()
                .await
        )
        .0,
        "NotAuthorizedException"
    );
    // An alias/aws/ name that is no service's does not exist.
    assert_eq!(
        error_of(kms.describe_key().key_id("alias/aws/nosuch").send().await).0,
        "NotFoundException"
    );
}

#[tokio::test]
async fn dev_mode_does_not_unlock_aws_managed_keys() {
    let h = Harness::start_with(|o| o.dev = true).await;
    let kms = h.client();
    let id = h.describe("alias/aws/ebs").await.key_id;
    assert_denied(kms.schedule_key_deletion().key_id(&id).send().await);
}
