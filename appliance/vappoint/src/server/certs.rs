//! Which certificate a TLS handshake gets: the TLS-ALPN-01 challenge certificate while ACME
//! validates a name, the trusted certificate (imported, else ACME) for the names it covers,
//! the pinned self-signed one for stations talking to their hub, else the self-signed one
//! (LAN names, addresses, no SNI, set-up). Also the HTTP-01 answers and the "is this host
//! trusted" question that decides HSTS.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::secrets::write_private;
use crate::server::tls::{Tls, provider};

/// The ALPN protocol of an RFC 8737 validation.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";
/// The ALPN protocol stations offer to their hub: they get the self-signed certificate they
/// pinned at enrolment whatever else the hub serves (see docs/federation.md).
pub const FEDERATION_ALPN: &[u8] = b"vappoint-fed/1";

/// A certificate with its key, as loaded, and what a page shows of it.
#[derive(Clone)]
pub struct Installed {
    key: Arc<CertifiedKey>,
    pub info: CertInfo,
}

/// What the Station page and the hub's console show of a certificate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CertInfo {
    pub issuer: String,
    /// The DNS names it covers, lowercase.
    pub names: Vec<String>,
    pub not_after: DateTime<Utc>,
}

impl Installed {
    /// Parses a PEM chain and its key, checking that they belong together and that the
    /// certificate names at least one DNS name.
    pub fn from_pem(chain: &[u8], key: &[u8]) -> anyhow::Result<Installed> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain)
            .collect::<Result<_, _>>()
            .context("the certificate is not PEM")?;
        let first = certs.first().context("no certificate in the PEM")?;
        let key = PrivateKeyDer::from_pem_slice(key).context("the key is not a PEM private key")?;
        let info = cert_info(first)?;
        anyhow::ensure!(!info.names.is_empty(), "the certificate names no DNS name");
        let key = CertifiedKey::from_der(certs, key, &provider())
            .context("the key does not match the certificate")?;
        Ok(Installed {
            key: Arc::new(key),
            info,
        })
    }

    /// Loads `cert.pem` and `key.pem` from `dir`, if both are there.
    pub fn load(dir: &Path) -> anyhow::Result<Option<Installed>> {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        if !cert.exists() || !key.exists() {
            return Ok(None);
        }
        let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
        Installed::from_pem(&read(&cert)?, &read(&key)?)
            .with_context(|| format!("loading the certificate in {}", dir.display()))
            .map(Some)
    }

    /// Writes the chain and key to `dir` (`0600`), key first so a crash never leaves a new
    /// certificate beside an old key that the next start would refuse.
    pub fn save(dir: &Path, chain: &[u8], key: &[u8]) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_private(&dir.join("key.pem"), key)?;
        write_private(&dir.join("cert.pem"), chain)?;
        Ok(())
    }

    fn covers(&self, host: &str) -> bool {
        self.info.names.iter().any(|n| name_matches(n, host))
    }
}

/// `pattern` is a certificate's DNS name, possibly `*.example`, which covers one label.
fn name_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => pattern == host,
    }
}

fn cert_info(der: &CertificateDer<'_>) -> anyhow::Result<CertInfo> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).context("the certificate cannot be read")?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::DNSName(d) = n {
                names.push(d.to_ascii_lowercase());
            }
        }
    }
    let issuer = cert
        .issuer()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| cert.issuer().to_string());
    let not_after = DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
        .context("the certificate's expiry is out of range")?;
    Ok(CertInfo {
        issuer,
        names,
        not_after,
    })
}

/// Every certificate the box can serve, shared by the TLS listener, the ACME task, the
/// plain-HTTP listener (HTTP-01 answers) and the pages.
#[derive(Debug)]
pub struct Certs {
    self_signed: Arc<CertifiedKey>,
    /// The self-signed certificate's DNS names (`localhost`, `vappoint.local`, the hostname).
    self_signed_names: Vec<String>,
    acme: RwLock<Option<Installed>>,
    imported: RwLock<Option<Installed>>,
    /// The public name the box is configured to be reached at, as the ACME task last saw it.
    wanted: RwLock<Option<String>>,
    /// Names the box answers for without a certificate of its own: a hub's relay domain
    /// (`*.<domain>`), whose stations hold their own certificates.
    relayed: RwLock<Option<String>>,
    /// TLS-ALPN-01 certificates by DNS name, while an order is under way.
    alpn_challenges: Mutex<HashMap<String, Arc<CertifiedKey>>>,
    /// HTTP-01 key authorisations by token, while an order is under way.
    http_challenges: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for Installed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.info.fmt(f)
    }
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Certs {
    /// The self-signed certificate, and whatever trusted ones `tls_dir` keeps (`acme/`,
    /// `imported/`): a box serves its last certificate from the first second after a restart.
    pub fn load(tls: &Tls, tls_dir: &Path) -> anyhow::Result<Arc<Certs>> {
        let load = |sub: &str| match Installed::load(&tls_dir.join(sub)) {
            Ok(i) => i,
            Err(e) => {
                // A damaged file must not keep the box from serving with the others.
                tracing::error!(error = format!("{e:#}"), "ignoring a certificate");
                None
            }
        };
        let self_signed = tls.certified_key()?;
        let self_signed_names = self_signed
            .cert
            .first()
            .and_then(|c| cert_info(c).ok())
            .map_or_else(Vec::new, |i| i.names);
        Ok(Arc::new(Certs {
            self_signed: Arc::new(self_signed),
            self_signed_names,
            acme: RwLock::new(load("acme")),
            imported: RwLock::new(load("imported")),
            wanted: RwLock::new(None),
            relayed: RwLock::new(None),
            alpn_challenges: Mutex::new(HashMap::new()),
            http_challenges: Mutex::new(HashMap::new()),
        }))
    }

    /// The rustls configuration the HTTPS listener uses: certificates chosen per handshake,
    /// ALPN `h2`, `http/1.1`, and `acme-tls/1` for validations.
    pub fn server_config(
        self: &Arc<Self>,
        ask_client_cert: bool,
    ) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?;
        let builder = if ask_client_cert {
            builder.with_client_cert_verifier(Arc::new(
                crate::server::peer::OptionalClientCert::new(provider()),
            ))
        } else {
            builder.with_no_client_auth()
        };
        let mut config = builder.with_cert_resolver(self.clone());
        // The server's order of cipher suites (`tls::provider`), not the client's: every
        // suite offered is strong, and the box knows which of them its CPU runs fast.
        config.ignore_client_order = true;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec(), ACME_TLS_ALPN.to_vec()];
        Ok(Arc::new(config))
    }

    pub fn acme(&self) -> Option<CertInfo> {
        read(&self.acme).map(|i| i.info)
    }

    pub fn imported(&self) -> Option<CertInfo> {
        read(&self.imported).map(|i| i.info)
    }

    pub fn set_acme(&self, cert: Installed) {
        *self.acme.write().unwrap_or_else(|e| e.into_inner()) = Some(cert);
    }

    pub fn set_imported(&self, cert: Installed) {
        *self.imported.write().unwrap_or_else(|e| e.into_inner()) = Some(cert);
    }

    /// The trusted certificate served for `host`, if any: an imported one wins over ACME's.
    fn trusted(&self, host: &str) -> Option<Installed> {
        let host = host.to_ascii_lowercase();
        [read(&self.imported), read(&self.acme)]
            .into_iter()
            .flatten()
            .find(|c| c.covers(&host))
    }

    /// What `host` is served with, for the pages: the trusted certificate, if there is one.
    pub fn in_use(&self, host: &str) -> Option<CertInfo> {
        self.trusted(host).map(|i| i.info)
    }

    /// Whether a request for `host` arrived under a certificate browsers trust (HSTS).
    pub fn is_trusted(&self, host: &str) -> bool {
        self.trusted(host).is_some()
    }

    /// Records the public name the box should be reached at (the ACME task, each round).
    pub fn set_wanted(&self, name: Option<String>) {
        *self.wanted.write().unwrap_or_else(|e| e.into_inner()) = name;
    }

    /// Records the pattern (`*.<domain>`) of the names a hub relays to its stations.
    pub fn set_relayed(&self, pattern: String) {
        *self.relayed.write().unwrap_or_else(|e| e.into_inner()) = Some(pattern);
    }

    /// Whether `host` is a name of this box: its configured public name, a name one of its
    /// certificates covers, or (a hub) a station name it relays. The plain-HTTP redirect
    /// keeps only such a `Host`.
    pub fn serves(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        read(&self.wanted).as_deref() == Some(host.as_str())
            || self.trusted(&host).is_some()
            || self
                .self_signed_names
                .iter()
                .any(|n| name_matches(n, &host))
            || read(&self.relayed).is_some_and(|p| name_matches(&p, &host))
    }

    /// The box's public name: the configured one, else the first name of a trusted
    /// certificate (imported first, then ACME's).
    pub fn public_name(&self) -> Option<String> {
        read(&self.wanted).or_else(|| {
            [read(&self.imported), read(&self.acme)]
                .into_iter()
                .flatten()
                .find_map(|c| c.info.names.into_iter().find(|n| !n.starts_with("*.")))
        })
    }

    pub fn add_alpn_challenge(&self, name: &str, key: CertifiedKey) {
        lock(&self.alpn_challenges).insert(name.to_string(), Arc::new(key));
    }

    pub fn add_http_challenge(&self, token: &str, key_authorization: &str) {
        lock(&self.http_challenges).insert(token.to_string(), key_authorization.to_string());
    }

    /// Forgets every challenge (an order ended, whichever way).
    pub fn clear_challenges(&self) {
        lock(&self.alpn_challenges).clear();
        lock(&self.http_challenges).clear();
    }

    /// The HTTP-01 answer for `token`, if an order is waiting for it.
    pub fn http_challenge(&self, token: &str) -> Option<String> {
        lock(&self.http_challenges).get(token).cloned()
    }
}

impl ResolvesServerCert for Certs {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let offers = |p: &[u8]| hello.alpn().is_some_and(|mut a| a.any(|x| x == p));
        let sni = hello.server_name().map(str::to_ascii_lowercase);
        if offers(ACME_TLS_ALPN) {
            // Only ever the challenge certificate: an `acme-tls/1` handshake carries no
            // application data, and a name with no order under way gets nothing.
            return sni.and_then(|n| lock(&self.alpn_challenges).get(&n).cloned());
        }
        if offers(FEDERATION_ALPN) {
            return Some(self.self_signed.clone());
        }
        Some(
            sni.and_then(|n| self.trusted(&n))
                .map(|i| i.key)
                .unwrap_or_else(|| self.self_signed.clone()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::name_matches;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(name_matches("dgp.example", "dgp.example"));
        assert!(!name_matches("dgp.example", "x.dgp.example"));
        assert!(name_matches("*.v.example", "ps1.v.example"));
        assert!(!name_matches("*.v.example", "a.b.v.example"));
        assert!(!name_matches("*.v.example", "v.example"));
    }
}
