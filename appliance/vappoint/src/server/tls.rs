//! The self-signed HTTPS certificate: one made on first start and kept in the data dir
//! (so a laptop that trusted it once keeps trusting it), loaded into a rustls config. A hub
//! keeps its own in its database instead (`hub/identity.rs`), shared by all its processes.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::secrets::write_private;

pub struct Tls {
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    /// SHA-256 of the certificate, `AB:CD:...`, for people to compare with the browser's.
    pub fingerprint: String,
    /// The same, lowercase hex without colons, as a station pins its hub.
    pub sha256: String,
}

impl Tls {
    /// The certificate and key as rustls serves them (see `certs.rs`, which picks per
    /// handshake between this and the trusted ones).
    pub fn certified_key(&self) -> anyhow::Result<rustls::sign::CertifiedKey> {
        rustls::sign::CertifiedKey::from_der(self.certs.clone(), self.key.clone_key(), &provider())
            .context("the TLS key does not match the certificate")
    }
}

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    if !aes_in_hardware() {
        // The Pi 4's Cortex-A72 has no AES instructions: ChaCha20-Poly1305 is several times
        // faster there, and constant-time without them. A stable sort keeps the rest in order.
        provider
            .cipher_suites
            .sort_by_key(|s| s.suite().as_str().is_none_or(|n| !n.contains("CHACHA20")));
    }
    Arc::new(provider)
}

/// Whether this CPU encrypts AES in hardware (AES-NI, the ARMv8 crypto extension).
fn aes_in_hardware() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("aes");
    #[cfg(target_arch = "aarch64")]
    return std::arch::is_aarch64_feature_detected!("aes");
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    false
}

/// A fresh self-signed certificate for this machine's names: (certificate, key), PEM.
pub fn make_self_signed() -> anyhow::Result<(String, String)> {
    let mut names = vec![
        "localhost".to_string(),
        "vappoint.local".to_string(),
        "127.0.0.1".into(),
        "::1".into(),
    ];
    if let Ok(h) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let h = h.trim();
        if !h.is_empty() && h != "localhost" {
            names.push(h.to_string());
            names.push(format!("{h}.local"));
        }
    }
    let ck =
        rcgen::generate_simple_self_signed(names).context("making a self-signed certificate")?;
    Ok((ck.cert.pem(), ck.signing_key.serialize_pem()))
}

fn generate(cert_path: &Path, key_path: &Path) -> anyhow::Result<()> {
    let (cert, key) = make_self_signed()?;
    write_private(key_path, key.as_bytes())?;
    write_private(cert_path, cert.as_bytes())?;
    Ok(())
}

/// Loads `tls/cert.pem` and `tls/key.pem` from the data dir, making them first if missing.
pub fn load_or_create(dir: &Path) -> anyhow::Result<Tls> {
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    if !cert_path.exists() || !key_path.exists() {
        generate(&cert_path, &key_path)?;
        tracing::info!(path = %cert_path.display(), "made a self-signed TLS certificate");
    }
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    from_pem(&read(&cert_path)?, &read(&key_path)?)
        .with_context(|| format!("loading {}", cert_path.display()))
}

/// The certificate and key from their PEM text (a hub keeps them in its database).
pub fn from_pem(cert: &[u8], key: &[u8]) -> anyhow::Result<Tls> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<_, _>>()
        .context("the certificate is not PEM")?;
    anyhow::ensure!(!certs.is_empty(), "no certificate in the PEM");
    let key = PrivateKeyDer::from_pem_slice(key).context("the key is not a PEM private key")?;
    let digest = Sha256::digest(&certs[0]);
    let fingerprint = digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let sha256 = data_encoding::HEXLOWER.encode(&digest);
    Ok(Tls {
        certs,
        key,
        fingerprint,
        sha256,
    })
}
