//! Replacing a dead station box: a brand-new box (still in set-up mode) fetches its station's
//! newest backup from the hub with a one-time replacement code, opens it with the recovery
//! key, stages the restored files, and takes over the station's enrolment with a certificate
//! of its own (the hub retires the old box's). The next start swaps the staged files in
//! (`backup::finish_replacement`). A wrong code or key leaves nothing behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use vappoint_wire::federation::{self as fed, BackupFetch, EnrollRequest, EnrollResponse};

use crate::federation::{enrol_key, mac, mac_matches, station_request};
use crate::secrets::write_private;
use crate::server::peer::HubCert;
use crate::station::backup::{self, STAGED, Summary};
use crate::station::hub_link::{HubLink, refusal_message};

/// Why a replacement did not happen; the set-up page says each in the person's language.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    #[error("the hub address must start with https://")]
    BadUrl,
    #[error("the hub could not be reached: {0}")]
    Unreachable(String),
    #[error("the hub refused the replacement code (wrong, used or expired)")]
    CodeRefused,
    #[error("the hub holds no backup of this station")]
    NoBackup,
    #[error("the recovery key does not open this station's backup")]
    WrongKey,
    #[error("the answer is not from the hub that issued the code")]
    NotTheHub,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A file removed however the replacement ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Staged files removed unless the replacement got as far as marking them whole.
struct Staging(PathBuf, bool);

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.1 {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The hub's message, or the status, of a refused request.
async fn refusal(resp: reqwest::Response) -> String {
    let status = resp.status();
    format!("{status}: {}", refusal_message(resp).await)
}

/// Restores station `station` from the hub at `url` into `data` (staged), authenticated by the
/// one-time `code`, and takes over its enrolment. The station must be restarted to run on it.
pub async fn replace(
    data: &Path,
    url: &str,
    station: &str,
    code: &str,
    key: &age::x25519::Identity,
) -> Result<Summary, ReplaceError> {
    let url = url.trim().trim_end_matches('/').to_string();
    if !url.starts_with("https://") {
        return Err(ReplaceError::BadUrl);
    }
    let station = station.trim().to_ascii_uppercase();
    let secret = enrol_key(code);
    let download = Scratch(data.join(".restore-download.age"));
    let hub_tls = fetch(data, &url, &station, &secret, &download.0).await?;

    // The key must open the file before anything is written where the station will live.
    let staged = Staging(data.join(STAGED), false);
    if staged.0.exists() {
        std::fs::remove_dir_all(&staged.0).map_err(anyhow::Error::from)?;
    }
    let (from, into, k) = (download.0.clone(), staged.0.clone(), key.clone());
    let summary = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&from)?;
        let summary = backup::restore(&into, file, &k)?;
        // The restored station numbers its messages afresh, as the hub now expects.
        let store = crate::station::open_store(&into)?;
        crate::station::hub_link::start_afresh(&store)?;
        anyhow::Ok(summary)
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(|e| {
        if e.downcast_ref::<backup::WrongKey>().is_some() {
            ReplaceError::WrongKey
        } else {
            ReplaceError::Other(e.context("restoring the backup"))
        }
    })?;

    take_over(data, &staged.0, &url, &station, &secret, &hub_tls).await?;
    backup::stage_ready(data)?;
    let mut staged = staged;
    staged.1 = true;
    Ok(summary)
}

/// Downloads the newest backup into `to`; returns the hub's TLS certificate hash, which its
/// answer proved with the code.
async fn fetch(
    data: &Path,
    url: &str,
    station: &str,
    secret: &[u8],
    to: &Path,
) -> Result<String, ReplaceError> {
    let nonce = data_encoding::HEXLOWER.encode(&rand::random::<[u8; 16]>());
    let request = BackupFetch {
        version: fed::VERSION,
        station: station.to_string(),
        mac: mac(secret, &["fetch", station, &nonce]),
        nonce: nonce.clone(),
    };
    let seen = Arc::new(HubCert::recording(crate::server::tls::provider()));
    let http = crate::station::hub_link::client(data, seen.clone(), false)?;
    let mut resp = http
        .post(format!("{url}/federation/v1/replace/backup"))
        .json(&request)
        .timeout(std::time::Duration::from_secs(6 * 3600))
        .send()
        .await
        .map_err(|e| ReplaceError::Unreachable(e.to_string()))?;
    match resp.status() {
        s if s.is_success() => {}
        reqwest::StatusCode::FORBIDDEN => return Err(ReplaceError::CodeRefused),
        reqwest::StatusCode::NOT_FOUND => return Err(ReplaceError::NoBackup),
        _ => return Err(ReplaceError::Unreachable(refusal(resp).await)),
    }
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (sha256, hub_tls, proof) = (
        header("x-vappoint-sha256"),
        header("x-vappoint-hub-tls"),
        header("x-vappoint-mac"),
    );
    if !mac_matches(
        secret,
        &["hub-backup", station, &nonce, &sha256, &hub_tls],
        &proof,
    ) {
        return Err(ReplaceError::NotTheHub);
    }
    let presented = seen.seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if presented.as_deref() != Some(hub_tls.as_str()) {
        return Err(ReplaceError::NotTheHub);
    }
    let mut file = std::fs::File::create(to).map_err(anyhow::Error::from)?;
    let mut hash = Sha256::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| ReplaceError::Unreachable(e.to_string()))?
    {
        hash.update(&chunk);
        file.write_all(&chunk).map_err(anyhow::Error::from)?;
    }
    file.sync_all().map_err(anyhow::Error::from)?;
    if data_encoding::HEXLOWER.encode(&hash.finalize()) != sha256 {
        return Err(ReplaceError::Unreachable(
            "the backup did not arrive whole".into(),
        ));
    }
    Ok(hub_tls)
}

/// Uses up the code: the hub signs this box's new certificate and retires the old box's. The
/// new keys and the hub's link go into the staged files, replacing the old box's.
async fn take_over(
    data: &Path,
    staged: &Path,
    url: &str,
    station: &str,
    secret: &[u8],
    hub_tls: &str,
) -> Result<(), ReplaceError> {
    let (keypair, csr) = station_request(station)?;
    let request = EnrollRequest {
        version: fed::VERSION,
        station: station.to_string(),
        mac: mac(secret, &["replace", station, &csr]),
        csr,
    };
    let pinned = Arc::new(HubCert::pinned(
        crate::server::tls::provider(),
        hub_tls.to_string(),
    ));
    let http = crate::station::hub_link::client(data, pinned, false)?;
    let resp = http
        .post(format!("{url}/federation/v1/replace"))
        .json(&request)
        .send()
        .await
        .map_err(|e| ReplaceError::Unreachable(e.to_string()))?;
    match resp.status() {
        s if s.is_success() => {}
        reqwest::StatusCode::FORBIDDEN => return Err(ReplaceError::CodeRefused),
        _ => return Err(ReplaceError::Unreachable(refusal(resp).await)),
    }
    let answer: EnrollResponse = resp
        .json()
        .await
        .map_err(|e| ReplaceError::Unreachable(e.to_string()))?;
    if answer.hub_tls_sha256 != hub_tls
        || !mac_matches(
            secret,
            &[
                "hub-replace",
                &answer.certificate,
                &answer.ca,
                &answer.hub_tls_sha256,
                answer.public_host.as_deref().unwrap_or(""),
            ],
            &answer.mac,
        )
    {
        return Err(ReplaceError::NotTheHub);
    }
    let d = staged.join("federation");
    write_private(&d.join("client.key"), keypair.serialize_pem().as_bytes())?;
    write_private(&d.join("client.pem"), answer.certificate.as_bytes())?;
    write_private(&d.join("ca.pem"), answer.ca.as_bytes())?;
    let link = HubLink {
        url: url.to_string(),
        station: station.to_string(),
        pinned: answer.hub_tls_sha256,
        public_host: answer.public_host,
        hubs: crate::station::hub_link::usable_hubs(&answer.hubs),
    };
    crate::station::hub_link::save_link(staged, &link)?;
    Ok(())
}
