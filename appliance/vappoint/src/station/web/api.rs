//! The JSON API under `/api/v1`, for citizens' apps, tests and (later) the hub. Shapes are
//! in the `vappoint-wire` crate; rules are in `booking`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use vappoint_domain::BookingForm;
use vappoint_store::{Appointment, Officer, OfficerId};
use vappoint_wire as wire;
use vappoint_wire::ErrorCode;

use super::upload::{MAX_BOOKING_BODY, OnRefusal, check_length, read_booking};
use super::{Ctx, Failure, api_error};
use crate::station::app::App;
use crate::station::availability::{self, DayJson};
use crate::station::booking::{self, BookRequest};
use crate::station::documents::StoredDocs;
use crate::ui;
use crate::ui::rfc3339;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/station", get(station))
        .route("/api/v1/officers/{id}/slots", get(slots))
        .route(
            "/api/v1/appointments",
            post(book).layer(DefaultBodyLimit::max(MAX_BOOKING_BODY)),
        )
        .route("/api/v1/appointments/{link}", get(appointment))
        .route("/api/v1/appointments/{link}/cancel", post(cancel))
        .route("/api/v1/appointments/{link}/reschedule", post(reschedule))
        .route("/api/v1/appointments/{link}/token", post(token))
        .route("/api/v1/appointments/{link}/token/new", post(new_token))
}

type ApiResult = Result<Response, Response>;

fn officer_summary(o: &Officer) -> wire::OfficerSummary {
    wire::OfficerSummary {
        id: o.id.0,
        name: o.name.clone(),
        rank: o.rank.clone(),
    }
}

async fn station(State(app): State<Arc<App>>) -> ApiResult {
    let officers = app
        .db(|s| s.officers())
        .await
        .map(crate::station::availability::listed)
        .map_err(api_error(&app))?;
    let p = app.profile();
    Ok(Json(wire::StationInfo {
        name: p.name,
        code: p.code,
        zone: p.zone,
        time_zone: p.time_zone,
        officers: officers.iter().map(officer_summary).collect(),
    })
    .into_response())
}

#[derive(Deserialize)]
struct DateQuery {
    date: Option<String>,
}

async fn slots(
    State(app): State<Arc<App>>,
    Path(id): Path<OfficerId>,
    Query(q): Query<DateQuery>,
    headers: HeaderMap,
) -> ApiResult {
    let fail = api_error::<Failure>(&app);
    // Before anything is read: a booking committed from here on makes what is read now
    // older than the count it is kept under.
    let commits = app.store.commits();
    let now = Utc::now();
    let tz = app.tz();
    let date = match q.date.as_deref() {
        None => now.with_timezone(&tz).date_naive(),
        Some(d) => d
            .parse::<NaiveDate>()
            .map_err(|_| fail(Failure::invalid_field("date", "invalid")))?,
    };
    let day = match app.day_json.get(id, date, commits, now) {
        Some(day) => day,
        None => {
            let officer = booking::active_officer(&app, id)
                .await
                .map_err(|_| fail(Failure::NotFound))?;
            let slots = availability::day(&app, &officer, date, now)
                .await
                .map_err(api_error(&app))?;
            let body = serde_json::to_vec(&wire::DaySlots {
                officer_id: id.0,
                date: date.to_string(),
                slot_minutes: officer.schedule.slot_minutes,
                slots: slots
                    .iter()
                    .map(|(s, free)| wire::SlotInfo {
                        start: rfc3339(s.start, tz),
                        end: rfc3339(s.end, tz),
                        free: *free,
                    })
                    .collect(),
            })
            .map_err(|e| fail(Failure::Internal(e.into())))?;
            let digest = Sha256::digest(&body);
            let etag = format!("\"{}\"", data_encoding::HEXLOWER.encode(&digest[..16]));
            let day = DayJson {
                body: body.into(),
                etag: etag.into(),
            };
            app.day_json
                .put(id, date, commits, now, &slots, day.clone());
            day
        }
    };
    let etag = (
        header::ETAG,
        HeaderValue::from_str(&day.etag).expect("hex in quotes"),
    );
    // Revalidate every time: a booking may take a slot the next second.
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == day.etag.as_bytes())
    {
        return Ok((StatusCode::NOT_MODIFIED, [etag, cache]).into_response());
    }
    let json = (
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(([json, etag, cache], day.body).into_response())
}

pub fn form_from(fields: &HashMap<String, String>) -> BookingForm {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    BookingForm {
        name: get("name"),
        email: get("email"),
        mobile: get("mobile"),
        reason_category: get("reason_category"),
        reason: get("reason"),
    }
}

async fn book(
    ctx: Ctx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    multipart: Multipart,
) -> ApiResult {
    let app = ctx.app.clone();
    let fail = api_error::<Failure>(&app);
    if !app.limits.booking_from(peer.ip()) {
        return Err(fail(Failure::Refused(ErrorCode::RateLimited)));
    }
    check_length(&headers).map_err(&fail)?;
    let now = Utc::now();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let request = |fields: &HashMap<String, String>| BookRequest {
        officer_id: fields.get("officer_id").cloned().unwrap_or_default(),
        start: fields.get("start").cloned().unwrap_or_default(),
        form: form_from(fields),
        idempotency_key: key.clone(),
        lang: fields
            .get("lang")
            .and_then(|l| ui::known_lang(l))
            .unwrap_or(ctx.lang),
        source: Some(peer.ip()),
    };
    let docs = StoredDocs::for_request(&app, peer.ip(), now)
        .await
        .map_err(api_error(&app))?;
    // Checked when the first document arrives, before it is written; else after the body.
    let upload = read_booking(docs, multipart, OnRefusal::Stop, |fields| {
        let (app, req) = (app.clone(), request(fields));
        Box::pin(async move { Ok(booking::check(&app, &req, now).await?) })
    })
    .await
    .map_err(&fail)?;
    if let Some(r) = upload.refused {
        return Err(fail(r.failure));
    }
    let booked = match upload.checked {
        Some(c) => booking::book_checked(&app, c, upload.docs, now).await,
        None => booking::book(&app, request(&upload.fields), upload.docs, now).await,
    }
    .map_err(api_error(&app))?;
    // Only what the request asked for, the same whatever it found: see `booking::Accepted`.
    let tz = app.tz();
    let body = wire::Accepted {
        status: "check_mail".into(),
        officer_id: booked.officer.id.0,
        start: rfc3339(booked.start, tz),
        end: rfc3339(booked.end, tz),
        documents: booked
            .documents
            .iter()
            .map(|d| wire::DocumentInfo {
                file_name: d.file_name.clone(),
                kind: d.kind.as_str().into(),
                size: d.size,
            })
            .collect(),
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

fn citizen_view(app: &App, a: &Appointment, o: &Officer) -> wire::CitizenAppointment {
    let tz = app.tz();
    wire::CitizenAppointment {
        reference: a.reference.clone(),
        officer: officer_summary(o),
        start: rfc3339(a.start, tz),
        end: rfc3339(a.end, tz),
        status: a.status_at(Utc::now()).to_string(),
        can_change: booking::changeable(app, a, Utc::now()),
    }
}

async fn appointment(State(app): State<Arc<App>>, Path(link): Path<String>) -> ApiResult {
    let (a, o) = booking::by_link(&app, &link)
        .await
        .map_err(api_error(&app))?;
    Ok(Json(citizen_view(&app, &a, &o)).into_response())
}

async fn cancel(State(app): State<Arc<App>>, Path(link): Path<String>) -> ApiResult {
    booking::cancel(&app, &link, Utc::now())
        .await
        .map_err(api_error(&app))?;
    Ok(Json(serde_json::json!({"status": "cancelled"})).into_response())
}

fn json_body<T>(
    app: &App,
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, Response> {
    body.map(|Json(b)| b)
        .map_err(|_| Failure::Refused(ErrorCode::BadRequest).api(app))
}

async fn reschedule(
    State(app): State<Arc<App>>,
    Path(link): Path<String>,
    body: Result<Json<wire::RescheduleRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let req = json_body(&app, body)?;
    let (a, o) = booking::reschedule(&app, &link, &req.start, Utc::now())
        .await
        .map_err(api_error(&app))?;
    Ok(Json(citizen_view(&app, &a, &o)).into_response())
}

async fn token(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(link): Path<String>,
    body: Result<Json<wire::TokenRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let req = json_body(&app, body)?;
    let id = booking::try_token(&app, &link, &req.token, peer.ip(), Utc::now())
        .await
        .map_err(api_error(&app))?;
    // The join session lets this client open the waiting room's socket.
    let jar = super::ws::open_join_session(&app, id)
        .await
        .map_err(api_error(&app))?;
    Ok((jar, Json(serde_json::json!({"checked_in": true}))).into_response())
}

async fn new_token(State(app): State<Arc<App>>, Path(link): Path<String>) -> ApiResult {
    booking::new_token(&app, &link, Utc::now())
        .await
        .map_err(api_error(&app))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"status": "sent"})),
    )
        .into_response())
}
