//! The call signalling protocol on the station's WebSocket (`/ws/officer`, `/ws/citizen`):
//! JSON messages tagged by `type`. The browser pages and the Rust tests speak it.

use serde::{Deserialize, Serialize};

/// Largest message accepted from a browser (an SDP offer is a few KB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// An ICE candidate as browsers give it (`RTCIceCandidateInit`), so it travels over the
/// signalling WebSocket unchanged in either direction. The bridge uses this type too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub candidate: String,
    #[serde(rename = "sdpMid", default)]
    pub sdp_mid: Option<String>,
    #[serde(rename = "sdpMLineIndex", default)]
    pub sdp_mline_index: Option<u16>,
}

/// One STUN or TURN server, as in the browser's `RTCIceServer`: what the station's
/// configuration lists (`[[calls.ice_servers]]`), what pages are given (with made TURN
/// credentials) and what the bridge uses. A server without credentials leaves them out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// From the citizen's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CitizenMsg {
    /// The SDP offer of the citizen's peer connection (only once admitted).
    Offer {
        sdp: String,
    },
    Candidate {
        candidate: Candidate,
    },
    /// The citizen leaves the call (or the waiting room).
    Leave,
    /// The citizen stopped sending video (`on`), or sends it again; the officer is told.
    AudioOnly {
        on: bool,
    },
    /// Round-trip check of the connection to the box.
    Ping {
        n: u32,
    },
}

/// From the officer's console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OfficerMsg {
    /// Call this waiting citizen in.
    Admit {
        appointment: i64,
    },
    Offer {
        appointment: i64,
        sdp: String,
    },
    Candidate {
        appointment: i64,
        candidate: Candidate,
    },
    /// Add (or with a negative number take away) minutes.
    Adjust {
        appointment: i64,
        minutes: i64,
    },
    /// Back to the waiting room (the call can resume later).
    SendBack {
        appointment: i64,
    },
    /// End the call, with an optional message for the citizen about what happens next.
    End {
        appointment: i64,
        message: Option<String>,
    },
    Ping {
        n: u32,
    },
}

/// One line of the officer's live list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub appointment: i64,
    pub reference: String,
    pub name: String,
    /// Local time of the slot, "11:05".
    pub time: String,
    pub reason_category: String,
    pub reason: String,
    pub documents: Vec<QueueDocument>,
    /// waiting, away, late, no_show, expected, in_call, admitted, done, ended_early, cancelled
    pub status: String,
    /// Seconds since the citizen started waiting (when waiting).
    pub waiting_seconds: Option<i64>,
    /// In a call, the citizen sends no video.
    #[serde(default)]
    pub audio_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueDocument {
    pub id: i64,
    pub file_name: String,
}

/// The countdown of a running call. Times are Unix milliseconds from the box's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timer {
    pub ends_at_ms: i64,
    pub warning_at_ms: i64,
    pub now_ms: i64,
}

/// From the box to either page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// Citizen: your place in the queue and when the officer expects to call you.
    Queue {
        position: usize,
        expected_at_ms: i64,
        /// The same time as the station says it ("11:05 IST"), for the page to show.
        #[serde(default)]
        expected_at: String,
        late_minutes: i64,
    },
    /// Citizen: the officer is calling you in; start your connection. Also sent again to a
    /// citizen's page that reconnects during the call, and to an officer's page that opens
    /// while the officer's call is live: (re)connect to this call.
    Admitted {
        appointment: i64,
    },
    /// Officer: the citizen of your call came back (a reload or a dropped connection) and
    /// is connecting again.
    Reconnected {
        appointment: i64,
    },
    /// Officer: the citizen of your call lost their connection; the call waits for them.
    CitizenAway {
        appointment: i64,
    },
    /// Officer: the live list of the day.
    Waiting {
        entries: Vec<QueueEntry>,
    },
    /// Officer: a citizen has just started waiting (play the signal).
    Arrived {
        appointment: i64,
        name: String,
    },
    Answer {
        appointment: i64,
        sdp: String,
    },
    Candidate {
        appointment: i64,
        candidate: Candidate,
    },
    /// Both sides: the call is connected through the box.
    Connected {
        appointment: i64,
    },
    Timer {
        appointment: i64,
        timer: Timer,
    },
    /// Both sides: the time is up; the call closes after `grace_seconds` unless extended.
    Ending {
        appointment: i64,
        grace_seconds: u32,
    },
    /// Citizen: the officer sent you back to the waiting room.
    BackToWaiting {
        appointment: i64,
    },
    /// Officer: the citizen stopped (`on`) or resumed sending video.
    AudioOnly {
        appointment: i64,
        on: bool,
    },
    /// Both sides: the call has ended.
    Ended {
        appointment: i64,
        by: String,
        message: Option<String>,
    },
    Pong {
        n: u32,
    },
    /// A refusal; the connection stays open unless the message says otherwise.
    Error {
        code: String,
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_a_stable_shape() {
        let m: OfficerMsg =
            serde_json::from_str(r#"{"type":"adjust","appointment":3,"minutes":2}"#).unwrap();
        assert_eq!(
            m,
            OfficerMsg::Adjust {
                appointment: 3,
                minutes: 2
            }
        );
        let c: CitizenMsg = serde_json::from_str(
            r#"{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}"#,
        )
        .unwrap();
        assert!(matches!(c, CitizenMsg::Candidate { .. }));
        assert!(serde_json::from_str::<CitizenMsg>(r#"{"type":"admit","appointment":1}"#).is_err());
        assert!(
            serde_json::from_str::<CitizenMsg>(r#"{"type":"offer","sdp":"v=0","extra":1}"#)
                .is_err()
        );
        assert_eq!(
            serde_json::from_str::<CitizenMsg>(r#"{"type":"audio_only","on":true}"#).unwrap(),
            CitizenMsg::AudioOnly { on: true }
        );
        let s = serde_json::to_string(&ServerMsg::Pong { n: 7 }).unwrap();
        assert_eq!(s, r#"{"type":"pong","n":7}"#);
    }
}
