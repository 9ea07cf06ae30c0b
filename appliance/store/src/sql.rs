//! The hub's SQL written once for SQLite and PostgreSQL: statements use `$N` placeholders
//! (rewritten to `?N` for SQLite by [`sqlite_dialect`]), arguments and rows are plain
//! [`Value`]s, so each of the hub's queries is one string, run and read the same way on both.

use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::{Result, StoreError};

/// An argument or a column: the few types the hub's tables hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
    /// PostgreSQL's answer to `x IS NULL`, `EXISTS (...)`; SQLite answers an integer.
    Bool(bool),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Int(v.into())
    }
}

impl From<u8> for Value {
    fn from(v: u8) -> Value {
        Value::Int(v.into())
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Value {
        // Counts and byte sizes: far below i64::MAX.
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Blob(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// `args![a, b]`: the arguments of a statement, each converted to a [`Value`].
macro_rules! args {
    ($($a:expr),* $(,)?) => {
        &[$($crate::sql::Value::from($a)),*][..]
    };
}
pub(crate) use args;

/// One row of a result, read by column index.
#[derive(Debug, Clone)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> &Value {
        self.0.get(i).unwrap_or(&Value::Null)
    }

    fn wrong(i: usize, want: &'static str) -> StoreError {
        StoreError::Column { index: i, want }
    }

    pub(crate) fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        match self.at(i) {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            Value::Bool(b) => Ok(Some((*b).into())),
            _ => Err(Self::wrong(i, "integer")),
        }
    }

    pub(crate) fn i64(&self, i: usize) -> Result<i64> {
        self.opt_i64(i)?.ok_or(Self::wrong(i, "integer"))
    }

    /// A count, which is never negative.
    pub(crate) fn u64(&self, i: usize) -> Result<u64> {
        u64::try_from(self.i64(i)?).map_err(|_| Self::wrong(i, "count"))
    }

    pub(crate) fn bool(&self, i: usize) -> Result<bool> {
        Ok(self.i64(i)? != 0)
    }

    pub(crate) fn opt_string(&self, i: usize) -> Result<Option<String>> {
        match self.at(i) {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            _ => Err(Self::wrong(i, "text")),
        }
    }

    pub(crate) fn string(&self, i: usize) -> Result<String> {
        self.opt_string(i)?.ok_or(Self::wrong(i, "text"))
    }

    pub(crate) fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        match self.at(i) {
            Value::Null => Ok(None),
            Value::Blob(b) => Ok(Some(b.clone())),
            _ => Err(Self::wrong(i, "bytes")),
        }
    }

    pub(crate) fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        self.opt_bytes(i)?.ok_or(Self::wrong(i, "bytes"))
    }
}

/// A connection or transaction on either backend.
pub(crate) trait Sql {
    /// Runs a statement; returns how many rows it changed.
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64>;

    /// Runs a query and hands each row to `each`, in order.
    fn each(
        &mut self,
        sql: &str,
        args: &[Value],
        each: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()>;

    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>> {
        let mut out = Vec::new();
        self.each(sql, args, &mut |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    fn opt(&mut self, sql: &str, args: &[Value]) -> Result<Option<Row>> {
        Ok(self.rows(sql, args)?.into_iter().next())
    }

    fn one(&mut self, sql: &str, args: &[Value]) -> Result<Row> {
        self.opt(sql, args)?.ok_or(StoreError::NotFound)
    }
}

/// A statement as SQLite takes it: `$N` placeholders become `?N`, and a trailing
/// `FOR UPDATE` (PostgreSQL's row lock) is dropped: a SQLite write transaction already holds
/// the whole database (`BEGIN IMMEDIATE`). The hub's statements hold no `$` in literals.
pub(crate) fn sqlite_dialect(sql: &str) -> String {
    let trimmed = sql.trim_end();
    let sql = trimmed.strip_suffix("FOR UPDATE").unwrap_or(trimmed);
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out.trim_end().to_owned()
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Bool(b) => ValueRef::Integer((*b).into()),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A SQLite connection (or a transaction on one, which derefs to it).
pub(crate) struct Lite<'a>(pub(crate) &'a rusqlite::Connection);

impl Sql for Lite<'_> {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64> {
        let mut st = self.0.prepare_cached(&sqlite_dialect(sql))?;
        Ok(st.execute(rusqlite::params_from_iter(args))? as u64)
    }

    fn each(
        &mut self,
        sql: &str,
        args: &[Value],
        each: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        let mut st = self.0.prepare_cached(&sqlite_dialect(sql))?;
        let n = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                    ValueRef::Real(_) => {
                        return Err(StoreError::Column {
                            index: i,
                            want: "no real",
                        });
                    }
                });
            }
            each(Row(row))?;
        }
        Ok(())
    }
}

/// Maps a unique-constraint violation to a named conflict on either backend; other errors
/// pass through. A needle is SQLite's `table.column`; PostgreSQL's constraint (or unique
/// index) is named `table_column...`, so the same needle finds both.
pub(crate) fn unique_conflict(e: StoreError, what: &[(&str, &'static str)]) -> StoreError {
    match e {
        StoreError::Sqlite(e) => crate::conflict_on(e, what),
        StoreError::Postgres(e) => {
            let constraint = e
                .as_db_error()
                .filter(|d| *d.code() == postgres::error::SqlState::UNIQUE_VIOLATION)
                .and_then(|d| d.constraint().map(str::to_owned));
            if let Some(c) = constraint {
                for (needle, name) in what {
                    if c.starts_with(&needle.replace('.', "_")) {
                        return StoreError::Conflict(name);
                    }
                }
            }
            StoreError::Postgres(e)
        }
        e => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_sqlites() {
        assert_eq!(
            sqlite_dialect("SELECT a FROM t WHERE b = $1 AND c = $12"),
            "SELECT a FROM t WHERE b = ?1 AND c = ?12"
        );
        // Only `$` before a digit is a placeholder.
        assert_eq!(sqlite_dialect("SELECT '$x' || $2"), "SELECT '$x' || ?2");
    }

    #[test]
    fn row_locks_are_dropped_for_sqlite() {
        assert_eq!(
            sqlite_dialect("SELECT last_seq FROM stations WHERE code = $1 FOR UPDATE\n   "),
            "SELECT last_seq FROM stations WHERE code = ?1"
        );
        // Only at the end: a column or word that merely contains it stays.
        assert_eq!(
            sqlite_dialect("SELECT for_update FROM t"),
            "SELECT for_update FROM t"
        );
    }

    #[test]
    fn rows_read_integers_booleans_and_nulls_alike() {
        let r = Row(vec![
            Value::Int(3),
            Value::Bool(true),
            Value::Null,
            Value::Text("x".into()),
        ]);
        assert_eq!(r.i64(0).unwrap(), 3);
        assert!(r.bool(1).unwrap());
        assert_eq!(r.opt_i64(2).unwrap(), None);
        assert!(r.i64(2).is_err());
        assert!(r.i64(3).is_err());
        assert_eq!(r.string(3).unwrap(), "x");
    }
}
