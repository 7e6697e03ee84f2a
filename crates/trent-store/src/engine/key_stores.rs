//! Custom key stores: creation under the per-scope quota, the read-modify-write of a change,
//! and deletion only of a disconnected store that holds no keys.

use trent_core::model::{CustomKeyStoreId, KeyStoreRecord, Scope};
use trent_core::store::{KeyStoreChange, StoreError, StoreResult};

use crate::codec::{
    INSERT_KEY_STORE, KEY_STORE_SELECT, UPDATE_KEY_STORE, key_store_from_row, key_store_values,
};
use crate::sql::{Tx, args};

pub async fn create(tx: &mut dyn Tx, store: &KeyStoreRecord, max: usize) -> StoreResult<()> {
    let count = tx
        .count(
            "SELECT COUNT(*) FROM custom_key_stores WHERE account = $1 AND region = $2",
            args![store.scope.account.as_str(), store.scope.region.as_str()],
        )
        .await?;
    if count >= max {
        return Err(StoreError::Limit("custom key stores"));
    }
    tx.execute(INSERT_KEY_STORE, &key_store_values(store))
        .await?;
    Ok(())
}

/// A store; with `lock`, its row stays locked until the transaction ends.
pub async fn get(
    tx: &mut dyn Tx,
    id: &CustomKeyStoreId,
    lock: bool,
) -> StoreResult<Option<KeyStoreRecord>> {
    let lock = if lock { tx.dialect().for_update() } else { "" };
    let sql = format!("SELECT {KEY_STORE_SELECT} FROM custom_key_stores WHERE id = $1{lock}");
    tx.query_opt(&sql, args![id.as_str()])
        .await?
        .map(key_store_from_row)
        .transpose()
}

pub async fn list(tx: &mut dyn Tx, scope: Option<&Scope>) -> StoreResult<Vec<KeyStoreRecord>> {
    let rows = match scope {
        Some(scope) => {
            let sql = format!(
                "SELECT {KEY_STORE_SELECT} FROM custom_key_stores WHERE account = $1 AND region = $2 ORDER BY created, id"
            );
            tx.query(&sql, args![scope.account.as_str(), scope.region.as_str()])
                .await?
        }
        None => {
            let sql =
                format!("SELECT {KEY_STORE_SELECT} FROM custom_key_stores ORDER BY created, id");
            tx.query(&sql, &[]).await?
        }
    };
    rows.into_iter().map(key_store_from_row).collect()
}

pub async fn modify(
    tx: &mut dyn Tx,
    id: &CustomKeyStoreId,
    change: KeyStoreChange,
) -> StoreResult<Result<KeyStoreRecord, trent_core::Error>> {
    let Some(mut store) = get(tx, id, true).await? else {
        return Err(StoreError::NotFound);
    };
    if let Err(refused) = change(&mut store) {
        return Ok(Err(refused));
    }
    tx.execute(UPDATE_KEY_STORE, &key_store_values(&store))
        .await?;
    Ok(Ok(store))
}

pub async fn delete(tx: &mut dyn Tx, id: &CustomKeyStoreId) -> StoreResult<()> {
    let Some(store) = get(tx, id, true).await? else {
        return Err(StoreError::NotFound);
    };
    if store.state != trent_core::model::ConnectionState::Disconnected {
        return Err(StoreError::NotFound);
    }
    let keys = tx
        .count(
            "SELECT COUNT(*) FROM keys WHERE custom_key_store_id = $1",
            args![id.as_str()],
        )
        .await?;
    if keys > 0 {
        return Err(StoreError::Conflict {
            constraint: trent_core::store::Constraint::ForeignKey,
        });
    }
    tx.execute(
        "DELETE FROM custom_key_stores WHERE id = $1",
        args![id.as_str()],
    )
    .await?;
    Ok(())
}
