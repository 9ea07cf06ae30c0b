//! What a citizen's or an officer's page sends on its WebSocket: a message or an error, and the
//! SDP of an offer as the bridge's WebRTC stack parses it, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vappoint_wire::signal::{CitizenMsg, OfficerMsg};

fn sdp(text: &str) {
    let _ = rtc_sdp::SessionDescription::unmarshal(&mut std::io::Cursor::new(text.as_bytes()));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = serde_json::from_slice::<CitizenMsg>(data)
        && let CitizenMsg::Offer { sdp: s } = &m
    {
        sdp(s);
    }
    if let Ok(m) = serde_json::from_slice::<OfficerMsg>(data)
        && let OfficerMsg::Offer { sdp: s, .. } = &m
    {
        sdp(s);
    }
    // Raw SDP too: most inputs never get through JSON.
    if let Ok(text) = std::str::from_utf8(data) {
        sdp(text);
    }
});
