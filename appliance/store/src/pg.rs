//! The hub's PostgreSQL backend: a small pool of synchronous clients (called from tokio's
//! blocking pool, like the SQLite backend), the embedded forward-only migrations applied by
//! exactly one of several hub processes, and the [`Sql`] bridge for the hub's statements.

use std::collections::HashMap;
use std::time::Duration;

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{GenericClient, NoTls, Statement};

use crate::sql::{Row, Sql, Value};
use crate::{Result, StoreError};

/// Connections per hub process: a push holds one for its transaction, a report for two
/// queries; more would only queue inside PostgreSQL.
const POOL_SIZE: u32 = 8;

/// The advisory lock that serialises migrations between hub processes ("vappoint").
const MIGRATION_LOCK: i64 = 0x7661_7070_6f69_6e74;

type Pool = r2d2::Pool<Manager>;

/// A pooled connection: its client and the statements prepared on it, kept while it lives
/// (a push runs the same few statements every time: preparing each once saves a round trip
/// per statement after).
pub(crate) struct Conn {
    client: postgres::Client,
    prepared: HashMap<String, Statement>,
}

struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<Conn, postgres::Error> {
        Ok(Conn {
            client: self.config.connect(NoTls)?,
            prepared: HashMap::new(),
        })
    }

    /// Checked as it leaves the pool, so a connection to a primary that went away is
    /// replaced rather than failing a push.
    fn is_valid(&self, conn: &mut Conn) -> std::result::Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.is_closed()
    }
}

pub(crate) struct PgDb {
    /// Always `Some` until dropped.
    pool: Option<Pool>,
}

impl Drop for PgDb {
    /// Each sync client runs a small tokio runtime of its own, which panics if dropped on a
    /// thread of another runtime, where the hub's last reference may well go: the pool, and
    /// the clients with it, are dropped on a thread of their own.
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::Builder::new()
                .name("pg-close".into())
                .spawn(move || drop(pool));
        }
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // Each checked against the column's type: a mismatch is an error, never bytes of
        // one type read as another.
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => v.to_sql_checked(ty, out),
            Value::Bool(b) => b.to_sql_checked(ty, out),
            Value::Text(s) => s.to_sql_checked(ty, out),
            Value::Blob(b) => b.to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn value(row: &postgres::Row, i: usize) -> Result<Value> {
    let ty = row.columns()[i].type_();
    let v = match *ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Value::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)?
            .map(|v| Value::Int(v.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)?
            .map(|v| Value::Int(v.into())),
        Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map(Value::Bool),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => {
            row.try_get::<_, Option<String>>(i)?.map(Value::Text)
        }
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob),
        // e.g. NUMERIC from SUM(bigint): the statement casts it back to BIGINT.
        _ => {
            return Err(StoreError::Column {
                index: i,
                want: "a bigint, boolean, text or bytea column",
            });
        }
    };
    Ok(v.unwrap_or(Value::Null))
}

/// A client or a transaction on it, with the statements prepared on its connection.
pub(crate) struct Pg<'a, C: GenericClient> {
    client: &'a mut C,
    prepared: &'a mut HashMap<String, Statement>,
}

impl<C: GenericClient> Pg<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(st) = self.prepared.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql)?;
        self.prepared.insert(sql.to_owned(), st.clone());
        Ok(st)
    }
}

fn params(args: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

impl<C: GenericClient> Sql for Pg<'_, C> {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64> {
        let st = self.statement(sql)?;
        Ok(self.client.execute(&st, &params(args))?)
    }

    fn each(
        &mut self,
        sql: &str,
        args: &[Value],
        each: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        let st = self.statement(sql)?;
        for r in self.client.query(&st, &params(args))? {
            let row = (0..r.len())
                .map(|i| value(&r, i))
                .collect::<Result<Vec<_>>>()?;
            each(Row(row))?;
        }
        Ok(())
    }
}

impl PgDb {
    /// Connects to `url` (`postgres://user:password@host:port/db`) and brings its schema up
    /// to date with `migrations`.
    pub(crate) fn open(url: &str, migrations: &[&str]) -> Result<PgDb> {
        let mut config: postgres::Config = url.parse()?;
        if config.get_connect_timeout().is_none() {
            // A primary that vanished (failover) must fail a connection, not hang it.
            config.connect_timeout(Duration::from_secs(10));
        }
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager { config })?;
        migrate(&mut pool.get()?.client, migrations)?;
        Ok(PgDb { pool: Some(pool) })
    }

    fn pool(&self) -> &Pool {
        self.pool
            .as_ref()
            .expect("the pool lives until the store is dropped")
    }

    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let mut pooled = self.pool().get()?;
        let conn: &mut Conn = &mut pooled;
        let mut tx = conn.client.transaction()?;
        let out = f(&mut Pg {
            client: &mut tx,
            prepared: &mut conn.prepared,
        })?;
        tx.commit()?;
        Ok(out)
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let mut pooled = self.pool().get()?;
        let conn: &mut Conn = &mut pooled;
        f(&mut Pg {
            client: &mut conn.client,
            prepared: &mut conn.prepared,
        })
    }

    pub(crate) fn schema_version(&self) -> Result<u32> {
        Ok(version(&mut self.pool().get()?.client)? as u32)
    }
}

fn version(c: &mut impl GenericClient) -> Result<i64> {
    Ok(c.query_opt("SELECT max(version) FROM schema_version", &[])?
        .and_then(|r| r.get::<_, Option<i64>>(0))
        .unwrap_or(0))
}

/// Applies the migrations not yet applied, all in one transaction under an advisory lock:
/// hub processes starting together against an empty database wait for the first, which
/// applies them; the others then find the schema current. Same floor rule as SQLite's
/// (`migrate.rs`): a newer schema opens unless its `schema_floor` is past this binary.
fn migrate(client: &mut postgres::Client, migrations: &[&str]) -> Result<()> {
    let known = migrations.len() as i64;
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
    let found = version(&mut tx)?;
    if found > known {
        let has_floor: bool = tx
            .query_one("SELECT to_regclass('schema_floor') IS NOT NULL", &[])?
            .get(0);
        let floor: i64 = if has_floor {
            tx.query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_floor",
                &[],
            )?
            .get(0)
        } else {
            0
        };
        return crate::migrate::newer(found as u32, known as u32, floor as u32);
    }
    for (i, sql) in migrations.iter().enumerate().skip(found as usize) {
        let version = i as u32 + 1;
        tx.batch_execute(sql)
            .map_err(|source| StoreError::PgMigration { version, source })?;
        tracing::info!(version, "applied database migration");
    }
    if found < known {
        tx.execute("DELETE FROM schema_version", &[])?;
        tx.execute("INSERT INTO schema_version(version) VALUES ($1)", &[&known])?;
    }
    tx.commit()?;
    Ok(())
}
