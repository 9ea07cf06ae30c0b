//! The video bridge: one WebRTC peer connection per participant, RTP forwarded between the two legs of a call.
//!
//! A call (one appointment) has two legs, the officer's and the citizen's browser, each with
//! a single peer connection to this box. Whatever one leg sends is written, packet by packet,
//! to the other leg's outgoing tracks: no decoding, no transcoding, no mixing. The only
//! changes made on the way are the ones the outgoing leg's negotiation requires (SSRC,
//! payload type, sequence/timestamp continuity, header extensions; see `rewrite`).
//! Keyframe requests and bitrate estimates travel the other way, from a viewer to the sender
//! of the video.
//!
//! Signalling is the caller's business: [`Bridge::connect`] takes the browser's SDP offer and
//! returns the answer plus a stream of [`LegEvent`]s (local ICE candidates to trickle, state
//! changes); [`Bridge::add_candidate`] feeds the browser's candidates back in.
//!
//! Module map:
//! - `bridge`: the public handle and the table of calls;
//! - `leg`: one participant's peer connection and the tasks that forward its media;
//! - `rewrite`: the per-packet header rewriting (pure);
//! - `ports`: the UDP port pool (each leg binds its own port; there is no UDP mux);
//! - `feedback`: the interceptor that lets a viewer's PLI/FIR, REMB and loss reports reach the bridge;
//! - `estimate`: what a sender is told it may send, from its viewer's reports (pure);
//! - `candidate`: candidate conversion and the extra candidate for a port-forwarded public address;
//! - `config`, `error`, `types`: the public configuration, error and value types.

mod bridge;
mod candidate;
mod config;
mod error;
mod estimate;
mod feedback;
mod leg;
mod ports;
mod rewrite;
mod types;

pub use bridge::Bridge;
pub use config::{BridgeConfig, IceServer};
pub use error::BridgeError;
pub use types::{CallStats, Candidate, LegEvent, Role};
