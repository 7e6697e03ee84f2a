//! Grants: a grant lets a principal of another account use the key for the operations it
//! lists, with its grant token, until it is revoked.

use trent_core::Error;
use trent_core::model::KeyRef;
use trent_core::ops::encrypt::DecryptInput;
use trent_core::ops::grants::GrantRequest;
use trent_core::secret::Secret;

use crate::fixture::{Fixture, OTHER, OWNER, START, context, decrypt_input};

#[tokio::test]
async fn a_grant_lets_another_account_use_the_key_until_revoked() {
    let f = Fixture::new().await;
    let owner = f.owner();
    let key = f.symmetric_key().await;
    let id = KeyRef::Id(key.id.clone());
    // Another account names the key by its ARN.
    let arn = KeyRef::parse(&key.arn()).unwrap();
    let grantee = format!("arn:aws:iam::{OTHER}:root");
    let plaintext = Secret::from_slice(b"shared with a partner");
    let aad = context(&[("partner", "yes")]);

    // Before the grant: the key policy names only the owner.
    match f
        .kms
        .encrypt(&f.other(), &arn, &plaintext, &aad, None, false)
        .await
    {
        Err(Error::AccessDenied {
            principal,
            action,
            resource,
            ..
        }) => {
            assert_eq!(principal, grantee);
            assert_eq!(action, "kms:Encrypt");
            assert_eq!(resource, key.arn());
        }
        other => panic!("before the grant: {other:?}"),
    }

    let grant = f
        .kms
        .create_grant(
            &owner,
            &id,
            GrantRequest {
                operations: vec!["Encrypt".to_owned(), "Decrypt".to_owned()],
                grantee: Some(grantee.clone()),
                name: Some("partner".to_owned()),
                ..GrantRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(grant.id.len(), 64);
    assert!(grant.token.contains(&grant.id), "{}", grant.token);

    // The grantee, presenting the token, encrypts and decrypts.
    let mut partner = f.other();
    partner.grant_tokens = vec![grant.token.clone()];
    let encrypted = f
        .kms
        .encrypt(&partner, &arn, &plaintext, &aad, None, false)
        .await
        .unwrap();
    assert_eq!(encrypted.key.id, key.id);
    let decrypted = f
        .kms
        .decrypt(
            &partner,
            DecryptInput {
                key: Some(&arn),
                ..decrypt_input(&encrypted.ciphertext, &aad)
            },
            false,
        )
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext, plaintext);
    // The owner opens what the grantee sealed.
    let decrypted = f
        .kms
        .decrypt(&owner, decrypt_input(&encrypted.ciphertext, &aad), false)
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext, plaintext);

    // The grant gives only what it lists.
    match f
        .kms
        .generate_data_key(&partner, &arn, 32, &aad, "kms:GenerateDataKey", false)
        .await
    {
        Err(Error::AccessDenied { action, .. }) => assert_eq!(action, "kms:GenerateDataKey"),
        other => panic!("an operation the grant does not list: {other:?}"),
    }

    // The owner lists it.
    let listed = f
        .kms
        .list_grants(&owner, &id, None, None, 100, None)
        .await
        .unwrap();
    assert!(!listed.truncated);
    assert_eq!(listed.items.len(), 1, "{:?}", listed.items);
    let record = &listed.items[0];
    assert_eq!(record.id, grant.id);
    assert_eq!(record.key, key.id);
    assert_eq!(record.grantee, grantee);
    assert_eq!(record.name.as_deref(), Some("partner"));
    assert_eq!(record.issuing_account, format!("arn:aws:iam::{OWNER}:root"));
    assert_eq!(record.created, START);
    let mut operations = record.operations.clone();
    operations.sort();
    assert_eq!(operations, ["Decrypt", "Encrypt"]);

    // Revoked: the token no longer helps.
    f.kms
        .revoke_grant(&owner, &id, &grant.id, false)
        .await
        .unwrap();
    let outcome = f
        .kms
        .encrypt(&partner, &arn, &plaintext, &aad, None, false)
        .await;
    assert!(
        matches!(outcome, Err(Error::AccessDenied { .. })),
        "after revocation: {outcome:?}"
    );
    let listed = f
        .kms
        .list_grants(&owner, &id, None, None, 100, None)
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "{:?}", listed.items);
}

#[tokio::test]
async fn grant_mistakes_get_their_own_errors() {
    let f = Fixture::new().await;
    let owner = f.owner();
    let key = f.symmetric_key().await;
    let id = KeyRef::Id(key.id.clone());
    let grantee = Some(format!("arn:aws:iam::{OTHER}:root"));
    // (case, request, what the answer must be)
    fn validation(e: &Error) -> bool {
        matches!(e, Error::Validation { .. })
    }
    fn invalid_principal(e: &Error) -> bool {
        matches!(e, Error::InvalidPrincipal { .. })
    }
    type Case = (&'static str, GrantRequest, fn(&Error) -> bool);
    let cases: [Case; 4] = [
        (
            "only CreateGrant",
            GrantRequest {
                operations: vec!["CreateGrant".to_owned()],
                grantee: grantee.clone(),
                ..GrantRequest::default()
            },
            validation,
        ),
        (
            "no grantee",
            GrantRequest {
                operations: vec!["Decrypt".to_owned()],
                ..GrantRequest::default()
            },
            validation,
        ),
        (
            "a grantee that is not a principal",
            GrantRequest {
                operations: vec!["Decrypt".to_owned()],
                grantee: Some("not-an-arn".to_owned()),
                ..GrantRequest::default()
            },
            invalid_principal,
        ),
        (
            "a constraint on an operation without a context",
            GrantRequest {
                operations: vec!["GenerateMac".to_owned()],
                grantee: grantee.clone(),
                context_equals: Some([("k".to_owned(), "v".to_owned())].into_iter().collect()),
                ..GrantRequest::default()
            },
            validation,
        ),
    ];
    for (case, request, expected) in cases {
        match f.kms.create_grant(&owner, &id, request).await {
            Err(e) if expected(&e) => {}
            other => panic!("{case}: {other:?}"),
        }
    }
    let listed = f
        .kms
        .list_grants(&owner, &id, None, None, 100, None)
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "{:?}", listed.items);

    // A grant token that is not one.
    let mut partner = f.other();
    partner.grant_tokens = vec!["not a grant token".to_owned()];
    let outcome = f
        .kms
        .encrypt(
            &partner,
            &KeyRef::parse(&key.arn()).unwrap(),
            &Secret::from_slice(b"x"),
            &context(&[]),
            None,
            false,
        )
        .await;
    assert!(
        matches!(outcome, Err(Error::InvalidGrantToken)),
        "{outcome:?}"
    );
}
