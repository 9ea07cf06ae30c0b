//! Backups: the station's whole data directory (a consistent snapshot of the database, the
//! documents, the keys and certificates) as one tar file encrypted with age to the station's
//! recovery key, and restoring one onto a new box. Without the recovery key a backup is
//! unreadable, wherever it is kept.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use anyhow::{Context, bail};
use vappoint_store::Store;

/// The recovery key (an age X25519 identity, `AGE-SECRET-KEY-1…`), made on first need.
pub const RECOVERY_KEY: &str = "keys/recovery.key";
/// The database, which goes into a backup as a snapshot, not as its live files.
const DATABASE: &str = "vappoint.db";
const SNAPSHOT: &str = ".backup-snapshot.db";

/// What a backup or a restore held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    /// Bytes before encryption.
    pub bytes: u64,
}

/// The station's recovery key: read from `keys/recovery.key`, or made there (`0600`).
pub fn recovery_key(data: &Path) -> anyhow::Result<age::x25519::Identity> {
    let path = data.join(RECOVERY_KEY);
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{} is not an age key: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            crate::secrets::private_dir(&data.join("keys"))?;
            let key = age::x25519::Identity::generate();
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            writeln!(f, "{}", key.to_string().expose_secret())?;
            f.sync_all()?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Parses a recovery key as typed or pasted (surrounding space ignored).
pub fn parse_recovery_key(text: &str) -> anyhow::Result<age::x25519::Identity> {
    text.trim().parse().map_err(|_| {
        anyhow::anyhow!("that is not a recovery key (it starts with AGE-SECRET-KEY-1)")
    })
}

/// Writes an encrypted backup of `data` to `out`. The station may be running: the database
/// goes in as a snapshot (`VACUUM INTO`), consistent at one instant.
pub fn write(data: &Path, store: &Store, out: impl Write) -> anyhow::Result<Summary> {
    let recipient = recovery_key(data)?.to_public();
    let snapshot = Snapshot(data.join(SNAPSHOT));
    store
        .snapshot_to(&snapshot.0)
        .context("taking a snapshot of the database")?;
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))?;
    let mut sealed = encryptor.wrap_output(out)?;
    let mut summary = Summary::default();
    {
        let mut tar = tar::Builder::new(&mut sealed);
        tar.follow_symlinks(false);
        add_file(&mut tar, &snapshot.0, Path::new(DATABASE), &mut summary)?;
        for entry in std::fs::read_dir(data)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // The live database files (the snapshot stands for them) and the snapshot itself.
            if name.starts_with(DATABASE) || name == SNAPSHOT {
                continue;
            }
            add_tree(
                &mut tar,
                &entry.path(),
                Path::new(name.as_ref()),
                &mut summary,
            )?;
        }
        tar.finish()?;
    }
    sealed.finish()?.flush()?;
    Ok(summary)
}

/// Restores a backup into `data`, which must not hold a station yet; refuses a backup the
/// key does not open before writing anything.
pub fn restore(
    data: &Path,
    from: impl Read,
    key: &age::x25519::Identity,
) -> anyhow::Result<Summary> {
    if data.join(DATABASE).exists() {
        bail!(
            "{} already holds a station: restore into an empty directory",
            data.display()
        );
    }
    let decryptor = age::Decryptor::new(std::io::BufReader::new(from))
        .context("this file is not a station backup")?;
    let plain = match decryptor.decrypt(std::iter::once(key as &dyn age::Identity)) {
        Ok(r) => r,
        Err(age::DecryptError::NoMatchingKeys) => {
            bail!("this recovery key does not open this backup")
        }
        Err(e) => return Err(e).context("opening the backup"),
    };
    crate::secrets::private_dir(data)?;
    let mut summary = Summary::default();
    let mut archive = tar::Archive::new(plain);
    for entry in archive.entries()? {
        let mut entry = entry.context("reading the backup (is it complete?)")?;
        summary.bytes += entry.size();
        if entry.header().entry_type().is_file() {
            summary.files += 1;
        }
        // `unpack_in` refuses paths that leave `data` (`..`, absolute).
        if !entry.unpack_in(data)? {
            bail!("the backup holds a path outside the data directory");
        }
    }
    Ok(summary)
}

/// The snapshot file, removed however the backup ends.
struct Snapshot(PathBuf);

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn add_file(
    tar: &mut tar::Builder<impl Write>,
    path: &Path,
    name: &Path,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        // Removed meanwhile (retention, a booking that failed): the snapshot does not name it.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    summary.files += 1;
    summary.bytes += f.metadata()?.len();
    tar.append_file(name, &mut f)?;
    Ok(())
}

fn add_tree(
    tar: &mut tar::Builder<impl Write>,
    path: &Path,
    name: &Path,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        tar.append_dir(name, path)?;
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            add_tree(tar, &entry.path(), &name.join(entry.file_name()), summary)?;
        }
    } else if meta.is_file() {
        add_file(tar, path, name, summary)?;
    }
    Ok(())
}
