//! `DryRun`: every operation that takes it authorizes and checks the key, then answers
//! `DryRunOperationException` without doing anything.

use trent_core::Error;
use trent_core::model::{KeyRef, MacAlgorithm};
use trent_core::ops::encrypt::DecryptInput;
use trent_core::ops::grants::GrantRequest;
use trent_core::secret::Secret;

use crate::fixture::{Fixture, OTHER, context, decrypt_input};

#[tokio::test]
async fn a_dry_run_answers_dry_run_and_changes_nothing() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let symmetric = KeyRef::Id(f.symmetric_key().await.id);
    let hmac = KeyRef::Id(f.hmac_key().await.id);
    let plaintext = Secret::from_slice(b"attack at dawn");
    let aad = context(&[("purpose", "test")]);
    let blob = f
        .kms
        .encrypt(&ctx, &symmetric, &plaintext, &aad, None, false)
        .await
        .unwrap()
        .ciphertext;
    let mac = f
        .kms
        .generate_mac(&ctx, &hmac, MacAlgorithm::HmacSha256, b"m", false)
        .await
        .unwrap()
        .mac;

    let outcomes: Vec<(&str, trent_core::Result<()>)> = vec![
        (
            "Encrypt",
            f.kms
                .encrypt(&ctx, &symmetric, &plaintext, &aad, None, true)
                .await
                .map(drop),
        ),
        (
            "Decrypt",
            f.kms
                .decrypt(&ctx, decrypt_input(&blob, &aad), true)
                .await
                .map(drop),
        ),
        // IGNORE_CIPHERTEXT: only the named key is checked; the blob is never read.
        (
            "Decrypt (IGNORE_CIPHERTEXT)",
            f.kms
                .decrypt(
                    &ctx,
                    DecryptInput {
                        key: Some(&symmetric),
                        ignore_ciphertext: true,
                        ..decrypt_input(b"not a ciphertext".as_slice(), &aad)
                    },
                    true,
                )
                .await
                .map(drop),
        ),
        (
            "ReEncrypt",
            f.kms
                .re_encrypt(
                    &ctx,
                    decrypt_input(&blob, &aad),
                    &symmetric,
                    &aad,
                    None,
                    true,
                )
                .await
                .map(drop),
        ),
        (
            "GenerateDataKey",
            f.kms
                .generate_data_key(&ctx, &symmetric, 32, &aad, "kms:GenerateDataKey", true)
                .await
                .map(drop),
        ),
        (
            "GenerateMac",
            f.kms
                .generate_mac(&ctx, &hmac, MacAlgorithm::HmacSha256, b"m", true)
                .await
                .map(drop),
        ),
        (
            "VerifyMac",
            f.kms
                .verify_mac(&ctx, &hmac, MacAlgorithm::HmacSha256, b"m", &mac, true)
                .await
                .map(drop),
        ),
        (
            "CreateGrant",
            f.kms
                .create_grant(
                    &ctx,
                    &symmetric,
                    GrantRequest {
                        operations: vec!["Decrypt".to_owned()],
                        grantee: Some(format!("arn:aws:iam::{OTHER}:root")),
                        dry_run: true,
                        ..GrantRequest::default()
                    },
                )
                .await
                .map(drop),
        ),
    ];
    for (op, outcome) in outcomes {
        assert!(matches!(outcome, Err(Error::DryRun)), "{op}: {outcome:?}");
    }

    // The dry CreateGrant made no grant.
    let grants = f
        .kms
        .list_grants(&ctx, &symmetric, None, None, 100, None)
        .await
        .unwrap();
    assert!(grants.items.is_empty(), "{:?}", grants.items);
}

#[tokio::test]
async fn a_dry_run_is_still_authorized() {
    let f = Fixture::new().await;
    let key = f.symmetric_key().await;
    // Another account's root, with no grant and a key policy that names only the owner.
    let arn = KeyRef::parse(&key.arn()).unwrap();
    let outcome = f
        .kms
        .encrypt(
            &f.other(),
            &arn,
            &Secret::from_slice(b"x"),
            &context(&[]),
            None,
            true,
        )
        .await;
    assert!(
        matches!(outcome, Err(Error::AccessDenied { .. })),
        "{outcome:?}"
    );
}

/// Every operation goes through one step after authorization: a dry run stops there and is no
/// use of the key; a success is noted as the key's last use, under the operation's name.
#[tokio::test]
async fn a_success_is_the_keys_last_use_and_a_dry_run_is_none() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = KeyRef::Id(f.symmetric_key().await.id);
    let plaintext = Secret::from_slice(b"used");
    let aad = context(&[]);
    let last = |report: trent_core::usage::KeyUsageReport| report.last.map(|u| u.operation);

    let dry = f
        .kms
        .encrypt(&ctx, &key, &plaintext, &aad, None, true)
        .await;
    assert!(matches!(dry, Err(Error::DryRun)), "{dry:?}");
    let report = f.kms.get_key_last_usage(&ctx, &key).await.unwrap();
    assert_eq!(last(report), None, "a dry run is no use");

    let blob = f
        .kms
        .encrypt(&ctx, &key, &plaintext, &aad, None, false)
        .await
        .unwrap()
        .ciphertext;
    let report = f.kms.get_key_last_usage(&ctx, &key).await.unwrap();
    assert_eq!(last(report).as_deref(), Some("Encrypt"));

    f.kms
        .decrypt(&ctx, decrypt_input(&blob, &aad), false)
        .await
        .unwrap();
    let report = f.kms.get_key_last_usage(&ctx, &key).await.unwrap();
    assert_eq!(last(report).as_deref(), Some("Decrypt"));
}
