//! Resealing: every sealed value rewritten in one transaction, or none.

use trent_core::model::{AccessKeyRecord, UnixMillis};
use trent_core::store::{Store, StoreError};

/// Every sealed value passes through the resealer, in one transaction: a failure changes
/// nothing; otherwise each value it returns replaces the old one.
pub(crate) async fn reseal_all(store: &dyn Store) {
    use std::sync::{Arc, Mutex};
    use trent_core::store::SealedSlot;
    store.put_meta("sealed-meta", b"meta").await.unwrap();
    async fn first_key(s: &dyn Store) -> AccessKeyRecord {
        s.access_keys().await.unwrap()[0].clone()
    }
    let before = first_key(store).await;
    // A failure anywhere rolls back everything done before it.
    let failed = store
        .reseal_all(Arc::new(|slot: &SealedSlot, v: &[u8]| match slot {
            SealedSlot::Material { .. } => Err("cannot open".to_owned()),
            _ => Ok(Some([v, b"!"].concat())),
        }))
        .await;
    assert!(matches!(failed, Err(StoreError::Corrupt(why)) if why.contains("cannot open")));
    assert_eq!(first_key(store).await, before);
    assert_eq!(
        store.meta("sealed-meta").await.unwrap(),
        Some(b"meta".to_vec())
    );

    let seen: Arc<Mutex<Vec<SealedSlot>>> = Arc::default();
    let log = seen.clone();
    let count = store
        .reseal_all(Arc::new(move |slot: &SealedSlot, v: &[u8]| {
            log.lock().unwrap().push(slot.clone());
            Ok(match slot {
                SealedSlot::Meta { name } if name != "sealed-meta" => None,
                _ => Some([v, b"!"].concat()),
            })
        }))
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    let rewritten = seen
        .iter()
        .filter(|s| !matches!(s, SealedSlot::Meta { name } if name != "sealed-meta"))
        .count();
    assert_eq!(count, u64::try_from(rewritten).unwrap());
    assert_eq!(
        first_key(store).await.sealed_secret,
        [before.sealed_secret.as_slice(), b"!"].concat()
    );
    assert_eq!(
        store.meta("sealed-meta").await.unwrap(),
        Some(b"meta!".to_vec())
    );
    let materials = seen
        .iter()
        .filter_map(|s| match s {
            SealedSlot::Material {
                scope,
                key,
                material,
            } => Some((scope.clone(), key.clone(), *material)),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert!(!materials.is_empty());
    for (scope, key, material) in materials {
        let stored = store.materials(&scope, &key).await.unwrap();
        let m = stored.iter().find(|m| m.id == material).unwrap();
        assert_eq!(m.sealed.last(), Some(&b'!'), "material {key} rewritten");
    }
    let sessions = store.sessions(UnixMillis(0)).await.unwrap();
    for s in &sessions {
        assert!(seen.contains(&SealedSlot::SessionSecret {
            access_key_id: s.access_key_id.clone()
        }));
        assert!(seen.contains(&SealedSlot::SessionToken {
            access_key_id: s.access_key_id.clone()
        }));
        assert_eq!(s.sealed_token.last(), Some(&b'!'));
    }
}
