//! The hub's side of backups and replacement boxes (hub migration 0006): the stations' opaque
//! backup files (rows naming them, the newest N kept), the one-time replacement codes, and
//! the certificates a replacement retired.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::hub::HubStation;
use crate::{HubStore, Result, StoreError, conflict_on, from_ts, ts};

/// A station's backup as the hub keeps it: a file it cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBackup {
    pub id: i64,
    pub station: String,
    /// Relative to the hub's `backups/` folder.
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    pub stored_at: DateTime<Utc>,
}

fn backup_row(r: &rusqlite::Row) -> rusqlite::Result<StoredBackup> {
    Ok(StoredBackup {
        id: r.get(0)?,
        station: r.get(1)?,
        file: r.get(2)?,
        bytes: r.get::<_, i64>(3)? as u64,
        sha256: r.get(4)?,
        stored_at: from_ts(r.get(5)?),
    })
}

const BACKUP_COLS: &str = "id, station, file, bytes, sha256, stored_at";

impl HubStore {
    /// Records a backup file of `station` and forgets all but its newest `keep`; returns the
    /// files no row names any more, for the caller to delete after the commit.
    pub fn add_backup(
        &self,
        station: &str,
        file: &str,
        bytes: u64,
        sha256: &str,
        now: DateTime<Utc>,
        keep: u32,
    ) -> Result<(StoredBackup, Vec<String>)> {
        self.db.write(|tx| {
            tx.execute(
                "INSERT INTO backups(station, file, bytes, sha256, stored_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![station, file, bytes as i64, sha256, ts(now)],
            )?;
            let id = tx.last_insert_rowid();
            let mut st = tx.prepare_cached(
                "DELETE FROM backups WHERE station = ?1 AND id NOT IN
                    (SELECT id FROM backups WHERE station = ?1 ORDER BY id DESC LIMIT ?2)
                 RETURNING file",
            )?;
            let dropped = st
                .query_map(params![station, keep], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let sql = format!("SELECT {BACKUP_COLS} FROM backups WHERE id = ?1");
            let added = tx.query_row(&sql, [id], backup_row)?;
            Ok((added, dropped))
        })
    }

    /// A station's backups, the newest first.
    pub fn backups_of(&self, station: &str) -> Result<Vec<StoredBackup>> {
        self.db.read(|c| {
            let sql =
                format!("SELECT {BACKUP_COLS} FROM backups WHERE station = ?1 ORDER BY id DESC");
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map([station], backup_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Every backup file the hub keeps (to tell files left by a crash from kept ones).
    pub fn backup_files(&self) -> Result<Vec<String>> {
        self.db.read(|c| {
            let mut st = c.prepare_cached("SELECT file FROM backups")?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// A new one-time replacement code for an enrolled, unrevoked station (replacing any
    /// earlier one): `key` is derived from the code.
    pub fn set_replacement_code(
        &self,
        station: &str,
        key: &[u8],
        expires: DateTime<Utc>,
    ) -> Result<()> {
        self.db.write(|tx| {
            let enrolled: Option<bool> = tx
                .query_row(
                    "SELECT cert_sha256 IS NOT NULL AND revoked_at IS NULL FROM stations WHERE code = ?1",
                    [station],
                    |r| r.get(0),
                )
                .optional()?;
            match enrolled {
                None => return Err(StoreError::NotFound),
                Some(false) => return Err(StoreError::Conflict("not_enrolled")),
                Some(true) => {}
            }
            tx.execute(
                "INSERT INTO replacement_codes(station, key, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(station) DO UPDATE SET key = excluded.key, expires_at = excluded.expires_at",
                params![station, key, ts(expires)],
            )?;
            Ok(())
        })
    }

    /// The key of a station's replacement code, while it is usable at `now`.
    pub fn replacement_key(&self, station: &str, now: DateTime<Utc>) -> Result<Option<Vec<u8>>> {
        self.db.read(|c| {
            Ok(c.query_row(
                "SELECT key FROM replacement_codes WHERE station = ?1 AND expires_at >= ?2",
                params![station, ts(now)],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    /// Uses a station's replacement code: `check` verifies the new box's MAC with the code's
    /// key; on success, in one transaction, the code is burnt, the station's certificate is
    /// retired (refused from then on) and the new one recorded, and message numbering starts
    /// again, as after an enrolment.
    pub fn replace_certificate(
        &self,
        station: &str,
        check: impl FnOnce(&[u8]) -> bool,
        cert_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<(HubStation, Vec<u8>)> {
        self.db.write(|tx| {
            let row: Option<(Vec<u8>, i64, Option<String>)> = tx
                .query_row(
                    "SELECT r.key, r.expires_at, s.cert_sha256 FROM replacement_codes r
                     JOIN stations s ON s.code = r.station
                     WHERE r.station = ?1 AND s.revoked_at IS NULL",
                    [station],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((key, expires, old)) = row else {
                return Err(StoreError::Conflict("code_unusable"));
            };
            if expires < ts(now) || !check(&key) {
                return Err(StoreError::Conflict("code_unusable"));
            }
            tx.execute("DELETE FROM replacement_codes WHERE station = ?1", [station])?;
            if let Some(old) = old {
                tx.execute(
                    "INSERT OR IGNORE INTO retired_certs(cert_sha256, station, retired_at) VALUES (?1, ?2, ?3)",
                    params![old, station, ts(now)],
                )?;
            }
            tx.execute(
                "UPDATE stations SET cert_sha256 = ?2, enrolled_at = ?3, last_seq = 0 WHERE code = ?1",
                params![station, cert_sha256, ts(now)],
            )
            .map_err(|e| conflict_on(e, &[("stations.cert_sha256", "certificate_reused")]))?;
            tx.execute("DELETE FROM applied WHERE station = ?1", [station])?;
            let sql = format!(
                "SELECT {} FROM stations WHERE code = ?1",
                crate::hub::STATION_COLS
            );
            Ok((tx.query_row(&sql, [station], crate::hub::station_row)?, key))
        })
    }
}
