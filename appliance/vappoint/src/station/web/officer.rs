//! The officer console: its routes, and what every console page shares (the page frame,
//! redirects). Each feature has its own file under `officer/`; login and logout are in
//! `auth.rs`, officers' hours and passwords in `officers_admin.rs`.

mod appointments;
pub(crate) mod audit;
mod calls_page;
mod mail_admin;
pub(crate) mod station_settings;
mod update_page;

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::auth::Me;
use crate::console::ConsoleError;
use crate::site::html_response;
use crate::station::app::App;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .merge(super::auth::routes())
        .route("/officer", get(appointments::day))
        .route("/officer/calls", get(calls_page::calls_page))
        .route("/officer/appointments/{id}", get(appointments::appointment))
        .route(
            "/officer/appointments/{id}/notes",
            post(appointments::add_note),
        )
        .route(
            "/officer/appointments/{id}/outcome",
            post(appointments::set_outcome),
        )
        .route("/officer/appointments/{id}/hold", post(appointments::hold))
        .route(
            "/officer/appointments/{id}/release",
            post(appointments::release),
        )
        .route("/officer/documents/{id}", get(appointments::document))
        .route(
            "/officer/station",
            get(station_settings::station_form).post(station_settings::save_station),
        )
        .route("/officer/station/enroll", post(station_settings::enroll))
        .route(
            "/officer/station/recovery-key",
            get(station_settings::recovery_key),
        )
        .route(
            "/officer/station/backup",
            post(station_settings::back_up_now),
        )
        .route(
            "/officer/station/delivery",
            post(station_settings::save_delivery),
        )
        .route("/officer/station/reach", post(station_settings::save_reach))
        .route(
            "/officer/station/update",
            post(update_page::upload).layer(axum::extract::DefaultBodyLimit::max(
                update_page::MAX_UPLOAD_BYTES,
            )),
        )
        .route(
            "/officer/station/certificate",
            post(station_settings::import_certificate),
        )
        .route(
            "/officer/station/test-mail",
            post(station_settings::test_mail),
        )
        .route(
            "/officer/checklist/dismiss",
            post(super::checklist::dismiss),
        )
        .route("/officer/mail", get(mail_admin::mail))
        .route("/officer/audit", get(audit::audit_page))
        .route("/officer/audit.csv", get(audit::audit_csv))
        .route("/officer/mail/{id}/retry", post(mail_admin::retry_mail))
}

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
        // And while the card is nearly full: bookings are refused until space is freed.
        let shortage = me.and_then(|_| crate::station::disk::shortage(app));
        obj.insert("disk_low".into(), json!(shortage));
    }
    match app
        .ui
        .render(template, minijinja::Value::from_serialize(&extra))
    {
        Ok(html) => html_response(StatusCode::OK, html),
        Err(e) => ConsoleError::internal(e).into_response(),
    }
}

pub(crate) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

pub(crate) fn with_status(mut r: Response, s: StatusCode) -> Response {
    *r.status_mut() = s;
    r
}
