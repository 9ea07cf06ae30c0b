//! The bridge's error type.

use crate::types::Role;

/// Why a bridge operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The browser's offer could not be parsed or applied.
    #[error("unusable SDP offer: {0}")]
    BadSdp(String),
    /// A candidate from the browser could not be parsed or applied.
    #[error("unusable ICE candidate: {0}")]
    BadCandidate(String),
    /// Every port of the configured range is taken (by other legs or by other programs).
    #[error("no free UDP port in {first}..={last}")]
    NoFreePort { first: u16, last: u16 },
    /// No local address to bind: none configured and none found on the machine's interfaces.
    #[error("no local address to bind the bridge to")]
    NoBindAddress,
    /// There is no such leg (never connected, already disconnected, or replaced).
    #[error("call {call} has no {role:?} leg")]
    UnknownLeg { call: i64, role: Role },
    /// Anything the WebRTC stack reported.
    #[error("webrtc: {0}")]
    WebRtc(#[from] webrtc::error::Error),
}
