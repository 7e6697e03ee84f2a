//! Tags: the limit, and untagging.

use trent_core::model::{KeyId, Tag};
use trent_core::store::{Store, StoreError};

use crate::builders::{B, scope};

pub(crate) async fn tags(store: &dyn Store) {
    let (s, id) = (scope(), KeyId::parse(B).unwrap());
    let tag = |k: &str| Tag {
        key: k.into(),
        value: "v".into(),
    };
    store
        .tag_key(&s, &id, &[tag("a"), tag("b")], 3)
        .await
        .unwrap();
    assert!(matches!(
        store.tag_key(&s, &id, &[tag("c"), tag("d")], 3).await,
        Err(StoreError::Limit(_))
    ));
    let keys: Vec<_> = store
        .tags(&s, &id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    assert_eq!(keys, ["a", "b"], "a refused tag call changes nothing");
    store
        .untag_key(&s, &id, &["a".into(), "zz".into()])
        .await
        .unwrap();
    assert_eq!(store.tags(&s, &id).await.unwrap().len(), 1);
}
