//! `vappoint hub`: the commissionerate's hub. Stations enrol once and push their figures over
//! mutual TLS; the hub shows citizens every station by zone, and the commissionerate its zone
//! reports (after login), with a JSON API under `/api/v1`.

pub mod admin;
pub mod backups;
mod ca;
mod chart;
mod console;
mod directory;
mod health;
mod identity;
mod push;
pub mod relay;
pub mod report;
mod turn;
pub mod updates;

use std::sync::Arc;

use anyhow::Context;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono_tz::Tz;
use serde_json::json;
use vappoint_store::{HubStore, StoreError};

use admin::{open_store, register_with};
use ca::Ca;

use crate::config::Config;
use crate::limits::RateLimits;
use crate::server::{ClientCerts, ServeArgs};
use crate::ui::Ui;

/// What every hub request shares: configuration, database, pages, the CA and rate limits.
pub struct HubApp {
    pub config: Config,
    pub store: Arc<HubStore>,
    pub ui: Ui,
    ca: Ca,
    /// SHA-256 (hex) of the hub's own TLS certificate, which stations pin.
    tls_sha256: String,
    pub tz: Tz,
    pub limits: RateLimits,
    /// The hub's certificates: the self-signed one stations pinned, and the trusted one of
    /// `[public] host`, which `acme` gets and renews.
    pub certs: Arc<crate::server::certs::Certs>,
    pub acme: Arc<crate::server::acme::Acme>,
    /// The stations' tunnels (empty when `[relay] domain` is not set).
    pub relay: Arc<relay::Relay>,
    /// The hub's data folder (stations' backups are in `backups/`).
    pub data_dir: std::path::PathBuf,
}

impl HubApp {
    pub async fn db<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&HubStore) -> Result<T, StoreError> + Send + 'static,
    {
        crate::db::blocking(&self.store, f).await
    }
}

/// The hub API's error answer: `{"error": {"code", "message"}}` with `status`.
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

pub fn router(h: Arc<HubApp>) -> Router {
    Router::new()
        .route("/lang/{code}", get(crate::site::set_lang))
        .route("/static/{*path}", get(crate::site::static_file))
        .route("/favicon.ico", get(crate::site::favicon))
        .route("/metrics", get(health::metrics))
        .merge(directory::routes())
        .merge(push::routes())
        .merge(backups::routes())
        .merge(turn::routes())
        .merge(updates::routes())
        .merge(relay::routes())
        .merge(console::routes(h.clone()))
        .layer(axum::middleware::from_fn_with_state(
            h.clone(),
            relay::no_station,
        ))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(crate::site::security_headers))
        .with_state(h)
}

/// A hub serving in this process.
pub type RunningHub = crate::server::Running<HubApp>;

/// Runs a hub until SIGTERM or Ctrl-C.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    crate::server::run("hub serving", start(args), |app: Arc<HubApp>| async move {
        app.db(|s| s.admin_count()).await.is_ok()
    })
}

/// Opens the hub's data dir, prints where it serves, and starts serving.
pub async fn start(args: ServeArgs) -> anyhow::Result<RunningHub> {
    let config = Config::load(args.config.as_deref())?;
    let data = args.data.clone();
    // On the blocking pool, like every store call: a PostgreSQL client may not block a
    // runtime thread. The CA and the pinned certificate are the database's, shared by every
    // hub process.
    let (store, admins, identity::Identity { tls, ca }) = {
        let (data, config) = (data.clone(), config.clone());
        tokio::task::spawn_blocking(move || {
            let store = open_store(&data, &config)?;
            let admins = store.admin_count()?;
            backups::tidy(&data, &store).context("tidying the stations' backups")?;
            let identity = identity::load_or_create(&store, &data, &config.hub.name)?;
            anyhow::Ok((Arc::new(store), admins, identity))
        })
        .await??
    };
    let certs = crate::server::certs::Certs::load(&tls, &data.join("tls"))?;
    if let Some(domain) = &config.relay.domain {
        // Plain HTTP for a station's name is sent on to HTTPS at that name (the relay).
        certs.set_relayed(format!("*.{domain}"));
    }
    let acme =
        crate::server::acme::Acme::new(config.acme.clone(), &data.join("tls"), certs.clone());
    let tz = config.hub.time_zone;
    let listeners = crate::server::bind(&args)?;
    let app = Arc::new(HubApp {
        relay: relay::Relay::new(
            config.relay.domain.as_deref(),
            config.public.host.as_deref(),
            store.clone(),
        ),
        limits: RateLimits::new(&config.limits),
        config,
        store,
        ui: Ui::load()?,
        ca,
        tls_sha256: tls.sha256.clone(),
        tz,
        certs,
        acme,
        data_dir: data.clone(),
    });
    let host = app.config.public.host.clone();
    tokio::spawn(app.acme.clone().run(move || host.clone()));
    println!("vappoint: https listening on {}", listeners.https_addr);
    println!("vappoint: http listening on {}", listeners.http_addr);
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
    // With a relay domain, connections for station names are passed through undecrypted.
    let listeners = if let Some(domain) = &app.config.relay.domain {
        println!("vappoint: relaying stations at *.{domain}");
        tokio::spawn(app.relay.clone().watch_revocations());
        listeners.with_passthrough(app.relay.clone())
    } else {
        listeners
    };
    // Stations present their client certificate on pushes and tunnels.
    let mut running = listeners.serve(
        app.clone(),
        router(app.clone()),
        &app.certs,
        ClientCerts::Optional,
    )?;
    // After the listeners are bound, with the port actually bound.
    let identity = crate::discovery::Identity::hub(&app.config.hub.name);
    running.announce(&app.config.discovery, &tls.sha256, move || identity.clone());
    Ok(running)
}
