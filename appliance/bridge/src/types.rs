//! The small public value types of the bridge API: roles, candidates, leg events, call statistics.

use serde::{Deserialize, Serialize};

/// Which side of a call a leg belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Officer,
    Citizen,
}

impl Role {
    /// The other participant of the same call: the one this leg's media is forwarded to.
    pub fn other(self) -> Role {
        match self {
            Role::Officer => Role::Citizen,
            Role::Citizen => Role::Officer,
        }
    }
}

/// An ICE candidate as the browser's `RTCIceCandidateInit` spells it: the signalling
/// protocol's own type, so the station passes candidates between page and bridge unchanged.
pub use vappoint_wire::signal::Candidate;

/// What happens on one leg, delivered on the receiver returned by [`crate::Bridge::connect`].
///
/// The stream ends (the receiver yields `None`) once the leg is closed and dropped; `Closed` is
/// sent first when the bridge closes the leg itself (replacement, `disconnect`, `end_call`).
#[derive(Clone, Debug, PartialEq)]
pub enum LegEvent {
    /// A local candidate of the bridge, to trickle to the browser.
    Candidate(Candidate),
    /// The bridge has gathered all its candidates for this leg.
    GatheringComplete,
    /// ICE and DTLS are up: media can flow.
    Connected,
    /// ICE failed (or consent expired for good); the caller should `disconnect` the leg.
    Failed,
    /// The leg was closed.
    Closed,
}

/// Counters of one call, since it was first connected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallStats {
    /// RTP packets (audio and video) written to the citizen's leg from the officer's.
    pub officer_to_citizen: u64,
    /// RTP packets (audio and video) written to the officer's leg from the citizen's.
    pub citizen_to_officer: u64,
    /// Keyframe requests (PLI/FIR) from one participant forwarded, as a PLI, to the other.
    pub keyframe_requests: u64,
    /// Bitrate estimates (REMB) from one participant's browser passed on to the other's.
    pub estimates_relayed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_uses_the_browser_field_names() {
        let c = Candidate {
            candidate: "candidate:1 1 udp 1 127.0.0.1 4000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        };
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["sdpMid"], "0");
        assert_eq!(json["sdpMLineIndex"], 0);
        let back: Candidate = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn role_serializes_lowercase_and_has_an_other_side() {
        assert_eq!(
            serde_json::to_string(&Role::Officer).unwrap(),
            "\"officer\""
        );
        assert_eq!(Role::Officer.other(), Role::Citizen);
        assert_eq!(Role::Citizen.other(), Role::Officer);
    }
}
