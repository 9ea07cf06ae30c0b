//! Integration tests of a station running in this process: its services driven directly
//! (`services`), and two calls, each with an officer and a citizen played by real webrtc peers
//! (the bridge's test client), connected through the station's real signalling WebSockets and
//! its bridge (`signalling`).

// The bridge's own test client, shared; this test uses only part of it.
#[allow(dead_code)]
#[path = "../../../bridge/tests/it/client.rs"]
mod client;
mod layers;
mod services;
mod signalling;

use std::time::{Duration, Instant};

/// How long one condition may take to come true on a loaded two-core machine.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// Polls `cond` every 10 ms until it holds (`true`) or `deadline` has passed (`false`).
pub async fn wait_until(deadline: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
