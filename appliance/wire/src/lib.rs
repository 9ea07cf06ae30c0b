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

/// `202` answer to `POST /api/v1/appointments`: the request was taken, and its result (the
/// reference, token and link, or the appointment the address already has with this officer
/// that day) is in the mail. It echoes only the request, so it reads the same in both cases.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Accepted {
    /// Always `check_mail`.
    pub status: String,
    pub officer_id: i64,
    pub start: String,
    pub end: String,
    /// The request's documents (kept with the booking, or not kept when none was made).
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
    /// One of `ErrorCode`'s strings. Kept a string on the wire so that a client built against
    /// an older list still reads an answer carrying a code it does not know.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u32>,
}

macro_rules! error_codes {
    ($($(#[$m:meta])* $variant:ident = $code:literal,)+) => {
        /// The stable `code` of every error answer of the station's API (and the key of its
        /// message, `err-<code>`, on the citizen's pages). Clients match on these strings: a
        /// variant's string never changes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$m])* $variant,)+
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }
        }
    };
}

error_codes! {
    /// Fields of the form are wrong; `fields` says which and why.
    Invalid = "invalid",
    /// The request could not be read (not the expected body, a broken upload).
    BadRequest = "bad_request",
    NotFound = "not_found",
    UnknownOfficer = "unknown_officer",
    /// The time asked for is not a time (a page's link was mangled).
    InvalidStart = "invalid_start",
    /// The time asked for has passed.
    Past = "past",
    /// The time asked for is beyond how far ahead the station books.
    TooFar = "too_far",
    /// The officer holds no appointment at the time asked for.
    NotOffered = "not_offered",
    SlotTaken = "slot_taken",
    /// The appointment is no longer booked (cancelled, or over).
    NotBooked = "not_booked",
    /// Past the cut-off for changing the appointment online.
    TooLate = "too_late",
    /// The token cannot be tried yet.
    TooEarly = "too_early",
    /// The appointment's time is over.
    Ended = "ended",
    /// Too many wrong tokens: a new one must be asked for.
    TokenDead = "token_dead",
    /// The token is not right; `tries_left` says how many tries remain.
    WrongToken = "wrong_token",
    TooLarge = "too_large",
    TooManyDocuments = "too_many_documents",
    UnsupportedDocument = "unsupported_document",
    RateLimited = "rate_limited",
    /// The day's quota of document bytes (the sender's or the station's) is used up; a
    /// booking without documents still works.
    DocumentQuota = "document_quota",
    /// Bookings from the sender's network (an IPv4 /24, an IPv6 /64) hold their share of
    /// the officer's day.
    NetworkShare = "network_share",
    /// The day's mails to this address, or on behalf of this sender, are used up.
    MailLimit = "mail_limit",
    /// The `Idempotency-Key` was used before for a different request.
    IdempotencyConflict = "idempotency_conflict",
    /// The station's storage is nearly full (`[disk] min_free_mb`): it takes no bookings
    /// until space is freed.
    StorageFull = "storage_full",
    Internal = "internal",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = ();

    fn from_str(s: &str) -> Result<ErrorCode, ()> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
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

    #[test]
    fn error_codes_serialise_as_their_strings() {
        for c in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_string(c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(*c));
        }
        assert!("nope".parse::<ErrorCode>().is_err());
    }
}

pub mod federation;
pub mod signal;
