//! Concurrent changes are never lost: two `Kms` instances, each with its own connection to one
//! database and no notifications between them (as two nodes without LISTEN/NOTIFY), change the
//! same key from stale caches, and both changes survive; and a change whose request was
//! abandoned mid-write still reaches the cache.

use std::future::Future as _;
use std::sync::Arc;

use trent_core::Kms;
use trent_core::clock::SystemClock;
use trent_core::model::{KeyRef, KeyState};
use trent_core::ops::keys::CreateKeyInput;
use trent_crypto::SoftBackend;
use trent_store::SqliteStore;

use crate::harness::{local_kms, root_ctx};

#[tokio::test]
async fn a_change_from_a_stale_cache_does_not_undo_another() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let store = Arc::new(SqliteStore::open(&db).unwrap());
    let (root, _) =
        trent_crypto::FileRootKey::open_or_create(&dir.path().join("root.key")).unwrap();
    let root = Arc::new(root);
    let node = |store: Arc<SqliteStore>| {
        Kms::new(
            store,
            Arc::new(SoftBackend),
            root.clone(),
            Arc::new(SystemClock),
        )
    };
    // Separate connections, separate listeners: B's changes are not announced to A.
    let (a, b) = (
        node(store.clone()),
        node(Arc::new(SqliteStore::open(&db).unwrap())),
    );
    let ctx = root_ctx();
    let key = a.create_key(&ctx, CreateKeyInput::default()).await.unwrap();
    let id = KeyRef::Id(key.id.clone());
    // Both nodes cache the key as Enabled.
    a.describe_key(&ctx, &id).await.unwrap();
    b.describe_key(&ctx, &id).await.unwrap();

    b.disable_key(&ctx, &id).await.unwrap();
    // Node A still has the Enabled record cached; its description change must not re-enable.
    a.update_key_description(&ctx, &id, "from A".into())
        .await
        .unwrap();
    let stored = b.key_record(&key.scope, &key.id).await.unwrap().unwrap();
    let fresh = store_key(&store, &key).await;
    assert_eq!(fresh.state, KeyState::Disabled, "the disable was lost");
    assert_eq!(fresh.description, "from A");
    assert_eq!(stored.id, key.id);

    // A stale node's CancelKeyDeletion sees the real state, not its cache.
    b.enable_key(&ctx, &id).await.unwrap();
    b.schedule_key_deletion(&ctx, &id, Some(7)).await.unwrap();
    let cancelled = a.cancel_key_deletion(&ctx, &id).await.unwrap();
    assert_eq!(cancelled.state, KeyState::Disabled);
    assert_eq!(store_key(&store, &key).await.state, KeyState::Disabled);
}

#[tokio::test]
async fn many_concurrent_changes_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let (store, kms) = local_kms(dir.path());
    let kms = Arc::new(kms);
    let ctx = root_ctx();
    let key = kms
        .create_key(&ctx, CreateKeyInput::default())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (kms, ctx, id) = (kms.clone(), ctx.clone(), KeyRef::Id(key.id.clone()));
        tasks.push(tokio::spawn(async move {
            kms.update_key_description(&ctx, &id, format!("writer {i}"))
                .await
                .unwrap();
            if i % 2 == 0 {
                kms.disable_key(&ctx, &id).await.unwrap();
            } else {
                kms.enable_key(&ctx, &id).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let fresh = store_key(&store, &key).await;
    assert!(fresh.description.starts_with("writer "));
    // Every description change landed and bumped the version.
    assert!(fresh.version >= 20, "version {}", fresh.version);
}

async fn store_key(
    store: &SqliteStore,
    key: &trent_core::model::KeyRecord,
) -> trent_core::model::KeyRecord {
    use trent_core::store::Store as _;
    store.key(&key.scope, &key.id).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_request_was_abandoned_still_reaches_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (store, kms) = local_kms(dir.path());
    let ctx = root_ctx();
    let key = kms
        .create_key(&ctx, CreateKeyInput::default())
        .await
        .unwrap();
    let id = KeyRef::Id(key.id.clone());
    let plaintext = trent_core::secret::Secret::from_slice(b"x");
    let ec = trent_core::model::EncryptionContext::default();
    kms.encrypt(&ctx, &id, &plaintext, &ec, None, false)
        .await
        .unwrap();
    // The client goes away as soon as the write has started: the future is polled once (which
    // hands the write to the store's thread) and dropped.
    {
        let abandoned = kms.disable_key(&ctx, &id);
        let mut abandoned = std::pin::pin!(abandoned);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(abandoned.as_mut().poll(&mut cx).is_pending());
    }
    // The write still commits on the store's thread...
    let mut committed = false;
    for _ in 0..200 {
        if store_key(&store, &key).await.state == KeyState::Disabled {
            committed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(committed, "the abandoned write never committed");
    // ...and the warm cache heard about it: the key is not served as Enabled any more.
    let err = kms
        .encrypt(&ctx, &id, &plaintext, &ec, None, false)
        .await
        .unwrap_err();
    assert!(matches!(err, trent_core::Error::Disabled { .. }), "{err:?}");
}
