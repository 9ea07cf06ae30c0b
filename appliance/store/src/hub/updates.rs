//! The update bundles a hub offers (hub migration 0005): which version, for which CPU, to
//! which zone and share of stations. The bundles' bytes are files beside the database.

use chrono::{DateTime, Utc};

use super::HubStore;
use crate::sql::args;
use crate::{Result, from_ts, ts};

/// A published bundle, named by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedUpdate {
    pub id: String,
    pub version: String,
    pub arch: String,
    pub size: u64,
    /// Offered to this zone only; none: every zone.
    pub zone: Option<String>,
    /// Offered to stations whose code hashes below this (0 to 100).
    pub percent: u8,
    pub published_at: DateTime<Utc>,
}

impl HubStore {
    /// Records a bundle, or changes the zone and share of one published before.
    pub fn publish_update(&self, u: &PublishedUpdate) -> Result<()> {
        self.db.write(|tx| {
            tx.exec(
                "INSERT INTO updates(id, version, arch, size, zone, percent, published_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT(id) DO UPDATE SET zone = excluded.zone, percent = excluded.percent,
                    published_at = excluded.published_at",
                args![
                    &u.id,
                    &u.version,
                    &u.arch,
                    u.size,
                    u.zone.as_deref(),
                    u.percent,
                    ts(u.published_at)
                ],
            )?;
            Ok(())
        })
    }

    /// Every published bundle, newest publication first.
    pub fn published_updates(&self) -> Result<Vec<PublishedUpdate>> {
        self.db.read(|c| {
            c.rows(
                "SELECT id, version, arch, size, zone, percent, published_at FROM updates
                 ORDER BY published_at DESC, id",
                args![],
            )?
            .iter()
            .map(|r| {
                Ok(PublishedUpdate {
                    id: r.string(0)?,
                    version: r.string(1)?,
                    arch: r.string(2)?,
                    size: r.u64(3)?,
                    zone: r.opt_string(4)?,
                    percent: u8::try_from(r.i64(5)?).unwrap_or(100),
                    published_at: from_ts(r.i64(6)?),
                })
            })
            .collect()
        })
    }
}
