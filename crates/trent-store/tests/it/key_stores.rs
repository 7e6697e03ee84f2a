//! Custom key stores: the per-scope quota and unique names decided inside the transaction,
//! changes applied to the current record, deletion only of a disconnected store without keys,
//! and the password among the sealed values.

use trent_core::model::{
    ConnectionErrorCode, ConnectionState, CustomKeyStoreId, KeyId, KeyStoreRecord, KeyStoreType,
    UnixMillis, XksProxyConnectivity, XksProxySettings,
};
use trent_core::store::{Constraint, SealedSlot, Store, StoreError};

use crate::builders::{key, scope};

fn store_named(name: &str, n: u8) -> KeyStoreRecord {
    KeyStoreRecord {
        scope: scope(),
        id: CustomKeyStoreId::parse(&format!("cks-{:017x}", n)).unwrap(),
        name: name.to_owned(),
        kind: KeyStoreType::AwsCloudhsm,
        xks: None,
        cluster_id: format!("cluster-abcdefghij{}", char::from(b'a' + n % 26)),
        trust_anchor: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n".to_owned(),
        sealed_password: vec![n; 8],
        state: ConnectionState::Disconnected,
        error: None,
        created: UnixMillis(1_000 + i64::from(n)),
    }
}

pub(crate) async fn key_stores(store: &dyn Store) {
    let first = store_named("first", 1);
    store.create_key_store(&first, 3).await.unwrap();
    assert_eq!(
        store.key_store(&first.id).await.unwrap(),
        Some(first.clone())
    );
    // Names are unique in a scope.
    let again = KeyStoreRecord {
        id: CustomKeyStoreId::parse("cks-00000000000000009").unwrap(),
        ..first.clone()
    };
    assert!(matches!(
        store.create_key_store(&again, 3).await,
        Err(StoreError::Conflict {
            constraint: Constraint::KeyStoreName
        })
    ));
    // The quota is counted inside the transaction.
    store
        .create_key_store(&store_named("second", 2), 3)
        .await
        .unwrap();
    store
        .create_key_store(&store_named("third", 3), 3)
        .await
        .unwrap();
    assert!(matches!(
        store.create_key_store(&store_named("fourth", 4), 3).await,
        Err(StoreError::Limit(_))
    ));
    let listed = store.key_stores(Some(&scope())).await.unwrap();
    let names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["first", "second", "third"]);
    assert_eq!(store.key_stores(None).await.unwrap().len(), 3);

    // A change applies to the current record; a refusal changes nothing.
    let failed = store
        .modify_key_store(
            &first.id,
            Box::new(|r| {
                r.state = ConnectionState::Failed;
                r.error = Some(ConnectionErrorCode::InvalidCredentials);
                Ok(())
            }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.error, Some(ConnectionErrorCode::InvalidCredentials));
    assert_eq!(store.key_store(&first.id).await.unwrap(), Some(failed));
    let refused = store
        .modify_key_store(
            &first.id,
            Box::new(|r| {
                r.name = "renamed".to_owned();
                Err(trent_core::Error::validation("no"))
            }),
        )
        .await
        .unwrap();
    assert!(refused.is_err());
    assert_eq!(
        store.key_store(&first.id).await.unwrap().unwrap().name,
        "first"
    );
    // Renaming onto another store's name is the same conflict.
    assert!(matches!(
        store
            .modify_key_store(
                &first.id,
                Box::new(|r| {
                    r.name = "second".to_owned();
                    Ok(())
                })
            )
            .await,
        Err(StoreError::Conflict {
            constraint: Constraint::KeyStoreName
        })
    ));

    // Deleted only when disconnected and holding no keys.
    assert!(matches!(
        store.delete_key_store(&first.id).await,
        Err(StoreError::NotFound)
    ));
    store
        .modify_key_store(
            &first.id,
            Box::new(|r| {
                r.state = ConnectionState::Disconnected;
                r.error = None;
                Ok(())
            }),
        )
        .await
        .unwrap()
        .unwrap();
    let mut in_store = key("0b7e7c5c-4c8e-4c65-9f30-5b1d8f4c2a11");
    in_store.custom_key_store = Some(first.id.clone());
    store.create_key(&in_store, &[], &[], &[]).await.unwrap();
    let read = store
        .key(
            &scope(),
            &KeyId::parse("0b7e7c5c-4c8e-4c65-9f30-5b1d8f4c2a11").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.custom_key_store, Some(first.id.clone()));
    assert!(matches!(
        store.delete_key_store(&first.id).await,
        Err(StoreError::Conflict {
            constraint: Constraint::ForeignKey
        })
    ));
    let second = store_named("second", 2);
    store.delete_key_store(&second.id).await.unwrap();
    assert_eq!(store.key_store(&second.id).await.unwrap(), None);

    // The password is one of the sealed values a root-key rotation re-seals.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    store
        .reseal_all(std::sync::Arc::new(move |slot: &SealedSlot, v: &[u8]| {
            Ok(match slot {
                SealedSlot::KeyStorePassword { id } => {
                    log.lock().unwrap().push(id.clone());
                    Some([v, b"!"].concat())
                }
                _ => None,
            })
        }))
        .await
        .unwrap();
    let mut resealed = seen.lock().unwrap().clone();
    resealed.sort();
    assert_eq!(resealed, vec![first.id.clone(), store_named("third", 3).id]);
    assert_eq!(
        store
            .key_store(&first.id)
            .await
            .unwrap()
            .unwrap()
            .sealed_password,
        [vec![1; 8], b"!".to_vec()].concat()
    );
}

/// An external key store keeps its proxy settings, and its keys' external key ids are unique
/// in the store (the same id in another store is another key).
pub(crate) async fn external_key_stores(store: &dyn Store) {
    let xks = KeyStoreRecord {
        kind: KeyStoreType::ExternalKeyStore,
        cluster_id: String::new(),
        trust_anchor: String::new(),
        xks: Some(XksProxySettings {
            uri_endpoint: "https://xks.example.com".to_owned(),
            uri_path: "/a/kms/xks/v1".to_owned(),
            connectivity: XksProxyConnectivity::PublicEndpoint,
            access_key_id: "ABCDEFGHIJKLMNOPQRST".to_owned(),
        }),
        ..store_named("external", 20)
    };
    store.create_key_store(&xks, 10).await.unwrap();
    assert_eq!(store.key_store(&xks.id).await.unwrap(), Some(xks.clone()));
    let other = KeyStoreRecord {
        name: "external-2".to_owned(),
        id: CustomKeyStoreId::parse("cks-00000000000000021").unwrap(),
        ..xks.clone()
    };
    store.create_key_store(&other, 10).await.unwrap();
    let in_store = |id: &str, store_id: &CustomKeyStoreId| {
        let mut k = key(id);
        k.origin = trent_core::model::Origin::ExternalKeyStore;
        k.custom_key_store = Some(store_id.clone());
        k.xks_key_id = Some("external-key-1".to_owned());
        k
    };
    let first = in_store("7a1e7c5c-4c8e-4c65-9f30-5b1d8f4c2a11", &xks.id);
    store.create_key(&first, &[], &[], &[]).await.unwrap();
    assert_eq!(
        store
            .key(&scope(), &first.id)
            .await
            .unwrap()
            .unwrap()
            .xks_key_id
            .as_deref(),
        Some("external-key-1")
    );
    assert!(matches!(
        store
            .create_key(
                &in_store("7a1e7c5c-4c8e-4c65-9f30-5b1d8f4c2a12", &xks.id),
                &[],
                &[],
                &[]
            )
            .await,
        Err(StoreError::Conflict {
            constraint: Constraint::Key
        })
    ));
    store
        .create_key(
            &in_store("7a1e7c5c-4c8e-4c65-9f30-5b1d8f4c2a13", &other.id),
            &[],
            &[],
            &[],
        )
        .await
        .unwrap();
}
