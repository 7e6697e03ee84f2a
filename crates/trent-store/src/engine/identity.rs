//! Everything that is not a key: named values, accounts, IAM principals, access keys and
//! sessions, leases, and the reads of the audit trail.

use trent_core::model::{
    AccessKeyRecord, AccountId, AccountRecord, AuditDigest, AuditQuery, AuditRecord,
    PrincipalRecord, PrincipalType, SessionRecord, UnixMillis,
};
use trent_core::store::{StoreError, StoreResult};

use crate::codec::{
    ACCESS_KEY_SELECT, AUDIT_SELECT, DIGEST_SELECT, PRINCIPAL_SELECT, SESSION_SELECT,
    access_key_from_row, access_key_values, account_from_row, audit_from_row, digest_from_row,
    placeholders, principal_from_row, principal_values, session_from_row, session_values,
};
use crate::common::{AUDIT_FIRST_AT, AUDIT_LAST_AT, SqlParam, audit_lookup_sql, sql_limit};
use crate::sql::{Tx, Value, args};

pub async fn meta(tx: &mut dyn Tx, name: &str) -> StoreResult<Option<Vec<u8>>> {
    match tx
        .query_opt("SELECT value FROM meta WHERE name = $1", args![name])
        .await?
    {
        Some(mut row) => Ok(Some(row.bytes(0)?)),
        None => Ok(None),
    }
}

pub async fn put_meta(tx: &mut dyn Tx, name: &str, value: Vec<u8>) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        args![name, value],
    )
    .await?;
    Ok(())
}

pub async fn delete_meta(tx: &mut dyn Tx, name: &str) -> StoreResult<()> {
    tx.execute("DELETE FROM meta WHERE name = $1", args![name])
        .await?;
    Ok(())
}

pub async fn put_account(tx: &mut dyn Tx, account: &AccountRecord) -> StoreResult<()> {
    let regions: Vec<&str> = account.regions.iter().map(|r| r.as_str()).collect();
    tx.execute(
        "INSERT INTO accounts (id, regions) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET regions = excluded.regions",
        args![account.id.as_str(), regions.join(",")],
    )
    .await?;
    Ok(())
}

pub async fn accounts(tx: &mut dyn Tx) -> StoreResult<Vec<AccountRecord>> {
    tx.query("SELECT id, regions FROM accounts ORDER BY id", &[])
        .await?
        .into_iter()
        .map(account_from_row)
        .collect()
}

pub async fn put_access_key(tx: &mut dyn Tx, key: &AccessKeyRecord) -> StoreResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO access_keys ({ACCESS_KEY_SELECT}) VALUES ({})
             ON CONFLICT (id) DO UPDATE SET account = excluded.account, user_name = excluded.user_name,
             sealed_secret = excluded.sealed_secret, enabled = excluded.enabled",
            placeholders(6)
        ),
        &access_key_values(key),
    )
    .await?;
    Ok(())
}

pub async fn access_keys(tx: &mut dyn Tx) -> StoreResult<Vec<AccessKeyRecord>> {
    tx.query(
        &format!("SELECT {ACCESS_KEY_SELECT} FROM access_keys ORDER BY id"),
        &[],
    )
    .await?
    .into_iter()
    .map(access_key_from_row)
    .collect()
}

pub async fn delete_access_key(tx: &mut dyn Tx, id: &str) -> StoreResult<()> {
    tx.execute("DELETE FROM access_keys WHERE id = $1", args![id])
        .await?;
    Ok(())
}

pub async fn put_principal(tx: &mut dyn Tx, p: &PrincipalRecord) -> StoreResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO principals ({PRINCIPAL_SELECT}) VALUES ({})
             ON CONFLICT (account, kind, name) DO UPDATE SET tags = excluded.tags, policies = excluded.policies,
             trust_policy = excluded.trust_policy, max_session_seconds = excluded.max_session_seconds",
            placeholders(9)
        ),
        &principal_values(p),
    )
    .await?;
    Ok(())
}

/// Deletes a user with its access keys, or a role with its sessions.
pub async fn delete_principal(
    tx: &mut dyn Tx,
    account: &AccountId,
    kind: PrincipalType,
    name: &str,
) -> StoreResult<()> {
    let deleted = tx
        .execute(
            "DELETE FROM principals WHERE account = $1 AND kind = $2 AND name = $3",
            args![account.as_str(), kind.as_str(), name],
        )
        .await?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    let dependants = match kind {
        PrincipalType::User => "DELETE FROM access_keys WHERE account = $1 AND user_name = $2",
        PrincipalType::Role => "DELETE FROM sessions WHERE account = $1 AND role_name = $2",
    };
    tx.execute(dependants, args![account.as_str(), name])
        .await?;
    Ok(())
}

pub async fn principals(tx: &mut dyn Tx) -> StoreResult<Vec<PrincipalRecord>> {
    tx.query(
        &format!("SELECT {PRINCIPAL_SELECT} FROM principals ORDER BY account, kind, name"),
        &[],
    )
    .await?
    .into_iter()
    .map(principal_from_row)
    .collect()
}

pub async fn put_session(tx: &mut dyn Tx, s: &SessionRecord) -> StoreResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO sessions ({SESSION_SELECT}) VALUES ({})",
            placeholders(10)
        ),
        &session_values(s),
    )
    .await?;
    Ok(())
}

pub async fn sessions(tx: &mut dyn Tx, now: UnixMillis) -> StoreResult<Vec<SessionRecord>> {
    tx.query(
        &format!("SELECT {SESSION_SELECT} FROM sessions WHERE expires > $1 ORDER BY access_key_id"),
        args![now.0],
    )
    .await?
    .into_iter()
    .map(session_from_row)
    .collect()
}

pub async fn delete_expired_sessions(tx: &mut dyn Tx, now: UnixMillis) -> StoreResult<u64> {
    tx.execute("DELETE FROM sessions WHERE expires <= $1", args![now.0])
        .await
}

/// Takes or renews a lease: true if `holder` holds it now.
pub async fn try_lease(
    tx: &mut dyn Tx,
    name: &str,
    holder: &str,
    now: UnixMillis,
    ttl_ms: i64,
) -> StoreResult<bool> {
    let n = tx
        .execute(
            "INSERT INTO leases (name, holder, expires) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
             WHERE leases.holder = excluded.holder OR leases.expires <= $4",
            args![name, holder, now.0.saturating_add(ttl_ms), now.0],
        )
        .await?;
    Ok(n == 1)
}

pub async fn release_lease(tx: &mut dyn Tx, name: &str, holder: &str) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM leases WHERE name = $1 AND holder = $2",
        args![name, holder],
    )
    .await?;
    Ok(())
}

fn audit_records_of(rows: Vec<crate::sql::SqlRow>) -> StoreResult<Vec<AuditRecord>> {
    rows.into_iter().map(audit_from_row).collect()
}

pub async fn audit_tail(tx: &mut dyn Tx) -> StoreResult<Option<AuditRecord>> {
    tx.query_opt(
        &format!("SELECT {AUDIT_SELECT} FROM audit_events ORDER BY seq DESC LIMIT 1"),
        &[],
    )
    .await?
    .map(audit_from_row)
    .transpose()
}

pub async fn audit_records(
    tx: &mut dyn Tx,
    after_seq: i64,
    limit: usize,
) -> StoreResult<Vec<AuditRecord>> {
    let rows = tx
        .query(
            &format!(
                "SELECT {AUDIT_SELECT} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
            ),
            args![after_seq, sql_limit(limit) - 1],
        )
        .await?;
    audit_records_of(rows)
}

pub async fn audit_lookup(tx: &mut dyn Tx, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
    // A time window becomes a range of sequence numbers (times only grow along the chain);
    // a window with no record at one end holds none.
    let mut window = (None, None);
    for (bound, sql, end) in [
        (query.since, AUDIT_FIRST_AT, &mut window.0),
        (query.until, AUDIT_LAST_AT, &mut window.1),
    ] {
        if let Some(t) = bound {
            let row = tx.query(sql, args![t.0]).await?.into_iter().next();
            match row.map(|mut r| r.int(0)).transpose()? {
                Some(seq) => *end = Some(seq),
                None => return Ok(Vec::new()),
            }
        }
    }
    let (sql, params) = audit_lookup_sql(query, window, |n| format!("${n}"));
    let params: Vec<Value> = params
        .into_iter()
        .map(|p| match p {
            SqlParam::Text(t) => Value::Text(t),
            SqlParam::Int(i) => Value::Int(i),
        })
        .collect();
    let rows = tx.query(&sql, &params).await?;
    audit_records_of(rows)
}

pub async fn put_audit_digest(tx: &mut dyn Tx, d: &AuditDigest) -> StoreResult<()> {
    tx.execute(
        &format!("INSERT INTO audit_digests ({DIGEST_SELECT}) VALUES ($1, $2, $3, $4, $5)"),
        args![
            d.first_seq,
            d.last_seq,
            d.last_hash.as_slice(),
            d.time.0,
            d.signature.as_slice()
        ],
    )
    .await?;
    Ok(())
}

pub async fn audit_digests(tx: &mut dyn Tx) -> StoreResult<Vec<AuditDigest>> {
    tx.query(
        &format!("SELECT {DIGEST_SELECT} FROM audit_digests ORDER BY last_seq"),
        &[],
    )
    .await?
    .into_iter()
    .map(digest_from_row)
    .collect()
}
