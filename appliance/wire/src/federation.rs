//! The federation protocol between a station and its hub (see docs/federation.md): enrolment
//! and pushes of versioned, sequenced messages. Only counts and officers' names cross it.

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
    /// HMAC-SHA256(K, "hub" || certificate || ca || hub_tls_sha256), hex.
    pub mac: String,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAck {
    pub acked: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        offered: u32,
        booked: u32,
        completed: u32,
        no_show: u32,
        cancelled: u32,
        wait_seconds_sum: i64,
        wait_count: u32,
        call_seconds_sum: i64,
        call_count: u32,
        reasons: std::collections::BTreeMap<String, u32>,
    },
    Heartbeat {
        at: String,
    },
}

impl Body {
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Profile { .. } => "profile",
            Body::Availability { .. } => "availability",
            Body::Daily { .. } => "daily",
            Body::Heartbeat { .. } => "heartbeat",
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
}
