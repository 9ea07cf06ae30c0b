//! The federation protocol between a station and its hub (see docs/federation.md): enrolment
//! and pushes of versioned, sequenced messages. Only counts and officers' names cross it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub const VERSION: u32 = 1;
/// At most this many messages in one push, and this many bytes in its body.
pub const MAX_MESSAGES: usize = 500;
pub const MAX_PUSH_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub version: u32,
    pub station: String,
    /// The station's certificate signing request (PEM).
    pub csr: String,
    /// HMAC-SHA256(K, "station" || station || csr), hex.
    pub mac: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollResponse {
    pub certificate: String,
    pub ca: String,
    pub hub_tls_sha256: String,
    /// The station's public name under the hub's relay domain (`<code>.<domain>`), when the
    /// hub relays; citizens reach a relay-mode station there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_host: Option<String>,
    /// HMAC-SHA256(K, "hub" || certificate || ca || hub_tls_sha256 || public_host), hex
    /// (public_host as "" when there is none).
    pub mac: String,
    /// The federation URLs of every hub process serving this city (`[hub] urls`), all with
    /// the same pinned certificate; empty when the hub names none, and the station keeps the
    /// address it enrolled at. Not in the MAC: the station reads it over the TLS connection
    /// whose certificate the MAC vouches for, and an older station ignores it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hubs: Vec<String>,
}

/// A station asks its hub for TURN credentials (`POST /federation/v1/turn`, mutual TLS):
/// valid for `minutes` (the hub caps it) plus the hub's grace.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnRequest {
    pub minutes: u32,
}

/// The hub's TURN servers with credentials made for this station, valid until `expires`
/// (Unix seconds). The hub's shared secret never leaves it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnAnswer {
    pub ice_servers: Vec<crate::signal::IceServer>,
    pub expires: i64,
}

/// One queued message as pushed; `body` is sent exactly as the station stored it, and
/// `digest` is the SHA-256 (hex) of that text.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushMessage {
    pub seq: i64,
    pub digest: String,
    pub body: Box<RawValue>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Push {
    pub version: u32,
    pub station: String,
    pub messages: Vec<PushMessage>,
    /// The box's health as the push leaves it (a hub older than this field refuses the
    /// push: upgrade hubs first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

/// The box's health, carried by every push. Not a sequenced message: the hub keeps only the
/// newest, and a lost one is replaced by the next. About the box only: no citizen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    pub version: String,
    pub uptime_seconds: u64,
    pub disk_free_bytes: u64,
    pub disk_total_bytes: u64,
    /// The database with its write-ahead log.
    pub database_bytes: u64,
    /// The last backup that left the box (RFC 3339), if any.
    pub last_backup: Option<String>,
    /// When the certificate citizens see expires (RFC 3339); none on the LAN's self-signed one.
    pub certificate_expires: Option<String>,
    /// Mail waiting: in the spool (no relay) or being retried.
    pub mail_backlog: u32,
    /// Mail given up on in the last week.
    pub mail_dead: u32,
    /// The station's clock when it sent this (RFC 3339): the hub compares it with its own.
    pub sent_at: String,
    /// The CPU's temperature, in thousandths of a degree Celsius, where the box can read it.
    pub cpu_millicelsius: Option<i64>,
    /// A Raspberry Pi's firmware throttling bits (`get_throttled`), where there are any.
    pub throttled: Option<u32>,
    /// Debian installed updates that need a reboot (`/run/reboot-required`).
    pub reboot_required: bool,
    /// The last or current update of the box's own binary, if it ever had one. Sent only
    /// when there is one, so a hub older than this field still takes pushes of a box that
    /// was never updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<UpdateStatus>,
}

/// Where the box's update stands: downloading and installing a bundle, running it on trial
/// (it must prove itself healthy within the window), committed, or rolled back with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum UpdateStatus {
    Installing { version: String },
    Trial { version: String },
    Ok { version: String },
    Failed { version: String, reason: String },
}

/// An update the hub offers a station, in the answer to a push: the station fetches it from
/// `GET /federation/v1/updates/{id}` when `version` is newer than what it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOffer {
    /// The bundle's SHA-256 (hex): its name at the hub, and a check of the download.
    pub id: String,
    pub version: String,
    /// The CPU it is for, as Rust names it (`aarch64`, `x86_64`).
    pub arch: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAck {
    pub acked: i64,
    /// Updates for this station, the newest per CPU architecture, if the hub has any for it
    /// (older stations ignore the field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<UpdateOffer>,
    /// The hub processes' federation URLs, as in [`EnrollResponse::hubs`], so a station
    /// learns of a hub added after it enrolled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hubs: Vec<String>,
}

/// An officer as a profile message names them. Unknown fields are refused like in every
/// other message body: a citizen's details must not slip through the hub unnoticed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficerName {
    pub id: i64,
    pub name: String,
    pub rank: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityDay {
    pub officer_id: i64,
    pub date: String,
    pub offered: u32,
    pub free: u32,
    pub next_free: Option<String>,
}

/// The nine counters of one officer's day (and the appointments per reason category), as a
/// station reports them; also what the hub sums them into over days, officers, stations and
/// zones (hence 64 bits: a year of a city overflows 32). Counts and sums only: no citizen.
///
/// It has no `deny_unknown_fields` of its own: serde ignores it on a flattened struct, and
/// [`Body`] refuses unknown fields around it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    pub offered: u64,
    pub booked: u64,
    pub completed: u64,
    pub no_show: u64,
    pub cancelled: u64,
    pub wait_seconds_sum: i64,
    pub wait_count: u64,
    pub call_seconds_sum: i64,
    pub call_count: u64,
    pub reasons: BTreeMap<String, u64>,
}

impl DayCounts {
    /// Adds `other`'s counters and reasons to these.
    pub fn add(&mut self, other: &DayCounts) {
        self.offered += other.offered;
        self.booked += other.booked;
        self.completed += other.completed;
        self.no_show += other.no_show;
        self.cancelled += other.cancelled;
        self.wait_seconds_sum += other.wait_seconds_sum;
        self.wait_count += other.wait_count;
        self.call_seconds_sum += other.call_seconds_sum;
        self.call_count += other.call_count;
        for (k, v) in &other.reasons {
            *self.reasons.entry(k.clone()).or_default() += v;
        }
    }
}

/// What a message says. All kinds are snapshots: the newest one for a key wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Body {
    Profile {
        name: String,
        zone: String,
        officers: Vec<OfficerName>,
    },
    Availability {
        generated_at: String,
        days: Vec<AvailabilityDay>,
    },
    Daily {
        date: String,
        officer_id: i64,
        /// Flattened: on the wire the counters sit beside `date` and `officer_id`.
        #[serde(flatten)]
        counts: DayCounts,
    },
    Heartbeat {
        at: String,
    },
    /// The head of the station's audit log: the newest entry's number and SHA-256 (hex). The
    /// log itself never leaves the station; the hub keeps heads so that a log rewritten later
    /// can be caught out.
    AuditHead {
        seq: i64,
        hash: String,
    },
}

impl Body {
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Profile { .. } => "profile",
            Body::Availability { .. } => "availability",
            Body::Daily { .. } => "daily",
            Body::Heartbeat { .. } => "heartbeat",
            Body::AuditHead { .. } => "audit_head",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_bodies_travel_unchanged() {
        let body = r#"{"kind":"heartbeat","at":"2026-11-30T11:00:00+05:30"}"#;
        let push = Push {
            version: VERSION,
            station: "DGP".into(),
            messages: vec![PushMessage {
                seq: 1,
                digest: "d".into(),
                body: RawValue::from_string(body.into()).unwrap(),
            }],
            health: None,
        };
        let text = serde_json::to_string(&push).unwrap();
        assert!(text.contains(body));
        let back: Push = serde_json::from_str(&text).unwrap();
        assert_eq!(back.messages[0].body.get(), body);
        let parsed: Body = serde_json::from_str(body).unwrap();
        assert_eq!(parsed.kind(), "heartbeat");
        // Unknown fields (say, a citizen's name slipped into a body) are refused.
        assert!(
            serde_json::from_str::<Body>(r#"{"kind":"heartbeat","at":"x","name":"Asha"}"#).is_err()
        );
    }

    /// The daily message's JSON is what stations and hubs of every version speak: the
    /// counters sit beside the date, and unknown fields are still refused.
    #[test]
    fn daily_counts_are_flat_on_the_wire() {
        let text = r#"{"kind":"daily","date":"2026-11-30","officer_id":3,"offered":12,"booked":5,"completed":3,"no_show":1,"cancelled":1,"wait_seconds_sum":240,"wait_count":3,"call_seconds_sum":900,"call_count":3,"reasons":{"complaint":4,"other":1}}"#;
        let body: Body = serde_json::from_str(text).unwrap();
        let Body::Daily {
            date,
            officer_id,
            counts,
        } = &body
        else {
            panic!("not daily: {body:?}")
        };
        assert_eq!((date.as_str(), *officer_id), ("2026-11-30", 3));
        assert_eq!(
            (counts.offered, counts.no_show, counts.wait_seconds_sum),
            (12, 1, 240)
        );
        assert_eq!(counts.reasons["complaint"], 4);
        assert_eq!(serde_json::to_string(&body).unwrap(), text);
        let extra = text.replace(r#""call_count":3"#, r#""call_count":3,"name":"Asha""#);
        assert!(serde_json::from_str::<Body>(&extra).is_err());
        let missing = text.replace(r#""cancelled":1,"#, "");
        assert!(serde_json::from_str::<Body>(&missing).is_err());
        let officer = r#"{"kind":"profile","name":"S","zone":"Z","officers":[{"id":1,"name":"A","rank":"SI","phone":"9"}]}"#;
        assert!(serde_json::from_str::<Body>(officer).is_err());
    }

    #[test]
    fn the_audit_head_is_a_number_and_a_hash_only() {
        let text = r#"{"kind":"audit_head","seq":42,"hash":"ab12"}"#;
        let body: Body = serde_json::from_str(text).unwrap();
        assert_eq!(
            body,
            Body::AuditHead {
                seq: 42,
                hash: "ab12".into()
            }
        );
        assert_eq!(body.kind(), "audit_head");
        assert_eq!(serde_json::to_string(&body).unwrap(), text);
        let extra = r#"{"kind":"audit_head","seq":42,"hash":"ab12","actor":"officer:3"}"#;
        assert!(serde_json::from_str::<Body>(extra).is_err());
    }

    #[test]
    fn counts_add_up() {
        let mut a = DayCounts {
            offered: 2,
            wait_seconds_sum: 10,
            reasons: [("complaint".to_string(), 1)].into(),
            ..Default::default()
        };
        a.add(&a.clone());
        assert_eq!(
            (a.offered, a.wait_seconds_sum, a.reasons["complaint"]),
            (4, 20, 2)
        );
    }
}

/// The hub's answer to a station's backup upload (`PUT /federation/v1/backup`) and one entry
/// of its list (`GET /federation/v1/backups`). The file itself is opaque to the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredBackup {
    pub id: i64,
    pub bytes: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// RFC 3339.
    pub stored_at: String,
}

/// A replacement box asking for its station's newest backup
/// (`POST /federation/v1/replace/backup`), before it has any certificate: the one-time
/// replacement code proves it may.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupFetch {
    pub version: u32,
    pub station: String,
    /// Random, hex; the hub's answer is bound to it.
    pub nonce: String,
    /// HMAC-SHA256(K, "fetch" || station || nonce), hex, K derived from the code.
    pub mac: String,
}
