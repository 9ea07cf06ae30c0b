//! The messages simulated stations push: daily figures, availability, profile, and the
//! push envelope around them. Random but reproducible: every generator is seeded from `--seed`.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Weekday};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use vappoint_domain::ReasonCategory;
use vappoint_wire::federation::{
    self as fed, AvailabilityDay, Body, DayCounts, OfficerName, Push, PushMessage,
};

use crate::LOOKAHEAD_DAYS;

/// A generator for one stream of messages (`stream` tells the simulated stations apart), made
/// from the run's `--seed`: the same seed gives the same figures.
pub(crate) fn seeded(seed: u64, stream: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

pub(crate) fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 1800).expect("IST")
}

/// Slots an officer offers on a day: Mon-Sat 11:00-13:00 and 15:00-17:00, 15 minutes each.
pub(crate) fn offered_on(date: NaiveDate) -> u32 {
    if date.weekday() == Weekday::Sun {
        0
    } else {
        16
    }
}

/// One officer's figures for a day, `progress` (0..1) of the way through it.
pub(crate) fn daily_body(
    rng: &mut SmallRng,
    date: NaiveDate,
    officer_id: i64,
    progress: f64,
) -> String {
    let offered = u64::from(offered_on(date));
    let booked = (offered as f64 * (0.5 + 0.45 * rng.random::<f64>())).round() as u64;
    let seen = (booked as f64 * progress).round() as u64;
    let no_show = (seen as f64 * 0.12 * rng.random::<f64>()).round() as u64;
    let completed = seen - no_show;
    let cancelled = if offered > 0 {
        rng.random_range(0..3)
    } else {
        0
    };
    let mut reasons = BTreeMap::new();
    for _ in 0..booked {
        let r = rng.random::<f64>();
        let cat = match r {
            r if r < 0.35 => ReasonCategory::Complaint,
            r if r < 0.55 => ReasonCategory::CyberFraud,
            r if r < 0.70 => ReasonCategory::FirFollowUp,
            r if r < 0.82 => ReasonCategory::LostArticle,
            r if r < 0.90 => ReasonCategory::DomesticViolence,
            _ => ReasonCategory::Other,
        };
        *reasons.entry(cat.as_str().to_string()).or_insert(0u64) += 1;
    }
    let wait: i64 = (0..completed)
        .map(|_| 60 + rng.random_range(0..540i64))
        .sum();
    let call: i64 = (0..completed)
        .map(|_| 300 + rng.random_range(0..600i64))
        .sum();
    serde_json::to_string(&Body::Daily {
        date: date.to_string(),
        officer_id,
        counts: DayCounts {
            offered,
            booked,
            completed,
            no_show,
            cancelled,
            wait_seconds_sum: wait,
            wait_count: completed,
            call_seconds_sum: call,
            call_count: completed,
            reasons,
        },
    })
    .expect("bodies serialise")
}

/// The next 14 days of `officers`' slots, as made at `at`.
pub(crate) fn availability_body(
    rng: &mut SmallRng,
    at: DateTime<FixedOffset>,
    officers: &[i64],
) -> String {
    let today = at.date_naive();
    let mut days = Vec::new();
    for &officer_id in officers {
        for d in 0..LOOKAHEAD_DAYS {
            let date = today + chrono::Duration::days(d);
            let offered = offered_on(date);
            // Near days are mostly booked, far ones mostly free.
            let taken =
                (offered as f64 * (0.9 - 0.05 * d as f64).max(0.1) * rng.random::<f64>()) as u32;
            let free = offered - taken;
            let next_free = (free > 0).then(|| {
                let slot = rng.random_range(0..16u32);
                let (h, m) = if slot < 8 {
                    (11 + slot / 4, (slot % 4) * 15)
                } else {
                    (15 + (slot - 8) / 4, (slot % 4) * 15)
                };
                format!("{date}T{h:02}:{m:02}:00+05:30")
            });
            days.push(AvailabilityDay {
                officer_id,
                date: date.to_string(),
                offered,
                free,
                next_free,
            });
        }
    }
    serde_json::to_string(&Body::Availability {
        generated_at: at.to_rfc3339(),
        days,
    })
    .expect("bodies serialise")
}

pub(crate) const RANKS: [&str; 4] = [
    "Senior Police Inspector",
    "Police Inspector",
    "Assistant Police Inspector",
    "Police Sub-Inspector",
];

pub(crate) fn profile_body(name: &str, zone: &str, officers: &[i64]) -> String {
    serde_json::to_string(&Body::Profile {
        name: name.to_string(),
        zone: zone.to_string(),
        officers: officers
            .iter()
            .map(|&id| OfficerName {
                id,
                name: format!("Officer {id} of {name}"),
                rank: RANKS[id as usize % RANKS.len()].to_string(),
            })
            .collect(),
    })
    .expect("bodies serialise")
}

/// A push of `bodies` numbered from `first_seq`: (request body, last seq, messages).
pub(crate) fn envelope(
    station: &str,
    first_seq: i64,
    bodies: Vec<String>,
) -> anyhow::Result<(Bytes, i64, usize)> {
    let n = bodies.len();
    let messages = bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            Ok(PushMessage {
                seq: first_seq + i as i64,
                digest: data_encoding::HEXLOWER.encode(&Sha256::digest(b.as_bytes())),
                body: RawValue::from_string(b)?,
            })
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()?;
    let push = Push {
        version: fed::VERSION,
        station: station.to_string(),
        messages,
        health: None,
    };
    Ok((
        Bytes::from(serde_json::to_vec(&push)?),
        first_seq + n as i64 - 1,
        n,
    ))
}
