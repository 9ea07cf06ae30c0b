//! Update bundles at the hub: `vappoint hub publish-update` (checked against the hub's own
//! `[update] public_key`, so a hub never serves a bundle a box would refuse), the staged
//! roll-out (which stations are offered what, in the answer to their pushes), and serving a
//! bundle to an enrolled station over mutual TLS. Stations report their progress in their
//! health (`update`), which the Stations page shows.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::Extension;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use sha2::{Digest, Sha256};
use vappoint_store::{HubStore, PublishedUpdate, StoreError};
use vappoint_wire::federation::UpdateOffer;

use super::{HubApp, error, internal};
use crate::config::Config;
use crate::release::{self, Check, Manifest, PublicKey};
use crate::server::peer::PeerCert;

fn dir(data: &Path) -> PathBuf {
    data.join("updates")
}

fn bundle_path(data: &Path, id: &str) -> PathBuf {
    dir(data).join(format!("{id}.bundle"))
}

/// `vappoint hub publish-update`: checks the bundle, keeps a copy named by its SHA-256 and
/// offers it to `zone` (or every zone) and `percent` of the stations there.
pub fn publish(
    data: &Path,
    config: &Config,
    bundle: &Path,
    zone: Option<&str>,
    percent: u8,
) -> anyhow::Result<(Manifest, String)> {
    anyhow::ensure!(percent <= 100, "--percent is 0 to 100");
    let key = PublicKey::load(&config.update.public_key)?;
    let length = std::fs::metadata(bundle)
        .with_context(|| format!("opening {}", bundle.display()))?
        .len();
    anyhow::ensure!(
        length <= release::MAX_BUNDLE_BYTES,
        "the bundle is larger than {} MB",
        release::MAX_BUNDLE_BYTES / 1_000_000
    );
    // The hub's own copy is what is checked, so the file served is the file checked.
    std::fs::create_dir_all(dir(data))?;
    let partial = dir(data).join(format!("publishing-{}.partial", std::process::id()));
    let checked = (|| {
        std::fs::copy(bundle, &partial)
            .with_context(|| format!("copying the bundle to {}", partial.display()))?;
        let open = || std::fs::File::open(&partial).map(std::io::BufReader::new);
        let check = Check {
            key: &key,
            arch: None,
            newer_than: None,
        };
        let manifest = release::unpack(open()?, &check, &mut std::io::sink())
            .with_context(|| format!("{} was refused", bundle.display()))?;
        let (id, size) = release::sha256_of(open()?)?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, bundle_path(data, &id))?;
        anyhow::Ok((manifest, id, size))
    })();
    if checked.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    let (manifest, id, size) = checked?;
    let store = super::admin::open_store(data, config)?;
    store.publish_update(&PublishedUpdate {
        id: id.clone(),
        version: manifest.version.clone(),
        arch: manifest.arch.clone(),
        size,
        zone: zone.map(str::to_string),
        percent,
        published_at: Utc::now(),
    })?;
    Ok((manifest, id))
}

/// Where a station falls in a staged roll-out: 0 to 99, the same for it at every release.
pub fn bucket(code: &str) -> u8 {
    let digest = Sha256::digest(code.as_bytes());
    (u16::from_be_bytes([digest[0], digest[1]]) % 100) as u8
}

/// What station `code` in `zone` is offered: per CPU, the newest version it is in the
/// roll-out of.
pub fn offers_for(
    store: &HubStore,
    code: &str,
    zone: &str,
) -> Result<Vec<UpdateOffer>, StoreError> {
    let mut best: Vec<(semver::Version, PublishedUpdate)> = Vec::new();
    for u in store.published_updates()? {
        let Ok(version) = semver::Version::parse(&u.version) else {
            continue;
        };
        if u.zone.as_deref().is_some_and(|z| z != zone) || bucket(code) >= u.percent {
            continue;
        }
        match best.iter_mut().find(|(_, b)| b.arch == u.arch) {
            Some(slot) if slot.0 < version => *slot = (version, u),
            Some(_) => {}
            None => best.push((version, u)),
        }
    }
    Ok(best
        .into_iter()
        .map(|(_, u)| UpdateOffer {
            id: u.id,
            version: u.version,
            arch: u.arch,
            size: u.size,
        })
        .collect())
}

pub(super) fn routes() -> Router<Arc<HubApp>> {
    Router::new().route("/federation/v1/updates/{id}", get(download))
}

/// `GET /federation/v1/updates/{id}`: a published bundle, to an enrolled station, streamed.
async fn download(
    State(h): State<Arc<HubApp>>,
    Extension(PeerCert(cert)): Extension<PeerCert>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    if let Err(refusal) = super::push::enrolled_station(&h, cert).await {
        return refusal;
    }
    let published = match h.db(|s| s.published_updates()).await {
        Ok(list) => list.into_iter().any(|u| u.id == id),
        Err(e) => return internal(e),
    };
    if !published {
        return error(StatusCode::NOT_FOUND, "no_update", "No such update.");
    }
    let file = match tokio::fs::File::open(bundle_path(&h.data_dir, &id)).await {
        Ok(f) => f,
        Err(e) => return internal(format!("opening the bundle {id}: {e}")),
    };
    let size = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let chunks = futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/x-tar".to_string()),
            (header::CONTENT_LENGTH, size.to_string()),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roll_out_takes_its_share_of_stations() {
        let codes: Vec<String> = (0..1000).map(|i| format!("S{i:04}")).collect();
        let taken = codes.iter().filter(|c| bucket(c) < 20).count();
        assert!(
            (150..=250).contains(&taken),
            "{taken} of 1000 in a 20% roll-out"
        );
        assert_eq!(bucket("DGP"), bucket("DGP"));
    }

    #[test]
    fn a_station_is_offered_the_newest_update_of_its_zone_per_cpu() {
        let dir = tempfile::tempdir().unwrap();
        let store = HubStore::open(&dir.path().join("hub.db")).unwrap();
        let publish = |id: &str, version: &str, arch: &str, zone: Option<&str>, percent: u8| {
            store
                .publish_update(&PublishedUpdate {
                    id: id.into(),
                    version: version.into(),
                    arch: arch.into(),
                    size: 1,
                    zone: zone.map(str::to_string),
                    percent,
                    published_at: Utc::now(),
                })
                .unwrap()
        };
        publish("a", "0.2.0", "aarch64", None, 100);
        publish("b", "0.10.0", "aarch64", Some("Zone 1"), 100);
        publish("c", "0.11.0", "aarch64", Some("Zone 2"), 100);
        publish("d", "0.12.0", "aarch64", None, 0);
        publish("e", "0.3.0", "x86_64", None, 100);
        let mut ids: Vec<String> = offers_for(&store, "DGP", "Zone 1")
            .unwrap()
            .into_iter()
            .map(|o| o.id)
            .collect();
        ids.sort();
        // 0.10.0 is newer than 0.2.0 (versions, not strings); Zone 2's and the 0% one are not
        // offered.
        assert_eq!(ids, ["b", "e"]);
    }
}
