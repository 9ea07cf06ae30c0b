//! The hub's database: enrolled stations, what they pushed (profiles, availability, daily
//! figures), and the hub's admins. Applying a push checks its sequence and digest here, in
//! the same transaction that applies it. One SQLite file (the default) or a PostgreSQL
//! database shared by several hub processes: each statement is written once (`sql.rs`), and
//! the checks that must hold across processes lock the rows they decide on.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use vappoint_wire::federation::{DayCounts, Health, OfficerName};

use crate::federation::DailyFigures;
use crate::pg::PgDb;
use crate::sql::{Lite, Row, Sql, args, unique_conflict};

mod copy;
mod updates;
use crate::{Db, Result, StoreError, from_ts, migrate, ts};
pub use updates::PublishedUpdate;

/// How many recent message digests the hub keeps per station: twice the largest batch a
/// station sends (200), which is all it can ever need to re-send. Kept small because it is
/// per station: 400 rows of ~90 bytes each.
const REPLAY_WINDOW: i64 = 400;

/// Availability rows per `INSERT`: 6 arguments each, well within both databases' limits, and
/// few enough statement shapes for each connection's prepared statements.
const AVAILABILITY_ROWS_PER_INSERT: usize = 100;

pub struct HubStore {
    pub(crate) db: HubDb,
}

/// Where the hub keeps its data.
pub(crate) enum HubDb {
    Sqlite(Db),
    Postgres(PgDb),
}

impl HubDb {
    /// Runs `f` in a write transaction: on SQLite the database's one writer, on PostgreSQL a
    /// transaction in which `... FOR UPDATE` locks the rows a decision rests on.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        match self {
            HubDb::Sqlite(db) => db.write(|tx| f(&mut Lite(tx))),
            HubDb::Postgres(db) => db.write(f),
        }
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        match self {
            HubDb::Sqlite(db) => db.read(|c| f(&mut Lite(c))),
            HubDb::Postgres(db) => db.read(f),
        }
    }
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

pub(crate) fn station_row(r: &Row) -> Result<HubStation> {
    Ok(HubStation {
        code: r.string(0)?,
        name: r.string(1)?,
        zone: r.string(2)?,
        booking_url: r.string(3)?,
        localities: localities(&r.string(4)?),
        enrolled: r.opt_i64(5)?.is_some(),
        revoked: r.opt_i64(6)?.is_some(),
        cert_sha256: r.opt_string(7)?,
        last_seen: r.opt_i64(8)?.map(from_ts),
        last_seq: r.i64(9)?,
        enrol_pending: r.opt_bytes(10)?.is_some(),
        aliases: aliases(&r.string(11)?),
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
    /// Opens (creating if needed) the hub's SQLite database at `path`.
    pub fn open(path: &Path) -> Result<HubStore> {
        Ok(HubStore {
            db: HubDb::Sqlite(Db::open(path, migrate::HUB, &|_| Ok(()))?),
        })
    }

    /// Connects to the hub's PostgreSQL database at `url` (`postgres://...`), which several
    /// hub processes may share, and brings its schema up to date.
    pub fn open_postgres(url: &str) -> Result<HubStore> {
        Ok(HubStore {
            db: HubDb::Postgres(PgDb::open(url, migrate::HUB_POSTGRES)?),
        })
    }

    pub fn schema_version(&self) -> Result<u32> {
        match &self.db {
            HubDb::Sqlite(db) => db.schema_version(),
            HubDb::Postgres(db) => db.schema_version(),
        }
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
            let row = tx.opt(
                "SELECT enrolled_at, revoked_at FROM stations WHERE code = $1 FOR UPDATE",
                args![code],
            )?;
            if let Some(r) = row
                && r.opt_i64(0)?.is_some()
                && r.opt_i64(1)?.is_none()
            {
                return Err(StoreError::Conflict("already_enrolled"));
            }
            tx.exec(
                "INSERT INTO stations(code, name, zone, booking_url, localities, enrol_key, enrol_expires, created_at, aliases)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT(code) DO UPDATE SET name = excluded.name, zone = excluded.zone,
                    booking_url = excluded.booking_url, localities = excluded.localities,
                    enrol_key = excluded.enrol_key, enrol_expires = excluded.enrol_expires,
                    aliases = excluded.aliases",
                args![code, name, zone, booking_url, localities_json(localities), enrol_key, ts(expires), ts(now), aliases_json(aliases)],
            )?;
            Ok(())
        })
    }

    /// Uses a station's one-time code: `check` verifies the station's MAC with the stored
    /// key; on success the code is burnt and the client certificate's hash recorded. The
    /// station's row is locked first, so of two hubs using one code at once, one succeeds.
    pub fn enrol(
        &self,
        code: &str,
        check: impl FnOnce(&[u8]) -> bool,
        cert_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<(HubStation, Vec<u8>)> {
        self.db.write(|tx| {
            let row = tx.opt(
                "SELECT enrol_key, enrol_expires FROM stations WHERE code = $1 FOR UPDATE",
                args![code],
            )?;
            let (Some(key), Some(expires)) = (match &row {
                Some(r) => (r.opt_bytes(0)?, r.opt_i64(1)?),
                None => (None, None),
            }) else {
                return Err(StoreError::Conflict("code_unusable"));
            };
            if expires < ts(now) || !check(&key) {
                return Err(StoreError::Conflict("code_unusable"));
            }
            tx.exec(
                "UPDATE stations SET enrol_key = NULL, enrol_expires = NULL, cert_sha256 = $2, enrolled_at = $3,
                    revoked_at = NULL, last_seq = 0 WHERE code = $1",
                args![code, cert_sha256, ts(now)],
            )
            .map_err(|e| unique_conflict(e, &[("stations.cert_sha256", "certificate_reused")]))?;
            // Numbering starts again with the new certificate.
            tx.exec("DELETE FROM applied WHERE station = $1", args![code])?;
            let sql = format!("SELECT {STATION_COLS} FROM stations WHERE code = $1");
            Ok((station_row(&tx.one(&sql, args![code])?)?, key))
        })
    }

    /// The stations whose enrolment code is still usable at `now`, with the code's key:
    /// to tell a station that its code was issued for another station code.
    pub fn pending_enrolments(&self, now: DateTime<Utc>) -> Result<Vec<(String, Vec<u8>)>> {
        self.db.read(|c| {
            c.rows(
                "SELECT code, enrol_key FROM stations WHERE enrol_key IS NOT NULL AND enrol_expires >= $1",
                args![ts(now)],
            )?
            .iter()
            .map(|r| Ok((r.string(0)?, r.bytes(1)?)))
            .collect()
        })
    }

    /// The station a client certificate belongs to. A certificate a replacement box took
    /// over from (`retired_certs`) gives its station marked revoked: pushes, TURN and tunnels
    /// refuse it like a revoked station, while the replacement goes on with its own.
    pub fn station_by_cert(&self, cert_sha256: &str) -> Result<Option<HubStation>> {
        self.db.read(|c| {
            let sql = format!("SELECT {STATION_COLS} FROM stations WHERE cert_sha256 = $1");
            if let Some(r) = c.opt(&sql, args![cert_sha256])? {
                return Ok(Some(station_row(&r)?));
            }
            let sql = format!(
                "SELECT {STATION_COLS} FROM stations
                 WHERE code = (SELECT station FROM retired_certs WHERE cert_sha256 = $1)"
            );
            let retired = c.opt(&sql, args![cert_sha256])?;
            retired
                .map(|r| {
                    Ok(HubStation {
                        revoked: true,
                        ..station_row(&r)?
                    })
                })
                .transpose()
        })
    }

    pub fn station(&self, code: &str) -> Result<Option<HubStation>> {
        self.db.read(|c| {
            let sql = format!("SELECT {STATION_COLS} FROM stations WHERE code = $1");
            c.opt(&sql, args![code])?
                .map(|r| station_row(&r))
                .transpose()
        })
    }

    pub fn stations(&self) -> Result<Vec<HubStation>> {
        self.db.read(|c| {
            let sql = format!("SELECT {STATION_COLS} FROM stations ORDER BY zone, name");
            c.rows(&sql, args![])?.iter().map(station_row).collect()
        })
    }

    pub fn revoke(&self, code: &str, now: DateTime<Utc>) -> Result<()> {
        self.db.write(|tx| {
            let n = tx.exec(
                "UPDATE stations SET revoked_at = $2, enrol_key = NULL WHERE code = $1 AND revoked_at IS NULL",
                args![code, ts(now)],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
    }

    /// Applies a station's messages in order, in one transaction. Re-sent messages (same
    /// sequence number and digest as applied) are skipped. Returns the last sequence number
    /// applied, or why the push was refused (then nothing is applied).
    ///
    /// The station's row is locked before its `last_seq` is read: of two hub processes
    /// given the same numbers at once, the second waits, then reads what the first applied
    /// and answers like a re-send (or a replay), so nothing is applied twice.
    pub fn apply_push(
        &self,
        code: &str,
        items: &[PushItem],
        now: DateTime<Utc>,
    ) -> Result<Result<i64, PushRefusal>> {
        self.db.write(|tx| {
            let mut last_seq = tx
                .one(
                    "SELECT last_seq FROM stations WHERE code = $1 FOR UPDATE",
                    args![code],
                )?
                .i64(0)?;
            for item in items {
                if item.seq <= last_seq {
                    // A station re-sends at most its last unacknowledged batch; anything older,
                    // or a different body under a number already applied, is a replay.
                    let seen = tx
                        .opt(
                            "SELECT digest FROM applied WHERE station = $1 AND seq = $2",
                            args![code, item.seq],
                        )?
                        .map(|r| r.string(0))
                        .transpose()?;
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
                tx.exec(
                    "INSERT INTO applied(station, seq, digest) VALUES ($1, $2, $3)
                     ON CONFLICT(station, seq) DO UPDATE SET digest = excluded.digest",
                    args![code, item.seq, &item.digest],
                )?;
                last_seq = item.seq;
            }
            tx.exec(
                "DELETE FROM applied WHERE station = $1 AND seq <= $2",
                args![code, last_seq - REPLAY_WINDOW],
            )?;
            tx.exec(
                "UPDATE stations SET last_seq = $2, last_seen = $3 WHERE code = $1",
                args![code, last_seq, ts(now)],
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
            let rows = c.rows(
                "SELECT s.code, s.name, s.zone, s.localities, s.booking_url,
                        (SELECT min(a.next_free) FROM availability a WHERE a.station = s.code AND a.next_free > $1),
                        s.last_seen, s.aliases,
                        EXISTS (SELECT 1 FROM availability a WHERE a.station = s.code)
                 FROM stations s WHERE s.revoked_at IS NULL ORDER BY s.zone, s.name",
                args![ts(now)],
            )?;
            let all = rows
                .iter()
                .map(|r| {
                    Ok(Listing {
                        code: r.string(0)?,
                        name: r.string(1)?,
                        zone: r.string(2)?,
                        localities: localities(&r.string(3)?),
                        booking_url: r.string(4)?,
                        next_free: r.opt_i64(5)?.map(from_ts),
                        last_seen: r.opt_i64(6)?.map(from_ts),
                        aliases: aliases(&r.string(7)?),
                        has_times: r.bool(8)?,
                    })
                })
                .collect::<Result<Vec<Listing>>>()?;
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
            let mut out = c
                .rows(
                    "SELECT code, name, zone, last_seen, enrolled_at IS NOT NULL FROM stations
                     WHERE revoked_at IS NULL ORDER BY zone, name",
                    args![],
                )?
                .iter()
                .map(|r| {
                    Ok(StationFigures {
                        code: r.string(0)?,
                        name: r.string(1)?,
                        zone: r.string(2)?,
                        last_seen: r.opt_i64(3)?.map(from_ts),
                        enrolled: r.bool(4)?,
                        ..Default::default()
                    })
                })
                .collect::<Result<Vec<StationFigures>>>()?;
            // One lookup per row, not a scan of every station (17,500 of them, nationally).
            let index: std::collections::HashMap<String, usize> =
                out.iter().enumerate().map(|(i, f)| (f.code.clone(), i)).collect();
            c.each(
                "SELECT station, offered, booked, completed, no_show, cancelled, wait_seconds_sum, wait_count,
                        call_seconds_sum, call_count, reasons
                 FROM daily WHERE day BETWEEN $1 AND $2",
                args![from.to_string(), to.to_string()],
                &mut |r| {
                    let Some(i) = index.get(&r.string(0)?) else { return Ok(()) };
                    let f = &mut out[*i].counts;
                    f.offered += r.u64(1)?;
                    f.booked += r.u64(2)?;
                    f.completed += r.u64(3)?;
                    f.no_show += r.u64(4)?;
                    f.cancelled += r.u64(5)?;
                    f.wait_seconds_sum += r.i64(6)?;
                    f.wait_count += r.u64(7)?;
                    f.call_seconds_sum += r.i64(8)?;
                    f.call_count += r.u64(9)?;
                    parse_reasons(&r.string(10)?, &mut f.reasons);
                    Ok(())
                },
            )?;
            Ok(out)
        })
    }

    /// The officers a station reported (names and ranks).
    pub fn officers(&self, code: &str) -> Result<Vec<OfficerName>> {
        self.db.read(|c| {
            c.rows(
                "SELECT officer_id, name, rank FROM officers WHERE station = $1 ORDER BY officer_id",
                args![code],
            )?
            .iter()
            .map(|r| {
                Ok(OfficerName {
                    id: r.i64(0)?,
                    name: r.string(1)?,
                    rank: r.string(2)?,
                })
            })
            .collect()
        })
    }

    /// The audit-log heads a station sent, newest first (one per day).
    pub fn audit_heads(&self, code: &str) -> Result<Vec<RecordedHead>> {
        self.db.read(|c| {
            c.rows(
                "SELECT seq, hash, received_at FROM audit_heads WHERE station = $1
                 ORDER BY received_at DESC, seq DESC",
                args![code],
            )?
            .iter()
            .map(head_row)
            .collect()
        })
    }

    /// Each station's newest audit-log head, by station code.
    pub fn last_audit_heads(&self) -> Result<std::collections::HashMap<String, RecordedHead>> {
        self.db.read(|c| {
            // Written for both dialects (SQLite's bare columns beside max() are its own):
            // each station's rows received last; of a tie, the one with the highest number.
            c.rows(
                "SELECT a.station, a.seq, a.hash, a.received_at FROM audit_heads a
                 WHERE a.received_at = (SELECT max(b.received_at) FROM audit_heads b WHERE b.station = a.station)
                 ORDER BY a.station, a.seq",
                args![],
            )?
            .iter()
            .map(|r| {
                Ok((
                    r.string(0)?,
                    RecordedHead {
                        seq: r.i64(1)?,
                        hash: r.string(2)?,
                        received_at: from_ts(r.i64(3)?),
                    },
                ))
            })
            .collect()
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
            tx.exec(
                "INSERT INTO station_health(station, health, clock_offset, received_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT(station) DO UPDATE SET health = excluded.health,
                    clock_offset = excluded.clock_offset, received_at = excluded.received_at",
                args![code, json, clock_offset, ts(now)],
            )?;
            Ok(())
        })
    }

    /// Each station's newest health, by station code (a row that no longer parses is left
    /// out: the next push replaces it).
    pub fn healths(&self) -> Result<std::collections::HashMap<String, StationHealth>> {
        self.db.read(|c| {
            let rows = c.rows(
                "SELECT station, health, clock_offset, received_at FROM station_health",
                args![],
            )?;
            let mut out = std::collections::HashMap::new();
            for r in rows {
                if let Ok(health) = serde_json::from_str(&r.string(1)?) {
                    out.insert(
                        r.string(0)?,
                        StationHealth {
                            health,
                            clock_offset: r.i64(2)?,
                            received_at: from_ts(r.i64(3)?),
                        },
                    );
                }
            }
            Ok(out)
        })
    }

    // ---- admins ----

    /// Adds a console admin; an email taken (in any case) is a conflict, decided by the
    /// database's unique index, so two hubs adding one email at once add it once.
    pub fn add_admin(&self, email: &str, password_hash: &str, now: DateTime<Utc>) -> Result<i64> {
        self.db.write(|tx| {
            tx.one(
                "INSERT INTO admins(email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
                args![email, password_hash, ts(now)],
            )
            .map_err(|e| unique_conflict(e, &[("admins.email", "email_taken")]))?
            .i64(0)
        })
    }

    /// (id, password hash) of an admin.
    pub fn admin_by_email(&self, email: &str) -> Result<Option<(i64, String)>> {
        self.db.read(|c| {
            c.opt(
                "SELECT id, password_hash FROM admins WHERE lower(email) = lower($1)",
                args![email],
            )?
            .map(|r| Ok((r.i64(0)?, r.string(1)?)))
            .transpose()
        })
    }

    pub fn admin_count(&self) -> Result<u32> {
        self.db.read(|c| {
            let n = c.one("SELECT count(*) FROM admins", args![])?.u64(0)?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.db.read(|c| {
            c.opt("SELECT value FROM settings WHERE key = $1", args![key])?
                .map(|r| r.string(0))
                .transpose()
        })
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.db.write(|tx| {
            tx.exec(
                "INSERT INTO settings(key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                args![key, value],
            )?;
            Ok(())
        })
    }

    /// Stores `value` under `key` unless a value is there already; returns the stored one.
    /// Of several hub processes starting at once on one database, the first to commit wins
    /// and every one of them gets its value (e.g. the hub's shared key material).
    pub fn set_setting_if_absent(&self, key: &str, value: &str) -> Result<String> {
        self.db.write(|tx| {
            // On PostgreSQL a concurrent insert of the same key makes this wait for it, then
            // do nothing; the read after it sees the winner's value.
            tx.exec(
                "INSERT INTO settings(key, value) VALUES ($1, $2) ON CONFLICT(key) DO NOTHING",
                args![key, value],
            )?;
            tx.one("SELECT value FROM settings WHERE key = $1", args![key])?
                .string(0)
        })
    }
}

fn head_row(r: &Row) -> Result<RecordedHead> {
    Ok(RecordedHead {
        seq: r.i64(0)?,
        hash: r.string(1)?,
        received_at: from_ts(r.i64(2)?),
    })
}

fn apply(tx: &mut dyn Sql, code: &str, update: &HubUpdate) -> Result<()> {
    match update {
        HubUpdate::Profile { name, officers } => {
            tx.exec(
                "UPDATE stations SET name = $2 WHERE code = $1",
                args![code, name],
            )?;
            tx.exec("DELETE FROM officers WHERE station = $1", args![code])?;
            for o in officers {
                tx.exec(
                    "INSERT INTO officers(station, officer_id, name, rank) VALUES ($1, $2, $3, $4)
                     ON CONFLICT(station, officer_id) DO UPDATE SET name = excluded.name, rank = excluded.rank",
                    args![code, o.id, &o.name, &o.rank],
                )?;
            }
        }
        HubUpdate::Availability { days } => {
            tx.exec("DELETE FROM availability WHERE station = $1", args![code])?;
            // The last row of an officer's day wins, as row-by-row upserts would have it: one
            // statement may not touch a row twice on PostgreSQL.
            let days: BTreeMap<_, _> = days.iter().map(|d| ((d.officer_id, d.day), d)).collect();
            let days: Vec<_> = days.into_values().collect();
            // Many rows per statement: on PostgreSQL each statement is a round trip, and one
            // per row made these inserts most of a push's cost (bench/hub-ha).
            for chunk in days.chunks(AVAILABILITY_ROWS_PER_INSERT) {
                let mut sql = String::from(
                    "INSERT INTO availability(station, officer_id, day, offered, free, next_free) VALUES ",
                );
                let mut values = Vec::with_capacity(chunk.len() * 6);
                for (i, d) in chunk.iter().enumerate() {
                    let n = i * 6;
                    let sep = if i == 0 { "" } else { ", " };
                    sql += &format!(
                        "{sep}(${}, ${}, ${}, ${}, ${}, ${})",
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 5,
                        n + 6
                    );
                    values.extend_from_slice(args![
                        code,
                        d.officer_id,
                        d.day.to_string(),
                        d.offered,
                        d.free,
                        d.next_free.map(ts)
                    ]);
                }
                tx.exec(&sql, &values)?;
            }
        }
        HubUpdate::Daily(DailyFigures {
            day,
            officer_id,
            counts: f,
        }) => {
            tx.exec(
                "INSERT INTO daily(station, officer_id, day, offered, booked, completed, no_show, cancelled,
                    wait_seconds_sum, wait_count, call_seconds_sum, call_count, reasons)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT(station, officer_id, day) DO UPDATE SET offered = excluded.offered,
                    booked = excluded.booked, completed = excluded.completed, no_show = excluded.no_show,
                    cancelled = excluded.cancelled, wait_seconds_sum = excluded.wait_seconds_sum,
                    wait_count = excluded.wait_count, call_seconds_sum = excluded.call_seconds_sum,
                    call_count = excluded.call_count, reasons = excluded.reasons",
                args![
                    code, *officer_id, day.to_string(), f.offered, f.booked, f.completed, f.no_show, f.cancelled,
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
fn record_head(tx: &mut dyn Sql, code: &str, seq: i64, hash: &str) -> Result<()> {
    let now = Utc::now();
    let newest = tx
        .one(
            "SELECT max(seq) FROM audit_heads WHERE station = $1",
            args![code],
        )?
        .opt_i64(0)?;
    if newest.is_some_and(|n| seq < n) {
        tracing::warn!(station = %code, seq, newest = ?newest, "a station's audit log went back: entries were removed");
    }
    tx.exec(
        "INSERT INTO audit_heads(station, day, seq, hash, received_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT(station, day) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
            received_at = excluded.received_at",
        args![code, now.date_naive().to_string(), seq, hash, ts(now)],
    )?;
    Ok(())
}

impl crate::Sessions for HubStore {
    fn create_session(
        &self,
        id_hash: &[u8],
        admin_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.db.write(|tx| {
            tx.exec(
                "INSERT INTO admin_sessions(id_hash, admin_id, csrf, created_at, last_seen_at)
                 VALUES ($1, $2, $3, $4, $4)",
                args![id_hash, admin_id, csrf, ts(now)],
            )?;
            Ok(())
        })
    }

    fn session(&self, id_hash: &[u8]) -> Result<Option<crate::Session>> {
        self.db.read(|c| {
            c.opt(
                "SELECT admin_id, csrf, created_at, last_seen_at FROM admin_sessions WHERE id_hash = $1",
                args![id_hash],
            )?
            .map(|r| {
                Ok(crate::Session {
                    account_id: r.i64(0)?,
                    csrf: r.string(1)?,
                    created_at: from_ts(r.i64(2)?),
                    last_seen_at: from_ts(r.i64(3)?),
                })
            })
            .transpose()
        })
    }

    fn touch_session(&self, id_hash: &[u8], now: DateTime<Utc>) -> Result<()> {
        self.db.write(|tx| {
            tx.exec(
                "UPDATE admin_sessions SET last_seen_at = $2 WHERE id_hash = $1",
                args![id_hash, ts(now)],
            )?;
            Ok(())
        })
    }

    fn delete_session(&self, id_hash: &[u8]) -> Result<()> {
        self.db.write(|tx| {
            tx.exec(
                "DELETE FROM admin_sessions WHERE id_hash = $1",
                args![id_hash],
            )?;
            Ok(())
        })
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
