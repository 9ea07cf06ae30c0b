//! Starting a station: the data dir, database, keys and certificates, the HTTPS and redirect
//! listeners, and the background work (mail outbox, tidying, ACME).

pub mod app;
pub mod availability;
pub mod backup;
pub mod booking;
pub mod calls;
pub mod disk;
pub mod documents;
pub mod health;
pub mod hub_link;
pub mod mail;
pub mod officers;
pub mod replace;
pub mod retention;
pub mod setup;
pub mod tunnel;
pub mod turn;
pub mod update;
pub mod web;

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use vappoint_store::Store;

use crate::config::Config;
use crate::server::{ClientCerts, ServeArgs};
use crate::station::app::App;

/// Opens the station's database with its data key (`keys/data.key`, made on first start):
/// the key that seals reasons, notes and documents, kept apart from `secret.key` so either
/// can be moved off the card without the other.
pub fn open_store(data: &Path) -> anyhow::Result<Store> {
    crate::secrets::private_dir(data)?;
    crate::secrets::private_dir(&data.join("keys"))?;
    let path = data.join("vappoint.db");
    let key_path = data.join("keys/data.key");
    if !key_path.exists() && path.exists() && vappoint_store::holds_sealed_data(&path)? {
        anyhow::bail!(
            "{} is missing, and the database's reasons, notes and documents were sealed with it: \
             restore it from the backup (a new key would open none of them)",
            key_path.display()
        );
    }
    let key = crate::secrets::key_file(&key_path)?;
    let key = vappoint_store::seal::DataKey::from_bytes(&key)?;
    let store = Store::open(&path, &key)
        .with_context(|| format!("opening the database {}", path.display()))?;
    crate::secrets::private_db_files(&path)?;
    Ok(store)
}

/// Deletes uploaded files that no booking names: left behind when the box stopped between
/// writing an upload and committing its booking. Runs before the server takes requests.
fn remove_orphan_documents(dir: &Path, store: &Store) -> anyhow::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !store.document_stored(&name)? {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The box's own addresses other machines can reach, for the printed URLs.
fn lan_addresses() -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| !ip.is_loopback() && ip.is_ipv4())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn url_for(ip: IpAddr, port: u16) -> String {
    let host = match ip {
        IpAddr::V6(v6) => format!("[{v6}]"),
        IpAddr::V4(v4) => v4.to_string(),
    };
    if port == 443 {
        format!("https://{host}")
    } else {
        format!("https://{host}:{port}")
    }
}

/// Runs a station until SIGTERM or Ctrl-C.
/// First runs an installed update instead, if one is committed or on trial (see `update`).
/// A station that has just restored a replacement's files starts again on them in the same
/// process (same PID, so systemd and whoever started it keep following it).
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref())?;
    update::boot(&args.data, &config)?;
    let data = args.data.clone();
    let serving = async {
        let running = start(args).await?;
        tokio::spawn(update::watch_trial(running.app.clone(), running.https));
        Ok(running)
    };
    crate::server::run("serving", serving, |app: Arc<App>| async move {
        app.db(|s| s.has_admin()).await.is_ok()
    })?;
    if backup::replacement_waiting(&data) {
        use std::os::unix::process::CommandExt;
        tracing::info!("starting again on the restored station");
        let mut argv = std::env::args_os();
        let program = std::env::current_exe().context("finding this program")?;
        let err = std::process::Command::new(program)
            .args(argv.by_ref().skip(1))
            .exec();
        return Err(err).context("starting again on the restored station");
    }
    Ok(())
}

/// A station serving in this process (the binary runs one; tests may run several).
pub type Running = crate::server::Running<App>;

/// Opens the data dir, prints where to go, and starts serving.
pub async fn start(args: ServeArgs) -> anyhow::Result<Running> {
    let config = Config::load(args.config.as_deref())?;
    let data = args.data.clone();
    // A replacement box restored its station's files: they take the data directory's place
    // before anything opens it.
    if backup::finish_replacement(&data).context("moving the restored station into place")? {
        tracing::info!("this box now runs the restored station");
    }
    let listeners = crate::server::bind(&args)?;
    let https_local = listeners.https_addr;
    let http_local = listeners.http_addr;
    let lan = lan_addresses();
    let default_url = {
        let ip = if https_local.ip().is_unspecified() {
            lan.first().copied().unwrap_or(IpAddr::from([127, 0, 0, 1]))
        } else {
            https_local.ip()
        };
        url_for(ip, https_local.port())
    };
    let code_file = args
        .setup_code_file
        .clone()
        .unwrap_or_else(|| data.join("setup-code"));
    let app = Arc::new(App::open(config, &data, &default_url, code_file)?);
    let set_up = app.setup.is_done();
    if !set_up && args.setup_code_file.is_none() {
        crate::station::setup::ensure_code(app.setup.code_file())?;
    }
    let orphans = remove_orphan_documents(&data.join("documents"), &app.store)
        .context("tidying the documents folder")?;
    if orphans > 0 {
        tracing::info!(
            orphans,
            "removed uploads of bookings that were never acknowledged"
        );
    }
    let sealed = app
        .documents_dir()
        .seal_plain_files()
        .context("sealing the documents an older version kept in clear")?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed documents kept in clear");
    }
    let tls = &app.tls;

    // Before the listening lines, which tell a watching script the box is up.
    if !set_up {
        // Printed as written in its file (grouped for reading off a console).
        let code = std::fs::read_to_string(app.setup.code_file())
            .map(|c| c.trim().to_string())
            .unwrap_or_else(|e| format!("(none yet: {e})"));
        println!(
            "vappoint: not set up yet. From the station's network open {}/setup and enter the \
             set-up code {} (kept in {}).\n  \
             Or create the first admin here: vappoint officer add --data {} --name \"NAME\" \
             --rank \"Senior Police Inspector\" --email EMAIL --admin --password-stdin",
            app.default_url,
            code,
            app.setup.code_file().display(),
            data.display()
        );
    }

    println!("vappoint: https listening on {https_local}");
    println!("vappoint: http listening on {http_local}");
    println!(
        "vappoint: station \"{}\"; data in {}",
        app.profile().name,
        data.display()
    );
    println!(
        "vappoint: open {}/ (citizens) and {}/officer (officers)",
        app.public_url(),
        app.public_url()
    );
    if https_local.ip().is_unspecified() {
        for ip in lan.iter().skip(1) {
            println!(
                "vappoint: also reachable at {}/",
                url_for(*ip, https_local.port())
            );
        }
    }
    println!(
        "vappoint: certificate SHA-256 fingerprint {}",
        tls.fingerprint
    );
    match &app.profile().relay {
        Some(r) => println!("vappoint: mail goes through {}:{}", r.host, r.port),
        None => println!(
            "vappoint: no mail relay set; mail is written to {}",
            app.spool_dir().display()
        ),
    }
    tokio::spawn(crate::station::mail::run_worker(app.clone()));
    tokio::spawn(tidy(app.clone()));
    tokio::spawn(retention::run_hourly(app.clone()));
    tokio::spawn(backup::run_nightly(app.clone()));
    match crate::station::hub_link::load_link(&data)? {
        Some(link) => println!(
            "vappoint: reporting to the hub {} as {}",
            link.url, link.station
        ),
        None => tracing::info!(
            "not enrolled with a hub (vappoint station enroll); reporting starts when it is"
        ),
    }
    tokio::spawn(crate::station::hub_link::run(app.clone()));
    // The trusted certificate follows the mode: none on the LAN, `[public] host` in direct
    // mode, the hub's name for the box once enrolled in relay mode.
    let reach = app.clone();
    tokio::spawn(app.acme.clone().run(move || reach.public_host()));

    let router = crate::station::web::router(app.clone());
    let mut running = listeners.serve(
        app.clone(),
        router.clone(),
        &app.certs,
        ClientCerts::Ignored,
    )?;
    // In relay mode, citizens also arrive through the hub: the same TLS, the same router.
    let site = crate::server::stream::Site::new(running.tls_config.clone(), router);
    tokio::spawn(crate::station::tunnel::run(app.clone(), site));
    // Announced once the listeners are bound, with the port actually bound (tests ask for
    // port 0). The profile is read again later: the admin may set the code in the console.
    let current = app.clone();
    running.announce(&app.config.discovery, &tls.sha256, move || {
        let profile = current.profile();
        crate::discovery::Identity::station(&profile.name, &profile.code, &profile.zone)
    });
    Ok(running)
}

/// Every 20 seconds: fresh queue estimates for those waiting (the clock moves on). Once a
/// minute: forget recovered rate-limit keys, expired sessions, and join sessions and spooled
/// mail of past appointments.
async fn tidy(app: Arc<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(20));
    let mut n = 0u64;
    loop {
        tick.tick().await;
        for officer in app.calls.officers_online() {
            crate::station::calls::refresh(&app, officer).await;
        }
        // Also on the first round: a box restarted after days tidies at once.
        let due = n.is_multiple_of(3);
        n += 1;
        if !due {
            continue;
        }
        app.limits.tidy();
        let now = chrono::Utc::now();
        let idle = chrono::Duration::from_std(app.config.sessions.idle).unwrap_or_default();
        let max = chrono::Duration::from_std(app.config.sessions.max).unwrap_or_default();
        if let Err(e) = app
            .db(move |s| s.purge_sessions(now - idle, now - max))
            .await
        {
            tracing::warn!(error = %e, "purging sessions");
        }
        // A day after its appointment, a citizen's join cookie opens nothing.
        let ended = now - chrono::Duration::days(1);
        if let Err(e) = app.db(move |s| s.purge_join_sessions(ended)).await {
            tracing::warn!(error = %e, "purging join sessions");
        }
        // Mail that only sits in the spool (no relay) goes with its appointment, too.
        let week = now - chrono::Duration::days(7);
        match crate::station::mail::expire_spool(&app, ended, week).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "removed spooled mail of past appointments"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "expiring the spool"),
        }
        // An idempotency key serves a retry, which comes within minutes: a day is plenty.
        let old_keys = now - chrono::Duration::days(1);
        if let Err(e) = app.db(move |s| s.purge_idempotency_keys(old_keys)).await {
            tracing::warn!(error = %e, "purging idempotency keys");
        }
        if let Err(e) = app.db(move |s| s.purge_mail_counts(now)).await {
            tracing::warn!(error = %e, "purging mail counters");
        }
    }
}
