//! The officer's day (their appointments, or everyone's for an admin) and one appointment:
//! its details, documents, notes, call and outcome.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use vappoint_domain::booking::NOTE_MAX;
use vappoint_domain::{AppointmentStatus, Outcome};
use vappoint_store::{Action, Appointment, AppointmentId, OfficerId, Subject};

use super::audit;
use super::{page, see_other, with_status};
use crate::console::csrf::Empty;
use crate::console::{ConsoleError, CsrfForm};
use crate::station::app::App;
use crate::station::web::auth::Me;
use crate::ui::{fmt_date, fmt_time};

/// A reason category in the officer's language, in the citizen pages' words.
pub(super) fn category_in(me: &Me, c: vappoint_domain::ReasonCategory) -> String {
    me.t(&format!("category-{}", c.as_str()))
}

/// The outcomes to choose from, in the officer's language.
pub(super) fn outcomes_in(me: &Me) -> Vec<Value> {
    Outcome::ALL
        .iter()
        .map(|o| json!({"value": o.as_str(), "label": me.t(&format!("console-outcome-{}", o.as_str()))}))
        .collect()
}

/// What the officer should read at a glance: the same status as the citizen's pages and the
/// Calls page (`call::status_at`), with the outcome the officer recorded, if any, in the
/// officer's language (the citizen pages' words where they mean the same).
fn status_of(me: &Me, a: &Appointment, now: chrono::DateTime<Utc>) -> (String, &'static str) {
    let (key, class) = match a.status_at(now) {
        AppointmentStatus::Cancelled => ("status-cancelled", "cancelled"),
        AppointmentStatus::Done => ("status-done", "done"),
        AppointmentStatus::EndedEarly => ("status-ended_early", "done"),
        AppointmentStatus::NoShow => ("console-status-no-show", "cancelled"),
        AppointmentStatus::NotCalled => ("status-not_called", "cancelled"),
        AppointmentStatus::Booked if a.checked_in_at.is_some() => {
            ("console-status-checked-in", "waiting")
        }
        AppointmentStatus::Booked => ("status-booked", "booked"),
    };
    let label = me.t(key);
    match a.outcome {
        Some(o) => (
            format!(
                "{label} · {}",
                me.t(&format!("console-outcome-{}", o.as_str()))
            ),
            class,
        ),
        None => (label, class),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DayQuery {
    date: Option<String>,
    all: Option<String>,
}

pub(super) async fn day(
    State(app): State<Arc<App>>,
    me: Me,
    Query(q): Query<DayQuery>,
) -> Result<Response, ConsoleError> {
    let tz = app.tz();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let date: NaiveDate = q.date.and_then(|d| d.parse().ok()).unwrap_or(today);
    let all = me.officer.is_admin && q.all.is_some_and(|v| v == "1");
    let who = if all { None } else { Some(me.officer.id) };
    audit::by(&app, &me, Action::ViewDay, Subject::Day(date)).await?;
    let rows = app.db(move |s| s.day_appointments(date, who)).await?;
    let officers: HashMap<OfficerId, String> = app
        .db(|s| s.officers())
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut out = Vec::new();
    for a in &rows {
        let id = a.id;
        let docs = app
            .db(move |s| s.documents(id))
            .await
            .map(|d| d.len())
            .unwrap_or(0);
        let (status, class) = status_of(&me, a, Utc::now());
        out.push(json!({
            "id": a.id, "reference": a.reference, "time": fmt_time(a.start, tz), "name": a.name, "email": a.email,
            "mobile": a.mobile, "category": category_in(&me, a.reason_category), "reason": a.reason,
            "documents": docs, "status": status, "status_class": class,
            "officer": officers.get(&a.officer_id).cloned().unwrap_or_default(),
        }));
    }
    let noon = date.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    Ok(page(
        &app,
        "officer/day.html",
        Some(&me),
        json!({
            "date": date.to_string(), "date_label": fmt_date(noon, tz, me.lang), "rows": out, "all": all,
            "prev": (date - Duration::days(1)).to_string(), "next": (date + Duration::days(1)).to_string(),
            "checklist": crate::station::web::checklist::checklist(&app, &me).await,
        }),
    ))
}

/// Loads an appointment the officer may see: their own, or any for an admin.
async fn visible(app: &Arc<App>, me: &Me, id: AppointmentId) -> Result<Appointment, ConsoleError> {
    let a = app.db(move |s| s.appointment(id)).await?;
    if a.officer_id != me.officer.id && !me.officer.is_admin {
        return Err(ConsoleError::forbidden("console-not-yours"));
    }
    Ok(a)
}

async fn appointment_page(
    app: &Arc<App>,
    me: &Me,
    id: AppointmentId,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Response, ConsoleError> {
    let a = visible(app, me, id).await?;
    let tz = app.tz();
    let officer_id = a.officer_id;
    let docs = app.db(move |s| s.documents(id)).await?;
    let notes = app.db(move |s| s.notes(id)).await?;
    let officer = app.db(move |s| s.officer(officer_id)).await?;
    let (status, class) = status_of(me, &a, Utc::now());
    let hold = match app.db(move |s| s.hold_of(id)).await? {
        Some(h) => {
            let by = app.db(move |s| s.officer(h.by)).await?;
            Some(json!({"reason": h.reason, "by": by.name, "at": fmt_date(h.at, tz, me.lang)}))
        }
        None => None,
    };
    // When retention takes this appointment's documents, then its personal details.
    let (docs_go, personal_goes) = app.config.retention.policy().removal_dates(a.end);
    let retention = json!({
        "documents_on": fmt_date(docs_go, tz, me.lang),
        "personal_on": fmt_date(personal_goes, tz, me.lang),
        "personal_removed": a.personal_removed_at.map(|t| fmt_date(t, tz, me.lang)),
    });
    let call = app.db(move |s| s.call(id)).await.ok().flatten().map(|c| {
        let t = |x: Option<chrono::DateTime<Utc>>| x.map(|x| fmt_time(x, tz));
        let by = match c.ended_by.as_deref() {
            Some("timer") => "timer",
            Some("citizen") => "citizen",
            Some(_) => "officer",
            None => "",
        };
        json!({
            "admitted": t(c.admitted_at), "started": t(c.started_at), "ended": t(c.ended_at), "by": by,
            "minutes": c.started_at.zip(c.ended_at).map(|(s, e)| (e - s).num_seconds().div_euclid(60)),
            "message": c.message,
        })
    });
    Ok(page(
        app,
        "officer/appointment.html",
        Some(me),
        json!({
            "a": {
                "id": a.id, "reference": a.reference, "time": fmt_time(a.start, tz), "date": a.local_day.to_string(),
                "date_label": fmt_date(a.start, tz, me.lang), "name": a.name, "email": a.email, "mobile": a.mobile,
                "category": category_in(me, a.reason_category), "reason": a.reason, "officer": format!("{}, {}", officer.name, officer.rank),
                "status": status, "status_class": class, "outcome": a.outcome.map(|o| o.as_str()),
                "created": format!("{} {}", fmt_date(a.created_at, tz, me.lang), fmt_time(a.created_at, tz)), "lang": a.lang,
            },
            "docs": docs.iter().map(|d| json!({"id": d.id, "file_name": d.file_name, "kind": d.kind.mime(), "size": human_size(d.size),
                "removed": d.removed_at.map(|t| fmt_date(t, tz, me.lang))})).collect::<Vec<_>>(),
            "hold": hold,
            "retention": retention,
            "notes": notes.iter().map(|n| json!({"when": format!("{} {}", fmt_date(n.created_at, tz, me.lang), fmt_time(n.created_at, tz)), "officer": n.officer_name, "body": n.body})).collect::<Vec<_>>(),
            "outcomes": outcomes_in(me),
            "call": call,
            "notice": notice, "error": error,
        }),
    ))
}

fn human_size(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", n.div_ceil(1024))
    }
}

pub(super) async fn appointment(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<AppointmentId>,
) -> Result<Response, ConsoleError> {
    visible(&app, &me, id).await?;
    audit::by(&app, &me, Action::ViewAppointment, Subject::Appointment(id)).await?;
    appointment_page(&app, &me, id, None, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NoteForm {
    body: String,
}

pub(super) async fn add_note(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<AppointmentId>,
    CsrfForm(f): CsrfForm<NoteForm>,
) -> Result<Response, ConsoleError> {
    visible(&app, &me, id).await?;
    let body = f.body.trim().to_string();
    if body.is_empty() || body.chars().count() > NOTE_MAX {
        let r = appointment_page(&app, &me, id, None, Some(&me.t("console-note-length"))).await?;
        return Ok(with_status(r, StatusCode::BAD_REQUEST));
    }
    let officer = me.officer.id;
    app.db(move |s| s.add_note(id, officer, &body, Utc::now()))
        .await?;
    audit::by(&app, &me, Action::AddNote, Subject::Appointment(id)).await?;
    Ok(see_other(&format!("/officer/appointments/{id}")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OutcomeForm {
    outcome: String,
}

pub(super) async fn set_outcome(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<AppointmentId>,
    CsrfForm(f): CsrfForm<OutcomeForm>,
) -> Result<Response, ConsoleError> {
    visible(&app, &me, id).await?;
    let outcome = match f.outcome.as_str() {
        "" => None,
        s => match s.parse::<Outcome>() {
            Ok(o) => Some(o),
            Err(_) => {
                let r =
                    appointment_page(&app, &me, id, None, Some(&me.t("console-outcome-choose")))
                        .await?;
                return Ok(with_status(r, StatusCode::BAD_REQUEST));
            }
        },
    };
    let officer = me.officer.id;
    app.db(move |s| s.set_outcome(id, outcome, officer, Utc::now()))
        .await?;
    audit::by(&app, &me, Action::SetOutcome, Subject::Appointment(id)).await?;
    Ok(see_other(&format!("/officer/appointments/{id}")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct HoldForm {
    reason: String,
}

/// The longest hold reason: a short note ("FIR 123/2026 registered"), not a case file.
const HOLD_REASON_MAX: usize = 100;

/// Holds an appointment: retention keeps its documents and personal details until released.
pub(super) async fn hold(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<AppointmentId>,
    CsrfForm(f): CsrfForm<HoldForm>,
) -> Result<Response, ConsoleError> {
    visible(&app, &me, id).await?;
    let reason = f.reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() || reason.chars().count() > HOLD_REASON_MAX {
        let r = appointment_page(
            &app,
            &me,
            id,
            None,
            Some(&me.t("console-hold-reason-length")),
        )
        .await?;
        return Ok(with_status(r, StatusCode::BAD_REQUEST));
    }
    let officer = me.officer.id;
    app.db(move |s| s.hold(id, officer, &reason, Utc::now()))
        .await?;
    Ok(see_other(&format!("/officer/appointments/{id}")))
}

/// Releases a hold: retention takes the appointment at its next hourly run if it is due.
pub(super) async fn release(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<AppointmentId>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, ConsoleError> {
    visible(&app, &me, id).await?;
    let officer = me.officer.id;
    app.db(move |s| s.release_hold(id, officer, Utc::now()))
        .await?;
    Ok(see_other(&format!("/officer/appointments/{id}")))
}

pub(super) async fn document(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, ConsoleError> {
    let doc = app.db(move |s| s.document(id)).await?;
    visible(&app, &me, doc.appointment_id).await?;
    if doc.removed_at.is_some() {
        return Err(ConsoleError::new(
            StatusCode::GONE,
            "console-document-removed",
        ));
    }
    audit::by(&app, &me, Action::ViewDocument, Subject::Document(id)).await?;
    let bytes = app
        .documents_dir()
        .read(&doc.stored_name)
        .await
        .map_err(ConsoleError::internal)?;
    // Always a download, never rendered by the browser on the console's origin.
    Ok((
        [
            (header::CONTENT_TYPE, doc.kind.mime().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", doc.file_name),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'".to_string(),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
