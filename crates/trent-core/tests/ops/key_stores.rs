//! Custom key stores through `Kms`, over a recording stand-in for the HSM (the real token is
//! `trent-crypto/tests/cluster.rs`'s and the server's `key_stores` test's): the connection
//! state machine, the quota, Unavailable keys, and the HSM object destroyed when the key's
//! waiting period ends, on the fixed clock.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use trent_core::backend::{BackendError, ClusterInfo, HsmClusters, HsmSession};
use trent_core::model::{
    ConnectionErrorCode, ConnectionState, CustomKeyStoreId, KeyRef, KeyState, Origin,
};
use trent_core::ops::key_stores::{CreateKeyStoreInput, DescribeKeyStoresInput};
use trent_core::ops::keys::CreateKeyInput;
use trent_core::secret::Secret;
use trent_core::store::Store;
use trent_core::{Error, KeyStoreFault};

use crate::fixture::{DAY_MILLIS, Fixture};

const PIN: &str = "kmsuser-pin";
const CLUSTER: &str = "cluster-234567abcdefg";
const ANCHOR: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/// The objects of the stand-in token, by (label, id).
type Objects = Arc<Mutex<HashSet<(String, Vec<u8>)>>>;

#[derive(Debug, Default)]
struct Clusters {
    objects: Objects,
}

impl HsmClusters for Clusters {
    /// Every id of the pattern is a cluster of its own lineage.
    fn cluster(&self, id: &str) -> Option<ClusterInfo> {
        trent_core::model::is_cluster_id(id).then(|| ClusterInfo {
            id: id.to_owned(),
            trust_anchor: ANCHOR.to_owned(),
            lineage: id.to_owned(),
        })
    }

    fn active(&self, id: &str) -> bool {
        trent_core::model::is_cluster_id(id)
    }

    fn connect(
        &self,
        _id: &str,
        password: &Secret,
    ) -> Result<Arc<dyn HsmSession>, ConnectionErrorCode> {
        if password.as_slice() != PIN.as_bytes() {
            return Err(ConnectionErrorCode::InvalidCredentials);
        }
        Ok(Arc::new(Session {
            objects: self.objects.clone(),
        }))
    }
}

/// Records objects; "encrypts" by appending a 16-byte stand-in tag (no cryptography here:
/// the states are under test).
#[derive(Debug)]
struct Session {
    objects: Objects,
}

impl Session {
    fn has(&self, label: &str, id: &[u8]) -> bool {
        self.objects
            .lock()
            .unwrap()
            .contains(&(label.to_owned(), id.to_vec()))
    }
}

impl HsmSession for Session {
    fn generate_key(&self, label: &str, id: &[u8]) -> Result<(), BackendError> {
        self.objects
            .lock()
            .unwrap()
            .insert((label.to_owned(), id.to_vec()));
        Ok(())
    }

    fn encrypt(
        &self,
        label: &str,
        id: &[u8],
        _iv: &[u8; 12],
        _aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, BackendError> {
        if !self.has(label, id) {
            return Err(BackendError::KeyMissing);
        }
        Ok([plaintext, &[0u8; 16]].concat())
    }

    fn decrypt(
        &self,
        label: &str,
        id: &[u8],
        _iv: &[u8; 12],
        _aad: &[u8],
        body: &[u8],
    ) -> Result<Secret, BackendError> {
        if !self.has(label, id) {
            return Err(BackendError::KeyMissing);
        }
        let n = body.len().saturating_sub(16);
        Ok(Secret::new(body[..n].to_vec()))
    }

    fn destroy_key(&self, label: &str, id: &[u8]) -> Result<bool, BackendError> {
        Ok(self
            .objects
            .lock()
            .unwrap()
            .remove(&(label.to_owned(), id.to_vec())))
    }

    fn random(&self, len: usize) -> Result<Secret, BackendError> {
        Ok(Secret::new(vec![7; len]))
    }
}

async fn fixture() -> (Fixture, Objects) {
    let mut f = Fixture::new().await;
    let clusters = Arc::new(Clusters::default());
    let objects = clusters.objects.clone();
    f.kms = f.kms.with_clusters(clusters);
    (f, objects)
}

fn store_input(name: &str, pin: &str) -> CreateKeyStoreInput {
    CreateKeyStoreInput {
        name: name.to_owned(),
        cluster_id: Some(CLUSTER.to_owned()),
        trust_anchor: Some(ANCHOR.to_owned()),
        password: Some(Secret::new(pin.as_bytes().to_vec())),
        kind: None,
        xks: Default::default(),
    }
}

async fn state_of(
    f: &Fixture,
    id: &CustomKeyStoreId,
) -> (ConnectionState, Option<ConnectionErrorCode>) {
    let page = f
        .kms
        .describe_custom_key_stores(
            &f.owner(),
            DescribeKeyStoresInput {
                id: Some(id.to_string()),
                limit: 10,
                ..DescribeKeyStoresInput::default()
            },
        )
        .await
        .unwrap();
    (page.items[0].state, page.items[0].error)
}

fn kind(e: Error) -> KeyStoreFault {
    match e {
        Error::KeyStore { kind, .. } => kind,
        other => panic!("not a key store error: {other:?}"),
    }
}

#[tokio::test]
async fn connection_moves_through_connecting_to_connected_or_failed() {
    let (f, _) = fixture().await;
    let ctx = f.owner();
    let id = f
        .kms
        .create_custom_key_store(&ctx, store_input("s", "wrong-pin"))
        .await
        .unwrap();
    assert_eq!(
        state_of(&f, &id).await,
        (ConnectionState::Disconnected, None)
    );
    let connecting = f
        .kms
        .connect_custom_key_store(&ctx, id.as_str())
        .await
        .unwrap();
    assert_eq!(connecting.as_ref(), Some(&id));
    assert_eq!(state_of(&f, &id).await, (ConnectionState::Connecting, None));
    // Connecting again while CONNECTING changes nothing and starts nothing.
    assert_eq!(
        f.kms
            .connect_custom_key_store(&ctx, id.as_str())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        f.kms.finish_connecting(&id).await.unwrap(),
        ConnectionState::Failed
    );
    assert_eq!(
        state_of(&f, &id).await,
        (
            ConnectionState::Failed,
            Some(ConnectionErrorCode::InvalidCredentials)
        )
    );
    let refused = f
        .kms
        .connect_custom_key_store(&ctx, id.as_str())
        .await
        .unwrap_err();
    assert_eq!(kind(refused), KeyStoreFault::InvalidState);
    f.kms
        .disconnect_custom_key_store(&ctx, id.as_str())
        .await
        .unwrap();
    assert_eq!(
        state_of(&f, &id).await,
        (ConnectionState::Disconnected, None)
    );
    f.kms
        .update_custom_key_store(
            &ctx,
            trent_core::ops::key_stores::UpdateKeyStoreInput {
                id: id.to_string(),
                new_name: None,
                cluster_id: None,
                password: Some(Secret::new(PIN.as_bytes().to_vec())),
                xks: Default::default(),
            },
        )
        .await
        .unwrap();
    f.kms
        .connect_custom_key_store(&ctx, id.as_str())
        .await
        .unwrap();
    // A disconnection while connecting wins over the connection that finishes after it.
    f.kms
        .disconnect_custom_key_store(&ctx, id.as_str())
        .await
        .unwrap();
    assert!(f.kms.finish_connecting(&id).await.is_ok());
    assert_eq!(
        state_of(&f, &id).await,
        (ConnectionState::Disconnected, None)
    );
    f.kms
        .connect_custom_key_store(&ctx, id.as_str())
        .await
        .unwrap();
    assert_eq!(
        f.kms.finish_connecting(&id).await.unwrap(),
        ConnectionState::Connected
    );
    // Another account sees no such store.
    let other = f
        .kms
        .connect_custom_key_store(&f.other(), id.as_str())
        .await
        .unwrap_err();
    assert_eq!(kind(other), KeyStoreFault::NotFound);
}

#[tokio::test]
async fn ten_stores_per_account_and_region_one_per_cluster() {
    let (f, _) = fixture().await;
    let ctx = f.owner();
    let first = f
        .kms
        .create_custom_key_store(&ctx, store_input("s0", PIN))
        .await
        .unwrap();
    let in_use = f
        .kms
        .create_custom_key_store(&ctx, store_input("s1", PIN))
        .await
        .unwrap_err();
    assert_eq!(kind(in_use), KeyStoreFault::ClusterInUse);
    let named = f
        .kms
        .create_custom_key_store(&ctx, store_input("s0", PIN))
        .await
        .unwrap_err();
    assert_eq!(kind(named), KeyStoreFault::NameInUse);
    for n in 1..10u8 {
        let mut input = store_input(&format!("s{n}"), PIN);
        input.cluster_id = Some(format!("cluster-234567abcdef{}", char::from(b'g' + n)));
        f.kms.create_custom_key_store(&ctx, input).await.unwrap();
    }
    let mut eleventh = store_input("s10", PIN);
    eleventh.cluster_id = Some("cluster-234567abcdefz".to_owned());
    match f.kms.create_custom_key_store(&ctx, eleventh).await {
        Err(Error::LimitExceeded { message }) => assert_eq!(
            message,
            "Custom key store quota for this account in this region is 10 but the current usage is 10."
        ),
        other => panic!("{other:?}"),
    }
    // A cluster belongs to one account, as at AWS; another account has ten stores of its own.
    let taken = f
        .kms
        .create_custom_key_store(&f.other(), store_input("s0", PIN))
        .await
        .unwrap_err();
    assert_eq!(kind(taken), KeyStoreFault::ClusterInUse);
    let mut own = store_input("s0", PIN);
    own.cluster_id = Some("cluster-234567abcdefy".to_owned());
    f.kms
        .create_custom_key_store(&f.other(), own)
        .await
        .unwrap();
    // Paging in creation order, the marker being the last id of a page.
    let page = f
        .kms
        .describe_custom_key_stores(
            &ctx,
            DescribeKeyStoresInput {
                limit: 4,
                ..DescribeKeyStoresInput::default()
            },
        )
        .await
        .unwrap();
    assert!(page.truncated);
    let rest = f
        .kms
        .describe_custom_key_stores(
            &ctx,
            DescribeKeyStoresInput {
                limit: 100,
                marker: Some(page.items[3].id.to_string()),
                ..DescribeKeyStoresInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 6);
    assert!(!rest.truncated);
    // Together, every store once (oldest first; on this fixed clock all are as old, and
    // their ids order them).
    let mut seen: Vec<_> = page
        .items
        .iter()
        .chain(&rest.items)
        .map(|s| s.id.clone())
        .collect();
    let in_order = seen.clone();
    seen.sort();
    assert_eq!(seen, in_order);
    seen.dedup();
    assert_eq!(seen.len(), 10);
    assert!(seen.contains(&first));
    f.kms
        .delete_custom_key_store(&ctx, first.as_str())
        .await
        .unwrap();
    let gone = f
        .kms
        .delete_custom_key_store(&ctx, first.as_str())
        .await
        .unwrap_err();
    assert_eq!(kind(gone), KeyStoreFault::NotFound);
}

#[tokio::test]
async fn keys_are_unavailable_while_disconnected_and_their_objects_go_with_them() {
    let (f, objects) = fixture().await;
    let ctx = f.owner();
    let store = f
        .kms
        .create_custom_key_store(&ctx, store_input("s", PIN))
        .await
        .unwrap();
    // Not connected: no key is made in it.
    let input = || CreateKeyInput {
        origin: Some(Origin::AwsCloudHsm),
        custom_key_store: Some(store.to_string()),
        ..CreateKeyInput::default()
    };
    let refused = f.kms.create_key(&ctx, input()).await.unwrap_err();
    assert_eq!(kind(refused), KeyStoreFault::InvalidState);
    f.kms
        .connect_custom_key_store(&ctx, store.as_str())
        .await
        .unwrap();
    f.kms.finish_connecting(&store).await.unwrap();
    let key = f.kms.create_key(&ctx, input()).await.unwrap();
    assert_eq!(key.custom_key_store.as_ref(), Some(&store));
    let object = (key.id.as_str().to_owned(), key.current_material.0.to_vec());
    assert!(objects.lock().unwrap().contains(&object));
    assert!(
        f.store
            .materials(&key.scope, &key.id)
            .await
            .unwrap()
            .is_empty(),
        "no material of a key store key is in the store"
    );
    let key_ref = KeyRef::Id(key.id.clone());
    let random = f
        .kms
        .generate_random(&ctx, Some(4), Some(store.as_str()))
        .await
        .unwrap();
    assert_eq!(random.as_slice(), [7; 4]);

    // Disconnected: Unavailable; EnableKey and DisableKey change the stored state only.
    f.kms
        .disconnect_custom_key_store(&ctx, store.as_str())
        .await
        .unwrap();
    let shown = f.kms.describe_key(&ctx, &key_ref).await.unwrap();
    assert_eq!(shown.state, KeyState::Unavailable);
    f.kms.disable_key(&ctx, &key_ref).await.unwrap();
    // It is still managed (tags), and still refused what AWS never does with it.
    f.kms
        .tag_resource(
            &ctx,
            &key_ref,
            &[trent_core::model::Tag {
                key: "team".to_owned(),
                value: "blue".to_owned(),
            }],
        )
        .await
        .unwrap();
    match f.kms.get_key_rotation_status(&ctx, &key_ref).await {
        Err(Error::Unsupported { message }) => {
            assert!(
                message.ends_with("origin is AWS_CLOUDHSM which is not valid for this operation."),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.kms.describe_key(&ctx, &key_ref).await.unwrap().state,
        KeyState::Unavailable
    );
    f.kms
        .connect_custom_key_store(&ctx, store.as_str())
        .await
        .unwrap();
    f.kms.finish_connecting(&store).await.unwrap();
    assert_eq!(
        f.kms.describe_key(&ctx, &key_ref).await.unwrap().state,
        KeyState::Disabled
    );
    f.kms.enable_key(&ctx, &key_ref).await.unwrap();

    // The store is not deleted while it holds the key; the key's object goes when the key
    // does, at the end of its waiting period to the millisecond.
    f.kms
        .schedule_key_deletion(&ctx, &key_ref, Some(7))
        .await
        .unwrap();
    f.clock.advance(Duration::from_millis(
        u64::try_from(7 * DAY_MILLIS - 1).unwrap(),
    ));
    assert_eq!(f.kms.delete_due_keys(f.kms.clock().now()).await.unwrap(), 0);
    assert!(objects.lock().unwrap().contains(&object));
    f.clock.advance(Duration::from_millis(1));
    assert_eq!(f.kms.delete_due_keys(f.kms.clock().now()).await.unwrap(), 1);
    assert!(
        !objects.lock().unwrap().contains(&object),
        "destroyed in the HSM"
    );
    f.kms
        .disconnect_custom_key_store(&ctx, store.as_str())
        .await
        .unwrap();
    f.kms
        .delete_custom_key_store(&ctx, store.as_str())
        .await
        .unwrap();
}
