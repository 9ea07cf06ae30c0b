//! Forward-only schema migrations, embedded in the binary and tracked by `user_version`.

use rusqlite::Connection;

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
];

/// The hub's migrations.
pub(crate) const HUB: &[&str] = &[
    include_str!("../migrations/hub/0001_hub.sql"),
    include_str!("../migrations/hub/0002_aliases.sql"),
    include_str!("../migrations/hub/0003_audit.sql"),
    include_str!("../migrations/hub/0004_health.sql"),
    // 0005 is the updates' (issue 12, part A), merged before this one.
    include_str!("../migrations/hub/0006_backups.sql"),
];

pub(crate) fn run(conn: &mut Connection, migrations: &[&str]) -> Result<()> {
    let known = migrations.len() as u32;
    let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
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
