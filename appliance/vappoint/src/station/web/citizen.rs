//! The citizen's pages: the station and its officers' free times, the booking form (works
//! without JavaScript), the confirmation, and the pages behind the emailed link.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, Multipart, Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use vappoint_domain::{AppointmentStatus, ReasonCategory};
use vappoint_store::{Appointment, Officer, OfficerId};
use vappoint_wire::ErrorCode;

use super::upload::{MAX_BOOKING_BODY, OnRefusal, check_length, read_booking};
use super::{Ctx, Failure};
use crate::secrets::random_id;
use crate::station::app::App;
use crate::station::availability::{self, LOOKAHEAD_DAYS};
use crate::station::booking::{self, BookRequest, BookingError};
use crate::station::documents::StoredDocs;
use crate::ui::{fmt_date, fmt_time};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/officers/{id}", get(officer_day))
        .route(
            "/book",
            get(book_form)
                .post(book_submit)
                .layer(DefaultBodyLimit::max(MAX_BOOKING_BODY)),
        )
        .route("/lang/{code}", get(crate::site::set_lang))
        .route("/a/{link}", get(manage))
        .route("/a/{link}/cancel", post(cancel))
        .route(
            "/a/{link}/reschedule",
            get(reschedule_form).post(reschedule),
        )
        .route("/a/{link}/join", get(join_form).post(join))
        .route("/a/{link}/token", post(new_token))
        .route("/a/{link}/call", get(call_page))
}

fn short_date(d: NaiveDate, lang: &str) -> String {
    let locale = match lang {
        "mr" => chrono::Locale::mr_IN,
        "hi" => chrono::Locale::hi_IN,
        _ => chrono::Locale::en_IN,
    };
    d.format_localized("%a %-d %b", locale).to_string()
}

fn time_only(t: DateTime<Utc>, ctx: &Ctx) -> String {
    t.with_timezone(&ctx.app.tz()).format("%H:%M").to_string()
}

async fn home(ctx: Ctx) -> Response {
    let now = Utc::now();
    let officers = match ctx.app.db(|s| s.officers()).await {
        Ok(o) => availability::listed(o),
        Err(e) => return ctx.fail(e),
    };
    let mut list = Vec::new();
    for o in &officers {
        let next = match availability::next_free(&ctx.app, o, now, 2, 6).await {
            Ok(n) => n,
            Err(f) => return ctx.fail(f),
        };
        let next: Vec<Value> = next
            .into_iter()
            .map(|(date, slots)| {
                json!({
                    "date": fmt_date(slots[0].start, ctx.app.tz(), ctx.lang),
                    "iso": date.to_string(),
                    "slots": slots.iter().map(|s| json!({"start": crate::ui::rfc3339(s.start, ctx.app.tz()), "time": time_only(s.start, &ctx)})).collect::<Vec<_>>(),
                })
            })
            .collect();
        list.push(json!({"id": o.id, "name": o.name, "rank": o.rank, "next": next}));
    }
    ctx.page("home.html", json!({"officers": list}))
}

#[derive(Deserialize)]
struct DateQuery {
    date: Option<String>,
}

/// Links to the next two weeks' days, marking the one shown.
fn day_links(ctx: &Ctx, shown: NaiveDate, href: impl Fn(NaiveDate) -> String) -> Vec<Value> {
    let today = Utc::now().with_timezone(&ctx.app.tz()).date_naive();
    (0..=LOOKAHEAD_DAYS)
        .map(|i| today + Duration::days(i))
        .map(|d| json!({"label": short_date(d, ctx.lang), "href": href(d), "current": d == shown}))
        .collect()
}

fn parse_day(ctx: &Ctx, q: &DateQuery) -> Result<NaiveDate, Failure> {
    let today = Utc::now().with_timezone(&ctx.app.tz()).date_naive();
    match q.date.as_deref() {
        None | Some("") => Ok(today),
        Some(d) => d.parse().map_err(|_| Failure::NotFound),
    }
}

async fn day_slots_json(
    ctx: &Ctx,
    officer: &Officer,
    date: NaiveDate,
    href: impl Fn(&str) -> String,
) -> Result<Vec<Value>, Failure> {
    let tz = ctx.app.tz();
    let now = Utc::now();
    let day = availability::day(&ctx.app, officer, date, now).await?;
    Ok(day
        .into_iter()
        .map(|(s, free)| {
            let start = crate::ui::rfc3339(s.start, tz);
            // A slot that has begun is "past", whether or not someone had booked it.
            let past = s.start <= now;
            json!({"start": start, "time": time_only(s.start, ctx), "free": free, "past": past, "href": href(&start)})
        })
        .collect())
}

async fn officer_day(ctx: Ctx, Path(id): Path<OfficerId>, Query(q): Query<DateQuery>) -> Response {
    let run = async {
        let officer = booking::active_officer(&ctx.app, id)
            .await
            .map_err(|_| Failure::NotFound)?;
        let date = parse_day(&ctx, &q)?;
        let slots = day_slots_json(&ctx, &officer, date, |start| {
            format!(
                "/book?officer={id}&start={}",
                percent_encoding::utf8_percent_encode(start, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .await?;
        let days = day_links(&ctx, date, |d| format!("/officers/{id}?date={d}"));
        Ok::<_, Failure>(ctx.page(
            "officer_day.html",
            json!({"officer": {"id": id, "name": officer.name, "rank": officer.rank}, "date_label": short_date(date, ctx.lang), "slots": slots, "days": days}),
        ))
    };
    run.await.unwrap_or_else(|f| ctx.fail(f))
}

fn categories(ctx: &Ctx) -> Vec<Value> {
    ReasonCategory::ALL
        .iter()
        .map(|c| json!({"value": c.as_str(), "label": ctx.t(&format!("category-{}", c.as_str()))}))
        .collect()
}

#[derive(Deserialize)]
struct BookQuery {
    officer: Option<String>,
    start: Option<String>,
}

/// The booking form for one slot, with whatever was typed before and the errors to fix.
/// When the slot itself cannot be had, `alternatives` lists the nearest free times to choose
/// from instead.
struct FormPage {
    form: Value,
    errors: Value,
    error: Option<String>,
    alternatives: Vec<Value>,
}

fn form_page(ctx: &Ctx, officer: &Officer, start: DateTime<Utc>, p: FormPage) -> Response {
    let tz = ctx.app.tz();
    ctx.page(
        "book.html",
        json!({
            "officer": {"id": officer.id, "name": officer.name, "rank": officer.rank},
            "start": crate::ui::rfc3339(start, tz),
            "date_label": fmt_date(start, tz, ctx.lang),
            "time_label": fmt_time(start, tz),
            "minutes": officer.schedule.slot_minutes,
            "categories": categories(ctx),
            "form": p.form,
            "errors": p.errors,
            "error": p.error,
            "alternatives": p.alternatives,
            "max_documents": vappoint_domain::document::MAX_DOCUMENTS,
            "max_document_bytes": vappoint_domain::document::MAX_DOCUMENT_BYTES,
            "idempotency_key": random_id(),
        }),
    )
}

async fn book_form(ctx: Ctx, Query(q): Query<BookQuery>) -> Response {
    let run = async {
        let id: OfficerId = q
            .officer
            .as_deref()
            .unwrap_or("")
            .parse()
            .map_err(|_| Failure::NotFound)?;
        let officer = booking::active_officer(&ctx.app, id).await?;
        let start = DateTime::parse_from_rfc3339(q.start.as_deref().unwrap_or(""))
            .map_err(|_| Failure::Refused(ErrorCode::InvalidStart))?
            .with_timezone(&Utc);
        booking::check_slot(&ctx.app, &officer, start, Utc::now())?;
        let empty =
            json!({"name": "", "email": "", "mobile": "", "reason_category": "", "reason": ""});
        Ok::<_, Failure>(form_page(
            &ctx,
            &officer,
            start,
            FormPage {
                form: empty,
                errors: json!({}),
                error: None,
                alternatives: Vec::new(),
            },
        ))
    };
    run.await.unwrap_or_else(|f| ctx.fail(f))
}

async fn book_submit(
    ctx: Ctx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    if !ctx.app.limits.booking_from(peer.ip()) {
        return ctx.fail(Failure::Refused(ErrorCode::RateLimited));
    }
    if let Err(f) = check_length(&headers) {
        return ctx.fail(f);
    }
    let now = Utc::now();
    let request = |fields: &HashMap<String, String>| BookRequest {
        officer_id: fields.get("officer_id").cloned().unwrap_or_default(),
        start: fields.get("start").cloned().unwrap_or_default(),
        form: super::api::form_from(fields),
        idempotency_key: fields
            .get("idempotency_key")
            .cloned()
            .filter(|k| !k.is_empty()),
        lang: ctx.lang,
        source: Some(peer.ip()),
    };
    let docs = match StoredDocs::for_request(&ctx.app, peer.ip(), now).await {
        Ok(d) => d,
        Err(e) => return ctx.fail(e),
    };
    // Checked when the first document arrives, before it is written; else after the body.
    let upload = read_booking(docs, multipart, OnRefusal::ReadOn, |fields| {
        let (app, req) = (ctx.app.clone(), request(fields));
        Box::pin(async move { Ok(booking::check(&app, &req, now).await?) })
    })
    .await;
    let upload = match upload {
        Ok(u) => u,
        Err(f) => return ctx.fail(f),
    };
    let fields = upload.fields;
    if let Some(refused) = upload.refused {
        let offer_others = matches!(
            refused.failure.code(),
            ErrorCode::SlotTaken | ErrorCode::Past | ErrorCode::TooFar | ErrorCode::NotOffered
        );
        let again = FormAgain {
            file_name: refused.file_name,
            had_documents: true,
            offer_others,
        };
        return form_again(&ctx, &fields, refused.failure, again).await;
    }
    let had_documents = !upload.docs.is_empty();
    let booked = match upload.checked {
        Some(c) => booking::book_checked(&ctx.app, c, upload.docs, now).await,
        None => booking::book(&ctx.app, request(&fields), upload.docs, now).await,
    };
    match booked {
        Ok(b) => {
            // `/book` answers only with a slot chosen: a language switch goes home instead.
            let ctx = ctx.at("/".into());
            let tz = ctx.app.tz();
            // Only what the request asked for: see `booking::Accepted`.
            ctx.page(
                "booked.html",
                json!({
                    "email": b.email,
                    "officer": {"name": b.officer.name, "rank": b.officer.rank},
                    "date_label": fmt_date(b.start, tz, ctx.lang),
                    "time_label": fmt_time(b.start, tz),
                    "urgent": b.category == ReasonCategory::DomesticViolence,
                }),
            )
        }
        Err(e) => {
            let again = FormAgain {
                file_name: None,
                had_documents,
                offer_others: e.slot_unavailable(),
            };
            form_again(&ctx, &fields, e.into(), again).await
        }
    }
}

/// How the booking form comes back after a failure.
struct FormAgain {
    /// The refused document's name, when a document was refused.
    file_name: Option<String>,
    /// Documents were sent (and are not kept: they must be chosen again).
    had_documents: bool,
    /// The time itself cannot be had: offer the nearest free ones.
    offer_others: bool,
}

/// The booking form again after a failure, with everything the citizen typed, the reason in
/// their language (naming the refused file), and the nearest free times when the slot went.
/// Files cannot be put back into a file input, so the message says to choose them again.
/// Only when there is no officer or time to show a form for does a plain error page remain.
async fn form_again(
    ctx: &Ctx,
    fields: &std::collections::HashMap<String, String>,
    f: Failure,
    again: FormAgain,
) -> Response {
    let FormAgain {
        file_name,
        had_documents,
        offer_others,
    } = again;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let officer = match get("officer_id").trim().parse::<OfficerId>() {
        Ok(id) => booking::active_officer(&ctx.app, id).await.ok(),
        Err(_) => None,
    };
    let start = DateTime::parse_from_rfc3339(&get("start"))
        .ok()
        .map(|t| t.with_timezone(&Utc));
    let (Some(officer), Some(start)) = (officer, start) else {
        return ctx.at("/".into()).fail(f);
    };
    f.log();
    let ctx = &ctx.at(format!(
        "/book?officer={}&start={}",
        officer.id,
        percent_encoding::utf8_percent_encode(
            &crate::ui::rfc3339(start, ctx.app.tz()),
            percent_encoding::NON_ALPHANUMERIC
        )
    ));
    let mut errors = serde_json::Map::new();
    if let Failure::Invalid(v) = &f {
        for e in &v.0 {
            errors.insert(e.field.into(), json!(ctx.t(&format!("err-{}", e.code))));
        }
    }
    let mut message = match &file_name {
        Some(name) => {
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("file", name.clone());
            ctx.app.ui.i18n.t(
                ctx.lang,
                &format!("upload-{}", f.code().as_str()),
                Some(&args),
            )
        }
        None => f.message(&ctx.app, ctx.lang),
    };
    if had_documents || file_name.is_some() {
        message = format!("{message} {}", ctx.t("upload-choose-again"));
    }
    let mut alternatives = Vec::new();
    if offer_others {
        let tz = ctx.app.tz();
        if let Ok(next) = availability::next_free(&ctx.app, &officer, Utc::now(), 2, 6).await {
            for (_, slots) in next {
                for s in slots {
                    alternatives.push(json!({
                        "start": crate::ui::rfc3339(s.start, tz),
                        "label": format!("{} {}", short_date(s.start.with_timezone(&tz).date_naive(), ctx.lang), time_only(s.start, ctx)),
                    }));
                }
            }
        }
    }
    let form = json!({
        "name": get("name"), "email": get("email"), "mobile": get("mobile"),
        "reason_category": get("reason_category"), "reason": get("reason"),
    });
    let mut r = form_page(
        ctx,
        &officer,
        start,
        FormPage {
            form,
            errors: Value::Object(errors),
            error: Some(message),
            alternatives,
        },
    );
    *r.status_mut() = f.status();
    r
}

fn appointment_json(ctx: &Ctx, a: &Appointment) -> Value {
    let tz = ctx.app.tz();
    let cutoff = a.start - booking::cutoff(&ctx.app);
    json!({
        "reference": a.reference,
        // What every page says at this moment, the officer's included (`call::status_at`).
        "status": a.status_at(Utc::now()).as_str(),
        "date_label": fmt_date(a.start, tz, ctx.lang),
        "time_label": fmt_time(a.start, tz),
        "can_change": booking::changeable(&ctx.app, a, Utc::now()),
        "cutoff_time": fmt_time(cutoff, tz),
        "cutoff_date": fmt_date(cutoff, tz, ctx.lang),
        "opens_time": fmt_time(a.start - vappoint_domain::token::OPENS_BEFORE, tz),
        "final": a.status_at(Utc::now()).is_final(),
    })
}

/// The officer's message for the citizen ("what happens next"), once the call is over.
async fn officer_message(ctx: &Ctx, a: &Appointment) -> Option<String> {
    if !matches!(
        a.status,
        AppointmentStatus::Done | AppointmentStatus::EndedEarly
    ) {
        return None;
    }
    let id = a.id;
    ctx.app
        .db(move |s| s.call(id))
        .await
        .ok()
        .flatten()
        .and_then(|c| c.message)
}

fn officer_json(o: &Officer) -> Value {
    json!({"id": o.id, "name": o.name, "rank": o.rank})
}

async fn manage_page(
    ctx: &Ctx,
    link: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let ctx = &ctx.at(format!("/a/{link}"));
    match booking::by_link(&ctx.app, link).await {
        Ok((a, o)) => {
            let message = officer_message(ctx, &a).await;
            ctx.page(
                "manage.html",
                json!({"a": appointment_json(ctx, &a), "officer": officer_json(&o), "link": link, "notice": notice, "error": error, "message": message}),
            )
        }
        Err(f) => ctx.fail(f),
    }
}

async fn manage(ctx: Ctx, Path(link): Path<String>) -> Response {
    manage_page(&ctx, &link, None, None).await
}

/// The `confirm` field of a form that asks first: without it, the confirmation page.
#[derive(Deserialize)]
struct Confirm {
    confirm: Option<String>,
}

fn confirmed(form: &Result<Form<Confirm>, FormRejection>) -> bool {
    form.as_ref()
        .is_ok_and(|Form(f)| f.confirm.as_deref() == Some("yes"))
}

/// "Are you sure?" as a page of its own, so it works without JavaScript: the same form again
/// with `confirm=yes`, and a way back that changes nothing.
fn confirm_page(
    ctx: &Ctx,
    link: &str,
    action: &str,
    fields: Value,
    texts: [String; 3],
) -> Response {
    let [heading, text, yes] = texts;
    ctx.page(
        "confirm.html",
        json!({"link": link, "action": action, "fields": fields, "heading": heading, "text": text, "yes": yes}),
    )
}

async fn cancel(
    ctx: Ctx,
    Path(link): Path<String>,
    form: Result<Form<Confirm>, FormRejection>,
) -> Response {
    if !confirmed(&form)
        && let Ok((a, o)) = booking::by_link(&ctx.app, &link).await
        && booking::changeable(&ctx.app, &a, Utc::now())
    {
        let tz = ctx.app.tz();
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("time", fmt_time(a.start, tz));
        args.set("date", fmt_date(a.start, tz, ctx.lang));
        args.set("officer", o.name);
        let texts = [
            ctx.t("confirm-cancel-heading"),
            ctx.app
                .ui
                .i18n
                .t(ctx.lang, "confirm-cancel-text", Some(&args)),
            ctx.t("confirm-cancel-yes"),
        ];
        return confirm_page(&ctx, &link, &format!("/a/{link}/cancel"), json!([]), texts);
    }
    match booking::cancel(&ctx.app, &link, Utc::now()).await {
        Ok(()) => manage_page(&ctx, &link, Some(ctx.t("cancel-done")), None).await,
        Err(BookingError::NotFound) => ctx.fail(Failure::NotFound),
        Err(f) => {
            let f = Failure::from(f);
            let msg = f.message(&ctx.app, ctx.lang);
            let mut r = manage_page(&ctx, &link, None, Some(msg)).await;
            *r.status_mut() = f.status();
            r
        }
    }
}

async fn reschedule_page(
    ctx: &Ctx,
    link: &str,
    date: NaiveDate,
    error: Option<String>,
) -> Response {
    let ctx = &ctx.at(format!("/a/{link}/reschedule?date={date}"));
    let run = async {
        let (a, o) = booking::by_link(&ctx.app, link).await?;
        let slots = day_slots_json(ctx, &o, date, |_| String::new()).await?;
        let days = day_links(ctx, date, |d| format!("/a/{link}/reschedule?date={d}"));
        Ok::<_, Failure>(ctx.page(
            "reschedule.html",
            json!({
                "a": appointment_json(ctx, &a), "officer": officer_json(&o), "link": link, "slots": slots,
                "days": days, "date_label": fmt_date(date.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc(), ctx.app.tz(), ctx.lang),
                "error": error,
            }),
        ))
    };
    run.await.unwrap_or_else(|f| ctx.fail(f))
}

async fn reschedule_form(
    ctx: Ctx,
    Path(link): Path<String>,
    Query(q): Query<DateQuery>,
) -> Response {
    // With no day chosen yet, the page opens on the appointment's own day.
    let date = match q.date.as_deref() {
        None | Some("") => match booking::by_link(&ctx.app, &link).await {
            Ok((a, _)) => Ok(a.start.with_timezone(&ctx.app.tz()).date_naive()),
            Err(f) => Err(Failure::from(f)),
        },
        Some(_) => parse_day(&ctx, &q),
    };
    match date {
        Ok(date) => reschedule_page(&ctx, &link, date, None).await,
        Err(f) => ctx.fail(f),
    }
}

#[derive(Deserialize)]
struct StartForm {
    start: String,
    confirm: Option<String>,
}

async fn reschedule(ctx: Ctx, Path(link): Path<String>, Form(f): Form<StartForm>) -> Response {
    if f.confirm.as_deref() != Some("yes")
        && let Ok(to) = DateTime::parse_from_rfc3339(f.start.trim())
        && let Ok((a, _)) = booking::by_link(&ctx.app, &link).await
        && booking::changeable(&ctx.app, &a, Utc::now())
    {
        let (tz, to) = (ctx.app.tz(), to.with_timezone(&Utc));
        let when = |t| format!("{}, {}", fmt_date(t, tz, ctx.lang), fmt_time(t, tz));
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("from", when(a.start));
        args.set("to", when(to));
        let texts = [
            ctx.t("confirm-move-heading"),
            ctx.app
                .ui
                .i18n
                .t(ctx.lang, "confirm-move-text", Some(&args)),
            ctx.t("confirm-move-yes"),
        ];
        let fields = json!([{"name": "start", "value": f.start}]);
        return confirm_page(&ctx, &link, &format!("/a/{link}/reschedule"), fields, texts);
    }
    match booking::reschedule(&ctx.app, &link, &f.start, Utc::now()).await {
        Ok(_) => manage_page(&ctx, &link, Some(ctx.t("reschedule-done")), None).await,
        Err(BookingError::NotFound) => ctx.fail(Failure::NotFound),
        Err(fail) => {
            let fail = Failure::from(fail);
            let date = DateTime::parse_from_rfc3339(&f.start)
                .map(|t| t.with_timezone(&ctx.app.tz()).date_naive())
                .unwrap_or_else(|_| Utc::now().with_timezone(&ctx.app.tz()).date_naive());
            let mut r =
                reschedule_page(&ctx, &link, date, Some(fail.message(&ctx.app, ctx.lang))).await;
            *r.status_mut() = fail.status();
            r
        }
    }
}

async fn join_page(
    ctx: &Ctx,
    link: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let ctx = &ctx.at(format!("/a/{link}/join"));
    match booking::by_link(&ctx.app, link).await {
        Ok((a, o)) => {
            let message = officer_message(ctx, &a).await;
            ctx.page(
                "join.html",
                json!({
                    "a": appointment_json(ctx, &a), "officer": officer_json(&o), "link": link,
                    "notice": notice, "error": error, "message": message,
                }),
            )
        }
        Err(f) => ctx.fail(f),
    }
}

async fn join_form(ctx: Ctx, Path(link): Path<String>, headers: HeaderMap) -> Response {
    // Already checked in from this browser: straight to the waiting room, unless it is over
    // (then this page says how it ended, instead of an endless waiting room).
    if let Ok((a, _)) = booking::by_link(&ctx.app, &link).await
        && !a.status_at(Utc::now()).is_final()
        && super::ws::join_session_of(&ctx.app, &headers).await == Some(a.id)
    {
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/a/{link}/call"))],
        )
            .into_response();
    }
    join_page(&ctx, &link, None, None).await
}

#[derive(Deserialize)]
struct TokenForm {
    token: String,
}

async fn join(
    ctx: Ctx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(link): Path<String>,
    Form(f): Form<TokenForm>,
) -> Response {
    match booking::try_token(&ctx.app, &link, &f.token, peer.ip(), Utc::now()).await {
        Ok(id) => match super::ws::open_join_session(&ctx.app, id).await {
            Ok(jar) => (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/a/{link}/call"))],
                jar,
            )
                .into_response(),
            Err(f) => ctx.fail(f),
        },
        Err(BookingError::NotFound) => ctx.fail(Failure::NotFound),
        Err(fail) => {
            let fail = Failure::from(fail);
            let mut r = join_page(&ctx, &link, None, Some(fail.message(&ctx.app, ctx.lang))).await;
            *r.status_mut() = fail.status();
            r
        }
    }
}

async fn new_token(ctx: Ctx, Path(link): Path<String>) -> Response {
    match booking::new_token(&ctx.app, &link, Utc::now()).await {
        Ok(()) => join_page(&ctx, &link, Some(ctx.t("join-new-token-sent")), None).await,
        Err(BookingError::NotFound) => ctx.fail(Failure::NotFound),
        Err(fail) => {
            let fail = Failure::from(fail);
            let mut r = join_page(&ctx, &link, None, Some(fail.message(&ctx.app, ctx.lang))).await;
            *r.status_mut() = fail.status();
            r
        }
    }
}

/// The waiting room and the call, for a citizen whose token was accepted in this browser.
async fn call_page(ctx: Ctx, Path(link): Path<String>, headers: HeaderMap) -> Response {
    let (a, o) = match booking::by_link(&ctx.app, &link).await {
        Ok(x) => x,
        Err(f) => return ctx.fail(f),
    };
    if super::ws::join_session_of(&ctx.app, &headers).await != Some(a.id)
        || a.status_at(Utc::now()).is_final()
    {
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/a/{link}/join"))],
        )
            .into_response();
    }
    // The script fills the `{ $name }` parts itself, so they are passed through as they are.
    let mut keep = fluent_bundle::FluentArgs::new();
    for var in ["ms", "position", "time", "minutes"] {
        keep.set(var, format!("{{ ${var} }}"));
    }
    let strings: serde_json::Map<String, Value> = CALL_STRINGS
        .iter()
        .map(|id| {
            (
                id.to_string(),
                json!(ctx.app.ui.i18n.t(ctx.lang, id, Some(&keep))),
            )
        })
        .collect();
    ctx.page(
        "call.html",
        json!({
            "a": appointment_json(&ctx, &a), "officer": officer_json(&o), "link": link,
            "ice": serde_json::to_string(&ctx.app.ice_servers(&a.reference)).unwrap_or_default(),
            "strings": serde_json::to_string(&strings).unwrap_or_default(),
        }),
    )
}

/// Messages the call page's script shows, passed to it in the page's language.
const CALL_STRINGS: &[&str] = &[
    "call-check-camera",
    "call-camera-ok",
    "call-camera-denied",
    "call-camera-missing",
    "call-connection-ok",
    "call-connection-slow",
    "call-connection-failed",
    "call-waiting",
    "call-position",
    "call-expected",
    "call-officer-late",
    "call-admitted",
    "call-connecting",
    "call-in-call",
    "call-remaining",
    "call-ending",
    "call-ended",
    "call-ended-message",
    "call-back-to-waiting",
    "call-audio-only",
    "call-reconnecting",
];
