//! The admin's Mail page: the outbox's counts, messages that failed for good and those still
//! waiting, and sending a failed one again.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Utc;
use serde_json::json;
use vappoint_store::OutboxStatus;

use super::{page, see_other};
use crate::console::csrf::Empty;
use crate::console::{AdminForm, ConsoleError};
use crate::station::app::App;
use crate::station::web::auth::Me;
use crate::ui::{fmt_date, fmt_time};

pub(super) async fn mail(State(app): State<Arc<App>>, me: Me) -> Result<Response, ConsoleError> {
    me.require_admin()?;
    let tz = app.tz();
    let (pending, spooled, sent, dead) = app.db(|s| s.mail_counts()).await?;
    let dead_list = app
        .db(|s| s.mail_with_status(OutboxStatus::Dead, 100))
        .await?;
    let pending_list = app
        .db(|s| s.mail_with_status(OutboxStatus::Pending, 100))
        .await?;
    let row = |m: &vappoint_store::OutboxMessage| {
        json!({
            "id": m.id, "created": format!("{} {}", fmt_date(m.created_at, tz, me.lang), fmt_time(m.created_at, tz)),
            "to": m.to_addr, "kind": m.kind, "attempts": m.attempts, "error": m.last_error, "can_retry": m.sealed.is_some(),
        })
    };
    Ok(page(
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
    ))
}

pub(super) async fn retry_mail(
    State(app): State<Arc<App>>,
    _me: Me,
    Path(id): Path<i64>,
    AdminForm(Empty {}): AdminForm<Empty>,
) -> Result<Response, ConsoleError> {
    app.db(move |s| s.mail_requeue(id, Utc::now())).await?;
    app.mail_wake.notify_one();
    Ok(see_other("/officer/mail"))
}
