//! The Calls page: the live waiting list and the call (its script talks to `/ws/officer`),
//! with the script's strings in the officer's language.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use fluent_bundle::FluentValue;
use serde_json::{Value, json};

use super::appointments::{category_in, outcomes_in};
use super::page;
use crate::station::app::App;
use crate::station::web::auth::Me;
use crate::ui::fmt_date;

/// The live waiting list and the call (the page's script talks to `/ws/officer`).
pub(super) async fn calls_page(State(app): State<Arc<App>>, me: Me) -> Response {
    let now = Utc::now();
    let ice = app.ice_servers(&format!("officer-{}", me.officer.id));
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
    ("citizen_reconnected", "console-js-citizen-reconnected"),
    ("citizen_away", "console-js-citizen-away"),
    ("resumed", "console-js-resumed"),
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
