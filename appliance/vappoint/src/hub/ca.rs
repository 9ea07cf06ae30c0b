//! The hub's own certificate authority: made once (kept in the database, see `identity.rs`),
//! it signs each enrolled station's client certificate (the station's key never leaves the
//! station).

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

pub struct Ca {
    pub cert_pem: String,
    key: KeyPair,
}

impl Ca {
    /// A new CA for the hub called `hub_name`: (certificate, key), PEM.
    pub fn make(hub_name: &str) -> anyhow::Result<(String, String)> {
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
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// The CA from its certificate and key (PEM), checking that the certificate reads.
    pub fn from_pem(cert_pem: String, key_pem: &str) -> anyhow::Result<Ca> {
        let key = KeyPair::from_pem(key_pem).context("the hub CA key is damaged")?;
        Issuer::from_ca_cert_pem(&cert_pem, &key).context("the hub CA certificate is damaged")?;
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
        let (cert_pem, key_pem) = Ca::make("Test").unwrap();
        let ca = Ca::from_pem(cert_pem.clone(), &key_pem).unwrap();
        let (_key, csr) = station_request("DGP").unwrap();
        let cert = ca.sign(&csr, "DGP").unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(ca.sign("not a request", "DGP").is_err());
        assert!(Ca::from_pem(cert_pem, "not a key").is_err());
    }
}
