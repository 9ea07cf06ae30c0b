//! The station's record of its backups (migration 0009): when each was made, how big, and
//! where it went, for the Station page and the box's health.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::{Result, Store, from_ts, ts};

/// How many backups the record keeps: two months of nights.
const KEEP_RECORDS: i64 = 60;

/// Where one destination stands after a backup: `ok`, `none` (no hub enrolled, no stick
/// plugged in) or why it failed.
pub const BACKUP_OK: &str = "ok";
pub const BACKUP_NONE: &str = "none";

/// One backup the station made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRecord {
    pub at: DateTime<Utc>,
    pub bytes: u64,
    pub millis: u64,
    pub hub: String,
    pub usb: String,
}

impl BackupRecord {
    /// Kept somewhere off the box's card: on the hub or on the USB stick.
    pub fn good(&self) -> bool {
        self.hub == BACKUP_OK || self.usb == BACKUP_OK
    }
}

impl Store {
    /// Records a backup, forgetting the oldest records beyond two months.
    pub fn record_backup(&self, b: &BackupRecord) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO backups(at, bytes, millis, hub, usb) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![ts(b.at), b.bytes as i64, b.millis as i64, b.hub, b.usb],
            )?;
            tx.execute(
                "DELETE FROM backups WHERE id <= (SELECT max(id) FROM backups) - ?1",
                [KEEP_RECORDS],
            )?;
            Ok(())
        })
    }

    /// The newest backups first.
    pub fn backups(&self, limit: u32) -> Result<Vec<BackupRecord>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT at, bytes, millis, hub, usb FROM backups ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = st.query_map([limit], |r| {
                Ok(BackupRecord {
                    at: from_ts(r.get(0)?),
                    bytes: r.get::<_, i64>(1)? as u64,
                    millis: r.get::<_, i64>(2)? as u64,
                    hub: r.get(3)?,
                    usb: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// When the newest backup that reached the hub or the stick was made.
    pub fn last_good_backup(&self) -> Result<Option<DateTime<Utc>>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT max(at) FROM backups WHERE hub = 'ok' OR usb = 'ok'",
                [],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten()
            .map(from_ts))
        })
    }
}
