//! Grants: their operations and constraints, grant tokens, name idempotency, listing,
//! retiring and revoking, passing on no more than a grant allows, and the grant API's errors.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{GrantConstraints, GrantOperation};

use crate::builders::{assert_denied, decrypted};
use crate::harness::error_of;

use super::{ALICE, BOB, CAROL, ROOT, client, encrypt, harness, iam_arn, key_with_policy};

#[tokio::test]
async fn grants_allow_their_operations_under_their_constraints() {
    let h = harness().await;
    let key = key_with_policy(&h, None).await;
    let root = client(&h, ROOT);
    let bob = client(&h, BOB);
    let bob_arn = iam_arn("user/bob");
    let blob = root
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new("granted"))
        .encryption_context("tenant", "t1")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let decrypt = |ctx: &'static str| {
        bob.decrypt()
            .key_id(&key)
            .ciphertext_blob(blob.clone())
            .encryption_context("tenant", ctx)
    };
    assert_denied(decrypt("t1").send().await);
    // Bob may decrypt under tenant t1, and retire the grant himself.
    let bob_decrypts = || {
        root.create_grant()
            .key_id(&key)
            .grantee_principal(&bob_arn)
            .retiring_principal(&bob_arn)
            .operations(GrantOperation::Decrypt)
            .constraints(
                GrantConstraints::builder()
                    .encryption_context_subset("tenant", "t1")
                    .build(),
            )
            .name("bob-decrypts")
            .send()
    };
    // A grant of `operations` to Bob, by the root, without constraints.
    let grant_to_bob = |operations: &[GrantOperation]| {
        root.create_grant()
            .key_id(&key)
            .grantee_principal(&bob_arn)
            .set_operations(Some(operations.to_vec()))
            .send()
    };
    let grant = bob_decrypts().await.unwrap();
    let (grant_id, token) = (grant.grant_id.unwrap(), grant.grant_token.unwrap());
    // The grant token works in the same breath.
    let out = decrypted(decrypt("t1").grant_tokens(&token)).await;
    assert_eq!(out, b"granted");
    // Outside its constraint, or for another operation, the grant does not apply.
    assert_denied(decrypt("t2").send().await);
    assert_denied(encrypt(&bob, &key).await);
    // Name idempotency: the same request returns the same grant.
    let again = bob_decrypts().await.unwrap();
    assert_eq!(again.grant_id.as_deref(), Some(grant_id.as_str()));
    let listed = root.list_grants().key_id(&key).send().await.unwrap();
    let grants = listed.grants.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(
        grants[0].grantee_principal.as_deref(),
        Some(bob_arn.as_str())
    );
    assert_eq!(grants[0].operations(), &[GrantOperation::Decrypt]);
    let retirable = root
        .list_retirable_grants()
        .retiring_principal(&bob_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(retirable.grants.unwrap().len(), 1);
    // Bob, the retiring principal, retires it; then he is denied again.
    bob.retire_grant().grant_token(&token).send().await.unwrap();
    assert_denied(decrypt("t1").send().await);
    // Revoke: another grant, revoked by the root.
    let second = grant_to_bob(&[GrantOperation::Decrypt]).await.unwrap();
    decrypt("t1").send().await.unwrap();
    root.revoke_grant()
        .key_id(&key)
        .grant_id(second.grant_id.unwrap())
        .send()
        .await
        .unwrap();
    assert_denied(decrypt("t1").send().await);
    // Bob, the grantee of a CreateGrant+Decrypt grant, may pass on no more than that.
    grant_to_bob(&[GrantOperation::CreateGrant, GrantOperation::Decrypt])
        .await
        .unwrap();
    let escalate = bob
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob_arn)
        .operations(GrantOperation::Encrypt)
        .send()
        .await;
    assert_denied(escalate);
    bob.create_grant()
        .key_id(&key)
        .grantee_principal(iam_arn("user/alice"))
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    // Grants retirable by another account's principals are not listed to this one.
    assert_denied(
        client(&h, CAROL)
            .list_retirable_grants()
            .retiring_principal(&bob_arn)
            .send()
            .await,
    );
    // Someone the grant does not name cannot retire it, whatever the key policy says.
    let third = grant_to_bob(&[GrantOperation::Decrypt]).await.unwrap();
    assert_denied(
        client(&h, ALICE)
            .retire_grant()
            .key_id(&key)
            .grant_id(third.grant_id.clone().unwrap())
            .send()
            .await,
    );
    root.retire_grant()
        .key_id(&key)
        .grant_id(third.grant_id.unwrap())
        .send()
        .await
        .unwrap();
    // Errors of the grant API.
    assert_eq!(
        error_of(
            root.revoke_grant()
                .key_id(&key)
                .grant_id("0".repeat(64))
                .send()
                .await
        )
        .0,
        "NotFoundException"
    );
    assert_eq!(
        error_of(
            bob.decrypt()
                .ciphertext_blob(blob.clone())
                .grant_tokens("garbage")
                .send()
                .await
        )
        .0,
        "InvalidGrantTokenException"
    );
    assert_eq!(
        error_of(
            root.create_grant()
                .key_id(&key)
                .grantee_principal(iam_arn("user/nobody"))
                .operations(GrantOperation::Decrypt)
                .send()
                .await
        )
        .0,
        "InvalidArnException"
    );
}
