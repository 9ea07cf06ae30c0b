//! The officer console: log in, the day's appointments, one appointment with its documents,
//! notes and outcome, one's own hours, and (admins) officers, station profile and mail.

use fluent_bundle::FluentValue;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use vappoint_domain::booking::NOTE_MAX;
use vappoint_domain::{AppointmentStatus, Outcome};
use vappoint_store::{Appointment, OutboxStatus, StoreError};

use super::auth::{LOGIN_COOKIE, Me, clear_cookie, pre_session_csrf, session_cookie, session_hash};
use crate::console::password::{same, verify_password};
use crate::secrets::{random_id, sha256};
use crate::site::{cookie, html_response};
use crate::station::app::{App, PROFILE_FIELDS, Profile};
use crate::ui::{fmt_date, fmt_time};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/officer/login", get(login_form).post(login))
        .route("/officer/logout", post(logout))
        .route("/officer", get(day))
        .route("/officer/calls", get(calls_page))
        .route("/officer/appointments/{id}", get(appointment))
        .route("/officer/appointments/{id}/notes", post(add_note))
        .route("/officer/appointments/{id}/outcome", post(set_outcome))
        .route("/officer/documents/{id}", get(document))
        .route("/officer/station", get(station_form).post(save_station))
        .route("/officer/station/enroll", post(enroll))
        .route("/officer/station/delivery", post(save_delivery))
        .route("/officer/station/test-mail", post(test_mail))
        .route(
            "/officer/checklist/dismiss",
            post(super::checklist::dismiss),
        )
        .route("/officer/mail", get(mail))
        .route("/officer/mail/{id}/retry", post(retry_mail))
}

type Fields = HashMap<String, String>;

/// A console page (also the set-up pages, with no one logged in).
pub(crate) fn page(app: &App, template: &str, me: Option<&Me>, mut extra: Value) -> Response {
    if let Some(obj) = extra.as_object_mut() {
        obj.insert("station".into(), json!(app.profile()));
        obj.insert(
            "me".into(),
            me.map_or(Value::Null, |m| json!({"id": m.officer.id, "name": m.officer.name, "is_admin": m.officer.is_admin})),
        );
        obj.entry("csrf")
            .or_insert(json!(me.map(|m| m.csrf.clone())));
        // The page's language: the officer's request's, else what the caller put in `extra`.
        obj.entry("lang")
            .or_insert(json!(me.map_or("en", |m| m.lang)));
        obj.entry("langs").or_insert(json!(crate::ui::LANGS));
        // Where the language links come back to; pages without it show no links.
        obj.entry("here")
            .or_insert(json!(me.map(|m| m.here.as_str())));
        obj.entry("notice").or_insert(Value::Null);
        obj.entry("error").or_insert(Value::Null);
        // Every console page says so while mail cannot reach citizens (the banner).
        let health = me.and_then(|_| match crate::station::mail::health::check(app) {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "checking mail health");
                None
            }
        });
        obj.insert("mail_health".into(), json!(health));
    }
    match app
        .ui
        .render(template, minijinja::Value::from_serialize(&extra))
    {
        Ok(html) => html_response(StatusCode::OK, html),
        Err(e) => internal(e),
    }
}

pub(crate) fn internal(e: impl Into<anyhow::Error>) -> Response {
    tracing::error!(error = %format!("{:#}", e.into()), "console request failed");
    super::console_error(StatusCode::INTERNAL_SERVER_ERROR, "console-internal")
}

pub(crate) fn store_err(e: StoreError) -> Response {
    match e {
        StoreError::NotFound => super::console_error(StatusCode::NOT_FOUND, "console-not-found"),
        e => internal(e),
    }
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

pub(crate) fn with_status(mut r: Response, s: StatusCode) -> Response {
    *r.status_mut() = s;
    r
}

// ---- login ----

async fn login_form(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    headers: HeaderMap,
    ctx: super::Ctx,
) -> Response {
    let (csrf, set) = pre_session_csrf(&headers, LOGIN_COOKIE);
    let mut r = page(
        &app,
        "officer/login.html",
        None,
        json!({"csrf": csrf, "email": "", "lang": ctx.lang, "here": ctx.here}),
    );
    if let Some(c) = set {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

async fn login(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ctx: super::Ctx,
    Form(f): Form<Fields>,
) -> Response {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    let given = f.get("csrf").map_or("", String::as_str);
    if expected.is_empty() || !same(expected, given) {
        return super::console_error(StatusCode::FORBIDDEN, "console-login-expired");
    }
    if !app.limits.login_from(peer.ip()) {
        return super::console_error(StatusCode::TOO_MANY_REQUESTS, "console-too-many-tries");
    }
    let email = f.get("email").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let e = email.trim().to_string();
    let officer = match app.db(move |s| s.officer_by_email(&e)).await {
        Ok(o) => o,
        Err(e) => return internal(e),
    };
    let hash = officer.as_ref().map(|o| o.password_hash.clone());
    // Verify even for unknown emails, so timing does not tell which emails exist.
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            let _ = verify_password(&password, "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2m8nJ0yQ5sOcS6b0uKzxwJbGm8nJ0yQ5sOcS6b0uKzw");
            false
        }
    })
    .await
    .unwrap_or(false);
    let Some(officer) = officer.filter(|_| ok) else {
        tracing::info!(ip = %peer.ip(), "officer login failed");
        // The form's CSRF value stays: it was checked above and the browser still holds it.
        let r = page(
            &app,
            "officer/login.html",
            None,
            json!({"csrf": expected, "email": email, "error": ctx.t("console-login-wrong"), "lang": ctx.lang, "here": "/officer/login"}),
        );
        return with_status(r, StatusCode::UNAUTHORIZED);
    };
    // Rotate: whatever session this browser had ends; the new one gets a new id.
    if let Some(old) = session_hash(&headers) {
        let _ = app.db(move |s| s.delete_session(&old)).await;
    }
    let id = random_id();
    let (hash, csrf, officer_id, now) = (sha256(&id), random_id(), officer.id, Utc::now());
    if let Err(e) = app
        .db(move |s| s.create_session(&hash, officer_id, &csrf, now))
        .await
    {
        return internal(e);
    }
    tracing::info!(officer = officer.id, "officer logged in");
    let mut r = see_other("/officer");
    r.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(&id).parse().expect("valid header"),
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        clear_cookie(LOGIN_COOKIE).parse().expect("valid header"),
    );
    r
}

async fn logout(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = me.check_csrf(f.get("csrf")) {
        return r;
    }
    let h = me.id_hash.clone();
    let _ = app.db(move |s| s.delete_session(&h)).await;
    let mut r = see_other("/officer/login");
    r.headers_mut().insert(
        header::SET_COOKIE,
        clear_cookie(super::auth::SESSION_COOKIE)
            .parse()
            .expect("valid header"),
    );
    r
}

// ---- the day ----

/// A reason category in the officer's language, in the citizen pages' words.
fn category_in(me: &Me, c: vappoint_domain::ReasonCategory) -> String {
    me.t(&format!("category-{}", c.as_str()))
}

/// The outcomes to choose from, in the officer's language.
fn outcomes_in(me: &Me) -> Vec<Value> {
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

async fn day(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Query(q): Query<Fields>,
) -> Response {
    let tz = app.tz();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let date: NaiveDate = q.get("date").and_then(|d| d.parse().ok()).unwrap_or(today);
    let all = me.officer.is_admin && q.get("all").is_some_and(|v| v == "1");
    let who = if all { None } else { Some(me.officer.id) };
    let rows = match app.db(move |s| s.day_appointments(date, who)).await {
        Ok(r) => r,
        Err(e) => return store_err(e),
    };
    let officers: HashMap<i64, String> = match app.db(|s| s.officers()).await {
        Ok(list) => list.into_iter().map(|o| (o.id, o.name)).collect(),
        Err(e) => return store_err(e),
    };
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
    page(
        &app,
        "officer/day.html",
        Some(&me),
        json!({
            "date": date.to_string(), "date_label": fmt_date(noon, tz, me.lang), "rows": out, "all": all,
            "prev": (date - Duration::days(1)).to_string(), "next": (date + Duration::days(1)).to_string(),
            "checklist": super::checklist::checklist(&app, &me).await,
        }),
    )
}

/// The live waiting list and the call (the page's script talks to `/ws/officer`).
async fn calls_page(axum::extract::State(app): axum::extract::State<Arc<App>>, me: Me) -> Response {
    let now = Utc::now();
    let ice = crate::ice::servers(
        &app.config.calls,
        now,
        &format!("officer-{}", me.officer.id),
    );
    page(
        &app,
        "officer/calls.html",
        Some(&me),
        json!({
            "date_label": fmt_date(now, app.tz(), me.lang),
            "ice": serde_json::to_string(&ice).unwrap_or_default(),
            "outcomes": outcomes_in(&me),
            "strings": serde_json::to_string(&calls_strings(&me)).unwrap_or_default(),
        }),
    )
}

/// What the Calls page's script says, by the name the script uses, and the translation it
/// comes from (the citizen pages' words where they mean the same).
const CALLS_STRINGS: &[(&str, &str)] = &[
    ("time_left", "console-js-time-left"),
    ("one_minute", "console-js-one-minute"),
    ("status_waiting", "console-js-waiting"),
    ("status_waiting_for", "console-js-waiting-for"),
    ("status_away", "console-js-away"),
    ("status_late", "console-js-late"),
    ("status_no_show", "console-status-no-show"),
    ("status_expected", "console-js-expected"),
    ("status_in_call", "console-js-in-call-status"),
    ("status_admitted", "console-js-admitted"),
    ("status_done", "status-done"),
    ("status_ended_early", "status-ended_early"),
    ("status_not_called", "status-not_called"),
    ("status_cancelled", "status-cancelled"),
    ("arrived_one", "console-js-arrived-one"),
    ("arrived_many", "console-js-arrived-many"),
    ("notify", "console-js-notify"),
    ("sound_on", "console-js-sound-is-on"),
    ("sound_off", "console-calls-sound-on"),
    ("no_documents", "console-js-no-documents"),
    ("admit", "console-js-admit"),
    ("next", "console-js-next"),
    ("camera_denied", "console-js-camera-denied"),
    ("camera_missing", "console-js-camera-missing"),
    ("calling", "console-js-calling"),
    ("connected", "console-js-connected"),
    ("lost", "console-js-lost"),
    ("name_waiting", "console-js-name-waiting"),
    ("in_call", "console-js-in-call"),
    ("ending", "console-js-ending"),
    ("ended_officer", "console-js-ended-officer"),
    ("ended_timer", "console-js-ended-timer"),
    ("ended_citizen", "console-js-ended-citizen"),
    ("mute", "console-calls-mute"),
    ("unmute", "console-js-unmute"),
    ("sent_back", "console-js-sent-back"),
    ("saved", "console-saved"),
    ("not_saved", "console-js-not-saved"),
    ("error_not_waiting", "console-js-error-not-waiting"),
    ("error_busy", "console-js-error-busy"),
    ("error_not_yours", "console-not-yours"),
    ("error_not_admitted", "console-js-error-not-admitted"),
    ("error_no_call", "console-js-error-no-call"),
    ("error_bridge", "console-js-error-bridge"),
    ("error_bad_message", "console-js-error-bad-message"),
];

/// The Calls page's script strings in the officer's language, with the `{ $name }` parts
/// left for the script to fill; the reason categories in the citizen pages' words.
fn calls_strings(me: &Me) -> Value {
    let keep: Vec<(&'static str, FluentValue<'static>)> =
        ["time", "minutes", "name", "count", "seconds"]
            .into_iter()
            .map(|v| (v, FluentValue::from(format!("{{ ${v} }}"))))
            .collect();
    let mut out: serde_json::Map<String, Value> = CALLS_STRINGS
        .iter()
        .map(|(name, id)| ((*name).to_string(), json!(me.t_args(id, &keep))))
        .collect();
    for c in vappoint_domain::ReasonCategory::ALL {
        out.insert(
            format!("category_{}", c.as_str()),
            json!(category_in(me, *c)),
        );
    }
    Value::Object(out)
}

/// Loads an appointment the officer may see: their own, or any for an admin.
async fn visible(app: &Arc<App>, me: &Me, id: i64) -> Result<Appointment, Response> {
    let a = app
        .db(move |s| s.appointment(id))
        .await
        .map_err(store_err)?;
    if a.officer_id != me.officer.id && !me.officer.is_admin {
        return Err(super::console_error(
            StatusCode::FORBIDDEN,
            "console-not-yours",
        ));
    }
    Ok(a)
}

async fn appointment_page(
    app: &Arc<App>,
    me: &Me,
    id: i64,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let a = match visible(app, me, id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let tz = app.tz();
    let officer_id = a.officer_id;
    let (docs, notes, officer) = match (
        app.db(move |s| s.documents(id)).await,
        app.db(move |s| s.notes(id)).await,
        app.db(move |s| s.officer(officer_id)).await,
    ) {
        (Ok(d), Ok(n), Ok(o)) => (d, n, o),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return store_err(e),
    };
    let (status, class) = status_of(me, &a, Utc::now());
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
    page(
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
            "docs": docs.iter().map(|d| json!({"id": d.id, "file_name": d.file_name, "kind": d.kind.mime(), "size": human_size(d.size)})).collect::<Vec<_>>(),
            "notes": notes.iter().map(|n| json!({"when": format!("{} {}", fmt_date(n.created_at, tz, me.lang), fmt_time(n.created_at, tz)), "officer": n.officer_name, "body": n.body})).collect::<Vec<_>>(),
            "outcomes": outcomes_in(me),
            "call": call,
            "notice": notice, "error": error,
        }),
    )
}

fn human_size(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", n.div_ceil(1024))
    }
}

async fn appointment(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Path(id): Path<i64>,
) -> Response {
    appointment_page(&app, &me, id, None, None).await
}

async fn add_note(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = me.check_csrf(f.get("csrf")) {
        return r;
    }
    if let Err(r) = visible(&app, &me, id).await {
        return r;
    }
    let body = f.get("body").map_or("", |b| b.trim()).to_string();
    if body.is_empty() || body.chars().count() > NOTE_MAX {
        let r = appointment_page(&app, &me, id, None, Some(&me.t("console-note-length"))).await;
        return with_status(r, StatusCode::BAD_REQUEST);
    }
    let officer = me.officer.id;
    if let Err(e) = app
        .db(move |s| s.add_note(id, officer, &body, Utc::now()))
        .await
    {
        return store_err(e);
    }
    see_other(&format!("/officer/appointments/{id}"))
}

async fn set_outcome(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = me.check_csrf(f.get("csrf")) {
        return r;
    }
    if let Err(r) = visible(&app, &me, id).await {
        return r;
    }
    let outcome = match f.get("outcome").map(String::as_str).unwrap_or("") {
        "" => None,
        s => match s.parse::<Outcome>() {
            Ok(o) => Some(o),
            Err(_) => {
                return with_status(
                    appointment_page(&app, &me, id, None, Some(&me.t("console-outcome-choose")))
                        .await,
                    StatusCode::BAD_REQUEST,
                );
            }
        },
    };
    let officer = me.officer.id;
    if let Err(e) = app
        .db(move |s| s.set_outcome(id, outcome, officer, Utc::now()))
        .await
    {
        return store_err(e);
    }
    see_other(&format!("/officer/appointments/{id}"))
}

async fn document(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Path(id): Path<i64>,
) -> Response {
    let doc = match app.db(move |s| s.document(id)).await {
        Ok(d) => d,
        Err(e) => return store_err(e),
    };
    if let Err(r) = visible(&app, &me, doc.appointment_id).await {
        return r;
    }
    let bytes = match tokio::fs::read(app.documents_dir().join(&doc.stored_name)).await {
        Ok(b) => b,
        Err(e) => {
            return internal(
                anyhow::Error::new(e).context(format!("reading document {}", doc.stored_name)),
            );
        }
    };
    // Always a download, never rendered by the browser on the console's origin.
    (
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
        .into_response()
}

// ---- station profile (admin) ----

async fn station_page(
    app: &Arc<App>,
    me: &Me,
    notice: Option<&str>,
    error: Option<String>,
) -> Response {
    let p = app.profile();
    let hub = match crate::station::hub_link::load_link(&app.data_dir) {
        Ok(Some(link)) => {
            let backlog = app
                .db(|s| s.federation_backlog())
                .await
                .map(|(n, _)| n)
                .unwrap_or(0);
            json!({"url": link.url, "station": link.station, "backlog": backlog})
        }
        _ => Value::Null,
    };
    let value = |k: &str| match k {
        "name" => p.name.clone(),
        "code" => p.code.clone(),
        "zone" => p.zone.clone(),
        "phone" => p.phone.clone(),
        "address" => p.address.clone(),
        _ => p.time_zone.clone(),
    };
    let fields: Vec<Value> = PROFILE_FIELDS
        .iter()
        .map(|k| json!({"key": k, "label": me.t(&format!("station-field-{k}")), "value": value(k), "locked": Profile::locked(&app.config, k)}))
        .collect();
    let (url_locked, mail_locked) = Profile::delivery_locked(&app.config);
    let relay = p.relay.as_ref();
    let delivery = json!({
        "public_url": p.public_url,
        "public_host": app.db(|s| s.setting(crate::station::app::PUBLIC_URL_KEY)).await.ok().flatten()
            .map(|u| u.trim_start_matches("https://").to_string()),
        "url_locked": url_locked,
        "mail_locked": mail_locked,
        "mail_from": p.mail_from,
        "relay_host": relay.map(|r| r.host.clone()),
        "relay_port": relay.map(|r| r.port),
        "relay_security": relay.map(|r| r.security),
        "relay_username": relay.and_then(|r| r.username.clone()),
        "relay_has_password": relay.is_some_and(|r| r.password.is_some()),
    });
    page(
        app,
        "officer/station.html",
        Some(me),
        json!({"fields": fields, "hub": hub, "delivery": delivery, "notice": notice, "error": error}),
    )
}

/// Enrols with a hub (from the Station page and from set-up); the running pusher notices
/// the new enrolment and starts pushing to it.
pub(crate) async fn enroll_and_run(
    app: &Arc<App>,
    url: &str,
    code: &str,
) -> anyhow::Result<crate::station::hub_link::HubLink> {
    let station = app.profile().code;
    let link =
        crate::station::hub_link::enroll(&app.data_dir, &app.store, url, &station, code).await?;
    tracing::info!(hub = %link.url, "station enrolled with a hub");
    Ok(link)
}

async fn enroll(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = me.admin_form(&f) {
        return r;
    }
    let url = f.get("hub").cloned().unwrap_or_default();
    let code = f.get("code").cloned().unwrap_or_default();
    match enroll_and_run(&app, &url, &code).await {
        Ok(_) => {
            tracing::info!(by = me.officer.id, "enrolment from the console");
            station_page(&app, &me, Some(&me.t("console-station-enrolled")), None).await
        }
        Err(e) => with_status(
            station_page(&app, &me, None, Some(format!("{e:#}"))).await,
            StatusCode::BAD_REQUEST,
        ),
    }
}

async fn station_form(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
) -> Response {
    if let Err(r) = me.require_admin() {
        return r;
    }
    station_page(&app, &me, None, None).await
}

async fn save_station(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = me.admin_form(&f) {
        return r;
    }
    let updates = super::setup::profile_settings(&f, &app, me.lang)
        .map(|u| u.into_iter().map(|(k, v)| (k, Some(v))).collect());
    save_settings(&app, &me, updates).await
}

/// The public address and the mail relay (also asked at set-up).
async fn save_delivery(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = me.admin_form(&f) {
        return r;
    }
    let r = save_settings(
        &app,
        &me,
        super::setup::delivery_settings(&f, &app, me.lang),
    )
    .await;
    // The mail worker picks up a new relay on its next round.
    app.mail_wake.notify_one();
    r
}

#[derive(serde::Deserialize)]
struct TestMailForm {
    csrf: String,
    to: String,
}

/// How long the Station page waits to tell the admin what became of a test message.
const TEST_MAIL_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Sends a test message through the outbox and the relay, like a citizen's mail, and says
/// honestly what became of it: delivered to the relay, only spooled, refused, or not yet.
async fn test_mail(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Form(f): Form<TestMailForm>,
) -> Response {
    if let Err(r) = me
        .check_csrf(Some(&f.csrf))
        .and_then(|()| me.require_admin())
    {
        return r;
    }
    let to = f.to.trim().to_string();
    let say = |id: &str, args: &[(&'static str, String)]| {
        let args: Vec<(&'static str, FluentValue<'static>)> = args
            .iter()
            .map(|(k, v)| (*k, FluentValue::from(v.clone())))
            .collect();
        me.t_args(id, &args)
    };
    let made = if vappoint_domain::booking::valid_email(&to) {
        crate::station::mail::compose_test(&app, &to).map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "making the test email");
            say(
                "console-test-mail-not-made",
                &[("reason", format!("{e:#}"))],
            )
        })
    } else {
        Err(say("console-test-mail-bad-address", &[("to", to.clone())]))
    };
    let mail = match made {
        Ok(m) => m,
        Err(msg) => {
            return with_status(
                station_page(&app, &me, None, Some(msg)).await,
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let message_id = mail.message_id.clone();
    if let Err(e) = app.db(move |s| s.queue_mail(&mail, Utc::now())).await {
        return store_err(e);
    }
    app.mail_wake.notify_one();
    tracing::info!(by = me.officer.id, "test email queued");

    // The worker takes it at once; poll its row until it leaves the queue or time is up.
    let deadline = tokio::time::Instant::now() + TEST_MAIL_WAIT;
    let last = loop {
        let id = message_id.clone();
        let row = match app.db(move |s| s.mail_by_message_id(&id)).await {
            Ok(r) => r,
            Err(e) => return store_err(e),
        };
        let settled = row
            .as_ref()
            .is_none_or(|m| m.status != OutboxStatus::Pending || m.attempts > 0);
        if settled || tokio::time::Instant::now() >= deadline {
            break row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let relay = app
        .profile()
        .relay
        .map(|r| format!("{}:{}", r.host, r.port))
        .unwrap_or_default();
    let reason = |m: &vappoint_store::OutboxMessage| m.last_error.clone().unwrap_or_default();
    let (notice, error) = match last {
        Some(m) if m.status == OutboxStatus::Sent => (
            Some(say(
                "console-test-mail-delivered",
                &[("relay", relay), ("to", to)],
            )),
            None,
        ),
        Some(m) if m.status == OutboxStatus::Spooled => (
            None,
            Some(say(
                "console-test-mail-spooled",
                &[("to", to), ("spool", app.spool_dir().display().to_string())],
            )),
        ),
        Some(m) if m.status == OutboxStatus::Dead => (
            None,
            Some(say(
                "console-test-mail-refused",
                &[("relay", relay), ("to", to), ("reason", reason(&m))],
            )),
        ),
        Some(m) if m.attempts > 0 => (
            None,
            Some(say("console-test-mail-retrying", &[("reason", reason(&m))])),
        ),
        _ => (
            None,
            Some(say(
                "console-test-mail-no-answer",
                &[("seconds", TEST_MAIL_WAIT.as_secs().to_string())],
            )),
        ),
    };
    station_page(&app, &me, notice.as_deref(), error).await
}

/// Writes checked settings (`None` clears one) and reloads the profile; or shows why not.
async fn save_settings(
    app: &Arc<App>,
    me: &Me,
    updates: Result<Vec<(String, Option<String>)>, String>,
) -> Response {
    let updates = match updates {
        Ok(u) => u,
        Err(m) => {
            return with_status(
                station_page(app, me, None, Some(m)).await,
                StatusCode::BAD_REQUEST,
            );
        }
    };
    for (k, v) in updates {
        if let Err(e) = app.db(move |s| s.set_setting(&k, v.as_deref())).await {
            return store_err(e);
        }
    }
    if let Err(e) = app.reload_profile() {
        return internal(e);
    }
    tracing::info!(by = me.officer.id, "station settings saved");
    station_page(app, me, Some(&me.t("console-saved")), None).await
}

// ---- mail (admin) ----

async fn mail(axum::extract::State(app): axum::extract::State<Arc<App>>, me: Me) -> Response {
    if let Err(r) = me.require_admin() {
        return r;
    }
    let tz = app.tz();
    let lists = (
        app.db(|s| s.mail_counts()).await,
        app.db(|s| s.mail_with_status(OutboxStatus::Dead, 100))
            .await,
        app.db(|s| s.mail_with_status(OutboxStatus::Pending, 100))
            .await,
    );
    let ((pending, spooled, sent, dead), dead_list, pending_list) = match lists {
        (Ok(c), Ok(d), Ok(p)) => (c, d, p),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return store_err(e),
    };
    let row = |m: &vappoint_store::OutboxMessage| {
        json!({
            "id": m.id, "created": format!("{} {}", fmt_date(m.created_at, tz, me.lang), fmt_time(m.created_at, tz)),
            "to": m.to_addr, "kind": m.kind, "attempts": m.attempts, "error": m.last_error, "can_retry": m.sealed.is_some(),
        })
    };
    page(
        &app,
        "officer/mail.html",
        Some(&me),
        json!({
            "relay": app.profile().relay.as_ref().map(|r| format!("{}:{}", r.host, r.port)),
            "spool": app.spool_dir().display().to_string(),
            "counts": {"pending": pending, "spooled": spooled, "sent": sent, "dead": dead},
            "dead": dead_list.iter().map(row).collect::<Vec<_>>(),
            "pending": pending_list.iter().map(row).collect::<Vec<_>>(),
        }),
    )
}

async fn retry_mail(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    me: Me,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = me.admin_form(&f) {
        return r;
    }
    if let Err(e) = app.db(move |s| s.mail_requeue(id, Utc::now())).await {
        return store_err(e);
    }
    app.mail_wake.notify_one();
    see_other("/officer/mail")
}
