//! Call records: join sessions of checked-in citizens, and each appointment's call (admitted,
//! started, adjusted, ended) with a log of every step.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use vappoint_domain::AppointmentStatus;

use crate::{AppointmentId, OfficerId, Result, Store, from_ts, ts};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub appointment_id: AppointmentId,
    pub officer_id: OfficerId,
    pub admitted_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub planned_seconds: i64,
    pub adjusted_seconds: i64,
    pub ended_by: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: String,
    pub detail: Option<String>,
}

/// One step of a call, as the officer or the timer took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallStep {
    Admitted {
        officer_id: OfficerId,
        planned_seconds: i64,
    },
    Started,
    Adjusted {
        seconds: i64,
    },
    SentBack,
    /// The call is over; `status` is the final state it leaves the appointment in
    /// (`vappoint_domain::call::after_call`).
    Ended {
        by: &'static str,
        message: Option<String>,
        status: AppointmentStatus,
    },
}

impl Store {
    pub fn create_join_session(
        &self,
        id_hash: &[u8],
        appointment_id: AppointmentId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO join_sessions(id_hash, appointment_id, created_at) VALUES (?1, ?2, ?3)",
                params![id_hash, appointment_id, ts(now)],
            )?;
            Ok(())
        })
    }

    /// Deletes the join sessions of appointments that ended before `ended_before`: a join
    /// cookie is good for its one appointment, not for ever.
    pub fn purge_join_sessions(&self, ended_before: DateTime<Utc>) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM join_sessions WHERE appointment_id IN
                    (SELECT id FROM appointments WHERE end_at < ?1)",
                [ts(ended_before)],
            )?)
        })
    }

    /// The appointment a join session belongs to.
    pub fn join_session(&self, id_hash: &[u8]) -> Result<Option<AppointmentId>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT appointment_id FROM join_sessions WHERE id_hash = ?1",
                [id_hash],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    /// Records one step of an appointment's call, and logs it.
    pub fn record_call(
        &self,
        appointment_id: AppointmentId,
        step: &CallStep,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let (kind, detail) = match step {
                CallStep::Admitted { officer_id, planned_seconds } => {
                    tx.execute(
                        "INSERT INTO calls(appointment_id, officer_id, admitted_at, planned_seconds) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT(appointment_id) DO UPDATE SET admitted_at = coalesce(admitted_at, excluded.admitted_at),
                            ended_at = NULL, ended_by = NULL",
                        params![appointment_id, officer_id, ts(now), planned_seconds],
                    )?;
                    ("admitted", None)
                }
                CallStep::Started => {
                    tx.execute(
                        "UPDATE calls SET started_at = coalesce(started_at, ?2) WHERE appointment_id = ?1",
                        params![appointment_id, ts(now)],
                    )?;
                    ("started", None)
                }
                CallStep::Adjusted { seconds } => {
                    tx.execute(
                        "UPDATE calls SET adjusted_seconds = adjusted_seconds + ?2 WHERE appointment_id = ?1",
                        params![appointment_id, seconds],
                    )?;
                    ("adjusted", Some(seconds.to_string()))
                }
                CallStep::SentBack => ("sent_back", None),
                CallStep::Ended { by, message, status } => {
                    tx.execute(
                        "UPDATE calls SET ended_at = ?2, ended_by = ?3, message = coalesce(?4, message) WHERE appointment_id = ?1",
                        params![appointment_id, ts(now), by, message],
                    )?;
                    // The appointment ends with its call, in the same transaction, so no page
                    // ever sees an ended call on a still "booked" appointment.
                    if matches!(status, AppointmentStatus::Done | AppointmentStatus::EndedEarly) {
                        tx.execute(
                            "UPDATE appointments SET final_state = ?2, final_at = ?3
                             WHERE id = ?1 AND status = 'booked' AND final_state IS NULL",
                            params![appointment_id, status.as_str(), ts(now)],
                        )?;
                    }
                    ("ended", Some(by.to_string()))
                }
            };
            tx.execute(
                "INSERT INTO call_events(appointment_id, at, kind, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![appointment_id, ts(now), kind, actor, detail],
            )?;
            Ok(())
        })
    }

    pub fn call(&self, appointment_id: AppointmentId) -> Result<Option<CallRecord>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT appointment_id, officer_id, admitted_at, started_at, ended_at, planned_seconds, adjusted_seconds,
                        ended_by, message FROM calls WHERE appointment_id = ?1",
                [appointment_id],
                |r| {
                    Ok(CallRecord {
                        appointment_id: r.get(0)?,
                        officer_id: r.get(1)?,
                        admitted_at: r.get::<_, Option<i64>>(2)?.map(from_ts),
                        started_at: r.get::<_, Option<i64>>(3)?.map(from_ts),
                        ended_at: r.get::<_, Option<i64>>(4)?.map(from_ts),
                        planned_seconds: r.get(5)?,
                        adjusted_seconds: r.get(6)?,
                        ended_by: r.get(7)?,
                        message: r.get(8)?,
                    })
                },
            )
            .optional()?)
        })
    }

    pub fn call_events(&self, appointment_id: AppointmentId) -> Result<Vec<CallEvent>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT at, kind, actor, detail FROM call_events WHERE appointment_id = ?1 ORDER BY at, id",
            )?;
            let rows = st.query_map([appointment_id], |r| {
                Ok(CallEvent { at: from_ts(r.get(0)?), kind: r.get(1)?, actor: r.get(2)?, detail: r.get(3)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
