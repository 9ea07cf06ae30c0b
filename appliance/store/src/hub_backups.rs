//! The hub's side of backups and replacement boxes (hub migration 0006): the stations' opaque
//! backup files (rows naming them, the newest N kept), the one-time replacement codes, and
//! the certificates a replacement retired.

use chrono::{DateTime, Utc};

use crate::hub::HubStation;
use crate::sql::{Row, args, unique_conflict};
use crate::{HubStore, Result, StoreError, from_ts, ts};

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

fn backup_row(r: &Row) -> Result<StoredBackup> {
    Ok(StoredBackup {
        id: r.i64(0)?,
        station: r.string(1)?,
        file: r.string(2)?,
        bytes: r.u64(3)?,
        sha256: r.string(4)?,
        stored_at: from_ts(r.i64(5)?),
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
            let sql = format!(
                "INSERT INTO backups(station, file, bytes, sha256, stored_at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING {BACKUP_COLS}"
            );
            let added = backup_row(&tx.one(&sql, args![station, file, bytes, sha256, ts(now)])?)?;
            let dropped = tx
                .rows(
                    "DELETE FROM backups WHERE station = $1 AND id NOT IN
                        (SELECT id FROM backups WHERE station = $1 ORDER BY id DESC LIMIT $2)
                     RETURNING file",
                    args![station, keep],
                )?
                .iter()
                .map(|r| r.string(0))
                .collect::<Result<Vec<String>>>()?;
            Ok((added, dropped))
        })
    }

    /// A station's backups, the newest first.
    pub fn backups_of(&self, station: &str) -> Result<Vec<StoredBackup>> {
        self.db.read(|c| {
            let sql =
                format!("SELECT {BACKUP_COLS} FROM backups WHERE station = $1 ORDER BY id DESC");
            c.rows(&sql, args![station])?
                .iter()
                .map(backup_row)
                .collect()
        })
    }

    /// Every backup file the hub keeps (to tell files left by a crash from kept ones).
    pub fn backup_files(&self) -> Result<Vec<String>> {
        self.db.read(|c| {
            c.rows("SELECT file FROM backups", args![])?
                .iter()
                .map(|r| r.string(0))
                .collect()
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
            let enrolled = tx
                .opt(
                    "SELECT cert_sha256 IS NOT NULL AND revoked_at IS NULL FROM stations WHERE code = $1 FOR UPDATE",
                    args![station],
                )?
                .map(|r| r.bool(0))
                .transpose()?;
            match enrolled {
                None => return Err(StoreError::NotFound),
                Some(false) => return Err(StoreError::Conflict("not_enrolled")),
                Some(true) => {}
            }
            tx.exec(
                "INSERT INTO replacement_codes(station, key, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT(station) DO UPDATE SET key = excluded.key, expires_at = excluded.expires_at",
                args![station, key, ts(expires)],
            )?;
            Ok(())
        })
    }

    /// The key of a station's replacement code, while it is usable at `now`.
    pub fn replacement_key(&self, station: &str, now: DateTime<Utc>) -> Result<Option<Vec<u8>>> {
        self.db.read(|c| {
            c.opt(
                "SELECT key FROM replacement_codes WHERE station = $1 AND expires_at >= $2",
                args![station, ts(now)],
            )?
            .map(|r| r.bytes(0))
            .transpose()
        })
    }

    /// Uses a station's replacement code: `check` verifies the new box's MAC with the code's
    /// key; on success, in one transaction, the code is burnt, the station's certificate is
    /// retired (refused from then on) and the new one recorded, and message numbering starts
    /// again, as after an enrolment. The code's and the station's rows are locked first, so
    /// a code used at two hubs at once works once.
    pub fn replace_certificate(
        &self,
        station: &str,
        check: impl FnOnce(&[u8]) -> bool,
        cert_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<(HubStation, Vec<u8>)> {
        self.db.write(|tx| {
            let row = tx.opt(
                "SELECT r.key, r.expires_at, s.cert_sha256 FROM replacement_codes r
                 JOIN stations s ON s.code = r.station
                 WHERE r.station = $1 AND s.revoked_at IS NULL FOR UPDATE",
                args![station],
            )?;
            let Some(row) = row else {
                return Err(StoreError::Conflict("code_unusable"));
            };
            let (key, expires, old) = (row.bytes(0)?, row.i64(1)?, row.opt_string(2)?);
            if expires < ts(now) || !check(&key) {
                return Err(StoreError::Conflict("code_unusable"));
            }
            tx.exec("DELETE FROM replacement_codes WHERE station = $1", args![station])?;
            if let Some(old) = old {
                tx.exec(
                    "INSERT INTO retired_certs(cert_sha256, station, retired_at) VALUES ($1, $2, $3)
                     ON CONFLICT(cert_sha256) DO NOTHING",
                    args![old, station, ts(now)],
                )?;
            }
            tx.exec(
                "UPDATE stations SET cert_sha256 = $2, enrolled_at = $3, last_seq = 0 WHERE code = $1",
                args![station, cert_sha256, ts(now)],
            )
            .map_err(|e| unique_conflict(e, &[("stations.cert_sha256", "certificate_reused")]))?;
            tx.exec("DELETE FROM applied WHERE station = $1", args![station])?;
            let sql = format!(
                "SELECT {} FROM stations WHERE code = $1",
                crate::hub::STATION_COLS
            );
            Ok((crate::hub::station_row(&tx.one(&sql, args![station])?)?, key))
        })
    }
}
