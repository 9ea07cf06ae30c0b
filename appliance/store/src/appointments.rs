//! Appointments, their documents, tokens and notes.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{OptionalExtension, Row, params};
use vappoint_domain::{AppointmentStatus, DocumentKind, Outcome, ReasonCategory};

use crate::outbox::{NewMail, NewReminder, drop_reminder, insert_mail, insert_reminder};
use crate::{AppointmentId, OfficerId, Result, Store, StoreError, conflict_on, from_ts, ts};

#[derive(Debug, Clone)]
pub struct Appointment {
    pub id: AppointmentId,
    pub reference: String,
    pub officer_id: OfficerId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub local_day: NaiveDate,
    pub status: AppointmentStatus,
    pub name: String,
    pub email: String,
    pub mobile: Option<String>,
    pub reason_category: ReasonCategory,
    pub reason: String,
    pub lang: String,
    pub token_mac: Vec<u8>,
    pub token_tries: u32,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub sequence: u32,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When retention removed the citizen's name, email, mobile and reason (migration 0008).
    pub personal_removed_at: Option<DateTime<Utc>>,
}

impl Appointment {
    /// The status people see at `now` (a booked slot that passed unused is a no-show).
    pub fn status_at(&self, now: DateTime<Utc>) -> AppointmentStatus {
        vappoint_domain::call::status_at(self.status, self.end, self.checked_in_at.is_some(), now)
    }
}

#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub reference: String,
    pub link_hash: Vec<u8>,
    pub officer_id: OfficerId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub local_day: NaiveDate,
    pub name: String,
    pub email: String,
    pub email_key: String,
    pub mobile: Option<String>,
    pub reason_category: ReasonCategory,
    pub reason: String,
    pub lang: String,
    pub token_mac: Vec<u8>,
    /// The reminder mail, when one is due later (see `NewReminder`).
    pub reminder: Option<NewReminder>,
    /// Where the request came from and the caps that hold for it.
    pub guard: BookingGuard,
}

/// Where a citizen's request came from, as keyed tags (migration 0006: never the address),
/// and the caps checked in the transaction that would exceed them, so parallel requests
/// cannot slip past. `None` is no cap (the officer's console, tests).
#[derive(Debug, Clone, Default)]
pub struct BookingGuard {
    /// The address (IPv4) or its /64 (IPv6).
    pub source_tag: Option<Vec<u8>>,
    /// The /24 (IPv4) or /64 (IPv6).
    pub network_tag: Option<Vec<u8>>,
    /// At most this many active bookings of one officer's day from one network.
    pub network_share: Option<u32>,
    pub mail: MailCaps,
}

/// Mails queued over the last 24 hours: per recipient address, and per sender's source.
#[derive(Debug, Clone, Copy, Default)]
pub struct MailCaps {
    pub per_recipient: Option<u32>,
    pub per_source: Option<u32>,
}

/// An idempotency key, scoped to what the request asked for: a replay with the same
/// `content` is the same booking; the same key with other content is a conflict.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key_hash: Vec<u8>,
    pub content: Vec<u8>,
}

/// What `Store::book` did.
#[derive(Debug)]
pub enum BookOutcome {
    Booked(Appointment),
    /// The idempotency key was seen with this content: the appointment it made (or, for a
    /// second booking refused by mail, the one that was there), nothing changed.
    Replayed(Appointment),
}

impl BookOutcome {
    /// The appointment, and whether it was a replay.
    pub fn into_parts(self) -> (Appointment, bool) {
        match self {
            BookOutcome::Booked(a) => (a, false),
            BookOutcome::Replayed(a) => (a, true),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewDocument {
    pub file_name: String,
    pub kind: DocumentKind,
    pub size: u64,
    pub sha256: String,
    pub stored_name: String,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub id: i64,
    pub appointment_id: AppointmentId,
    pub file_name: String,
    pub kind: DocumentKind,
    pub size: u64,
    pub stored_name: String,
    /// When retention removed the file (and its name); the row stays to say so.
    pub removed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct Note {
    pub officer_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Moving a booked appointment to another slot, with a fresh token and the mail saying so.
#[derive(Debug, Clone)]
pub struct Reschedule {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub local_day: NaiveDate,
    pub token_mac: Vec<u8>,
    /// The reminder for the new time; the old one is dropped in any case.
    pub reminder: Option<NewReminder>,
}

const COLS: &str =
    "id, reference, officer_id, start_at, end_at, local_day, status, name, email, mobile,
    reason_category, unseal(reason) AS reason, lang, token_mac, token_tries, checked_in_at, outcome, sequence,
    created_at, cancelled_at, final_state, personal_removed_at";

fn row(r: &Row) -> rusqlite::Result<Appointment> {
    let parse_err = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    // The slot's status, unless the call ended it: then how it ended (migration 0004).
    let stored: String = r.get("status")?;
    let status = match r.get::<_, Option<String>>("final_state")? {
        Some(f) if stored == "booked" => f,
        _ => stored,
    };
    let cat: String = r.get("reason_category")?;
    let outcome: Option<String> = r.get("outcome")?;
    let day: String = r.get("local_day")?;
    Ok(Appointment {
        id: r.get("id")?,
        reference: r.get("reference")?,
        officer_id: r.get("officer_id")?,
        start: from_ts(r.get("start_at")?),
        end: from_ts(r.get("end_at")?),
        local_day: day
            .parse()
            .map_err(|e: chrono::ParseError| parse_err(5, e.to_string()))?,
        status: status
            .parse()
            .map_err(|e: vappoint_domain::booking::UnknownValue| parse_err(6, e.to_string()))?,
        name: r.get("name")?,
        email: r.get("email")?,
        mobile: r.get("mobile")?,
        reason_category: cat
            .parse()
            .map_err(|e: vappoint_domain::booking::UnknownValue| parse_err(10, e.to_string()))?,
        reason: r.get("reason")?,
        lang: r.get("lang")?,
        token_mac: r.get("token_mac")?,
        token_tries: r.get("token_tries")?,
        checked_in_at: r.get::<_, Option<i64>>("checked_in_at")?.map(from_ts),
        outcome: outcome.and_then(|o| o.parse().ok()),
        sequence: r.get("sequence")?,
        created_at: from_ts(r.get("created_at")?),
        cancelled_at: r.get::<_, Option<i64>>("cancelled_at")?.map(from_ts),
        personal_removed_at: r.get::<_, Option<i64>>("personal_removed_at")?.map(from_ts),
    })
}

fn one(c: &rusqlite::Connection, sql_where: &str, p: impl rusqlite::Params) -> Result<Appointment> {
    let sql = format!("SELECT {COLS} FROM appointments WHERE {sql_where}");
    c.prepare_cached(&sql)?
        .query_row(p, row)
        .optional()?
        .ok_or(StoreError::NotFound)
}

const BOOKING_CONFLICTS: &[(&str, &str)] = &[
    ("appointments.email_key", "email_day_taken"),
    ("appointments.start_at", "slot_taken"),
    ("appointments.reference", "reference_taken"),
    ("appointments.link_hash", "reference_taken"),
];

/// The appointment an idempotency key made, if the key was seen; a conflict when it was seen
/// with other content.
fn replayed(tx: &rusqlite::Connection, key: &Idempotency) -> Result<Option<Appointment>> {
    let seen: Option<(AppointmentId, Vec<u8>)> = tx
        .prepare_cached("SELECT appointment_id, content FROM idempotency WHERE key_hash = ?1")?
        .query_row([&key.key_hash], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match seen {
        None => Ok(None),
        Some((id, content)) if content == key.content => Ok(Some(one(tx, "id = ?1", [id])?)),
        Some(_) => Err(StoreError::Conflict("idempotency_conflict")),
    }
}

fn remember_key(
    tx: &rusqlite::Connection,
    key: &Idempotency,
    id: AppointmentId,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO idempotency(key_hash, content, appointment_id, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![key.key_hash, key.content, id, ts(now)])?;
    Ok(())
}

fn slot_taken(tx: &rusqlite::Connection, officer: OfficerId, start: DateTime<Utc>) -> Result<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM appointments WHERE officer_id = ?1 AND start_at = ?2 AND status = 'booked'",
            params![officer, ts(start)],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The hour a mail sent at `t` is counted in (`mail_counts.hour`).
fn hour(t: DateTime<Utc>) -> i64 {
    ts(t).div_euclid(3600)
}

/// Refuses a mail to `to_addr` once the recipient, or the sender's source, has had its
/// day's mails (`mail_limit`). Counted from the outbox (per recipient) and from the hourly
/// counters (per sender: 25 hours of them, so never less than a day), so it holds across
/// restarts.
fn check_mail_caps(
    tx: &rusqlite::Connection,
    to_addr: &str,
    g: &BookingGuard,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(max) = g.mail.per_recipient {
        let n: u32 = tx
            .prepare_cached(
                "SELECT count(*) FROM outbox WHERE lower(to_addr) = lower(?1) AND created_at > ?2",
            )?
            .query_row(params![to_addr, ts(now - Duration::days(1))], |r| r.get(0))?;
        if n >= max {
            return Err(StoreError::Conflict("mail_limit"));
        }
    }
    if let (Some(max), Some(tag)) = (g.mail.per_source, &g.source_tag) {
        let n: u32 = tx
            .prepare_cached(
                "SELECT coalesce(sum(mails), 0) FROM mail_counts WHERE source_tag = ?1 AND hour >= ?2",
            )?
            .query_row(params![tag, hour(now) - 24], |r| r.get(0))?;
        if n >= max {
            return Err(StoreError::Conflict("mail_limit"));
        }
    }
    Ok(())
}

/// Queues a mail a citizen's request caused, marked with its source and counted for the caps.
fn insert_citizen_mail(
    tx: &rusqlite::Connection,
    mail: &NewMail,
    g: &BookingGuard,
    appointment: AppointmentId,
    now: DateTime<Utc>,
) -> Result<()> {
    insert_mail(tx, mail, Some(appointment), g.source_tag.as_deref(), now)?;
    if let Some(tag) = &g.source_tag {
        tx.prepare_cached(
            "INSERT INTO mail_counts(source_tag, hour, mails) VALUES (?1, ?2, 1)
             ON CONFLICT(source_tag, hour) DO UPDATE SET mails = mails + 1",
        )?
        .execute(params![tag, hour(now)])?;
    }
    Ok(())
}

impl Store {
    /// Books an appointment with its documents (already on disk) and its confirmation mail,
    /// in one transaction, within the caps of `a.guard`. With an idempotency key seen before
    /// for the same content, returns the appointment that key booked, changing nothing.
    pub fn book(
        &self,
        a: &NewAppointment,
        docs: &[NewDocument],
        mail: &NewMail,
        idempotency: Option<&Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<BookOutcome> {
        self.write(|tx| {
            if let Some(key) = idempotency
                && let Some(seen) = replayed(tx, key)?
            {
                return Ok(BookOutcome::Replayed(seen));
            }
            let g = &a.guard;
            if let (Some(max), Some(tag)) = (g.network_share, &g.network_tag) {
                let n: u32 = tx
                    .prepare_cached(
                        "SELECT count(*) FROM appointments
                         WHERE officer_id = ?1 AND local_day = ?2 AND network_tag = ?3 AND status = 'booked'",
                    )?
                    .query_row(params![a.officer_id, a.local_day.to_string(), tag], |r| r.get(0))?;
                if n >= max {
                    return Err(StoreError::Conflict("network_share"));
                }
            }
            check_mail_caps(tx, &mail.to_addr, g, now)?;
            tx.prepare_cached(
                "INSERT INTO appointments(reference, link_hash, officer_id, start_at, end_at, local_day,
                    status, name, email, email_key, mobile, reason_category, reason, lang, token_mac, created_at,
                    source_tag, network_tag)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'booked', ?7, ?8, ?9, ?10, ?11, seal(?12), ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                    a.reference, a.link_hash, a.officer_id, ts(a.start), ts(a.end), a.local_day.to_string(),
                    a.name, a.email, a.email_key, a.mobile, a.reason_category.as_str(), a.reason, a.lang,
                    a.token_mac, ts(now), g.source_tag, g.network_tag
                ])
            .map_err(|e| conflict_on(e, BOOKING_CONFLICTS))
            .or_else(|e| match e {
                // Both rules broken: answer the one anyone would get, so the answer does not
                // tell whether this email has a booking that day.
                StoreError::Conflict("email_day_taken") if slot_taken(tx, a.officer_id, a.start)? => {
                    Err(StoreError::Conflict("slot_taken"))
                }
                e => Err(e),
            })?;
            let id = AppointmentId(tx.last_insert_rowid());
            tx.prepare_cached("INSERT INTO token_issues(appointment_id, issued_at) VALUES (?1, ?2)")?
                .execute(params![id, ts(now)])?;
            let mut st = tx.prepare_cached(
                "INSERT INTO documents(appointment_id, ordinal, file_name, kind, size, sha256, stored_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (i, d) in docs.iter().enumerate() {
                st.execute(params![id, i as i64, d.file_name, d.kind.as_str(), d.size as i64, d.sha256, d.stored_name])?;
            }
            insert_citizen_mail(tx, mail, g, id, now)?;
            if let Some(r) = &a.reminder {
                insert_reminder(tx, id, r, now)?;
            }
            if let Some(key) = idempotency {
                remember_key(tx, key, id, now)?;
            }
            Ok(BookOutcome::Booked(one(tx, "id = ?1", [id])?))
        })
    }

    /// The active appointment of `email_key` with this officer on `day` (there is at most one).
    pub fn active_booking_for(
        &self,
        officer_id: OfficerId,
        email_key: &str,
        day: NaiveDate,
    ) -> Result<Appointment> {
        self.read(|c| {
            one(
                c,
                "officer_id = ?1 AND email_key = ?2 AND local_day = ?3 AND status = 'booked'",
                params![officer_id, email_key, day.to_string()],
            )
        })
    }

    /// Queues the mail telling the holder of `appointment` that a second booking was asked
    /// for and not made, within the same mail caps as a booking, and remembers the
    /// idempotency key so a retry sends nothing more.
    pub fn queue_second_booking_notice(
        &self,
        appointment: AppointmentId,
        mail: &NewMail,
        guard: &BookingGuard,
        idempotency: Option<&Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<BookOutcome> {
        self.write(|tx| {
            if let Some(key) = idempotency
                && let Some(seen) = replayed(tx, key)?
            {
                return Ok(BookOutcome::Replayed(seen));
            }
            check_mail_caps(tx, &mail.to_addr, guard, now)?;
            insert_citizen_mail(tx, mail, guard, appointment, now)?;
            if let Some(key) = idempotency {
                remember_key(tx, key, appointment, now)?;
            }
            Ok(BookOutcome::Booked(one(tx, "id = ?1", [appointment])?))
        })
    }

    /// Bytes of documents booked since `since`, from one source or (`None`) from everyone:
    /// the start of the day's upload quotas.
    pub fn document_bytes_since(
        &self,
        source_tag: Option<&[u8]>,
        since: DateTime<Utc>,
    ) -> Result<u64> {
        self.read(|c| {
            let n: i64 = c.query_row(
                "SELECT coalesce(sum(d.size), 0) FROM documents d JOIN appointments a ON a.id = d.appointment_id
                 WHERE a.created_at >= ?1 AND (?2 IS NULL OR a.source_tag = ?2)",
                params![ts(since), source_tag],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
    }

    /// The content an idempotency key was first used for, if it was.
    pub fn idempotency_content(&self, key_hash: &[u8]) -> Result<Option<Vec<u8>>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT content FROM idempotency WHERE key_hash = ?1",
                [key_hash],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    /// Forgets the mail counters of hours the caps no longer read (before `now` - 25 hours).
    pub fn purge_mail_counts(&self, now: DateTime<Utc>) -> Result<usize> {
        self.write(
            |tx| Ok(tx.execute("DELETE FROM mail_counts WHERE hour < ?1", [hour(now) - 24])?),
        )
    }

    /// Forgets idempotency keys older than `before`: a retry comes within minutes, not days.
    pub fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM idempotency WHERE created_at < ?1",
                [ts(before)],
            )?)
        })
    }

    pub fn appointment(&self, id: AppointmentId) -> Result<Appointment> {
        self.read(|c| one(c, "id = ?1", [id]))
    }

    pub fn appointment_by_link(&self, link_hash: &[u8]) -> Result<Appointment> {
        self.read(|c| one(c, "link_hash = ?1", [link_hash]))
    }

    pub fn appointment_by_reference(&self, reference: &str) -> Result<Appointment> {
        self.read(|c| one(c, "reference = ?1", [reference]))
    }

    /// A local day's appointments, cancelled ones included, in time order.
    pub fn day_appointments(
        &self,
        day: NaiveDate,
        officer_id: Option<OfficerId>,
    ) -> Result<Vec<Appointment>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {COLS} FROM appointments WHERE local_day = ?1 AND (?2 IS NULL OR officer_id = ?2)
                 ORDER BY start_at, officer_id, status"
            );
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params![day.to_string(), officer_id], row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Start times of the officer's booked slots in `from..to`.
    pub fn booked_starts(
        &self,
        officer_id: OfficerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT start_at FROM appointments
                 WHERE officer_id = ?1 AND status = 'booked' AND start_at >= ?2 AND start_at < ?3",
            )?;
            let rows = st.query_map(params![officer_id, ts(from), ts(to)], |r| {
                r.get::<_, i64>(0)
            })?;
            Ok(rows
                .map(|r| r.map(from_ts))
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Cancels a booked appointment and queues the mail saying so.
    pub fn cancel(&self, id: AppointmentId, mail: &NewMail, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE appointments SET status = 'cancelled', cancelled_at = ?2, sequence = sequence + 1
                 WHERE id = ?1 AND status = 'booked' AND final_state IS NULL",
                params![id, ts(now)],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict("not_booked"));
            }
            drop_reminder(tx, id)?;
            insert_mail(tx, mail, Some(id), None, now)
        })
    }

    /// Moves a booked appointment to another slot with a fresh token, and queues the mail.
    pub fn reschedule(
        &self,
        id: AppointmentId,
        to: &Reschedule,
        mail: &NewMail,
        now: DateTime<Utc>,
    ) -> Result<Appointment> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE appointments SET start_at = ?2, end_at = ?3, local_day = ?4, token_mac = ?5,
                        token_tries = 0, checked_in_at = NULL, sequence = sequence + 1
                     WHERE id = ?1 AND status = 'booked' AND final_state IS NULL",
                    params![id, ts(to.start), ts(to.end), to.local_day.to_string(), to.token_mac],
                )
                .map_err(|e| conflict_on(e, BOOKING_CONFLICTS))?;
            if n == 0 {
                return Err(StoreError::Conflict("not_booked"));
            }
            tx.prepare_cached("INSERT INTO token_issues(appointment_id, issued_at) VALUES (?1, ?2)")?
                .execute(params![id, ts(now)])?;
            insert_mail(tx, mail, Some(id), None, now)?;
            drop_reminder(tx, id)?;
            if let Some(r) = &to.reminder {
                insert_reminder(tx, id, r, now)?;
            }
            one(tx, "id = ?1", [id])
        })
    }

    /// Takes one try of the token, atomically, before the token is checked: `None` once all
    /// tries are used, else the number of tries taken (so parallel guesses cannot exceed it).
    pub fn take_token_try(&self, id: AppointmentId, max_tries: u32) -> Result<Option<u32>> {
        self.write(|tx| {
            Ok(tx
                .query_row(
                    "UPDATE appointments SET token_tries = token_tries + 1
                     WHERE id = ?1 AND token_tries < ?2 RETURNING token_tries",
                    params![id, max_tries],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Marks the citizen as arrived (the right token was given): keeps the first arrival
    /// time and gives back the tries.
    pub fn check_in(&self, id: AppointmentId, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE appointments SET checked_in_at = coalesce(checked_in_at, ?2), token_tries = 0 WHERE id = ?1",
                params![id, ts(now)],
            )?;
            Ok(())
        })
    }

    /// When tokens were issued for an appointment, newest first.
    pub fn token_issues(&self, id: AppointmentId) -> Result<Vec<DateTime<Utc>>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT issued_at FROM token_issues WHERE appointment_id = ?1 ORDER BY issued_at DESC LIMIT 20",
            )?;
            let rows = st.query_map([id], |r| r.get::<_, i64>(0))?;
            Ok(rows.map(|r| r.map(from_ts)).collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Replaces the token (the old one stops working) and queues the mail carrying the new one.
    pub fn reissue_token(
        &self,
        id: AppointmentId,
        token_mac: &[u8],
        mail: &NewMail,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE appointments SET token_mac = ?2, token_tries = 0 WHERE id = ?1 AND status = 'booked' AND final_state IS NULL",
                params![id, token_mac],
            )?;
            tx.prepare_cached("INSERT INTO token_issues(appointment_id, issued_at) VALUES (?1, ?2)")?
                .execute(params![id, ts(now)])?;
            insert_mail(tx, mail, Some(id), None, now)
        })
    }

    pub fn set_outcome(
        &self,
        id: AppointmentId,
        outcome: Option<Outcome>,
        officer_id: OfficerId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE appointments SET outcome = ?2, outcome_at = ?3, outcome_by = ?4 WHERE id = ?1",
                params![id, outcome.map(|o| o.as_str()), ts(now), officer_id],
            )?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
    }

    pub fn add_note(
        &self,
        id: AppointmentId,
        officer_id: OfficerId,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO notes(appointment_id, officer_id, body, created_at) VALUES (?1, ?2, seal(?3), ?4)",
                params![id, officer_id, body, ts(now)],
            )?;
            Ok(())
        })
    }

    pub fn notes(&self, id: AppointmentId) -> Result<Vec<Note>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT o.name, unseal(n.body), n.created_at FROM notes n JOIN officers o ON o.id = n.officer_id
                 WHERE n.appointment_id = ?1 ORDER BY n.created_at, n.id",
            )?;
            let rows = st.query_map([id], |r| {
                Ok(Note { officer_name: r.get(0)?, body: r.get(1)?, created_at: from_ts(r.get(2)?) })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub fn documents(&self, appointment_id: AppointmentId) -> Result<Vec<Document>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, appointment_id, file_name, kind, size, stored_name, removed_at FROM documents
                 WHERE appointment_id = ?1 ORDER BY ordinal",
            )?;
            let rows = st.query_map([appointment_id], doc_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub fn document(&self, id: i64) -> Result<Document> {
        self.read(|c| {
            c.query_row(
                "SELECT id, appointment_id, file_name, kind, size, stored_name, removed_at FROM documents WHERE id = ?1",
                [id],
                doc_row,
            )
            .optional()?
            .ok_or(StoreError::NotFound)
        })
    }

    /// Whether a stored file name belongs to a document that is kept (used to clear files left
    /// by a crash between writing an upload and committing its booking, or between retention
    /// marking a document removed and deleting its file).
    pub fn document_stored(&self, stored_name: &str) -> Result<bool> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT 1 FROM documents WHERE stored_name = ?1 AND removed_at IS NULL",
                [stored_name],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
        })
    }
}

fn doc_row(r: &Row) -> rusqlite::Result<Document> {
    let kind: String = r.get(3)?;
    Ok(Document {
        id: r.get(0)?,
        appointment_id: r.get(1)?,
        file_name: r.get(2)?,
        kind: DocumentKind::from_str_opt(&kind).unwrap_or(DocumentKind::Pdf),
        size: r.get::<_, i64>(4)? as u64,
        stored_name: r.get(5)?,
        removed_at: r.get::<_, Option<i64>>(6)?.map(from_ts),
    })
}
