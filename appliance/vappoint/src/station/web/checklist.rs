//! The first-run checklist on an admin's Day page: what a new station still needs before it
//! serves citizens well, each item ticked from the station's real state, shown until every
//! item is done or an admin dismisses it.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::Me;
use crate::console::csrf::Empty;
use crate::console::{AdminForm, ConsoleError};
use crate::station::app::App;

/// Settings key: set once an admin dismissed the checklist.
pub const DISMISSED_KEY: &str = "console.checklist_dismissed";

/// The checklist for `me`, or `null` when it is not shown (not an admin, dismissed, done).
pub async fn checklist(app: &Arc<App>, me: &Me) -> Value {
    if !me.officer.is_admin {
        return Value::Null;
    }
    let state = app
        .db(|s| Ok((s.setting(DISMISSED_KEY)?, s.officers()?)))
        .await;
    let (dismissed, officers) = match state {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "reading the first-run checklist");
            return Value::Null;
        }
    };
    if dismissed.is_some() {
        return Value::Null;
    }
    let mail = crate::station::mail::health::check(app).ok();
    let items = [
        // The set-up admin alone is not a station's officers.
        ("officers", officers.len() > 1, "/officer/officers"),
        // Someone citizens can book: an officer with weekly hours.
        (
            "hours",
            officers.iter().any(|o| !o.schedule.hours.is_empty()),
            "/officer/schedule",
        ),
        (
            "relay",
            mail.is_some_and(|m| !m.no_relay && m.local_sender.is_none()),
            "/officer/station#mail",
        ),
        (
            "hub",
            matches!(
                crate::station::hub_link::load_link(&app.data_dir),
                Ok(Some(_))
            ),
            "/officer/station#hub",
        ),
    ];
    if items.iter().all(|(_, done, _)| *done) {
        return Value::Null;
    }
    json!({
        "items": items.iter().map(|(key, done, href)| json!({"key": key, "done": done, "href": href})).collect::<Vec<_>>(),
    })
}

/// "Hide this list": for every admin of the station, for good.
pub async fn dismiss(
    State(app): State<Arc<App>>,
    _me: Me,
    AdminForm(Empty {}): AdminForm<Empty>,
) -> Result<Response, ConsoleError> {
    app.db(|s| s.set_setting(DISMISSED_KEY, Some("1"))).await?;
    Ok(super::officer::see_other("/officer"))
}
