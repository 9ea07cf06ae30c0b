//! What a station (or anyone with a station's certificate) sends the hub: enrolments, TURN
//! requests and pushes with their messages; a value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vappoint_wire::federation::{Body, EnrollRequest, Push, TurnRequest};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<EnrollRequest>(data);
    let _ = serde_json::from_slice::<TurnRequest>(data);
    if let Ok(push) = serde_json::from_slice::<Push>(data) {
        for m in push.messages {
            let _ = serde_json::from_str::<Body>(m.body.get());
        }
    }
    let _ = serde_json::from_slice::<Body>(data);
});
