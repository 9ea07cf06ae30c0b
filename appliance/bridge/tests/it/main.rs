//! Integration tests of the video bridge with real webrtc peers on 127.0.0.1.
//!
//! Each test builds its own [`Bridge`] on its own slice of UDP ports, so the tests can run in
//! parallel. Nothing sleeps to synchronise: every wait polls a condition against a deadline.

mod client;
mod forwarding;
mod keyframes;
mod lifecycle;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use vappoint_bridge::{Bridge, BridgeConfig};

/// How long any one condition may take to come true. Connecting on loopback takes well under
/// a second; this leaves room for a loaded two-core machine.
pub const DEADLINE: Duration = Duration::from_secs(10);

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

/// A bridge on 127.0.0.1 with `count` ports from `first`.
pub fn bridge(first: u16, count: u16) -> Bridge {
    init_logs();
    Bridge::new(BridgeConfig {
        udp_ports: first..=first + count - 1,
        bind_ips: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        ..Default::default()
    })
}

/// Logs to the test output when `RUST_LOG` asks for them.
pub fn init_logs() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}
