//! A measurement of the commissionerate hub on loopback, in three parts:
//!
//! 1. `push`: how many pushes per second one hub takes from N enrolled stations (default
//!    N = 1,000 and 17,500). Every station has its own key and client certificate, signed by
//!    the hub's own CA exactly as enrolment would, and recorded in the hub's database with
//!    `HubStore::register_station` + `HubStore::enrol`. A pool of pushers then sends pushes
//!    over mutual TLS (the hub's certificate pinned with `peer::HubCert::pinned`, as a station
//!    does), each a realistic batch: one `daily` message and one `availability` message for
//!    3 officers x 14 days, with gapless sequence numbers and SHA-256 digests. Measured with
//!    a new TLS handshake per push (stations push every 30 s) and, when the open-file limit
//!    allows both ends of every station's connection in this process, with kept-alive
//!    connections. The hub's database is on disk (as deployed); the same runs are repeated
//!    with the database on tmpfs, where a commit costs no fsync, to show the CPU-bound ceiling.
//! 2. `year`: 32 stations in 5 zones, 4 officers each, enrolled through the real
//!    `POST /federation/v1/enroll` (`vappoint::station::hub_link::enroll`), push a year of `daily`
//!    figures and a 14-day availability through the real push path; then the database's size
//!    and how long `HubStore::report` (the year) and `HubStore::directory` take.
//! 3. `catchup`: a real station (`vappoint::station::start`) enrolled with the hub, with
//!    7 days of queue as a busy station builds it while the hub is down (an `availability`
//!    message every 15 minutes, ~60 `daily` snapshots a day); how long
//!    `vappoint::station::hub_link::push_all` needs to push all of it.
//!
//! Run with `cargo bench -p vappoint --bench hub [-- OPTIONS]` (`-- --help` lists them).
//!
//! Each part runs in a fresh process (this executable started again with `--child`), so each
//! part's memory figures are its own. Within a part the hub, the simulated stations (or the
//! real station) and the measuring code share one process and the machine's cores: the
//! resident memory printed is the whole process's, not the hub's alone. The hub, the pushers
//! and the station run on separate Tokio runtimes with named threads, so their CPU time is
//! read apart from `/proc/self/task/*/schedstat`; the machine's CPU from `/proc/stat` is
//! printed next to it, so a reader can see when other programs disturbed a measurement.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc, Weekday};
use http_body_util::{BodyExt, Full};
use hyper::StatusCode;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use tokio::runtime::Runtime;
use vappoint::cli::StationArgs;
use vappoint::hub::RunningHub;
use vappoint::peer::{HubCert, fingerprint};
use vappoint_domain::ReasonCategory;
use vappoint_store::HubStore;
use vappoint_wire::federation::{
    self as fed, AvailabilityDay, Body, DayCounts, OfficerName, Push, PushAck, PushMessage,
};

const USAGE: &str = "\
cargo bench -p vappoint --bench hub [-- OPTIONS]

  --parts LIST          which parts, of push,year,catchup (default all three)
  --stations LIST       station counts of the push part (default 1000,17500)
  --pushers N           concurrent pushers (default 64)
  --seconds S           measured seconds per push run (default 20)
  --warmup S            unmeasured seconds before each push run (default 3)
  --no-keepalive        only new TLS handshakes per push
  --no-tmpfs            no runs with the hub database on /dev/shm
  --city-days N         days of figures in the year part (default 365)
  --outage-days N       days of queue in the catch-up part (default 7)
  --outage-officers N   officers of the catch-up station (default 4)
  --dir DIR             where the temporary data folders go (default the system temp dir)";

/// Lines of the report are marked: the parent prints only those, leaving out what the hub and
/// the station print when they start.
const MARK: &str = "@@ ";
/// Lines for the closing summary.
const SUMMARY: &str = "@@SUMMARY ";

macro_rules! say {
    ($($t:tt)*) => { println!("{MARK}{}", format_args!($($t)*)) };
}

macro_rules! summary {
    ($($t:tt)*) => { println!("{SUMMARY}{}", format_args!($($t)*)) };
}

const HUB_THREADS: &str = "hub-rt";
const PUSH_THREADS: &str = "push-rt";
const STATION_THREADS: &str = "station-rt";

/// How often a station pushes (the default `push_interval`): N stations need N/30 pushes/s.
const PUSH_INTERVAL_S: f64 = 30.0;
/// Officers per simulated station in the push part, and days of availability per message.
const PUSH_OFFICERS: i64 = 3;
const LOOKAHEAD_DAYS: i64 = 14;
/// The batch size of `federation::push_all`.
const BATCH: usize = 200;

#[derive(Clone)]
struct Opts {
    parts: Vec<String>,
    stations: Vec<usize>,
    pushers: usize,
    seconds: f64,
    warmup: f64,
    keepalive: bool,
    tmpfs: bool,
    city_days: i64,
    outage_days: i64,
    outage_officers: usize,
    dir: Option<PathBuf>,
    child: Option<String>,
    help: bool,
}

impl Opts {
    fn parse(args: &[String]) -> anyhow::Result<Opts> {
        let mut o = Opts {
            parts: vec!["push".into(), "year".into(), "catchup".into()],
            stations: vec![1000, 17_500],
            pushers: 64,
            seconds: 20.0,
            warmup: 3.0,
            keepalive: true,
            tmpfs: true,
            city_days: 365,
            outage_days: 7,
            outage_officers: 4,
            dir: None,
            child: None,
            help: false,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (key, inline) = match arg.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let mut value = || -> anyhow::Result<String> {
                match &inline {
                    Some(v) => Ok(v.clone()),
                    None => it
                        .next()
                        .cloned()
                        .with_context(|| format!("{key} needs a value")),
                }
            };
            match key {
                "--help" | "-h" => o.help = true,
                "--parts" => o.parts = value()?.split(',').map(str::to_string).collect(),
                "--stations" => {
                    o.stations = value()?
                        .split(',')
                        .map(|s| s.replace('_', "").parse())
                        .collect::<Result<_, _>>()
                        .context("--stations takes numbers like 1000,17500")?
                }
                "--pushers" => o.pushers = value()?.parse()?,
                "--seconds" => o.seconds = value()?.parse()?,
                "--warmup" => o.warmup = value()?.parse()?,
                "--no-keepalive" => o.keepalive = false,
                "--no-tmpfs" => o.tmpfs = false,
                "--city-days" => o.city_days = value()?.parse()?,
                "--outage-days" => o.outage_days = value()?.parse()?,
                "--outage-officers" => o.outage_officers = value()?.parse()?,
                "--dir" => o.dir = Some(value()?.into()),
                "--child" => o.child = Some(value()?),
                other => bail!("unknown option {other:?}"),
            }
        }
        if o.pushers == 0 || o.seconds <= 0.0 || o.stations.contains(&0) {
            bail!("pushers, seconds and station counts must be above zero");
        }
        for p in &o.parts {
            if !["push", "year", "catchup"].contains(&p.as_str()) {
                bail!("unknown part {p:?}");
            }
        }
        Ok(o)
    }

    fn base_dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    /// A tmpfs folder for the hub's database, if wanted and there is one.
    fn shm(&self) -> Option<PathBuf> {
        let p = PathBuf::from("/dev/shm");
        (self.tmpfs && p.is_dir()).then_some(p)
    }
}

fn main() {
    // `cargo bench` passes `--bench` to benches without the default harness.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let opts = match Opts::parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e:#}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    if opts.help {
        println!("{USAGE}");
        return;
    }
    let result = match opts.child.clone() {
        Some(job) => run_child(&opts, &job),
        None => run_parent(&opts, &args),
    };
    if let Err(e) = result {
        eprintln!("hub bench: {e:#}");
        std::process::exit(1);
    }
}

// ---- the parent: one child process per part ----

fn run_parent(opts: &Opts, args: &[String]) -> anyhow::Result<()> {
    let started = Instant::now();
    print_header(opts)?;
    let mut jobs = Vec::new();
    for part in &opts.parts {
        match part.as_str() {
            "push" => jobs.extend(opts.stations.iter().map(|n| format!("push:{n}"))),
            other => jobs.push(other.to_string()),
        }
    }
    let exe = std::env::current_exe()?;
    let mut lines = Vec::new();
    for job in jobs {
        let t = Instant::now();
        let mut child = Command::new(&exe)
            .args(args)
            .arg("--child")
            .arg(&job)
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let out = child.stdout.take().context("child stdout")?;
        for line in BufReader::new(out).lines() {
            let line = line?;
            if let Some(s) = line.strip_prefix(SUMMARY) {
                lines.push(s.to_string());
            } else if let Some(s) = line.strip_prefix(MARK) {
                println!("{s}");
            }
        }
        let status = child.wait()?;
        if status.success() {
            println!("({job} took {:.0} s)\n", t.elapsed().as_secs_f64());
        } else {
            println!(
                "({job} FAILED after {:.0} s: {status})\n",
                t.elapsed().as_secs_f64()
            );
            lines.push(format!("{job}: FAILED ({status}); see above"));
        }
    }
    println!("==================== summary ====================");
    for l in &lines {
        println!("{l}");
    }
    println!(
        "whole run: {:.1} min",
        started.elapsed().as_secs_f64() / 60.0
    );
    std::io::stdout().flush()?;
    Ok(())
}

fn print_header(opts: &Opts) -> anyhow::Result<()> {
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "vappoint hub benchmark ({})",
        Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    println!(
        "machine: {} cores, {:.1} GiB RAM, load average {}; open-file limit {}",
        machine_cores(),
        mem as f64 / 1024.0 / 1024.0,
        load.join(" "),
        open_file_limit().map_or("?".into(), |n| n.to_string())
    );
    let base = opts.base_dir();
    let (median, p90) = fsync_probe(&base)?;
    println!(
        "data: temporary folders in {} (fsync of 4 KiB there: median {:.2} ms, p90 {:.2} ms; \
         each push the hub applies is one SQLite commit with synchronous=FULL)",
        base.display(),
        median * 1e3,
        p90 * 1e3
    );
    println!(
        "tmpfs runs: {}",
        match opts.shm() {
            Some(p) => format!(
                "hub database copied to {} (commits cost no fsync)",
                p.display()
            ),
            None => "off".into(),
        }
    );
    println!(
        "push part: stations {:?}, {} pushers, {} s warm-up + {} s measured per run, kept-alive runs {}",
        opts.stations,
        opts.pushers,
        opts.warmup,
        opts.seconds,
        if opts.keepalive { "on" } else { "off" }
    );
    println!(
        "Each part runs in its own process: the hub, its clients and this report share that \
         process, its memory and the {} cores.",
        machine_cores()
    );
    println!(
        "CPU lines: core-equivalents busy over the window (machine from /proc/stat; this \
         process by thread from /proc/self/task/*/schedstat); \"other programs\" = machine - \
         this process.\n"
    );
    Ok(())
}

fn fsync_probe(dir: &Path) -> anyhow::Result<(f64, f64)> {
    let f = tempfile::NamedTempFile::new_in(dir)?;
    let mut file = f.as_file();
    let mut times = Vec::new();
    for _ in 0..40 {
        file.write_all(&[7u8; 4096])?;
        let t = Instant::now();
        file.sync_data()?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok((percentile(&times, 50), percentile(&times, 90)))
}

fn run_child(opts: &Opts, job: &str) -> anyhow::Result<()> {
    if let Some(n) = job.strip_prefix("push:") {
        return bench_push(opts, n.parse()?);
    }
    match job {
        "year" => bench_year(opts),
        "catchup" => bench_catchup(opts),
        other => bail!("unknown job {other}"),
    }
}

// ---- measuring helpers ----

fn machine_cores() -> usize {
    std::fs::read_to_string("/proc/stat")
        .map(|s| {
            s.lines()
                .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
                .count()
        })
        .unwrap_or(1)
        .max(1)
}

fn open_file_limit() -> Option<usize> {
    std::fs::read_to_string("/proc/self/limits")
        .ok()?
        .lines()
        .find(|l| l.starts_with("Max open files"))?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()
}

/// The whole machine's CPU time so far, in clock ticks: (busy, total).
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
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// CPU counters at one moment: the machine's, and each thread's of this process.
struct Probe {
    at: Instant,
    busy: u64,
    total: u64,
    /// This process's user + system ticks (`/proc/self/stat`), counted as `/proc/stat` is.
    own: u64,
    /// thread id -> (name, nanoseconds on CPU)
    threads: HashMap<u32, (String, u64)>,
}

fn probe() -> Probe {
    let (busy, total) = machine_ticks();
    let mut threads = HashMap::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for t in tasks.flatten() {
            let Some(tid) = t.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            let name = std::fs::read_to_string(t.path().join("comm"))
                .unwrap_or_default()
                .trim_end()
                .to_string();
            let ns = std::fs::read_to_string(t.path().join("schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse().ok())
                .unwrap_or(0);
            threads.insert(tid, (name, ns));
        }
    }
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // After the command name come the state (field 3) ... utime and stime (14, 15).
            let rest: Vec<u64> = s
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|v| v.parse().ok())
                .collect();
            Some(rest.iter().sum())
        })
        .unwrap_or(0);
    Probe {
        at: Instant::now(),
        busy,
        total,
        own,
        threads,
    }
}

/// What used the CPU between two probes, in core-equivalents: (the hub's share, a line).
fn cpu_use(a: &Probe, b: &Probe) -> (f64, String) {
    let wall = (b.at - a.at).as_nanos().max(1) as f64;
    let mut groups: BTreeMap<&str, f64> = BTreeMap::new();
    for (tid, (name, ns)) in &b.threads {
        let before = a.threads.get(tid).map_or(0, |t| t.1);
        let group = if name.starts_with(HUB_THREADS) {
            "hub"
        } else if name.starts_with(PUSH_THREADS) {
            "pushers"
        } else if name.starts_with(STATION_THREADS) {
            "station"
        } else {
            "rest"
        };
        *groups.entry(group).or_default() += ns.saturating_sub(before) as f64 / wall;
    }
    // The machine and this process in the same (tick) accounting, so that their difference is
    // what other programs used; this process's threads in nanoseconds, for the split.
    let cores = machine_cores();
    let ticks = (b.total - a.total).max(1) as f64;
    let machine = (b.busy - a.busy) as f64 / ticks * cores as f64;
    let process = b.own.saturating_sub(a.own) as f64 / ticks * cores as f64;
    let parts: Vec<String> = ["hub", "pushers", "station", "rest"]
        .iter()
        .filter_map(|g| groups.get(g).map(|v| format!("{g} {v:.2}")))
        .collect();
    let line = format!(
        "CPU over {:.1} s (cores of {cores}): machine {machine:.2} busy = this process {process:.2} + other programs {:.2}; \
         by thread: {}",
        (b.at - a.at).as_secs_f64(),
        (machine - process).max(0.0),
        parts.join(", ")
    );
    (groups.get("hub").copied().unwrap_or(0.0), line)
}

fn cpu_line(a: &Probe, b: &Probe) -> String {
    cpu_use(a, b).1
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn rss_line() -> String {
    format!(
        "process RSS {:.0} MiB (peak {:.0} MiB)",
        status_kib("VmRSS:") as f64 / 1024.0,
        status_kib("VmHWM:") as f64 / 1024.0
    )
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percentile<T: Copy>(sorted: &[T], p: usize) -> T {
    sorted[(sorted.len() - 1) * p / 100]
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// The hub database's files: (main, WAL).
fn db_files(hub_data: &Path) -> (u64, u64) {
    (
        file_len(&hub_data.join("hub.db")),
        file_len(&hub_data.join("hub.db-wal")),
    )
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Runs `f` `runs` times; returns its last result and (min, median, max) in ms.
fn timed<T>(runs: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(T, String)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f()?);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let text = format!(
        "median {:.1} ms (min {:.1}, max {:.1}, {runs} runs)",
        percentile(&times, 50),
        times[0],
        times[times.len() - 1]
    );
    Ok((last.context("at least one run")?, text))
}

// ---- runtimes, hub, station credentials ----

fn runtime(name: &str) -> anyhow::Result<Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(name)
        // Idle blocking threads would otherwise exit after 10 s, taking their CPU time out of
        // /proc/self/task before the window's end is read.
        .thread_keep_alive(Duration::from_secs(3600))
        .build()?)
}

fn start_hub(rt: &Runtime, data: &Path) -> anyhow::Result<RunningHub> {
    rt.block_on(vappoint::hub::start(StationArgs {
        data: data.to_path_buf(),
        https_addr: "127.0.0.1:0".parse()?,
        http_addr: "127.0.0.1:0".parse()?,
        config: None,
        setup_code_file: None,
    }))
}

/// The SHA-256 of the hub's TLS certificate, as stations pin it.
fn hub_pin(hub_data: &Path) -> anyhow::Result<String> {
    let cert = CertificateDer::pem_file_iter(hub_data.join("tls/cert.pem"))?
        .next()
        .context("the hub has no certificate")??;
    Ok(fingerprint(&cert))
}

/// Where and how to reach the hub.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    host: String,
}

impl Target {
    fn of(hub: &RunningHub) -> Target {
        Target {
            addr: hub.https,
            host: hub.https.to_string(),
        }
    }
}

/// A station's TLS client, as `federation::client` makes it: the hub's certificate pinned,
/// the station's certificate presented.
fn client_config(
    verifier: &Arc<HubCert>,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_client_auth_cert(certs, key)?;
    // A station keeps the default cache of 256 sessions, preallocated; thousands of them
    // would be most of this process's memory. A station talks to one hub, so a few do.
    config.resumption = rustls::client::Resumption::in_memory_sessions(4);
    Ok(Arc::new(config))
}

/// Makes each station's key and client certificate, signed with the hub's CA as
/// `hub::ca::Ca::sign` does. Returns (certificate DER, PKCS#8 key DER) per code.
fn station_keys(hub_data: &Path, codes: &[String]) -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let ca_pem = std::fs::read_to_string(hub_data.join("ca/ca.pem"))?;
    let ca_key = std::fs::read_to_string(hub_data.join("ca/ca.key"))?;
    let threads = machine_cores();
    let chunk = codes.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = codes
            .chunks(chunk)
            .map(|part| {
                let (ca_pem, ca_key) = (&ca_pem, &ca_key);
                s.spawn(move || -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
                    let key = rcgen::KeyPair::from_pem(ca_key)?;
                    let issuer = rcgen::Issuer::from_ca_cert_pem(ca_pem, &key)?;
                    let now = time::OffsetDateTime::now_utc();
                    part.iter()
                        .map(|code| {
                            let kp = rcgen::KeyPair::generate()?;
                            let mut p = rcgen::CertificateParams::new(Vec::<String>::new())?;
                            p.distinguished_name = rcgen::DistinguishedName::new();
                            p.distinguished_name
                                .push(rcgen::DnType::CommonName, code.as_str());
                            p.is_ca = rcgen::IsCa::ExplicitNoCa;
                            p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
                            p.extended_key_usages =
                                vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
                            p.not_before = now - Duration::from_secs(3600);
                            p.not_after = now + Duration::from_secs(10 * 365 * 24 * 3600);
                            let cert = p.signed_by(&kp, &issuer)?;
                            Ok((cert.der().to_vec(), kp.serialize_der()))
                        })
                        .collect()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(codes.len());
        for h in handles {
            all.extend(
                h.join()
                    .map_err(|_| anyhow::anyhow!("key thread panicked"))??,
            );
        }
        Ok(all)
    })
}

// ---- message bodies ----

/// SplitMix64: small, fast, deterministic.
fn next_u64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(state: &mut u64) -> f64 {
    (next_u64(state) >> 11) as f64 / (1u64 << 53) as f64
}

fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 1800).expect("IST")
}

/// Slots an officer offers on a day: Mon-Sat 11:00-13:00 and 15:00-17:00, 15 minutes each.
fn offered_on(date: NaiveDate) -> u32 {
    if date.weekday() == Weekday::Sun {
        0
    } else {
        16
    }
}

/// One officer's figures for a day, `progress` (0..1) of the way through it.
fn daily_body(rng: &mut u64, date: NaiveDate, officer_id: i64, progress: f64) -> String {
    let offered = u64::from(offered_on(date));
    let booked = (offered as f64 * (0.5 + 0.45 * unit(rng))).round() as u64;
    let seen = (booked as f64 * progress).round() as u64;
    let no_show = (seen as f64 * 0.12 * unit(rng)).round() as u64;
    let completed = seen - no_show;
    let cancelled = if offered > 0 { next_u64(rng) % 3 } else { 0 };
    let mut reasons = BTreeMap::new();
    for _ in 0..booked {
        let r = unit(rng);
        let cat = match r {
            r if r < 0.35 => ReasonCategory::Complaint,
            r if r < 0.55 => ReasonCategory::CyberFraud,
            r if r < 0.70 => ReasonCategory::FirFollowUp,
            r if r < 0.82 => ReasonCategory::LostArticle,
            r if r < 0.90 => ReasonCategory::DomesticViolence,
            _ => ReasonCategory::Other,
        };
        *reasons.entry(cat.as_str().to_string()).or_insert(0u64) += 1;
    }
    let wait: i64 = (0..completed)
        .map(|_| 60 + (next_u64(rng) % 540) as i64)
        .sum();
    let call: i64 = (0..completed)
        .map(|_| 300 + (next_u64(rng) % 600) as i64)
        .sum();
    serde_json::to_string(&Body::Daily {
        date: date.to_string(),
        officer_id,
        counts: DayCounts {
            offered,
            booked,
            completed,
            no_show,
            cancelled,
            wait_seconds_sum: wait,
            wait_count: completed,
            call_seconds_sum: call,
            call_count: completed,
            reasons,
        },
    })
    .expect("bodies serialise")
}

/// The next 14 days of `officers`' slots, as made at `at`.
fn availability_body(rng: &mut u64, at: DateTime<FixedOffset>, officers: &[i64]) -> String {
    let today = at.date_naive();
    let mut days = Vec::new();
    for &officer_id in officers {
        for d in 0..LOOKAHEAD_DAYS {
            let date = today + chrono::Duration::days(d);
            let offered = offered_on(date);
            // Near days are mostly booked, far ones mostly free.
            let taken = (offered as f64 * (0.9 - 0.05 * d as f64).max(0.1) * unit(rng)) as u32;
            let free = offered - taken;
            let next_free = (free > 0).then(|| {
                let slot = (next_u64(rng) % 16) as u32;
                let (h, m) = if slot < 8 {
                    (11 + slot / 4, (slot % 4) * 15)
                } else {
                    (15 + (slot - 8) / 4, (slot % 4) * 15)
                };
                format!("{date}T{h:02}:{m:02}:00+05:30")
            });
            days.push(AvailabilityDay {
                officer_id,
                date: date.to_string(),
                offered,
                free,
                next_free,
            });
        }
    }
    serde_json::to_string(&Body::Availability {
        generated_at: at.to_rfc3339(),
        days,
    })
    .expect("bodies serialise")
}

const RANKS: [&str; 4] = [
    "Senior Police Inspector",
    "Police Inspector",
    "Assistant Police Inspector",
    "Police Sub-Inspector",
];

fn profile_body(name: &str, zone: &str, officers: &[i64]) -> String {
    serde_json::to_string(&Body::Profile {
        name: name.to_string(),
        zone: zone.to_string(),
        officers: officers
            .iter()
            .map(|&id| OfficerName {
                id,
                name: format!("Officer {id} of {name}"),
                rank: RANKS[id as usize % RANKS.len()].to_string(),
            })
            .collect(),
    })
    .expect("bodies serialise")
}

/// A push of `bodies` numbered from `first_seq`: (request body, last seq, messages).
fn envelope(
    station: &str,
    first_seq: i64,
    bodies: Vec<String>,
) -> anyhow::Result<(Bytes, i64, usize)> {
    let n = bodies.len();
    let messages = bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            Ok(PushMessage {
                seq: first_seq + i as i64,
                digest: data_encoding::HEXLOWER.encode(&Sha256::digest(b.as_bytes())),
                body: RawValue::from_string(b)?,
            })
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()?;
    let push = Push {
        version: fed::VERSION,
        station: station.to_string(),
        messages,
    };
    Ok((
        Bytes::from(serde_json::to_vec(&push)?),
        first_seq + n as i64 - 1,
        n,
    ))
}

// ---- HTTP/1.1 over mutual TLS ----

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// A new connection: TCP, the TLS handshake (the station's certificate, the hub's pinned),
/// HTTP/1.1 as reqwest speaks it to the hub (no ALPN). Returns whether TLS resumed a session.
async fn connect(
    target: &Target,
    tls: &Arc<rustls::ClientConfig>,
) -> anyhow::Result<(Sender, bool)> {
    let tcp = tokio::net::TcpStream::connect(target.addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::IpAddress(target.addr.ip().into());
    let stream = tokio_rustls::TlsConnector::from(tls.clone())
        .connect(name, tcp)
        .await?;
    let resumed = stream.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok((sender, resumed))
}

async fn post(
    sender: &mut Sender,
    target: &Target,
    body: Bytes,
) -> anyhow::Result<(StatusCode, Bytes)> {
    sender.ready().await?;
    let req = hyper::Request::post("/federation/v1/push")
        .header(hyper::header::HOST, target.host.as_str())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(body))?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    Ok((status, resp.into_body().collect().await?.to_bytes()))
}

/// What became of one push.
enum Answer {
    /// 200 with `acked` = the push's last number.
    Acked,
    /// 409 `gap`: the hub expects this number next.
    Gap(i64),
    Refused(String),
}

fn answer(status: StatusCode, body: &[u8], last: i64) -> Answer {
    if status == StatusCode::OK {
        return match serde_json::from_slice::<PushAck>(body) {
            Ok(a) if a.acked == last => Answer::Acked,
            Ok(a) => Answer::Refused(format!("200 acked {} of {last}", a.acked)),
            Err(_) => Answer::Refused("200 unreadable".into()),
        };
    }
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let code = v["error"]["code"].as_str().unwrap_or("?").to_string();
    if code == "gap"
        && let Some(e) = v["error"]["expected"].as_i64()
    {
        return Answer::Gap(e);
    }
    Answer::Refused(format!("{} {code}", status.as_u16()))
}

// ---- part 1: pushes per second ----

struct Cred {
    code: String,
    tls: Arc<rustls::ClientConfig>,
}

/// A simulated station's side of the protocol.
struct StationState {
    next_seq: i64,
    acked_pushes: u64,
    rng: u64,
    /// The last push, not acknowledged: sent again as it was (the hub skips what it has).
    pending: Option<(Bytes, i64, usize)>,
    conn: Option<Sender>,
}

struct Fleet {
    creds: Vec<Cred>,
    states: Vec<tokio::sync::Mutex<StationState>>,
    next: AtomicUsize,
}

#[derive(Default)]
struct Tally {
    ok: u64,
    messages: u64,
    bytes: u64,
    latencies_us: Vec<u32>,
    errors: BTreeMap<String, u64>,
    full_handshakes: u64,
    resumed_handshakes: u64,
    stale_retries: u64,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        self.ok += o.ok;
        self.messages += o.messages;
        self.bytes += o.bytes;
        self.latencies_us.extend(o.latencies_us);
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.full_handshakes += o.full_handshakes;
        self.resumed_handshakes += o.resumed_handshakes;
        self.stale_retries += o.stale_retries;
    }
}

/// One push of one station, as it happened.
struct Attempt {
    result: Result<usize, String>,
    bytes: usize,
    /// New TLS handshakes: (full, resumed).
    handshakes: (u64, u64),
    stale_retry: bool,
}

fn fleet_push_bodies(st: &mut StationState) -> Vec<String> {
    let now = Utc::now().with_timezone(&ist());
    let officer = 1 + (st.acked_pushes as i64 % PUSH_OFFICERS);
    let officers: Vec<i64> = (1..=PUSH_OFFICERS).collect();
    let progress = unit(&mut st.rng);
    vec![
        daily_body(&mut st.rng, now.date_naive(), officer, progress),
        availability_body(&mut st.rng, now, &officers),
    ]
}

async fn push_once(cred: &Cred, st: &mut StationState, target: &Target, keep: bool) -> Attempt {
    let (body, last, count) = match st.pending.clone() {
        Some(p) => p,
        None => {
            let bodies = fleet_push_bodies(st);
            match envelope(&cred.code, st.next_seq, bodies) {
                Ok(p) => p,
                Err(e) => {
                    return Attempt {
                        result: Err(format!("encoding: {e}")),
                        bytes: 0,
                        handshakes: (0, 0),
                        stale_retry: false,
                    };
                }
            }
        }
    };
    let mut attempt = Attempt {
        result: Err(String::new()),
        bytes: body.len(),
        handshakes: (0, 0),
        stale_retry: false,
    };
    let kept = if keep {
        st.conn.take().filter(|s| !s.is_closed())
    } else {
        None
    };
    let reused = kept.is_some();
    let mut tries = 0;
    let mut sender = kept;
    let outcome = loop {
        tries += 1;
        let mut s = match sender.take() {
            Some(s) => s,
            None => match connect(target, &cred.tls).await {
                Ok((s, resumed)) => {
                    if resumed {
                        attempt.handshakes.1 += 1;
                    } else {
                        attempt.handshakes.0 += 1;
                    }
                    s
                }
                Err(e) => break Err(format!("connect: {}", short(&e))),
            },
        };
        match post(&mut s, target, body.clone()).await {
            Ok(r) => {
                if keep {
                    st.conn = Some(s);
                }
                break Ok(r);
            }
            // A kept connection the hub closed meanwhile: once more on a new one (the same
            // body; the hub skips what it already applied).
            Err(_) if reused && tries == 1 => attempt.stale_retry = true,
            Err(e) => break Err(format!("request: {}", short(&e))),
        }
    };
    attempt.result = match outcome {
        Ok((status, bytes)) => match answer(status, &bytes, last) {
            Answer::Acked => {
                st.next_seq = last + 1;
                st.acked_pushes += 1;
                st.pending = None;
                Ok(count)
            }
            Answer::Gap(expected) => {
                st.next_seq = expected;
                st.pending = None;
                Err("409 gap".into())
            }
            Answer::Refused(why) => {
                st.pending = Some((body, last, count));
                Err(why)
            }
        },
        Err(e) => {
            st.pending = Some((body, last, count));
            Err(e)
        }
    };
    attempt
}

fn short(e: &anyhow::Error) -> String {
    let s = format!("{e:#}");
    s.chars().take(80).collect()
}

/// Runs `pushers` tasks over the fleet until `end`; counts the pushes that finish in
/// `start..end`.
async fn pusher(
    fleet: Arc<Fleet>,
    target: Target,
    keep: bool,
    start: Instant,
    end: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let n = fleet.states.len();
    loop {
        if Instant::now() >= end {
            return tally;
        }
        let i = fleet.next.fetch_add(1, Ordering::Relaxed) % n;
        // A station pushes one batch at a time; if another pusher has it, take the next one.
        let Ok(mut st) = fleet.states[i].try_lock() else {
            tokio::task::yield_now().await;
            continue;
        };
        let t0 = Instant::now();
        let a = push_once(&fleet.creds[i], &mut st, &target, keep).await;
        drop(st);
        let done = Instant::now();
        if done < start || done > end {
            continue;
        }
        tally.full_handshakes += a.handshakes.0;
        tally.resumed_handshakes += a.handshakes.1;
        tally.stale_retries += u64::from(a.stale_retry);
        match a.result {
            Ok(messages) => {
                tally.ok += 1;
                tally.messages += messages as u64;
                tally.bytes += a.bytes as u64;
                tally
                    .latencies_us
                    .push((done - t0).as_micros().min(u32::MAX as u128) as u32);
            }
            Err(e) => *tally.errors.entry(e).or_default() += 1,
        }
    }
}

struct Run {
    tally: Tally,
    secs: f64,
    /// The hub's threads' CPU over the window, in core-equivalents.
    hub_cpu: f64,
    cpu: String,
}

fn measure(rt: &Runtime, fleet: &Arc<Fleet>, target: &Target, keep: bool, opts: &Opts) -> Run {
    let warm = Duration::from_secs_f64(opts.warmup);
    let len = Duration::from_secs_f64(opts.seconds);
    rt.block_on(async {
        let start = Instant::now() + warm;
        let end = start + len;
        let tasks: Vec<_> = (0..opts.pushers)
            .map(|_| tokio::spawn(pusher(fleet.clone(), target.clone(), keep, start, end)))
            .collect();
        tokio::time::sleep_until(start.into()).await;
        let a = probe();
        tokio::time::sleep_until(end.into()).await;
        let b = probe();
        let mut tally = Tally::default();
        for t in tasks {
            if let Ok(t) = t.await {
                tally.merge(t);
            }
        }
        let (hub_cpu, cpu) = cpu_use(&a, &b);
        Run {
            tally,
            secs: len.as_secs_f64(),
            hub_cpu,
            cpu,
        }
    })
}

/// Prints a run; returns its line for the summary.
fn print_run(label: &str, run: &mut Run, fleet: &Fleet, rt: &Runtime) -> String {
    let t = &mut run.tally;
    t.latencies_us.sort_unstable();
    let rate = t.ok as f64 / run.secs;
    let (p50, p99, max) = if t.latencies_us.is_empty() {
        (0.0, 0.0, 0.0)
    } else {
        (
            percentile(&t.latencies_us, 50) as f64 / 1e3,
            percentile(&t.latencies_us, 99) as f64 / 1e3,
            t.latencies_us[t.latencies_us.len() - 1] as f64 / 1e3,
        )
    };
    let errors: u64 = t.errors.values().sum();
    let pushed = rt.block_on(async {
        let mut n = 0;
        for s in &fleet.states {
            if s.lock().await.acked_pushes > 0 {
                n += 1;
            }
        }
        n
    });
    say!("  {label}:");
    say!(
        "    {} pushes answered 200 in {:.0} s = {:.1} pushes/s, {:.1} messages/s (avg push {:.1} KiB)",
        thousands(t.ok),
        run.secs,
        rate,
        t.messages as f64 / run.secs,
        if t.ok > 0 {
            t.bytes as f64 / t.ok as f64 / 1024.0
        } else {
            0.0
        }
    );
    say!("    latency (connect to answer) p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms");
    say!(
        "    errors {errors}{}; TLS handshakes in the window: {} full, {} resumed{}",
        if t.errors.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                t.errors
                    .iter()
                    .map(|(k, v)| format!("{v}x {k}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        },
        thousands(t.full_handshakes),
        thousands(t.resumed_handshakes),
        if t.stale_retries > 0 {
            format!(
                ", {} re-sent on a new connection after a kept one failed",
                t.stale_retries
            )
        } else {
            String::new()
        }
    );
    say!("    {}", run.cpu);
    let hub_ms = if t.ok > 0 {
        run.hub_cpu * run.secs * 1e3 / t.ok as f64
    } else {
        0.0
    };
    say!(
        "    the hub's threads used {hub_ms:.2} ms of CPU per push ({:.0} pushes/s per core if CPU were the only limit)",
        if hub_ms > 0.0 { 1e3 / hub_ms } else { 0.0 }
    );
    say!(
        "    {}; stations that have pushed so far: {} of {}",
        rss_line(),
        thousands(pushed),
        thousands(fleet.states.len() as u64)
    );
    format!(
        "{rate:.0} pushes/s, p50 {p50:.0} ms, p99 {p99:.0} ms, {errors} errors, hub CPU {hub_ms:.2} ms/push"
    )
}

/// Opens a kept connection for every station (as stations whose pooled connection stays up).
fn open_all(rt: &Runtime, fleet: &Arc<Fleet>, target: &Target, tasks: usize) -> (u64, u64, f64) {
    let t = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let (ok, failed) = rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (fleet, target, next) = (fleet.clone(), target.clone(), next.clone());
                tokio::spawn(async move {
                    let (mut ok, mut failed) = (0u64, 0u64);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= fleet.states.len() {
                            return (ok, failed);
                        }
                        match connect(&target, &fleet.creds[i].tls).await {
                            Ok((s, _)) => {
                                fleet.states[i].lock().await.conn = Some(s);
                                ok += 1;
                            }
                            Err(_) => failed += 1,
                        }
                    }
                })
            })
            .collect();
        let (mut ok, mut failed) = (0, 0);
        for h in handles {
            if let Ok((o, f)) = h.await {
                ok += o;
                failed += f;
            }
        }
        (ok, failed)
    });
    (ok, failed, t.elapsed().as_secs_f64())
}

fn close_all(rt: &Runtime, fleet: &Fleet) {
    rt.block_on(async {
        for s in &fleet.states {
            s.lock().await.conn = None;
        }
        // Let both ends notice and free their connections.
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
}

fn print_db(label: &str, hub_data: &Path) {
    let (main, wal) = db_files(hub_data);
    say!(
        "    hub database {label}: {} main file + {} WAL = {}",
        mib(main),
        mib(wal),
        mib(main + wal)
    );
}

/// Times the two reads the hub's pages make most, on its database as it is.
fn time_reads(
    store: &HubStore,
    from: NaiveDate,
    to: NaiveDate,
    what: &str,
) -> anyhow::Result<String> {
    let (rows, report) = timed(3, || Ok(store.report(from, to)?.len()))?;
    let (listed, directory) = timed(3, || Ok(store.directory(None, Utc::now())?.len()))?;
    say!("    HubStore::report({from}..={to}) over {what}: {rows} stations, {report}");
    say!("    HubStore::directory(None): {listed} stations, {directory}");
    Ok(report)
}

fn bench_push(opts: &Opts, n: usize) -> anyhow::Result<()> {
    say!(
        "== 1. pushes per second, {} stations (they need {:.0} pushes/s at one push per {PUSH_INTERVAL_S:.0} s) ==",
        thousands(n as u64),
        n as f64 / PUSH_INTERVAL_S
    );
    let base = tempfile::Builder::new()
        .prefix("vappoint-hub-bench-")
        .tempdir_in(opts.base_dir())?;
    let shm = match opts.shm() {
        Some(p) => Some(
            tempfile::Builder::new()
                .prefix("vappoint-hub-bench-")
                .tempdir_in(p)?,
        ),
        None => None,
    };
    let hub_rt = runtime(HUB_THREADS)?;
    let push_rt = runtime(PUSH_THREADS)?;

    // Enrol N stations. The database is built where commits are cheap (tmpfs, if there is
    // one) and then copied to disk: the same rows, without 2N fsyncs of set-up.
    let t = Instant::now();
    let setup = shm
        .as_ref()
        .map_or_else(|| base.path().join("hub"), |s| s.path().join("setup"));
    let hub = start_hub(&hub_rt, &setup)?;
    let codes: Vec<String> = (1..=n).map(|i| format!("S{i:05}")).collect();
    let keys = station_keys(&setup, &codes)?;
    let made_keys = t.elapsed().as_secs_f64();
    let now = Utc::now();
    let store = hub.app.store.clone();
    for (i, (code, (cert, _))) in codes.iter().zip(&keys).enumerate() {
        let zone = format!("Zone {}", i % 5 + 1);
        let enrol = vappoint::hub::new_enrol_code();
        store.register_station(
            code,
            &format!("Police Station {code}"),
            &zone,
            &format!("https://{}.stations.example/", code.to_lowercase()),
            &[
                format!("Locality {code} North"),
                format!("Locality {code} South"),
            ],
            &Default::default(),
            &vappoint::hub::enrol_key(&enrol),
            now + chrono::Duration::days(7),
            now,
        )?;
        store.enrol(code, |_| true, &fingerprint(cert), now)?;
    }
    drop(store);
    hub_rt.block_on(hub.stop())?;
    let disk = base.path().join("hub");
    if setup != disk {
        copy_dir(&setup, &disk)?;
        std::fs::remove_dir_all(&setup)?;
    }
    let verifier = Arc::new(HubCert::pinned(
        Arc::new(rustls::crypto::ring::default_provider()),
        hub_pin(&disk)?,
    ));
    let mut creds = Vec::with_capacity(n);
    let mut states = Vec::with_capacity(n);
    for (i, (code, (cert, key))) in codes.into_iter().zip(keys).enumerate() {
        let tls = client_config(
            &verifier,
            vec![CertificateDer::from(cert)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )?;
        creds.push(Cred { code, tls });
        states.push(tokio::sync::Mutex::new(StationState {
            next_seq: 1,
            acked_pushes: 0,
            rng: i as u64 * 7919 + 1,
            pending: None,
            conn: None,
        }));
    }
    let fleet = Arc::new(Fleet {
        creds,
        states,
        next: AtomicUsize::new(0),
    });
    say!(
        "  set-up: {} station keys and certificates signed by the hub's CA in {made_keys:.1} s; \
         registered and enrolled in the hub database{} in {:.1} s total; {}",
        thousands(n as u64),
        if shm.is_some() {
            " (built on tmpfs, copied to disk)"
        } else {
            ""
        },
        t.elapsed().as_secs_f64(),
        rss_line()
    );
    let sample = {
        let mut st = StationState {
            next_seq: 1,
            acked_pushes: 0,
            rng: 1,
            pending: None,
            conn: None,
        };
        envelope("S00001", 1, fleet_push_bodies(&mut st))?.0.len()
    };
    say!(
        "  each push: 1 daily + 1 availability ({PUSH_OFFICERS} officers x {LOOKAHEAD_DAYS} days) = {:.1} KiB; {} pushers",
        sample as f64 / 1024.0,
        opts.pushers
    );
    let fds_needed = 2 * n + 512;
    let keepalive_ok = open_file_limit().is_none_or(|l| l >= fds_needed);

    let mut summaries = Vec::new();
    let mut runs = vec![(disk.clone(), "database on disk")];
    if let Some(s) = &shm {
        runs.push((s.path().join("run"), "database on tmpfs"));
    }
    let mut report_time = String::new();
    for (data, where_) in runs {
        if data != disk {
            // Continue from the disk run's state: same stations, same sequence numbers.
            copy_dir(&disk, &data)?;
        }
        let hub = start_hub(&hub_rt, &data)?;
        let target = Target::of(&hub);
        let mut run = measure(&push_rt, &fleet, &target, false, opts);
        let s = print_run(
            &format!("{where_}, new mutual-TLS handshake per push"),
            &mut run,
            &fleet,
            &push_rt,
        );
        summaries.push(format!("{where_}, new TLS per push: {s}"));
        if opts.keepalive && keepalive_ok {
            let before = status_kib("VmRSS:");
            let (ok, failed, secs) = open_all(&push_rt, &fleet, &target, opts.pushers);
            let after = status_kib("VmRSS:");
            say!(
                "  opened {} kept connections ({failed} failed) in {secs:.1} s; RSS +{:.1} MiB = {:.1} KiB per connection (both ends, in this process)",
                thousands(ok),
                after.saturating_sub(before) as f64 / 1024.0,
                after.saturating_sub(before) as f64 / ok.max(1) as f64
            );
            let mut run = measure(&push_rt, &fleet, &target, true, opts);
            let s = print_run(
                &format!("{where_}, kept-alive connection per station"),
                &mut run,
                &fleet,
                &push_rt,
            );
            summaries.push(format!("{where_}, kept-alive: {s}"));
            close_all(&push_rt, &fleet);
        } else if opts.keepalive {
            say!(
                "  (kept-alive run left out: it needs ~{} open files in this one process, both ends of {} connections; the limit is {})",
                thousands(fds_needed as u64),
                thousands(n as u64),
                open_file_limit().unwrap_or(0)
            );
        }
        if data == disk {
            // The hub commits every push with an fsync: how fast the disk is now matters.
            let (median, p90) = fsync_probe(&data)?;
            say!(
                "    fsync of 4 KiB in the hub's folder after these runs: median {:.2} ms, p90 {:.2} ms",
                median * 1e3,
                p90 * 1e3
            );
            summaries.push(format!(
                "(fsync on disk after these runs: median {:.2} ms, p90 {:.2} ms)",
                median * 1e3,
                p90 * 1e3
            ));
        }
        if data == disk {
            print_db("while running", &data);
        }
        hub_rt.block_on(hub.stop())?;
        if data == disk {
            print_db(
                "after the hub stopped (closing checkpoints the WAL into the main file)",
                &data,
            );
            let store = vappoint::hub::open_store(&data)?;
            let today = Utc::now().with_timezone(&ist()).date_naive();
            report_time = time_reads(&store, today - chrono::Duration::days(29), today, "30 days")?;
        }
    }
    summary!(
        "push, {} stations (they need {:.0} pushes/s):",
        thousands(n as u64),
        n as f64 / PUSH_INTERVAL_S
    );
    for s in summaries {
        summary!("  {s}");
    }
    summary!("  HubStore::report(30 days) {report_time}; {}", rss_line());
    Ok(())
}

// ---- part 2: a year of one city ----

const CITY: [&str; 32] = [
    "Deccan Gymkhana",
    "Shivajinagar",
    "Kothrud",
    "Warje Malwadi",
    "Alankar",
    "Sinhagad Road",
    "Swargate",
    "Bharati Vidyapeeth",
    "Sahakarnagar",
    "Dattawadi",
    "Faraskhana",
    "Khadak",
    "Samarth",
    "Vishrambaug",
    "Bund Garden",
    "Koregaon Park",
    "Lashkar",
    "Wanowrie",
    "Kondhwa",
    "Hadapsar",
    "Mundhwa",
    "Yerawada",
    "Vimantal",
    "Chandan Nagar",
    "Khadki",
    "Chatushrungi",
    "Market Yard",
    "Bibwewadi",
    "Loni Kalbhor",
    "Kalepadal",
    "Lonikand",
    "Wagholi",
];

/// Enrols a station for real: a code from the hub, then `federation::enroll` (CSR, MAC,
/// `POST /federation/v1/enroll`, pinning). Returns the station's TLS client.
#[allow(clippy::too_many_arguments)]
fn enrol_station(
    rt: &Runtime,
    hub_data: &Path,
    url: &str,
    station_data: &Path,
    code: &str,
    name: &str,
    zone: &str,
    localities: &[String],
) -> anyhow::Result<(
    vappoint::station::hub_link::HubLink,
    Arc<rustls::ClientConfig>,
)> {
    let enrol = vappoint::hub::add_station(
        hub_data,
        code,
        name,
        zone,
        &format!("https://{}.punepolice.example/", code.to_lowercase()),
        localities,
        &Default::default(),
        &vappoint::config::Config::default(),
    )?;
    let store = vappoint::station::open_store(station_data)?;
    let link = rt.block_on(vappoint::station::hub_link::enroll(
        station_data,
        &store,
        url,
        code,
        &enrol,
    ))?;
    let dir = station_data.join("federation");
    let certs =
        CertificateDer::pem_file_iter(dir.join("client.pem"))?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(dir.join("client.key"))?;
    let verifier = Arc::new(HubCert::pinned(
        Arc::new(rustls::crypto::ring::default_provider()),
        link.pinned.clone(),
    ));
    let tls = client_config(&verifier, certs, key)?;
    Ok((link, tls))
}

fn bench_year(opts: &Opts) -> anyhow::Result<()> {
    const STATIONS: usize = 32;
    const OFFICERS: i64 = 4;
    let days = opts.city_days;
    say!(
        "== 2. a simulated year of one city: {STATIONS} stations in 5 zones, {OFFICERS} officers each, {days} days of daily figures =="
    );
    let base = tempfile::Builder::new()
        .prefix("vappoint-hub-bench-")
        .tempdir_in(opts.base_dir())?;
    let hub_rt = runtime(HUB_THREADS)?;
    let push_rt = runtime(PUSH_THREADS)?;
    let hub_data = base.path().join("hub");
    let hub = start_hub(&hub_rt, &hub_data)?;
    let target = Target::of(&hub);
    let url = format!("https://{}", hub.https);

    let t = Instant::now();
    let mut stations = Vec::new();
    for (i, name) in CITY.iter().enumerate().take(STATIONS) {
        let code = format!("PS{:02}", i + 1);
        let zone = format!("Zone {}", i % 5 + 1);
        let (_, tls) = enrol_station(
            &push_rt,
            &hub_data,
            &url,
            &base.path().join(&code),
            &code,
            &format!("{name} Police Station"),
            &zone,
            &[name.to_string(), format!("{name} East")],
        )?;
        stations.push((code, format!("{name} Police Station"), zone, tls));
    }
    say!(
        "  enrolled {STATIONS} stations through POST /federation/v1/enroll in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let today = Utc::now().with_timezone(&ist()).date_naive();
    let first = today - chrono::Duration::days(days);
    let officers: Vec<i64> = (1..=OFFICERS).collect();
    let a = probe();
    let t = Instant::now();
    let tallies = push_rt.block_on(async {
        let tasks: Vec<_> = stations
            .iter()
            .enumerate()
            .map(|(i, (code, name, zone, tls))| {
                let cred = Cred {
                    code: code.clone(),
                    tls: tls.clone(),
                };
                let (name, zone, officers, target) =
                    (name.clone(), zone.clone(), officers.clone(), target.clone());
                tokio::spawn(async move {
                    // A week of figures per push, the profile first, the availability last.
                    let mut rng = i as u64 + 11;
                    let mut seq = 1;
                    let (mut pushes, mut messages, mut bytes) = (0u64, 0u64, 0u64);
                    let mut day = first;
                    let mut bodies = vec![profile_body(&name, &zone, &officers)];
                    while day < today {
                        for _ in 0..7 {
                            if day >= today {
                                break;
                            }
                            for &o in &officers {
                                bodies.push(daily_body(&mut rng, day, o, 1.0));
                            }
                            day += chrono::Duration::days(1);
                        }
                        if day >= today {
                            let now = Utc::now().with_timezone(&ist());
                            bodies.push(availability_body(&mut rng, now, &officers));
                        }
                        let (body, last, count) =
                            envelope(&cred.code, seq, std::mem::take(&mut bodies))?;
                        let (mut sender, _) = connect(&target, &cred.tls).await?;
                        let (status, answer_body) =
                            post(&mut sender, &target, body.clone()).await?;
                        match answer(status, &answer_body, last) {
                            Answer::Acked => {}
                            Answer::Gap(e) => bail!("{}: gap, expected {e}", cred.code),
                            Answer::Refused(w) => bail!("{}: refused: {w}", cred.code),
                        }
                        seq = last + 1;
                        pushes += 1;
                        messages += count as u64;
                        bytes += body.len() as u64;
                    }
                    Ok::<_, anyhow::Error>((pushes, messages, bytes))
                })
            })
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await?);
        }
        Ok::<_, anyhow::Error>(out)
    })?;
    let took = t.elapsed().as_secs_f64();
    let b = probe();
    let (mut pushes, mut messages, mut bytes) = (0, 0, 0);
    for r in tallies {
        let (p, m, by) = r?;
        pushes += p;
        messages += m;
        bytes += by;
    }
    say!(
        "  pushed {} messages in {} pushes ({}, a week per push, new TLS each) in {took:.1} s = {:.0} messages/s, {:.1} pushes/s",
        thousands(messages),
        thousands(pushes),
        mib(bytes),
        messages as f64 / took,
        pushes as f64 / took
    );
    say!("    {}", cpu_line(&a, &b));
    print_db("while running", &hub_data);
    say!("    {}", rss_line());
    let report = time_reads(&hub.app.store, first, today, &format!("{days} days"))?;
    hub_rt.block_on(hub.stop())?;
    print_db(
        "after the hub stopped (closing checkpoints the WAL into the main file)",
        &hub_data,
    );
    let (main, wal) = db_files(&hub_data);
    summary!(
        "{days} days of one city ({STATIONS} stations, {} messages): hub DB {} after checkpoint; \
         HubStore::report({days} days) {report}",
        thousands(messages),
        mib(main + wal)
    );
    Ok(())
}

// ---- part 3: catching up after an outage ----

fn bench_catchup(opts: &Opts) -> anyhow::Result<()> {
    let days = opts.outage_days;
    let n_officers = opts.outage_officers;
    say!(
        "== 3. catch-up after a {days}-day outage: a real station with {n_officers} officers, its queue pushed by federation::push_all =="
    );
    let base = tempfile::Builder::new()
        .prefix("vappoint-hub-bench-")
        .tempdir_in(opts.base_dir())?;
    let hub_rt = runtime(HUB_THREADS)?;
    let st_rt = runtime(STATION_THREADS)?;
    let hub_data = base.path().join("hub");
    let hub = start_hub(&hub_rt, &hub_data)?;
    let url = format!("https://{}", hub.https);

    let config = base.path().join("station.toml");
    std::fs::write(
        &config,
        "[station]\nname = \"Deccan Gymkhana Police Station\"\ncode = \"DGP\"\nzone = \"Zone 1\"\n\
         time_zone = \"Asia/Kolkata\"\n\n[federation]\npush_interval = \"1h\"\n\n\
         [calls]\nbind_ips = [\"127.0.0.1\"]\nudp_ports = \"47100-47119\"\n",
    )?;
    let station_data = base.path().join("station");
    let station = st_rt.block_on(vappoint::station::start(StationArgs {
        data: station_data.clone(),
        https_addr: "127.0.0.1:0".parse()?,
        http_addr: "127.0.0.1:0".parse()?,
        config: Some(config),
        setup_code_file: None,
    }))?;
    let app = station.app.clone();
    let mut officers = Vec::new();
    for i in 0..n_officers {
        officers.push(app.store.add_officer(
            &vappoint_store::NewOfficer {
                name: format!("Officer {}", i + 1),
                rank: RANKS[i % RANKS.len()].into(),
                email: format!("officer{}@dgp.example", i + 1),
                password_hash: "unused".into(),
                is_admin: i == 0,
                hours: "Mon-Sat 11:00-13:00 15:00-17:00".parse()?,
                slot_minutes: 15,
            },
            Utc::now(),
        )?);
    }
    let code = vappoint::hub::add_station(
        &hub_data,
        "DGP",
        "Deccan Gymkhana Police Station",
        "Zone 1",
        "https://dgp.punepolice.example/",
        &["Deccan".into(), "Prabhat Road".into()],
        &Default::default(),
        &vappoint::config::Config::default(),
    )?;
    let link = st_rt.block_on(vappoint::station::hub_link::enroll(
        &station_data,
        &app.store,
        &url,
        "DGP",
        &code,
    ))?;

    // The queue a busy station builds while its hub is away: the 14-day availability every
    // 15 minutes, ~60 daily snapshots a day (09:00-21:00) as bookings change, in time order.
    let ist = ist();
    let end = Utc::now().with_timezone(&ist);
    let start = end - chrono::Duration::days(days);
    let mut rng = 99u64;
    let mut queue: Vec<(DateTime<FixedOffset>, &str, String)> = vec![(
        start,
        "profile",
        profile_body("Deccan Gymkhana Police Station", "Zone 1", &officers),
    )];
    let mut t = start;
    while t < end {
        queue.push((t, "availability", availability_body(&mut rng, t, &officers)));
        t += chrono::Duration::minutes(15);
    }
    for d in 0..days {
        let date = (start + chrono::Duration::days(d)).date_naive();
        for k in 0..60i64 {
            let minute = 9 * 60 + (next_u64(&mut rng) % (12 * 60)) as i64;
            let Some(at) = date
                .and_hms_opt(0, 0, 0)
                .and_then(|m| m.and_local_timezone(ist).single())
                .map(|m| m + chrono::Duration::minutes(minute))
            else {
                continue;
            };
            let officer = officers[k as usize % officers.len()];
            let progress = (minute - 9 * 60) as f64 / (12.0 * 60.0);
            queue.push((at, "daily", daily_body(&mut rng, date, officer, progress)));
        }
    }
    queue.sort_by_key(|(at, _, _)| *at);
    let t0 = Instant::now();
    for (at, kind, body) in &queue {
        app.store
            .enqueue_federation(kind, body, at.with_timezone(&Utc))?;
    }
    let enqueue_secs = t0.elapsed().as_secs_f64();
    let count = |k: &str| queue.iter().filter(|q| q.1 == k).count();
    let body_bytes: usize = queue.iter().map(|q| q.2.len()).sum();
    // The largest push push_all will make: 200 consecutive messages, each with its number and
    // digest (~100 bytes of envelope).
    let sizes: Vec<usize> = queue.iter().map(|q| q.2.len() + 100).collect();
    let largest = sizes
        .windows(BATCH.min(sizes.len()))
        .map(|w| w.iter().sum::<usize>())
        .max()
        .unwrap_or(0);
    let avail_avg = queue
        .iter()
        .filter(|q| q.1 == "availability")
        .map(|q| q.2.len())
        .sum::<usize>() as f64
        / count("availability").max(1) as f64;
    say!(
        "  queued {} messages ({} availability, {} daily, {} profile) = {} of bodies in {enqueue_secs:.1} s \
         (enqueue_federation, one durable commit each)",
        thousands(queue.len() as u64),
        count("availability"),
        count("daily"),
        count("profile"),
        mib(body_bytes as u64)
    );
    say!(
        "  largest batch of {BATCH}: {:.2} MiB of the hub's {} MiB push limit; an availability message is ~{:.1} KiB \
         ({:.2} KiB per officer), so {BATCH} of them in a row pass the limit from ~{} officers up",
        largest as f64 / 1024.0 / 1024.0,
        fed::MAX_PUSH_BYTES / 1024 / 1024,
        avail_avg / 1024.0,
        avail_avg / n_officers as f64 / 1024.0,
        // 200 x (officers x bytes per officer + ~100 bytes of envelope) > the limit
        ((fed::MAX_PUSH_BYTES as f64 / BATCH as f64 - 100.0) / (avail_avg / n_officers as f64))
            .ceil()
    );

    let http = vappoint::station::hub_link::push_client(&station_data, &link)?;
    let a = probe();
    let t0 = Instant::now();
    let pushed = st_rt.block_on(vappoint::station::hub_link::push_all(&app, &http, &link))?;
    let secs = t0.elapsed().as_secs_f64();
    let b = probe();
    let hub_seq = hub.app.store.station("DGP")?.map_or(0, |s| s.last_seq);
    let (backlog, acked) = app.store.federation_backlog()?;
    say!(
        "  push_all: {} messages, {} of bodies, in {} pushes of up to {BATCH}, in {secs:.2} s = {:.0} messages/s, {:.1} MiB/s",
        thousands(pushed as u64),
        mib(body_bytes as u64),
        pushed.div_ceil(BATCH),
        pushed as f64 / secs,
        body_bytes as f64 / 1024.0 / 1024.0 / secs
    );
    say!(
        "    the hub's last number for DGP: {hub_seq}; station: {backlog} left in the queue, acknowledged up to {acked}"
    );
    say!("    {}", cpu_line(&a, &b));
    print_db("while running", &hub_data);
    say!("    {} (hub and station in this process)", rss_line());
    if hub_seq != queue.len() as i64 || backlog != 0 {
        bail!("the hub did not get the whole queue");
    }
    st_rt.block_on(station.stop())?;
    hub_rt.block_on(hub.stop())?;
    summary!(
        "catch-up after {days} days ({n_officers} officers): {} messages, {} in {secs:.2} s ({:.0} messages/s)",
        thousands(pushed as u64),
        mib(body_bytes as u64),
        pushed as f64 / secs
    );
    Ok(())
}
