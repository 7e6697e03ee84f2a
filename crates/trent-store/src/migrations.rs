//! Both stores' versioned schema migrations, embedded in the binary and applied in order at
//! open: SQLite's in [`sqlite`] (`migrations/sqlite/`), PostgreSQL's in [`postgres`]
//! (`migrations/postgres/`).
//!
//! Each migration runs in its own transaction together with its version bump, so a crash
//! mid-migration leaves the previous version intact. A database newer than this build is
//! refused.

pub use sqlite::migrate;

/// SQLite's migrations; the applied version is SQLite's `user_version`.
pub mod sqlite {
    use rusqlite::Connection;

    /// The migrations, in order; the version of migration `i` is `i + 1`.
    pub(super) const SQLITE: &[&str] = &[
        include_str!("../migrations/sqlite/0001_initial.sql"),
        include_str!("../migrations/sqlite/0002_public_keys.sql"),
        include_str!("../migrations/sqlite/0003_principals_grants.sql"),
        include_str!("../migrations/sqlite/0004_rotation.sql"),
        include_str!("../migrations/sqlite/0005_import.sql"),
        include_str!("../migrations/sqlite/0006_multi_region.sql"),
        include_str!("../migrations/sqlite/0007_audit.sql"),
        include_str!("../migrations/sqlite/0008_leases.sql"),
        include_str!("../migrations/sqlite/0009_transitive_session_tags.sql"),
        include_str!("../migrations/sqlite/0010_audit_lookup.sql"),
        include_str!("../migrations/sqlite/0011_principal_ids.sql"),
        include_str!("../migrations/sqlite/0012_custom_key_stores.sql"),
        include_str!("../migrations/sqlite/0013_external_key_stores.sql"),
        include_str!("../migrations/sqlite/0014_scale.sql"),
        include_str!("../migrations/sqlite/0015_lookups.sql"),
    ];

    /// The schema version this build writes.
    pub fn latest() -> i64 {
        i64::try_from(SQLITE.len()).unwrap_or(i64::MAX)
    }

    /// Brings the schema up to date. Refuses a database newer than this build.
    pub fn migrate(conn: &mut Connection) -> Result<(), String> {
        let current: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        if current > latest() {
            return Err(format!(
                "the data directory has schema version {current}, newer than this build of Trent supports ({})",
                latest()
            ));
        }
        for (index, sql) in SQLITE.iter().enumerate() {
            let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
            if version <= current {
                continue;
            }
            let tx = conn.transaction().map_err(|e| e.to_string())?;
            tx.execute_batch(sql).map_err(|e| e.to_string())?;
            tx.pragma_update(None, "user_version", version)
                .map_err(|e| e.to_string())?;
            tx.commit().map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// PostgreSQL's migrations; the applied versions are rows of `trent_schema`, and nodes
/// starting together take turns under an advisory lock.
pub mod postgres {
    use deadpool_postgres::ClientWrapper;
    use trent_core::store::{StoreError, StoreResult};

    use crate::postgres::map_pg;

    /// The advisory lock that serializes migrations of nodes starting together.
    const MIGRATION_LOCK: i64 = 0x7472_656e_7401;

    /// The migrations, in order; the version of migration `i` is `i + 1`.
    const MIGRATIONS: &[&str] = &[
        include_str!("../migrations/postgres/0001_initial.sql"),
        include_str!("../migrations/postgres/0002_transitive_session_tags.sql"),
        include_str!("../migrations/postgres/0003_audit_lookup.sql"),
        include_str!("../migrations/postgres/0004_principal_ids.sql"),
        include_str!("../migrations/postgres/0005_custom_key_stores.sql"),
        include_str!("../migrations/postgres/0006_external_key_stores.sql"),
        include_str!("../migrations/postgres/0007_scale.sql"),
        include_str!("../migrations/postgres/0008_lookups.sql"),
    ];

    /// Brings the schema up to date under an advisory lock; refuses a database newer than this
    /// build.
    pub async fn migrate(client: &mut ClientWrapper) -> StoreResult<()> {
        let pg = |e: tokio_postgres::Error| map_pg(&e);
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg)?;
        let result = async {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS trent_schema (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)",
            )
            .await
            .map_err(pg)?;
        let current: i64 = client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM trent_schema", &[])
            .await
            .map_err(pg)?
            .try_get(0)
            .map_err(pg)?;
        let latest = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
        if current > latest {
            return Err(StoreError::Corrupt(format!(
                "the database has schema version {current}, newer than this build of Trent supports ({latest})"
            )));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate() {
            let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
            if version <= current {
                continue;
            }
            let tx = client.transaction().await.map_err(pg)?;
            tx.batch_execute(sql).await.map_err(pg)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or_default();
            tx.execute(
                "INSERT INTO trent_schema (version, applied) VALUES ($1, $2)",
                &[&version, &now],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
        }
        Ok(())
    }
    .await;
        let unlocked = client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await;
        result?;
        unlocked.map(|_| ()).map_err(pg)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::sqlite::*;
    use crate::common::{AUDIT_FIRST_AT, AUDIT_LAST_AT, SqlParam, audit_lookup_sql};
    use rusqlite::Connection;
    use trent_core::model::{AuditCursor, AuditQuery};

    /// A database at `version`, as a build of that version left it.
    fn at_version(version: usize) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for sql in &SQLITE[..version] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", i64::try_from(version).unwrap())
            .unwrap();
        conn
    }

    /// Records written before times were kept in order along the chain (a clock stepped back)
    /// each take the latest time before them, so a time window is a range of the chain.
    #[test]
    fn record_times_are_made_to_never_decrease() {
        let mut conn = at_version(14);
        for (seq, time) in [(1, 5), (2, 3), (3, 7), (4, 6), (5, 9)] {
            conn.execute(
                "INSERT INTO audit_events (seq, time, event, hash) VALUES (?1, ?2, '{}', x'00')",
                rusqlite::params![seq, time],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let times: Vec<i64> = conn
            .prepare("SELECT time FROM audit_events ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(times, vec![5, 5, 7, 7, 9]);
    }

    #[test]
    fn events_written_before_the_lookup_columns_are_indexed_by_the_migration() {
        let mut conn = at_version(9);
        let events = [
            r#"{"recipientAccountId":"111122223333","eventName":"ReEncrypt","resources":[{"ARN":"arn:aws:kms:us-east-1:111122223333:key/k1"},{"ARN":"arn:aws:kms:us-east-1:111122223333:key/k2"},{"ARN":"arn:aws:kms:us-east-1:111122223333:key/k1"}]}"#,
            r#"{"recipientAccountId":null,"eventName":"Encrypt","resources":[]}"#,
            r#"{"eventName":"ListKeys","resources":null}"#,
            "not json",
        ];
        for (i, event) in events.iter().enumerate() {
            conn.execute(
                "INSERT INTO audit_events (seq, time, event, hash) VALUES (?1, 1, ?2, x'00')",
                rusqlite::params![i64::try_from(i + 1).unwrap(), event],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let columns: Vec<(i64, Option<String>, Option<String>)> = conn
            .prepare("SELECT seq, account, event_name FROM audit_events ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let text = |s: &str| Some(s.to_owned());
        assert_eq!(
            columns,
            vec![
                (1, text("111122223333"), text("ReEncrypt")),
                (2, None, text("Encrypt")),
                (3, None, text("ListKeys")),
                (4, None, None),
            ]
        );
        let keys: Vec<(String, i64)> = conn
            .prepare("SELECT key_id, seq FROM audit_keys ORDER BY key_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(keys, vec![("k1".to_owned(), 1), ("k2".to_owned(), 1)]);
    }

    /// Every lookup shape walks an index in sequence order: no full scan of the trail and no
    /// sort of its matches (either would cost the trail's size, not the page's).
    #[test]
    fn lookups_walk_indexes_in_order() {
        let conn = at_version(SQLITE.len());
        let text = |s: &str| Some(s.to_owned());
        let base = AuditQuery {
            account: text("111122223333"),
            event_name: None,
            key_id: None,
            since: None,
            until: None,
            cursor: AuditCursor::Before(i64::MAX),
            limit: 50,
        };
        let shapes = [
            base.clone(),
            AuditQuery {
                event_name: text("Encrypt"),
                ..base.clone()
            },
            AuditQuery {
                since: Some(trent_core::model::UnixMillis(1)),
                until: Some(trent_core::model::UnixMillis(2)),
                ..base.clone()
            },
            AuditQuery {
                key_id: text("k1"),
                ..base.clone()
            },
            AuditQuery {
                key_id: text("k1"),
                event_name: text("Encrypt"),
                ..base.clone()
            },
            AuditQuery {
                account: None,
                key_id: text("k1"),
                cursor: AuditCursor::After(0),
                ..base.clone()
            },
            AuditQuery {
                account: None,
                cursor: AuditCursor::After(0),
                ..base.clone()
            },
        ];
        for query in shapes {
            let window = (query.since.map(|t| t.0), query.until.map(|t| t.0));
            let (sql, params) = audit_lookup_sql(&query, window, |n| format!("?{n}"));
            let values = params.into_iter().map(|p| match p {
                SqlParam::Text(t) => rusqlite::types::Value::Text(t),
                SqlParam::Int(i) => rusqlite::types::Value::Integer(i),
            });
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(rusqlite::params_from_iter(values), |r| r.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let plan = plan.join("; ");
            assert!(!plan.contains("TEMP B-TREE"), "{query:?}: {plan}");
            // A scan is only the whole trail's in sequence order from the cursor, when nothing
            // but the cursor selects.
            if query.account.is_some() || query.key_id.is_some() {
                assert!(!plan.contains("SCAN"), "{query:?}: {plan}");
            }
        }
    }

    /// A page of a key's grants or aliases is read from its index at the page's start: no
    /// scan of the table, no sort, and the marker's bound is an index range (a key with
    /// 50,000 grants pages as fast at the end as at the start).
    #[test]
    fn pages_of_grants_and_aliases_walk_indexes() {
        use crate::engine::catalog::{
            ALIASES_PAGE, GRANTS_BY_NAME, GRANTS_PAGE_AFTER, GRANTS_PAGE_FIRST, KEY_ALIASES_PAGE,
        };
        let conn = at_version(SQLITE.len());
        let plan = |table: &str, condition: &str| -> String {
            let sql = crate::sql::question_marks(&format!(
                "EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE {condition}"
            ));
            let width = conn.prepare(&sql).unwrap().parameter_count();
            let values = (0..width).map(|_| rusqlite::types::Value::Text("x".into()));
            let rows: Vec<String> = conn
                .prepare(&sql)
                .unwrap()
                .query_map(rusqlite::params_from_iter(values), |r| r.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.join("; ")
        };
        let cases = [
            (
                "grants",
                GRANTS_PAGE_FIRST,
                "grants_by_key (account=? AND region=? AND key_id=?)",
            ),
            (
                "grants",
                GRANTS_PAGE_AFTER,
                "grants_by_key (account=? AND region=? AND key_id=? AND (created,id)>(?,?))",
            ),
            (
                "aliases",
                KEY_ALIASES_PAGE,
                "aliases_by_target (account=? AND region=? AND target=? AND name>?)",
            ),
            (
                "aliases",
                ALIASES_PAGE,
                "(account=? AND region=? AND name>?)",
            ),
            (
                "audit_events",
                &AUDIT_FIRST_AT.replace("SELECT seq FROM audit_events WHERE", ""),
                "audit_events_time (time>?)",
            ),
            (
                "audit_events",
                &AUDIT_LAST_AT.replace("SELECT seq FROM audit_events WHERE", ""),
                "audit_events_time (time<?)",
            ),
            (
                "grants",
                GRANTS_BY_NAME,
                "grants_name (account=? AND region=? AND key_id=? AND name=?)",
            ),
        ];
        for (table, condition, index) in cases {
            let plan = plan(table, condition);
            assert!(plan.contains(index), "{condition}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{condition}: {plan}");
            assert!(
                !plan.contains(&format!("SCAN {table}")),
                "{condition}: {plan}"
            );
        }
    }
}
