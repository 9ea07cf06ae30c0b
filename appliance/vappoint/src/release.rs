//! Update bundles: the signing key pair (`vappoint release keygen`), signing a binary into a
//! bundle (`vappoint release sign`), and checking a bundle before anything runs it.
//!
//! A bundle is a tar of three entries, in this order: `manifest.json` ({version, arch,
//! sha256, size} of the binary), `manifest.sig` (Ed25519 over the manifest's exact bytes) and
//! `vappoint` (the binary). The order lets a reader check the signature before it writes a
//! byte of the binary, and hash the binary as it streams to disk. Ed25519 and SHA-256 come
//! from `ring`, which the binary already carries for TLS (and whose hashing is fast even in
//! a debug build).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

/// The largest bundle a box or hub accepts: a static release binary is about 30 MB.
pub const MAX_BUNDLE_BYTES: u64 = 256 * 1024 * 1024;
/// The manifest and its signature are a few hundred bytes.
const MAX_MANIFEST_BYTES: u64 = 4096;
const SIGNATURE_BYTES: u64 = 64;

const MANIFEST: &str = "manifest.json";
const SIGNATURE: &str = "manifest.sig";
const BINARY: &str = "vappoint";

/// What a bundle says about its binary; signed as the exact bytes stored in the bundle.
/// Unknown fields are allowed: it is signed, and a later release may say more to later boxes
/// without older ones refusing the update that brings them there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Semantic version, e.g. `0.2.0`: the version the box reports once it runs this binary.
    pub version: String,
    /// The CPU it runs on, as Rust names it (`aarch64`, `x86_64`).
    pub arch: String,
    /// SHA-256 of the binary, hex.
    pub sha256: String,
    pub size: u64,
}

impl Manifest {
    pub fn semver(&self) -> Result<semver::Version, ReleaseError> {
        semver::Version::parse(&self.version)
            .map_err(|_| ReleaseError::Malformed("its version is not a semantic version"))
    }
}

/// Why a bundle is refused. Each names what a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("this is not an update bundle ({0})")]
    Malformed(&'static str),
    #[error("the bundle is not signed")]
    Unsigned,
    #[error("the bundle is not signed with this box's update key")]
    OtherKey,
    #[error("the bundle's binary does not match its signed manifest (damaged or tampered with)")]
    Tampered,
    #[error("the bundle is for {bundle}, this box is {here}")]
    WrongArch { bundle: String, here: String },
    #[error("the bundle's version {bundle} is not newer than the running {running}")]
    NotNewer { bundle: String, running: String },
    #[error("the bundle is larger than {} MB", MAX_BUNDLE_BYTES / 1_000_000)]
    TooLarge,
    #[error("the update key {path} cannot be used: {why}")]
    Key { path: PathBuf, why: String },
    #[error("reading or writing the bundle")]
    Io(#[from] std::io::Error),
}

/// A public key that bundles are checked against (`update.pub`: its 32 bytes in base64).
#[derive(Clone)]
pub struct PublicKey(Vec<u8>);

impl PublicKey {
    pub fn load(path: &Path) -> Result<PublicKey, ReleaseError> {
        let key_error = |why: String| ReleaseError::Key {
            path: path.to_path_buf(),
            why,
        };
        let text = std::fs::read_to_string(path).map_err(|e| key_error(e.to_string()))?;
        let bytes = data_encoding::BASE64
            .decode(text.trim().as_bytes())
            .map_err(|_| key_error("not base64".into()))?;
        if bytes.len() != 32 {
            return Err(key_error("not an Ed25519 public key".into()));
        }
        Ok(PublicKey(bytes))
    }
}

/// The architecture this binary was built for: bundles for another are refused.
pub fn this_arch() -> &'static str {
    std::env::consts::ARCH
}

/// `vappoint release keygen`: `update.key` (PKCS#8, base64, mode 0600: keep it off every box
/// and out of git) and `update.pub` (what images and hubs carry). Refuses to overwrite.
pub fn keygen(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    use anyhow::Context;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| anyhow::anyhow!("the system's random source failed"))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| anyhow::anyhow!("the new key does not parse"))?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (private, public) = (dir.join("update.key"), dir.join("update.pub"));
    for p in [&private, &public] {
        anyhow::ensure!(!p.exists(), "{} exists; not overwriting a key", p.display());
    }
    crate::secrets::write_private(
        &private,
        format!("{}\n", data_encoding::BASE64.encode(pkcs8.as_ref())).as_bytes(),
    )?;
    std::fs::write(
        &public,
        format!(
            "{}\n",
            data_encoding::BASE64.encode(pair.public_key().as_ref())
        ),
    )
    .with_context(|| format!("writing {}", public.display()))?;
    Ok((private, public))
}

fn load_private(path: &Path) -> anyhow::Result<Ed25519KeyPair> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let der = data_encoding::BASE64
        .decode(text.trim().as_bytes())
        .with_context(|| format!("{} is not base64", path.display()))?;
    Ed25519KeyPair::from_pkcs8(&der)
        .map_err(|_| anyhow::anyhow!("{} is not an Ed25519 private key", path.display()))
}

/// SHA-256 (hex) and length of everything `reader` gives.
pub fn sha256_of(mut reader: impl Read) -> std::io::Result<(String, u64)> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
        size += n as u64;
    }
    Ok((data_encoding::HEXLOWER.encode(ctx.finish().as_ref()), size))
}

/// `vappoint release sign`: the bundle for `binary` as `version` for `arch`, written beside
/// `out` and renamed over it.
pub fn sign(
    key: &Path,
    binary: &Path,
    version: &str,
    arch: &str,
    out: &Path,
) -> anyhow::Result<Manifest> {
    use anyhow::Context;
    let pair = load_private(key)?;
    semver::Version::parse(version).context("--version takes a semantic version, e.g. 0.2.0")?;
    let length = std::fs::metadata(binary)
        .with_context(|| format!("reading {}", binary.display()))?
        .len();
    anyhow::ensure!(
        length < MAX_BUNDLE_BYTES - 64 * 1024,
        "{} is larger than a bundle may be ({} MB): is it a release build?",
        binary.display(),
        MAX_BUNDLE_BYTES / 1_000_000
    );
    let (sha256, size) = sha256_of(
        std::fs::File::open(binary).with_context(|| format!("opening {}", binary.display()))?,
    )?;
    let manifest = Manifest {
        version: version.to_string(),
        arch: arch.to_string(),
        sha256,
        size,
    };
    let text = serde_json::to_vec(&manifest)?;
    let signature = pair.sign(&text);
    let partial = out.with_extension("partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    let mut entry = |name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes)
    };
    entry(MANIFEST, &text)?;
    entry(SIGNATURE, signature.as_ref())?;
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o755);
    header.set_cksum();
    tar.append_data(&mut header, BINARY, std::fs::File::open(binary)?)?;
    let file = tar.into_inner()?.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&partial, out)?;
    Ok(manifest)
}

/// What a box checks a bundle against.
pub struct Check<'a> {
    pub key: &'a PublicKey,
    /// The box's architecture; `None` on a hub, which serves every kind of box.
    pub arch: Option<&'a str>,
    /// The running version: the bundle must be newer. `None` on a hub.
    pub newer_than: Option<&'a semver::Version>,
}

/// Reads a bundle: the manifest and its signature first (refused before a byte of the
/// binary is written), then the binary into `out`, hashed as it streams. Returns the
/// manifest once the binary matches it; on any refusal `out` is removed. `out` gets mode
/// 0755 and is fsynced, so a caller only has to rename it.
pub fn unpack(
    bundle: impl Read,
    check: &Check,
    out: &mut dyn Write,
) -> Result<Manifest, ReleaseError> {
    let mut archive = tar::Archive::new(bundle.take(MAX_BUNDLE_BYTES + 1));
    let mut entries = archive.entries()?;
    let mut next = |name: &'static str| -> Result<_, ReleaseError> {
        let entry = entries
            .next()
            .ok_or(if name == SIGNATURE {
                ReleaseError::Unsigned
            } else {
                ReleaseError::Malformed("an entry is missing")
            })?
            .map_err(|_| ReleaseError::Malformed("not a tar file"))?;
        let path = entry
            .path()
            .map_err(|_| ReleaseError::Malformed("an entry's name is unreadable"))?;
        if path.as_os_str() != name {
            return Err(if name == SIGNATURE {
                ReleaseError::Unsigned
            } else {
                ReleaseError::Malformed("its entries are not manifest.json, manifest.sig, vappoint")
            });
        }
        Ok(entry)
    };
    let small = |entry: tar::Entry<_>, limit: u64| -> Result<Vec<u8>, ReleaseError> {
        if entry.size() > limit {
            return Err(ReleaseError::Malformed("its manifest is too large"));
        }
        let mut bytes = Vec::new();
        entry.take(limit).read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    let text = small(next(MANIFEST)?, MAX_MANIFEST_BYTES)?;
    let signature = small(next(SIGNATURE)?, SIGNATURE_BYTES)?;
    UnparsedPublicKey::new(&ED25519, &check.key.0)
        .verify(&text, &signature)
        .map_err(|_| ReleaseError::OtherKey)?;
    // Signed: from here on the manifest is the releaser's word.
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|_| ReleaseError::Malformed("its manifest is unreadable"))?;
    let version = manifest.semver()?;
    if let Some(here) = check.arch
        && manifest.arch != here
    {
        return Err(ReleaseError::WrongArch {
            bundle: manifest.arch,
            here: here.to_string(),
        });
    }
    if let Some(running) = check.newer_than
        && version <= *running
    {
        return Err(ReleaseError::NotNewer {
            bundle: manifest.version,
            running: running.to_string(),
        });
    }
    if manifest.size > MAX_BUNDLE_BYTES {
        return Err(ReleaseError::TooLarge);
    }
    let binary = next(BINARY)?;
    if binary.size() != manifest.size {
        return Err(ReleaseError::Tampered);
    }
    let mut hashing = HashingWriter {
        inner: out,
        ctx: ring::digest::Context::new(&ring::digest::SHA256),
    };
    let copied = std::io::copy(&mut binary.take(manifest.size), &mut hashing)?;
    let sha = data_encoding::HEXLOWER.encode(hashing.ctx.finish().as_ref());
    if copied != manifest.size || sha != manifest.sha256 {
        return Err(ReleaseError::Tampered);
    }
    Ok(manifest)
}

/// Checks a bundle file and writes its binary to `dest` (via `dest.partial`: written,
/// fsynced, renamed), with the manifest beside it as `manifest.json`.
pub fn install(bundle: &Path, check: &Check, dest_dir: &Path) -> Result<Manifest, ReleaseError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(dest_dir)?;
    let partial = dest_dir.join("vappoint.partial");
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o755)
            .open(&partial)?;
        let manifest = unpack(
            std::io::BufReader::new(std::fs::File::open(bundle)?),
            check,
            &mut file,
        )?;
        file.sync_all()?;
        drop(file);
        let text = serde_json::to_vec(&manifest).map_err(std::io::Error::other)?;
        let manifest_file = dest_dir.join("manifest.json");
        std::fs::write(&manifest_file, text)?;
        std::fs::File::open(&manifest_file)?.sync_all()?;
        std::fs::rename(&partial, dest_dir.join(BINARY))?;
        std::fs::File::open(dest_dir)?.sync_all()?;
        Ok(manifest)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

struct HashingWriter<'a> {
    inner: &'a mut dyn Write,
    ctx: ring::digest::Context,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.ctx.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PublicKey) {
        let dir = tempfile::tempdir().unwrap();
        keygen(&dir.path().join("keys")).unwrap();
        std::fs::write(dir.path().join("bin"), b"#!/bin/sh\nexit 0\n").unwrap();
        let key = PublicKey::load(&dir.path().join("keys/update.pub")).unwrap();
        (dir, key)
    }

    fn signed(dir: &Path, version: &str, arch: &str) -> PathBuf {
        let out = dir.join(format!("{version}-{arch}.bundle"));
        sign(
            &dir.join("keys/update.key"),
            &dir.join("bin"),
            version,
            arch,
            &out,
        )
        .unwrap();
        out
    }

    fn check_with(key: &PublicKey, bundle: &Path, running: &str) -> Result<Manifest, ReleaseError> {
        let running = semver::Version::parse(running).unwrap();
        let check = Check {
            key,
            arch: Some(this_arch()),
            newer_than: Some(&running),
        };
        unpack(
            std::fs::File::open(bundle).unwrap(),
            &check,
            &mut Vec::new(),
        )
    }

    #[test]
    fn a_signed_newer_bundle_opens_and_every_refusal_has_its_reason() {
        let (dir, key) = setup();
        let good = signed(dir.path(), "0.2.0", this_arch());
        let m = check_with(&key, &good, "0.1.0").unwrap();
        assert_eq!((m.version.as_str(), m.size), ("0.2.0", 17));
        assert!(matches!(
            check_with(&key, &good, "0.2.0"),
            Err(ReleaseError::NotNewer { .. })
        ));
        assert!(matches!(
            check_with(&key, &good, "0.3.0"),
            Err(ReleaseError::NotNewer { .. })
        ));
        let arm = signed(dir.path(), "0.2.0", "sparc64");
        assert!(matches!(
            check_with(&key, &arm, "0.1.0"),
            Err(ReleaseError::WrongArch { .. })
        ));
        // Another key.
        keygen(&dir.path().join("other")).unwrap();
        let other = PublicKey::load(&dir.path().join("other/update.pub")).unwrap();
        assert!(matches!(
            check_with(&other, &good, "0.1.0"),
            Err(ReleaseError::OtherKey)
        ));
        // The binary changed after signing: same length, other bytes.
        let mut bytes = std::fs::read(&good).unwrap();
        let at = bytes.windows(4).position(|w| w == b"exit").unwrap();
        bytes[at + 5] = b'1';
        let tampered = dir.path().join("tampered.bundle");
        std::fs::write(&tampered, &bytes).unwrap();
        assert!(matches!(
            check_with(&key, &tampered, "0.1.0"),
            Err(ReleaseError::Tampered)
        ));
        // A tar with only the manifest and the binary.
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in [("manifest.json", &b"{}"[..]), ("vappoint", &b"x"[..])] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_cksum();
            b.append_data(&mut h, name, data).unwrap();
        }
        let unsigned = dir.path().join("unsigned.bundle");
        std::fs::write(&unsigned, b.into_inner().unwrap()).unwrap();
        assert!(matches!(
            check_with(&key, &unsigned, "0.1.0"),
            Err(ReleaseError::Unsigned)
        ));
        std::fs::write(&unsigned, b"not a tar at all").unwrap();
        assert!(check_with(&key, &unsigned, "0.1.0").is_err());
    }

    #[test]
    fn install_leaves_the_binary_and_its_manifest_or_nothing() {
        let (dir, key) = setup();
        let good = signed(dir.path(), "0.2.0", this_arch());
        let slot = dir.path().join("slot");
        let running = semver::Version::parse("0.1.0").unwrap();
        let check = Check {
            key: &key,
            arch: Some(this_arch()),
            newer_than: Some(&running),
        };
        install(&good, &check, &slot).unwrap();
        assert_eq!(
            std::fs::read(slot.join("vappoint")).unwrap(),
            b"#!/bin/sh\nexit 0\n"
        );
        assert!(slot.join("manifest.json").exists());
        let again = dir.path().join("slot2");
        let newer = semver::Version::parse("1.0.0").unwrap();
        let refused = Check {
            newer_than: Some(&newer),
            ..check
        };
        assert!(install(&good, &refused, &again).is_err());
        assert!(!again.join("vappoint").exists() && !again.join("vappoint.partial").exists());
    }
}
