//! Stations' backups at the hub and replacing a dead box. A station uploads its nightly
//! backup over mutual TLS (`PUT /federation/v1/backup`); the hub keeps the newest
//! `[backup] keep_on_hub` per station as files it cannot read (age, to the station's recovery
//! key, which never reaches the hub), and refuses anything larger than `max_mb` or not an age
//! file. A brand-new box with a one-time replacement code (`vappoint hub replacement-code`,
//! or the Stations page) fetches the newest one, then takes over the station: the hub signs
//! its new certificate and retires the old one, so the old box is refused from then on.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use chrono::Utc;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use vappoint_store::StoreError;
use vappoint_wire::federation::{self as fed, BackupFetch};

use super::push::{enrolled_station, enrolment_answer, read_code_request, sign_csr};
use super::{HubApp, error, internal};
use crate::federation::{enrol_key, mac, mac_matches, new_enrol_code};
use crate::server::peer::PeerCert;

/// Every age file begins so; anything else is not a backup (and might be data in clear).
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// How long a replacement code stays usable.
pub const REPLACEMENT_CODE_VALID: chrono::Duration = chrono::Duration::hours(24);

/// The headers of a replacement box's download: the file's SHA-256, the hub's TLS
/// certificate, and the MAC that binds both to the code and the box's nonce.
pub const SHA256_HEADER: &str = "x-vappoint-sha256";
pub const HUB_TLS_HEADER: &str = "x-vappoint-hub-tls";
pub const MAC_HEADER: &str = "x-vappoint-mac";

pub(super) fn routes() -> Router<Arc<HubApp>> {
    Router::new()
        .route(
            "/federation/v1/backup",
            put(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/federation/v1/backups", get(list))
        .route("/federation/v1/backups/{id}", get(download))
        .route("/federation/v1/replace/backup", post(fetch_for_replacement))
        .route("/federation/v1/replace", post(replace))
}

fn dir(data: &Path) -> PathBuf {
    data.join("backups")
}

/// Makes a one-time replacement code for an enrolled station: the CLI's and the console's.
pub fn new_replacement_code(
    store: &vappoint_store::HubStore,
    station: &str,
) -> anyhow::Result<String> {
    let code = new_enrol_code();
    let expires = Utc::now() + REPLACEMENT_CODE_VALID;
    match store.set_replacement_code(station, &enrol_key(&code), expires) {
        Ok(()) => Ok(code),
        Err(StoreError::NotFound) => anyhow::bail!("no station {station}"),
        Err(StoreError::Conflict(_)) => {
            anyhow::bail!("station {station} is not enrolled (or was revoked): enrol it instead")
        }
        Err(e) => Err(e.into()),
    }
}

fn stored(b: &vappoint_store::StoredBackup) -> fed::StoredBackup {
    fed::StoredBackup {
        id: b.id,
        bytes: b.bytes,
        sha256: b.sha256.clone(),
        stored_at: b.stored_at.to_rfc3339(),
    }
}

/// A station's backup, streamed into a new file with its size capped and its SHA-256 taken;
/// recorded once whole, the oldest beyond `keep_on_hub` deleted.
async fn upload(
    State(h): State<Arc<HubApp>>,
    Extension(PeerCert(cert)): Extension<PeerCert>,
    body: Body,
) -> Response {
    let station = match enrolled_station(&h, cert).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let folder = dir(&h.data_dir).join(&station.code);
    let name = format!(
        "{}-{}.age",
        Utc::now().format("%Y%m%dT%H%M%S"),
        data_encoding::HEXLOWER.encode(&rand::random::<[u8; 6]>())
    );
    let partial = folder.join(format!(".{name}.partial"));
    let max = h.config.backup.max_mb * 1024 * 1024;
    let received = receive(body, &folder, &partial, max).await;
    let (bytes, sha256) = match received {
        Ok(Ok(r)) => r,
        Ok(Err(refusal)) => {
            let _ = tokio::fs::remove_file(&partial).await;
            return refusal;
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            tracing::warn!(station = %station.code, error = %format!("{e:#}"), "a backup upload failed");
            return error(
                StatusCode::BAD_REQUEST,
                "upload_failed",
                "The backup did not arrive whole.",
            );
        }
    };
    if let Err(e) = tokio::fs::rename(&partial, folder.join(&name)).await {
        return internal(e);
    }
    let file = format!("{}/{name}", station.code);
    let (code, keep) = (station.code.clone(), h.config.backup.keep_on_hub);
    let sha = sha256.clone();
    match h
        .db(move |s| s.add_backup(&code, &file, bytes, &sha, Utc::now(), keep))
        .await
    {
        Ok((added, dropped)) => {
            for old in dropped {
                if let Err(e) = tokio::fs::remove_file(dir(&h.data_dir).join(&old)).await {
                    tracing::warn!(file = %old, error = %e, "removing an old backup");
                }
            }
            tracing::info!(station = %station.code, bytes, "backup stored");
            Json(stored(&added)).into_response()
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(folder.join(&name)).await;
            internal(e)
        }
    }
}

/// Writes the body to `partial` (fsynced), refusing more than `max` bytes or a file that is
/// not an age file; returns its size and SHA-256, or the refusal.
async fn receive(
    body: Body,
    folder: &Path,
    partial: &Path,
    max: u64,
) -> anyhow::Result<Result<(u64, String), Response>> {
    tokio::fs::create_dir_all(folder).await?;
    let mut file = tokio::fs::File::create(partial).await?;
    let mut hash = Sha256::new();
    let mut bytes = 0u64;
    let mut head = Vec::with_capacity(AGE_MAGIC.len());
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk: Bytes = chunk?;
        bytes += chunk.len() as u64;
        if bytes > max {
            return Ok(Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "This backup is larger than the hub keeps ([backup] max_mb).",
            )));
        }
        if head.len() < AGE_MAGIC.len() {
            let take = (AGE_MAGIC.len() - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            if !AGE_MAGIC.starts_with(&head) {
                return Ok(Err(not_age()));
            }
        }
        hash.update(&chunk);
        file.write_all(&chunk).await?;
    }
    if head.len() < AGE_MAGIC.len() {
        return Ok(Err(not_age()));
    }
    file.sync_all().await?;
    Ok(Ok((
        bytes,
        data_encoding::HEXLOWER.encode(&hash.finalize()),
    )))
}

fn not_age() -> Response {
    error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "not_encrypted",
        "This is not an encrypted backup; the hub keeps only those.",
    )
}

/// The station's own backups, the newest first.
async fn list(
    State(h): State<Arc<HubApp>>,
    Extension(PeerCert(cert)): Extension<PeerCert>,
) -> Response {
    let station = match enrolled_station(&h, cert).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    match h.db(move |s| s.backups_of(&station.code)).await {
        Ok(list) => Json(list.iter().map(stored).collect::<Vec<_>>()).into_response(),
        Err(e) => internal(e),
    }
}

/// One of the station's own backups.
async fn download(
    State(h): State<Arc<HubApp>>,
    Extension(PeerCert(cert)): Extension<PeerCert>,
    UrlPath(id): UrlPath<i64>,
) -> Response {
    let station = match enrolled_station(&h, cert).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let found = h
        .db(move |s| s.backups_of(&station.code))
        .await
        .map(|list| list.into_iter().find(|b| b.id == id));
    match found {
        Ok(Some(b)) => send_file(&h, &b, Vec::new()).await,
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", "No such backup."),
        Err(e) => internal(e),
    }
}

async fn send_file(
    h: &Arc<HubApp>,
    b: &vappoint_store::StoredBackup,
    extra: Vec<(&'static str, String)>,
) -> Response {
    let file = match tokio::fs::File::open(dir(&h.data_dir).join(&b.file)).await {
        Ok(f) => f,
        Err(e) => return internal(format!("backup file {}: {e}", b.file)),
    };
    let mut r = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(b.bytes));
    for (name, value) in [(SHA256_HEADER, b.sha256.clone())].into_iter().chain(extra) {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    r
}

fn code_refused() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "code_unusable",
        "This replacement code is wrong, used or expired, or not for this station. Ask the hub for a new one.",
    )
}

/// A replacement box fetching its station's newest backup with a one-time code (which this
/// does not use up: the box first checks that its recovery key opens the file). The answer
/// carries a MAC over the file's SHA-256 and the hub's certificate, so the box knows it is
/// the hub that issued the code.
async fn fetch_for_replacement(
    State(h): State<Arc<HubApp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    // Each try is a guess at a one-time code: limited like password tries.
    if !h.limits.login_from(peer.ip()) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_tries",
            "Too many tries from this address; wait a minute.",
        );
    }
    let Ok(req) = serde_json::from_slice::<BackupFetch>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The request could not be read.",
        );
    };
    let code = req.station.to_ascii_uppercase();
    if req.version != fed::VERSION
        || crate::config::validate_code(&code).is_err()
        || req.nonce.len() > 64
    {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Unknown protocol version or station code.",
        );
    }
    let c = code.clone();
    let key = match h.db(move |s| s.replacement_key(&c, Utc::now())).await {
        Ok(Some(k)) if mac_matches(&k, &["fetch", &req.station, &req.nonce], &req.mac) => k,
        Ok(_) => {
            tracing::warn!(station = %code, "replacement backup fetch refused");
            return code_refused();
        }
        Err(e) => return internal(e),
    };
    let c = code.clone();
    let newest = match h.db(move |s| s.backups_of(&c)).await {
        Ok(list) => list.into_iter().next(),
        Err(e) => return internal(e),
    };
    let Some(b) = newest else {
        return error(
            StatusCode::NOT_FOUND,
            "no_backup",
            "The hub holds no backup of this station.",
        );
    };
    let proof = mac(
        &key,
        &[
            "hub-backup",
            &req.station,
            &req.nonce,
            &b.sha256,
            &h.tls_sha256,
        ],
    );
    tracing::info!(station = %code, backup = b.id, "a replacement box fetched the newest backup");
    send_file(
        &h,
        &b,
        vec![(HUB_TLS_HEADER, h.tls_sha256.clone()), (MAC_HEADER, proof)],
    )
    .await
}

/// A replacement box taking over its station: the code is used up, the box's certificate
/// signed, the old one retired (its pushes and tunnel refused from now on) and numbering of
/// the station's messages starts again, as after an enrolment.
async fn replace(
    State(h): State<Arc<HubApp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    let req = match read_code_request(&h, peer, &body) {
        Ok(req) => req,
        Err(refusal) => return refusal,
    };
    // The code first: nothing is signed for a request that does not hold a usable one.
    let c = req.station.clone();
    match h.db(move |s| s.replacement_key(&c, Utc::now())).await {
        Ok(Some(k)) if mac_matches(&k, &["replace", &req.station, &req.csr], &req.mac) => {}
        Ok(_) => return code_refused(),
        Err(e) => return internal(e),
    }
    let (cert, cert_sha) = match sign_csr(&h, &req) {
        Ok(signed) => signed,
        Err(refusal) => return refusal,
    };
    let (station, csr, given) = (req.station.clone(), req.csr.clone(), req.mac.clone());
    let check = move |key: &[u8]| mac_matches(key, &["replace", &station, &csr], &given);
    let code = req.station.clone();
    match h
        .db(move |s| s.replace_certificate(&code, check, &cert_sha, Utc::now()))
        .await
    {
        Ok((station, key)) => {
            tracing::info!(station = %station.code, "a replacement box took over the station; its old certificate is refused from now on");
            enrolment_answer(&h, &key, "hub-replace", &station.code, cert)
        }
        Err(StoreError::Conflict(_)) => code_refused(),
        Err(e) => internal(e),
    }
}

/// Deletes partial uploads a crash left behind (files no row names, in `backups/`).
pub fn tidy(data: &Path, store: &vappoint_store::HubStore) -> anyhow::Result<()> {
    let kept: std::collections::HashSet<String> = store.backup_files()?.into_iter().collect();
    let root = dir(data);
    let Ok(stations) = std::fs::read_dir(&root) else {
        return Ok(());
    };
    for station in stations {
        let station = station?;
        if !station.file_type()?.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(station.path())? {
            let f = f?;
            let name = format!(
                "{}/{}",
                station.file_name().to_string_lossy(),
                f.file_name().to_string_lossy()
            );
            if !kept.contains(&name) {
                std::fs::remove_file(f.path())?;
            }
        }
    }
    Ok(())
}
