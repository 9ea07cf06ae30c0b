//! The set-up page (`/setup`), the guard that keeps the rest of the site closed until set-up
//! is done, and the rules for the settings it shares with the admin's Station page.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use vappoint_store::StoreError;

use super::auth::LOGIN_COOKIE;
use super::{Ctx, Failure};
use crate::config::{
    RelayConfig, RelayProblem, Security, parse_tz, validate_address, validate_code, validate_phone,
};
use crate::console::ConsoleError;
use crate::console::cookies::{self, CookieJar};
use crate::console::csrf::{pre_session_csrf, pre_session_matches};
use crate::lan::is_lan;
use crate::station::app::{
    App, MAIL_FROM_KEY, PROFILE_FIELDS, PUBLIC_HOST_KEY, PUBLIC_MODE_KEY, PUBLIC_URL_KEY, Profile,
    RELAY_KEY,
};
use vappoint_store::{Action, Actor, Subject};

/// The station's settings as the set-up form and the Station page's forms send them. A
/// field a form does not carry is `None` and left alone; the relay password is never shown
/// back.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SettingsForm {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_host: Option<String>,
    /// `lan`, `direct` (then `public_host` is the box's public DNS name) or `relay`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_security: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_username: Option<String>,
    #[serde(skip_serializing)]
    pub relay_password: Option<String>,
}

impl SettingsForm {
    /// The profile field `key` (one of `PROFILE_FIELDS`) as sent.
    fn profile(&mut self, key: &str) -> Option<&mut Option<String>> {
        match key {
            "name" => Some(&mut self.name),
            "code" => Some(&mut self.code),
            "zone" => Some(&mut self.zone),
            "time_zone" => Some(&mut self.time_zone),
            "phone" => Some(&mut self.phone),
            "address" => Some(&mut self.address),
            _ => None,
        }
    }
}

/// The set-up form: the station's settings, the first admin, the set-up code and the hub.
/// Passwords and the codes are never shown back.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct SetupForm {
    #[serde(skip_serializing)]
    csrf: String,
    #[serde(skip_serializing)]
    setup_code: String,
    #[serde(flatten)]
    settings: SettingsForm,
    admin_name: String,
    admin_rank: String,
    admin_email: String,
    #[serde(skip_serializing)]
    password: String,
    #[serde(skip_serializing)]
    password2: String,
    takes_appointments: String,
    hub_url: String,
    hub_code: String,
}

/// Hours the first admin starts with when they take appointments; they change them on
/// "My hours" like any officer.
const FIRST_ADMIN_HOURS: &str = "Mon-Sat 11:00-13:00";

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/setup", get(form).post(submit))
        .route("/setup/replace", axum::routing::post(replace))
}

/// "Replace a station: restore from the hub": a brand-new box takes the place of a dead one.
/// The codes and the recovery key are never shown back.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct ReplaceForm {
    #[serde(skip_serializing)]
    csrf: String,
    #[serde(skip_serializing)]
    setup_code: String,
    hub_url: String,
    station: String,
    #[serde(skip_serializing)]
    replace_code: String,
    #[serde(skip_serializing)]
    recovery_key: String,
}

/// Before set-up: the LAN is sent to `/setup`, the internet is told the site is not open, and
/// nothing else answers. After set-up this only reads an atomic flag.
pub async fn guard(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if app.setup.is_done() {
        return next.run(req).await;
    }
    // An admin made from the command line ends set-up mode too.
    match app.db(|s| s.has_admin()).await {
        Ok(true) => {
            app.setup.mark_done();
            return next.run(req).await;
        }
        Ok(false) => {}
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "checking set-up state");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    }
    let path = req.uri().path();
    if path.starts_with("/static/") || path == "/favicon.ico" || path == "/metrics" {
        return next.run(req).await;
    }
    let lan = is_lan(peer.ip());
    // The set-up page's language links set the `lang` cookie, then come back to `/setup`.
    if lan && (path == "/setup" || path == "/setup/replace" || path.starts_with("/lang/")) {
        return next.run(req).await;
    }
    // Only a person opening a page is sent to the form. Anything else (the browser's own
    // robots.txt or icons, the API, the sockets) gets a plain answer: a redirect to a form is
    // no answer for them, and it once replaced the CSRF value of the form already open.
    if lan && !opens_a_page(&req) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "60")],
            "This station is being set up.\n",
        )
            .into_response();
    }
    if lan {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/setup")]).into_response();
    }
    let (mut parts, _) = req.into_parts();
    let ctx = match <Ctx as axum::extract::FromRequestParts<Arc<App>>>::from_request_parts(
        &mut parts, &app,
    )
    .await
    {
        Ok(c) => c,
        Err(never) => match never {},
    };
    let mut r = ctx.page(
        "message.html",
        json!({"heading": ctx.t("site-title"), "message": ctx.t("setup-not-open"), "is_error": true}),
    );
    *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    r
}

/// Whether a request is someone opening a page, to be sent to the set-up form. Not the
/// browser's own requests for files (`/favicon.ico`, `/robots.txt`, anything named with an
/// extension), the API, the signalling sockets, or a form sent to another page.
fn opens_a_page(req: &Request) -> bool {
    let get = req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD;
    let path = req.uri().path();
    let file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));
    get && !file && !path.starts_with("/api/") && !path.starts_with("/ws/")
}

/// A message of the set-up page in `lang`, with its arguments.
pub(crate) fn say(app: &App, lang: &str, id: &str, args: &[(&str, String)]) -> String {
    let mut a = fluent_bundle::FluentArgs::new();
    for (k, v) in args {
        a.set(*k, v.clone());
    }
    app.ui.i18n.t(lang, id, Some(&a))
}

fn setup_page(
    ctx: &Ctx,
    headers: &HeaderMap,
    status: StatusCode,
    values: &SetupForm,
    error: Option<String>,
) -> Response {
    setup_page_with(ctx, headers, status, values, &ReplaceForm::default(), error)
}

fn setup_page_with(
    ctx: &Ctx,
    headers: &HeaderMap,
    status: StatusCode,
    values: &SetupForm,
    replace: &ReplaceForm,
    error: Option<String>,
) -> Response {
    let (csrf, set_cookie) = pre_session_csrf(headers, LOGIN_COOKIE);
    // Passwords and the codes are never sent back into the page (see `SetupForm`).
    let mut shown = match json!(values) {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    shown.entry("time_zone").or_insert(json!("Asia/Kolkata"));
    shown.entry("relay_port").or_insert(json!("587"));
    shown.entry("relay_security").or_insert(json!("starttls"));
    shown.entry("takes_appointments").or_insert(json!(""));
    let app = &ctx.app;
    // The page is in the request's language, with links to the others that come back here.
    let mut r = super::officer::page(
        app,
        "setup.html",
        None,
        json!({
            "lang": ctx.lang,
            "here": "/setup",
            "csrf": csrf,
            "v": shown,
            "error": error,
            "code_file": app.setup.code_file().display().to_string(),
            "public_locked": app.config.public.mode.is_some(),
            "rv": replace,
        }),
    );
    if r.status() == StatusCode::OK {
        *r.status_mut() = status;
    }
    match set_cookie {
        Some(c) => (CookieJar::new().add(c), r).into_response(),
        None => r,
    }
}

async fn form(ctx: Ctx, headers: HeaderMap) -> Response {
    if ctx.app.setup.is_done() {
        return ctx.fail(Failure::NotFound);
    }
    setup_page(&ctx, &headers, StatusCode::OK, &SetupForm::default(), None)
}

async fn submit(
    ctx: Ctx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<SetupForm>,
) -> Response {
    let app = ctx.app.clone();
    if app.setup.is_done() {
        return ctx.fail(Failure::NotFound);
    }
    let refuse = |status, msg: String| setup_page(&ctx, &headers, status, &f, Some(msg));
    let lang = ctx.lang;
    let tr = |id: &str| say(&app, lang, id, &[]);
    if pre_session_matches(&headers, LOGIN_COOKIE, &f.csrf).is_none() {
        return refuse(StatusCode::FORBIDDEN, tr("setup-err-expired"));
    }
    if !app.limits.login_from(peer.ip()) {
        return refuse(StatusCode::TOO_MANY_REQUESTS, tr("console-too-many-tries"));
    }
    match app.setup.accepts(&f.setup_code) {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(ip = %peer.ip(), "wrong set-up code");
            return refuse(
                StatusCode::FORBIDDEN,
                say(
                    &app,
                    lang,
                    "setup-err-wrong-code",
                    &[("file", app.setup.code_file().display().to_string())],
                ),
            );
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "no set-up code");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                say(
                    &app,
                    lang,
                    "setup-err-no-code",
                    &[("reason", e.to_string())],
                ),
            );
        }
    }

    // Set-up asks every station field: one left out of the form counts as left blank.
    let mut f = f;
    for key in PROFILE_FIELDS {
        if let Some(v) = f.settings.profile(key) {
            v.get_or_insert_default();
        }
    }
    let f = f;
    let refuse = |status, msg: String| setup_page(&ctx, &headers, status, &f, Some(msg));
    let mut settings: Vec<(String, String)> = match profile_settings(&f.settings, &app, lang) {
        Ok(s) => s,
        Err(m) => return refuse(StatusCode::BAD_REQUEST, m),
    };
    match delivery_settings(&f.settings, &app, lang) {
        Ok(d) => settings.extend(d.into_iter().filter_map(|(k, v)| Some((k, v?)))),
        Err(m) => return refuse(StatusCode::BAD_REQUEST, m),
    }
    match reach_settings(&f.settings, &app, lang) {
        Ok(d) => settings.extend(d.into_iter().filter_map(|(k, v)| Some((k, v?)))),
        Err(m) => return refuse(StatusCode::BAD_REQUEST, m),
    }
    let (hub_url, hub_code) = (f.hub_url.trim().to_string(), f.hub_code.clone());
    if hub_url.is_empty() != hub_code.trim().is_empty() {
        return refuse(StatusCode::BAD_REQUEST, tr("setup-err-hub-both"));
    }
    // The first admin is listed to citizens only if they said they take appointments; an
    // officer with no weekly hours offers no slots and is not listed (see `availability.rs`).
    let hours = match f.takes_appointments.as_str() {
        "yes" => FIRST_ADMIN_HOURS,
        "no" => "",
        _ => {
            return refuse(StatusCode::BAD_REQUEST, tr("setup-err-takes-appointments"));
        }
    };
    let takes_appointments = !hours.is_empty();
    // The admin's details, checked here to say what is wrong in the page's language;
    // `new_officer` checks them again, as for the command line.
    let admin_problem = if vappoint_domain::clean_label(&f.admin_name, "").is_err() {
        Some("setup-err-admin-name")
    } else if vappoint_domain::clean_label(&f.admin_rank, "").is_err() {
        Some("setup-err-admin-rank")
    } else if !vappoint_domain::booking::valid_email(f.admin_email.trim()) {
        Some("setup-err-admin-email")
    } else if f.password.chars().count() < crate::console::password::MIN_PASSWORD
        || f.password.len() > 1024
    {
        Some("setup-err-password-short")
    } else if f.password != f.password2 {
        Some("setup-err-passwords-differ")
    } else {
        None
    };
    if let Some(id) = admin_problem {
        let min = crate::console::password::MIN_PASSWORD.to_string();
        return refuse(
            StatusCode::BAD_REQUEST,
            say(&app, lang, id, &[("min", min)]),
        );
    }
    let fields = (
        f.admin_name.clone(),
        f.admin_rank.clone(),
        f.admin_email.clone(),
        f.password.clone(),
    );
    let made = tokio::task::spawn_blocking(move || {
        let (n, r, e, p) = fields;
        crate::station::officers::new_officer(&n, &r, &e, &p, hours, "5", true)
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    let admin = match made {
        Ok(a) => a,
        Err(m) => return refuse(StatusCode::BAD_REQUEST, m),
    };
    let admin_email = admin.email.clone();
    match app
        .db(move |s| s.finish_setup(&admin, &settings, Utc::now()))
        .await
    {
        Ok(id) => {
            tracing::info!(officer = id.0, ip = %peer.ip(), "station set up");
            let entry = (Actor::System, Action::OfficerAdded, Subject::Officer(id));
            if let Err(e) = app
                .db(move |s| s.audit(entry.0, entry.1, entry.2, Utc::now()))
                .await
            {
                tracing::error!(error = %e, "recording the first admin in the audit log");
            }
        }
        Err(StoreError::Conflict("already_set_up")) => {
            app.setup.mark_done();
            return ctx.fail(Failure::NotFound);
        }
        Err(StoreError::Conflict(_)) => {
            return refuse(StatusCode::CONFLICT, tr("setup-err-email-taken"));
        }
        Err(e) => return ConsoleError::internal(e).into_response(),
    }
    if let Err(e) = app.reload_profile() {
        return ConsoleError::internal(e).into_response();
    }
    // A chosen public name gets its certificate from now on.
    app.acme.wake();
    app.setup.mark_done();
    app.mail_wake.notify_one();

    // The hub is asked last: set-up stands even when the hub cannot be reached today, and the
    // admin can enrol later from the Station page.
    let hub = if hub_url.is_empty() {
        Value::Null
    } else {
        match super::officer::station_settings::enroll_and_run(&app, &hub_url, &hub_code).await {
            Ok(link) => json!({"ok": true, "url": link.url}),
            Err(e) => {
                // The page gets the hub's or the network's words; the log, the whole chain.
                tracing::warn!(error = %format!("{e:#}"), "enrolment during set-up failed");
                json!({"ok": false, "error": e.to_string()})
            }
        }
    };
    // Shown once here (an admin can download it again): backups open with it alone.
    let recovery_key = match crate::station::backup::recovery_key(&app.data_dir) {
        Ok(k) => {
            use age::secrecy::ExposeSecret;
            k.to_string().expose_secret().to_string()
        }
        Err(e) => return ConsoleError::internal(e).into_response(),
    };
    let r = super::officer::page(
        &app,
        "setup_done.html",
        None,
        json!({"admin_email": admin_email, "hub": hub, "takes_appointments": takes_appointments, "lang": lang,
               "recovery_key": recovery_key}),
    );
    (CookieJar::new().add(cookies::cleared(LOGIN_COOKIE)), r).into_response()
}

/// A brand-new box replacing a dead one: with the set-up code (this box), the hub's address,
/// the station's code, the hub's one-time replacement code and the station's recovery key, it
/// restores the newest backup from the hub and takes over the station, then starts again on
/// it. A wrong code or key is refused with what was wrong, and nothing is kept.
async fn replace(
    ctx: Ctx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<ReplaceForm>,
) -> Response {
    use crate::station::replace::ReplaceError;
    let app = ctx.app.clone();
    if app.setup.is_done() {
        return ctx.fail(Failure::NotFound);
    }
    let lang = ctx.lang;
    let refuse = |status, msg: String| {
        setup_page_with(&ctx, &headers, status, &SetupForm::default(), &f, Some(msg))
    };
    let tr = |id: &str| say(&app, lang, id, &[]);
    if pre_session_matches(&headers, LOGIN_COOKIE, &f.csrf).is_none() {
        return refuse(StatusCode::FORBIDDEN, tr("setup-err-expired"));
    }
    if !app.limits.login_from(peer.ip()) {
        return refuse(StatusCode::TOO_MANY_REQUESTS, tr("console-too-many-tries"));
    }
    match app.setup.accepts(&f.setup_code) {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(ip = %peer.ip(), "wrong set-up code");
            let file = app.setup.code_file().display().to_string();
            return refuse(
                StatusCode::FORBIDDEN,
                say(&app, lang, "setup-err-wrong-code", &[("file", file)]),
            );
        }
        Err(e) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                say(
                    &app,
                    lang,
                    "setup-err-no-code",
                    &[("reason", e.to_string())],
                ),
            );
        }
    }
    let station = f.station.trim().to_ascii_uppercase();
    if validate_code(&station).is_err() {
        return refuse(
            StatusCode::BAD_REQUEST,
            say(&app, lang, "setup-err-code", &[("value", station)]),
        );
    }
    let Ok(key) = crate::station::backup::parse_recovery_key(&f.recovery_key) else {
        return refuse(StatusCode::BAD_REQUEST, tr("replace-err-not-a-key"));
    };
    let done = crate::station::replace::replace(
        &app.data_dir,
        &f.hub_url,
        &station,
        &f.replace_code,
        &key,
    )
    .await;
    let summary = match done {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), station = %station, "replacing a station failed");
            let (status, message) = match &e {
                ReplaceError::BadUrl => (StatusCode::BAD_REQUEST, tr("replace-err-url")),
                ReplaceError::Unreachable(why) => (
                    StatusCode::BAD_GATEWAY,
                    say(
                        &app,
                        lang,
                        "replace-err-unreachable",
                        &[("reason", why.clone())],
                    ),
                ),
                ReplaceError::CodeRefused => (StatusCode::FORBIDDEN, tr("replace-err-code")),
                ReplaceError::NoBackup => (StatusCode::NOT_FOUND, tr("replace-err-no-backup")),
                ReplaceError::WrongKey => (StatusCode::FORBIDDEN, tr("replace-err-wrong-key")),
                ReplaceError::NotTheHub => (StatusCode::BAD_GATEWAY, tr("replace-err-not-the-hub")),
                ReplaceError::Other(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    say(
                        &app,
                        lang,
                        "replace-err-other",
                        &[("reason", e.to_string())],
                    ),
                ),
            };
            return refuse(status, message);
        }
    };
    tracing::info!(station = %station, files = summary.files, ip = %peer.ip(), "this box replaces the station; starting again on its files");
    let r = super::officer::page(
        &app,
        "setup_replaced.html",
        None,
        json!({"lang": lang, "code": station, "files": summary.files}),
    );
    // Stopping lets this answer finish first (a graceful shutdown), then `station::run` starts
    // the program again on the restored files.
    crate::server::request_restart();
    (CookieJar::new().add(cookies::cleared(LOGIN_COOKIE)), r).into_response()
}

/// Name, code, zone, time zone, phone and address from a form, as settings; fields fixed by
/// the config file, and fields the form does not carry, are left alone.
/// Messages are in `lang`.
pub fn profile_settings(
    f: &SettingsForm,
    app: &App,
    lang: &str,
) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let profile = [
        ("name", &f.name),
        ("code", &f.code),
        ("zone", &f.zone),
        ("time_zone", &f.time_zone),
        ("phone", &f.phone),
        ("address", &f.address),
    ];
    for (key, v) in &profile {
        let Some(v) = v else { continue };
        if Profile::locked(&app.config, key) {
            continue;
        }
        let v = match *key {
            // Contact details are checked for what they are, not as a label.
            "phone" | "address" => {
                let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
                let (check, id) = if *key == "phone" {
                    (validate_phone(&v), "setup-err-phone")
                } else {
                    (validate_address(&v), "setup-err-address")
                };
                check.map_err(|_| say(app, lang, id, &[("value", v.clone())]))?;
                v
            }
            _ => vappoint_domain::clean_label(v, "").map_err(|_| {
                let field = say(app, lang, &format!("station-field-{key}"), &[]);
                say(app, lang, "setup-err-label", &[("field", field)])
            })?,
        };
        let check = match *key {
            "code" => validate_code(&v).map_err(|_| "setup-err-code"),
            "time_zone" => parse_tz(&v).map(|_| ()).map_err(|_| "setup-err-time-zone"),
            _ => Ok(()),
        };
        check.map_err(|id| say(app, lang, id, &[("value", v.clone())]))?;
        out.push((format!("station.{key}"), v));
    }
    Ok(out)
}

/// How citizens reach the box, from a form: the mode and, in `direct` mode, the public DNS
/// name (the `public_host` field). Nothing when `[public] mode` fixes it or the form has no
/// choice.
pub fn reach_settings(
    f: &SettingsForm,
    app: &App,
    lang: &str,
) -> Result<Vec<(String, Option<String>)>, String> {
    let Some(mode) = f.public_mode.as_deref() else {
        return Ok(Vec::new());
    };
    if app.config.public.mode.is_some() {
        return Ok(Vec::new());
    }
    let err = |id: &str, value: &str| say(app, lang, id, &[("value", value.to_string())]);
    let mut out = vec![];
    match mode {
        "lan" | "relay" => {}
        "direct" if app.config.public.host.is_some() => {}
        "direct" => {
            let host = f
                .public_host
                .as_deref()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            crate::config::validate_dns_name("host", &host)
                .map_err(|_| err("setup-err-direct-host", &host))?;
            out.push((PUBLIC_HOST_KEY.to_string(), Some(host)));
        }
        other => return Err(err("setup-err-public-mode", other)),
    }
    out.push((PUBLIC_MODE_KEY.to_string(), Some(mode.to_string())));
    Ok(out)
}

/// The public address and the mail settings from a form, as settings to write (`None`
/// clears one). A blank relay password keeps the saved one, so the admin need not retype it.
pub fn delivery_settings(
    f: &SettingsForm,
    app: &App,
    lang: &str,
) -> Result<Vec<(String, Option<String>)>, String> {
    let err = |id: &str, value: &str| say(app, lang, id, &[("value", value.to_string())]);
    let get = |v: &Option<String>| v.as_deref().map_or("", str::trim).to_string();
    let (url_locked, mail_locked) = Profile::delivery_locked(&app.config);
    let mut out = Vec::new();
    if !url_locked && let Some(host) = &f.public_host {
        let host = host.trim();
        out.push((
            PUBLIC_URL_KEY.to_string(),
            public_url(host).map_err(|id| err(id, host))?,
        ));
    }
    if mail_locked || f.relay_host.is_none() {
        return Ok(out);
    }
    let from = get(&f.mail_from);
    if !from.is_empty() {
        from.parse::<lettre::message::Mailbox>()
            .map_err(|_| err("setup-err-sender", &from))?;
    }
    out.push((
        MAIL_FROM_KEY.to_string(),
        Some(from).filter(|f| !f.is_empty()),
    ));
    let host = get(&f.relay_host);
    if host.is_empty() {
        out.push((RELAY_KEY.to_string(), None));
        return Ok(out);
    }
    let port = match get(&f.relay_port).as_str() {
        "" => 587,
        p => p
            .parse::<u16>()
            .map_err(|_| err("setup-err-relay-port", p))?,
    };
    let security = match get(&f.relay_security).as_str() {
        "" | "starttls" => Security::Starttls,
        "tls" => Security::Tls,
        "none" => Security::None,
        other => return Err(err("setup-err-relay-security", other)),
    };
    let username = Some(get(&f.relay_username)).filter(|u| !u.is_empty());
    let typed = f.relay_password.clone().unwrap_or_default();
    let password = if !typed.is_empty() {
        Some(typed)
    } else {
        // Kept only for the same account on the same relay.
        app.profile()
            .relay
            .filter(|r| r.host == host && r.username == username)
            .and_then(|r| r.password)
    };
    if username.as_deref().is_some_and(|u| u.len() > 320)
        || password.as_deref().is_some_and(|p| p.len() > 1024)
    {
        return Err(err("setup-err-relay-too-long", ""));
    }
    let relay = RelayConfig {
        host,
        port,
        security,
        username,
        password,
    };
    if let Some(p) = relay.problem() {
        let id = match p {
            RelayProblem::Host => "setup-err-relay-host",
            RelayProblem::Port => "setup-err-relay-port",
            RelayProblem::Plain => "setup-err-relay-plain",
            RelayProblem::Login => "setup-err-relay-login",
        };
        let value = if p == RelayProblem::Port {
            relay.port.to_string()
        } else {
            relay.host.clone()
        };
        return Err(err(id, &value));
    }
    out.push((RELAY_KEY.to_string(), Some(relay.seal(&app.secrets))));
    Ok(out)
}

/// "dgp.punepolice.example", "https://dgp.punepolice.example/" or "10.0.0.5:8443" become
/// "https://dgp.punepolice.example" or "https://10.0.0.5:8443"; blank means "not set".
fn public_url(typed: &str) -> Result<Option<String>, &'static str> {
    if typed.is_empty() {
        return Ok(None);
    }
    if typed.starts_with("http://") {
        return Err("setup-err-public-http");
    }
    let host = typed
        .strip_prefix("https://")
        .unwrap_or(typed)
        .trim_end_matches('/');
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !ok {
        return Err("setup-err-public-host");
    }
    Ok(Some(format!("https://{}", host.to_ascii_lowercase())))
}

#[cfg(test)]
mod tests {
    use super::public_url;

    #[test]
    fn public_address_is_normalised() {
        assert_eq!(
            public_url("DGP.punepolice.example").unwrap().as_deref(),
            Some("https://dgp.punepolice.example")
        );
        assert_eq!(
            public_url("https://10.0.0.5:8443/").unwrap().as_deref(),
            Some("https://10.0.0.5:8443")
        );
        assert_eq!(public_url("").unwrap(), None);
        assert!(public_url("http://x.example").is_err());
        assert!(public_url("x.example/path?q").is_err());
        assert!(public_url("x example").is_err());
    }
}
