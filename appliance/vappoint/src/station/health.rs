//! The box's health: what an IT officer needs to know without a visit (version, uptime, disk,
//! database, certificate, mail, clock, temperature), gathered for every push to the hub and
//! for the station's own `/metrics` on its LAN.

use std::path::Path;

use chrono::{Duration, Utc};
use vappoint_wire::federation::Health;

use crate::station::app::App;

/// Where a Raspberry Pi reports its CPU temperature and its firmware's throttling.
const THERMAL: &str = "/sys/class/thermal/thermal_zone0/temp";
const THROTTLED: &str = "/sys/devices/platform/soc/soc:firmware/get_throttled";
const REBOOT_REQUIRED: &str = "/run/reboot-required";

/// Mail given up on this long ago still counts as trouble.
const DEAD_MAIL_DAYS: i64 = 7;

/// The box's health now. Reads a few small files and one outbox count: cheap enough for every
/// push.
pub fn gather(app: &App) -> Health {
    let data = &app.data_dir;
    let (free, total) = crate::station::disk::space_at(data).unwrap_or_default();
    let (spooled, retrying, dead) = app
        .store
        .undelivered_mail(Utc::now() - Duration::days(DEAD_MAIL_DAYS))
        .unwrap_or_default();
    Health {
        version: crate::station::update::running_version().to_string(),
        uptime_seconds: app.started.elapsed().as_secs(),
        disk_free_bytes: free,
        disk_total_bytes: total,
        database_bytes: ["vappoint.db", "vappoint.db-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(data.join(f)).ok())
            .map(|m| m.len())
            .sum(),
        last_backup: crate::station::backup::last_good(app).map(|t| t.to_rfc3339()),
        certificate_expires: app
            .public_host()
            .and_then(|h| app.certs.in_use(&h))
            .map(|c| c.not_after.to_rfc3339()),
        mail_backlog: spooled + retrying,
        mail_dead: dead,
        sent_at: Utc::now().to_rfc3339(),
        cpu_millicelsius: read_number(Path::new(THERMAL)),
        throttled: read_number(Path::new(THROTTLED)).and_then(|n| u32::try_from(n).ok()),
        reboot_required: Path::new(REBOOT_REQUIRED).exists(),
        update: crate::station::update::status(app),
    }
}

/// A number in a sysfs file ("48312\n", or "0x50005" for the throttling bits), if it is there.
fn read_number(path: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}
