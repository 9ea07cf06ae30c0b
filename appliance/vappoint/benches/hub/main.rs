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

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{ArgAction, Parser};

use catchup::bench_catchup;
use measure::{machine_cores, open_file_limit, percentile};
use push::bench_push;
use year::bench_year;

/// Lines of the report are marked: the parent prints only those, leaving out what the hub and
/// the station print when they start.
pub(crate) const MARK: &str = "@@ ";
/// Lines for the closing summary.
pub(crate) const SUMMARY: &str = "@@SUMMARY ";

macro_rules! say {
    ($($t:tt)*) => { println!("{}{}", $crate::MARK, format_args!($($t)*)) };
}

macro_rules! summary {
    ($($t:tt)*) => { println!("{}{}", $crate::SUMMARY, format_args!($($t)*)) };
}

mod bodies;
mod catchup;
mod measure;
mod net;
mod push;
mod year;

pub(crate) const HUB_THREADS: &str = "hub-rt";
pub(crate) const PUSH_THREADS: &str = "push-rt";
pub(crate) const STATION_THREADS: &str = "station-rt";

/// How often a station pushes (the default `push_interval`): N stations need N/30 pushes/s.
pub(crate) const PUSH_INTERVAL_S: f64 = 30.0;
/// Officers per simulated station in the push part, and days of availability per message.
pub(crate) const PUSH_OFFICERS: i64 = 3;
pub(crate) const LOOKAHEAD_DAYS: i64 = 14;
/// The batch size of `federation::push_all`.
pub(crate) const BATCH: usize = 200;

/// `cargo bench -p vappoint --bench hub [-- OPTIONS]`: the hub's pushes per second, a year of
/// one city, and a station catching up after an outage.
#[derive(Clone, Debug, Parser)]
#[command(bin_name = "cargo bench -p vappoint --bench hub --")]
pub(crate) struct Opts {
    /// Which parts, of push,year,catchup
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_values = ["push", "year", "catchup"],
          value_parser = ["push", "year", "catchup"])]
    pub(crate) parts: Vec<String>,
    /// Station counts of the push part
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_values_t = [1000, 17_500],
          value_parser = station_count)]
    pub(crate) stations: Vec<usize>,
    /// Concurrent pushers
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = above_zero::<usize>)]
    pub(crate) pushers: usize,
    /// Measured seconds per push run
    #[arg(long, value_name = "S", default_value_t = 20.0, value_parser = above_zero::<f64>)]
    pub(crate) seconds: f64,
    /// Unmeasured seconds before each push run
    #[arg(long, value_name = "S", default_value_t = 3.0)]
    pub(crate) warmup: f64,
    /// Only new TLS handshakes per push
    #[arg(long = "no-keepalive", action = ArgAction::SetFalse)]
    pub(crate) keepalive: bool,
    /// No runs with the hub database on /dev/shm
    #[arg(long = "no-tmpfs", action = ArgAction::SetFalse)]
    pub(crate) tmpfs: bool,
    /// An empty PostgreSQL database (`postgres://...`): the push part then also runs two hubs
    /// on one SQLite file, and one and two hubs on this database (`bench/hub-ha` starts a
    /// throwaway PostgreSQL and passes it)
    #[arg(long, value_name = "URL")]
    pub(crate) postgres: Option<String>,
    /// Days of figures in the year part
    #[arg(long, value_name = "N", default_value_t = 365)]
    pub(crate) city_days: i64,
    /// Days of queue in the catch-up part
    #[arg(long, value_name = "N", default_value_t = 7)]
    pub(crate) outage_days: i64,
    /// Officers of the catch-up station
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub(crate) outage_officers: usize,
    /// Where the temporary data folders go (default the system temp dir)
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    /// Seed of the simulated stations' figures: the same seed makes the same messages
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) seed: u64,
    /// The part this process runs (the parent starts one child process per part)
    #[arg(long, hide = true)]
    pub(crate) child: Option<String>,
}

/// A station count: a number above zero, `_` allowed as a separator ("17_500").
fn station_count(s: &str) -> Result<usize, String> {
    match s.replace('_', "").parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("--stations takes numbers above zero like 1000,17500".into()),
    }
}

fn above_zero<T: std::str::FromStr + PartialOrd + Default>(s: &str) -> Result<T, String> {
    match s.parse::<T>() {
        Ok(v) if v > T::default() => Ok(v),
        _ => Err("must be a number above zero".into()),
    }
}

impl Opts {
    pub(crate) fn base_dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    /// A tmpfs folder for the hub's database, if wanted and there is one.
    pub(crate) fn shm(&self) -> Option<PathBuf> {
        let p = PathBuf::from("/dev/shm");
        (self.tmpfs && p.is_dir()).then_some(p)
    }
}

pub(crate) fn main() {
    // `cargo bench` passes `--bench` to benches without the default harness.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let opts = Opts::parse_from(std::iter::once("hub".to_string()).chain(args.iter().cloned()));
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

pub(crate) fn run_parent(opts: &Opts, args: &[String]) -> anyhow::Result<()> {
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

pub(crate) fn print_header(opts: &Opts) -> anyhow::Result<()> {
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

pub(crate) fn fsync_probe(dir: &Path) -> anyhow::Result<(f64, f64)> {
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

pub(crate) fn run_child(opts: &Opts, job: &str) -> anyhow::Result<()> {
    if let Some(n) = job.strip_prefix("push:") {
        return bench_push(opts, n.parse()?);
    }
    match job {
        "year" => bench_year(opts),
        "catchup" => bench_catchup(opts),
        other => bail!("unknown job {other}"),
    }
}
