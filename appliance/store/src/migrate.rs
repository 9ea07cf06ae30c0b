//! Forward-only schema migrations, embedded in the binary and tracked by `user_version`.
//!
//! Migrations follow expand/contract (ARCHITECTURE.md, "Migrations"): a migration only adds
//! (tables, nullable or defaulted columns, indexes), so the previous release, which an update
//! rolls back to, still runs on the newer schema and its bookings land in it. A migration that
//! removes or renames something (a contract step, two releases after nothing reads it) also
//! raises `schema_floor`: the oldest schema a binary may know and still open this database.

use rusqlite::{Connection, OptionalExtension};

use crate::{Result, StoreError};

/// The station's migrations, in order. Never edit a shipped one: add the next number.
pub(crate) const STATION: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_calls.sql"),
    include_str!("../migrations/0003_federation.sql"),
    include_str!("../migrations/0004_call_states.sql"),
    include_str!("../migrations/0005_reminders.sql"),
    include_str!("../migrations/0006_abuse.sql"),
    include_str!("../migrations/0007_audit.sql"),
    include_str!("../migrations/0008_retention.sql"),
    include_str!("../migrations/0009_backups.sql"),
    include_str!("../migrations/0010_mail_counts.sql"),
];

/// The hub's migrations.
pub(crate) const HUB: &[&str] = &[
    include_str!("../migrations/hub/0001_hub.sql"),
    include_str!("../migrations/hub/0002_aliases.sql"),
    include_str!("../migrations/hub/0003_audit.sql"),
    include_str!("../migrations/hub/0004_health.sql"),
    include_str!("../migrations/hub/0005_updates.sql"),
    include_str!("../migrations/hub/0006_backups.sql"),
];

/// The hub's migrations on PostgreSQL (`pg.rs` runs them): numbered like [`HUB`], so
/// version N means the same schema on both backends. A new hub migration is written twice.
pub(crate) const HUB_POSTGRES: &[&str] = &[
    include_str!("../migrations/hub-postgres/0001_hub.sql"),
    include_str!("../migrations/hub-postgres/0002_aliases.sql"),
    include_str!("../migrations/hub-postgres/0003_audit.sql"),
    include_str!("../migrations/hub-postgres/0004_health.sql"),
    include_str!("../migrations/hub-postgres/0005_updates.sql"),
    include_str!("../migrations/hub-postgres/0006_backups.sql"),
];

/// A schema `found` newer than the `known` migrations of this binary, on either backend:
/// written by a newer release (this one was rolled back to, or runs a restored backup), whose
/// migrations only added, unless one of them raised the `floor` past us.
pub(crate) fn newer(found: u32, known: u32, floor: u32) -> Result<()> {
    if floor > known {
        return Err(StoreError::TooNew { found, known });
    }
    tracing::warn!(
        found,
        known,
        "the database was migrated by a newer vappoint; running on it (its migrations only add)"
    );
    Ok(())
}

pub(crate) fn run(conn: &mut Connection, migrations: &[&str]) -> Result<()> {
    let known = migrations.len() as u32;
    let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return newer(found, known, floor(conn)?);
    }
    for (i, sql) in migrations.iter().enumerate().skip(found as usize) {
        let version = i as u32 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|source| StoreError::Migration { version, source })?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

/// The oldest schema version that may open this database: 0 until a contract migration
/// creates `schema_floor (version INTEGER NOT NULL)` and sets it.
fn floor(conn: &Connection) -> rusqlite::Result<u32> {
    let exists = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_floor'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !exists {
        return Ok(0);
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_floor",
        [],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migrated(migrations: &[&str]) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, migrations).unwrap();
        conn
    }

    /// What a later release's expand-only migration may look like.
    fn expand_by_a_newer_release(conn: &Connection, version: u32) {
        conn.execute_batch(&format!(
            "CREATE TABLE future_things (id INTEGER PRIMARY KEY, what TEXT NOT NULL);
             ALTER TABLE appointments ADD COLUMN future_flag INTEGER NOT NULL DEFAULT 0;
             PRAGMA user_version = {version};"
        ))
        .unwrap();
    }

    #[test]
    fn a_schema_a_newer_release_expanded_still_opens() {
        let mut conn = migrated(STATION);
        let newer = STATION.len() as u32 + 1;
        expand_by_a_newer_release(&conn, newer);
        run(&mut conn, STATION).unwrap();
        let v: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, newer, "an older binary leaves the newer schema as it is");
    }

    #[test]
    fn a_schema_whose_floor_is_past_this_binary_is_refused() {
        let mut conn = migrated(STATION);
        let known = STATION.len() as u32;
        expand_by_a_newer_release(&conn, known + 3);
        conn.execute_batch(&format!(
            "CREATE TABLE schema_floor (version INTEGER NOT NULL);
             INSERT INTO schema_floor VALUES ({});",
            known + 1
        ))
        .unwrap();
        match run(&mut conn, STATION) {
            Err(StoreError::TooNew { found, known: k }) => {
                assert_eq!((found, k), (known + 3, known))
            }
            other => panic!("expected TooNew, got {other:?}"),
        }
        // A floor this binary meets lets it in.
        conn.execute_batch(&format!("UPDATE schema_floor SET version = {known}"))
            .unwrap();
        run(&mut conn, STATION).unwrap();
    }

    /// Migrations written before the expand/contract rule, kept as shipped.
    const BEFORE_THE_RULE: &[&str] = &["0006_abuse.sql"];

    #[test]
    fn migrations_only_add_unless_they_raise_the_floor() {
        let dirs = [
            ("migrations", STATION.len()),
            ("migrations/hub", HUB.len()),
            ("migrations/hub-postgres", HUB_POSTGRES.len()),
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for (dir, count) in dirs {
            let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "sql"))
                .collect();
            files.sort();
            assert_eq!(
                files.len(),
                count,
                "every file in {dir} is listed in migrate.rs"
            );
            for path in files {
                let name = path.file_name().unwrap().to_str().unwrap().to_owned();
                // Comments may say anything; statements are what run.
                let sql: String = std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .map(|l| l.split("--").next().unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join("\n")
                    .to_uppercase();
                let removes = ["DROP ", "RENAME "].iter().any(|w| sql.contains(w));
                if removes && !BEFORE_THE_RULE.contains(&name.as_str()) {
                    assert!(
                        sql.contains("SCHEMA_FLOOR"),
                        "{dir}/{name} drops or renames without raising schema_floor"
                    );
                }
                checked += 1;
            }
        }
        assert_eq!(checked, STATION.len() + HUB.len() + HUB_POSTGRES.len());
    }

    #[test]
    fn the_hubs_two_backends_number_their_migrations_alike() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let numbers = |dir: &str| -> Vec<String> {
            let mut n: Vec<String> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy()[..4].to_owned())
                .collect();
            n.sort();
            n
        };
        assert_eq!(
            numbers("migrations/hub"),
            numbers("migrations/hub-postgres")
        );
        assert_eq!(HUB.len(), HUB_POSTGRES.len());
    }
}
