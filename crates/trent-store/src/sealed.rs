//! Every column that holds a value sealed under the root key, and the re-seal that walks them
//! all inside one transaction (`trent root-key rotate`).

use trent_core::store::{Resealer, SealedSlot, StoreError, StoreResult};

use crate::codec::{corrupt, scope_and_id_at};
use crate::sql::{SqlRow, Tx, Value};
use trent_core::model::MaterialId;

/// A sealed column: its table, the columns that say which row holds the value (its primary
/// key), and how to name the place from them.
struct SealedColumn {
    table: &'static str,
    column: &'static str,
    locator: &'static [&'static str],
    slot: fn(&mut SqlRow) -> StoreResult<SealedSlot>,
}

const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        table: "meta",
        column: "value",
        locator: &["name"],
        slot: |r| Ok(SealedSlot::Meta { name: r.text(0)? }),
    },
    SealedColumn {
        table: "access_keys",
        column: "sealed_secret",
        locator: &["id"],
        slot: |r| Ok(SealedSlot::AccessKey { id: r.text(0)? }),
    },
    SealedColumn {
        table: "custom_key_stores",
        column: "sealed_password",
        locator: &["id"],
        slot: |r| {
            Ok(SealedSlot::KeyStorePassword {
                id: trent_core::model::CustomKeyStoreId::parse(&r.text(0)?)
                    .ok_or_else(|| corrupt("custom_key_stores.id"))?,
            })
        },
    },
    SealedColumn {
        table: "sessions",
        column: "sealed_secret",
        locator: &["access_key_id"],
        slot: |r| {
            Ok(SealedSlot::SessionSecret {
                access_key_id: r.text(0)?,
            })
        },
    },
    SealedColumn {
        table: "sessions",
        column: "sealed_token",
        locator: &["access_key_id"],
        slot: |r| {
            Ok(SealedSlot::SessionToken {
                access_key_id: r.text(0)?,
            })
        },
    },
    SealedColumn {
        table: "key_materials",
        column: "sealed",
        locator: &["account", "region", "key_id", "material_id"],
        slot: |r| {
            let (scope, key) = scope_and_id_at(r, 0)?;
            let id: [u8; 32] = r
                .bytes(3)?
                .try_into()
                .map_err(|_| corrupt("key_materials.material_id"))?;
            Ok(SealedSlot::Material {
                scope,
                key,
                material: MaterialId(id),
            })
        },
    },
    SealedColumn {
        table: "import_tokens",
        column: "sealed_private",
        locator: &["account", "region", "key_id", "token"],
        slot: |r| {
            let (scope, key) = scope_and_id_at(r, 0)?;
            Ok(SealedSlot::ImportToken {
                token: r.text(3)?,
                scope,
                key,
            })
        },
    },
];

/// Re-seals every sealed value; how many changed. A value the resealer cannot open fails the
/// whole call (and so rolls the transaction back).
pub async fn reseal_all(tx: &mut dyn Tx, reseal: &Resealer) -> StoreResult<u64> {
    let mut total = 0u64;
    for column in SEALED_COLUMNS {
        total = total.saturating_add(reseal_column(tx, column, reseal).await?);
    }
    Ok(total)
}

async fn reseal_column(
    tx: &mut dyn Tx,
    column: &SealedColumn,
    reseal: &Resealer,
) -> StoreResult<u64> {
    let lock = tx.dialect().for_update();
    let select = format!(
        "SELECT {}, {} FROM {}{lock}",
        column.locator.join(", "),
        column.column,
        column.table
    );
    let rows = tx.query(&select, &[]).await?;
    let at = column.locator.len();
    let matches: Vec<String> = column
        .locator
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 2))
        .collect();
    let update = format!(
        "UPDATE {} SET {} = $1 WHERE {}",
        column.table,
        column.column,
        matches.join(" AND ")
    );
    let mut count = 0u64;
    for mut row in rows {
        let sealed = row.bytes(at)?;
        let locator: Vec<Value> = row.0.iter().take(at).cloned().collect();
        let slot = (column.slot)(&mut row)?;
        match reseal(&slot, &sealed) {
            Ok(Some(new)) => {
                let mut params = vec![Value::Bytes(new)];
                params.extend(locator);
                tx.execute(&update, &params).await?;
                count = count.saturating_add(1);
            }
            Ok(None) => {}
            Err(why) => return Err(StoreError::Corrupt(why)),
        }
    }
    Ok(count)
}
