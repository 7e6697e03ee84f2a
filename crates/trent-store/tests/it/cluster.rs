//! What several nodes rely on: leases, and listeners hearing every commit.

use trent_core::model::UnixMillis;
use trent_core::store::Store;

use crate::builders::{alias, key, material};

/// A lease is its holder's until it expires; then anyone may take it.
pub(crate) async fn leases(store: &dyn Store) {
    assert!(
        store
            .try_lease("sweep", "a", UnixMillis(1000), 100)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lease("sweep", "b", UnixMillis(1050), 100)
            .await
            .unwrap()
    );
    // The holder renews it.
    assert!(
        store
            .try_lease("sweep", "a", UnixMillis(1090), 100)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lease("sweep", "b", UnixMillis(1189), 100)
            .await
            .unwrap()
    );
    // Expired: taken over.
    assert!(
        store
            .try_lease("sweep", "b", UnixMillis(1190), 100)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lease("sweep", "a", UnixMillis(1200), 100)
            .await
            .unwrap()
    );
    // Leases are by name.
    assert!(
        store
            .try_lease("digest", "a", UnixMillis(1200), 100)
            .await
            .unwrap()
    );
}

/// Listeners hear of every committed change to keys and aliases, and of nothing that rolled
/// back.
pub(crate) async fn listeners_hear_commits(store: &dyn Store) {
    use std::sync::{Arc, Mutex};
    use trent_core::store::Change;
    let heard: Arc<Mutex<Vec<Change>>> = Arc::default();
    let sink = heard.clone();
    store.listen(Arc::new(move |c: &Change| {
        sink.lock().unwrap().push(c.clone())
    }));
    let k = key("12121212-1212-4121-8121-121212121212");
    store.create_key(&k, &[material()], &[], &[]).await.unwrap();
    let heard_key = |h: &[Change]| {
        h.iter()
            .any(|c| matches!(c, Change::Key { id, .. } if *id == k.id))
    };
    assert!(heard_key(&heard.lock().unwrap()));
    heard.lock().unwrap().clear();
    assert!(store.create_key(&k, &[material()], &[], &[]).await.is_err());
    assert!(
        !heard_key(&heard.lock().unwrap()),
        "a rolled-back create was heard"
    );
    store
        .create_alias(&alias(
            "alias/heard",
            "12121212-1212-4121-8121-121212121212",
        ))
        .await
        .unwrap();
    assert!(
        heard
            .lock()
            .unwrap()
            .iter()
            .any(|c| matches!(c, Change::Aliases { .. }))
    );
}
