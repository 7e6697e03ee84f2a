//! What both stores share that does not touch a database: column lists, how maps are kept
//! as JSON, paging, and which changes a key write announces.

use std::collections::BTreeMap;

use trent_core::model::{KeyId, MaterialId, RotationType, Scope, SealedMaterial, Tag};
use trent_core::store::{Change, Page};

/// The columns of `keys`, in the order both stores read and write them.
pub const KEY_COLUMNS: &str = "account, region, id, created, description, spec, usage, origin, manager, state, deletion_date, pending_window_days, current_material, multi_region, policy, version, public_key, rotation_period_days, next_rotation, on_demand_rotations, on_demand_started, valid_to, expiration_model, primary_region";

/// The columns of `grants`, in the order both stores read them.
pub const GRANT_COLUMNS: &str = "account, region, key_id, id, name, grantee, retiring, issuing_account, operations, context_equals, context_subset, created";

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
