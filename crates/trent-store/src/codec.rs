//! How each record is laid out in its table: one column list and one codec per record, used
//! by every insert, update and read of both drivers.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use trent_core::model::{
    AccessKeyRecord, AccountId, AccountRecord, AliasName, AliasRecord, AuditDigest, AuditRecord,
    ConnectionErrorCode, ConnectionState, CustomKeyStoreId, ExpirationModel, GrantRecord,
    ImportToken, KeyId, KeyManager, KeyRecord, KeySpec, KeyState, KeyStoreRecord, KeyStoreType,
    KeyUsage, LastUsage, MaterialId, Origin, PrincipalRecord, PrincipalType, Region, Rotation,
    RotationType, Scope, SealedMaterial, SessionRecord, Tag, UnixMillis, WrappingAlgorithm,
    WrappingKeySpec, XksProxyConnectivity, XksProxySettings,
};
use trent_core::store::{StoreError, StoreResult};

use crate::common::{json_list, json_map, json_tags, list_json, map_json, tags_json};
use crate::sql::{SqlRow, Value};

/// A value read from `column` that does not parse.
pub fn corrupt(column: &str) -> StoreError {
    StoreError::Corrupt(format!("corrupt value in column {column}"))
}

fn parsed<T>(value: Option<T>, column: &str) -> StoreResult<T> {
    value.ok_or_else(|| corrupt(column))
}

fn map_of(text: &str, column: &str) -> StoreResult<BTreeMap<String, String>> {
    parsed(json_map(text), column)
}

fn material_id(bytes: Vec<u8>, column: &str) -> StoreResult<MaterialId> {
    let id: [u8; 32] = bytes.try_into().map_err(|_| corrupt(column))?;
    Ok(MaterialId(id))
}

/// `$1, $2, …, $n`.
pub fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The scope and id at columns `from`, `from + 1` and `from + 2` (account, region, key id).
pub fn scope_and_id_at(row: &mut SqlRow, from: usize) -> StoreResult<(Scope, KeyId)> {
    Ok((
        Scope {
            account: parsed(AccountId::parse(&row.text(from)?), "account")?,
            region: parsed(Region::parse(&row.text(from + 1)?), "region")?,
        },
        parsed(KeyId::parse(&row.text(from + 2)?), "key id")?,
    ))
}

/// A row of `SELECT account, region, id`.
pub fn scope_and_id(mut row: SqlRow) -> StoreResult<(Scope, KeyId)> {
    scope_and_id_at(&mut row, 0)
}

/// The parameters naming a key: account, region and id, as `$1`, `$2` and `$3`.
pub fn key_ref(scope: &Scope, id: &KeyId) -> Vec<Value> {
    vec![
        scope.account.as_str().into(),
        scope.region.as_str().into(),
        id.as_str().into(),
    ]
}

/// The columns of `keys`, in the order [`key_values`] writes them and [`key_from_row`] reads
/// them.
pub const KEY_COLUMNS: &[&str] = &[
    "account",
    "region",
    "id",
    "created",
    "description",
    "spec",
    "usage",
    "origin",
    "manager",
    "state",
    "deletion_date",
    "pending_window_days",
    "current_material",
    "multi_region",
    "policy",
    "version",
    "public_key",
    "rotation_period_days",
    "next_rotation",
    "on_demand_rotations",
    "on_demand_started",
    "valid_to",
    "expiration_model",
    "primary_region",
    "policy_principals",
    "custom_key_store_id",
    "xks_key_id",
];

/// The columns of a key that never change after it is created; `version` is bumped by the
/// update itself.
const KEY_FIXED: &[&str] = &["account", "region", "id", "created", "version"];

/// `account, region, id, …`: every column of `keys`.
pub static KEY_SELECT: LazyLock<String> = LazyLock::new(|| KEY_COLUMNS.join(", "));

/// The statement that inserts a key, taking [`key_values`].
pub static INSERT_KEY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO keys ({}) VALUES ({})",
        *KEY_SELECT,
        placeholders(KEY_COLUMNS.len())
    )
});

/// The statement that writes a key back, bumping its version, taking [`key_update_values`].
pub static UPDATE_KEY: LazyLock<String> = LazyLock::new(|| {
    let set: Vec<String> = KEY_COLUMNS
        .iter()
        .filter(|c| !KEY_FIXED.contains(c))
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 4))
        .collect();
    format!(
        "UPDATE keys SET {}, version = version + 1 WHERE account = $1 AND region = $2 AND id = $3",
        set.join(", ")
    )
});

/// A key's values, in [`KEY_COLUMNS`] order.
pub fn key_values(key: &KeyRecord) -> Vec<Value> {
    vec![
        key.scope.account.as_str().into(),
        key.scope.region.as_str().into(),
        key.id.as_str().into(),
        key.created.0.into(),
        key.description.as_str().into(),
        key.spec.as_str().into(),
        key.usage.as_str().into(),
        key.origin.as_str().into(),
        key.manager.as_str().into(),
        key.state.as_str().into(),
        key.deletion_date.map(|d| d.0).into(),
        key.pending_window_days.map(i64::from).into(),
        key.current_material.0.as_slice().into(),
        key.multi_region.into(),
        key.policy.as_str().into(),
        key.version.into(),
        key.public_key.as_ref().into(),
        key.rotation.period_days.map(i64::from).into(),
        key.rotation.next.map(|d| d.0).into(),
        i64::from(key.rotation.on_demand_count).into(),
        key.rotation.on_demand_started.map(|d| d.0).into(),
        key.valid_to.map(|d| d.0).into(),
        key.expiration_model.map(ExpirationModel::as_str).into(),
        key.primary_region.as_ref().map(Region::as_str).into(),
        map_json(&key.policy_principals).into(),
        key.custom_key_store
            .as_ref()
            .map(CustomKeyStoreId::as_str)
            .into(),
        key.xks_key_id.as_deref().into(),
    ]
}

/// The parameters of [`UPDATE_KEY`]: the key's identity, then every column that may change.
pub fn key_update_values(key: &KeyRecord) -> Vec<Value> {
    let mut values = key_ref(&key.scope, &key.id);
    values.extend(
        KEY_COLUMNS
            .iter()
            .zip(key_values(key))
            .filter(|(c, _)| !KEY_FIXED.contains(c))
            .map(|(_, v)| v),
    );
    values
}

/// A key from a row of [`KEY_SELECT`].
pub fn key_from_row(mut row: SqlRow) -> StoreResult<KeyRecord> {
    let (scope, id) = scope_and_id_at(&mut row, 0)?;
    Ok(KeyRecord {
        scope,
        id,
        created: UnixMillis(row.int(3)?),
        description: row.text(4)?,
        spec: parsed(KeySpec::parse(&row.text(5)?), "keys.spec")?,
        usage: parsed(KeyUsage::parse(&row.text(6)?), "keys.usage")?,
        origin: parsed(Origin::parse(&row.text(7)?), "keys.origin")?,
        manager: parsed(KeyManager::parse(&row.text(8)?), "keys.manager")?,
        state: parsed(KeyState::parse(&row.text(9)?), "keys.state")?,
        deletion_date: row.opt_int(10)?.map(UnixMillis),
        pending_window_days: row.opt_int(11)?.and_then(|w| u32::try_from(w).ok()),
        current_material: material_id(row.bytes(12)?, "keys.current_material")?,
        multi_region: row.flag(13)?,
        policy: row.text(14)?,
        version: row.int(15)?,
        public_key: row.opt_bytes(16)?,
        rotation: Rotation {
            period_days: row.opt_int(17)?.and_then(|d| u32::try_from(d).ok()),
            next: row.opt_int(18)?.map(UnixMillis),
            on_demand_count: u32::try_from(row.int(19)?).unwrap_or_default(),
            on_demand_started: row.opt_int(20)?.map(UnixMillis),
        },
        valid_to: row.opt_int(21)?.map(UnixMillis),
        expiration_model: row
            .opt_text(22)?
            .map(|m| parsed(ExpirationModel::parse(&m), "keys.expiration_model"))
            .transpose()?,
        primary_region: row
            .opt_text(23)?
            .map(|r| parsed(Region::parse(&r), "keys.primary_region"))
            .transpose()?,
        policy_principals: map_of(&row.text(24)?, "keys.policy_principals")?,
        custom_key_store: row
            .opt_text(25)?
            .map(|id| parsed(CustomKeyStoreId::parse(&id), "keys.custom_key_store_id"))
            .transpose()?,
        xks_key_id: row.opt_text(26)?,
    })
}

/// The columns of `custom_key_stores`, in the order [`key_store_values`] writes them and
/// [`key_store_from_row`] reads them.
pub const KEY_STORE_SELECT: &str = "account, region, id, name, cluster_id, trust_anchor, sealed_password, state, error_code, created, store_type, xks_uri_endpoint, xks_uri_path, xks_connectivity, xks_access_key_id";

pub const INSERT_KEY_STORE: &str = "INSERT INTO custom_key_stores (account, region, id, name, cluster_id, trust_anchor, sealed_password, state, error_code, created, store_type, xks_uri_endpoint, xks_uri_path, xks_connectivity, xks_access_key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

/// Writes back what may change of a store, taking [`key_store_values`].
pub const UPDATE_KEY_STORE: &str = "UPDATE custom_key_stores SET name = $4, cluster_id = $5, trust_anchor = $6, sealed_password = $7, state = $8, error_code = $9, created = $10, store_type = $11, xks_uri_endpoint = $12, xks_uri_path = $13, xks_connectivity = $14, xks_access_key_id = $15 WHERE account = $1 AND region = $2 AND id = $3";

/// A store's values, in [`KEY_STORE_SELECT`] order.
pub fn key_store_values(store: &KeyStoreRecord) -> Vec<Value> {
    vec![
        store.scope.account.as_str().into(),
        store.scope.region.as_str().into(),
        store.id.as_str().into(),
        store.name.as_str().into(),
        store.cluster_id.as_str().into(),
        store.trust_anchor.as_str().into(),
        store.sealed_password.as_slice().into(),
        store.state.as_str().into(),
        store.error.map(ConnectionErrorCode::as_str).into(),
        store.created.0.into(),
        store.kind.as_str().into(),
        store.xks.as_ref().map(|x| x.uri_endpoint.as_str()).into(),
        store.xks.as_ref().map(|x| x.uri_path.as_str()).into(),
        store.xks.as_ref().map(|x| x.connectivity.as_str()).into(),
        store.xks.as_ref().map(|x| x.access_key_id.as_str()).into(),
    ]
}

/// A store from a row of [`KEY_STORE_SELECT`].
pub fn key_store_from_row(mut row: SqlRow) -> StoreResult<KeyStoreRecord> {
    Ok(KeyStoreRecord {
        scope: Scope {
            account: parsed(AccountId::parse(&row.text(0)?), "account")?,
            region: parsed(Region::parse(&row.text(1)?), "region")?,
        },
        id: parsed(
            CustomKeyStoreId::parse(&row.text(2)?),
            "custom_key_stores.id",
        )?,
        name: row.text(3)?,
        cluster_id: row.text(4)?,
        trust_anchor: row.text(5)?,
        sealed_password: row.bytes(6)?,
        state: parsed(
            ConnectionState::parse(&row.text(7)?),
            "custom_key_stores.state",
        )?,
        error: row
            .opt_text(8)?
            .map(|c| {
                parsed(
                    ConnectionErrorCode::parse(&c),
                    "custom_key_stores.error_code",
                )
            })
            .transpose()?,
        created: UnixMillis(row.int(9)?),
        kind: parsed(
            KeyStoreType::parse(&row.text(10)?),
            "custom_key_stores.store_type",
        )?,
        xks: match row.opt_text(11)? {
            None => None,
            Some(uri_endpoint) => Some(XksProxySettings {
                uri_endpoint,
                uri_path: row.opt_text(12)?.unwrap_or_default(),
                connectivity: parsed(
                    XksProxyConnectivity::parse(&row.opt_text(13)?.unwrap_or_default()),
                    "custom_key_stores.xks_connectivity",
                )?,
                access_key_id: row.opt_text(14)?.unwrap_or_default(),
            }),
        },
    })
}

/// The columns of `key_materials` that [`material_from_row`] reads.
pub const MATERIAL_SELECT: &str =
    "material_id, sealed, created, rotation_type, description, pending, valid_to, expiration_model";

/// Adds a material version, or (the same id again: a re-import) replaces its sealed bytes,
/// expiry and, when given, description.
pub const INSERT_MATERIAL: &str = "INSERT INTO key_materials (account, region, key_id, material_id, sealed, created, rotation_type, description, pending, valid_to, expiration_model)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (account, region, key_id, material_id) DO UPDATE SET sealed = excluded.sealed,
     description = COALESCE(excluded.description, key_materials.description),
     valid_to = excluded.valid_to, expiration_model = excluded.expiration_model";

/// The parameters of [`INSERT_MATERIAL`].
pub fn material_values(scope: &Scope, id: &KeyId, m: &SealedMaterial) -> Vec<Value> {
    let mut values = key_ref(scope, id);
    values.extend([
        m.id.0.as_slice().into(),
        m.sealed.as_slice().into(),
        m.created.0.into(),
        m.rotation.map(RotationType::as_str).into(),
        m.description.as_ref().into(),
        m.pending.into(),
        m.valid_to.map(|t| t.0).into(),
        m.expiration_model.map(ExpirationModel::as_str).into(),
    ]);
    values
}

pub fn material_from_row(mut row: SqlRow) -> StoreResult<SealedMaterial> {
    Ok(SealedMaterial {
        id: material_id(row.bytes(0)?, "key_materials.material_id")?,
        sealed: row.bytes(1)?,
        created: UnixMillis(row.int(2)?),
        rotation: row
            .opt_text(3)?
            .map(|r| parsed(RotationType::parse(&r), "key_materials.rotation_type"))
            .transpose()?,
        description: row.opt_text(4)?,
        pending: row.flag(5)?,
        valid_to: row.opt_int(6)?.map(UnixMillis),
        expiration_model: row
            .opt_text(7)?
            .map(|m| parsed(ExpirationModel::parse(&m), "key_materials.expiration_model"))
            .transpose()?,
    })
}

/// The columns of `aliases`, in [`alias_values`] order.
pub const ALIAS_SELECT: &str = "account, region, name, target, created, updated";

pub const INSERT_ALIAS: &str = "INSERT INTO aliases (account, region, name, target, created, updated) VALUES ($1, $2, $3, $4, $5, $6)";

pub fn alias_values(alias: &AliasRecord) -> Vec<Value> {
    vec![
        alias.scope.account.as_str().into(),
        alias.scope.region.as_str().into(),
        alias.name.as_str().into(),
        alias.target.as_str().into(),
        alias.created.0.into(),
        alias.updated.0.into(),
    ]
}

pub fn alias_from_row(mut row: SqlRow) -> StoreResult<AliasRecord> {
    Ok(AliasRecord {
        scope: Scope {
            account: parsed(AccountId::parse(&row.text(0)?), "aliases.account")?,
            region: parsed(Region::parse(&row.text(1)?), "aliases.region")?,
        },
        name: AliasName::parse(&row.text(2)?).map_err(|_| corrupt("aliases.name"))?,
        target: parsed(KeyId::parse(&row.text(3)?), "aliases.target")?,
        created: UnixMillis(row.int(4)?),
        updated: UnixMillis(row.int(5)?),
    })
}

/// Adds or replaces a tag.
pub const PUT_TAG: &str =
    "INSERT INTO tags (account, region, key_id, tag_key, tag_value) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (account, region, key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value";

pub fn tag_values(scope: &Scope, id: &KeyId, tag: &Tag) -> Vec<Value> {
    let mut values = key_ref(scope, id);
    values.extend([tag.key.as_str().into(), tag.value.as_str().into()]);
    values
}

pub fn tag_from_row(mut row: SqlRow) -> StoreResult<Tag> {
    Ok(Tag {
        key: row.text(0)?,
        value: row.text(1)?,
    })
}

/// The columns of `grants`, in [`grant_values`] order.
pub const GRANT_SELECT: &str = "account, region, key_id, id, name, grantee, retiring, issuing_account, operations, context_equals, context_subset, created, grantee_id, retiring_id";

pub static INSERT_GRANT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO grants ({GRANT_SELECT}) VALUES ({})",
        placeholders(14)
    )
});

pub fn grant_values(g: &GrantRecord) -> Vec<Value> {
    let mut values = key_ref(&g.scope, &g.key);
    values.extend([
        g.id.as_str().into(),
        g.name.as_ref().into(),
        g.grantee.as_str().into(),
        g.retiring.as_ref().into(),
        g.issuing_account.as_str().into(),
        g.operations.join(",").into(),
        g.context_equals.as_ref().map(map_json).into(),
        g.context_subset.as_ref().map(map_json).into(),
        g.created.0.into(),
        g.grantee_id.as_ref().into(),
        g.retiring_id.as_ref().into(),
    ]);
    values
}

pub fn grant_from_row(mut row: SqlRow) -> StoreResult<GrantRecord> {
    let (scope, key) = scope_and_id_at(&mut row, 0)?;
    let operations = row.text(8)?;
    Ok(GrantRecord {
        scope,
        key,
        id: row.text(3)?,
        name: row.opt_text(4)?,
        grantee: row.text(5)?,
        grantee_id: row.opt_text(12)?,
        retiring: row.opt_text(6)?,
        retiring_id: row.opt_text(13)?,
        issuing_account: row.text(7)?,
        operations: operations
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        context_equals: row
            .opt_text(9)?
            .map(|t| map_of(&t, "grants.context_equals"))
            .transpose()?,
        context_subset: row
            .opt_text(10)?
            .map(|t| map_of(&t, "grants.context_subset"))
            .transpose()?,
        created: UnixMillis(row.int(11)?),
    })
}

pub const AUDIT_SELECT: &str = "seq, time, event, hash";

pub fn audit_from_row(mut row: SqlRow) -> StoreResult<AuditRecord> {
    Ok(AuditRecord {
        seq: row.int(0)?,
        time: UnixMillis(row.int(1)?),
        event: row.text(2)?,
        hash: row.bytes(3)?,
    })
}

pub const DIGEST_SELECT: &str = "first_seq, last_seq, last_hash, time, signature";

pub fn digest_from_row(mut row: SqlRow) -> StoreResult<AuditDigest> {
    Ok(AuditDigest {
        first_seq: row.int(0)?,
        last_seq: row.int(1)?,
        last_hash: row.bytes(2)?,
        time: UnixMillis(row.int(3)?),
        signature: row.bytes(4)?,
    })
}

pub fn account_from_row(mut row: SqlRow) -> StoreResult<AccountRecord> {
    Ok(AccountRecord {
        id: parsed(AccountId::parse(&row.text(0)?), "accounts.id")?,
        regions: row
            .text(1)?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| parsed(Region::parse(s), "accounts.regions"))
            .collect::<StoreResult<_>>()?,
    })
}

pub const ACCESS_KEY_SELECT: &str = "id, account, user_name, sealed_secret, enabled, created";

pub fn access_key_values(key: &AccessKeyRecord) -> Vec<Value> {
    vec![
        key.id.as_str().into(),
        key.account.as_str().into(),
        key.user.as_ref().into(),
        key.sealed_secret.as_slice().into(),
        key.enabled.into(),
        key.created.0.into(),
    ]
}

pub fn access_key_from_row(mut row: SqlRow) -> StoreResult<AccessKeyRecord> {
    Ok(AccessKeyRecord {
        id: row.text(0)?,
        account: parsed(AccountId::parse(&row.text(1)?), "access_keys.account")?,
        user: row.opt_text(2)?,
        sealed_secret: row.bytes(3)?,
        enabled: row.flag(4)?,
        created: UnixMillis(row.int(5)?),
    })
}

pub const PRINCIPAL_SELECT: &str =
    "account, kind, name, id, tags, policies, trust_policy, max_session_seconds, created";

pub fn principal_values(p: &PrincipalRecord) -> Vec<Value> {
    vec![
        p.account.as_str().into(),
        p.kind.as_str().into(),
        p.name.as_str().into(),
        p.id.as_str().into(),
        tags_json(&p.tags).into(),
        map_json(&p.policies).into(),
        p.trust_policy.as_ref().into(),
        i64::from(p.max_session_seconds).into(),
        p.created.0.into(),
    ]
}

pub fn principal_from_row(mut row: SqlRow) -> StoreResult<PrincipalRecord> {
    Ok(PrincipalRecord {
        account: parsed(AccountId::parse(&row.text(0)?), "principals.account")?,
        kind: parsed(PrincipalType::parse(&row.text(1)?), "principals.kind")?,
        name: row.text(2)?,
        id: row.text(3)?,
        tags: parsed(json_tags(&row.text(4)?), "principals.tags")?,
        policies: map_of(&row.text(5)?, "principals.policies")?,
        trust_policy: row.opt_text(6)?,
        max_session_seconds: parsed(
            u32::try_from(row.int(7)?).ok(),
            "principals.max_session_seconds",
        )?,
        created: UnixMillis(row.int(8)?),
    })
}

pub const SESSION_SELECT: &str = "access_key_id, sealed_secret, sealed_token, account, role_name, session_name, tags, expires, role_id, transitive_tag_keys";

pub fn session_values(s: &SessionRecord) -> Vec<Value> {
    vec![
        s.access_key_id.as_str().into(),
        s.sealed_secret.as_slice().into(),
        s.sealed_token.as_slice().into(),
        s.account.as_str().into(),
        s.role_name.as_str().into(),
        s.session_name.as_str().into(),
        tags_json(&s.tags).into(),
        s.expires.0.into(),
        s.role_id.as_str().into(),
        list_json(&s.transitive_tag_keys).into(),
    ]
}

pub fn session_from_row(mut row: SqlRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        access_key_id: row.text(0)?,
        sealed_secret: row.bytes(1)?,
        sealed_token: row.bytes(2)?,
        account: parsed(AccountId::parse(&row.text(3)?), "sessions.account")?,
        role_name: row.text(4)?,
        session_name: row.text(5)?,
        tags: parsed(json_tags(&row.text(6)?), "sessions.tags")?,
        expires: UnixMillis(row.int(7)?),
        role_id: row.text(8)?,
        transitive_tag_keys: parsed(json_list(&row.text(9)?), "sessions.transitive_tag_keys")?,
    })
}

pub const IMPORT_TOKEN_SELECT: &str =
    "token, account, region, key_id, sealed_private, wrapping_algorithm, wrapping_spec, expires";

pub fn import_token_values(t: &ImportToken) -> Vec<Value> {
    vec![
        t.token.as_str().into(),
        t.scope.account.as_str().into(),
        t.scope.region.as_str().into(),
        t.key.as_str().into(),
        t.sealed_private.as_slice().into(),
        t.algorithm.as_str().into(),
        t.spec.as_str().into(),
        t.expires.0.into(),
    ]
}

pub fn import_token_from_row(mut row: SqlRow) -> StoreResult<ImportToken> {
    let token = row.text(0)?;
    let (scope, key) = scope_and_id_at(&mut row, 1)?;
    Ok(ImportToken {
        token,
        scope,
        key,
        sealed_private: row.bytes(4)?,
        algorithm: parsed(
            WrappingAlgorithm::parse(&row.text(5)?),
            "import_tokens.wrapping_algorithm",
        )?,
        spec: parsed(
            WrappingKeySpec::parse(&row.text(6)?),
            "import_tokens.wrapping_spec",
        )?,
        expires: UnixMillis(row.int(7)?),
    })
}

pub fn usage_from_row(mut row: SqlRow) -> StoreResult<LastUsage> {
    Ok(LastUsage {
        operation: row.text(0)?,
        at: UnixMillis(row.int(1)?),
        request_id: row.text(2)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_update_sets_every_changeable_column_once() {
        let set = UPDATE_KEY.split(" WHERE ").next().unwrap_or_default();
        for column in KEY_COLUMNS {
            let assigned = set.contains(&format!(" {column} = $"));
            assert_eq!(
                assigned,
                !KEY_FIXED.contains(column),
                "{column} in {}",
                *UPDATE_KEY
            );
        }
        // Three identity parameters, then one per changeable column.
        let changeable = KEY_COLUMNS.len() - KEY_FIXED.len();
        assert!(UPDATE_KEY.contains(&format!("${}", changeable + 3)));
        assert!(!UPDATE_KEY.contains(&format!("${}", changeable + 4)));
    }

    #[test]
    fn the_insert_names_every_column() {
        assert!(INSERT_KEY.contains(&format!("${}", KEY_COLUMNS.len())));
        assert_eq!(KEY_SELECT.split(", ").count(), KEY_COLUMNS.len());
    }
}
