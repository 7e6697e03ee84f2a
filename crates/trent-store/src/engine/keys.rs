//! Keys and their material versions: creation, the read-modify-write of a key change, due
//! deletion, and the background queries over keys.

use trent_core::model::{
    AccountId, AliasRecord, ImportToken, KeyId, KeyRecord, LastUsage, MaterialId, Scope,
    SealedMaterial, Tag, UnixMillis,
};
use trent_core::store::{KeyChange, Page, SetChange, StoreError, StoreResult};

use crate::codec::{
    IMPORT_TOKEN_SELECT, INSERT_ALIAS, INSERT_KEY, INSERT_MATERIAL, KEY_SELECT, MATERIAL_SELECT,
    PUT_TAG, UPDATE_KEY, alias_values, import_token_from_row, import_token_values, key_from_row,
    key_ref, key_update_values, key_values, material_from_row, material_values, scope_and_id,
    tag_values, usage_from_row,
};
use crate::common::{MaterialOp, page, sql_limit};
use crate::sql::{Tx, Value, args};

const WHERE_KEY: &str = "WHERE account = $1 AND region = $2 AND id = $3";

pub async fn create(
    tx: &mut dyn Tx,
    key: &KeyRecord,
    materials: &[SealedMaterial],
    tags: &[Tag],
    aliases: &[AliasRecord],
) -> StoreResult<()> {
    tx.execute(&INSERT_KEY, &key_values(key)).await?;
    for material in materials {
        tx.execute(
            INSERT_MATERIAL,
            &material_values(&key.scope, &key.id, material),
        )
        .await?;
    }
    for tag in tags {
        tx.execute(PUT_TAG, &tag_values(&key.scope, &key.id, tag))
            .await?;
    }
    for alias in aliases {
        let alias = AliasRecord {
            scope: key.scope.clone(),
            target: key.id.clone(),
            ..alias.clone()
        };
        tx.execute(INSERT_ALIAS, &alias_values(&alias)).await?;
    }
    Ok(())
}

/// A key; with `lock`, its row stays locked until the transaction ends.
pub async fn key(
    tx: &mut dyn Tx,
    scope: &Scope,
    id: &KeyId,
    lock: bool,
) -> StoreResult<Option<KeyRecord>> {
    let lock = if lock { tx.dialect().for_update() } else { "" };
    let sql = format!("SELECT {} FROM keys {WHERE_KEY}{lock}", *KEY_SELECT);
    tx.query_opt(&sql, &key_ref(scope, id))
        .await?
        .map(key_from_row)
        .transpose()
}

/// Reads a key with its row locked, lets `change` modify it, applies `material`, and writes
/// the record back with its version bumped, inside the caller's transaction. `Err` for a
/// store-level refusal (no such key, no such pending version); `Ok(Err)` when `change`
/// refuses.
pub async fn apply_change(
    tx: &mut dyn Tx,
    scope: &Scope,
    id: &KeyId,
    material: MaterialOp,
    change: KeyChange,
) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
    let Some(current) = key(tx, scope, id, true).await? else {
        return Err(StoreError::NotFound);
    };
    let mut next = current.clone();
    if let Err(refused) = change(&mut next) {
        return Ok(Err(refused));
    }
    if next == current && matches!(material, MaterialOp::Keep) {
        return Ok(Ok(current));
    }
    match &material {
        MaterialOp::Keep => {}
        MaterialOp::Add(m) => {
            tx.execute(INSERT_MATERIAL, &material_values(scope, id, m))
                .await?;
        }
        MaterialOp::Promote(material, kind) => {
            let mut params = key_ref(scope, id);
            params.extend([
                Value::from(material.0.as_slice()),
                kind.as_str().into(),
                next.rotation.on_demand_started.map_or(0, |d| d.0).into(),
                true.into(),
                false.into(),
            ]);
            let n = tx
                .execute(
                    "UPDATE key_materials SET pending = $8, rotation_type = $5, created = $6
                     WHERE account = $1 AND region = $2 AND key_id = $3 AND material_id = $4 AND pending = $7",
                    &params,
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        }
        MaterialOp::DeleteAll => {
            // The versions stay known (their ids, dates, descriptions), so that the same
            // material can be imported again; only the sealed bytes go.
            let mut params = key_ref(scope, id);
            params.push(Value::Bytes(Vec::new()));
            tx.execute(
                "UPDATE key_materials SET sealed = $4 WHERE account = $1 AND region = $2 AND key_id = $3",
                &params,
            )
            .await?;
        }
    }
    tx.execute(&UPDATE_KEY, &key_update_values(&next)).await?;
    next.version = current.version + 1;
    Ok(Ok(next))
}

/// Applies every change of a set, or none: any refusal rolls the whole set back.
pub async fn change_set(tx: &mut dyn Tx, changes: Vec<SetChange>) -> StoreResult<()> {
    for c in changes {
        let op = c.material.map_or(MaterialOp::Keep, MaterialOp::Add);
        if let Err(refused) = apply_change(tx, &c.scope, &c.id, op, c.change).await? {
            return Err(StoreError::Refused(Box::new(refused)));
        }
    }
    Ok(())
}

/// Deletes a key whose waiting period is over, with everything that names it. Re-checked
/// inside the transaction, with the row locked: a CancelKeyDeletion that won the race keeps
/// the key.
pub async fn delete_if_due(
    tx: &mut dyn Tx,
    scope: &Scope,
    id: &KeyId,
    now: UnixMillis,
) -> StoreResult<()> {
    let lock = tx.dialect().for_update();
    let mut params = key_ref(scope, id);
    params.push(now.0.into());
    let due = tx
        .query_opt(
            &format!(
                "SELECT 1 FROM keys {WHERE_KEY} AND state = 'PendingDeletion' AND deletion_date <= $4{lock}"
            ),
            &params,
        )
        .await?;
    if due.is_none() {
        return Err(StoreError::NotFound);
    }
    // Foreign keys cascade, but deleting explicitly keeps the intent visible and does not
    // depend on SQLite's pragma.
    let params = key_ref(scope, id);
    for sql in [
        "DELETE FROM key_materials WHERE account = $1 AND region = $2 AND key_id = $3",
        "DELETE FROM tags WHERE account = $1 AND region = $2 AND key_id = $3",
        "DELETE FROM grants WHERE account = $1 AND region = $2 AND key_id = $3",
        "DELETE FROM aliases WHERE account = $1 AND region = $2 AND target = $3",
        "DELETE FROM keys WHERE account = $1 AND region = $2 AND id = $3",
    ] {
        tx.execute(sql, &params).await?;
    }
    Ok(())
}

async fn scopes_and_ids(
    tx: &mut dyn Tx,
    sql: &str,
    params: &[Value],
) -> StoreResult<Vec<(Scope, KeyId)>> {
    tx.query(sql, params)
        .await?
        .into_iter()
        .map(scope_and_id)
        .collect()
}

pub async fn with_expiring_material(
    tx: &mut dyn Tx,
    now: UnixMillis,
) -> StoreResult<Vec<(Scope, KeyId)>> {
    scopes_and_ids(
        tx,
        "SELECT account, region, id FROM keys WHERE valid_to IS NOT NULL AND valid_to <= $1 ORDER BY valid_to",
        args![now.0],
    )
    .await
}

pub async fn due_for_rotation(
    tx: &mut dyn Tx,
    now: UnixMillis,
) -> StoreResult<Vec<(Scope, KeyId)>> {
    scopes_and_ids(
        tx,
        "SELECT account, region, id FROM keys WHERE next_rotation IS NOT NULL AND next_rotation <= $1 ORDER BY next_rotation",
        args![now.0],
    )
    .await
}

pub async fn due_for_deletion(
    tx: &mut dyn Tx,
    now: UnixMillis,
) -> StoreResult<Vec<(Scope, KeyId)>> {
    scopes_and_ids(
        tx,
        "SELECT account, region, id FROM keys WHERE state = 'PendingDeletion' AND deletion_date <= $1 ORDER BY deletion_date",
        args![now.0],
    )
    .await
}

pub async fn pending_replica_deletion(tx: &mut dyn Tx) -> StoreResult<Vec<(Scope, KeyId)>> {
    scopes_and_ids(
        tx,
        "SELECT account, region, id FROM keys WHERE state = 'PendingReplicaDeletion' ORDER BY id",
        &[],
    )
    .await
}

/// Expired tokens go as new ones come.
pub async fn put_import_token(tx: &mut dyn Tx, token: &ImportToken) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM import_tokens WHERE expires <= $1",
        args![token.expires.0 - 2 * UnixMillis::DAY],
    )
    .await?;
    tx.execute(
        &format!(
            "INSERT INTO import_tokens ({IMPORT_TOKEN_SELECT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ),
        &import_token_values(token),
    )
    .await?;
    Ok(())
}

pub async fn import_token(tx: &mut dyn Tx, token: &str) -> StoreResult<Option<ImportToken>> {
    tx.query_opt(
        &format!("SELECT {IMPORT_TOKEN_SELECT} FROM import_tokens WHERE token = $1"),
        args![token],
    )
    .await?
    .map(import_token_from_row)
    .transpose()
}

/// Keeps the latest use of each key (of keys that still exist).
pub async fn record_usage(tx: &mut dyn Tx, usage: &[(Scope, KeyId, LastUsage)]) -> StoreResult<()> {
    for (scope, id, u) in usage {
        let mut params = key_ref(scope, id);
        params.extend([
            Value::from(u.operation.as_str()),
            u.at.0.into(),
            u.request_id.as_str().into(),
        ]);
        tx.execute(
            "INSERT INTO key_usage (account, region, key_id, operation, at, request_id)
             SELECT $1, $2, $3, $4, $5, $6
             WHERE EXISTS (SELECT 1 FROM keys WHERE account = $1 AND region = $2 AND id = $3)
             ON CONFLICT (account, region, key_id) DO UPDATE SET operation = excluded.operation,
             at = excluded.at, request_id = excluded.request_id WHERE excluded.at >= key_usage.at",
            &params,
        )
        .await?;
    }
    Ok(())
}

pub async fn usage(tx: &mut dyn Tx, scope: &Scope, id: &KeyId) -> StoreResult<Option<LastUsage>> {
    tx.query_opt(
        "SELECT operation, at, request_id FROM key_usage WHERE account = $1 AND region = $2 AND key_id = $3",
        &key_ref(scope, id),
    )
    .await?
    .map(usage_from_row)
    .transpose()
}

/// A key's material versions, oldest first.
pub async fn materials(
    tx: &mut dyn Tx,
    scope: &Scope,
    id: &KeyId,
) -> StoreResult<Vec<SealedMaterial>> {
    let order = tx.dialect().material_order();
    tx.query(
        &format!(
            "SELECT {MATERIAL_SELECT} FROM key_materials
             WHERE account = $1 AND region = $2 AND key_id = $3 ORDER BY created, {order}"
        ),
        &key_ref(scope, id),
    )
    .await?
    .into_iter()
    .map(material_from_row)
    .collect()
}

/// One material version that still has its sealed bytes.
pub async fn material(
    tx: &mut dyn Tx,
    scope: &Scope,
    id: &KeyId,
    material: &MaterialId,
) -> StoreResult<Option<SealedMaterial>> {
    let mut params = key_ref(scope, id);
    params.push(material.0.as_slice().into());
    tx.query_opt(
        &format!(
            "SELECT {MATERIAL_SELECT} FROM key_materials WHERE account = $1 AND region = $2 AND key_id = $3 AND material_id = $4 AND length(sealed) > 0"
        ),
        &params,
    )
    .await?
    .map(material_from_row)
    .transpose()
}

/// Every Region's key of a multi-Region set, in Region order.
pub async fn set(tx: &mut dyn Tx, account: &AccountId, id: &KeyId) -> StoreResult<Vec<KeyRecord>> {
    tx.query(
        &format!(
            "SELECT {} FROM keys WHERE account = $1 AND id = $2 ORDER BY region",
            *KEY_SELECT
        ),
        args![account.as_str(), id.as_str()],
    )
    .await?
    .into_iter()
    .map(key_from_row)
    .collect()
}

pub async fn count(tx: &mut dyn Tx, scope: &Scope) -> StoreResult<usize> {
    // Kept by triggers on `keys` (SQLite's migration 14, PostgreSQL's 7).
    tx.count(
        "SELECT COALESCE((SELECT n FROM key_counts WHERE account = $1 AND region = $2), 0)",
        args![scope.account.as_str(), scope.region.as_str()],
    )
    .await
}

pub async fn list(
    tx: &mut dyn Tx,
    scope: &Scope,
    after: &str,
    limit: usize,
) -> StoreResult<Page<KeyRecord>> {
    let items = tx
        .query(
            &format!(
                "SELECT {} FROM keys WHERE account = $1 AND region = $2 AND id > $3 ORDER BY id LIMIT $4",
                *KEY_SELECT
            ),
            args![
                scope.account.as_str(),
                scope.region.as_str(),
                after,
                sql_limit(limit)
            ],
        )
        .await?
        .into_iter()
        .map(key_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(page(items, limit))
}
