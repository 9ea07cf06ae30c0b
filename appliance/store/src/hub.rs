//! The hub's database: enrolled stations, what they pushed (profiles, availability, daily
//! figures), and the hub's admins. Applying a push checks its sequence and digest here, in
//! the same transaction that applies it.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, Row, params};

use vappoint_wire::federation::{DayCounts, Health, OfficerName};

use crate::federation::DailyFigures;

mod updates;
use crate::{Db, Result, StoreError, conflict_on, from_ts, migrate, ts};
pub use updates::PublishedUpdate;

/// How many recent message digests the hub keeps per station: twice the largest batch a
/// station sends (200), which is all it can ever need to re-send. Kept small because it is
/// per station: 400 rows of ~90 bytes each.
const REPLAY_WINDOW: i64 = 400;

pub struct HubStore {
    pub(crate) db: Db,
}

/// A station as the hub knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubStation {
    pub code: String,
    pub name: String,
    pub zone: String,
    pub booking_url: String,
    pub localities: Vec<String>,
    pub aliases: Aliases,
    pub enrolled: bool,
    pub revoked: bool,
    pub cert_sha256: Option<String>,
    pub last_seen: Option<DateTime<Utc>>,
    pub last_seq: i64,
    pub enrol_pending: bool,
}

/// Names of a station and its localities in other languages (language code -> names), for
/// searching in those scripts.
pub type Aliases = BTreeMap<String, Vec<String>>;

/// What one message asks the hub to record.
#[derive(Debug, Clone, PartialEq)]
pub enum HubUpdate {
    /// The station's name and officers (names and ranks only).
    Profile {
        name: String,
        officers: Vec<OfficerName>,
    },
    /// Offered and free slots per officer and day; replaces the station's availability.
    Availability {
        days: Vec<AvailabilityRow>,
    },
    Daily(DailyFigures),
    Heartbeat,
    /// The head of the station's audit log (its newest entry's number and hash).
    AuditHead {
        seq: i64,
        hash: String,
    },
}

/// A station's newest health as the hub received it.
#[derive(Debug, Clone, PartialEq)]
pub struct StationHealth {
    pub health: Health,
    /// Seconds the station's clock was ahead of the hub's.
    pub clock_offset: i64,
    pub received_at: DateTime<Utc>,
}

/// An audit-log head a station sent, as the hub recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedHead {
    pub seq: i64,
    pub hash: String,
    pub received_at: DateTime<Utc>,
}

/// One officer's day in an availability message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailabilityRow {
    pub officer_id: i64,
    pub day: NaiveDate,
    pub offered: u32,
    pub free: u32,
    pub next_free: Option<DateTime<Utc>>,
}

/// One message of a push, already parsed and checked against its digest by the caller.
#[derive(Debug, Clone)]
pub struct PushItem {
    pub seq: i64,
    pub digest: String,
    pub update: HubUpdate,
}

/// Why a push was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushRefusal {
    /// A different message under a sequence number already applied.
    Replayed { seq: i64 },
    /// A sequence number past the next one expected.
    Gap { expected: i64 },
}

/// A line of the public directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub code: String,
    pub name: String,
    pub zone: String,
    pub localities: Vec<String>,
    pub aliases: Aliases,
    pub booking_url: String,
    pub next_free: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// Whether the station ever sent its free times (else the directory cannot say any).
    pub has_times: bool,
}

/// One station's figures summed over a date range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StationFigures {
    pub code: String,
    pub name: String,
    pub zone: String,
    /// Whether the station has enrolled (a registered station that has not cannot report).
    pub enrolled: bool,
    pub last_seen: Option<DateTime<Utc>>,
    pub counts: DayCounts,
}

pub(crate) const STATION_COLS: &str = "code, name, zone, booking_url, localities, enrolled_at, revoked_at, cert_sha256, last_seen, last_seq, enrol_key, aliases";

fn localities(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn localities_json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

fn aliases(json: &str) -> Aliases {
    serde_json::from_str(json).unwrap_or_default()
}

fn aliases_json(a: &Aliases) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| "{}".into())
}

/// A name as the search compares it: lower case, without the invisible joiners (ZWJ, ZWNJ)
/// that Devanagari keyboards put in or leave out, single spaces.
fn fold(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| !matches!(c, '\u{200c}' | '\u{200d}'))
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn station_row(r: &Row) -> rusqlite::Result<HubStation> {
    Ok(HubStation {
        code: r.get(0)?,
        name: r.get(1)?,
        zone: r.get(2)?,
        booking_url: r.get(3)?,
        localities: localities(&r.get::<_, String>(4)?),
        enrolled: r.get::<_, Option<i64>>(5)?.is_some(),
        revoked: r.get::<_, Option<i64>>(6)?.is_some(),
        cert_sha256: r.get(7)?,
        last_seen: r.get::<_, Option<i64>>(8)?.map(from_ts),
        last_seq: r.get(9)?,
        enrol_pending: r.get::<_, Option<Vec<u8>>>(10)?.is_some(),
        aliases: aliases(&r.get::<_, String>(11)?),
    })
}

fn reasons_json(r: &BTreeMap<String, u64>) -> String {
    serde_json::to_string(r).unwrap_or_else(|_| "{}".into())
}

fn parse_reasons(json: &str, into: &mut BTreeMap<String, u64>) {
    let parsed: BTreeMap<String, u64> = serde_json::from_str(json).unwrap_or_default();
    for (k, v) in parsed {
        *into.entry(k).or_default() += v;
    }
}

impl HubStore {
    pub fn open(path: &Path) -> Result<HubStore> {
        Ok(HubStore {
            db: Db::open(path, migrate::HUB, &|_| Ok(()))?,
        })
    }

    pub fn schema_version(&self) -> Result<u32> {
        self.db.schema_version()
    }

    /// Registers a station (or renews its enrolment code if it has not enrolled, or was
    /// revoked). `enrol_key` is the hash of the one-time code.
    #[allow(clippy::too_many_arguments)]
    pub fn register_station(
        &self,
        code: &str,
        name: &str,
        zone: &str,
        booking_url: &str,
        localities: &[String],
        aliases: &Aliases,
        enrol_key: &[u8],
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.db.write(|tx| {
            let enrolled: Option<(Option<i64>, Option<i64>)> = tx
                .query_row("SELECT enrolled_at, revoked_at FROM stations WHERE code = ?1", [code], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((Some(_), None)) = enrolled {
                return Err(StoreError::Conflict("already_enrolled"));
            }
            tx.execute(
                "INSERT INTO stations(code, name, zone, booking_url, localities, enrol_key, enrol_expires, created_at, aliases)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(code) DO UPDATE SET name = excluded.name, zone = excluded.zone,
                    booking_url = excluded.booking_url, localities = excluded.localities,
                    enrol_key = excluded.enrol_key, enrol_expires = excluded.enrol_expires,
                    aliases = excluded.aliases",
                params![code, name, zone, booking_url, localities_json(localities), enrol_key, ts(expires), ts(now), aliases_json(aliases)],
            )?;
            Ok(())
        })
    }

    /// Uses a station's one-time code: `check` verifies the station's MAC with the stored
    /// key; on success the code is burnt and the client certificate's hash recorded.
    pub fn enrol(
        &self,
        code: &str,
        check: impl FnOnce(&[u8]) -> bool,
        cert_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<(HubStation, Vec<u8>)> {
        self.db.write(|tx| {
            let row: Option<(Option<Vec<u8>>, Option<i64>)> = tx
                .query_row("SELECT enrol_key, enrol_expires FROM stations WHERE code = ?1", [code], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((Some(key), Some(expires))) = row else {
                return Err(StoreError::Conflict("code_unusable"));
            };
            if expires < ts(now) || !check(&key) {
                return Err(StoreError::Conflict("code_unusable"));
            }
            tx.execute(
                "UPDATE stations SET enrol_key = NULL, enrol_expires = NULL, cert_sha256 = ?2, enrolled_at = ?3,
                    revoked_at = NULL, last_seq = 0 WHERE code = ?1",
                params![code, cert_sha256, ts(now)],
            )
            .map_err(|e| conflict_on(e, &[("stations.cert_sha256", "certificate_reused")]))?;
            // Numbering starts again with the new certificate.
            tx.execute("DELETE FROM applied WHERE station = ?1", [code])?;
            let sql = format!("SELECT {STATION_COLS} FROM stations WHERE code = ?1");
            Ok((tx.query_row(&sql, [code], station_row)?, key))
        })
    }

    /// The stations whose enrolment code is still usable at `now`, with the code's key:
    /// to tell a station that its code was issued for another station code.
    pub fn pending_enrolments(&self, now: DateTime<Utc>) -> Result<Vec<(String, Vec<u8>)>> {
        self.db.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT code, enrol_key FROM stations WHERE enrol_key IS NOT NULL AND enrol_expires >= ?1",
            )?;
            let rows = st.query_map([ts(now)], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The station a client certificate belongs to. A certificate a replacement box took
    /// over from (`retired_certs`) gives its station marked revoked: pushes, TURN and tunnels
    /// refuse it like a revoked station, while the replacement goes on with its own.
    pub fn station_by_cert(&self, cert_sha256: &str) -> Result<Option<HubStation>> {
        self.db.read(|c| {
            let sql = format!("SELECT {STATION_COLS} FROM stations WHERE cert_sha256 = ?1");
            if let Some(s) = c.query_row(&sql, [cert_sha256], station_row).optional()? {
                return Ok(Some(s));
            }
            let sql = format!(
                "SELECT {STATION_COLS} FROM stations
                 WHERE code = (SELECT station FROM retired_certs WHERE cert_sha256 = ?1)"
            );
            let retired = c.query_row(&sql, [cert_sha256], station_row).optional()?;
            Ok(retired.map(|s| HubStation { revoked: true, ..s }))
        })
    }

    pub fn station(&self, code: &str) -> Result<Option<HubStation>> {
        self.db.read(|c| {
            let sql = format!("SELECT {STATION_COLS} FROM stations WHERE code = ?1");
            Ok(c.query_row(&sql, [code], station_row).optional()?)
        })
    }

    pub fn stations(&self) -> Result<Vec<HubStation>> {
        self.db.read(|c| {
            let sql = format!("SELECT {STATION_COLS} FROM stations ORDER BY zone, name");
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map([], station_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub fn revoke(&self, code: &str, now: DateTime<Utc>) -> Result<()> {
        self.db.write(|tx| {
            let n = tx.execute(
                "UPDATE stations SET revoked_at = ?2, enrol_key = NULL WHERE code = ?1 AND revoked_at IS NULL",
                params![code, ts(now)],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
    }

    /// Applies a station's messages in order, in one transaction. Re-sent messages (same
    /// sequence number and digest as applied) are skipped. Returns the last sequence number
    /// applied, or why the push was refused (then nothing is applied).
    pub fn apply_push(
        &self,
        code: &str,
        items: &[PushItem],
        now: DateTime<Utc>,
    ) -> Result<Result<i64, PushRefusal>> {
        self.db.write(|tx| {
            let mut last_seq: i64 = tx.query_row(
                "SELECT last_seq FROM stations WHERE code = ?1",
                [code],
                |r| r.get(0),
            )?;
            for item in items {
                if item.seq <= last_seq {
                    // A station re-sends at most its last unacknowledged batch; anything older,
                    // or a different body under a number already applied, is a replay.
                    let seen: Option<String> = tx
                        .query_row(
                            "SELECT digest FROM applied WHERE station = ?1 AND seq = ?2",
                            params![code, item.seq],
                            |r| r.get(0),
                        )
                        .optional()?;
                    if seen.as_deref() != Some(item.digest.as_str()) {
                        return Ok(Err(PushRefusal::Replayed { seq: item.seq }));
                    }
                    continue;
                }
                if item.seq != last_seq + 1 {
                    return Ok(Err(PushRefusal::Gap {
                        expected: last_seq + 1,
                    }));
                }
                apply(tx, code, &item.update)?;
                tx.execute(
                    "INSERT OR REPLACE INTO applied(station, seq, digest) VALUES (?1, ?2, ?3)",
                    params![code, item.seq, item.digest],
                )?;
                last_seq = item.seq;
            }
            tx.execute(
                "DELETE FROM applied WHERE station = ?1 AND seq <= ?2",
                params![code, last_seq - REPLAY_WINDOW],
            )?;
            tx.execute(
                "UPDATE stations SET last_seq = ?2, last_seen = ?3 WHERE code = ?1",
                params![code, last_seq, ts(now)],
            )?;
            Ok(Ok(last_seq))
        })
    }

    /// The public directory: every registered station not revoked, with its next free slot
    /// after `now`, optionally only those whose name, code, a locality or an alias (in any
    /// language) contains `query`.
    pub fn directory(&self, query: Option<&str>, now: DateTime<Utc>) -> Result<Vec<Listing>> {
        let q = query.map(fold).filter(|q| !q.is_empty());
        self.db.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT s.code, s.name, s.zone, s.localities, s.booking_url,
                        (SELECT min(a.next_free) FROM availability a WHERE a.station = s.code AND a.next_free > ?1),
                        s.last_seen, s.aliases,
                        EXISTS (SELECT 1 FROM availability a WHERE a.station = s.code)
                 FROM stations s WHERE s.revoked_at IS NULL ORDER BY s.zone, s.name",
            )?;
            let rows = st.query_map([ts(now)], |r| {
                Ok(Listing {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    zone: r.get(2)?,
                    localities: localities(&r.get::<_, String>(3)?),
                    booking_url: r.get(4)?,
                    next_free: r.get::<_, Option<i64>>(5)?.map(from_ts),
                    last_seen: r.get::<_, Option<i64>>(6)?.map(from_ts),
                    aliases: aliases(&r.get::<_, String>(7)?),
                    has_times: r.get(8)?,
                })
            })?;
            let all: Vec<Listing> = rows.collect::<rusqlite::Result<_>>()?;
            Ok(match q {
                None => all,
                Some(q) => all
                    .into_iter()
                    .filter(|l| {
                        std::iter::once(&l.name)
                            .chain(std::iter::once(&l.code))
                            .chain(&l.localities)
                            .chain(l.aliases.values().flatten())
                            .any(|x| fold(x).contains(&q))
                    })
                    .collect(),
            })
        })
    }

    /// Every station's figures summed over `from..=to` (local dates), stations without
    /// figures included with zeros.
    pub fn report(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<StationFigures>> {
        self.db.read(|c| {
            let mut out: Vec<StationFigures> = {
                let mut st = c.prepare_cached("SELECT code, name, zone, last_seen, enrolled_at IS NOT NULL FROM stations WHERE revoked_at IS NULL ORDER BY zone, name")?;
                let rows = st.query_map([], |r| {
                    Ok(StationFigures {
                        code: r.get(0)?,
                        name: r.get(1)?,
                        zone: r.get(2)?,
                        last_seen: r.get::<_, Option<i64>>(3)?.map(from_ts),
                        enrolled: r.get(4)?,
                        ..Default::default()
                    })
                })?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut st = c.prepare_cached(
                "SELECT station, offered, booked, completed, no_show, cancelled, wait_seconds_sum, wait_count,
                        call_seconds_sum, call_count, reasons
                 FROM daily WHERE day BETWEEN ?1 AND ?2",
            )?;
            // One lookup per row, not a scan of every station (17,500 of them, nationally).
            let index: std::collections::HashMap<String, usize> =
                out.iter().enumerate().map(|(i, f)| (f.code.clone(), i)).collect();
            let mut rows = st.query(params![from.to_string(), to.to_string()])?;
            while let Some(r) = rows.next()? {
                let code: String = r.get(0)?;
                let Some(f) = index.get(&code).map(|i| &mut out[*i]) else { continue };
                let f = &mut f.counts;
                f.offered += r.get::<_, u64>(1)?;
                f.booked += r.get::<_, u64>(2)?;
                f.completed += r.get::<_, u64>(3)?;
                f.no_show += r.get::<_, u64>(4)?;
                f.cancelled += r.get::<_, u64>(5)?;
                f.wait_seconds_sum += r.get::<_, i64>(6)?;
                f.wait_count += r.get::<_, u64>(7)?;
                f.call_seconds_sum += r.get::<_, i64>(8)?;
                f.call_count += r.get::<_, u64>(9)?;
                parse_reasons(&r.get::<_, String>(10)?, &mut f.reasons);
            }
            Ok(out)
        })
    }

    /// The officers a station reported (names and ranks).
    pub fn officers(&self, code: &str) -> Result<Vec<OfficerName>> {
        self.db.read(|c| {
            let mut st = c.prepare_cached("SELECT officer_id, name, rank FROM officers WHERE station = ?1 ORDER BY officer_id")?;
            let rows = st.query_map([code], |r| {
                Ok(OfficerName {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    rank: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The audit-log heads a station sent, newest first (one per day).
    pub fn audit_heads(&self, code: &str) -> Result<Vec<RecordedHead>> {
        self.db.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT seq, hash, received_at FROM audit_heads WHERE station = ?1 ORDER BY received_at DESC, seq DESC",
            )?;
            let rows = st.query_map([code], |r| {
                Ok(RecordedHead { seq: r.get(0)?, hash: r.get(1)?, received_at: from_ts(r.get(2)?) })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Each station's newest audit-log head, by station code.
    pub fn last_audit_heads(&self) -> Result<std::collections::HashMap<String, RecordedHead>> {
        self.db.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT station, seq, hash, max(received_at) FROM audit_heads GROUP BY station",
            )?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    RecordedHead {
                        seq: r.get(1)?,
                        hash: r.get(2)?,
                        received_at: from_ts(r.get(3)?),
                    },
                ))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Keeps a station's newest health (replacing the one before).
    pub fn record_health(
        &self,
        code: &str,
        health: &Health,
        clock_offset: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // Plain fields only: serialising cannot fail (like the other JSON columns here).
        let json = serde_json::to_string(health).unwrap_or_else(|_| "{}".into());
        self.db.write(|tx| {
            tx.execute(
                "INSERT INTO station_health(station, health, clock_offset, received_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(station) DO UPDATE SET health = ?2, clock_offset = ?3, received_at = ?4",
                params![code, json, clock_offset, ts(now)],
            )?;
            Ok(())
        })
    }

    /// Each station's newest health, by station code (a row that no longer parses is left
    /// out: the next push replaces it).
    pub fn healths(&self) -> Result<std::collections::HashMap<String, StationHealth>> {
        self.db.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT station, health, clock_offset, received_at FROM station_health",
            )?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            let mut out = std::collections::HashMap::new();
            for row in rows {
                let (code, json, clock_offset, at) = row?;
                if let Ok(health) = serde_json::from_str(&json) {
                    out.insert(
                        code,
                        StationHealth {
                            health,
                            clock_offset,
                            received_at: from_ts(at),
                        },
                    );
                }
            }
            Ok(out)
        })
    }

    // ---- admins ----

    pub fn add_admin(&self, email: &str, password_hash: &str, now: DateTime<Utc>) -> Result<i64> {
        self.db.write(|tx| {
            tx.execute(
                "INSERT INTO admins(email, password_hash, created_at) VALUES (?1, ?2, ?3)",
                params![email, password_hash, ts(now)],
            )
            .map_err(|e| conflict_on(e, &[("admins.email", "email_taken")]))?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// (id, password hash) of an admin.
    pub fn admin_by_email(&self, email: &str) -> Result<Option<(i64, String)>> {
        self.db.read(|c| {
            Ok(c.query_row(
                "SELECT id, password_hash FROM admins WHERE email = ?1",
                [email],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
    }

    pub fn admin_count(&self) -> Result<u32> {
        self.db
            .read(|c| Ok(c.query_row("SELECT count(*) FROM admins", [], |r| r.get(0))?))
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.db.read(|c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.db.write(|tx| {
            tx.execute(
                "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )?;
            Ok(())
        })
    }

    /// Stores `value` under `key` unless a value is there already, and returns the stored
    /// one: of several hub processes starting on one database, the first one's value wins.
    pub fn set_setting_if_absent(&self, key: &str, value: &str) -> Result<String> {
        self.db.write(|tx| {
            tx.execute(
                "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
                [key, value],
            )?;
            Ok(
                tx.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })?,
            )
        })
    }
}

fn apply(tx: &rusqlite::Transaction, code: &str, update: &HubUpdate) -> Result<()> {
    match update {
        HubUpdate::Profile { name, officers } => {
            tx.execute(
                "UPDATE stations SET name = ?2 WHERE code = ?1",
                params![code, name],
            )?;
            tx.execute("DELETE FROM officers WHERE station = ?1", [code])?;
            let mut st = tx.prepare_cached(
                "INSERT INTO officers(station, officer_id, name, rank) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for o in officers {
                st.execute(params![code, o.id, o.name, o.rank])?;
            }
        }
        HubUpdate::Availability { days } => {
            tx.execute("DELETE FROM availability WHERE station = ?1", [code])?;
            let mut st = tx.prepare_cached(
                "INSERT OR REPLACE INTO availability(station, officer_id, day, offered, free, next_free) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for d in days {
                st.execute(params![
                    code,
                    d.officer_id,
                    d.day.to_string(),
                    d.offered,
                    d.free,
                    d.next_free.map(ts)
                ])?;
            }
        }
        HubUpdate::Daily(DailyFigures {
            day,
            officer_id,
            counts: f,
        }) => {
            tx.execute(
                "INSERT OR REPLACE INTO daily(station, officer_id, day, offered, booked, completed, no_show, cancelled,
                    wait_seconds_sum, wait_count, call_seconds_sum, call_count, reasons)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    code, officer_id, day.to_string(), f.offered, f.booked, f.completed, f.no_show, f.cancelled,
                    f.wait_seconds_sum, f.wait_count, f.call_seconds_sum, f.call_count, reasons_json(&f.reasons)
                ],
            )?;
        }
        HubUpdate::Heartbeat => {}
        HubUpdate::AuditHead { seq, hash } => record_head(tx, code, *seq, hash)?,
    }
    Ok(())
}

/// Keeps the newest head of each (UTC) day: a year of a station is 365 rows, and any one of
/// them catches a log rewritten after it was sent. A head behind one already recorded means
/// the station's log lost entries: worth a warning in the hub's log.
fn record_head(tx: &rusqlite::Transaction, code: &str, seq: i64, hash: &str) -> Result<()> {
    let now = Utc::now();
    let newest: Option<i64> = tx.query_row(
        "SELECT max(seq) FROM audit_heads WHERE station = ?1",
        [code],
        |r| r.get(0),
    )?;
    if newest.is_some_and(|n| seq < n) {
        tracing::warn!(station = %code, seq, newest = ?newest, "a station's audit log went back: entries were removed");
    }
    tx.execute(
        "INSERT OR REPLACE INTO audit_heads(station, day, seq, hash, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![code, now.date_naive().to_string(), seq, hash, ts(now)],
    )?;
    Ok(())
}

const ADMINS: crate::sessions::Table = crate::sessions::Table {
    name: "admin_sessions",
    account: "admin_id",
};

impl crate::Sessions for HubStore {
    fn create_session(
        &self,
        id_hash: &[u8],
        admin_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        ADMINS.create(&self.db, id_hash, admin_id, csrf, now)
    }

    fn session(&self, id_hash: &[u8]) -> Result<Option<crate::Session>> {
        ADMINS.get(&self.db, id_hash)
    }

    fn touch_session(&self, id_hash: &[u8], now: DateTime<Utc>) -> Result<()> {
        ADMINS.touch(&self.db, id_hash, now)
    }

    fn delete_session(&self, id_hash: &[u8]) -> Result<()> {
        ADMINS.delete(&self.db, id_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localities_round_trip() {
        let l = vec![
            "Karve Road".to_string(),
            "Deccan \"Gymkhana\"".to_string(),
            "Erandwane".to_string(),
        ];
        assert_eq!(localities(&localities_json(&l)), l);
        assert!(localities("[]").is_empty());
    }

    #[test]
    fn search_folds_case_spaces_and_joiners() {
        assert_eq!(fold("  Karve   ROAD "), "karve road");
        // क्‍ष with a zero-width joiner is the same word as without.
        assert_eq!(fold("डेक्\u{200d}कन"), "डेक्कन");
        assert!(fold("डेक्कन जिमखाना").contains(&fold("डेक्कन")));
    }

    #[test]
    fn reasons_round_trip() {
        let mut r = BTreeMap::new();
        r.insert("cyber_fraud".to_string(), 3);
        r.insert("complaint".to_string(), 1);
        let mut sum = BTreeMap::new();
        parse_reasons(&reasons_json(&r), &mut sum);
        parse_reasons(&reasons_json(&r), &mut sum);
        assert_eq!(sum.get("cyber_fraud"), Some(&6));
        assert_eq!(sum.get("complaint"), Some(&2));
    }
}
