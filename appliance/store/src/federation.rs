//! The station's side of federation: the durable, gapless queue of messages for the hub, and
//! the daily figures per officer computed from the appointments (counts only, never who).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::{OptionalExtension, params};
use vappoint_wire::federation::DayCounts;

use crate::{OfficerId, Result, Store, ts};

/// One officer's figures for one local day. Counts and sums only: no citizen appears here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyFigures {
    pub day: NaiveDate,
    /// An `i64`, not an `OfficerId`: the hub keeps these figures for other stations' officers.
    pub officer_id: i64,
    pub counts: DayCounts,
}

/// A queued message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub seq: i64,
    pub kind: String,
    pub body: String,
}

fn figures(
    tx: &rusqlite::Connection,
    officer_id: OfficerId,
    day: NaiveDate,
    tz: Tz,
) -> Result<DailyFigures> {
    let mut f = DayCounts::default();
    // Slots offered that day by the officer's current schedule.
    let schedule = crate::officers::schedule_of(tx, officer_id)?;
    f.offered = schedule.map_or(0, |s| s.slots_on(day, tz).len() as u64);
    let d = day.to_string();
    let (booked, completed, no_show, cancelled): (u64, u64, u64, u64) = tx.query_row(
        "SELECT count(*) FILTER (WHERE a.status = 'booked'),
                count(*) FILTER (WHERE a.status = 'booked' AND (c.ended_at IS NOT NULL AND c.started_at IS NOT NULL
                                  OR a.outcome IN ('resolved', 'fir_registered', 'referred', 'follow_up_needed'))),
                count(*) FILTER (WHERE a.status = 'booked' AND a.outcome = 'no_show'),
                count(*) FILTER (WHERE a.status = 'cancelled')
         FROM appointments a LEFT JOIN calls c ON c.appointment_id = a.id
         WHERE a.officer_id = ?1 AND a.local_day = ?2",
        params![officer_id, d],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    (f.booked, f.completed, f.no_show, f.cancelled) = (booked, completed, no_show, cancelled);
    // Waiting counts from the later of check-in and the slot's start: arriving early is not
    // the officer keeping someone waiting.
    (f.wait_seconds_sum, f.wait_count, f.call_seconds_sum, f.call_count) = tx.query_row(
        "SELECT coalesce(sum(max(0, c.started_at - max(coalesce(a.checked_in_at, a.start_at), a.start_at))), 0),
                count(c.started_at),
                coalesce(sum(c.ended_at - c.started_at) FILTER (WHERE c.ended_at IS NOT NULL), 0),
                count(*) FILTER (WHERE c.ended_at IS NOT NULL AND c.started_at IS NOT NULL)
         FROM appointments a JOIN calls c ON c.appointment_id = a.id
         WHERE a.officer_id = ?1 AND a.local_day = ?2 AND c.started_at IS NOT NULL",
        params![officer_id, d],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut st = tx.prepare_cached(
        "SELECT reason_category, count(*) FROM appointments
         WHERE officer_id = ?1 AND local_day = ?2 AND status = 'booked' GROUP BY reason_category",
    )?;
    for row in st.query_map(params![officer_id, d], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
    })? {
        let (k, v) = row?;
        f.reasons.insert(k, v);
    }
    Ok(DailyFigures {
        day,
        officer_id: officer_id.0,
        counts: f,
    })
}

fn push(tx: &rusqlite::Connection, kind: &str, body: &str, now: DateTime<Utc>) -> Result<i64> {
    let seq: i64 = tx.query_row(
        "UPDATE federation_state SET next_seq = next_seq + 1 WHERE id = 1 RETURNING next_seq - 1",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO federation_queue(seq, kind, body, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![seq, kind, body, ts(now)],
    )?;
    Ok(seq)
}

impl Store {
    /// Queues one message; returns its sequence number.
    pub fn enqueue_federation(&self, kind: &str, body: &str, now: DateTime<Utc>) -> Result<i64> {
        self.write(|tx| push(tx, kind, body, now))
    }

    /// Turns every (officer, day) marked as changed into a `daily` message with its current
    /// figures, in one transaction (so no change slips between reading and clearing).
    /// `encode` makes the message body. Returns how many were queued.
    pub fn snapshot_changed_days(
        &self,
        tz: Tz,
        now: DateTime<Utc>,
        encode: impl Fn(&DailyFigures) -> String,
    ) -> Result<usize> {
        self.write(|tx| {
            let dirty: Vec<(OfficerId, String)> = {
                let mut st = tx.prepare_cached(
                    "SELECT officer_id, day FROM federation_dirty ORDER BY day, officer_id",
                )?;
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?
            };
            for (officer_id, day) in &dirty {
                if let Ok(date) = day.parse::<NaiveDate>() {
                    let f = figures(tx, *officer_id, date, tz)?;
                    push(tx, "daily", &encode(&f), now)?;
                }
            }
            tx.execute("DELETE FROM federation_dirty", [])?;
            Ok(dirty.len())
        })
    }

    /// Marks every day with appointments as changed (after enrolling with a hub, which then
    /// needs the whole history).
    pub fn mark_all_days_changed(&self) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO federation_dirty(officer_id, day) SELECT DISTINCT officer_id, local_day FROM appointments",
                [],
            )?;
            Ok(())
        })
    }

    /// The figures of one officer's day as they are now.
    pub fn daily_figures(
        &self,
        officer_id: OfficerId,
        day: NaiveDate,
        tz: Tz,
    ) -> Result<DailyFigures> {
        self.write(|tx| figures(tx, officer_id, day, tz))
    }

    /// Messages not yet acknowledged by the hub, oldest first.
    pub fn pending_federation(&self, limit: u32) -> Result<Vec<QueuedMessage>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT seq, kind, body FROM federation_queue ORDER BY seq LIMIT ?1",
            )?;
            let rows = st.query_map([limit], |r| {
                Ok(QueuedMessage {
                    seq: r.get(0)?,
                    kind: r.get(1)?,
                    body: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The hub has everything up to `seq`: forget it.
    pub fn ack_federation(&self, seq: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM federation_queue WHERE seq <= ?1", [seq])?;
            tx.execute(
                "UPDATE federation_state SET acked_seq = max(acked_seq, ?1) WHERE id = 1",
                [seq],
            )?;
            Ok(())
        })
    }

    /// (messages waiting, sequence number acknowledged last).
    pub fn federation_backlog(&self) -> Result<(u64, i64)> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM federation_queue), acked_seq FROM federation_state WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
    }

    /// Starts the queue afresh for a new hub: numbering from 1, nothing pending.
    pub fn reset_federation(&self) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM federation_queue", [])?;
            tx.execute(
                "UPDATE federation_state SET next_seq = 1, acked_seq = 0 WHERE id = 1",
                [],
            )?;
            Ok(())
        })
    }

    /// When the last message was queued (to decide on a heartbeat).
    pub fn last_queued_at(&self) -> Result<Option<DateTime<Utc>>> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT max(created_at) FROM federation_queue", [], |r| {
                    r.get::<_, Option<i64>>(0)
                })
                .optional()?
                .flatten()
                .map(crate::from_ts),
            )
        })
    }
}
