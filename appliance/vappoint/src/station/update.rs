//! The box's own updates: two binary slots in `DATA/update/slots/{a,b}`, the start that runs
//! the right one, the trial of a new version (healthy within `[update] health_window`, or
//! rolled back), installing a bundle (offered by the hub or uploaded in the console), and the
//! status the health report carries.
//!
//! `/usr/bin/vappoint` (the factory binary, read-only under systemd's `ProtectSystem=strict`)
//! stays the unit's `ExecStart`. At start it reads `DATA/update/state.json` and `exec`s the
//! slot it names, in the same process: the PID and `NOTIFY_SOCKET` stay, so `Type=notify` and
//! the watchdog work unchanged. The slot is told by `VAPPOINT_SLOT` that it was started that
//! way and never execs again. A slot on trial that stops three times, or is not healthy when
//! the window ends, is rolled back by the next start: the state records why, and the
//! committed slot (or the factory binary) runs.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vappoint_wire::federation::{UpdateOffer, UpdateStatus};

use crate::config::Config;
use crate::release::{self, Check, Manifest, PublicKey, ReleaseError};
use crate::station::app::App;

/// A trial that stopped this many times before it was healthy is given up.
pub const MAX_TRIAL_STARTS: u32 = 3;
/// Set on the slot's process by the factory binary that `exec`s it.
const SLOT_ENV: &str = "VAPPOINT_SLOT";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Slot {
    A,
    B,
}

impl Slot {
    fn name(self) -> &'static str {
        match self {
            Slot::A => "a",
            Slot::B => "b",
        }
    }

    fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }
}

/// A slot and the version its manifest names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    pub slot: Slot,
    pub version: String,
}

/// A new version proving itself: `since` is its first start, `starts` how often it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trial {
    pub slot: Slot,
    pub version: String,
    pub since: Option<DateTime<Utc>>,
    pub starts: u32,
}

/// `DATA/update/state.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The committed slot; none: the factory binary runs.
    pub active: Option<Installed>,
    pub trial: Option<Trial>,
    /// How the last update ended (`ok` or `failed`), for the health report.
    pub last: Option<UpdateStatus>,
}

/// Why an update is not installed; the console shows each in the person's language.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Bundle(#[from] ReleaseError),
    #[error("an update is already on trial; wait until it is committed or rolled back")]
    OnTrial,
    #[error("another update is being installed")]
    Busy,
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

fn dir(data: &Path) -> PathBuf {
    data.join("update")
}

fn slot_dir(data: &Path, slot: Slot) -> PathBuf {
    dir(data).join("slots").join(slot.name())
}

pub fn load_state(data: &Path) -> anyhow::Result<State> {
    let path = dir(data).join("state.json");
    match std::fs::read(&path) {
        Ok(b) => {
            serde_json::from_slice(&b).with_context(|| format!("{} is damaged", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Written beside and renamed over, fsynced: a power cut leaves the old state or the new.
fn save_state(data: &Path, state: &State) -> anyhow::Result<()> {
    crate::secrets::write_private(
        &dir(data).join("state.json"),
        &serde_json::to_vec_pretty(state)?,
    )
}

/// What this process runs: the factory binary, or a slot (with its manifest's version).
struct Running {
    slot: Option<Slot>,
    version: semver::Version,
}

static RUNNING: OnceLock<Running> = OnceLock::new();

fn factory_version() -> semver::Version {
    semver::Version::parse(env!("CARGO_PKG_VERSION")).expect("the crate's version is semver")
}

/// The version this process runs: a slot's signed manifest's, else the factory binary's.
pub fn running_version() -> semver::Version {
    RUNNING
        .get()
        .map_or_else(factory_version, |r| r.version.clone())
}

fn running_slot() -> Option<Slot> {
    RUNNING.get().and_then(|r| r.slot)
}

/// What the next start runs, updating `state` (a trial's starts, or its rollback): pure, so
/// the rules are tested without processes.
pub fn decide(
    state: &mut State,
    now: DateTime<Utc>,
    window: Duration,
    factory: &semver::Version,
) -> Option<Slot> {
    if let Some(t) = &mut state.trial {
        let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
        let reason = if t.starts >= MAX_TRIAL_STARTS {
            Some(format!(
                "it stopped {} times before it was healthy",
                t.starts
            ))
        } else if t.since.is_some_and(|s| now - s > window) {
            Some(format!(
                "it was not healthy within {}",
                humantime::format_duration(window.to_std().unwrap_or_default())
            ))
        } else {
            None
        };
        match reason {
            Some(reason) => fail_trial(state, reason),
            None => {
                t.starts += 1;
                t.since.get_or_insert(now);
                return Some(t.slot);
            }
        }
    }
    // A factory binary newer than the committed slot (a new image) wins.
    state
        .active
        .as_ref()
        .filter(|a| semver::Version::parse(&a.version).is_ok_and(|v| v > *factory))
        .map(|a| a.slot)
}

fn fail_trial(state: &mut State, reason: String) {
    if let Some(t) = state.trial.take() {
        tracing::error!(version = %t.version, %reason, "update failed; rolled back");
        state.last = Some(UpdateStatus::Failed {
            version: t.version,
            reason,
        });
    }
}

fn read_manifest(data: &Path, slot: Slot) -> Option<Manifest> {
    let bytes = std::fs::read(slot_dir(data, slot).join("manifest.json")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// At the start of `vappoint station`, before anything else: runs the slot the state names
/// (`exec`: returns only if this process stays), counting and judging trials.
pub fn boot(data: &Path, config: &Config) -> anyhow::Result<()> {
    if let Ok(name) = std::env::var(SLOT_ENV) {
        // Started by the factory binary: report the slot's signed version, never exec again.
        let slot = if name == "b" { Slot::B } else { Slot::A };
        let manifest =
            read_manifest(data, slot).context("the running slot has no readable manifest")?;
        let _ = RUNNING.set(Running {
            slot: Some(slot),
            version: manifest.semver()?,
        });
        return Ok(());
    }
    let _ = RUNNING.set(Running {
        slot: None,
        version: factory_version(),
    });
    loop {
        let mut state = match load_state(data) {
            Ok(s) => s,
            Err(e) => {
                // The factory binary is always a safe choice.
                tracing::error!(error = %format!("{e:#}"), "update state unreadable; running the factory binary");
                return Ok(());
            }
        };
        let before = state.clone();
        let chosen = decide(
            &mut state,
            Utc::now(),
            config.update.health_window,
            &factory_version(),
        );
        if state != before {
            save_state(data, &state)?;
        }
        let Some(slot) = chosen else {
            return Ok(());
        };
        let binary = slot_dir(data, slot).join("vappoint");
        // The slot reports its manifest's version: without one it would not start at all.
        let error = if read_manifest(data, slot).is_none() {
            std::io::Error::other("its manifest is missing")
        } else {
            tracing::info!(slot = slot.name(), "starting the installed update");
            std::process::Command::new(&binary)
                .args(std::env::args_os().skip(1))
                .env(SLOT_ENV, slot.name())
                .exec()
        };
        // Still here: the slot cannot be run at all. A trial fails now; a committed slot
        // that broke gives way to the factory binary.
        tracing::error!(slot = slot.name(), %error, "the installed update cannot be started");
        if state.trial.as_ref().is_some_and(|t| t.slot == slot) {
            fail_trial(&mut state, format!("it cannot be started: {error}"));
        } else {
            state.active = None;
        }
        save_state(data, &state)?;
    }
}

/// The version being downloaded and installed, while it is.
static INSTALLING: Mutex<Option<String>> = Mutex::new(None);

/// The update state for the health report: installing, on trial, or how the last one ended.
pub fn status(app: &App) -> Option<UpdateStatus> {
    if let Some(version) = INSTALLING.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        return Some(UpdateStatus::Installing { version });
    }
    let state = load_state(&app.data_dir).ok()?;
    match state.trial {
        Some(t) => Some(UpdateStatus::Trial { version: t.version }),
        None => state.last,
    }
}

/// Holds the installing mark; cleared when dropped, whatever happened.
struct Installing;

impl Installing {
    fn start(version: &str) -> Result<Installing, UpdateError> {
        let mut current = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
        if current.is_some() {
            return Err(UpdateError::Busy);
        }
        *current = Some(version.to_string());
        Ok(Installing)
    }
}

impl Drop for Installing {
    fn drop(&mut self) {
        *INSTALLING.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Checks the bundle file (the configured key, this box's CPU, newer than what runs) and
/// installs it into the slot not in use, as a trial for the next start. The caller restarts
/// the station (`crate::server::request_stop`) to begin the trial. Blocking (hashes the file).
pub fn install(app: &App, bundle: &Path) -> Result<Manifest, UpdateError> {
    let data = &app.data_dir;
    let key = PublicKey::load(&app.config.update.public_key)?;
    let mut state = load_state(data)?;
    if state.trial.is_some() {
        return Err(UpdateError::OnTrial);
    }
    // The slot the committed version is not in (this process may run either, or neither).
    let slot = state.active.as_ref().map_or(Slot::A, |a| a.slot.other());
    let running = running_version();
    let check = Check {
        key: &key,
        arch: Some(release::this_arch()),
        newer_than: Some(&running),
    };
    let manifest = release::install(bundle, &check, &slot_dir(data, slot))?;
    state.trial = Some(Trial {
        slot,
        version: manifest.version.clone(),
        since: None,
        starts: 0,
    });
    save_state(data, &state)?;
    tracing::info!(version = %manifest.version, slot = slot.name(), "update installed; restarting into its trial");
    Ok(manifest)
}

/// An uploaded bundle (the console): installed under the installing mark.
pub fn install_uploaded(app: &App, bundle: &Path) -> Result<Manifest, UpdateError> {
    let _mark = Installing::start("upload")?;
    install(app, bundle)
}

/// An offer in the hub's answer to a push: fetched and installed when it is for this CPU,
/// newer than what runs, and not the version that already failed here; then the station
/// restarts into the trial. Runs as its own task: the pusher does not wait for a download.
pub async fn take_offers(
    app: Arc<App>,
    http: reqwest::Client,
    hub: String,
    offers: Vec<UpdateOffer>,
) {
    let Some(offer) = offers.into_iter().find(|o| o.arch == release::this_arch()) else {
        return;
    };
    let newer = semver::Version::parse(&offer.version).is_ok_and(|v| v > running_version());
    let state = load_state(&app.data_dir).unwrap_or_default();
    let failed_here = matches!(&state.last, Some(UpdateStatus::Failed { version, .. }) if *version == offer.version);
    if !newer || failed_here || state.trial.is_some() || offer.size > release::MAX_BUNDLE_BYTES {
        return;
    }
    let Ok(_mark) = Installing::start(&offer.version) else {
        return;
    };
    let started = std::time::Instant::now();
    let file = dir(&app.data_dir).join("download.partial");
    let result = async {
        download(&http, &hub, &offer, &file).await?;
        let (app, path) = (app.clone(), file.clone());
        tokio::task::spawn_blocking(move || install(&app, &path))
            .await
            .context("the install task failed")?
            .map_err(anyhow::Error::new)
    }
    .await;
    let _ = std::fs::remove_file(&file);
    match result {
        Ok(m) => {
            println!(
                "vappoint: update {} downloaded and installed in {:.1} s; restarting into it",
                m.version,
                started.elapsed().as_secs_f64()
            );
            crate::server::request_stop();
        }
        Err(e) => {
            // Recorded, so the hub sees it and the box does not fetch it again and again.
            tracing::error!(version = %offer.version, error = %format!("{e:#}"), "the offered update was not installed");
            let mut state = load_state(&app.data_dir).unwrap_or_default();
            state.last = Some(UpdateStatus::Failed {
                version: offer.version.clone(),
                reason: format!("{e:#}"),
            });
            if let Err(e) = save_state(&app.data_dir, &state) {
                tracing::error!(error = %format!("{e:#}"), "recording the failed update");
            }
        }
    }
}

/// Streams the bundle from the hub (mutual TLS) into `file`, checking its size and hash.
async fn download(
    http: &reqwest::Client,
    hub: &str,
    offer: &UpdateOffer,
    file: &Path,
) -> anyhow::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut resp = http
        .get(format!("{hub}/federation/v1/updates/{}", offer.id))
        .timeout(Duration::from_secs(30 * 60))
        .send()
        .await
        .context("reaching the hub for the update")?
        .error_for_status()
        .context("the hub refused the update's download")?;
    tokio::fs::create_dir_all(dir_of(file)).await?;
    let mut out = tokio::fs::File::create(file).await?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut size = 0u64;
    while let Some(chunk) = resp.chunk().await.context("downloading the update")? {
        size += chunk.len() as u64;
        anyhow::ensure!(size <= offer.size, "the download is larger than offered");
        ctx.update(&chunk);
        out.write_all(&chunk).await?;
    }
    out.sync_all().await?;
    let sha = data_encoding::HEXLOWER.encode(ctx.finish().as_ref());
    anyhow::ensure!(
        size == offer.size && sha == offer.id,
        "the download does not match the offer (damaged on the way)"
    );
    Ok(())
}

fn dir_of(file: &Path) -> &Path {
    file.parent().unwrap_or(Path::new("."))
}

/// In a slot on trial: checks health every second; when the window ends, commits the slot if
/// the box is healthy (its own HTTPS answers, its database answers, so the watchdog is fed;
/// the migrations were applied when the store opened), else records the failure and stops,
/// so the next start runs the version before.
pub async fn watch_trial(app: Arc<App>, https: std::net::SocketAddr) {
    let Some(me) = running_slot() else { return };
    let Some(trial) = load_state(&app.data_dir)
        .ok()
        .and_then(|s| s.trial)
        .filter(|t| t.slot == me)
    else {
        return;
    };
    let window = chrono::Duration::from_std(app.config.update.health_window)
        .unwrap_or(chrono::Duration::MAX);
    let deadline = trial.since.unwrap_or_else(Utc::now) + window;
    let target = std::net::SocketAddr::new(
        if https.ip().is_unspecified() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            https.ip()
        },
        https.port(),
    );
    let client = match self_client(&app) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "cannot check this version's health");
            return;
        }
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let verdict = healthy(&app, &client, target).await;
        if Utc::now() < deadline {
            continue;
        }
        let result = (|| {
            let mut state = load_state(&app.data_dir)?;
            if state.trial.as_ref().is_none_or(|t| t.slot != me) {
                return Ok(false);
            }
            match &verdict {
                Ok(()) => {
                    state.trial = None;
                    state.active = Some(Installed {
                        slot: me,
                        version: trial.version.clone(),
                    });
                    state.last = Some(UpdateStatus::Ok {
                        version: trial.version.clone(),
                    });
                }
                Err(why) => fail_trial(&mut state, format!("it was not healthy: {why}")),
            }
            save_state(&app.data_dir, &state)?;
            anyhow::Ok(true)
        })();
        match (result, verdict) {
            (Ok(true), Ok(())) => {
                tracing::info!(version = %trial.version, "update healthy through its trial; committed");
            }
            (Ok(true), Err(_)) => crate::server::request_stop(),
            (Ok(false), _) => {}
            (Err(e), _) => tracing::error!(error = %format!("{e:#}"), "recording the trial's end"),
        }
        return;
    }
}

/// An HTTPS client that trusts only this box's own certificate.
fn self_client(app: &App) -> anyhow::Result<reqwest::Client> {
    let verifier = crate::server::peer::HubCert::pinned(
        crate::server::tls::provider(),
        app.tls.sha256.clone(),
    );
    let mut tls = rustls::ClientConfig::builder_with_provider(crate::server::tls::provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // `vappoint-fed/1` asks for the self-signed certificate whatever else the box serves.
    tls.alpn_protocols = vec![b"http/1.1".to_vec(), b"vappoint-fed/1".to_vec()];
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(5))
        .build()?)
}

async fn healthy(
    app: &Arc<App>,
    client: &reqwest::Client,
    at: std::net::SocketAddr,
) -> Result<(), String> {
    let resp = client
        .get(format!("https://{at}/"))
        .send()
        .await
        .map_err(|e| format!("its HTTPS does not answer ({e})"))?;
    if resp.status().is_server_error() {
        return Err(format!("its HTTPS answers {}", resp.status()));
    }
    app.db(|s| s.has_admin())
        .await
        .map_err(|e| format!("its database does not answer ({e})"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    const WINDOW: Duration = Duration::from_secs(60);

    #[test]
    fn a_trial_runs_three_times_then_rolls_back_to_the_committed_slot() {
        let now = Utc::now();
        let mut state = State {
            active: Some(Installed {
                slot: Slot::A,
                version: "0.2.0".into(),
            }),
            trial: Some(Trial {
                slot: Slot::B,
                version: "0.3.0".into(),
                since: None,
                starts: 0,
            }),
            last: None,
        };
        for n in 1..=3 {
            assert_eq!(decide(&mut state, now, WINDOW, &v("0.1.0")), Some(Slot::B));
            assert_eq!(state.trial.as_ref().unwrap().starts, n);
        }
        assert_eq!(decide(&mut state, now, WINDOW, &v("0.1.0")), Some(Slot::A));
        assert!(state.trial.is_none());
        assert!(
            matches!(&state.last, Some(UpdateStatus::Failed { version, reason })
            if version == "0.3.0" && reason.contains("3 times"))
        );
    }

    #[test]
    fn a_trial_past_its_window_rolls_back_to_the_factory_binary() {
        let now = Utc::now();
        let mut state = State {
            trial: Some(Trial {
                slot: Slot::A,
                version: "0.2.0".into(),
                since: Some(now - chrono::Duration::seconds(61)),
                starts: 1,
            }),
            ..State::default()
        };
        assert_eq!(decide(&mut state, now, WINDOW, &v("0.1.0")), None);
        assert!(
            matches!(&state.last, Some(UpdateStatus::Failed { reason, .. }) if reason.contains("1m"))
        );
    }

    #[test]
    fn a_newer_factory_binary_wins_over_the_committed_slot() {
        let mut state = State {
            active: Some(Installed {
                slot: Slot::B,
                version: "0.2.0".into(),
            }),
            ..State::default()
        };
        assert_eq!(
            decide(&mut state, Utc::now(), WINDOW, &v("0.1.0")),
            Some(Slot::B)
        );
        assert_eq!(decide(&mut state, Utc::now(), WINDOW, &v("0.2.0")), None);
        assert_eq!(
            decide(&mut State::default(), Utc::now(), WINDOW, &v("0.1.0")),
            None
        );
    }
}
