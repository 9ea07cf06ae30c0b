//! The audit log: who looked at or changed what, as a hash chain in the station's database.
//!
//! Entry `seq` (from 1, gapless) carries `hash = SHA-256(previous hash || canonical entry)`,
//! the previous hash of entry 1 being 32 zero bytes, and the canonical entry the compact JSON
//! array `[seq, at, actor, action, subject]` (`at` in Unix seconds, `subject` a string or
//! null). Changing, removing or inserting a row breaks the chain from there on
//! ([`verify_file`] names the first bad entry); a log rewritten whole and re-chained disagrees
//! with a head the hub recorded earlier (the head, `seq` and hash, is all that leaves the box).
//! Entries hold ids, never names, reasons or emails.

use std::fmt;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::{AppointmentId, OfficerId, Result, Store, from_ts, ts};

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Officer(OfficerId),
    /// The box itself (retention, the command line).
    System,
    /// A login with an email that belongs to no officer.
    Unknown,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Officer(id) => write!(f, "officer:{id}"),
            Actor::System => f.write_str("system"),
            Actor::Unknown => f.write_str("unknown"),
        }
    }
}

/// What was done. The names are what the log stores; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    LoginFailed,
    Logout,
    ViewDay,
    ViewAppointment,
    ViewDocument,
    AddNote,
    SetOutcome,
    OfficerAdded,
    OfficerChanged,
    OfficerRemoved,
    PasswordChanged,
    StationSettings,
    Certificate,
    Enrolled,
    AuditExport,
    RetentionDelete,
    HoldSet,
    HoldReleased,
    RecoveryKey,
    UpdateInstalled,
}

impl Action {
    pub const ALL: &[Action] = &[
        Action::Login,
        Action::LoginFailed,
        Action::Logout,
        Action::ViewDay,
        Action::ViewAppointment,
        Action::ViewDocument,
        Action::AddNote,
        Action::SetOutcome,
        Action::OfficerAdded,
        Action::OfficerChanged,
        Action::OfficerRemoved,
        Action::PasswordChanged,
        Action::StationSettings,
        Action::Certificate,
        Action::Enrolled,
        Action::AuditExport,
        Action::RetentionDelete,
        Action::HoldSet,
        Action::HoldReleased,
        Action::RecoveryKey,
        Action::UpdateInstalled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::ViewDay => "view_day",
            Action::ViewAppointment => "view_appointment",
            Action::ViewDocument => "view_document",
            Action::AddNote => "add_note",
            Action::SetOutcome => "set_outcome",
            Action::OfficerAdded => "officer_added",
            Action::OfficerChanged => "officer_changed",
            Action::OfficerRemoved => "officer_removed",
            Action::PasswordChanged => "password_changed",
            Action::StationSettings => "station_settings",
            Action::Certificate => "certificate",
            Action::Enrolled => "enrolled",
            Action::AuditExport => "audit_export",
            Action::RetentionDelete => "retention_delete",
            Action::HoldSet => "hold_set",
            Action::HoldReleased => "hold_released",
            Action::RecoveryKey => "recovery_key",
            Action::UpdateInstalled => "update_installed",
        }
    }
}

/// What it was done to: an id, never a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    None,
    Appointment(AppointmentId),
    Document(i64),
    Officer(OfficerId),
    Day(NaiveDate),
    Station,
}

impl Subject {
    fn stored(self) -> Option<String> {
        match self {
            Subject::None => None,
            Subject::Appointment(id) => Some(format!("appointment:{id}")),
            Subject::Document(id) => Some(format!("document:{id}")),
            Subject::Officer(id) => Some(format!("officer:{id}")),
            Subject::Day(d) => Some(format!("day:{d}")),
            Subject::Station => Some("station".into()),
        }
    }
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    /// SHA-256, hex.
    pub hash: String,
}

/// The newest entry's number and hash: what the hub is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    /// SHA-256, hex.
    pub hash: String,
}

/// What checking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry chains to the one before; `head` is `None` for an empty log.
    Intact {
        entries: i64,
        head: Option<AuditHead>,
    },
    /// Entry `seq` is missing, altered, or does not follow from the one before.
    Broken { seq: i64, why: &'static str },
}

fn canonical(seq: i64, at: i64, actor: &str, action: &str, subject: Option<&str>) -> Vec<u8> {
    serde_json::to_vec(&(seq, at, actor, action, subject)).expect("a tuple of plain values")
}

fn chain(prev: &[u8], entry: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(prev)
        .chain_update(entry)
        .finalize()
        .into()
}

fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}

/// Appends an entry inside the caller's transaction (so a change and its entry commit
/// together); returns the new head.
pub(crate) fn append(
    tx: &rusqlite::Connection,
    actor: Actor,
    action: Action,
    subject: Subject,
    now: DateTime<Utc>,
) -> Result<AuditHead> {
    let last: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, vec![0; 32]),
    };
    let (actor, subject, at) = (actor.to_string(), subject.stored(), ts(now));
    let hash = chain(
        &prev,
        &canonical(seq, at, &actor, action.as_str(), subject.as_deref()),
    );
    tx.execute(
        "INSERT INTO audit(seq, at, actor, action, subject, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq, at, actor, action.as_str(), subject, hash.as_slice()],
    )?;
    Ok(AuditHead {
        seq,
        hash: hex(&hash),
    })
}

fn entry_row(r: &rusqlite::Row) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get(0)?,
        at: from_ts(r.get(1)?),
        actor: r.get(2)?,
        action: r.get(3)?,
        subject: r.get(4)?,
        hash: hex(&r.get::<_, Vec<u8>>(5)?),
    })
}

const COLS: &str = "seq, at, actor, action, subject, hash";

impl Store {
    /// Records that `actor` did `action` to `subject`.
    pub fn audit(
        &self,
        actor: Actor,
        action: Action,
        subject: Subject,
        now: DateTime<Utc>,
    ) -> Result<AuditHead> {
        self.write(|tx| append(tx, actor, action, subject, now))
    }

    /// The newest entry's number and hash, if any.
    pub fn audit_head(&self) -> Result<Option<AuditHead>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| {
                    Ok(AuditHead {
                        seq: r.get(0)?,
                        hash: hex(&r.get::<_, Vec<u8>>(1)?),
                    })
                },
            )
            .optional()?)
        })
    }

    /// Up to `limit` entries before `before` (all when `None`), newest first: a page of the log.
    pub fn audit_page(&self, before: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {COLS} FROM audit WHERE ?1 IS NULL OR seq < ?1 ORDER BY seq DESC LIMIT ?2"
            );
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params![before, limit], entry_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Every officer's id and name, removed ones included: the log names them by id.
    pub fn officer_names(&self) -> Result<Vec<(OfficerId, String)>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT id, name FROM officers ORDER BY id")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Calls `each` with every entry, oldest first (for the export).
    pub fn audit_each(&self, mut each: impl FnMut(&AuditEntry)) -> Result<()> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {COLS} FROM audit ORDER BY seq"))?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                each(&entry_row(r)?);
            }
            Ok(())
        })
    }
}

/// Checks the chain of the station database at `path`, read-only (the station may be running;
/// nothing is migrated or written).
pub fn verify_file(path: &Path) -> Result<Verdict> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    verify(&c)
}

fn verify(c: &Connection) -> Result<Verdict> {
    let mut st =
        c.prepare("SELECT seq, at, actor, action, subject, hash FROM audit ORDER BY seq")?;
    let mut rows = st.query([])?;
    let mut prev = vec![0u8; 32];
    let mut expected = 1i64;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        if seq != expected {
            return Ok(Verdict::Broken {
                seq: expected,
                why: "missing",
            });
        }
        let (at, actor, action, subject, hash): (i64, String, String, Option<String>, Vec<u8>) =
            (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
        let want = chain(
            &prev,
            &canonical(seq, at, &actor, &action, subject.as_deref()),
        );
        if hash != want {
            return Ok(Verdict::Broken {
                seq,
                why: "altered",
            });
        }
        prev = hash;
        expected += 1;
    }
    let entries = expected - 1;
    Ok(Verdict::Intact {
        entries,
        head: (entries > 0).then(|| AuditHead {
            seq: entries,
            hash: hex(&prev),
        }),
    })
}

/// The hash of entry `seq` as the database at `path` holds it (to compare with a head the hub
/// recorded).
pub fn hash_at(path: &Path, seq: i64) -> Result<Option<String>> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    Ok(
        c.query_row("SELECT hash FROM audit WHERE seq = ?1", [seq], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .optional()?
        .map(|h| hex(&h)),
    )
}
