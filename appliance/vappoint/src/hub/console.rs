//! The commissionerate's console on the hub: log in, zone reports with charts and CSV, the
//! reports as JSON, and registering and revoking stations.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use vappoint_store::{HubStore, StoreError};
use vappoint_wire::federation::UpdateStatus;

use super::report::{self, Table};
use super::{HubApp, error};
use crate::config::SessionConfig;
use crate::console::cookies::CookieJar;
use crate::console::csrf::{Empty, pre_session_csrf};
use crate::console::login::{Login, LoginForm, log_in, log_out};
use crate::console::session::{ConsoleState, Credentials};
use crate::console::{Account, ConsoleError, CsrfForm, Session};
use crate::site::html_response;

const SESSION: &str = "__Host-vappoint-hub";
const LOGIN: &str = "__Host-vappoint-hub-login";

pub fn routes(h: Arc<HubApp>) -> Router<Arc<HubApp>> {
    Router::new()
        .route("/hub/login", get(login_form).post(login))
        .route("/hub/logout", post(logout))
        .route("/hub", get(reports_page))
        .route("/hub/reports.csv", get(reports_csv))
        .route("/api/v1/reports", get(reports_api))
        .route("/hub/stations", get(stations_page).post(register))
        .route("/hub/stations/{code}/revoke", post(revoke))
        .route(
            "/hub/stations/{code}/replacement-code",
            post(replacement_code),
        )
        .layer(axum::middleware::from_fn_with_state(h, messages))
}

/// What the reports are asked for: a date range, and for CSV which table.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    table: Option<String>,
}

/// A hub admin as a console account.
pub struct HubAdmin {
    id: i64,
}

/// A logged-in hub admin.
type Admin = Session<HubAdmin>;

impl ConsoleState for Arc<HubApp> {
    type Account = HubAdmin;
}

impl Account for HubAdmin {
    type State = Arc<HubApp>;
    const SESSION_COOKIE: &'static str = SESSION;
    const LOGIN_COOKIE: &'static str = LOGIN;

    fn config(h: &Arc<HubApp>) -> &SessionConfig {
        &h.config.sessions
    }

    type Store = HubStore;

    fn store(state: &Self::State) -> &Arc<HubStore> {
        &state.store
    }

    async fn load(_: &Arc<HubApp>, id: i64) -> Result<Option<HubAdmin>, StoreError> {
        Ok(Some(HubAdmin { id }))
    }

    async fn by_email(h: &Arc<HubApp>, email: String) -> Result<Option<Credentials>, StoreError> {
        let found = h.db(move |s| s.admin_by_email(&email)).await?;
        Ok(found.map(|(id, hash)| Credentials {
            account_id: id,
            password_hash: hash,
        }))
    }

    fn may_try(h: &Arc<HubApp>, ip: IpAddr, email: &str) -> bool {
        h.limits.login(ip, email)
    }

    fn login_required(parts: &Parts) -> Response {
        if parts.uri.path().starts_with("/api/") {
            error(
                StatusCode::UNAUTHORIZED,
                "login_required",
                "Log in to the hub console first.",
            )
        } else {
            (StatusCode::SEE_OTHER, [(header::LOCATION, "/hub/login")]).into_response()
        }
    }
}

/// Console error answers become their message in the request's language.
async fn messages(State(h): State<Arc<HubApp>>, req: Request, next: Next) -> Response {
    let lang = crate::site::lang_of(req.uri(), req.headers());
    let r = next.run(req).await;
    crate::console::error::render(r, |id| h.ui.i18n.t(lang, id, None).into_response())
}

fn page(h: &HubApp, template: &str, admin: Option<&Admin>, mut ctx: Value) -> Response {
    if let Some(o) = ctx.as_object_mut() {
        o.insert("hub_name".into(), json!(h.config.hub.name));
        o.insert(
            "me".into(),
            json!(admin.map(|a| format!("admin {}", a.account.id))),
        );
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
        Err(e) => ConsoleError::internal(e).into_response(),
    }
}

async fn login_form(State(h): State<Arc<HubApp>>, headers: HeaderMap) -> Response {
    let (csrf, set) = pre_session_csrf(&headers, LOGIN);
    let r = page(
        &h,
        "hub/login.html",
        None,
        json!({"csrf": csrf, "email": ""}),
    );
    match set {
        Some(c) => (CookieJar::new().add(c), r).into_response(),
        None => r,
    }
}

async fn login(
    State(h): State<Arc<HubApp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, ConsoleError> {
    match log_in::<HubAdmin>(&h, &headers, peer.ip(), f).await? {
        Login::In {
            account_id,
            cookies,
        } => {
            tracing::info!(admin = account_id, "hub admin logged in");
            Ok((
                cookies,
                (StatusCode::SEE_OTHER, [(header::LOCATION, "/hub")]),
            )
                .into_response())
        }
        Login::Wrong { csrf, email, .. } => {
            let mut r = page(
                &h,
                "hub/login.html",
                None,
                json!({"csrf": csrf, "email": email.trim(), "error": "Wrong email or password."}),
            );
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(r)
        }
    }
}

async fn logout(
    State(h): State<Arc<HubApp>>,
    admin: Admin,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Response {
    let cookies = log_out(&h, &admin).await;
    (
        cookies,
        (StatusCode::SEE_OTHER, [(header::LOCATION, "/hub/login")]),
    )
        .into_response()
}

/// The date range asked for; the last 7 days by default, at most ~3 years.
fn range(h: &HubApp, q: &ReportQuery) -> Result<(NaiveDate, NaiveDate), Response> {
    let today = Utc::now().with_timezone(&h.tz).date_naive();
    let parse = |v: &Option<String>, default: NaiveDate| match v.as_deref() {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<NaiveDate>().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "bad_date",
                "Dates look like 2026-11-30.",
            )
        }),
    };
    let to = parse(&q.to, today)?;
    let from = parse(&q.from, to - Duration::days(6))?;
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
async fn report_for(h: &Arc<HubApp>, q: &ReportQuery) -> Result<report::Report, Response> {
    let (from, to) = range(h, q)?;
    build(h, from, to).await
}

async fn build(
    h: &Arc<HubApp>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<report::Report, Response> {
    let figures = h
        .db(move |s| s.report(from, to))
        .await
        .map_err(|e| ConsoleError::internal(e).into_response())?;
    let stale = Duration::from_std(h.config.hub.stale_after).unwrap_or(Duration::hours(1));
    Ok(report::build(&figures, from, to, Utc::now(), stale, h.tz))
}

async fn reports_api(
    State(h): State<Arc<HubApp>>,
    _admin: Admin,
    Query(q): Query<ReportQuery>,
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
    Query(q): Query<ReportQuery>,
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
    Query(q): Query<ReportQuery>,
) -> Response {
    let table = if q.table.as_deref() == Some("zones") {
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
) -> Result<Response, ConsoleError> {
    let list = h.db(|s| s.stations()).await?;
    let heads = h.db(|s| s.last_audit_heads()).await?;
    let healths = h.db(|s| s.healths()).await?;
    let tz = h.tz;
    let now = Utc::now();
    let stale = Duration::from_std(h.config.hub.stale_after).unwrap_or(Duration::hours(1));
    let rows: Vec<Value> = list
        .iter()
        .map(|s| {
            let status = if s.revoked { "revoked" } else if s.enrolled { "enrolled" } else { "pending" };
            // "Not enrolled yet" (nothing can come) is not "not reported recently" (silent).
            let silent = s.enrolled && !s.revoked && s.last_seen.is_none_or(|t| now - t > stale);
            let tunnel = h.relay.status(&s.code).map(|t| json!({
                "up": t.up, "active": t.active, "connections": t.connections,
                "bytes": human_bytes(t.bytes),
                "since": t.since.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()),
            }));
            json!({
                "tunnel": tunnel,
                "code": s.code, "name": s.name, "zone": s.zone, "booking_url": s.booking_url, "localities": s.localities,
                "aliases_mr": s.aliases.get("mr").cloned().unwrap_or_default(),
                "aliases_hi": s.aliases.get("hi").cloned().unwrap_or_default(),
                "status": status, "silent": silent,
                "last_seen": s.last_seen.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()),
                "audit": heads.get(&s.code).map(|a| json!({"seq": a.seq, "hash": a.hash})),
                "health": healths.get(&s.code).map(|x| {
                    let b = &x.health;
                    json!({
                        "version": b.version,
                        "uptime": format!("{} h", b.uptime_seconds / 3600),
                        "disk": format!("{} of {} free", human_bytes(b.disk_free_bytes), human_bytes(b.disk_total_bytes)),
                        "database": human_bytes(b.database_bytes),
                        "reboot": b.reboot_required,
                        "update": b.update.as_ref().and_then(|u| match u {
                            UpdateStatus::Installing { version } => Some(format!("installing update {version}")),
                            UpdateStatus::Trial { version } => Some(format!("update {version} on trial")),
                            UpdateStatus::Ok { version } => Some(format!("updated to {version}")),
                            // A flag says it.
                            UpdateStatus::Failed { .. } => None,
                        }),
                        "flags": super::health::flags(x, now),
                        "received": x.received_at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
                    })
                }),
            })
        })
        .collect();
    let (code, station) = new_code.map_or((None, None), |(c, s)| (Some(c), Some(s)));
    Ok(page(
        h,
        "hub/stations.html",
        Some(admin),
        json!({"stations": rows, "new_code": code, "new_code_station": station, "error": error_text,
               "certificate": certificate_status(h),
               "relaying": h.config.relay.domain.is_some()}),
    ))
}

/// The hub's own certificate for `[public] host` (ACME), as the Stations page shows it.
fn certificate_status(h: &HubApp) -> Value {
    let acme = h.acme.status();
    let when = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let cert = acme.host.as_deref().and_then(|n| h.certs.in_use(n));
    json!({
        "host": acme.host,
        "issuer": cert.as_ref().map(|c| c.issuer.clone()),
        "names": cert.as_ref().map(|c| c.names.join(", ")),
        "not_after": cert.as_ref().map(|c| when(c.not_after)),
        "last_error": acme.last_error,
        "next_attempt": acme.next_attempt.map(when),
    })
}

/// A byte count for people: 1.5 MB rather than 1572864.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

async fn stations_page(
    State(h): State<Arc<HubApp>>,
    admin: Admin,
) -> Result<Response, ConsoleError> {
    stations_view(&h, &admin, None, None).await
}

/// A station to register, as the Stations page's form sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RegisterForm {
    code: String,
    name: String,
    zone: String,
    url: String,
    /// One per line, like the aliases.
    localities: String,
    aliases_mr: String,
    aliases_hi: String,
}

async fn register(
    State(h): State<Arc<HubApp>>,
    admin: Admin,
    CsrfForm(f): CsrfForm<RegisterForm>,
) -> Result<Response, ConsoleError> {
    let lines = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    let localities = lines(&f.localities);
    let aliases: vappoint_store::Aliases = [("mr", &f.aliases_mr), ("hi", &f.aliases_hi)]
        .into_iter()
        .map(|(lang, names)| (lang.to_string(), lines(names)))
        .collect();
    let (code, name, zone, url) = (f.code.trim().to_ascii_uppercase(), f.name, f.zone, f.url);
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
            // The page says what is wrong with the station; the log gets the whole chain.
            tracing::info!(error = %format!("{e:#}"), "registering a station failed");
            let mut r = stations_view(&h, &admin, None, Some(e.to_string())).await?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Ok(r)
        }
    }
}

/// A one-time code for a brand-new box to take this station's place (restoring its newest
/// backup), shown once.
async fn replacement_code(
    State(h): State<Arc<HubApp>>,
    admin: Admin,
    Path(code): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, ConsoleError> {
    let station = code.clone();
    let made = tokio::task::spawn_blocking({
        let h = h.clone();
        move || super::backups::new_replacement_code(&h.store, &station)
    })
    .await
    .map_err(ConsoleError::internal)?;
    match made {
        Ok(one_time) => {
            tracing::info!(station = %code, "replacement code made");
            Ok(page(
                &h,
                "hub/replacement_code.html",
                Some(&admin),
                json!({"station": code, "code": one_time,
                       "hours": super::backups::REPLACEMENT_CODE_VALID.num_hours()}),
            ))
        }
        Err(e) => {
            let mut r = stations_view(&h, &admin, None, Some(e.to_string())).await?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Ok(r)
        }
    }
}

async fn revoke(
    State(h): State<Arc<HubApp>>,
    admin: Admin,
    Path(code): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, ConsoleError> {
    match h.db(move |s| s.revoke(&code, Utc::now())).await {
        Ok(()) => {
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/hub/stations")]).into_response())
        }
        Err(vappoint_store::StoreError::NotFound) => {
            stations_view(
                &h,
                &admin,
                None,
                Some("No such station, or already revoked.".into()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
