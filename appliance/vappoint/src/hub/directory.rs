//! The public directory: every enrolled station by zone, with its next free time when the
//! station reports times, as a page for citizens and as JSON under `/api/v1`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::{HubApp, internal};
use crate::ui::{LANGS, fmt_date, fmt_time};

pub(super) fn routes() -> Router<Arc<HubApp>> {
    Router::new()
        .route("/", get(directory))
        .route("/api/v1/stations", get(stations_api))
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

async fn stations_api(State(h): State<Arc<HubApp>>, Query(q): Query<SearchQuery>) -> Response {
    let query = q.q.map(|s| s.chars().take(100).collect::<String>());
    let tz = h.tz;
    match h
        .db(move |s| s.directory(query.as_deref(), Utc::now()))
        .await
    {
        Ok(list) => Json(
            list.into_iter()
                .map(|l| {
                    let booking_url = h.relay.booking_url(&l.code).unwrap_or(l.booking_url);
                    json!({
                        "code": l.code, "name": l.name, "zone": l.zone, "localities": l.localities,
                        "aliases": l.aliases, "booking_url": booking_url, "times_shown": l.has_times,
                        "next_free_slot": l.next_free.map(|t| t.with_timezone(&tz).to_rfc3339()),
                        "last_seen": l.last_seen.map(|t| t.with_timezone(&tz).to_rfc3339()),
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}

async fn directory(
    State(h): State<Arc<HubApp>>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Response {
    let lang = crate::site::lang_of(&uri, &headers);
    let query =
        q.q.unwrap_or_default()
            .chars()
            .take(100)
            .collect::<String>();
    let qq = query.clone();
    let list = match h.db(move |s| s.directory(Some(&qq), Utc::now())).await {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let now = Utc::now();
    let stale = chrono::Duration::from_std(h.config.hub.stale_after).unwrap_or_default();
    let mut zones: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for l in &list {
        let aliases: Vec<_> = l
            .aliases
            .iter()
            .map(|(lang, names)| json!({"lang": lang, "names": names}))
            .collect();
        let booking_url = h
            .relay
            .booking_url(&l.code)
            .unwrap_or_else(|| l.booking_url.clone());
        let entry = json!({
            "code": l.code, "name": l.name, "localities": l.localities, "booking_url": booking_url,
            "aliases": aliases,
            "next_free": l.next_free.map(|t| format!("{}, {}", fmt_date(t, h.tz, lang), fmt_time(t, h.tz))),
            // Without figures the hub knows no times: the station's own page has them.
            "times_shown": l.has_times,
            "stale": l.has_times && l.last_seen.is_none_or(|t| now - t > stale),
        });
        match zones.iter_mut().find(|(z, _)| *z == l.zone) {
            Some((_, v)) => v.push(entry),
            None => zones.push((l.zone.clone(), vec![entry])),
        }
    }
    let ctx = json!({
        "lang": lang, "langs": LANGS, "here": uri.path_and_query().map_or("/", |p| p.as_str()),
        "station": {"name": h.config.hub.name, "zone": ""}, "tz_name": h.config.hub.time_zone.name(),
        "q": query, "count": list.len(),
        "zones": zones.into_iter().map(|(name, stations)| json!({"name": name, "stations": stations})).collect::<Vec<_>>(),
    });
    match h
        .ui
        .render("hub/directory.html", minijinja::Value::from_serialize(&ctx))
    {
        Ok(html) => crate::site::html_response(StatusCode::OK, html),
        Err(e) => internal(format!("{e:#}")),
    }
}
