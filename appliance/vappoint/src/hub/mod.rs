//! `vappoint hub`: the commissionerate's hub. Stations enrol once and push their figures over
//! mutual TLS; the hub shows citizens every station by zone, and the commissionerate its zone
//! reports (after login), with a JSON API under `/api/v1`.

mod ca;
mod console;
pub mod report;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use vappoint_store::{
    Aliases, DailyFigures, DayCounts, HubStore, HubUpdate, PushItem, PushRefusal, StoreError,
};
use vappoint_wire::federation::{self as fed, Body, EnrollRequest, EnrollResponse, Push, PushAck};

use ca::Ca;
pub use ca::station_request;

use crate::cli::StationArgs;
use crate::config::Config;
use crate::limits::RateLimits;
use crate::peer::{PeerCert, PeerCertAcceptor, fingerprint};
use crate::ui::{LANGS, Ui, fmt_date, fmt_time};

type HmacSha256 = Hmac<Sha256>;

pub struct HubApp {
    pub config: Config,
    pub store: Arc<HubStore>,
    pub ui: Ui,
    ca: Ca,
    /// SHA-256 (hex) of the hub's own TLS certificate, which stations pin.
    tls_sha256: String,
    pub tz: Tz,
    pub limits: RateLimits,
}

impl HubApp {
    pub async fn db<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&HubStore) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

/// The key both sides derive from a one-time enrolment code.
pub fn enrol_key(code: &str) -> Vec<u8> {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    let mut h = Sha256::new();
    h.update(b"vappoint enrol v1");
    h.update(normal.as_bytes());
    h.finalize().to_vec()
}

pub fn mac(key: &[u8], parts: &[&str]) -> String {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("any key length");
    for p in parts {
        m.update(p.as_bytes());
        m.update(b"\0");
    }
    data_encoding::HEXLOWER.encode(&m.finalize().into_bytes())
}

pub fn mac_matches(key: &[u8], parts: &[&str], given: &str) -> bool {
    let Ok(given) = data_encoding::HEXLOWER.decode(given.as_bytes()) else {
        return false;
    };
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("any key length");
    for p in parts {
        m.update(p.as_bytes());
        m.update(b"\0");
    }
    m.verify_slice(&given).is_ok()
}

/// A fresh one-time enrolment code: 80 random bits as four groups of four characters.
pub fn new_enrol_code() -> String {
    let bytes: [u8; 10] = rand::random();
    let s = data_encoding::BASE32_NOPAD.encode(&bytes);
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

pub fn open_store(data: &Path) -> anyhow::Result<HubStore> {
    std::fs::create_dir_all(data)
        .with_context(|| format!("creating the data folder {}", data.display()))?;
    let path = data.join("hub.db");
    HubStore::open(&path).with_context(|| format!("opening the hub database {}", path.display()))
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "hub request failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Something went wrong on the hub.",
    )
}

// ---- enrolment and pushes ----

async fn enroll(State(h): State<Arc<HubApp>>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<EnrollRequest>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The enrolment request could not be read.",
        );
    };
    if req.version != fed::VERSION || crate::config::validate_code(&req.station).is_err() {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Unknown protocol version or station code.",
        );
    }
    let cert = match h.ca.sign(&req.csr, &req.station) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_csr", &format!("{e:#}")),
    };
    let der = rustls::pki_types::pem::PemObject::from_pem_slice(cert.as_bytes())
        .map(|c: rustls::pki_types::CertificateDer<'static>| fingerprint(&c));
    let Ok(cert_sha) = der else {
        return internal("signed certificate does not parse");
    };
    let (station, csr, given) = (req.station.clone(), req.csr.clone(), req.mac.clone());
    let check = move |key: &[u8]| mac_matches(key, &["station", &station, &csr], &given);
    let code = req.station.clone();
    match h
        .db(move |s| s.enrol(&code, check, &cert_sha, Utc::now()))
        .await
    {
        Ok((station, key)) => {
            tracing::info!(station = %station.code, "station enrolled");
            let answer = mac(&key, &["hub", &cert, &h.ca.cert_pem, &h.tls_sha256]);
            Json(EnrollResponse {
                certificate: cert,
                ca: h.ca.cert_pem.clone(),
                hub_tls_sha256: h.tls_sha256.clone(),
                mac: answer,
            })
            .into_response()
        }
        Err(StoreError::Conflict(_)) => {
            tracing::warn!(station = %req.station, "enrolment refused");
            // The usual mistake: the code is good, but the hub registered it for another
            // station code than the one this station goes by. Say so, with both codes.
            match issued_for(&h, &req).await {
                Some(registered) => {
                    let message = format!(
                        "This enrolment code was issued for station {registered}, but this station's code is {}. \
                         Set the station's code to {registered} (Station page, or [station] code in its config file) \
                         and enrol again, or ask the hub to register {} instead.",
                        req.station, req.station
                    );
                    (
                        StatusCode::FORBIDDEN,
                        Json(json!({"error": {"code": "station_mismatch", "message": message, "registered": registered}})),
                    )
                        .into_response()
                }
                None => error(
                    StatusCode::FORBIDDEN,
                    "code_unusable",
                    "This enrolment code is wrong, used or expired. Ask the hub for a new one.",
                ),
            }
        }
        Err(e) => internal(e),
    }
}

/// The station code a refused enrolment's code was issued for, if it is another station's
/// usable code: the request's MAC is checked against each waiting code's key.
async fn issued_for(h: &Arc<HubApp>, req: &EnrollRequest) -> Option<String> {
    let pending = h.db(|s| s.pending_enrolments(Utc::now())).await.ok()?;
    pending
        .into_iter()
        .find(|(code, key)| {
            *code != req.station && mac_matches(key, &["station", &req.station, &req.csr], &req.mac)
        })
        .map(|(code, _)| code)
}

fn date(s: &str) -> Option<NaiveDate> {
    s.parse().ok()
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What a message asks the hub to record; `None` if its content is not plausible.
fn update_of(body: Body) -> Option<HubUpdate> {
    Some(match body {
        Body::Profile { name, officers, .. } => HubUpdate::Profile {
            name,
            officers: officers.into_iter().take(500).collect(),
        },
        Body::Availability { days, .. } => HubUpdate::Availability {
            days: days
                .into_iter()
                .take(50_000)
                .map(|d| {
                    Some(vappoint_store::AvailabilityRow {
                        officer_id: d.officer_id,
                        day: date(&d.date)?,
                        offered: d.offered,
                        free: d.free,
                        next_free: d.next_free.as_deref().and_then(time),
                    })
                })
                .collect::<Option<Vec<_>>>()?,
        },
        Body::Daily {
            date: d,
            officer_id,
            counts,
        } => HubUpdate::Daily(DailyFigures {
            day: date(&d)?,
            officer_id,
            counts: DayCounts {
                // Only the known categories: free text never reaches the hub's database.
                reasons: counts
                    .reasons
                    .into_iter()
                    .filter(|(k, _)| k.parse::<vappoint_domain::ReasonCategory>().is_ok())
                    .collect(),
                ..counts
            },
        }),
        Body::Heartbeat { .. } => HubUpdate::Heartbeat,
    })
}

async fn push(
    State(h): State<Arc<HubApp>>,
    Extension(PeerCert(cert)): Extension<PeerCert>,
    body: Bytes,
) -> Response {
    let Some(cert) = cert else {
        return error(
            StatusCode::UNAUTHORIZED,
            "certificate_required",
            "Pushes need the station's client certificate.",
        );
    };
    let station = match h.db(move |s| s.station_by_cert(&cert)).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "unknown_certificate",
                "This hub did not issue that certificate.",
            );
        }
        Err(e) => return internal(e),
    };
    if station.revoked {
        return error(
            StatusCode::FORBIDDEN,
            "revoked",
            "This station's enrolment was revoked.",
        );
    }
    let push: Push = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The push could not be read.",
            );
        }
    };
    if push.version != fed::VERSION {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_version",
            "Unknown protocol version.",
        );
    }
    if push.station != station.code {
        tracing::warn!(certificate_of = %station.code, claims = %push.station, "push for another station refused");
        return error(
            StatusCode::FORBIDDEN,
            "wrong_station",
            "This certificate belongs to another station.",
        );
    }
    if push.messages.len() > fed::MAX_MESSAGES {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many",
            "Too many messages in one push.",
        );
    }
    let mut items = Vec::with_capacity(push.messages.len());
    for m in push.messages {
        let raw = m.body.get();
        if data_encoding::HEXLOWER.encode(&Sha256::digest(raw.as_bytes())) != m.digest {
            return error(
                StatusCode::BAD_REQUEST,
                "tampered",
                "A message does not match its digest.",
            );
        }
        let Some(update) = serde_json::from_str::<Body>(raw).ok().and_then(update_of) else {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_body",
                "A message could not be read.",
            );
        };
        items.push(PushItem {
            seq: m.seq,
            digest: m.digest,
            update,
        });
    }
    let code = station.code.clone();
    match h.db(move |s| s.apply_push(&code, &items, Utc::now())).await {
        Ok(Ok(acked)) => Json(PushAck { acked }).into_response(),
        Ok(Err(PushRefusal::Replayed { seq })) => {
            tracing::warn!(station = %station.code, seq, "replayed message refused");
            error(StatusCode::CONFLICT, "replayed", "A different message was already received under that number.")
        }
        Ok(Err(PushRefusal::Gap { expected })) => (
            StatusCode::CONFLICT,
            Json(json!({"error": {"code": "gap", "message": "Messages are missing before these.", "expected": expected}})),
        )
            .into_response(),
        Err(e) => internal(e),
    }
}

// ---- public directory ----

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
                    json!({
                        "code": l.code, "name": l.name, "zone": l.zone, "localities": l.localities,
                        "aliases": l.aliases, "booking_url": l.booking_url, "times_shown": l.has_times,
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
        let entry = json!({
            "code": l.code, "name": l.name, "localities": l.localities, "booking_url": l.booking_url,
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

pub fn router(h: Arc<HubApp>) -> Router {
    Router::new()
        .route("/", get(directory))
        .route("/lang/{code}", get(crate::site::set_lang))
        .route("/static/{*path}", get(crate::site::static_file))
        .route("/favicon.ico", get(crate::site::favicon))
        .route("/api/v1/stations", get(stations_api))
        .route("/federation/v1/enroll", post(enroll))
        .route(
            "/federation/v1/push",
            post(push).layer(DefaultBodyLimit::max(fed::MAX_PUSH_BYTES)),
        )
        .merge(console::routes())
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(crate::site::security_headers))
        .with_state(h)
}

/// A hub serving in this process.
pub struct RunningHub {
    pub https: SocketAddr,
    pub http: SocketAddr,
    pub app: Arc<HubApp>,
    handle: axum_server::Handle,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// The mDNS announcement, while there is one (see `discovery.rs`).
    discovery: Option<crate::discovery::Announcer>,
}

impl RunningHub {
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(discovery) = self.discovery.take() {
            discovery.stop().await;
        }
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(10)));
        self.server.await??;
        Ok(())
    }
}

/// Runs a hub until SIGTERM or Ctrl-C.
pub fn run(args: StationArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let hub = start(args).await?;
        let app = hub.app.clone();
        crate::station::notify_ready(format!("hub serving on {}", hub.https), move || {
            let app = app.clone();
            async move { app.db(|s| s.admin_count()).await.is_ok() }
        });
        crate::station::shutdown_signal().await;
        crate::station::notify_stopping();
        tracing::info!("stopping");
        hub.stop().await
    })
}

pub async fn start(args: StationArgs) -> anyhow::Result<RunningHub> {
    let config = Config::load(args.config.as_deref())?;
    let data = args.data.clone();
    let store = open_store(&data)?;
    let tls = crate::tls::load_or_create(&data.join("tls"))?;
    let ca = Ca::load_or_create(&data.join("ca"), &config.hub.name)?;
    let tz = config.hub.time_zone;
    let (https, http) = crate::station::bind(&args)?;
    let (https_local, http_local) = (https.local_addr()?, http.local_addr()?);
    let admins = store.admin_count()?;
    let app = Arc::new(HubApp {
        limits: RateLimits::new(&config.limits),
        config,
        store: Arc::new(store),
        ui: Ui::load()?,
        ca,
        tls_sha256: tls.sha256.clone(),
        tz,
    });
    println!("vappoint: https listening on {https_local}");
    println!("vappoint: http listening on {http_local}");
    println!(
        "vappoint: hub \"{}\"; data in {}",
        app.config.hub.name,
        data.display()
    );
    println!(
        "vappoint: certificate SHA-256 fingerprint {}",
        tls.fingerprint
    );
    if admins == 0 {
        println!(
            "vappoint: no hub admin yet. Create one with:\n  vappoint hub add-admin --data {} --email EMAIL --password-stdin",
            data.display()
        );
    }
    crate::station::serve_redirect(http, https_local.port())?;
    let handle = axum_server::Handle::new();
    let acceptor = PeerCertAcceptor::new(axum_server::tls_rustls::RustlsAcceptor::new(
        axum_server::tls_rustls::RustlsConfig::from_config(tls.server_config(true)?),
    ));
    let server = axum_server::from_tcp(https)
        .acceptor(acceptor)
        .handle(handle.clone())
        .serve(router(app.clone()).into_make_service_with_connect_info::<SocketAddr>());
    let server = tokio::spawn(async move { server.await.context("the HTTPS server stopped") });
    // After the listeners are bound, with the port actually bound.
    let identity = crate::discovery::Identity::hub(&app.config.hub.name);
    let discovery =
        crate::discovery::announce(&app.config.discovery, https_local, &tls.sha256, move || {
            identity.clone()
        });
    Ok(RunningHub {
        https: https_local,
        http: http_local,
        app,
        handle,
        server,
        discovery,
    })
}

// ---- the CLI's hub commands ----

/// Registers a station and returns its one-time enrolment code (CLI and console).
#[allow(clippy::too_many_arguments)]
pub fn add_station(
    data: &Path,
    code: &str,
    name: &str,
    zone: &str,
    url: &str,
    localities: &[String],
    aliases: &Aliases,
    config: &Config,
) -> anyhow::Result<String> {
    register_with(
        &open_store(data)?,
        code,
        name,
        zone,
        url,
        localities,
        aliases,
        config,
    )
}

/// Parses `LANG=NAME` (e.g. `mr=कर्वे रस्ता`), a name people use in that language.
pub fn parse_alias(s: &str) -> anyhow::Result<(String, String)> {
    let (lang, name) = s.split_once('=').ok_or_else(|| {
        anyhow::anyhow!("an alias looks like mr=कर्वे रस्ता (language=name), not {s:?}")
    })?;
    let lang = lang.trim();
    if lang == "en" || crate::ui::known_lang(lang).is_none() {
        anyhow::bail!("aliases are in mr or hi, not {lang:?}");
    }
    Ok((lang.to_string(), name.to_string()))
}

/// Only known languages and clean names, at most 100 per language.
fn clean_aliases(aliases: &Aliases) -> Aliases {
    aliases
        .iter()
        .filter(|(lang, _)| crate::ui::known_lang(lang).is_some())
        .map(|(lang, names)| {
            let names: Vec<String> = names
                .iter()
                .filter_map(|n| vappoint_domain::clean_label(n, "Alias").ok())
                .take(100)
                .collect();
            (lang.clone(), names)
        })
        .filter(|(_, names)| !names.is_empty())
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn register_with(
    store: &HubStore,
    code: &str,
    name: &str,
    zone: &str,
    url: &str,
    localities: &[String],
    aliases: &Aliases,
    config: &Config,
) -> anyhow::Result<String> {
    let code = code.trim().to_ascii_uppercase();
    crate::config::validate_code(&code)?;
    let name = vappoint_domain::clean_label(name, "Name").map_err(|m| anyhow::anyhow!(m))?;
    let zone = vappoint_domain::clean_label(zone, "Zone").map_err(|m| anyhow::anyhow!(m))?;
    let url = url.trim();
    if !url.starts_with("https://") || url.len() > 300 {
        anyhow::bail!("the booking URL must start with https://");
    }
    let localities: Vec<String> = localities
        .iter()
        .filter_map(|l| vappoint_domain::clean_label(l, "Locality").ok())
        .take(100)
        .collect();
    let code_text = new_enrol_code();
    let now = Utc::now();
    let expires = now + chrono::Duration::from_std(config.hub.code_valid)?;
    store
        .register_station(
            &code,
            &name,
            &zone,
            url,
            &localities,
            &clean_aliases(aliases),
            &enrol_key(&code_text),
            expires,
            now,
        )
        .map_err(|e| match e {
            StoreError::Conflict(_) => anyhow::anyhow!(
                "station {code} is already enrolled; revoke it first to enrol it again"
            ),
            e => anyhow::Error::new(e),
        })?;
    Ok(code_text)
}

pub fn revoke_station(data: &Path, code: &str) -> anyhow::Result<()> {
    open_store(data)?
        .revoke(&code.to_ascii_uppercase(), Utc::now())
        .map_err(|e| match e {
            StoreError::NotFound => anyhow::anyhow!("no station {code} to revoke"),
            e => anyhow::Error::new(e),
        })
}

pub fn add_admin(data: &Path, email: &str, password: &str) -> anyhow::Result<i64> {
    if !vappoint_domain::booking::valid_email(email) {
        anyhow::bail!("{email:?} is not an email address");
    }
    if password.chars().count() < crate::console::password::MIN_PASSWORD {
        anyhow::bail!(
            "the password needs at least {} characters",
            crate::console::password::MIN_PASSWORD
        );
    }
    let hash = crate::console::password::hash_password(password)?;
    open_store(data)?
        .add_admin(email, &hash, Utc::now())
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                anyhow::anyhow!("an admin with the email {email} already exists")
            }
            e => anyhow::Error::new(e),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_codes_and_macs() {
        let code = new_enrol_code();
        assert_eq!(code.len(), 19, "{code}");
        // Typed in lower case or without dashes, the code gives the same key.
        assert_eq!(
            enrol_key(&code),
            enrol_key(&code.replace('-', "").to_lowercase())
        );
        let k = enrol_key(&code);
        let m = mac(&k, &["station", "DGP", "csr"]);
        assert!(mac_matches(&k, &["station", "DGP", "csr"], &m));
        assert!(!mac_matches(&k, &["station", "DGQ", "csr"], &m));
        // Parts cannot be shifted across the separator.
        assert_ne!(mac(&k, &["ab", "c"]), mac(&k, &["a", "bc"]));
        assert!(!mac_matches(
            &enrol_key("OTHER-CODE"),
            &["station", "DGP", "csr"],
            &m
        ));
    }
}
