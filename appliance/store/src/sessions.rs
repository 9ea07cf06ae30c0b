//! Console login sessions (a station's officers, a hub's admins). Only a hash of the
//! session id is stored.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::{Db, Result, Store, from_ts, ts};

/// A console session as stored: whose it is (an officer on a station, an admin on a hub),
/// its CSRF token and its times.
#[derive(Debug, Clone)]
pub struct Session {
    pub account_id: i64,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The sessions of a console's accounts: the station's officers (`sessions`) or the hub's
/// admins (`admin_sessions`). One trait, so the console's session code is written once.
pub trait Sessions: Send + Sync + 'static {
    fn create_session(
        &self,
        id_hash: &[u8],
        account_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    fn session(&self, id_hash: &[u8]) -> Result<Option<Session>>;
    fn touch_session(&self, id_hash: &[u8], now: DateTime<Utc>) -> Result<()>;
    fn delete_session(&self, id_hash: &[u8]) -> Result<()>;
}

/// A sessions table: its name and the column naming the account (constants, never input).
/// The hub's `admin_sessions` has the same shape, written in hub.rs for both of its backends.
pub(crate) struct Table {
    pub name: &'static str,
    pub account: &'static str,
}

const OFFICERS: Table = Table {
    name: "sessions",
    account: "officer_id",
};

impl Table {
    pub(crate) fn create(
        &self,
        db: &Db,
        id_hash: &[u8],
        account_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO {}(id_hash, {}, csrf, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            self.name, self.account
        );
        db.write(|tx| {
            tx.execute(&sql, params![id_hash, account_id, csrf, ts(now)])?;
            Ok(())
        })
    }

    pub(crate) fn get(&self, db: &Db, id_hash: &[u8]) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT {}, csrf, created_at, last_seen_at FROM {} WHERE id_hash = ?1",
            self.account, self.name
        );
        db.read(|c| {
            Ok(c.query_row(&sql, [id_hash], |r| {
                Ok(Session {
                    account_id: r.get(0)?,
                    csrf: r.get(1)?,
                    created_at: from_ts(r.get(2)?),
                    last_seen_at: from_ts(r.get(3)?),
                })
            })
            .optional()?)
        })
    }

    pub(crate) fn touch(&self, db: &Db, id_hash: &[u8], now: DateTime<Utc>) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET last_seen_at = ?2 WHERE id_hash = ?1",
            self.name
        );
        db.write(|tx| {
            tx.execute(&sql, params![id_hash, ts(now)])?;
            Ok(())
        })
    }

    pub(crate) fn delete(&self, db: &Db, id_hash: &[u8]) -> Result<()> {
        let sql = format!("DELETE FROM {} WHERE id_hash = ?1", self.name);
        db.write(|tx| {
            tx.execute(&sql, [id_hash])?;
            Ok(())
        })
    }
}

impl Sessions for Store {
    fn create_session(
        &self,
        id_hash: &[u8],
        officer_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        OFFICERS.create(&self.db, id_hash, officer_id, csrf, now)
    }

    fn session(&self, id_hash: &[u8]) -> Result<Option<Session>> {
        OFFICERS.get(&self.db, id_hash)
    }

    fn touch_session(&self, id_hash: &[u8], now: DateTime<Utc>) -> Result<()> {
        OFFICERS.touch(&self.db, id_hash, now)
    }

    fn delete_session(&self, id_hash: &[u8]) -> Result<()> {
        OFFICERS.delete(&self.db, id_hash)
    }
}

impl Store {
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
