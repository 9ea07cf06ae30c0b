//! The station's SQLite database and the hub's (SQLite, or PostgreSQL for several hub
//! processes): connection set-up, embedded forward-only migrations, and every SQL statement
//! they run. No other crate imports `rusqlite` or `postgres`.
//!
//! All methods are blocking; async callers run them on a blocking thread. Writes go through
//! one connection (SQLite has one writer anyway), reads through a small pool, so a slow write
//! never holds up the booking page.
//!
//! A station's database is opened with its data key ([`seal::DataKey`]): every connection has
//! the SQL functions `seal(text)` and `unseal(text)`, so the statements that write a citizen's
//! reason or an officer's note seal it right there, and those that read it open it; the plain
//! text never reaches the file.

mod appointments;
pub mod audit;
mod backups;
mod calls;
mod federation;
mod group;
mod hub;
mod hub_backups;
mod ids;
mod migrate;
mod officers;
mod outbox;
mod pg;
mod retention;
pub mod seal;
mod sessions;
mod sql;

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

pub use appointments::{
    Appointment, BookOutcome, BookingGuard, Document, Idempotency, MailCaps, NewAppointment,
    NewDocument, Note, Reschedule,
};
pub use audit::{Action, Actor, AuditEntry, AuditHead, Subject};
pub use backups::{BACKUP_NONE, BACKUP_OK, BackupRecord};
pub use calls::{CallEvent, CallRecord, CallStep};
pub use federation::{DailyFigures, QueuedMessage};
pub use hub::{
    Aliases, AvailabilityRow, HubStation, HubStore, HubUpdate, Listing, PublishedUpdate, PushItem,
    PushRefusal, RecordedHead, StationFigures, StationHealth,
};
pub use hub_backups::StoredBackup;
pub use ids::{AppointmentId, OfficerId};
pub use officers::{NewOfficer, Officer};
pub use outbox::{NewMail, NewReminder, OutboxMessage, OutboxStatus};
pub use retention::{Due, Hold, RemovedDocument};
pub use sessions::{Session, Sessions};
/// The counters of a day, as they cross the federation wire and as the hub sums them.
pub use vappoint_wire::federation::DayCounts;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration {version} failed")]
    Migration {
        version: u32,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the database was written by a newer vappoint (schema {found}, this one knows {known})"
    )]
    TooNew { found: u32, known: u32 },
    #[error("database error")]
    Postgres(#[from] postgres::Error),
    #[error("no database connection")]
    Pool(#[from] r2d2::Error),
    #[error("migration {version} failed")]
    PgMigration {
        version: u32,
        #[source]
        source: postgres::Error,
    },
    #[error("column {index} is not {want}")]
    Column { index: usize, want: &'static str },
    #[error("the PostgreSQL database already holds a hub (table {0} is not empty)")]
    NotEmpty(String),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("sealed data does not open")]
    Seal(#[from] seal::SealError),
    /// The commit this write shared with others failed: none of them is on disk.
    #[error("the database could not commit: {0}")]
    CommitFailed(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

const READERS: usize = 4;

/// One SQLite file: a writer connection, committing in groups, and a few readers.
pub(crate) struct Db {
    writer: group::GroupWriter,
    readers: Vec<Mutex<Connection>>,
}

/// The station's open database.
pub struct Store {
    db: Db,
    key: seal::DataKey,
}

fn open_conn(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    // WAL lets readers run beside the writer; FULL makes every commit durable before we
    // acknowledge it (a booking must survive `kill -9` and a power cut).
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "full")?;
    conn.pragma_update(None, "foreign_keys", "on")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // A booking alone runs a dozen statements: keep them all prepared (the default is 16).
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

/// The SQL functions `seal(text)` and `unseal(text)` with `key` (NULL stays NULL), and
/// `secure_delete`, so what a station deletes (retention) is overwritten, not left in free pages.
fn with_key(conn: &Connection, key: &seal::DataKey) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.pragma_update(None, "secure_delete", "on")?;
    let k = key.clone();
    conn.create_scalar_function("seal", 1, FunctionFlags::SQLITE_UTF8, move |ctx| {
        Ok(ctx
            .get::<Option<String>>(0)?
            .map(|plain| k.seal_text(&plain)))
    })?;
    let k = key.clone();
    conn.create_scalar_function(
        "unseal",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            ctx.get::<Option<String>>(0)?
                .map(|sealed| k.open_text(&sealed))
                .transpose()
                .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))
        },
    )
}

impl Db {
    /// Opens (creating if needed) the database at `path`, sets up each connection with
    /// `init`, and applies `migrations`.
    pub(crate) fn open(
        path: &Path,
        migrations: &[&str],
        init: &dyn Fn(&Connection) -> rusqlite::Result<()>,
    ) -> Result<Db> {
        let mut writer = open_conn(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        init(&writer)?;
        migrate::run(&mut writer, migrations)?;
        // Each write of a group runs in a savepoint: keep its journal in memory, not in a
        // temporary file written for every booking (the WAL alone makes the commit durable).
        // The writer's only: readers' sorts, and VACUUM's copy (see `seal_plain_text`), may
        // be large, and stay in files.
        writer.pragma_update(None, "temp_store", "memory")?;
        let readers = (0..READERS)
            .map(|_| {
                let c = open_conn(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                init(&c)?;
                Ok(Mutex::new(c))
            })
            .collect::<rusqlite::Result<_>>()?;
        Ok(Db {
            writer: group::GroupWriter::new(writer),
            readers,
        })
    }

    /// Runs `f` in a write transaction, answering once it is committed: with the writes that
    /// arrived meanwhile, in one commit (`group`). An error rolls back `f`'s work only.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.writer.write(f)
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        // Take the first free reader; if all are busy, wait for one chosen by thread.
        for r in &self.readers {
            if let Ok(conn) = r.try_lock() {
                return f(&conn);
            }
        }
        let i = thread_index() % self.readers.len();
        let conn = self.readers[i].lock().unwrap_or_else(|e| e.into_inner());
        f(&conn)
    }

    pub(crate) fn schema_version(&self) -> Result<u32> {
        self.read(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
    }
}

impl Store {
    /// Opens (creating if needed) the station database at `path` with the station's data key,
    /// brings its schema up to date and runs the data steps (sealing what an older box kept
    /// plain).
    pub fn open(path: &Path, key: &seal::DataKey) -> Result<Store> {
        let store = Store {
            db: Db::open(path, migrate::STATION, &|c| with_key(c, key))?,
            key: key.clone(),
        };
        store.seal_plain_text()?;
        Ok(store)
    }

    /// Once per database: seals the reasons and notes an older box kept in clear, then rewrites
    /// the file (VACUUM) so their old pages are gone from it and from the WAL.
    fn seal_plain_text(&self) -> Result<()> {
        let sealed = self.write(|tx| {
            let done: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM data_steps WHERE name = 'seal_text')",
                [],
                |r| r.get(0),
            )?;
            if done {
                return Ok(0);
            }
            let n = tx.execute("UPDATE appointments SET reason = seal(reason)", [])?
                + tx.execute("UPDATE notes SET body = seal(body)", [])?;
            tx.execute(
                "INSERT INTO data_steps(name, done_at) VALUES ('seal_text', ?1)",
                [ts(Utc::now())],
            )?;
            Ok(n)
        })?;
        if sealed > 0 {
            self.db.writer.with_idle(|conn| {
                conn.execute_batch(
                    "PRAGMA temp_store = file; VACUUM; PRAGMA temp_store = memory;
                         PRAGMA wal_checkpoint(TRUNCATE);",
                )
            })?;
            tracing::info!(rows = sealed, "sealed the reasons and notes kept in clear");
        }
        Ok(())
    }

    /// How many write transactions this process has committed so far. Anything read from
    /// the database while this number stays the same is still what the database says, as far
    /// as this process's writes go (another process, such as `vappoint officer` on the command
    /// line, is not counted). Read it before reading what is to be kept.
    pub fn commits(&self) -> u64 {
        self.db.writer.commits()
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<u32> {
        self.db.schema_version()
    }

    /// Writes a consistent copy of the database to `path` (which must not exist), while
    /// others keep reading and writing: what a backup holds.
    pub fn snapshot_to(&self, path: &Path) -> Result<()> {
        let _ = std::fs::remove_file(path);
        let target = path.to_string_lossy();
        self.read(|c| Ok(c.execute("VACUUM INTO ?1", [&*target]).map(|_| ())?))
    }

    /// The key the database was opened with, which also seals the documents on disk.
    pub fn data_key(&self) -> &seal::DataKey {
        &self.key
    }

    pub(crate) fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.db.write(f)
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.db.read(f)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
    }

    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        self.write(|tx| {
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO settings(key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    [key, v],
                )?,
                None => tx.execute("DELETE FROM settings WHERE key = ?1", [key])?,
            };
            Ok(())
        })
    }
}

/// Whether the station database at `path` already holds data sealed with a data key (read
/// only): a box whose key went missing must not make a new one, which would open none of it.
pub fn holds_sealed_data(path: &Path) -> Result<bool> {
    use rusqlite::OptionalExtension;
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let has_steps: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'data_steps')",
        [],
        |r| r.get(0),
    )?;
    if !has_steps {
        return Ok(false);
    }
    Ok(c.query_row(
        "SELECT 1 FROM data_steps WHERE name = 'seal_text'",
        [],
        |_| Ok(()),
    )
    .optional()?
    .is_some())
}

fn thread_index() -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    h.finish() as usize
}

/// Maps a unique-index violation to a named conflict; other errors pass through.
pub(crate) fn conflict_on(e: rusqlite::Error, what: &[(&str, &'static str)]) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, Some(msg)) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
    {
        for (needle, name) in what {
            if msg.contains(needle) {
                return StoreError::Conflict(name);
            }
        }
    }
    StoreError::Sqlite(e)
}
