//! A rough measurement of the bridge on loopback: how long `connect` takes, how long until
//! a leg is connected, and the CPU one call costs with both participants sending about
//! 500 kbit/s (a 1200-byte video packet and a 100-byte Opus packet every 20 ms).
//!
//! Run with `cargo bench -p vappoint-bridge --bench bridge [-- SECONDS]` (default 10 s).
//!
//! The bridge and the two test clients run on separate Tokio runtimes whose worker threads
//! are named, so the bridge's CPU time can be read apart from the clients' in
//! `/proc/self/task/*/schedstat` (Linux only).

#[allow(dead_code)]
#[path = "../tests/it/client.rs"]
mod client;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use client::{CHROME, Client};
use vappoint_bridge::{Bridge, BridgeConfig, Role};

/// Used by the shared test client for its own waits.
const DEADLINE: Duration = Duration::from_secs(10);

const BRIDGE_THREADS: &str = "bridge-rt";
const CLIENT_THREADS: &str = "client-rt";

/// Nanoseconds on CPU of this process's threads whose name starts with `prefix`.
fn cpu_ns(prefix: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|name| name.trim_end().starts_with(prefix))
        })
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

async fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + DEADLINE;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    false
}

/// Joins `client` to the bridge, building the leg on the bridge's runtime (so its
/// connection's tasks run there). Returns how long `connect` took.
async fn join(
    rt: &tokio::runtime::Handle,
    bridge: &Bridge,
    client: &Client,
    call: i64,
    role: Role,
) -> Duration {
    let offer = client.offer().await;
    let b = bridge.clone();
    let started = Instant::now();
    let (answer, events) = rt
        .spawn(async move { b.connect(call, role, &offer).await })
        .await
        .expect("connect task")
        .expect("connect");
    let took = started.elapsed();
    client.accept(answer, events).await;
    client.trickle_to(bridge, call, role);
    took
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() - 1) * p / 100]
}

fn main() {
    let secs: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10);
    let bridge_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(BRIDGE_THREADS)
        .enable_all()
        .build()
        .expect("bridge runtime");
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(CLIENT_THREADS)
        .enable_all()
        .build()
        .expect("client runtime");
    let handle = bridge_rt.handle().clone();

    client_rt.block_on(async move {
        let bridge = Bridge::new(BridgeConfig {
            udp_ports: 42000..=42099,
            bind_ips: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            ..Default::default()
        });

        // 1. connect: offer in, answer out; then until ICE and DTLS are up.
        let mut connects = Vec::new();
        let mut connected = Vec::new();
        for i in 0..20u8 {
            let c = Client::new(i, CHROME).await;
            let started = Instant::now();
            connects.push(join(&handle, &bridge, &c, 1000 + i64::from(i), Role::Citizen).await);
            assert!(wait_until(|| c.connected()).await, "leg connects");
            connected.push(started.elapsed());
            bridge.end_call(1000 + i64::from(i)).await;
            c.close().await;
        }
        connects.sort();
        connected.sort();
        println!(
            "connect (offer -> answer): median {:?}, p90 {:?}, max {:?}",
            percentile(&connects, 50),
            percentile(&connects, 90),
            connects[connects.len() - 1]
        );
        println!(
            "offer -> leg connected (ICE + DTLS on loopback): median {:?}, p90 {:?}",
            percentile(&connected, 50),
            percentile(&connected, 90)
        );

        // 2. One call, both sides sending ~500 kbit/s.
        let officer = Client::new(101, CHROME).await;
        let citizen = Client::new(102, CHROME).await;
        join(&handle, &bridge, &officer, 1, Role::Officer).await;
        join(&handle, &bridge, &citizen, 1, Role::Citizen).await;
        assert!(wait_until(|| officer.connected() && citizen.connected()).await);
        let limit = Duration::from_secs(secs + 5);
        officer.start_sending(1200, limit).await;
        citizen.start_sending(1200, limit).await;
        assert!(wait_until(|| citizen.received.total() > 10 && officer.received.total() > 10).await);

        let (bridge0, client0, wall0) = (cpu_ns(BRIDGE_THREADS), cpu_ns(CLIENT_THREADS), Instant::now());
        let stats0 = bridge.stats(1).unwrap_or_default();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let wall = wall0.elapsed().as_nanos() as f64;
        let (bridge1, client1) = (cpu_ns(BRIDGE_THREADS), cpu_ns(CLIENT_THREADS));
        let stats1 = bridge.stats(1).unwrap_or_default();
        officer.stop_sending();
        citizen.stop_sending();

        let pps = (stats1.officer_to_citizen + stats1.citizen_to_officer
            - stats0.officer_to_citizen
            - stats0.citizen_to_officer) as f64
            / (wall / 1e9);
        let kbps = 2.0 * 50.0 * (1200.0 + 100.0) * 8.0 / 1000.0;
        println!(
            "one call, ~{kbps:.0} kbit/s through the bridge ({:.0} kbit/s each way), {pps:.0} packets/s forwarded:",
            kbps / 2.0
        );
        println!(
            "  bridge CPU {:.1}% of one core; the two test clients together {:.1}%",
            100.0 * (bridge1 - bridge0) as f64 / wall,
            100.0 * (client1 - client0) as f64 / wall
        );

        bridge.end_call(1).await;
        officer.close().await;
        citizen.close().await;
    });
}
