//! A rough measurement of the bridge on loopback, in two parts:
//!
//! 1. how long `connect` takes, and how long until a leg is connected;
//! 2. a ramp of concurrent calls (1, 5, 10, 20, 30, 40, 60, 80, 100), each call two test
//!    clients sending about 520 kbit/s apiece (a 1200-byte VP8 packet and a 100-byte Opus
//!    packet every 20 ms). Calls are added, never torn down, between steps; each step is
//!    measured for a few seconds once every leg is connected and media flows. Per step it
//!    prints the bridge's CPU, the process's memory, the delay packets take across the
//!    bridge, and how many packets arrived. The ramp stops at the first step that loses more
//!    than 0.5 % of the packets in either direction.
//!
//! Run with `cargo bench -p vappoint-bridge --bench bridge [-- SECONDS [MAX_CALLS]]`
//! (default 5 s per step, up to 100 calls). `--steps=1,10,50` measures those numbers of calls
//! instead, and `--ramp-only` skips part 1.
//!
//! `--ip=ADDR` puts the bridge and the clients on another local address than 127.0.0.1
//! (Janus gathers no loopback candidates: `bench/compare` runs both on a veth pair in a network
//! namespace of its own).
//!
//! `--janus=http://127.0.0.1:PORT/janus --janus-pid=PID` drives the same clients, with the
//! same media, through a running Janus's VideoCall plugin instead (the anchor of
//! `bench/compare`): the officer calls the citizen by name and Janus relays. Then "bridge %"
//! is Janus's CPU (all its threads) and the table adds Janus's RSS, which, unlike the
//! bridge's, is not mixed with the clients'. Each step also prints a `bench-step` line for
//! scripts.
//!
//! The bridge and the test clients run on separate Tokio runtimes whose worker threads are
//! named, so the bridge's CPU time can be read apart from the clients' in
//! `/proc/self/task/*/schedstat` (Linux only). Everything else is shared: the clients live in
//! this process and on the same cores, so the process's memory and the machine's CPU include
//! them, and on a small machine they, not the bridge, may be what runs out first. The table
//! shows the process's and the machine's CPU next to the bridge's so the reader can tell.

#[allow(dead_code)]
#[path = "../tests/it/client.rs"]
mod client;
#[path = "janus/signal.rs"]
mod janus;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use client::{CHROME, Client, clock_ns};
use vappoint_bridge::{Bridge, BridgeConfig, Role};

/// Used by the shared test client for its own waits.
const DEADLINE: Duration = Duration::from_secs(10);

const BRIDGE_THREADS: &str = "bridge-rt";
const CLIENT_THREADS: &str = "client-rt";

/// The numbers of concurrent calls measured, in order.
const STEPS: [usize; 9] = [1, 5, 10, 20, 30, 40, 60, 80, 100];

/// Each client's tag is a byte and each call has two clients.
const MAX_CALLS: usize = 127;

/// The video packet size: with 50 packets/s, 480 kbit/s of video per sender.
const VIDEO_BYTES: usize = 1200;

/// The share of packets a step may lose (in either direction) and still count as carried.
const LOSS_LIMIT: f64 = 0.005;

/// How long the calls of a step run after connecting before the measurement starts: a new
/// leg's DTLS handshake and first keyframe requests are not the steady state.
const WARM_UP: Duration = Duration::from_secs(1);

/// How long after a step's window packets sent in it may still arrive. Later ones count as
/// lost, as they would be for a browser's jitter buffer.
const GRACE: Duration = Duration::from_secs(1);

/// How much busier than this process (in % of all cores) the machine may be before a step's
/// figures are flagged as disturbed by other programs: a shared build machine is rarely idle.
const OTHERS_BUSY: f64 = 20.0;

/// How long the legs added in a step may take to connect and start receiving media; the
/// handshakes of many new legs compete with the calls already running.
const CONNECT_DEADLINE: Duration = Duration::from_secs(30);

/// What the clients' calls go through.
enum Server {
    /// Our bridge, in this process, its legs built on the runtime of `rt`.
    Bridge {
        bridge: Bridge,
        rt: tokio::runtime::Handle,
    },
    /// A Janus process, through its VideoCall plugin.
    Janus { janus: janus::Janus, pid: u32 },
}

impl Server {
    fn name(&self) -> &'static str {
        match self {
            Server::Bridge { .. } => "bridge",
            Server::Janus { .. } => "janus",
        }
    }

    /// Nanoseconds on CPU of the bridge's threads, or of the whole Janus process.
    fn cpu_ns(&self) -> u64 {
        match self {
            Server::Bridge { .. } => cpu_ns("self", BRIDGE_THREADS),
            Server::Janus { pid, .. } => cpu_ns(&pid.to_string(), ""),
        }
    }

    /// The Janus process's RSS in KiB (0 for the bridge, which lives in this process).
    fn rss_kib(&self) -> u64 {
        match self {
            Server::Bridge { .. } => 0,
            Server::Janus { pid, .. } => rss_kib(&pid.to_string()),
        }
    }
}

/// Nanoseconds on CPU of the threads of process `pid` ("self" for this one) whose name
/// starts with `prefix` (all of its threads for `""`).
fn cpu_ns(pid: &str, prefix: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
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

/// A process's resident memory, in KiB (`VmRSS`); `pid` "self" for this one.
fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// The whole machine's CPU time so far, in clock ticks: (busy, total). Counts what other
/// programs use too, which the process's own figure would hide.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return (0, 0);
    };
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        // user nice system idle iowait irq softirq steal; guest time is already in user.
        .take(8)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = ticks.iter().sum();
    // idle and iowait are the 4th and 5th fields.
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// UDP datagrams the kernel dropped because a socket's receive buffer was full (machine-wide,
/// `/proc/net/snmp`): loss that happens because a reader fell behind, not on the wire.
fn udp_rcvbuf_errors() -> u64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp: "));
    let (Some(names), Some(values)) = (udp.next(), udp.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(name, _)| *name == "RcvbufErrors")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

async fn wait_until(deadline: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
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
        .spawn(async move { b.connect(call, role, &offer, &[]).await })
        .await
        .expect("connect task")
        .expect("connect");
    let took = started.elapsed();
    client.accept(answer, events).await;
    client.trickle_to(bridge, call, role);
    took
}

fn percentile<T: Copy>(sorted: &[T], p: usize) -> T {
    sorted[(sorted.len() - 1) * p / 100]
}

/// One call of the ramp.
struct Call {
    id: i64,
    officer: Client,
    citizen: Client,
    /// Through Janus: the two clients' sessions, kept for the call's life.
    _janus: Option<Arc<[janus::Handle; 2]>>,
}

/// Packets of one direction, over all calls, sent during a step's window and received of
/// those.
#[derive(Default, Clone, Copy)]
struct Flow {
    sent: u64,
    received: u64,
}

impl Flow {
    fn loss(&self) -> f64 {
        if self.sent == 0 {
            return 1.0;
        }
        1.0 - self.received as f64 / self.sent as f64
    }
}

/// What one step measured.
struct Step {
    calls: usize,
    /// CPU use in % of one core over the window.
    bridge_cpu: f64,
    process_cpu: f64,
    /// Busy share of all the machine's cores, in %.
    machine_busy: f64,
    rss_kib: u64,
    /// Janus's own RSS (0 for the bridge).
    server_rss_kib: u64,
    /// Delays of the packets that arrived, sorted.
    delays_ns: Vec<u64>,
    officer_to_citizen: Flow,
    citizen_to_officer: Flow,
    udp_drops: u64,
}

impl Step {
    /// How much of the machine (in % of all cores) something other than this process used.
    fn others_busy(&self, cores: usize) -> f64 {
        self.machine_busy - self.process_cpu / cores as f64
    }

    fn worst_loss(&self) -> f64 {
        self.officer_to_citizen
            .loss()
            .max(self.citizen_to_officer.loss())
    }
}

/// Joins `count` more calls, with ids and tags following those in `calls`, waits until all
/// their legs are connected, and starts their media. Only once each new client receives
/// media does it return; if that takes longer than [`CONNECT_DEADLINE`], it says why.
async fn add_calls(
    server: &Server,
    calls: &mut Vec<Call>,
    count: usize,
    ip: IpAddr,
) -> Result<(), String> {
    let first_new = calls.len();
    for _ in 0..count {
        let index = calls.len();
        let id = index as i64 + 1;
        // Tags 2i and 2i+1: every client of the ramp is told apart from every other.
        let officer = Client::new_on((2 * index) as u8, CHROME, ip).await;
        let citizen = Client::new_on((2 * index + 1) as u8, CHROME, ip).await;
        let handles = match server {
            Server::Bridge { bridge, rt } => {
                join(rt, bridge, &officer, id, Role::Officer).await;
                join(rt, bridge, &citizen, id, Role::Citizen).await;
                None
            }
            Server::Janus { janus, .. } => Some(janus::call(janus, id, &officer, &citizen).await),
        };
        calls.push(Call {
            id,
            officer,
            citizen,
            _janus: handles,
        });
    }
    let new = &calls[first_new..];
    let clients = || new.iter().flat_map(|c| [&c.officer, &c.citizen]);

    if !wait_until(CONNECT_DEADLINE, || clients().all(|c| c.connected())).await {
        let up = clients().filter(|c| c.connected()).count();
        return Err(format!(
            "only {up} of {} new legs connected within {CONNECT_DEADLINE:?}",
            2 * new.len()
        ));
    }
    // Sent until closed: the calls keep running through the following steps.
    for c in clients() {
        c.start_sending(VIDEO_BYTES, Duration::from_secs(24 * 3600))
            .await;
    }
    if !wait_until(CONNECT_DEADLINE, || {
        clients().all(|c| c.received.total() > 10)
    })
    .await
    {
        let flowing = clients().filter(|c| c.received.total() > 10).count();
        return Err(format!(
            "only {flowing} of {} new clients received media within {CONNECT_DEADLINE:?}",
            2 * new.len()
        ));
    }
    Ok(())
}

/// Measures the running calls for `window`.
///
/// Loss and delay are counted by the send time stamped in each packet: of the packets sent
/// within the window (the senders' counters, read at its start and end), how many arrived by
/// [`GRACE`] after its end, and how long each took. Packets still in flight at the edges so
/// neither count as lost nor leak in from a neighbouring window.
async fn measure(server: &Server, calls: &[Call], window: Duration) -> Step {
    let clients = || calls.iter().flat_map(|c| [&c.officer, &c.citizen]);
    // Read before anything is recorded, so the recorded arrivals are not part of it.
    let rss_kib = rss_kib("self");
    let server_rss_kib = server.rss_kib();
    for c in clients() {
        c.received.start_recording();
    }
    let sent = |pick: fn(&Call) -> &Client| calls.iter().map(|c| pick(c).sent()).sum::<u64>();
    let officers_sent0 = sent(|c| &c.officer);
    let citizens_sent0 = sent(|c| &c.citizen);
    let t0 = clock_ns();
    let (bridge0, process0, machine0) = (server.cpu_ns(), cpu_ns("self", ""), machine_ticks());
    let udp0 = udp_rcvbuf_errors();
    let wall0 = Instant::now();

    tokio::time::sleep(window).await;

    let officers_sent1 = sent(|c| &c.officer);
    let citizens_sent1 = sent(|c| &c.citizen);
    let t1 = clock_ns();
    let (bridge1, process1, machine1) = (server.cpu_ns(), cpu_ns("self", ""), machine_ticks());
    let wall = wall0.elapsed().as_nanos() as f64;

    tokio::time::sleep(GRACE).await;
    let udp_drops = udp_rcvbuf_errors().saturating_sub(udp0);

    let mut delays_ns = Vec::new();
    let mut received = |client: &Client| {
        let in_window: Vec<u64> = client
            .received
            .stop_recording()
            .iter()
            .filter(|a| (t0..t1).contains(&a.sent_ns))
            .map(|a| a.received_ns.saturating_sub(a.sent_ns))
            .collect();
        delays_ns.extend_from_slice(&in_window);
        in_window.len() as u64
    };
    let mut officer_to_citizen = Flow {
        sent: officers_sent1 - officers_sent0,
        ..Flow::default()
    };
    let mut citizen_to_officer = Flow {
        sent: citizens_sent1 - citizens_sent0,
        ..Flow::default()
    };
    for c in calls {
        officer_to_citizen.received += received(&c.citizen);
        citizen_to_officer.received += received(&c.officer);
    }
    delays_ns.sort_unstable();

    let busy = machine1.0.saturating_sub(machine0.0) as f64;
    let total = machine1.1.saturating_sub(machine0.1) as f64;
    Step {
        calls: calls.len(),
        bridge_cpu: 100.0 * bridge1.saturating_sub(bridge0) as f64 / wall,
        process_cpu: 100.0 * process1.saturating_sub(process0) as f64 / wall,
        machine_busy: if total > 0.0 {
            100.0 * busy / total
        } else {
            0.0
        },
        rss_kib,
        server_rss_kib,
        delays_ns,
        officer_to_citizen,
        citizen_to_officer,
        udp_drops,
    }
}

fn print_header(cores: usize, window: Duration) {
    let kbps = 50.0 * (VIDEO_BYTES + 100) as f64 * 8.0 / 1000.0;
    println!();
    println!(
        "concurrent calls: each call is two clients sending ~{kbps:.0} kbit/s of RTP payload each \
         (50 x {VIDEO_BYTES} B VP8 + 50 x 100 B Opus per second); {}s measured per step, \
         {} cores",
        window.as_secs_f64(),
        cores
    );
    println!(
        "  bridge CPU: the bridge runtime's threads only, % of one core (all cores = {}%)",
        100 * cores
    );
    println!(
        "  process CPU: the whole process, bridge plus all client peers and this harness, \
         % of one core; machine: busy share of all cores, other programs included"
    );
    println!(
        "  RSS: the whole process, so it includes the client peers (two per call); \
         +RSS/call: the growth since the row before, per call added"
    );
    println!(
        "  delay: receive time - send time of packets crossing the bridge, stamped in the payload \
         on one monotonic clock; it includes both clients' webrtc stacks (SRTP, interceptors, \
         task wake-ups) as well as the bridge"
    );
    println!(
        "  o->c, c->o: packets received / sent, officers to citizens and back, over all calls \
         (later than {GRACE:?} counts as lost); udp drops: the kernel's receive-buffer drops"
    );
    println!();
    println!(
        "{:>5} {:>10} {:>9} {:>11} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8} {:>8} {:>9}",
        "calls",
        "bridge %",
        "%/call",
        "process %",
        "machine",
        "RSS MiB",
        "+RSS/call",
        "delay p50",
        "delay p99",
        "o->c",
        "c->o",
        "udp drops"
    );
}

fn print_row(server: &Server, step: &Step, rss_growth_per_call_kib: f64) {
    let ms = |ns: u64| format!("{:.2}ms", ns as f64 / 1e6);
    let (p50, p99) = if step.delays_ns.is_empty() {
        ("-".to_owned(), "-".to_owned())
    } else {
        (
            ms(percentile(&step.delays_ns, 50)),
            ms(percentile(&step.delays_ns, 99)),
        )
    };
    let share = |f: Flow| format!("{:.2}%", 100.0 * (1.0 - f.loss()));
    println!(
        "{:>5} {:>9.1}% {:>8.2}% {:>10.1}% {:>7.0}% {:>8.1} {:>9.2} {:>9} {:>9} {:>8} {:>8} {:>9}",
        step.calls,
        step.bridge_cpu,
        step.bridge_cpu / step.calls as f64,
        step.process_cpu,
        step.machine_busy,
        step.rss_kib as f64 / 1024.0,
        rss_growth_per_call_kib / 1024.0,
        p50,
        p99,
        share(step.officer_to_citizen),
        share(step.citizen_to_officer),
        step.udp_drops
    );
    if step.server_rss_kib > 0 {
        println!(
            "      {} RSS {:.1} MiB",
            server.name(),
            step.server_rss_kib as f64 / 1024.0
        );
    }
    let p99 = |d: &[u64]| if d.is_empty() { 0 } else { percentile(d, 99) };
    println!(
        "bench-step server={} calls={} cpu={:.2} process_rss_kib={} server_rss_kib={} loss={:.5} delay_p99_ns={}",
        server.name(),
        step.calls,
        step.bridge_cpu,
        step.rss_kib,
        step.server_rss_kib,
        step.worst_loss(),
        p99(&step.delays_ns)
    );
}

/// Explains the step that lost packets: was the machine out of CPU, and because of this
/// process (then the clients sharing it may be the limit as much as the bridge) or of other
/// programs? If not, the loss is the bridge's, or the kernel's buffers'.
fn print_loss(step: &Step, cores: usize) {
    let capacity = 100.0 * cores as f64;
    println!();
    println!(
        "bench: loss above {:.1}% at {} calls: {} of {} packets lost officers->citizens, {} of {} citizens->officers",
        100.0 * LOSS_LIMIT,
        step.calls,
        step.officer_to_citizen
            .sent
            .saturating_sub(step.officer_to_citizen.received),
        step.officer_to_citizen.sent,
        step.citizen_to_officer
            .sent
            .saturating_sub(step.citizen_to_officer.received),
        step.citizen_to_officer.sent,
    );
    println!(
        "bench: CPU at that step: process {:.0}% of {capacity:.0}% ({cores} cores), of which the bridge {:.0}%; machine {:.0}% busy",
        step.process_cpu, step.bridge_cpu, step.machine_busy
    );
    if step.process_cpu >= 0.9 * capacity {
        println!(
            "bench: the machine's CPU was saturated by this process: the {} client peers share the \
             cores with the bridge, so this is a limit of the test harness on this machine as much \
             as of the bridge",
            2 * step.calls
        );
    } else if step.machine_busy >= 90.0 {
        println!(
            "bench: the machine's CPU was saturated, largely by other programs: this loss says \
             little about the bridge; rerun on a quiet machine"
        );
    } else {
        println!(
            "bench: the machine's CPU was not saturated: the loss is the bridge's (or the kernel's \
             UDP buffers', see udp drops), not the harness running out of CPU"
        );
    }
}

/// The command line: `[SECONDS [MAX_CALLS]] [--steps=A,B,..] [--ramp-only]
/// [--janus=URL --janus-pid=PID]`.
struct Args {
    window: Duration,
    steps: Vec<usize>,
    ramp_only: bool,
    janus: Option<(String, u32)>,
    ip: IpAddr,
}

fn args() -> Args {
    let (mut numbers, mut steps, mut ramp_only, mut url, mut pid) =
        (Vec::new(), None, false, None, None);
    let mut ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    for a in std::env::args().skip(1) {
        if let Some(list) = a.strip_prefix("--steps=") {
            steps = Some(
                list.split(',')
                    .map(|n| n.parse::<usize>().expect("--steps=1,10,50"))
                    .collect::<Vec<_>>(),
            );
        } else if a == "--ramp-only" {
            ramp_only = true;
        } else if let Some(u) = a.strip_prefix("--janus=") {
            url = Some(u.to_owned());
        } else if let Some(a) = a.strip_prefix("--ip=") {
            ip = a.parse().expect("--ip=ADDR");
        } else if let Some(p) = a.strip_prefix("--janus-pid=") {
            pid = Some(p.parse::<u32>().expect("--janus-pid=PID"));
        } else if let Ok(n) = a.parse::<u64>() {
            numbers.push(n);
        }
    }
    let secs = numbers.first().copied().unwrap_or(5).max(1);
    let max_calls = numbers.get(1).map_or(100, |&n| n as usize).min(MAX_CALLS);
    let mut steps = steps.unwrap_or_else(|| STEPS.to_vec());
    steps.retain(|&n| n <= max_calls);
    let janus = match (url, pid) {
        (Some(u), Some(p)) => Some((u, p)),
        (None, None) => None,
        _ => panic!("--janus=URL and --janus-pid=PID go together"),
    };
    Args {
        window: Duration::from_secs(secs),
        steps,
        ramp_only: ramp_only || janus.is_some(),
        janus,
        ip,
    }
}

fn main() {
    let args = args();
    let window = args.window;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

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

    let started = Instant::now();
    client_rt.block_on(async move {
        // Two legs per call, one port each, plus room for the round robin to skip ports that
        // the first part's closed legs just released.
        let bridge = Bridge::new(BridgeConfig {
            udp_ports: 42000..=42299,
            bind_ips: vec![args.ip],
            ..Default::default()
        });

        // 1. connect: offer in, answer out; then until ICE and DTLS are up.
        if !args.ramp_only {
            let mut connects = Vec::new();
            let mut connected = Vec::new();
            for i in 0..20u8 {
                let c = Client::new_on(i, CHROME, args.ip).await;
                let started = Instant::now();
                connects.push(join(&handle, &bridge, &c, 1000 + i64::from(i), Role::Citizen).await);
                assert!(wait_until(DEADLINE, || c.connected()).await, "leg connects");
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
        }

        let server = match args.janus {
            Some((url, pid)) => Server::Janus {
                janus: janus::Janus::new(&url),
                pid,
            },
            None => Server::Bridge {
                bridge: bridge.clone(),
                rt: handle.clone(),
            },
        };
        println!("calls through: {}", server.name());

        // 2. The ramp of concurrent calls.
        print_header(cores, window);
        let mut calls: Vec<Call> = Vec::new();
        let mut carried = 0;
        let mut stopped = false;
        let mut rss_before = rss_kib("self") + server.rss_kib();
        let mut disturbed = Vec::new();
        for &target in &args.steps {
            let more = target.saturating_sub(calls.len());
            eprintln!("bench: adding {more} call(s)");
            if let Err(why) = add_calls(&server, &mut calls, more, args.ip).await {
                println!("bench: stopped at {target} calls: {why}");
                stopped = true;
                break;
            }
            tokio::time::sleep(WARM_UP).await;
            let step = measure(&server, &calls, window).await;
            let added = (target - carried).max(1) as f64;
            let rss = step.rss_kib + step.server_rss_kib;
            print_row(&server, &step, (rss as f64 - rss_before as f64) / added);
            rss_before = rss;
            if step.others_busy(cores) > OTHERS_BUSY {
                disturbed.push(step.calls);
            }
            if step.worst_loss() > LOSS_LIMIT {
                print_loss(&step, cores);
                stopped = true;
                break;
            }
            carried = target;
        }
        if !disturbed.is_empty() {
            println!();
            println!(
                "bench: other programs kept the machine busy during the steps with {disturbed:?} \
                 calls (machine busier than this process by more than {OTHERS_BUSY:.0} points): \
                 their CPU and delay figures are disturbed"
            );
        }
        if !stopped {
            println!();
            println!("bench: no loss up to {carried} calls, the largest step measured");
        }

        for call in &calls {
            if matches!(server, Server::Bridge { .. }) {
                bridge.end_call(call.id).await;
            }
            call.officer.close().await;
            call.citizen.close().await;
        }
        println!("bench: calls carried before loss: {carried}");
    });
    eprintln!("bench: took {:?}", started.elapsed());
}
