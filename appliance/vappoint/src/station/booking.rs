//! What citizens do with appointments, shared by the HTML pages and the JSON API: book,
//! cancel, move, try the token, ask for a new one. Handlers parse requests; this module
//! applies the rules and talks to the store.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use vappoint_domain::booking::{can_change, email_key};
use vappoint_domain::schedule::{SlotRefusal, bookable_slot};
use vappoint_domain::token::{MAX_TRIES, TokenRefusal, may_reissue, may_try};
use vappoint_domain::{AppointmentStatus, BookingForm, Slot};
use vappoint_store::{
    Appointment, Document, NewAppointment, NewReminder, Officer, Reschedule, StoreError,
};

use crate::secrets::{Secrets, is_link, link_hash, new_link, new_reference};
use crate::station::app::App;
use crate::station::mail::{Compose, MailKind, compose};
use crate::station::web::Failure;
use crate::station::web::upload::StoredDocs;

pub struct BookRequest {
    pub officer_id: String,
    pub start: String,
    pub form: BookingForm,
    pub idempotency_key: Option<String>,
    pub lang: &'static str,
}

pub struct Booked {
    pub appointment: Appointment,
    pub officer: Officer,
    pub documents: Vec<Document>,
    /// The citizen's link id, for the confirmation page's calendar link; `None` when an
    /// idempotency key replayed an earlier booking (only its hash is kept).
    pub link: Option<String>,
}

/// The reminder of an appointment at `start`, composed now (it carries the join link, which
/// is known only here), or `None` when none is due (see `reminder_at`).
fn reminder(app: &App, c: &Compose, now: DateTime<Utc>) -> Result<Option<NewReminder>, Failure> {
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

fn parse_start(s: &str) -> Result<DateTime<Utc>, Failure> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Failure::invalid_field("start", "invalid_start"))
}

fn slot_failure(r: SlotRefusal) -> Failure {
    Failure::BadRequest(match r {
        SlotRefusal::Past => "past",
        SlotRefusal::TooFar => "too_far",
        SlotRefusal::NotOffered => "not_offered",
    })
}

/// The active officer with this id, or `unknown_officer`.
pub async fn active_officer(app: &Arc<App>, id: i64) -> Result<Officer, Failure> {
    match app.db(move |s| s.officer(id)).await {
        Ok(o) if o.active => Ok(o),
        Ok(_) | Err(StoreError::NotFound) => Err(Failure::BadRequest("unknown_officer")),
        Err(e) => Err(e.into()),
    }
}

/// Checks that a slot exists and is ahead; it may still be taken (the database decides).
fn check_slot(
    app: &App,
    officer: &Officer,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Slot, Failure> {
    bookable_slot(&officer.schedule, start, app.tz(), now).map_err(slot_failure)
}

pub async fn book(
    app: &Arc<App>,
    req: BookRequest,
    docs: StoredDocs,
    now: DateTime<Utc>,
) -> Result<Booked, Failure> {
    let input = req.form.validate().map_err(Failure::Invalid)?;
    if let Some(k) = &req.idempotency_key
        && (k.is_empty() || k.len() > 100 || !k.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(Failure::invalid_field("idempotency_key", "invalid"));
    }
    let officer_id: i64 = req
        .officer_id
        .trim()
        .parse()
        .map_err(|_| Failure::BadRequest("unknown_officer"))?;
    let start = parse_start(&req.start)?;
    let officer = active_officer(app, officer_id).await?;
    let slot = check_slot(app, &officer, start, now)?;
    let key = email_key(&input.email);
    if !app.limits.booking_for(&key) {
        return Err(Failure::RateLimited);
    }
    let tz = app.tz();
    let code = app.profile().code;
    let new_docs = docs.records();
    // A reference can collide (one in a billion); draw again rather than fail the citizen.
    for _ in 0..3 {
        let (link, hash) = new_link();
        let token = Secrets::new_token();
        let mut appointment = NewAppointment {
            reference: new_reference(&code),
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
            lang: req.lang.to_string(),
            token_mac: app.secrets.token_mac(&hash, &token),
            reminder: None,
        };
        let about = Compose {
            kind: MailKind::Booked,
            reference: &appointment.reference,
            name: &appointment.name,
            email: &appointment.email,
            lang: req.lang,
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
        let idem = req.idempotency_key.clone();
        let docs_for_db = new_docs.clone();
        let result = app
            .db(move |s| s.book(&appointment, &docs_for_db, &mail, idem.as_deref(), now))
            .await;
        match result {
            Ok((appointment, replayed)) => {
                if replayed {
                    // The first request already stored its own copies of the files.
                    docs.discard().await;
                } else {
                    docs.keep();
                    app.mail_wake.notify_one();
                }
                let id = appointment.id;
                let documents = app.db(move |s| s.documents(id)).await?;
                return Ok(Booked {
                    appointment,
                    officer,
                    documents,
                    link: (!replayed).then_some(link),
                });
            }
            Err(StoreError::Conflict("reference_taken")) => continue,
            Err(e) => {
                docs.discard().await;
                return Err(e.into());
            }
        }
    }
    docs.discard().await;
    Err(Failure::Internal(anyhow::anyhow!(
        "could not draw a free reference"
    )))
}

/// The appointment behind a citizen's link.
pub async fn by_link(app: &Arc<App>, link: &str) -> Result<(Appointment, Officer), Failure> {
    if !is_link(link) {
        return Err(Failure::NotFound);
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

fn ensure_changeable(app: &App, a: &Appointment, now: DateTime<Utc>) -> Result<(), Failure> {
    if a.status != AppointmentStatus::Booked {
        return Err(Failure::Conflict("not_booked"));
    }
    if !changeable(app, a, now) {
        return Err(Failure::Conflict("too_late"));
    }
    Ok(())
}

pub async fn cancel(app: &Arc<App>, link: &str, now: DateTime<Utc>) -> Result<(), Failure> {
    let (a, officer) = by_link(app, link).await?;
    ensure_changeable(app, &a, now)?;
    let mail = compose(
        app,
        &Compose {
            kind: MailKind::Cancelled,
            reference: &a.reference,
            name: &a.name,
            email: &a.email,
            lang: &a.lang,
            category: a.reason_category,
            start: a.start,
            end: a.end,
            sequence: a.sequence + 1,
            officer: &officer,
            link,
            token: None,
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
) -> Result<(Appointment, Officer), Failure> {
    let (a, officer) = by_link(app, link).await?;
    ensure_changeable(app, &a, now)?;
    let start = parse_start(start)?;
    let officer = active_officer(app, officer.id).await?;
    let slot = check_slot(app, &officer, start, now)?;
    let token = Secrets::new_token();
    let hash = link_hash(link);
    let about = Compose {
        kind: MailKind::Moved,
        reference: &a.reference,
        name: &a.name,
        email: &a.email,
        lang: &a.lang,
        category: a.reason_category,
        start: slot.start,
        end: slot.end,
        sequence: a.sequence + 1,
        officer: &officer,
        link,
        token: Some(&token),
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
) -> Result<i64, Failure> {
    if !app.limits.token_try_from(ip) {
        return Err(Failure::RateLimited);
    }
    let (a, _) = by_link(app, link).await?;
    if a.status != AppointmentStatus::Booked {
        return Err(Failure::Conflict("not_booked"));
    }
    may_try(now, a.start, a.end, a.token_tries).map_err(|r| match r {
        TokenRefusal::TooEarly => Failure::Forbidden("too_early"),
        TokenRefusal::Ended => Failure::Forbidden("ended"),
        TokenRefusal::Dead => Failure::Forbidden("token_dead"),
    })?;
    let id = a.id;
    let Some(taken) = app.db(move |s| s.take_token_try(id, MAX_TRIES)).await? else {
        return Err(Failure::Forbidden("token_dead"));
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
        Err(Failure::WrongToken {
            tries_left: MAX_TRIES.saturating_sub(taken),
        })
    }
}

/// Emails a new token (the old one stops working). At most three an hour.
pub async fn new_token(app: &Arc<App>, link: &str, now: DateTime<Utc>) -> Result<(), Failure> {
    let (a, officer) = by_link(app, link).await?;
    if a.status != AppointmentStatus::Booked {
        return Err(Failure::Conflict("not_booked"));
    }
    if now >= a.end {
        return Err(Failure::Forbidden("ended"));
    }
    let id = a.id;
    let issued = app.db(move |s| s.token_issues(id)).await?;
    // The token sent with the booking itself does not count: three new ones an hour.
    if !may_reissue(now, &issued[..issued.len().saturating_sub(1)]) {
        return Err(Failure::RateLimited);
    }
    let token = Secrets::new_token();
    let mac = app.secrets.token_mac(&link_hash(link), &token);
    let mail = compose(
        app,
        &Compose {
            kind: MailKind::Token,
            reference: &a.reference,
            name: &a.name,
            email: &a.email,
            lang: &a.lang,
            category: a.reason_category,
            start: a.start,
            end: a.end,
            sequence: a.sequence,
            officer: &officer,
            link,
            token: Some(&token),
        },
    )?;
    app.db(move |s| s.reissue_token(id, &mac, &mail, now))
        .await?;
    app.mail_wake.notify_one();
    Ok(())
}
