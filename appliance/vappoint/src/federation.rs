//! The federation protocol both sides speak, station and hub alike: the key derived from a
//! one-time enrolment code, the MACs that prove both sides know it, and the station's
//! certificate request. The messages themselves are `vappoint_wire::federation`.

use hmac::{Hmac, Mac};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The key both sides derive from a one-time enrolment code.
pub fn enrol_key(code: &str) -> Vec<u8> {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    let mut h = Sha256::new();
    h.update(b"vappoint enrol v1");
    h.update(normal.as_bytes());
    h.finalize().to_vec()
}

/// The HMAC of `parts`, each ended by a NUL so that parts cannot shift across boundaries.
fn keyed(key: &[u8], parts: &[&str]) -> HmacSha256 {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("any key length");
    for p in parts {
        m.update(p.as_bytes());
        m.update(b"\0");
    }
    m
}

/// What proves to the other side that this side knows `key`: the MAC of `parts`, in hex.
pub fn mac(key: &[u8], parts: &[&str]) -> String {
    data_encoding::HEXLOWER.encode(&keyed(key, parts).finalize().into_bytes())
}

/// Whether `given` is the MAC of `parts` under `key` (compared in constant time).
pub fn mac_matches(key: &[u8], parts: &[&str], given: &str) -> bool {
    let Ok(given) = data_encoding::HEXLOWER.decode(given.as_bytes()) else {
        return false;
    };
    keyed(key, parts).verify_slice(&given).is_ok()
}

/// A fresh one-time enrolment code: 80 random bits as four groups of four characters.
pub fn new_enrol_code() -> String {
    let bytes: [u8; 10] = rand::random();
    let s = data_encoding::BASE32_NOPAD.encode(&bytes);
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A station's key pair and certificate request for its hub.
pub fn station_request(station: &str) -> anyhow::Result<(KeyPair, String)> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::new())?;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, station);
    let csr = params.serialize_request(&key)?.pem()?;
    Ok((key, csr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_codes_and_macs() {
        let code = new_enrol_code();
        assert_eq!(code.len(), 19, "{code}");
        // Typed in lower case or without dashes, the code gives the same key.
        assert_eq!(
            enrol_key(&code),
            enrol_key(&code.replace('-', "").to_lowercase())
        );
        let k = enrol_key(&code);
        let m = mac(&k, &["station", "DGP", "csr"]);
        assert!(mac_matches(&k, &["station", "DGP", "csr"], &m));
        assert!(!mac_matches(&k, &["station", "DGQ", "csr"], &m));
        // Parts cannot be shifted across the separator.
        assert_ne!(mac(&k, &["ab", "c"]), mac(&k, &["a", "bc"]));
        assert!(!mac_matches(
            &enrol_key("OTHER-CODE"),
            &["station", "DGP", "csr"],
            &m
        ));
    }
}
