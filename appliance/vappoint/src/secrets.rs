//! The station's secret key and what is made from it: join-link ids, 4-digit tokens and
//! their MACs, and the sealing of queued mail. The key lives in a file beside the database,
//! never in it, so a copy of the database alone reveals no token.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub struct Secrets {
    token_key: [u8; 32],
    source_key: [u8; 32],
    seal: XChaCha20Poly1305,
}

fn derive(master: &[u8], purpose: &str) -> [u8; 32] {
    let mut m = <HmacSha256 as Mac>::new_from_slice(master).expect("hmac takes any key length");
    m.update(purpose.as_bytes());
    m.finalize().into_bytes().into()
}

/// Writes `bytes` to `path` atomically and durably, readable only by the owner.
/// Makes (or tightens) `dir` so only the box's own user can enter it (`0700`): outside
/// systemd's `StateDirectoryMode` too, a copied-off or shared machine shows nothing.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the folder {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private", dir.display()))
}

/// Makes the database file `db` and its WAL companions readable by the box's user only.
pub fn private_db_files(db: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = std::path::PathBuf::from(name);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("making {} private", path.display()))?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` (0600) whole or not at all, durably: the file and its folder are
/// synced before this returns.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_private_file(path, bytes)?;
    sync_dir(path.parent().context("key path has a parent")?)
}

/// [`write_private`] but for the folder's sync, which a caller writing many files does once
/// with [`sync_dir`] (the files' names are durable only after it).
pub fn write_private_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().context("key path has a parent")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Makes the names just written into `dir` durable.
pub fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}

/// The 32 random bytes of the key file `path`, made (0600) on first use.
pub fn key_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    let master = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = rand::rng().random();
            write_private(path, &key)?;
            key.to_vec()
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    anyhow::ensure!(
        master.len() == 32,
        "{} is damaged (expected 32 bytes)",
        path.display()
    );
    Ok(master)
}

impl Secrets {
    /// Loads the key from `path`, creating it on first start.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Secrets> {
        let master = key_file(path)?;
        Ok(Secrets {
            token_key: derive(&master, "vappoint token v1"),
            source_key: derive(&master, "vappoint source v1"),
            seal: XChaCha20Poly1305::new(&derive(&master, "vappoint outbox v1").into()),
        })
    }

    /// A fresh 4-digit token, uniform over 0000..=9999 (ThreadRng is a CSPRNG seeded by the OS).
    pub fn new_token() -> String {
        format!("{:04}", rand::rng().random_range(0..10_000u16))
    }

    /// The MAC stored for a token, bound to the appointment's link so a MAC cannot be moved.
    pub fn token_mac(&self, link_hash: &[u8], token: &str) -> Vec<u8> {
        let mut m = <HmacSha256 as Mac>::new_from_slice(&self.token_key).expect("any key length");
        m.update(link_hash);
        m.update(b"\0");
        m.update(token.as_bytes());
        m.finalize().into_bytes().to_vec()
    }

    /// Checks a token in constant time.
    pub fn token_matches(&self, link_hash: &[u8], token: &str, mac: &[u8]) -> bool {
        let mut m = <HmacSha256 as Mac>::new_from_slice(&self.token_key).expect("any key length");
        m.update(link_hash);
        m.update(b"\0");
        m.update(token.as_bytes());
        m.verify_slice(mac).is_ok()
    }

    /// The tag a request's source (an address or prefix, `limits::source`/`network`) is
    /// counted under in the database: keyed, so the database alone does not give addresses.
    pub fn source_tag(&self, source: std::net::IpAddr) -> Vec<u8> {
        let mut m = <HmacSha256 as Mac>::new_from_slice(&self.source_key).expect("any key length");
        m.update(source.to_string().as_bytes());
        m.finalize().into_bytes()[..16].to_vec()
    }

    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let nonce: [u8; 24] = rand::rng().random();
        let mut out = nonce.to_vec();
        out.extend(
            self.seal
                .encrypt(XNonce::from_slice(&nonce), plain)
                .expect("encryption cannot fail"),
        );
        out
    }

    pub fn unseal(&self, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(sealed.len() > 24, "sealed message too short");
        let (nonce, body) = sealed.split_at(24);
        self.seal
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| anyhow::anyhow!("sealed message does not open with this station's key"))
    }
}

/// A new join link id (128 random bits, base32) and the hash the database keeps.
pub fn new_link() -> (String, Vec<u8>) {
    let bytes: [u8; 16] = rand::rng().random();
    let link = data_encoding::BASE32_NOPAD
        .encode(&bytes)
        .to_ascii_lowercase();
    let hash = link_hash(&link);
    (link, hash)
}

pub fn link_hash(link: &str) -> Vec<u8> {
    Sha256::digest(link.as_bytes()).to_vec()
}

/// Whether `s` looks like a link id (checked before touching the database).
pub fn is_link(s: &str) -> bool {
    s.len() == 26
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

/// A random id for sessions and CSRF tokens (256 bits, base64url).
pub fn random_id() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    data_encoding::BASE64URL_NOPAD.encode(&bytes)
}

pub fn sha256(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

/// A public appointment reference: station code and six characters that are hard to
/// misread on a phone or over the phone (no 0/O, 1/I).
pub fn new_reference(code: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let tail: String = (0..6)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{tail}", code.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_four_digits_and_spread() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let t = Secrets::new_token();
            assert_eq!(t.len(), 4);
            assert!(t.bytes().all(|b| b.is_ascii_digit()));
            seen.insert(t);
        }
        // 2000 draws from 10,000 values give about 1,813 distinct ones.
        assert!(seen.len() > 1700, "{}", seen.len());
    }

    #[test]
    fn token_mac_binds_token_and_link() {
        let dir = tempfile::tempdir().unwrap();
        let s = Secrets::load_or_create(&dir.path().join("k")).unwrap();
        let (_, h1) = new_link();
        let (_, h2) = new_link();
        let mac = s.token_mac(&h1, "0420");
        assert!(s.token_matches(&h1, "0420", &mac));
        assert!(!s.token_matches(&h1, "0421", &mac));
        assert!(!s.token_matches(&h2, "0420", &mac));
        // The same key file gives the same MACs after a restart.
        let again = Secrets::load_or_create(&dir.path().join("k")).unwrap();
        assert!(again.token_matches(&h1, "0420", &mac));
    }

    #[test]
    fn seal_round_trip_and_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let s = Secrets::load_or_create(&dir.path().join("k")).unwrap();
        let mut sealed = s.seal(b"token 1234");
        assert_eq!(s.unseal(&sealed).unwrap(), b"token 1234");
        *sealed.last_mut().unwrap() ^= 1;
        assert!(s.unseal(&sealed).is_err());
    }

    #[test]
    fn links_and_references() {
        let (link, hash) = new_link();
        assert!(is_link(&link), "{link}");
        assert_eq!(hash, link_hash(&link));
        assert!(!is_link("../../etc/passwd"));
        let r = new_reference("dgp");
        assert!(r.starts_with("DGP-") && r.len() == 10, "{r}");
    }
}
