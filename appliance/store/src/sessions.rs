//! Officer login sessions. Only a hash of the session id is stored.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::{Result, Store, from_ts, ts};

#[derive(Debug, Clone)]
pub struct Session {
    pub officer_id: i64,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl Store {
    pub fn create_session(
        &self,
        id_hash: &[u8],
        officer_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sessions(id_hash, officer_id, csrf, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![id_hash, officer_id, csrf, ts(now)],
            )?;
            Ok(())
        })
    }

    pub fn session(&self, id_hash: &[u8]) -> Result<Option<Session>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT officer_id, csrf, created_at, last_seen_at FROM sessions WHERE id_hash = ?1",
                [id_hash],
                |r| {
                    Ok(Session {
                        officer_id: r.get(0)?,
                        csrf: r.get(1)?,
                        created_at: from_ts(r.get(2)?),
                        last_seen_at: from_ts(r.get(3)?),
                    })
                },
            )
            .optional()?)
        })
    }

    pub fn touch_session(&self, id_hash: &[u8], now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1",
                params![id_hash, ts(now)],
            )?;
            Ok(())
        })
    }

    pub fn delete_session(&self, id_hash: &[u8]) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?;
            Ok(())
        })
    }

    /// Deletes sessions idle since `idle_before` or older than `created_before`.
    pub fn purge_sessions(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM sessions WHERE last_seen_at < ?1 OR created_at < ?2",
                params![ts(idle_before), ts(created_before)],
            )?)
        })
    }
}
