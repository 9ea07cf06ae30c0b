//! Group commit: the write transactions that arrive while one is running share its commit
//! (and so its fsync), each inside a savepoint of its own, and each caller is answered only
//! after that commit. A busy station then pays one fsync for many bookings instead of one
//! each, and every acknowledged write is still on disk before it is acknowledged.
//!
//! Each caller runs its own closure on its own thread (closures borrow the caller's data, so
//! they cannot be handed to another thread): it takes the writer connection, opens the
//! group's transaction if none is open, runs its work in a savepoint (an error rolls back its
//! own work only), and then commits the group, unless another writer is already waiting for
//! the connection and the group is not full: that writer joins the group, and the last one
//! to find nobody waiting commits it. Everyone in the group waits for that commit's outcome.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use rusqlite::Connection;

use crate::{Result, StoreError};

/// The most writes one commit carries: bounds how long the first of them waits.
const MOST_IN_A_GROUP: usize = 64;

/// The writer connection and the group its transaction belongs to, if one is open.
pub(crate) struct Writer {
    conn: Connection,
    open: Option<(Arc<Group>, usize)>,
}

/// One group's commit, awaited by its members.
#[derive(Default)]
struct Group {
    outcome: Mutex<Option<std::result::Result<(), String>>>,
    done: Condvar,
}

impl Group {
    fn finish(&self, outcome: std::result::Result<(), String>) {
        *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        self.done.notify_all();
    }

    fn wait(&self) -> std::result::Result<(), String> {
        let mut o = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(outcome) = &*o {
                return outcome.clone();
            }
            o = self.done.wait(o).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The single writer of one SQLite file, committing in groups.
pub(crate) struct GroupWriter {
    writer: Mutex<Writer>,
    /// Writers waiting for the connection (counted before they ask for the lock).
    waiting: AtomicUsize,
    /// Groups committed (see `Store::commits`).
    commits: AtomicU64,
}

impl GroupWriter {
    pub(crate) fn new(conn: Connection) -> GroupWriter {
        GroupWriter {
            writer: Mutex::new(Writer { conn, open: None }),
            waiting: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
        }
    }

    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Runs `f` in the current group's transaction and returns its result once the group is
    /// committed (its error at once: its work was rolled back).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        if w.open.is_some() && w.conn.is_autocommit() {
            // SQLite rolled the group's transaction back on its own (a full disk, an I/O
            // error): what its members wrote is gone, and they must hear so.
            let (group, _) = w.open.take().expect("a group is open");
            group.finish(Err("the transaction was rolled back".into()));
        }
        if w.open.is_none() {
            if let Err(e) = w.conn.execute_batch("BEGIN IMMEDIATE") {
                return Err(e.into());
            }
            w.open = Some((Arc::new(Group::default()), 0));
        }
        // A panic in `f` (a bug) still rolls its work back and settles the group, so the
        // others are not left waiting; it goes on once they are.
        let out = std::panic::catch_unwind(AssertUnwindSafe(|| in_savepoint(&w.conn, f)));
        if out.is_err() {
            let _ = w
                .conn
                .execute_batch("ROLLBACK TO one_write; RELEASE one_write");
        }
        let (group, members) = w.open.take().expect("a group is open");
        let members = members + usize::from(matches!(out, Ok(Ok(_))));
        if self.waiting.load(Ordering::SeqCst) > 0 && members < MOST_IN_A_GROUP {
            // The writer waiting for the lock joins this group and commits it, or passes it on.
            w.open = Some((Arc::clone(&group), members));
            drop(w);
        } else {
            let committed = w.conn.execute_batch("COMMIT");
            if committed.is_err() {
                // Nothing of the group is on disk; make sure no transaction is left open.
                let _ = w.conn.execute_batch("ROLLBACK");
            } else {
                // Before anyone is answered: a reader that saw the old count may have read
                // the new rows, which only makes what it keeps look older than it is.
                self.commits.fetch_add(1, Ordering::Release);
            }
            drop(w);
            group.finish(committed.map_err(|e| e.to_string()));
        }
        let value = match out {
            Ok(out) => out?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        group.wait().map_err(StoreError::CommitFailed)?;
        Ok(value)
    }

    /// The connection with no group open, for work outside transactions (VACUUM, while the
    /// store is being opened and nothing else writes).
    pub(crate) fn with_idle<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        assert!(
            w.open.is_none(),
            "a group is left open only for a waiting writer"
        );
        f(&w.conn)
    }
}

/// Runs `f` in a savepoint of the open transaction: kept on success, rolled back on error.
fn in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    // Prepared once: every write runs these, and parsing them each time showed in profiles.
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut st| st.execute([]));
    run("SAVEPOINT one_write")?;
    match f(conn) {
        Ok(v) => {
            run("RELEASE one_write")?;
            Ok(v)
        }
        Err(e) => {
            run("ROLLBACK TO one_write")?;
            run("RELEASE one_write")?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn writer(dir: &Path) -> Arc<GroupWriter> {
        let conn = Connection::open(dir.join("g.db")).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = wal; PRAGMA synchronous = full;
             CREATE TABLE t (n INTEGER PRIMARY KEY);",
        )
        .unwrap();
        Arc::new(GroupWriter::new(conn))
    }

    fn has(db: &Connection, n: i64) -> bool {
        db.query_row("SELECT count(*) FROM t WHERE n = ?1", [n], |r| r.get(0))
            .unwrap_or(0)
            == 1
    }

    /// Eight threads writing at once; every seventh write fails after writing its row.
    fn write_from_threads(dir: PathBuf, w: &Arc<GroupWriter>) -> Vec<i64> {
        let threads: Vec<_> = (0..8i64)
            .map(|t| {
                let (w, dir) = (Arc::clone(w), dir.clone());
                std::thread::spawn(move || {
                    let reader = Connection::open(dir.join("g.db")).unwrap();
                    let mut kept = Vec::new();
                    for n in (0..40).map(|i| t * 1000 + i) {
                        let r = w.write(|c| {
                            c.execute("INSERT INTO t(n) VALUES (?1)", [n])?;
                            if n % 7 == 0 {
                                return Err(StoreError::Conflict("test"));
                            }
                            Ok(n)
                        });
                        // Answered means committed: another connection sees it at once.
                        assert_eq!(has(&reader, n), r.is_ok(), "row {n}");
                        kept.extend(r.ok());
                    }
                    kept
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    }

    #[test]
    fn every_answered_write_is_committed_and_a_failed_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path());
        let kept = write_from_threads(dir.path().to_owned(), &w);
        let failed = (0..8i64)
            .flat_map(|t| (0..40).map(move |i| t * 1000 + i))
            .filter(|n| n % 7 == 0)
            .count();
        assert_eq!(kept.len(), 8 * 40 - failed);
        let db = Connection::open(dir.path().join("g.db")).unwrap();
        let all: i64 = db
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(all as usize, kept.len());
        assert!(w.commits() <= kept.len() as u64);
    }

    #[test]
    fn a_write_that_panics_leaves_nothing_and_holds_up_no_one() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path());
        let w2 = Arc::clone(&w);
        let panicked = std::thread::spawn(move || {
            w2.write(|c| -> Result<()> {
                c.execute("INSERT INTO t(n) VALUES (-1)", [])?;
                panic!("a bug")
            })
        })
        .join();
        assert!(panicked.is_err());
        w.write(|c| Ok(c.execute("INSERT INTO t(n) VALUES (1)", [])?))
            .unwrap();
        let db = Connection::open(dir.path().join("g.db")).unwrap();
        assert!(has(&db, 1) && !has(&db, -1));
    }
}
