//! The hub's identity, one for every hub process on one database: the CA that signs the
//! stations' client certificates and the self-signed TLS certificate the stations pin. Both
//! are kept in the database's settings, so a station enrolled at one hub process is served
//! the certificate it pinned by every other. The first process to start makes them; a hub
//! from before keeps the ones in its data dir (imported on its first start), so its stations
//! need not enrol again. Each data dir keeps a copy in the files it always had, for the
//! people and tools that look there.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use vappoint_store::HubStore;

use super::ca::Ca;
use crate::secrets::write_private;
use crate::server::tls::{self, Tls};

/// The settings keys of the two certificates with their keys.
const TLS_KEY: &str = "identity.tls";
const CA_KEY: &str = "identity.ca";

/// A certificate and its private key, PEM, as one setting: they are only ever stored
/// together, so no process sees one without the other.
#[derive(Serialize, Deserialize, PartialEq)]
struct Pair {
    cert: String,
    key: String,
}

pub struct Identity {
    pub tls: Tls,
    pub ca: Ca,
}

/// The shared identity, made (or imported from `data`) when the database has none yet.
pub fn load_or_create(store: &HubStore, data: &Path, hub_name: &str) -> anyhow::Result<Identity> {
    let pair = shared(
        store,
        TLS_KEY,
        &data.join("tls"),
        ("cert.pem", "key.pem"),
        tls::make_self_signed,
    )
    .context("the hub's TLS certificate")?;
    let tls = tls::from_pem(pair.cert.as_bytes(), pair.key.as_bytes())
        .context("the hub's TLS certificate in the database is damaged")?;
    let pair = shared(
        store,
        CA_KEY,
        &data.join("ca"),
        ("ca.pem", "ca.key"),
        || Ca::make(hub_name),
    )
    .context("the hub's CA")?;
    let ca = Ca::from_pem(pair.cert, &pair.key)?;
    Ok(Identity { tls, ca })
}

/// Stores the identity a hub from before keeps in `data`'s files when the database has none
/// yet, so that copying the database elsewhere (`migrate-to-postgres`) takes it along.
pub fn import(store: &HubStore, data: &Path) -> anyhow::Result<()> {
    for (key, dir, files) in [
        (TLS_KEY, "tls", ("cert.pem", "key.pem")),
        (CA_KEY, "ca", ("ca.pem", "ca.key")),
    ] {
        if store.setting(key)?.is_none()
            && let Some(pair) = from_files(&data.join(dir), files)?
        {
            store.set_setting_if_absent(key, &serde_json::to_string(&pair)?)?;
        }
    }
    Ok(())
}

/// The pair stored under `key`; if there is none, the one in `dir`'s `files` (a hub that
/// kept them there before), else a new one from `make`, stored unless another process
/// stored its own first (then that one is used). A data dir without the files gets a copy.
fn shared(
    store: &HubStore,
    key: &str,
    dir: &Path,
    files: (&str, &str),
    make: impl FnOnce() -> anyhow::Result<(String, String)>,
) -> anyhow::Result<Pair> {
    let on_disk = from_files(dir, files)?;
    let stored = match store.setting(key)? {
        Some(v) => v,
        None => {
            let proposed = match &on_disk {
                Some(p) => serde_json::to_string(p)?,
                None => {
                    let (cert, key) = make()?;
                    serde_json::to_string(&Pair { cert, key })?
                }
            };
            store.set_setting_if_absent(key, &proposed)?
        }
    };
    let pair: Pair = serde_json::from_str(&stored).context("the stored setting is damaged")?;
    match on_disk {
        None => {
            write_private(&dir.join(files.1), pair.key.as_bytes())?;
            write_private(&dir.join(files.0), pair.cert.as_bytes())?;
        }
        // A machine that once ran a hub of its own: the city's shared identity wins, and its
        // own files are left as they are.
        Some(p) if p != pair => tracing::warn!(
            dir = %dir.display(),
            "the data dir holds another certificate than the hub's database; serving the database's"
        ),
        Some(_) => {}
    }
    Ok(pair)
}

/// The certificate and key kept in `dir` by a hub from before, if both are there.
fn from_files(dir: &Path, (cert, key): (&str, &str)) -> anyhow::Result<Option<Pair>> {
    let (cert, key) = (dir.join(cert), dir.join(key));
    if !cert.exists() || !key.exists() {
        return Ok(None);
    }
    let read =
        |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
    Ok(Some(Pair {
        cert: read(&cert)?,
        key: read(&key)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_process_on_one_database_has_the_same_identity() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hub.db");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let first = load_or_create(&HubStore::open(&db).unwrap(), &a, "Test").unwrap();
        let second = load_or_create(&HubStore::open(&db).unwrap(), &b, "Test").unwrap();
        assert_eq!(first.tls.sha256, second.tls.sha256);
        assert_eq!(first.ca.cert_pem, second.ca.cert_pem);
        // Each data dir has a copy of what the database holds.
        let copy = tls::load_or_create(&b.join("tls")).unwrap();
        assert_eq!(copy.sha256, first.tls.sha256);
    }

    #[test]
    fn a_hub_from_before_keeps_its_files_identity() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        let old_tls = tls::load_or_create(&data.join("tls")).unwrap();
        let (ca_cert, ca_key) = Ca::make("Old").unwrap();
        std::fs::create_dir_all(data.join("ca")).unwrap();
        std::fs::write(data.join("ca/ca.pem"), &ca_cert).unwrap();
        std::fs::write(data.join("ca/ca.key"), &ca_key).unwrap();
        let store = HubStore::open(&data.join("hub.db")).unwrap();
        let id = load_or_create(&store, data, "Test").unwrap();
        assert_eq!(id.tls.sha256, old_tls.sha256);
        assert_eq!(id.ca.cert_pem, ca_cert);
        // Another data dir on the same database now gets the imported identity.
        let other = load_or_create(&store, &data.join("elsewhere"), "Test").unwrap();
        assert_eq!(other.tls.sha256, old_tls.sha256);
    }
}
