//! What both drivers share that does not touch a database: how maps are kept as JSON,
//! paging, audit lookup statements, which changes a key write announces, and who hears of
//! them.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use trent_core::model::{
    AuditCursor, AuditEntry, AuditQuery, KeyId, MaterialId, RotationType, Scope, SealedMaterial,
    Tag,
};
use trent_core::store::{Change, ChangeListener, Page};

/// This node's change listeners (the caches).
#[derive(Clone, Default)]
pub struct Listeners(Arc<RwLock<Vec<ChangeListener>>>);

impl Listeners {
    pub fn add(&self, listener: ChangeListener) {
        if let Ok(mut listeners) = self.0.write() {
            listeners.push(listener);
        }
    }

    /// Tells every listener of every change.
    pub fn tell(&self, changes: &[Change]) {
        if let Ok(listeners) = self.0.read() {
            for change in changes {
                for listener in listeners.iter() {
                    listener(change);
                }
            }
        }
    }

    /// Tells of what this node's own commit changed. Identities reload where they were
    /// changed; only other nodes need telling of them.
    pub fn committed(&self, changes: &[Change]) {
        let local: Vec<Change> = changes
            .iter()
            .filter(|c| **c != Change::Identities)
            .cloned()
            .collect();
        self.tell(&local);
    }
}

/// A string map as the JSON object a column keeps.
pub fn map_json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned())
}

/// The map a JSON column holds; `None` if it is not a JSON object of strings.
pub fn json_map(text: &str) -> Option<BTreeMap<String, String>> {
    serde_json::from_str(text).ok()
}

/// Tags as the JSON object a column keeps.
pub fn tags_json(tags: &[Tag]) -> String {
    let map: BTreeMap<String, String> = tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    map_json(&map)
}

/// A list of strings as a JSON array (`sessions.transitive_tag_keys`).
pub fn list_json(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// The strings a JSON array column holds.
pub fn json_list(text: &str) -> Option<Vec<String>> {
    serde_json::from_str(text).ok()
}

/// The tags a JSON column holds, in key order.
pub fn json_tags(text: &str) -> Option<Vec<Tag>> {
    Some(
        json_map(text)?
            .into_iter()
            .map(|(key, value)| Tag { key, value })
            .collect(),
    )
}

/// What a key change does to the key's material versions.
pub enum MaterialOp {
    Keep,
    Add(SealedMaterial),
    DeleteAll,
    /// A pending version becomes a completed rotation.
    Promote(MaterialId, RotationType),
}

/// A page of at most `limit` items out of `limit + 1` read.
pub fn page<T>(mut items: Vec<T>, limit: usize) -> Page<T> {
    let truncated = items.len() > limit;
    items.truncate(limit);
    Page { items, truncated }
}

/// The SQL limit for a page: one more than asked, to learn whether the page is truncated.
pub fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1)
}

/// A key's change, and its scope's aliases (which may name it).
pub fn key_and_aliases(scope: &Scope, id: &KeyId) -> Vec<Change> {
    vec![
        Change::Key {
            scope: scope.clone(),
            id: id.clone(),
        },
        Change::Aliases {
            scope: scope.clone(),
        },
    ]
}

/// A parameter of a built statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SqlParam {
    Text(String),
    Int(i64),
}

/// The statement of an audit lookup, with `placeholder(n)` writing the driver's n-th
/// parameter (`?n` or `$n`). With a key, the walk starts from `audit_keys` (the key's events
/// in sequence order); otherwise from the account's index. Either way the order is the
/// index's own, so the database reads no more rows than the limit and the filters ask for.
///
/// `window` is the sequence numbers the query's time window spans, inclusive
/// ([`AUDIT_FIRST_AT`], [`AUDIT_LAST_AT`]): a record's time never decreases along the chain,
/// so the walk is bounded to them instead of reading every record after the window.
pub fn audit_lookup_sql(
    query: &AuditQuery,
    window: (Option<i64>, Option<i64>),
    placeholder: impl Fn(usize) -> String,
) -> (String, Vec<SqlParam>) {
    let mut params = Vec::new();
    let mut next = |value: SqlParam| {
        params.push(value);
        placeholder(params.len())
    };
    let mut conditions = Vec::new();
    let (from, seq) = match &query.key_id {
        Some(key) => {
            conditions.push(format!("k.key_id = {}", next(SqlParam::Text(key.clone()))));
            conditions.push("e.seq = k.seq".to_owned());
            // CROSS JOIN keeps SQLite's join order: the key's index first.
            ("audit_keys k CROSS JOIN audit_events e", "k.seq")
        }
        None => ("audit_events e", "e.seq"),
    };
    if let Some(account) = &query.account {
        conditions.push(format!(
            "e.account = {}",
            next(SqlParam::Text(account.clone()))
        ));
    }
    if let Some(name) = &query.event_name {
        conditions.push(format!(
            "e.event_name = {}",
            next(SqlParam::Text(name.clone()))
        ));
    }
    if let Some(t) = query.since {
        conditions.push(format!("e.time >= {}", next(SqlParam::Int(t.0))));
    }
    if let Some(t) = query.until {
        conditions.push(format!("e.time <= {}", next(SqlParam::Int(t.0))));
    }
    // One lower and one upper bound at most, so that each is the index range's own.
    let (mut low, mut high) = window;
    let order = match query.cursor {
        AuditCursor::After(n) => {
            let from = n.saturating_add(1);
            low = Some(low.map_or(from, |l| l.max(from)));
            "ASC"
        }
        AuditCursor::Before(n) => {
            let to = n.saturating_sub(1);
            high = Some(high.map_or(to, |h| h.min(to)));
            "DESC"
        }
    };
    if let Some(low) = low {
        conditions.push(format!("{seq} >= {}", next(SqlParam::Int(low))));
    }
    if let Some(high) = high {
        conditions.push(format!("{seq} <= {}", next(SqlParam::Int(high))));
    }
    let limit = next(SqlParam::Int(sql_limit(query.limit) - 1));
    let sql = format!(
        "SELECT e.seq, e.time, e.event, e.hash FROM {from} WHERE {} ORDER BY {seq} {order} LIMIT {limit}",
        conditions.join(" AND ")
    );
    (sql, params)
}

/// The first record at or after a time (`$1`): the low end of a time window in sequence
/// numbers, by the time index.
pub const AUDIT_FIRST_AT: &str =
    "SELECT seq FROM audit_events WHERE time >= $1 ORDER BY time, seq LIMIT 1";
/// The last record at or before a time (`$1`): the high end of a time window.
pub const AUDIT_LAST_AT: &str =
    "SELECT seq FROM audit_events WHERE time <= $1 ORDER BY time DESC, seq DESC LIMIT 1";

/// The entry's key ids, each once (an event naming a key twice is indexed under it once).
pub fn distinct_key_ids(entry: &AuditEntry) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in &entry.key_ids {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    ids
}
