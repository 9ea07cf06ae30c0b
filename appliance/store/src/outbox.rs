//! The durable mail outbox: messages wait here until the relay (or the local spool) has
//! them, are retried with backoff, and end as sent or dead.

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};

use crate::{AppointmentId, Result, Store, StoreError, from_ts, ts};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    /// Waiting for its first or next try.
    Pending,
    /// Written to the spool folder because no relay is set; a relay sends it later.
    Spooled,
    Sent,
    /// Refused for good by the relay; shown to the admin.
    Dead,
}

impl OutboxStatus {
    fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Spooled => "spooled",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Dead => "dead",
        }
    }
    fn parse(s: &str) -> OutboxStatus {
        match s {
            "spooled" => OutboxStatus::Spooled,
            "sent" => OutboxStatus::Sent,
            "dead" => OutboxStatus::Dead,
            _ => OutboxStatus::Pending,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewMail {
    pub message_id: String,
    pub kind: String,
    pub to_addr: String,
    /// The whole message, encrypted by the caller (it may carry a token).
    pub sealed: Vec<u8>,
}

/// A reminder mail, sealed when the appointment is booked or moved (it carries the join
/// link), waiting in `reminders` until `due`.
#[derive(Debug, Clone)]
pub struct NewReminder {
    pub due: DateTime<Utc>,
    pub mail: NewMail,
}

#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub id: i64,
    pub message_id: String,
    pub appointment_id: Option<AppointmentId>,
    pub kind: String,
    pub to_addr: String,
    pub sealed: Option<Vec<u8>>,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn insert_mail(
    tx: &rusqlite::Connection,
    m: &NewMail,
    appointment: Option<AppointmentId>,
    source_tag: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO outbox(message_id, appointment_id, kind, to_addr, sealed, status, next_attempt_at, created_at,
            source_tag)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6, ?7)",
    )?
    .execute(params![m.message_id, appointment, m.kind, m.to_addr, m.sealed, ts(now), source_tag])?;
    Ok(())
}

pub(crate) fn insert_reminder(
    tx: &rusqlite::Connection,
    appointment: AppointmentId,
    r: &NewReminder,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO reminders(appointment_id, due_at, message_id, to_addr, sealed, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        appointment,
        ts(r.due),
        r.mail.message_id,
        r.mail.to_addr,
        r.mail.sealed,
        ts(now)
    ])?;
    Ok(())
}

/// Drops an appointment's reminder, whether still waiting or already released into the
/// outbox but not yet delivered: it names a time that no longer holds.
pub(crate) fn drop_reminder(tx: &rusqlite::Connection, appointment: AppointmentId) -> Result<()> {
    tx.execute(
        "DELETE FROM reminders WHERE appointment_id = ?1",
        [appointment],
    )?;
    tx.execute(
        "DELETE FROM outbox WHERE appointment_id = ?1 AND kind = 'reminder' AND status = 'pending'",
        [appointment],
    )?;
    Ok(())
}

const COLS: &str = "id, message_id, appointment_id, kind, to_addr, sealed, status, attempts, next_attempt_at, last_error, created_at";

fn row(r: &Row) -> rusqlite::Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: r.get(0)?,
        message_id: r.get(1)?,
        appointment_id: r.get(2)?,
        kind: r.get(3)?,
        to_addr: r.get(4)?,
        sealed: r.get(5)?,
        status: OutboxStatus::parse(&r.get::<_, String>(6)?),
        attempts: r.get(7)?,
        next_attempt_at: from_ts(r.get(8)?),
        last_error: r.get(9)?,
        created_at: from_ts(r.get(10)?),
    })
}

/// Queues the due reminders of appointments still ahead. `CROSS JOIN` keeps SQLite's join
/// order: reminders first (the few due, by `reminders_due`), then each one's appointment.
/// Left to itself the planner started from `appointments_end` and walked every future booking
/// on each of the outbox worker's rounds (27 ms a round with 20,000 ahead, 12 % of a busy
/// station's CPU in bench/compare's bookings).
const RELEASE_DUE_REMINDERS: &str =
    "INSERT INTO outbox(message_id, appointment_id, kind, to_addr, sealed, status, next_attempt_at, created_at)
     SELECT r.message_id, r.appointment_id, 'reminder', r.to_addr, r.sealed, 'pending', ?1, ?1
     FROM reminders r CROSS JOIN appointments a ON a.id = r.appointment_id
     WHERE r.due_at <= ?1 AND a.status = 'booked' AND a.end_at > ?1";

impl Store {
    /// Queues a mail not tied to a booking change (e.g. a test message from the admin).
    pub fn queue_mail(&self, m: &NewMail, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| insert_mail(tx, m, None, None, now))
    }

    /// One message by its Message-ID (the admin's test message, to report what became of it).
    pub fn mail_by_message_id(&self, message_id: &str) -> Result<Option<OutboxMessage>> {
        use rusqlite::OptionalExtension;
        self.read(|c| {
            let sql = format!("SELECT {COLS} FROM outbox WHERE message_id = ?1");
            Ok(c.query_row(&sql, [message_id], row).optional()?)
        })
    }

    /// Mail that has not reached anyone: (spooled, retrying after a failed try, refused for
    /// good since `dead_since`). Counted over the status index, cheap enough for every page.
    pub fn undelivered_mail(&self, dead_since: DateTime<Utc>) -> Result<(u32, u32, u32)> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FILTER (WHERE status = 'spooled'),
                        count(*) FILTER (WHERE status = 'pending' AND attempts > 0),
                        count(*) FILTER (WHERE status = 'dead' AND delivered_at >= ?1)
                 FROM outbox WHERE status IN ('spooled', 'pending', 'dead')",
                [ts(dead_since)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
    }

    /// Messages due for a try at `now`: pending ones whose time has come, and, when a relay
    /// is set (`include_spooled`), spooled ones.
    pub fn due_mail(
        &self,
        now: DateTime<Utc>,
        include_spooled: bool,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {COLS} FROM outbox
                 WHERE (status = 'pending' AND next_attempt_at <= ?1) OR (?2 AND status = 'spooled')
                 ORDER BY next_attempt_at, id LIMIT ?3"
            );
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params![ts(now), include_spooled, limit], row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Spooled messages past their use: those of appointments that ended before
    /// `ended_before`, and those of no appointment written before `written_before`. Their
    /// spool files carry tokens and citizens' details, so they go with the appointment.
    pub fn stale_spooled_mail(
        &self,
        ended_before: DateTime<Utc>,
        written_before: DateTime<Utc>,
    ) -> Result<Vec<OutboxMessage>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {COLS} FROM outbox
                 WHERE status = 'spooled' AND CASE WHEN appointment_id IS NULL THEN created_at < ?2
                     ELSE appointment_id IN (SELECT id FROM appointments WHERE end_at < ?1) END
                 ORDER BY id LIMIT 500"
            );
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params![ts(ended_before), ts(written_before)], row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// When the next pending message or reminder is due, if any.
    pub fn next_mail_due(&self) -> Result<Option<DateTime<Utc>>> {
        self.read(|c| {
            let t: Option<i64> = c.query_row(
                "SELECT min(t) FROM (
                    SELECT min(next_attempt_at) AS t FROM outbox WHERE status = 'pending'
                    UNION ALL SELECT min(due_at) FROM reminders)",
                [],
                |r| r.get(0),
            )?;
            Ok(t.map(from_ts))
        })
    }

    /// Moves the reminders due at `now` into the outbox, in one transaction, so each is
    /// queued exactly once. Reminders of appointments no longer booked, or already over
    /// (the station was off through them), are dropped unsent. Returns how many were queued.
    pub fn release_due_reminders(&self, now: DateTime<Utc>) -> Result<usize> {
        self.write(|tx| {
            let n = tx
                .prepare_cached(RELEASE_DUE_REMINDERS)?
                .execute([ts(now)])?;
            tx.execute("DELETE FROM reminders WHERE due_at <= ?1", [ts(now)])?;
            Ok(n)
        })
    }

    /// When an appointment's reminder is due, if one is waiting (for the officer's view and
    /// tests).
    pub fn reminder_due(&self, appointment: AppointmentId) -> Result<Option<DateTime<Utc>>> {
        use rusqlite::OptionalExtension;
        self.read(|c| {
            let t: Option<i64> = c
                .query_row(
                    "SELECT due_at FROM reminders WHERE appointment_id = ?1",
                    [appointment],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(t.map(from_ts))
        })
    }

    /// Records a round of deliveries in one commit: `spooled` now sit in the spool folder,
    /// `sent` were taken by the relay (their bodies dropped: they may carry a token). A message gone meanwhile (its
    /// appointment removed) is skipped; the others are still recorded.
    pub fn mails_delivered(&self, spooled: &[i64], sent: &[i64], now: DateTime<Utc>) -> Result<()> {
        if spooled.is_empty() && sent.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            let mut st = tx.prepare_cached(
                "UPDATE outbox SET status = ?2, attempts = attempts + 1, delivered_at = ?3,
                    sealed = CASE WHEN ?4 THEN NULL ELSE sealed END
                 WHERE id = ?1",
            )?;
            for &id in spooled {
                st.execute(params![id, OutboxStatus::Spooled.as_str(), ts(now), false])?;
            }
            for &id in sent {
                st.execute(params![id, OutboxStatus::Sent.as_str(), ts(now), true])?;
            }
            Ok(())
        })
    }

    /// Records a permanent refusal.
    pub fn mail_dead(&self, id: i64, error: &str, now: DateTime<Utc>) -> Result<()> {
        self.mail_status(id, OutboxStatus::Dead, Some(error), now, true)
    }

    fn mail_status(
        &self,
        id: i64,
        status: OutboxStatus,
        error: Option<&str>,
        now: DateTime<Utc>,
        drop_body: bool,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE outbox SET status = ?2, attempts = attempts + 1, last_error = coalesce(?3, last_error),
                    delivered_at = ?4, sealed = CASE WHEN ?5 THEN NULL ELSE sealed END
                 WHERE id = ?1",
                params![id, status.as_str(), error, ts(now), drop_body],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
    }

    /// Records a failed try and when to try again.
    pub fn mail_retry(&self, id: i64, error: &str, next: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET status = 'pending', attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
                 WHERE id = ?1",
                params![id, error, ts(next)],
            )?;
            Ok(())
        })
    }

    /// Messages in a given state, newest first (for the admin's mail page).
    pub fn mail_with_status(&self, status: OutboxStatus, limit: u32) -> Result<Vec<OutboxMessage>> {
        self.read(|c| {
            let sql =
                format!("SELECT {COLS} FROM outbox WHERE status = ?1 ORDER BY id DESC LIMIT ?2");
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params![status.as_str(), limit], row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// How many messages are in each state: (pending, spooled, sent, dead).
    pub fn mail_counts(&self) -> Result<(u32, u32, u32, u32)> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'spooled'),
                        count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'dead')
                 FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?)
        })
    }

    /// Puts a dead message back in the queue (after the admin fixed the cause).
    pub fn mail_requeue(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?2 WHERE id = ?1 AND status = 'dead' AND sealed IS NOT NULL",
                params![id, ts(now)],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::RELEASE_DUE_REMINDERS;
    use crate::migrate;

    /// The plan SQLite picks for `sql` on the station's schema, one line per step.
    fn plan(sql: &str) -> Vec<String> {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate::run(&mut conn, migrate::STATION).unwrap();
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        st.query_map([0], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn releasing_reminders_reads_the_due_ones_not_every_future_booking() {
        let plan = plan(RELEASE_DUE_REMINDERS);
        assert!(
            plan[0].contains("reminders_due") && plan[1].contains("INTEGER PRIMARY KEY"),
            "{plan:?}"
        );
    }
}
