//! Aliases: unique names, updates, deletion and listing.

use trent_core::model::{AliasName, KeyId, UnixMillis};
use trent_core::store::{Constraint, Store, StoreError};

use crate::builders::{B, alias, scope};

pub(crate) async fn aliases(store: &dyn Store) {
    let s = scope();
    let taken = AliasName::parse("alias/taken").unwrap();
    assert!(matches!(
        store.create_alias(&alias("alias/taken", B)).await,
        Err(StoreError::Conflict {
            constraint: Constraint::Alias
        })
    ));
    store
        .update_alias(&s, &taken, &KeyId::parse(B).unwrap(), UnixMillis(5))
        .await
        .unwrap();
    let a = store.alias(&s, &taken).await.unwrap().unwrap();
    assert_eq!((a.target.as_str(), a.updated), (B, UnixMillis(5)));
    let missing = AliasName::parse("alias/missing").unwrap();
    assert!(matches!(
        store
            .update_alias(&s, &missing, &KeyId::parse(B).unwrap(), UnixMillis(5))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_alias(&s, &missing).await,
        Err(StoreError::NotFound)
    ));
    let all = store.list_aliases(&s, None, None, 1).await.unwrap();
    assert_eq!((all.items.len(), all.truncated), (1, true));
    let rest = store
        .list_aliases(&s, None, Some(all.items[0].name.as_str()), 10)
        .await
        .unwrap();
    assert_eq!((rest.items.len(), rest.truncated), (1, false));
    let of_b = store
        .list_aliases(&s, Some(&KeyId::parse(B).unwrap()), None, 10)
        .await
        .unwrap();
    assert_eq!(of_b.items.len(), 2);
    // An alias must name a key that exists.
    assert!(
        store
            .create_alias(&alias(
                "alias/dangling",
                "00000000-0000-4000-8000-00000000000f"
            ))
            .await
            .is_err()
    );
}
