//! Retention: removing what the box keeps of citizens once its purpose has passed (first the
//! documents, then the name, email, mobile and reason), sparing appointments an officer holds.
//! Each removal and its audit entry commit together; the rows stay (officer, time, status,
//! category), so the station's figures and the hub's reports do not change.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::audit::{Action, Actor, Subject, append};
use crate::{AppointmentId, OfficerId, Result, Store, StoreError, from_ts, ts};

/// Rows handled per transaction, so a first run over years of data never holds the writer
/// for long.
const BATCH: usize = 200;

/// An officer's hold on an appointment: retention skips it until released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub reason: String,
    pub by: OfficerId,
    pub at: DateTime<Utc>,
}

/// A document whose file is to be deleted: its row already says it was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedDocument {
    pub id: i64,
    pub stored_name: String,
    pub size: u64,
}

/// What retention would remove for given cut-offs, and what holds keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Due {
    pub documents: u64,
    pub document_bytes: u64,
    pub appointments: u64,
    /// Appointments past a cut-off that a hold keeps.
    pub held: u64,
}

impl Store {
    /// Removes (marks, and returns for the caller to delete) up to `BATCH` documents of
    /// appointments that ended before `before` and are not held. Call until it returns none.
    pub fn remove_documents(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<RemovedDocument>> {
        self.write(|tx| {
            let due: Vec<RemovedDocument> = {
                let mut st = tx.prepare_cached(
                    "SELECT d.id, d.stored_name, d.size FROM documents d
                     JOIN appointments a ON a.id = d.appointment_id
                     WHERE a.end_at < ?1 AND a.held_at IS NULL AND d.removed_at IS NULL
                     ORDER BY d.id LIMIT ?2",
                )?;
                let rows = st.query_map(params![ts(before), BATCH as i64], |r| {
                    Ok(RemovedDocument {
                        id: r.get(0)?,
                        stored_name: r.get(1)?,
                        size: r.get::<_, i64>(2)? as u64,
                    })
                })?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for d in &due {
                // The file's name is the citizen's choice ("aadhaar-asha.pdf"): it goes too.
                tx.execute(
                    "UPDATE documents SET removed_at = ?2, file_name = '' WHERE id = ?1",
                    params![d.id, ts(now)],
                )?;
                append(
                    tx,
                    Actor::System,
                    Action::RetentionDelete,
                    Subject::Document(d.id),
                    now,
                )?;
            }
            Ok(due)
        })
    }

    /// Removes the citizen's name, email, mobile, reason, token and mails from up to `BATCH`
    /// appointments that ended before `before` and are not held; returns their ids. Call
    /// until it returns none.
    pub fn remove_personal(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<AppointmentId>> {
        self.write(|tx| {
            let due: Vec<AppointmentId> = {
                let mut st = tx.prepare_cached(
                    "SELECT id FROM appointments
                     WHERE end_at < ?1 AND held_at IS NULL AND personal_removed_at IS NULL
                     ORDER BY id LIMIT ?2",
                )?;
                let rows = st.query_map(params![ts(before), BATCH as i64], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for id in &due {
                // `email_key` stays unique per officer and day only among booked rows, but a
                // past slot may still read 'booked': give each its own placeholder.
                tx.execute(
                    "UPDATE appointments SET name = '', email = '', email_key = 'removed:' || id,
                        mobile = NULL, reason = seal(''), token_mac = x'', personal_removed_at = ?2
                     WHERE id = ?1",
                    params![id, ts(now)],
                )?;
                // Queued mail was delivered or given up long ago; its address goes with it.
                tx.execute(
                    "DELETE FROM outbox WHERE appointment_id = ?1 AND status != 'pending'",
                    [id],
                )?;
                for sql in [
                    "DELETE FROM reminders WHERE appointment_id = ?1",
                    "DELETE FROM join_sessions WHERE appointment_id = ?1",
                    "DELETE FROM token_issues WHERE appointment_id = ?1",
                    "DELETE FROM idempotency WHERE appointment_id = ?1",
                ] {
                    tx.execute(sql, [id])?;
                }
                append(
                    tx,
                    Actor::System,
                    Action::RetentionDelete,
                    Subject::Appointment(*id),
                    now,
                )?;
            }
            Ok(due)
        })
    }

    /// What `remove_documents(documents_before)` and `remove_personal(personal_before)` would
    /// remove now, and how many appointments past either cut-off are held.
    pub fn retention_due(
        &self,
        documents_before: DateTime<Utc>,
        personal_before: DateTime<Utc>,
    ) -> Result<Due> {
        self.read(|c| {
            let (documents, document_bytes): (i64, i64) = c.query_row(
                "SELECT count(*), coalesce(sum(d.size), 0) FROM documents d
                 JOIN appointments a ON a.id = d.appointment_id
                 WHERE a.end_at < ?1 AND a.held_at IS NULL AND d.removed_at IS NULL",
                [ts(documents_before)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let appointments: i64 = c.query_row(
                "SELECT count(*) FROM appointments
                 WHERE end_at < ?1 AND held_at IS NULL AND personal_removed_at IS NULL",
                [ts(personal_before)],
                |r| r.get(0),
            )?;
            let held: i64 = c.query_row(
                "SELECT count(*) FROM appointments WHERE held_at IS NOT NULL
                   AND (end_at < ?1 OR end_at < ?2)",
                params![ts(documents_before), ts(personal_before)],
                |r| r.get(0),
            )?;
            Ok(Due {
                documents: documents as u64,
                document_bytes: document_bytes as u64,
                appointments: appointments as u64,
                held: held as u64,
            })
        })
    }

    /// Holds an appointment (retention skips it) with the officer's short reason.
    pub fn hold(
        &self,
        id: AppointmentId,
        by: OfficerId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE appointments SET held_reason = ?2, held_by = ?3, held_at = ?4
                 WHERE id = ?1 AND personal_removed_at IS NULL",
                params![id, reason, by, ts(now)],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            append(
                tx,
                Actor::Officer(by),
                Action::HoldSet,
                Subject::Appointment(id),
                now,
            )?;
            Ok(())
        })
    }

    /// Releases a hold: retention takes the appointment at its next run if it is due.
    pub fn release_hold(&self, id: AppointmentId, by: OfficerId, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE appointments SET held_reason = NULL, held_by = NULL, held_at = NULL
                 WHERE id = ?1 AND held_at IS NOT NULL",
                [id],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            append(
                tx,
                Actor::Officer(by),
                Action::HoldReleased,
                Subject::Appointment(id),
                now,
            )?;
            Ok(())
        })
    }

    /// The hold on an appointment, if any.
    pub fn hold_of(&self, id: AppointmentId) -> Result<Option<Hold>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT held_reason, held_by, held_at FROM appointments WHERE id = ?1 AND held_at IS NOT NULL",
                [id],
                |r| {
                    Ok(Hold {
                        reason: r.get(0)?,
                        by: r.get(1)?,
                        at: from_ts(r.get(2)?),
                    })
                },
            )
            .optional()?)
        })
    }
}
