//! Moving a hub from its SQLite file to PostgreSQL (`vappoint hub migrate-to-postgres`):
//! every table copied into an empty database in one transaction, identities set past the
//! copied ids.

use super::{HubDb, HubStore};
use crate::sql::{Sql, args};
use crate::{Result, StoreError};

/// The hub's tables, each after the tables its rows refer to.
const TABLES: &[&str] = &[
    "stations",
    "applied",
    "officers",
    "availability",
    "daily",
    "admins",
    "admin_sessions",
    "settings",
    "audit_heads",
    "station_health",
    "updates",
    "backups",
    "replacement_codes",
    "retired_certs",
];

/// The tables whose ids the database numbers (GENERATED ... AS IDENTITY on PostgreSQL).
const NUMBERED: &[&str] = &["admins", "backups"];

impl HubStore {
    /// Copies every row of this hub (SQLite, not running) into `target` (PostgreSQL, freshly
    /// migrated and empty: a database holding anything is refused), in one transaction, and
    /// returns the rows copied per table.
    pub fn copy_to_postgres(&self, target: &HubStore) -> Result<Vec<(String, u64)>> {
        let (HubDb::Sqlite(source), HubDb::Postgres(_)) = (&self.db, &target.db) else {
            return Err(StoreError::Conflict("copy_needs_sqlite_to_postgres"));
        };
        let (from, to) = (self.schema_version()?, target.schema_version()?);
        if from != to {
            // Both are opened by this binary, so both are at its schema unless one is newer.
            return Err(StoreError::TooNew {
                found: from.max(to),
                known: from.min(to),
            });
        }
        target.db.write(|pg| {
            for table in TABLES {
                let taken = pg
                    .one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), args![])?
                    .bool(0)?;
                if taken {
                    return Err(StoreError::NotEmpty(table.to_string()));
                }
            }
            let mut copied = Vec::new();
            for table in TABLES {
                let n = source.read(|c| copy_table(&mut crate::sql::Lite(c), pg, table))?;
                copied.push((table.to_string(), n));
            }
            for table in NUMBERED {
                pg.one(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                            COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                    ),
                    args![],
                )?;
            }
            Ok(copied)
        })
    }
}

fn copy_table(from: &mut dyn Sql, to: &mut dyn Sql, table: &str) -> Result<u64> {
    let columns = from
        .rows(
            "SELECT name FROM pragma_table_info($1) ORDER BY cid",
            args![table],
        )?
        .iter()
        .map(|r| r.string(0))
        .collect::<Result<Vec<_>>>()?;
    let list = columns.join(", ");
    let placeholders = (1..=columns.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let insert = format!("INSERT INTO {table} ({list}) VALUES ({placeholders})");
    let mut n = 0;
    from.each(
        &format!("SELECT {list} FROM {table}"),
        args![],
        &mut |row| {
            to.exec(&insert, &row.0)?;
            n += 1;
            Ok(())
        },
    )?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_the_hub_is_copied() {
        let dir = tempfile::tempdir().unwrap();
        let hub = HubStore::open(&dir.path().join("hub.db")).unwrap();
        let mut tables: Vec<String> = hub
            .db
            .read(|c| {
                c.rows(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                    args![],
                )?
                .iter()
                .map(|r| r.string(0))
                .collect()
            })
            .unwrap();
        tables.sort();
        let mut known: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
        known.sort();
        assert_eq!(
            tables, known,
            "a new hub table is added to TABLES in copy.rs"
        );
    }
}
