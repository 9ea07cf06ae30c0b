//! Every box's health at the hub: what needs a visit (the Stations page's red flags), and the
//! hub's `/metrics` for the city's monitoring, read from the LAN only.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use vappoint_store::StationHealth;
use vappoint_wire::federation::UpdateStatus;

use super::HubApp;
use crate::metrics::Metrics;

/// Below this share of the card free, a box needs space (the station's own guard refuses
/// bookings at `[disk] min_free_mb`, usually later).
const DISK_FREE_PERCENT: u64 = 10;
const BACKUP_AGE: Duration = Duration::hours(48);
const CERTIFICATE_DAYS: i64 = 14;
const MAIL_BACKLOG: u32 = 100;
const CLOCK_SECONDS: i64 = 60;
const CPU_CELSIUS: i64 = 80;
/// `get_throttled`'s bits for now (under-voltage, frequency capped, throttled, soft limit);
/// the higher bits say it happened since boot.
const THROTTLED_NOW: u32 = 0xf;

/// What needs a visit, as short phrases for the Stations page (empty: healthy).
pub fn flags(s: &StationHealth, now: DateTime<Utc>) -> Vec<String> {
    let h = &s.health;
    let mut out = Vec::new();
    if h.disk_total_bytes > 0 && h.disk_free_bytes * 100 < h.disk_total_bytes * DISK_FREE_PERCENT {
        out.push(format!(
            "disk {}% free",
            h.disk_free_bytes * 100 / h.disk_total_bytes
        ));
    }
    let time = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    if let Some(b) = time(&h.last_backup)
        && now - b > BACKUP_AGE
    {
        out.push(format!("last backup {} hours ago", (now - b).num_hours()));
    }
    if let Some(c) = time(&h.certificate_expires)
        && c - now < Duration::days(CERTIFICATE_DAYS)
    {
        out.push(format!(
            "certificate expires in {} days",
            (c - now).num_days()
        ));
    }
    if h.mail_dead > 0 {
        out.push(format!("{} mails given up", h.mail_dead));
    }
    if h.mail_backlog > MAIL_BACKLOG {
        out.push(format!("{} mails waiting", h.mail_backlog));
    }
    if s.clock_offset.abs() > CLOCK_SECONDS {
        out.push(format!("clock off by {} s", s.clock_offset));
    }
    if let Some(t) = h.cpu_millicelsius
        && t > CPU_CELSIUS * 1000
    {
        out.push(format!("CPU at {} °C", t / 1000));
    }
    if h.throttled.is_some_and(|b| b & THROTTLED_NOW != 0) {
        out.push("throttled (power or heat)".into());
    }
    if let Some(UpdateStatus::Failed { version, reason }) = &h.update {
        // A station's words: kept to a line on the page.
        let reason: String = reason.chars().take(300).collect();
        let version: String = version.chars().take(40).collect();
        out.push(format!("update to {version} failed, rolled back: {reason}"));
    }
    out
}

/// Seconds the station's clock is ahead of the hub's, from the health's `sent_at`.
pub fn clock_offset(sent_at: &str, now: DateTime<Utc>) -> i64 {
    DateTime::parse_from_rfc3339(sent_at).map_or(0, |t| (t.with_timezone(&Utc) - now).num_seconds())
}

/// `GET /metrics`: every station's health and last report, for the LAN only.
pub(super) async fn metrics(
    State(h): State<Arc<HubApp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    if !crate::lan::is_lan(peer.ip()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let (stations, healths) = match (h.db(|s| s.stations()).await, h.db(|s| s.healths()).await) {
        (Ok(s), Ok(hs)) => (s, hs),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "reading stations for /metrics");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let now = Utc::now();
    let mut m = Metrics::default();
    for s in stations.iter().filter(|s| s.enrolled && !s.revoked) {
        let labels = [("station", s.code.as_str()), ("zone", s.zone.as_str())];
        if let Some(t) = s.last_seen {
            m.gauge(
                "vappoint_station_last_seen_timestamp_seconds",
                "When the station last pushed.",
                &labels,
                t.timestamp() as f64,
            );
        }
        if let Some(health) = healths.get(&s.code) {
            crate::metrics::health(&mut m, &labels, &health.health);
            m.gauge(
                "vappoint_clock_offset_seconds",
                "How far the station's clock is ahead of the hub's.",
                &labels,
                health.clock_offset as f64,
            );
            m.gauge(
                "vappoint_health_flags",
                "How many things about the station need a visit.",
                &labels,
                flags(health, now).len() as f64,
            );
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        m.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vappoint_wire::federation::Health;

    fn at(h: Health, clock_offset: i64) -> StationHealth {
        StationHealth {
            health: h,
            clock_offset,
            received_at: Utc::now(),
        }
    }

    #[test]
    fn a_healthy_box_has_no_flags_and_each_trouble_one() {
        let now = Utc::now();
        let good = Health {
            disk_free_bytes: 50,
            disk_total_bytes: 100,
            certificate_expires: Some((now + Duration::days(60)).to_rfc3339()),
            last_backup: Some((now - Duration::hours(20)).to_rfc3339()),
            cpu_millicelsius: Some(55_000),
            throttled: Some(0x50000),
            ..Health::default()
        };
        assert!(flags(&at(good.clone(), 5), now).is_empty());
        let bad = Health {
            disk_free_bytes: 5,
            certificate_expires: Some((now + Duration::days(3)).to_rfc3339()),
            last_backup: Some((now - Duration::hours(72)).to_rfc3339()),
            mail_dead: 2,
            mail_backlog: 150,
            cpu_millicelsius: Some(85_000),
            throttled: Some(0x4),
            ..good
        };
        assert_eq!(flags(&at(bad, -120), now).len(), 8);
    }

    #[test]
    fn a_failed_update_is_flagged_with_its_reason_and_the_others_are_not() {
        let with = |update| Health {
            update: Some(update),
            ..Health::default()
        };
        let failed = with(UpdateStatus::Failed {
            version: "0.3.0".into(),
            reason: "it stopped 3 times before it was healthy".into(),
        });
        assert_eq!(
            flags(&at(failed, 0), Utc::now()),
            ["update to 0.3.0 failed, rolled back: it stopped 3 times before it was healthy"]
        );
        let ok = with(UpdateStatus::Ok {
            version: "0.3.0".into(),
        });
        assert!(flags(&at(ok, 0), Utc::now()).is_empty());
    }
}
