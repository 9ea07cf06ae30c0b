//! JSON shapes of the station's public API under `/api/v1`. Times are RFC 3339 strings
//! with the station's offset, made by the server; this crate only names the fields, so
//! clients (tests, the hub) and the server agree on them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OfficerSummary {
    pub id: i64,
    pub name: String,
    pub rank: String,
}

/// `GET /api/v1/station`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StationInfo {
    pub name: String,
    pub code: String,
    pub zone: String,
    pub time_zone: String,
    pub officers: Vec<OfficerSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SlotInfo {
    pub start: String,
    pub end: String,
    pub free: bool,
}

/// `GET /api/v1/officers/{id}/slots?date=YYYY-MM-DD`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DaySlots {
    pub officer_id: i64,
    pub date: String,
    pub slot_minutes: u16,
    pub slots: Vec<SlotInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DocumentInfo {
    pub file_name: String,
    pub kind: String,
    pub size: u64,
}

/// `201` answer to `POST /api/v1/appointments`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Booked {
    pub reference: String,
    pub officer_id: i64,
    pub start: String,
    pub end: String,
    pub status: String,
    pub documents: Vec<DocumentInfo>,
}

/// `GET /api/v1/appointments/{link}`: what the citizen holding the link may see.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CitizenAppointment {
    pub reference: String,
    pub officer: OfficerSummary,
    pub start: String,
    pub end: String,
    pub status: String,
    pub can_change: bool,
}

/// Body of `POST /api/v1/appointments/{link}/reschedule`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    pub start: String,
}

/// Body of `POST /api/v1/appointments/{link}/token`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
}

/// Every error answer: `{"error": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_leaves_out_empty_parts() {
        let e = ErrorBody {
            error: ErrorDetail {
                code: "slot_taken".into(),
                message: "That slot was just taken.".into(),
                fields: vec![],
                tries_left: None,
            },
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":{"code":"slot_taken","message":"That slot was just taken."}}"#
        );
    }
}

pub mod federation;
pub mod signal;
