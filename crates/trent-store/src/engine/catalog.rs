//! What names and shares a key: aliases, tags and grants, with the limits and the grant-name
//! idempotency decided inside the transaction.

use trent_core::model::{AliasName, AliasRecord, GrantRecord, KeyId, Scope, Tag, UnixMillis};
use trent_core::store::{Page, StoreError, StoreResult};

use crate::codec::{
    ALIAS_SELECT, GRANT_SELECT, INSERT_ALIAS, INSERT_GRANT, PUT_TAG, alias_from_row, alias_values,
    grant_from_row, grant_values, key_ref, tag_from_row, tag_values,
};
use crate::common::{page, sql_limit};
use crate::sql::{Tx, args};

/// Found nothing to change: `NotFound`.
fn one(changed: u64) -> StoreResult<()> {
    if changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Locks a key's row (where the database has row locks) so that what follows (a count, a
/// name's idempotency) is the truth across nodes; whether the key exists.
async fn lock_key(tx: &mut dyn Tx, scope: &Scope, id: &KeyId) -> StoreResult<bool> {
    let lock = tx.dialect().for_update();
    let sql = format!("SELECT 1 FROM keys WHERE account = $1 AND region = $2 AND id = $3{lock}");
    Ok(tx.query_opt(&sql, &key_ref(scope, id)).await?.is_some())
}

pub async fn create_alias(tx: &mut dyn Tx, alias: &AliasRecord) -> StoreResult<()> {
    tx.execute(INSERT_ALIAS, &alias_values(alias)).await?;
    Ok(())
}

pub async fn update_alias(
    tx: &mut dyn Tx,
    scope: &Scope,
    name: &AliasName,
    target: &KeyId,
    now: UnixMillis,
) -> StoreResult<()> {
    let changed = tx
        .execute(
            "UPDATE aliases SET target = $4, updated = $5 WHERE account = $1 AND region = $2 AND name = $3",
            args![
                scope.account.as_str(),
                scope.region.as_str(),
                name.as_str(),
                target.as_str(),
                now.0
            ],
        )
        .await?;
    one(changed)
}

pub async fn delete_alias(tx: &mut dyn Tx, scope: &Scope, name: &AliasName) -> StoreResult<()> {
    let deleted = tx
        .execute(
            "DELETE FROM aliases WHERE account = $1 AND region = $2 AND name = $3",
            args![scope.account.as_str(), scope.region.as_str(), name.as_str()],
        )
        .await?;
    one(deleted)
}

pub async fn alias(
    tx: &mut dyn Tx,
    scope: &Scope,
    name: &AliasName,
) -> StoreResult<Option<AliasRecord>> {
    tx.query_opt(
        &format!(
            "SELECT {ALIAS_SELECT} FROM aliases WHERE account = $1 AND region = $2 AND name = $3"
        ),
        args![scope.account.as_str(), scope.region.as_str(), name.as_str()],
    )
    .await?
    .map(alias_from_row)
    .transpose()
}

/// A page of one key's aliases, by the `aliases_by_target` index (in name order).
pub(crate) const KEY_ALIASES_PAGE: &str =
    "account = $1 AND region = $2 AND target = $3 AND name > $4 ORDER BY name LIMIT $5";
/// A page of a Region's aliases, by name.
pub(crate) const ALIASES_PAGE: &str =
    "account = $1 AND region = $2 AND name > $3 ORDER BY name LIMIT $4";
/// A key's grants of one name, by `grants_name`.
pub(crate) const GRANTS_BY_NAME: &str =
    "account = $1 AND region = $2 AND key_id = $3 AND name = $4 ORDER BY created, id";
/// The first page of a key's grants (to one grantee, if `$4` is not null), by `grants_by_key`.
pub(crate) const GRANTS_PAGE_FIRST: &str = "account = $1 AND region = $2 AND key_id = $3
     AND (CAST($4 AS TEXT) IS NULL OR grantee = $4)
     ORDER BY created, id LIMIT $5";
/// A page of a key's grants after the grant `$5`: a row comparison, so the index is entered
/// at the marker (an OR of the two cases would be read from the key's first grant).
pub(crate) const GRANTS_PAGE_AFTER: &str = "account = $1 AND region = $2 AND key_id = $3
     AND (CAST($4 AS TEXT) IS NULL OR grantee = $4)
     AND (created, id) > ((SELECT created FROM grants WHERE id = $5), $5)
     ORDER BY created, id LIMIT $6";

pub async fn list_aliases(
    tx: &mut dyn Tx,
    scope: &Scope,
    key: Option<&KeyId>,
    after: &str,
    limit: usize,
) -> StoreResult<Page<AliasRecord>> {
    // A key's aliases by the `aliases_by_target` index; a Region's by name. Two statements, not
    // an OR that one plan has to serve both ways.
    let account = scope.account.as_str();
    let region = scope.region.as_str();
    let rows = match key {
        Some(key) => {
            tx.query(
                &format!("SELECT {ALIAS_SELECT} FROM aliases WHERE {KEY_ALIASES_PAGE}"),
                args![account, region, key.as_str(), after, sql_limit(limit)],
            )
            .await?
        }
        None => {
            tx.query(
                &format!("SELECT {ALIAS_SELECT} FROM aliases WHERE {ALIASES_PAGE}"),
                args![account, region, after, sql_limit(limit)],
            )
            .await?
        }
    };
    let items = rows
        .into_iter()
        .map(alias_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(page(items, limit))
}

pub async fn tags(tx: &mut dyn Tx, scope: &Scope, id: &KeyId) -> StoreResult<Vec<Tag>> {
    tx.query(
        "SELECT tag_key, tag_value FROM tags WHERE account = $1 AND region = $2 AND key_id = $3 ORDER BY tag_key",
        &key_ref(scope, id),
    )
    .await?
    .into_iter()
    .map(tag_from_row)
    .collect()
}

/// Adds or replaces tags; refuses the whole call if the key would have more than `max`.
pub async fn tag_key(
    tx: &mut dyn Tx,
    scope: &Scope,
    id: &KeyId,
    tags: &[Tag],
    max: usize,
) -> StoreResult<()> {
    lock_key(tx, scope, id).await?;
    for tag in tags {
        tx.execute(PUT_TAG, &tag_values(scope, id, tag)).await?;
    }
    let count = tx
        .count(
            "SELECT COUNT(*) FROM tags WHERE account = $1 AND region = $2 AND key_id = $3",
            &key_ref(scope, id),
        )
        .await?;
    if count > max {
        return Err(StoreError::Limit("tags per key"));
    }
    Ok(())
}

pub async fn untag_key(
    tx: &mut dyn Tx,
    scope: &Scope,
    id: &KeyId,
    keys: &[String],
) -> StoreResult<()> {
    for key in keys {
        let mut params = key_ref(scope, id);
        params.push(key.into());
        tx.execute(
            "DELETE FROM tags WHERE account = $1 AND region = $2 AND key_id = $3 AND tag_key = $4",
            &params,
        )
        .await?;
    }
    Ok(())
}

/// Creates a grant, or returns the id of the key's grant of the same name and terms (AWS's
/// idempotent `Name`); refuses when the key has `max` grants already.
pub async fn create_grant(tx: &mut dyn Tx, g: &GrantRecord, max: usize) -> StoreResult<String> {
    if !lock_key(tx, &g.scope, &g.key).await? {
        return Err(StoreError::NotFound);
    }
    if let Some(name) = &g.name {
        let mut params = key_ref(&g.scope, &g.key);
        params.push(name.into());
        let same = tx
            .query(
                &format!("SELECT {GRANT_SELECT} FROM grants WHERE {GRANTS_BY_NAME}"),
                &params,
            )
            .await?;
        for row in same {
            let existing = grant_from_row(row)?;
            if existing.same_terms(g) {
                return Ok(existing.id);
            }
        }
    }
    let count = tx
        .count(
            "SELECT COUNT(*) FROM grants WHERE account = $1 AND region = $2 AND key_id = $3",
            &key_ref(&g.scope, &g.key),
        )
        .await?;
    if count >= max {
        return Err(StoreError::Limit("grants per key"));
    }
    tx.execute(&INSERT_GRANT, &grant_values(g)).await?;
    Ok(g.id.clone())
}

async fn grants_where(
    tx: &mut dyn Tx,
    condition: &str,
    params: &[crate::sql::Value],
) -> StoreResult<Vec<GrantRecord>> {
    tx.query(
        &format!("SELECT {GRANT_SELECT} FROM grants WHERE {condition}"),
        params,
    )
    .await?
    .into_iter()
    .map(grant_from_row)
    .collect()
}

/// A key's grants in creation order.
pub async fn grants(tx: &mut dyn Tx, scope: &Scope, key: &KeyId) -> StoreResult<Vec<GrantRecord>> {
    grants_where(
        tx,
        "account = $1 AND region = $2 AND key_id = $3 ORDER BY created, id",
        &key_ref(scope, key),
    )
    .await
}

/// A page of a key's grants in creation order (to one grantee, if given), after the grant
/// `after`: read through the `grants_by_key` index, so a page costs the same however many
/// grants come before it.
pub async fn list_grants(
    tx: &mut dyn Tx,
    scope: &Scope,
    key: &KeyId,
    grantee: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Page<GrantRecord>> {
    // Two statements, so that each bound is a plain range of the index: a row comparison
    // after the marker (never an OR, which the planners read from the key's first grant).
    let mut params = key_ref(scope, key);
    params.push(grantee.into());
    let items = match after {
        Some(after) => {
            params.extend_from_slice(args![after, sql_limit(limit)]);
            grants_where(tx, GRANTS_PAGE_AFTER, &params).await?
        }
        None => {
            params.push(sql_limit(limit).into());
            grants_where(tx, GRANTS_PAGE_FIRST, &params).await?
        }
    };
    Ok(page(items, limit))
}

pub async fn grant(tx: &mut dyn Tx, id: &str) -> StoreResult<Option<GrantRecord>> {
    Ok(grants_where(tx, "id = $1", args![id])
        .await?
        .into_iter()
        .next())
}

pub async fn grants_retirable_by(
    tx: &mut dyn Tx,
    principal: &str,
) -> StoreResult<Vec<GrantRecord>> {
    grants_where(tx, "retiring = $1 ORDER BY id", args![principal]).await
}

pub async fn delete_grant(
    tx: &mut dyn Tx,
    scope: &Scope,
    key: &KeyId,
    id: &str,
) -> StoreResult<()> {
    let mut params = key_ref(scope, key);
    params.push(id.into());
    let n = tx
        .execute(
            "DELETE FROM grants WHERE account = $1 AND region = $2 AND key_id = $3 AND id = $4",
            &params,
        )
        .await?;
    one(n)
}
