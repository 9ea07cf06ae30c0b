//! "Add to calendar": the appointment's `.ics` file, served from the citizen's link (the
//! confirmation and manage pages link to it). The same file as the one attached to mail.

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use vappoint_domain::AppointmentStatus;

use super::Ctx;
use crate::station::app::App;
use crate::station::booking;
use crate::station::mail::{Compose, MailKind, calendar};

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/a/{link}/appointment.ics", get(ics))
}

async fn ics(ctx: Ctx, Path(link): Path<String>) -> Response {
    let (a, officer) = match booking::by_link(&ctx.app, &link).await {
        Ok(x) => x,
        Err(f) => return ctx.fail(f),
    };
    let kind = match a.status {
        AppointmentStatus::Cancelled => MailKind::Cancelled,
        _ => MailKind::Booked,
    };
    let (text, method) = calendar(&ctx.app, &Compose::about(kind, &a, &officer, &link));
    (
        [
            (
                header::CONTENT_TYPE,
                format!("text/calendar; charset=utf-8; method={method}"),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.ics\"", a.reference),
            ),
        ],
        text,
    )
        .into_response()
}
