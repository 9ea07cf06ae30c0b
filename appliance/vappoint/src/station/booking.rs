//! What citizens do with appointments, shared by the HTML pages and the JSON API: book,
//! cancel, move, try the token, ask for a new one. Handlers parse requests; this module
//! applies the rules and talks to the store.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use vappoint_domain::ValidationError;
use vappoint_domain::booking::BookingInput;
use vappoint_domain::booking::{FieldError, can_change, email_key};
use vappoint_domain::schedule::{SlotRefusal, bookable_slot};
use vappoint_domain::token::{MAX_TRIES, TokenRefusal, may_reissue, may_try};
use vappoint_domain::{AppointmentStatus, BookingForm, ReasonCategory, Slot};
use vappoint_store::{
    Appointment, AppointmentId, BookOutcome, BookingGuard, Idempotency, MailCaps, NewAppointment,
    NewDocument, NewReminder, Officer, OfficerId, Reschedule, StoreError,
};

use crate::limits;
use crate::secrets::{Secrets, is_link, link_hash, new_link, new_reference, sha256};
use crate::station::app::App;
use crate::station::documents::StoredDocs;
use crate::station::mail::{Compose, MailKind, compose};

/// Why a citizen's request about an appointment was refused. No HTTP here: `web/` gives each
/// its status, its stable code and its message.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// Fields of the form (or the time, or the idempotency key) are not valid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("no such officer takes appointments")]
    UnknownOfficer,
    /// No appointment behind the link.
    #[error("no such appointment")]
    NotFound,
    #[error("the time cannot be booked: {0}")]
    Slot(SlotRefusal),
    #[error("someone else booked that time")]
    SlotTaken,
    /// The idempotency key was used for another request.
    #[error("the idempotency key was used for another request")]
    IdempotencyConflict,
    /// Bookings from the request's network hold their share of the officer's day.
    #[error("this network's share of the day is booked")]
    NetworkShare,
    /// The day's mails to this address, or from this sender, are used up.
    #[error("the day's mail cap is reached")]
    MailLimit,
    #[error("the appointment is not booked any more")]
    NotBooked,
    #[error("too late to change the appointment")]
    TooLate,
    #[error("the token cannot be tried: {0}")]
    Token(TokenRefusal),
    #[error("wrong token; {tries_left} tries left")]
    WrongToken { tries_left: u32 },
    /// A rate limit: too many bookings, tries or new tokens.
    #[error("too many requests")]
    TooMany,
    /// Free disk space is below `[disk] min_free_mb`: nothing new is written.
    #[error("the station's storage is nearly full")]
    StorageFull,
    #[error("database")]
    Store(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl BookingError {
    /// Whether the time itself cannot be had, so other times are worth offering.
    pub fn slot_unavailable(&self) -> bool {
        matches!(self, BookingError::SlotTaken | BookingError::Slot(_))
    }
}

impl From<StoreError> for BookingError {
    fn from(e: StoreError) -> BookingError {
        match e {
            StoreError::NotFound => BookingError::NotFound,
            StoreError::Conflict("slot_taken") => BookingError::SlotTaken,
            StoreError::Conflict("not_booked") => BookingError::NotBooked,
            StoreError::Conflict("idempotency_conflict") => BookingError::IdempotencyConflict,
            StoreError::Conflict("network_share") => BookingError::NetworkShare,
            StoreError::Conflict("mail_limit") => BookingError::MailLimit,
            e => BookingError::Store(e),
        }
    }
}

impl From<anyhow::Error> for BookingError {
    fn from(e: anyhow::Error) -> BookingError {
        BookingError::Internal(e)
    }
}

fn invalid_field(field: &'static str, code: &'static str) -> BookingError {
    BookingError::Invalid(ValidationError(vec![FieldError { field, code }]))
}

pub struct BookRequest {
    pub officer_id: String,
    pub start: String,
    pub form: BookingForm,
    pub idempotency_key: Option<String>,
    pub lang: &'static str,
    /// The address the request came from (`None`: not a citizen's request, no caps).
    pub source: Option<IpAddr>,
}

/// The answer to a booking request. It is the same whether the request booked or found that
/// the email already has an appointment with this officer that day (its holder is told by
/// mail instead): an answer that differed would tell anyone whether an address has a
/// booking. So it carries only what the request itself asked for; `outcome` says what
/// happened, for logs and tests, and is never shown.
#[derive(Debug)]
pub struct Accepted {
    pub officer: Officer,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The address as the request gave it; the mail went there (or to its holder's spelling).
    pub email: String,
    pub category: ReasonCategory,
    /// The request's own documents (name, kind, size), whether or not they were kept.
    pub documents: Vec<NewDocument>,
    pub outcome: Outcome,
}

/// What a booking request did. Never part of an answer (see `Accepted`).
#[derive(Debug)]
pub enum Outcome {
    /// Booked now, with the citizen's link (mailed; only its hash is kept).
    Booked {
        appointment: Appointment,
        link: String,
    },
    /// The idempotency key was seen for this request: what the first one did, again.
    Replayed(Appointment),
    /// The email already had this appointment with the officer that day; its holder was
    /// told by mail, and nothing was booked.
    AlreadyHeld(Appointment),
}

impl Outcome {
    /// The appointment booked, replayed or already held.
    pub fn appointment(&self) -> &Appointment {
        match self {
            Outcome::Booked { appointment, .. }
            | Outcome::Replayed(appointment)
            | Outcome::AlreadyHeld(appointment) => appointment,
        }
    }

    /// The citizen's link, known only to the request that booked.
    pub fn link(&self) -> Option<&str> {
        match self {
            Outcome::Booked { link, .. } => Some(link),
            _ => None,
        }
    }
}

/// The reminder of an appointment at `start`, composed now (it carries the join link, which
/// is known only here), or `None` when none is due (see `reminder_at`).
fn reminder(
    app: &App,
    c: &Compose,
    now: DateTime<Utc>,
) -> Result<Option<NewReminder>, BookingError> {
    let lead = Duration::from_std(app.config.mail.reminder_before).unwrap_or_default();
    let Some(due) = vappoint_domain::booking::reminder_at(now, c.start, lead) else {
        return Ok(None);
    };
    let mail = compose(
        app,
        &Compose {
            kind: MailKind::Reminder,
            token: None,
            ..*c
        },
    )?;
    Ok(Some(NewReminder { due, mail }))
}

fn parse_start(s: &str) -> Result<DateTime<Utc>, BookingError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid_field("start", "invalid_start"))
}

/// The active officer with this id, or `UnknownOfficer`.
pub async fn active_officer(app: &Arc<App>, id: OfficerId) -> Result<Officer, BookingError> {
    app.db(move |s| if_active(s.officer(id)))
        .await?
        .ok_or(BookingError::UnknownOfficer)
}

/// The officer found, if they take appointments (`None`: no such officer, or inactive).
fn if_active(found: Result<Officer, StoreError>) -> Result<Option<Officer>, StoreError> {
    match found {
        Ok(o) if o.active => Ok(Some(o)),
        Ok(_) | Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Checks that a slot exists and is ahead; it may still be taken (the database decides).
pub fn check_slot(
    app: &App,
    officer: &Officer,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Slot, BookingError> {
    bookable_slot(&officer.schedule, start, app.tz(), now).map_err(BookingError::Slot)
}

/// A booking request that passed every check that can be made before its documents are
/// read (the web edge calls `check` when the first file part arrives, so a refused request
/// writes nothing to disk). The database still decides what only it can: a slot or an
/// email's day taken meanwhile, a network's share of the day, the mail caps.
pub struct Checked {
    input: BookingInput,
    officer: Officer,
    slot: Slot,
    email_key: String,
    idempotency: Option<Idempotency>,
    guard: BookingGuard,
    lang: &'static str,
}

/// Checks a booking request: the form, the officer, the time (bookable and not taken), the
/// email's rate limit and the idempotency key (not used for another request).
pub async fn check(
    app: &Arc<App>,
    req: &BookRequest,
    now: DateTime<Utc>,
) -> Result<Checked, BookingError> {
    if crate::station::disk::low(app) {
        return Err(BookingError::StorageFull);
    }
    let input = req.form.validate()?;
    if let Some(k) = &req.idempotency_key
        && (k.is_empty() || k.len() > 100 || !k.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(invalid_field("idempotency_key", "invalid"));
    }
    let officer_id: OfficerId = req
        .officer_id
        .trim()
        .parse()
        .map_err(|_| BookingError::UnknownOfficer)?;
    let start = parse_start(&req.start)?;
    let email_key = email_key(&input.email);
    // The key counts only for the request it was made for: the same key with another
    // email, officer or time is a conflict, not someone else's booking.
    let idempotency = req.idempotency_key.as_ref().map(|k| Idempotency {
        key_hash: sha256(k),
        content: sha256(&format!("{email_key}\0{officer_id}\0{}", start.timestamp())),
    });
    // Everything the checks read, in one trip to a reader (each trip is a thread hand-off,
    // and a booking's CPU is what limits a busy station); refused in the order below.
    let key_hash = idempotency.as_ref().map(|k| k.key_hash.clone());
    let tz = app.tz();
    let found = app
        .db(move |s| {
            let Some(officer) = if_active(s.officer(officer_id))? else {
                return Ok(None);
            };
            let slot = bookable_slot(&officer.schedule, start, tz, now);
            let seen = match &key_hash {
                Some(hash) => s.idempotency_content(hash)?,
                None => None,
            };
            let taken = match &slot {
                Ok(slot) => s
                    .booked_starts(officer_id, slot.start, slot.end)?
                    .contains(&slot.start),
                Err(_) => false,
            };
            Ok(Some((officer, slot, seen, taken)))
        })
        .await?;
    let Some((officer, slot, seen, taken)) = found else {
        return Err(BookingError::UnknownOfficer);
    };
    let slot = slot.map_err(BookingError::Slot)?;
    if !app.limits.booking_for(&email_key) {
        return Err(BookingError::TooMany);
    }
    let replay = match (&idempotency, seen) {
        (Some(key), Some(content)) if content == key.content => true,
        (Some(_), Some(_)) => return Err(BookingError::IdempotencyConflict),
        _ => false,
    };
    // A replay finds its own booking in the slot; anyone else finds it taken.
    if !replay && taken {
        return Err(BookingError::SlotTaken);
    }
    Ok(Checked {
        guard: guard(app, &officer, &slot, req.source),
        input,
        officer,
        slot,
        email_key,
        idempotency,
        lang: req.lang,
    })
}

/// The caps a request from `source` books under (none for a request with no address).
fn guard(app: &App, officer: &Officer, slot: &Slot, source: Option<IpAddr>) -> BookingGuard {
    let Some(ip) = source else {
        return BookingGuard::default();
    };
    let l = &app.config.limits;
    let tz = app.tz();
    let day = slot.start.with_timezone(&tz).date_naive();
    let slots = officer.schedule.slots_on(day, tz).len() as u64;
    let share = (slots * u64::from(l.network_share_percent) / 100).max(1);
    BookingGuard {
        source_tag: Some(app.secrets.source_tag(limits::source(ip))),
        network_tag: Some(app.secrets.source_tag(limits::network(ip))),
        network_share: Some(u32::try_from(share).unwrap_or(u32::MAX)),
        mail: MailCaps {
            per_recipient: Some(l.mails_per_recipient_per_day),
            per_source: Some(l.mails_per_address_per_day),
        },
    }
}

/// Books an appointment for the form in `req`, with the documents already stored. A request
/// replayed with the same idempotency key gets the booking the first one made.
pub async fn book(
    app: &Arc<App>,
    req: BookRequest,
    docs: StoredDocs,
    now: DateTime<Utc>,
) -> Result<Accepted, BookingError> {
    match check(app, &req, now).await {
        Ok(checked) => book_checked(app, checked, docs, now).await,
        Err(e) => {
            docs.discard().await;
            Err(e)
        }
    }
}

/// Books a request that `check` passed.
pub async fn book_checked(
    app: &Arc<App>,
    checked: Checked,
    docs: StoredDocs,
    now: DateTime<Utc>,
) -> Result<Accepted, BookingError> {
    let code = app.profile().code;
    book_drawing(app, checked, docs, now, || new_reference(&code)).await
}

/// `book_checked`, drawing references with `draw` (a test draws one that is taken).
async fn book_drawing(
    app: &Arc<App>,
    checked: Checked,
    docs: StoredDocs,
    now: DateTime<Utc>,
    mut draw: impl FnMut() -> String,
) -> Result<Accepted, BookingError> {
    let Checked {
        input,
        officer,
        slot,
        email_key: key,
        idempotency,
        guard,
        lang,
    } = checked;
    let officer_id = officer.id;
    let tz = app.tz();
    let new_docs = docs.records();
    // A reference can collide (one in a billion); draw again rather than fail the citizen.
    for _ in 0..3 {
        let (link, hash) = new_link();
        let token = Secrets::new_token();
        let mut appointment = NewAppointment {
            reference: draw(),
            link_hash: hash.clone(),
            officer_id,
            start: slot.start,
            end: slot.end,
            local_day: slot.start.with_timezone(&tz).date_naive(),
            name: input.name.clone(),
            email: input.email.clone(),
            email_key: key.clone(),
            mobile: input.mobile.clone(),
            reason_category: input.reason_category,
            reason: input.reason.clone(),
            lang: lang.to_string(),
            token_mac: app.secrets.token_mac(&hash, &token),
            reminder: None,
            guard: guard.clone(),
        };
        let about = Compose {
            kind: MailKind::Booked,
            reference: &appointment.reference,
            name: &appointment.name,
            email: &appointment.email,
            lang,
            category: appointment.reason_category,
            start: slot.start,
            end: slot.end,
            sequence: 0,
            officer: &officer,
            link: &link,
            token: Some(&token),
        };
        let mail = compose(app, &about)?;
        appointment.reminder = reminder(app, &about, now)?;
        let idem = idempotency.clone();
        let docs_for_db = new_docs.clone();
        let result = app
            .db(move |s| s.book(&appointment, &docs_for_db, &mail, idem.as_ref(), now))
            .await
            .map(BookOutcome::into_parts);
        let accepted = |outcome| Accepted {
            officer: officer.clone(),
            start: slot.start,
            end: slot.end,
            email: input.email.clone(),
            category: input.reason_category,
            documents: new_docs.clone(),
            outcome,
        };
        match result {
            Ok((appointment, false)) => {
                docs.keep();
                app.mail_wake.notify_one();
                return Ok(accepted(Outcome::Booked { appointment, link }));
            }
            Ok((appointment, true)) => {
                // The first request already stored its own copies of the files.
                docs.discard().await;
                return Ok(accepted(Outcome::Replayed(appointment)));
            }
            Err(StoreError::Conflict("reference_taken")) => continue,
            Err(StoreError::Conflict("email_day_taken")) => {
                let day = slot.start.with_timezone(&tz).date_naive();
                let told =
                    tell_the_holder(app, &officer, &key, day, &guard, idempotency.as_ref(), now)
                        .await;
                match told {
                    Ok(held) => {
                        docs.discard().await;
                        return Ok(accepted(held));
                    }
                    // Cancelled meanwhile: the day is free again, so book it after all.
                    Err(BookingError::NotFound) => continue,
                    Err(e) => {
                        docs.discard().await;
                        return Err(e);
                    }
                }
            }
            Err(e) => {
                docs.discard().await;
                return Err(e.into());
            }
        }
    }
    docs.discard().await;
    Err(BookingError::Internal(anyhow::anyhow!(
        "could not draw a free reference"
    )))
}

/// A second booking with an officer on one day is not made. Rather than say so to whoever
/// asked, mail the holder of the first one (within the same caps as a booking mail), and
/// remember the idempotency key so a retry sends nothing more.
async fn tell_the_holder(
    app: &Arc<App>,
    officer: &Officer,
    email_key: &str,
    day: chrono::NaiveDate,
    guard: &BookingGuard,
    idempotency: Option<&Idempotency>,
    now: DateTime<Utc>,
) -> Result<Outcome, BookingError> {
    let (officer_id, key) = (officer.id, email_key.to_string());
    let held = app
        .db(move |s| s.active_booking_for(officer_id, &key, day))
        .await?;
    // The holder's link is kept only as a hash: this mail points to the first one's.
    let mail = compose(
        app,
        &Compose::about(MailKind::AlreadyBooked, &held, officer, ""),
    )?;
    let (id, guard, idem) = (held.id, guard.clone(), idempotency.cloned());
    let (held, replayed) = app
        .db(move |s| s.queue_second_booking_notice(id, &mail, &guard, idem.as_ref(), now))
        .await?
        .into_parts();
    if replayed {
        return Ok(Outcome::Replayed(held));
    }
    app.mail_wake.notify_one();
    tracing::info!(appointment = %held.reference, "second booking that day not made; its holder is told by mail");
    Ok(Outcome::AlreadyHeld(held))
}

/// The appointment behind a citizen's link.
pub async fn by_link(app: &Arc<App>, link: &str) -> Result<(Appointment, Officer), BookingError> {
    if !is_link(link) {
        return Err(BookingError::NotFound);
    }
    let hash = link_hash(link);
    let a = app.db(move |s| s.appointment_by_link(&hash)).await?;
    let officer_id = a.officer_id;
    let o = app.db(move |s| s.officer(officer_id)).await?;
    Ok((a, o))
}

pub fn cutoff(app: &App) -> Duration {
    Duration::from_std(app.config.booking.change_cutoff).unwrap_or(Duration::hours(2))
}

pub fn changeable(app: &App, a: &Appointment, now: DateTime<Utc>) -> bool {
    a.status == AppointmentStatus::Booked && can_change(now, a.start, cutoff(app))
}

fn ensure_changeable(app: &App, a: &Appointment, now: DateTime<Utc>) -> Result<(), BookingError> {
    if a.status != AppointmentStatus::Booked {
        return Err(BookingError::NotBooked);
    }
    if !changeable(app, a, now) {
        return Err(BookingError::TooLate);
    }
    Ok(())
}

pub async fn cancel(app: &Arc<App>, link: &str, now: DateTime<Utc>) -> Result<(), BookingError> {
    let (a, officer) = by_link(app, link).await?;
    ensure_changeable(app, &a, now)?;
    let mail = compose(
        app,
        &Compose {
            sequence: a.sequence + 1,
            ..Compose::about(MailKind::Cancelled, &a, &officer, link)
        },
    )?;
    app.db(move |s| s.cancel(a.id, &mail, now)).await?;
    app.mail_wake.notify_one();
    Ok(())
}

pub async fn reschedule(
    app: &Arc<App>,
    link: &str,
    start: &str,
    now: DateTime<Utc>,
) -> Result<(Appointment, Officer), BookingError> {
    let (a, officer) = by_link(app, link).await?;
    ensure_changeable(app, &a, now)?;
    let start = parse_start(start)?;
    let officer = active_officer(app, officer.id).await?;
    let slot = check_slot(app, &officer, start, now)?;
    let token = Secrets::new_token();
    let hash = link_hash(link);
    let about = Compose {
        start: slot.start,
        end: slot.end,
        sequence: a.sequence + 1,
        token: Some(&token),
        ..Compose::about(MailKind::Moved, &a, &officer, link)
    };
    let mail = compose(app, &about)?;
    let to = Reschedule {
        start: slot.start,
        end: slot.end,
        local_day: slot.start.with_timezone(&app.tz()).date_naive(),
        token_mac: app.secrets.token_mac(&hash, &token),
        reminder: reminder(app, &about, now)?,
    };
    let moved = app.db(move |s| s.reschedule(a.id, &to, &mail, now)).await?;
    app.mail_wake.notify_one();
    Ok((moved, officer))
}

/// Checks the 4-digit token; on success the citizen is checked in and the appointment id
/// returned (for the join session).
pub async fn try_token(
    app: &Arc<App>,
    link: &str,
    token: &str,
    ip: IpAddr,
    now: DateTime<Utc>,
) -> Result<AppointmentId, BookingError> {
    if !app.limits.token_try_from(ip) {
        return Err(BookingError::TooMany);
    }
    let (a, _) = by_link(app, link).await?;
    if a.status != AppointmentStatus::Booked {
        return Err(BookingError::NotBooked);
    }
    may_try(now, a.start, a.end, a.token_tries).map_err(BookingError::Token)?;
    let id = a.id;
    let Some(taken) = app.db(move |s| s.take_token_try(id, MAX_TRIES)).await? else {
        return Err(BookingError::Token(TokenRefusal::Dead));
    };
    let token = token.trim();
    let well_formed = token.len() == 4 && token.bytes().all(|b| b.is_ascii_digit());
    if well_formed
        && app
            .secrets
            .token_matches(&link_hash(link), token, &a.token_mac)
    {
        app.db(move |s| s.check_in(id, now)).await?;
        tracing::info!(reference = %a.reference, "citizen checked in");
        Ok(id)
    } else {
        Err(BookingError::WrongToken {
            tries_left: MAX_TRIES.saturating_sub(taken),
        })
    }
}

/// Emails a new token (the old one stops working). At most three an hour.
pub async fn new_token(app: &Arc<App>, link: &str, now: DateTime<Utc>) -> Result<(), BookingError> {
    let (a, officer) = by_link(app, link).await?;
    if a.status != AppointmentStatus::Booked {
        return Err(BookingError::NotBooked);
    }
    if now >= a.end {
        return Err(BookingError::Token(TokenRefusal::Ended));
    }
    let id = a.id;
    let issued = app.db(move |s| s.token_issues(id)).await?;
    // The token sent with the booking itself does not count: three new ones an hour.
    if !may_reissue(now, &issued[..issued.len().saturating_sub(1)]) {
        return Err(BookingError::TooMany);
    }
    let token = Secrets::new_token();
    let mac = app.secrets.token_mac(&link_hash(link), &token);
    let mail = compose(
        app,
        &Compose {
            token: Some(&token),
            ..Compose::about(MailKind::Token, &a, &officer, link)
        },
    )?;
    app.db(move |s| s.reissue_token(id, &mac, &mail, now))
        .await?;
    app.mail_wake.notify_one();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn request(officer: OfficerId, start: &str, email: &str) -> BookRequest {
        BookRequest {
            officer_id: officer.to_string(),
            start: start.into(),
            form: BookingForm {
                name: "Asha Patil".into(),
                email: email.into(),
                mobile: String::new(),
                reason_category: "complaint".into(),
                reason: String::new(),
            },
            idempotency_key: None,
            lang: "en",
            source: None,
        }
    }

    /// A reference already taken is drawn again; one that keeps colliding fails the booking
    /// as ours to fix, and leaves no upload behind.
    #[tokio::test]
    async fn a_taken_reference_is_drawn_again() {
        let dir = tempfile::tempdir().unwrap();
        let app = Arc::new(
            App::open(
                crate::config::Config::default(),
                dir.path(),
                "https://127.0.0.1",
                dir.path().join("setup-code"),
            )
            .unwrap(),
        );
        let schedule =
            crate::station::officers::parse_schedule("Mon-Sun 09:00-17:00", "15", "").unwrap();
        let officer = vappoint_store::NewOfficer {
            name: "Officer One".into(),
            rank: "PI".into(),
            email: "o1@station.example".into(),
            password_hash: "unused".into(),
            is_admin: true,
            hours: schedule.hours,
            slot_minutes: schedule.slot_minutes,
        };
        let officer = app.store.add_officer(&officer, Utc::now()).unwrap();
        let now = at("2026-12-07T09:00:00+05:30");
        let docs = || StoredDocs::new(&app.documents_dir());
        let checked = |start: &'static str, email: &'static str| {
            let app = app.clone();
            async move {
                check(&app, &request(officer, start, email), now)
                    .await
                    .unwrap()
            }
        };
        let first = book_drawing(
            &app,
            checked("2026-12-07T10:00:00+05:30", "a@x.in").await,
            docs(),
            now,
            || "PS-TAKEN".into(),
        )
        .await
        .unwrap();
        assert_eq!(first.outcome.appointment().reference, "PS-TAKEN");

        let mut drawn = vec!["PS-FREE".to_string(), "PS-TAKEN".into()];
        let second = book_drawing(
            &app,
            checked("2026-12-07T10:15:00+05:30", "b@x.in").await,
            docs(),
            now,
            || drawn.pop().unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(second.outcome.appointment().reference, "PS-FREE");

        let stuck = book_drawing(
            &app,
            checked("2026-12-07T10:30:00+05:30", "c@x.in").await,
            docs(),
            now,
            || "PS-TAKEN".into(),
        )
        .await;
        assert!(matches!(stuck, Err(BookingError::Internal(_))), "{stuck:?}");
        let day = first.outcome.appointment().local_day;
        assert_eq!(
            app.store
                .day_appointments(day, Some(officer))
                .unwrap()
                .len(),
            2
        );
    }
}
