//! The hub's own certificate authority: made once in the hub's data dir, it signs each
//! enrolled station's client certificate (the station's key never leaves the station).

use std::path::Path;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

use crate::secrets::write_private;

pub struct Ca {
    pub cert_pem: String,
    key: KeyPair,
}

impl Ca {
    /// Loads `ca.pem` and `ca.key` from `dir`, making them on first start.
    pub fn load_or_create(dir: &Path, hub_name: &str) -> anyhow::Result<Ca> {
        let (cert_path, key_path) = (dir.join("ca.pem"), dir.join("ca.key"));
        if !cert_path.exists() || !key_path.exists() {
            let key = KeyPair::generate().context("making the hub CA key")?;
            let mut params = CertificateParams::new(Vec::new())?;
            params.distinguished_name = DistinguishedName::new();
            params
                .distinguished_name
                .push(DnType::CommonName, format!("vappoint hub CA ({hub_name})"));
            params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            params.not_after = rcgen::date_time_ymd(2046, 1, 1);
            let cert = params
                .self_signed(&key)
                .context("making the hub CA certificate")?;
            write_private(&key_path, key.serialize_pem().as_bytes())?;
            write_private(&cert_path, cert.pem().as_bytes())?;
        }
        let cert_pem = std::fs::read_to_string(&cert_path)
            .with_context(|| format!("reading {}", cert_path.display()))?;
        let key = KeyPair::from_pem(
            &std::fs::read_to_string(&key_path)
                .with_context(|| format!("reading {}", key_path.display()))?,
        )
        .context("the hub CA key is damaged")?;
        Ok(Ca { cert_pem, key })
    }

    /// Signs a station's request as a client certificate for `station` (the name in the
    /// request is not trusted: the hub sets it).
    pub fn sign(&self, csr_pem: &str, station: &str) -> anyhow::Result<String> {
        let mut csr = CertificateSigningRequestParams::from_pem(csr_pem)
            .context("the certificate request cannot be read")?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, station);
        csr.params.distinguished_name = dn;
        csr.params.subject_alt_names = Vec::new();
        csr.params.is_ca = IsCa::ExplicitNoCa;
        csr.params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        csr.params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let now = time_now();
        csr.params.not_before = now - std::time::Duration::from_secs(3600);
        csr.params.not_after = now + std::time::Duration::from_secs(10 * 365 * 24 * 3600);
        let issuer = Issuer::from_ca_cert_pem(&self.cert_pem, &self.key)
            .context("the hub CA certificate is damaged")?;
        Ok(csr.signed_by(&issuer)?.pem())
    }
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::station_request;

    #[test]
    fn signs_a_station_request_as_a_client_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::load_or_create(dir.path(), "Test").unwrap();
        let (_key, csr) = station_request("DGP").unwrap();
        let cert = ca.sign(&csr, "DGP").unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        // The same CA comes back after a restart.
        let again = Ca::load_or_create(dir.path(), "Test").unwrap();
        assert_eq!(again.cert_pem, ca.cert_pem);
        assert!(ca.sign("not a request", "DGP").is_err());
    }
}
