//! Measuring helpers: CPU time by thread and machine, memory, files, number formats.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use crate::{HUB_THREADS, PUSH_THREADS, STATION_THREADS};

pub(crate) fn machine_cores() -> usize {
    std::fs::read_to_string("/proc/stat")
        .map(|s| {
            s.lines()
                .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
                .count()
        })
        .unwrap_or(1)
        .max(1)
}

pub(crate) fn open_file_limit() -> Option<usize> {
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
pub(crate) fn machine_ticks() -> (u64, u64) {
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
pub(crate) struct Probe {
    pub(crate) at: Instant,
    pub(crate) busy: u64,
    pub(crate) total: u64,
    /// This process's user + system ticks (`/proc/self/stat`), counted as `/proc/stat` is.
    pub(crate) own: u64,
    /// thread id -> (name, nanoseconds on CPU)
    pub(crate) threads: HashMap<u32, (String, u64)>,
}

pub(crate) fn probe() -> Probe {
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
pub(crate) fn cpu_use(a: &Probe, b: &Probe) -> (f64, String) {
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

pub(crate) fn cpu_line(a: &Probe, b: &Probe) -> String {
    cpu_use(a, b).1
}

pub(crate) fn status_kib(field: &str) -> u64 {
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

pub(crate) fn rss_line() -> String {
    format!(
        "process RSS {:.0} MiB (peak {:.0} MiB)",
        status_kib("VmRSS:") as f64 / 1024.0,
        status_kib("VmHWM:") as f64 / 1024.0
    )
}

pub(crate) fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
}

pub(crate) fn thousands(n: u64) -> String {
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

pub(crate) fn percentile<T: Copy>(sorted: &[T], p: usize) -> T {
    sorted[(sorted.len() - 1) * p / 100]
}

pub(crate) fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// The hub database's files: (main, WAL).
pub(crate) fn db_files(hub_data: &Path) -> (u64, u64) {
    (
        file_len(&hub_data.join("hub.db")),
        file_len(&hub_data.join("hub.db-wal")),
    )
}

pub(crate) fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
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
pub(crate) fn timed<T>(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(T, String)> {
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
