//! The driver-neutral SQL layer: the values and rows every statement passes, the transaction
//! trait each driver implements, and the one map from a violated constraint to its meaning.
//!
//! Statements are written once, with PostgreSQL's `$n` placeholders (the SQLite driver turns
//! them into `?n`), in the SQL both databases speak. What differs between the two (row locks,
//! the column that keeps insertion order) comes from [`Dialect`].

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use trent_core::store::{Constraint, StoreError, StoreResult};

/// A future a transaction body returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A statement's parameter, or a column's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl From<&Vec<u8>> for Value {
    fn from(v: &Vec<u8>) -> Self {
        Value::Bytes(v.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a statement, each converted into a [`Value`].
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::sql::Value::from($value)),*][..]
    };
}
pub(crate) use args;

/// One row a query returned, its columns in the statement's order.
#[derive(Debug)]
pub struct SqlRow(pub Vec<Value>);

fn corrupt(column: usize, wanted: &str) -> StoreError {
    StoreError::Corrupt(format!("column {column} holds no {wanted}"))
}

impl SqlRow {
    fn take(&mut self, i: usize) -> Value {
        self.0
            .get_mut(i)
            .map_or(Value::Null, |v| std::mem::replace(v, Value::Null))
    }

    pub fn opt_text(&mut self, i: usize) -> StoreResult<Option<String>> {
        match self.take(i) {
            Value::Null => Ok(None),
            Value::Text(t) => Ok(Some(t)),
            _ => Err(corrupt(i, "text")),
        }
    }

    pub fn text(&mut self, i: usize) -> StoreResult<String> {
        self.opt_text(i)?.ok_or_else(|| corrupt(i, "text"))
    }

    pub fn opt_int(&mut self, i: usize) -> StoreResult<Option<i64>> {
        match self.take(i) {
            Value::Null => Ok(None),
            Value::Int(n) => Ok(Some(n)),
            _ => Err(corrupt(i, "integer")),
        }
    }

    pub fn int(&mut self, i: usize) -> StoreResult<i64> {
        self.opt_int(i)?.ok_or_else(|| corrupt(i, "integer"))
    }

    /// A boolean: PostgreSQL's `BOOLEAN`, or SQLite's 0 and 1.
    pub fn flag(&mut self, i: usize) -> StoreResult<bool> {
        match self.take(i) {
            Value::Bool(b) => Ok(b),
            Value::Int(n) => Ok(n != 0),
            _ => Err(corrupt(i, "boolean")),
        }
    }

    pub fn opt_bytes(&mut self, i: usize) -> StoreResult<Option<Vec<u8>>> {
        match self.take(i) {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b)),
            _ => Err(corrupt(i, "bytes")),
        }
    }

    pub fn bytes(&mut self, i: usize) -> StoreResult<Vec<u8>> {
        self.opt_bytes(i)?.ok_or_else(|| corrupt(i, "bytes"))
    }
}

/// What differs between the databases' SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The clause that locks the rows a `SELECT` reads until the transaction ends. SQLite has
    /// none and needs none: it runs one writing transaction at a time.
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// The column of `key_materials` that keeps insertion order.
    pub fn material_order(self) -> &'static str {
        match self {
            Dialect::Sqlite => "rowid",
            Dialect::Postgres => "ord",
        }
    }
}

/// A connection inside a transaction (or, for reads, outside one): the only way the store's
/// statements reach a database.
#[async_trait]
pub trait Tx: Send {
    fn dialect(&self) -> Dialect;

    /// Runs a statement; the number of rows it changed.
    async fn execute(&mut self, sql: &str, params: &[Value]) -> StoreResult<u64>;

    /// Runs a query; its rows.
    async fn query(&mut self, sql: &str, params: &[Value]) -> StoreResult<Vec<SqlRow>>;

    /// Runs a query that returns at most one row.
    async fn query_opt(&mut self, sql: &str, params: &[Value]) -> StoreResult<Option<SqlRow>> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }

    /// Runs a query that returns exactly one row.
    async fn query_one(&mut self, sql: &str, params: &[Value]) -> StoreResult<SqlRow> {
        self.query_opt(sql, params)
            .await?
            .ok_or_else(|| StoreError::Unavailable("a query returned no row".to_owned()))
    }

    /// Runs a `SELECT COUNT(*)`.
    async fn count(&mut self, sql: &str, params: &[Value]) -> StoreResult<usize> {
        let n = self.query_one(sql, params).await?.int(0)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
}

/// The body of a store call: runs against a [`Tx`] and may refuse (rolling the transaction
/// back) with a [`StoreError`].
pub type Body<T> = Box<dyn for<'c> FnOnce(&'c mut dyn Tx) -> BoxFuture<'c, StoreResult<T>> + Send>;

/// A violated rule, as a driver reports it: the table whose unique key or foreign key broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation<'a> {
    Unique { table: &'a str },
    ForeignKey,
}

/// What a violated rule means to the store's callers, by the table it names.
pub fn constraint(violation: Violation<'_>) -> Constraint {
    match violation {
        Violation::ForeignKey => Constraint::ForeignKey,
        Violation::Unique { table } => match table {
            "aliases" => Constraint::Alias,
            "keys" => Constraint::Key,
            "custom_key_stores" => Constraint::KeyStoreName,
            "access_keys" => Constraint::AccessKey,
            "audit_digests" => Constraint::AuditDigest,
            _ => Constraint::Other,
        },
    }
}

/// The statement with each `$n` placeholder written as `?n` (SQLite's numbered form), leaving
/// quoted text alone.
pub fn question_marks(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '$' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_question_marks_outside_quotes() {
        let cases = [
            ("SELECT $1", "SELECT ?1"),
            ("a = $12 AND b = $3", "a = ?12 AND b = ?3"),
            ("x = '$1' AND y = $2", "x = '$1' AND y = ?2"),
            ("no params", "no params"),
            ("cost $ 5", "cost $ 5"),
        ];
        for (sql, want) in cases {
            assert_eq!(question_marks(sql), want, "{sql}");
        }
    }

    #[test]
    fn constraints_are_named_by_their_table() {
        let cases = [
            (Violation::Unique { table: "aliases" }, Constraint::Alias),
            (Violation::Unique { table: "keys" }, Constraint::Key),
            (
                Violation::Unique {
                    table: "access_keys",
                },
                Constraint::AccessKey,
            ),
            (
                Violation::Unique {
                    table: "audit_digests",
                },
                Constraint::AuditDigest,
            ),
            (Violation::Unique { table: "grants" }, Constraint::Other),
            (Violation::ForeignKey, Constraint::ForeignKey),
        ];
        for (violation, want) in cases {
            assert_eq!(constraint(violation), want, "{violation:?}");
        }
    }

    #[test]
    fn rows_hand_out_typed_columns() {
        let mut row = SqlRow(vec![
            Value::Text("a".into()),
            Value::Null,
            Value::Int(1),
            Value::Bool(true),
            Value::Bytes(vec![7]),
        ]);
        assert_eq!(row.text(0).unwrap(), "a");
        assert_eq!(row.opt_text(1).unwrap(), None);
        assert!(row.flag(2).unwrap());
        assert!(row.flag(3).unwrap());
        assert_eq!(row.bytes(4).unwrap(), vec![7]);
        assert!(SqlRow(vec![Value::Int(1)]).text(0).is_err());
        assert!(SqlRow(vec![Value::Null]).int(0).is_err());
    }
}
