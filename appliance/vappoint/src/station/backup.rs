//! Backups: the station's whole data directory (a consistent snapshot of the database, the
//! documents, the keys and certificates) as one tar file encrypted with age to the station's
//! recovery key, and restoring one onto a new box. Without the recovery key a backup is
//! unreadable, wherever it is kept. Every night (`[backup] at`), and when an admin asks, the
//! station writes one and sends it to its hub and to the `VAPPOINT-BACKUP` USB stick, each
//! keeping the newest ones; the record of where each went feeds the Station page and health.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use age::secrecy::ExposeSecret;
use anyhow::{Context, bail};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use vappoint_store::{BACKUP_NONE, BACKUP_OK, BackupRecord, Store};

use crate::station::app::App;

/// The recovery key (an age X25519 identity, `AGE-SECRET-KEY-1…`), made on first need.
pub const RECOVERY_KEY: &str = "keys/recovery.key";
/// The database, which goes into a backup as a snapshot, not as its live files.
const DATABASE: &str = "vappoint.db";
const SNAPSHOT: &str = ".backup-snapshot.db";
/// The backup being sent (removed once it went everywhere it could).
const OUTGOING: &str = ".backup-outgoing.age";
/// A replacement's restored files, waiting for the next start to take the data directory's
/// place (see `finish_replacement`).
pub const STAGED: &str = ".restore";
/// In `STAGED` once everything there is whole: the swap may begin.
const STAGED_READY: &str = "READY";
/// In the data directory while the swap runs: the old files are gone, the staged ones are
/// being moved in.
const SWAPPING: &str = ".restore-swapping";

/// What a backup or a restore held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    /// Bytes before encryption.
    pub bytes: u64,
}

/// A recovery key that does not open the backup (nothing was written).
#[derive(Debug, thiserror::Error)]
#[error("this recovery key does not open this backup")]
pub struct WrongKey;

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
            // The live database files (the snapshot stands for them), the snapshot itself,
            // the backup being written, a replacement's staged files, and the installed
            // updates (two binaries of ~20 MB; a restored box runs its own image's version and
            // takes the newest from its hub).
            if name.starts_with(DATABASE)
                || name.starts_with(".backup")
                || name.starts_with(STAGED)
                || name == "update"
            {
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
        Err(age::DecryptError::NoMatchingKeys) => return Err(WrongKey.into()),
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

/// Writes a backup to `out` beside its final name, fsynced, then renames it, so a half-written
/// backup never looks like a whole one. Returns what it held and the file's SHA-256 (hex).
pub fn write_file(data: &Path, store: &Store, out: &Path) -> anyhow::Result<(Summary, String)> {
    let partial = out.with_extension("partial");
    let file = File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
    let mut writer = Hashing {
        inner: std::io::BufWriter::new(file),
        hash: Sha256::new(),
    };
    let summary = write(data, store, &mut writer)?;
    let sha256 = data_encoding::HEXLOWER.encode(&writer.hash.finalize());
    let file = writer.inner.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&partial, out)?;
    Ok((summary, sha256))
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// When the newest backup that reached the hub or the USB stick was made (for health).
pub fn last_good(app: &App) -> Option<DateTime<Utc>> {
    app.store.last_good_backup().ok().flatten()
}

/// One backup at a time: the nightly one and an admin's "Back up now" never overlap.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// Held while a backup is made.
struct Busy;

impl Busy {
    fn take() -> Option<Busy> {
        RUNNING
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Busy)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        RUNNING.store(false, Ordering::Release);
    }
}

/// Whether a backup is being made right now.
pub fn running() -> bool {
    RUNNING.load(Ordering::Acquire)
}

/// Makes a backup now and sends it to the hub (when enrolled) and the USB stick (when one is
/// plugged in); records where it went. `None` when one is already running.
pub async fn back_up(app: &Arc<App>) -> Option<BackupRecord> {
    let _one = Busy::take()?;
    let started = Instant::now();
    let at = Utc::now();
    let out = Outgoing(app.data_dir.join(OUTGOING));
    let (data, store, path) = (app.data_dir.clone(), app.store.clone(), out.0.clone());
    let min_free = app.config.disk.min_free_mb.saturating_mul(1_000_000);
    let written = tokio::task::spawn_blocking(move || {
        // The file is about the size of the data: written only if bookings keep their room
        // (the disk guard's threshold) while it exists.
        let need = tree_size(&data);
        let free = crate::station::disk::free_bytes_at(&data)?;
        if free < need.saturating_add(min_free) {
            bail!(
                "not enough free space on the card for a backup ({} MB needed, {} MB free)",
                (need + min_free) / 1_000_000,
                free / 1_000_000
            );
        }
        write_file(&data, &store, &path)
    })
    .await
    .map_err(anyhow::Error::from)
    .and_then(|r| r);
    let record = match written {
        Ok((_, sha256)) => {
            let bytes = std::fs::metadata(&out.0).map(|m| m.len()).unwrap_or(0);
            let hub = match to_hub(app, &out.0, &sha256).await {
                Ok(status) => status,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "the backup did not reach the hub");
                    format!("{e:#}")
                }
            };
            let code = app.profile().code;
            let (src, dir, keep) = (
                out.0.clone(),
                app.config.backup.usb_dir.clone(),
                app.config.backup.keep_on_usb,
            );
            let usb = tokio::task::spawn_blocking(move || to_usb(&src, &dir, &code, at, keep))
                .await
                .map_err(anyhow::Error::from)
                .and_then(|r| r)
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %format!("{e:#}"), "the backup could not be copied to the USB stick");
                    format!("{e:#}")
                });
            BackupRecord {
                at,
                bytes,
                millis: started.elapsed().as_millis() as u64,
                hub,
                usb,
            }
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "the backup could not be written");
            let why = format!("the backup could not be written: {e:#}");
            BackupRecord {
                at,
                bytes: 0,
                millis: started.elapsed().as_millis() as u64,
                hub: why.clone(),
                usb: why,
            }
        }
    };
    if record.good() {
        tracing::info!(bytes = record.bytes, millis = record.millis, hub = %record.hub, usb = %record.usb, "backup made");
    }
    let r = record.clone();
    if let Err(e) = app.db(move |s| s.record_backup(&r)).await {
        tracing::error!(error = %e, "recording the backup");
    }
    Some(record)
}

/// Bytes of the files under `path` (what cannot be read counts as nothing).
fn tree_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return if meta.is_file() { meta.len() } else { 0 };
    }
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| tree_size(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

/// The backup file being sent, removed however the backup ends.
struct Outgoing(PathBuf);

impl Drop for Outgoing {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("partial"));
    }
}

/// Sends the backup to the hub over the station's mutual TLS; `none` when not enrolled.
async fn to_hub(app: &Arc<App>, path: &Path, sha256: &str) -> anyhow::Result<String> {
    let Some(link) = crate::station::hub_link::load_link(&app.data_dir)? else {
        return Ok(BACKUP_NONE.to_string());
    };
    let http = crate::station::hub_link::push_client(&app.data_dir, &link)?;
    let len = tokio::fs::metadata(path).await?.len();
    // To the hub it enrolled with, else to the next hub process of the city's (each attempt
    // sends the file from its start).
    let (_, resp) = crate::station::hub_link::send_to_any(&link.urls(), &link.url, |url| {
        let file = tokio::fs::File::from_std(std::fs::File::open(path)?);
        Ok(http
            .put(format!("{url}/federation/v1/backup"))
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(
                tokio_util::io::ReaderStream::new(file),
            ))
            // A large station on a slow line: the push client's minute is not enough.
            .timeout(Duration::from_secs(6 * 3600)))
    })
    .await
    .context("reaching the hub")?;
    let status = resp.status();
    if !status.is_success() {
        let message = crate::station::hub_link::refusal_message(resp).await;
        bail!("the hub refused the backup ({status}): {message}");
    }
    let kept: vappoint_wire::federation::StoredBackup = resp
        .json()
        .await
        .context("the hub's answer could not be read")?;
    if kept.sha256 != sha256 || kept.bytes != len {
        bail!("the hub stored something else than was sent");
    }
    Ok(BACKUP_OK.to_string())
}

/// Copies the backup to the USB stick's folder, keeping the newest `keep` of this station
/// there; `none` when no stick is there to write to. The image mounts the stick (label
/// `VAPPOINT-BACKUP`) writable for the station; without it the mount point is the system's,
/// which the station may not write.
fn to_usb(
    src: &Path,
    dir: &Path,
    code: &str,
    at: DateTime<Utc>,
    keep: u32,
) -> anyhow::Result<String> {
    use std::io::ErrorKind;
    if !dir.is_dir() {
        return Ok(BACKUP_NONE.to_string());
    }
    let prefix = format!("vappoint-{code}-");
    // Milliseconds too: two backups in one second (an admin's, then the night's) both stay.
    let name = format!("{prefix}{}.age", at.format("%Y%m%d-%H%M%S-%3f"));
    let partial = dir.join(format!(".{name}.partial"));
    match std::fs::copy(src, &partial) {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            let _ = std::fs::remove_file(&partial);
            return Ok(BACKUP_NONE.to_string());
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e).with_context(|| format!("writing to {}", dir.display()));
        }
    }
    File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, dir.join(&name))?;
    File::open(dir)?.sync_all()?;
    // The names sort by time: the oldest beyond `keep` go.
    let mut ours: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".age"))
        .collect();
    ours.sort();
    let extra = ours.len().saturating_sub(keep as usize);
    for old in &ours[..extra] {
        std::fs::remove_file(dir.join(old))?;
    }
    Ok(BACKUP_OK.to_string())
}

/// The next time after `now` that the clock in `tz` shows `at`.
pub fn next_run(now: DateTime<Utc>, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut day = now.with_timezone(&tz).date_naive();
    loop {
        // A time a clock change skips (not in India, but the zone is configurable) is taken
        // at the first instant that exists after it, an hour on.
        let local = tz
            .from_local_datetime(&day.and_time(at))
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(day.and_time(at) + chrono::Duration::hours(1)))
                    .earliest()
            });
        if let Some(t) = local.map(|t| t.with_timezone(&Utc))
            && t > now
        {
            return t;
        }
        day = day.succ_opt().unwrap_or(day);
    }
}

/// The nightly backup, for the station's whole life. Waits in steps of at most ten minutes,
/// reading the clock again each time: a Pi without a real-time clock starts with an old time
/// and jumps when it is synchronised.
pub async fn run_nightly(app: Arc<App>) {
    const STEP: Duration = Duration::from_secs(600);
    let mut next = next_run(Utc::now(), app.config.backup.at, app.tz());
    loop {
        let now = Utc::now();
        if now < next {
            let wait = (next - now).to_std().unwrap_or_default().min(STEP);
            tokio::time::sleep(wait).await;
            continue;
        }
        // A box still in set-up mode holds nothing to keep.
        if app.setup.is_done() {
            back_up(&app).await;
        }
        next = next_run(Utc::now(), app.config.backup.at, app.tz());
    }
}

/// Whether a replacement's restored files wait for the next start.
pub fn replacement_waiting(data: &Path) -> bool {
    data.join(STAGED).join(STAGED_READY).exists() || data.join(SWAPPING).exists()
}

/// Marks a replacement's staged files whole: the next start swaps them in.
pub fn stage_ready(data: &Path) -> anyhow::Result<()> {
    let staged = data.join(STAGED);
    File::open(&staged)?.sync_all()?;
    File::create(staged.join(STAGED_READY))?.sync_all()?;
    File::open(&staged)?.sync_all()?;
    Ok(())
}

/// At start, before anything opens the data directory: when a replacement's restored files
/// are staged whole in `.restore/`, they take the directory's place (the new box's own files,
/// made in set-up mode, go). The `.restore-swapping` marker makes an interrupted swap resume
/// where it stopped instead of deleting files already moved in. Staged files that are not
/// whole are deleted. Returns whether a swap happened.
pub fn finish_replacement(data: &Path) -> anyhow::Result<bool> {
    let staged = data.join(STAGED);
    let swapping = data.join(SWAPPING);
    if !swapping.exists() {
        if !staged.join(STAGED_READY).exists() {
            if staged.exists() {
                std::fs::remove_dir_all(&staged)?;
            }
            return Ok(false);
        }
        for entry in std::fs::read_dir(data)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(STAGED) {
                continue;
            }
            if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(entry.path())?;
            } else {
                std::fs::remove_file(entry.path())?;
            }
        }
        File::create(&swapping)?.sync_all()?;
        File::open(data)?.sync_all()?;
    }
    match std::fs::read_dir(&staged) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name();
                if name != STAGED_READY {
                    std::fs::rename(entry.path(), data.join(&name))?;
                }
            }
            File::open(data)?.sync_all()?;
            std::fs::remove_dir_all(&staged)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    std::fs::remove_file(&swapping)?;
    File::open(data)?.sync_all()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nightly_backup_runs_next_at_the_local_time() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let at = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        // 01:00 in Pune: tonight at 02:30 (21:00 UTC the day before).
        let now = DateTime::parse_from_rfc3339("2026-03-09T19:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            next_run(now, at, tz).to_rfc3339(),
            "2026-03-09T21:00:00+00:00"
        );
        // Exactly at 02:30: the next night.
        let now = DateTime::parse_from_rfc3339("2026-03-09T21:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            next_run(now, at, tz).to_rfc3339(),
            "2026-03-10T21:00:00+00:00"
        );
        // A time a clock change skips is taken an hour on (New York, 8 March 2026).
        let ny: Tz = "America/New_York".parse().unwrap();
        let now = DateTime::parse_from_rfc3339("2026-03-08T05:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            next_run(now, at, ny).to_rfc3339(),
            "2026-03-08T07:30:00+00:00"
        );
    }

    #[test]
    fn a_staged_replacement_takes_the_data_directorys_place_and_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        std::fs::write(data.join("vappoint.db"), "new box").unwrap();
        std::fs::create_dir_all(data.join("keys")).unwrap();
        std::fs::write(data.join("keys/secret.key"), "new").unwrap();
        // Not whole: deleted, nothing else touched.
        std::fs::create_dir_all(data.join(".restore/keys")).unwrap();
        assert!(!finish_replacement(data).unwrap());
        assert!(!data.join(".restore").exists() && data.join("vappoint.db").exists());

        std::fs::create_dir_all(data.join(".restore/keys")).unwrap();
        std::fs::create_dir_all(data.join(".restore/documents")).unwrap();
        std::fs::write(data.join(".restore/vappoint.db"), "old box").unwrap();
        std::fs::write(data.join(".restore/keys/secret.key"), "old").unwrap();
        std::fs::write(data.join(".restore/documents/a"), "doc").unwrap();
        stage_ready(data).unwrap();
        assert!(replacement_waiting(data));
        // A swap interrupted after one entry moved: it resumes and keeps that entry.
        std::fs::remove_file(data.join("vappoint.db")).unwrap();
        std::fs::remove_dir_all(data.join("keys")).unwrap();
        std::fs::write(data.join(".restore-swapping"), "").unwrap();
        std::fs::rename(data.join(".restore/vappoint.db"), data.join("vappoint.db")).unwrap();
        assert!(finish_replacement(data).unwrap());
        assert_eq!(
            std::fs::read_to_string(data.join("vappoint.db")).unwrap(),
            "old box"
        );
        assert_eq!(
            std::fs::read_to_string(data.join("keys/secret.key")).unwrap(),
            "old"
        );
        assert_eq!(
            std::fs::read_to_string(data.join("documents/a")).unwrap(),
            "doc"
        );
        assert!(!replacement_waiting(data) && !data.join(".restore").exists());
        assert!(!finish_replacement(data).unwrap());
    }
}
