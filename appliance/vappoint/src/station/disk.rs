//! The disk guard: free space on the data directory's filesystem, and the threshold
//! (`[disk] min_free_mb`) below which the station refuses bookings and uploads, so the
//! database never meets a full card mid-transaction.

use std::path::Path;

use crate::station::app::App;

/// Bytes an unprivileged writer can still use on the filesystem holding `path`, and its size.
pub fn space_at(path: &Path) -> std::io::Result<(u64, u64)> {
    let s = rustix::fs::statvfs(path)?;
    Ok((
        s.f_bavail.saturating_mul(s.f_frsize),
        s.f_blocks.saturating_mul(s.f_frsize),
    ))
}

pub fn free_bytes_at(path: &Path) -> std::io::Result<u64> {
    space_at(path).map(|(free, _)| free)
}

/// Free bytes on the data directory's filesystem (0 when it cannot be read: assume the worst).
pub fn free_bytes(app: &App) -> u64 {
    free_bytes_at(&app.data_dir).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "reading free disk space");
        0
    })
}

/// Free space below the threshold, in MB (for the console's banner).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Shortage {
    pub free_mb: u64,
    pub min_mb: u64,
}

/// The shortage, when free space is below the threshold: bookings wait, the console says so.
pub fn shortage(app: &App) -> Option<Shortage> {
    let (free, min_mb) = (free_bytes(app), app.config.disk.min_free_mb);
    (free < min_mb.saturating_mul(1_000_000)).then_some(Shortage {
        free_mb: free / 1_000_000,
        min_mb,
    })
}

pub fn low(app: &App) -> bool {
    shortage(app).is_some()
}
