//! The commissionerate's console on the hub: log in, zone reports with charts and CSV, the
//! reports as JSON, and registering and revoking stations.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use super::report::{self, Table};
use super::{HubApp, error, internal};
use crate::console::password::{same, verify_password};
use crate::secrets::{random_id, sha256};
use crate::site::{cookie, html_response};
use crate::station::web::auth::pre_session_csrf;

const SESSION: &str = "__Host-vappoint-hub";
const LOGIN: &str = "__Host-vappoint-hub-login";

pub fn routes() -> Router<Arc<HubApp>> {
    Router::new()
        .route("/hub/login", get(login_form).post(login))
        .route("/hub/logout", post(logout))
        .route("/hub", get(reports_page))
        .route("/hub/reports.csv", get(reports_csv))
        .route("/api/v1/reports", get(reports_api))
        .route("/hub/stations", get(stations_page).post(register))
        .route("/hub/stations/{code}/revoke", post(revoke))
}

type Fields = HashMap<String, String>;

/// A logged-in hub admin.
pub struct Admin {
    email: String,
    csrf: String,
    id_hash: Vec<u8>,
}

impl FromRequestParts<Arc<HubApp>> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        h: &Arc<HubApp>,
    ) -> Result<Self, Self::Rejection> {
        let api = parts.uri.path().starts_with("/api/");
        let deny = || {
            if api {
                error(
                    StatusCode::UNAUTHORIZED,
                    "login_required",
                    "Log in to the hub console first.",
                )
            } else {
                (StatusCode::SEE_OTHER, [(header::LOCATION, "/hub/login")]).into_response()
            }
        };
        let Some(hash) = cookie(&parts.headers, SESSION)
            .filter(|v| !v.is_empty() && v.len() <= 64)
            .map(sha256)
        else {
            return Err(deny());
        };
        let h2 = hash.clone();
        let Ok(Some(session)) = h.db(move |s| s.admin_session(&h2)).await else {
            return Err(deny());
        };
        let now = Utc::now();
        let idle = Duration::from_std(h.config.sessions.idle).unwrap_or(Duration::minutes(30));
        let max = Duration::from_std(h.config.sessions.max).unwrap_or(Duration::hours(12));
        if now - session.last_seen_at > idle || now - session.created_at > max {
            let h2 = hash.clone();
            let _ = h.db(move |s| s.delete_admin_session(&h2)).await;
            return Err(deny());
        }
        let h2 = hash.clone();
        let _ = h.db(move |s| s.touch_admin_session(&h2, now)).await;
        let email = format!("admin {}", session.admin_id);
        Ok(Admin {
            email,
            csrf: session.csrf,
            id_hash: hash,
        })
    }
}

impl Admin {
    fn check(&self, f: &Fields) -> Result<(), Response> {
        match f.get("csrf") {
            Some(g) if same(g, &self.csrf) => Ok(()),
            _ => Err((
                StatusCode::FORBIDDEN,
                "This form has expired. Reload the page and try again.",
            )
                .into_response()),
        }
    }
}

fn page(h: &HubApp, template: &str, admin: Option<&Admin>, mut ctx: Value) -> Response {
    if let Some(o) = ctx.as_object_mut() {
        o.insert("hub_name".into(), json!(h.config.hub.name));
        o.insert("me".into(), json!(admin.map(|a| a.email.clone())));
        o.entry("csrf")
            .or_insert(json!(admin.map(|a| a.csrf.clone())));
        o.entry("notice").or_insert(Value::Null);
        o.entry("error").or_insert(Value::Null);
    }
    match h
        .ui
        .render(template, minijinja::Value::from_serialize(&ctx))
    {
        Ok(html) => html_response(StatusCode::OK, html),
        Err(e) => internal(format!("{e:#}")),
    }
}

async fn login_form(State(h): State<Arc<HubApp>>, headers: HeaderMap) -> Response {
    let (csrf, set) = pre_session_csrf(&headers, LOGIN);
    let mut r = page(
        &h,
        "hub/login.html",
        None,
        json!({"csrf": csrf, "email": ""}),
    );
    if let Some(c) = set {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

async fn login(
    State(h): State<Arc<HubApp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let expected = cookie(&headers, LOGIN).unwrap_or("");
    if expected.is_empty() || !same(expected, f.get("csrf").map_or("", String::as_str)) {
        return (
            StatusCode::FORBIDDEN,
            "This form has expired. Reload the login page and try again.",
        )
            .into_response();
    }
    if !h.limits.login_from(peer.ip()) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many tries. Wait a minute and try again.",
        )
            .into_response();
    }
    let email = f.get("email").map_or("", |e| e.trim()).to_string();
    let password = f.get("password").cloned().unwrap_or_default();
    let e = email.clone();
    let found = h.db(move |s| s.admin_by_email(&e)).await.ok().flatten();
    let hash = found.as_ref().map(|(_, hash)| hash.clone());
    let ok =
        tokio::task::spawn_blocking(move || hash.is_some_and(|h| verify_password(&password, &h)))
            .await
            .unwrap_or(false);
    let Some((admin, _)) = found.filter(|_| ok) else {
        let mut r = page(
            &h,
            "hub/login.html",
            None,
            json!({"csrf": expected, "email": email, "error": "Wrong email or password."}),
        );
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return r;
    };
    if let Some(old) = cookie(&headers, SESSION).map(sha256) {
        let _ = h.db(move |s| s.delete_admin_session(&old)).await;
    }
    let id = random_id();
    let (hash, csrf) = (sha256(&id), random_id());
    if let Err(e) = h
        .db(move |s| s.create_admin_session(&hash, admin, &csrf, Utc::now()))
        .await
    {
        return internal(e);
    }
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/hub")]).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        format!("{SESSION}={id}; Path=/; Secure; HttpOnly; SameSite=Strict")
            .parse()
            .expect("valid header"),
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        format!("{LOGIN}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
            .parse()
            .expect("valid header"),
    );
    r
}

async fn logout(State(h): State<Arc<HubApp>>, admin: Admin, Form(f): Form<Fields>) -> Response {
    if let Err(r) = admin.check(&f) {
        return r;
    }
    let hash = admin.id_hash.clone();
    let _ = h.db(move |s| s.delete_admin_session(&hash)).await;
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/hub/login")]).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        format!("{SESSION}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
            .parse()
            .expect("valid header"),
    );
    r
}

/// The date range asked for; the last 7 days by default, at most ~3 years.
fn range(h: &HubApp, q: &Fields) -> Result<(NaiveDate, NaiveDate), Response> {
    let today = Utc::now().with_timezone(&h.tz).date_naive();
    let parse = |k: &str, default: NaiveDate| match q.get(k).map(String::as_str) {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<NaiveDate>().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "bad_date",
                "Dates look like 2026-11-30.",
            )
        }),
    };
    let to = parse("to", today)?;
    let from = parse("from", to - Duration::days(6))?;
    if from > to || (to - from).num_days() > 1100 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "bad_range",
            "Choose a range of at most three years, ending after it starts.",
        ));
    }
    Ok((from, to))
}

/// The report for the range a request asks for.
async fn report_for(h: &Arc<HubApp>, q: &Fields) -> Result<report::Report, Response> {
    let (from, to) = range(h, q)?;
    build(h, from, to).await
}

async fn build(
    h: &Arc<HubApp>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<report::Report, Response> {
    let figures = h.db(move |s| s.report(from, to)).await.map_err(internal)?;
    let stale = Duration::from_std(h.config.hub.stale_after).unwrap_or(Duration::hours(1));
    Ok(report::build(&figures, from, to, Utc::now(), stale, h.tz))
}

async fn reports_api(
    State(h): State<Arc<HubApp>>,
    _admin: Admin,
    Query(q): Query<Fields>,
) -> Response {
    match report_for(&h, &q).await {
        Ok(r) => axum::Json(r).into_response(),
        Err(r) => r,
    }
}

fn reason_label(k: &str) -> String {
    k.parse::<vappoint_domain::ReasonCategory>().map_or_else(
        |_| k.to_string(),
        |c| crate::ui::category_label(c).to_string(),
    )
}

async fn reports_page(
    State(h): State<Arc<HubApp>>,
    admin: Admin,
    Query(q): Query<Fields>,
) -> Response {
    let r = match report_for(&h, &q).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let bars: Vec<(String, Vec<u64>)> = r
        .zones
        .iter()
        .map(|z| {
            (
                z.zone.clone(),
                vec![
                    z.totals.booked,
                    z.totals.completed,
                    z.totals.no_show,
                    z.totals.cancelled,
                ],
            )
        })
        .collect();
    let zones_svg = super::chart::bar_chart(
        "Appointments by zone",
        &bars,
        &["Booked", "Completed", "No-show", "Cancelled"],
    );
    let reasons_svg = report::reasons_chart("Reasons", &r.city.reasons, &reason_label);
    page(
        &h,
        "hub/report.html",
        Some(&admin),
        json!({"report": r, "charts": {"zones_svg": zones_svg, "reasons_svg": reasons_svg}, "from": r.from, "to": r.to}),
    )
}

async fn reports_csv(
    State(h): State<Arc<HubApp>>,
    _admin: Admin,
    Query(q): Query<Fields>,
) -> Response {
    let table = if q.get("table").map(String::as_str) == Some("zones") {
        Table::Zones
    } else {
        Table::Stations
    };
    let r = match report_for(&h, &q).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let name = format!(
        "vappoint-{}-{}-{}.csv",
        if table == Table::Zones {
            "zones"
        } else {
            "stations"
        },
        r.from,
        r.to
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        report::csv(&r, table),
    )
        .into_response()
}

async fn stations_view(
    h: &Arc<HubApp>,
    admin: &Admin,
    new_code: Option<(String, String)>,
    error_text: Option<String>,
) -> Response {
    let list = match h.db(|s| s.stations()).await {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let tz = h.tz;
    let now = Utc::now();
    let stale = Duration::from_std(h.config.hub.stale_after).unwrap_or(Duration::hours(1));
    let rows: Vec<Value> = list
        .iter()
        .map(|s| {
            let status = if s.revoked { "revoked" } else if s.enrolled { "enrolled" } else { "pending" };
            // "Not enrolled yet" (nothing can come) is not "not reported recently" (silent).
            let silent = s.enrolled && !s.revoked && s.last_seen.is_none_or(|t| now - t > stale);
            json!({
                "code": s.code, "name": s.name, "zone": s.zone, "booking_url": s.booking_url, "localities": s.localities,
                "aliases_mr": s.aliases.get("mr").cloned().unwrap_or_default(),
                "aliases_hi": s.aliases.get("hi").cloned().unwrap_or_default(),
                "status": status, "silent": silent,
                "last_seen": s.last_seen.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()),
            })
        })
        .collect();
    let (code, station) = new_code.map_or((None, None), |(c, s)| (Some(c), Some(s)));
    page(
        h,
        "hub/stations.html",
        Some(admin),
        json!({"stations": rows, "new_code": code, "new_code_station": station, "error": error_text}),
    )
}

async fn stations_page(State(h): State<Arc<HubApp>>, admin: Admin) -> Response {
    stations_view(&h, &admin, None, None).await
}

async fn register(State(h): State<Arc<HubApp>>, admin: Admin, Form(f): Form<Fields>) -> Response {
    if let Err(r) = admin.check(&f) {
        return r;
    }
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let localities: Vec<String> = get("localities").lines().map(str::to_string).collect();
    let aliases: vappoint_store::Aliases = ["mr", "hi"]
        .iter()
        .map(|lang| {
            let names = get(&format!("aliases_{lang}"))
                .lines()
                .map(str::to_string)
                .collect();
            (lang.to_string(), names)
        })
        .collect();
    let (code, name, zone, url) = (
        get("code").trim().to_ascii_uppercase(),
        get("name"),
        get("zone"),
        get("url"),
    );
    let data = h.config.clone();
    let dir = h.store.clone();
    let result = tokio::task::spawn_blocking(move || {
        super::register_with(
            &dir,
            &code,
            &name,
            &zone,
            &url,
            &localities,
            &aliases,
            &data,
        )
        .map(|c| (c, code))
    })
    .await
    .unwrap_or_else(|e| Err(anyhow::anyhow!(e.to_string())));
    match result {
        Ok((enrol, code)) => {
            tracing::info!(station = %code, "station registered");
            stations_view(&h, &admin, Some((enrol, code)), None).await
        }
        Err(e) => {
            let mut r = stations_view(&h, &admin, None, Some(format!("{e:#}"))).await;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            r
        }
    }
}

async fn revoke(
    State(h): State<Arc<HubApp>>,
    admin: Admin,
    Path(code): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = admin.check(&f) {
        return r;
    }
    match h.db(move |s| s.revoke(&code, Utc::now())).await {
        Ok(()) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/hub/stations")]).into_response(),
        Err(vappoint_store::StoreError::NotFound) => {
            stations_view(
                &h,
                &admin,
                None,
                Some("No such station, or already revoked.".into()),
            )
            .await
        }
        Err(e) => internal(e),
    }
}
