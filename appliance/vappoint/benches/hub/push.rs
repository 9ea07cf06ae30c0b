//! Part 1, `push`: how many pushes per second one hub takes from N enrolled stations.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::runtime::Runtime;
use vappoint::hub::RunningHub;
use vappoint::server::peer::{HubCert, fingerprint};
use vappoint_store::HubStore;

use crate::bodies::{availability_body, daily_body, envelope, ist, seeded};
use crate::measure::{
    copy_dir, cpu_use, db_files, mib, open_file_limit, percentile, probe, rss_line, status_kib,
    thousands, timed,
};
use crate::net::{
    Answer, Sender, Target, answer, client_config, connect, hub_pin, post, runtime, start_hub,
    start_hub_with, station_keys,
};
use crate::{
    HUB_THREADS, LOOKAHEAD_DAYS, Opts, PUSH_INTERVAL_S, PUSH_OFFICERS, PUSH_THREADS, fsync_probe,
};

pub(crate) struct Cred {
    pub(crate) code: String,
    pub(crate) tls: Arc<rustls::ClientConfig>,
}

/// A simulated station's side of the protocol.
pub(crate) struct StationState {
    pub(crate) next_seq: i64,
    pub(crate) acked_pushes: u64,
    pub(crate) rng: SmallRng,
    /// The last push, not acknowledged: sent again as it was (the hub skips what it has).
    pub(crate) pending: Option<(Bytes, i64, usize)>,
    pub(crate) conn: Option<Sender>,
}

pub(crate) struct Fleet {
    pub(crate) creds: Vec<Cred>,
    pub(crate) states: Vec<tokio::sync::Mutex<StationState>>,
    pub(crate) next: AtomicUsize,
}

#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) ok: u64,
    pub(crate) messages: u64,
    pub(crate) bytes: u64,
    pub(crate) latencies_us: Vec<u32>,
    pub(crate) errors: BTreeMap<String, u64>,
    pub(crate) full_handshakes: u64,
    pub(crate) resumed_handshakes: u64,
    pub(crate) stale_retries: u64,
}

impl Tally {
    pub(crate) fn merge(&mut self, o: Tally) {
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
pub(crate) struct Attempt {
    pub(crate) result: Result<usize, String>,
    pub(crate) bytes: usize,
    /// New TLS handshakes: (full, resumed).
    pub(crate) handshakes: (u64, u64),
    pub(crate) stale_retry: bool,
}

pub(crate) fn fleet_push_bodies(st: &mut StationState) -> Vec<String> {
    let now = Utc::now().with_timezone(&ist());
    let officer = 1 + (st.acked_pushes as i64 % PUSH_OFFICERS);
    let officers: Vec<i64> = (1..=PUSH_OFFICERS).collect();
    let progress = st.rng.random::<f64>();
    vec![
        daily_body(&mut st.rng, now.date_naive(), officer, progress),
        availability_body(&mut st.rng, now, &officers),
    ]
}

pub(crate) async fn push_once(
    cred: &Cred,
    st: &mut StationState,
    target: &Target,
    keep: bool,
) -> Attempt {
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

pub(crate) fn short(e: &anyhow::Error) -> String {
    let s = format!("{e:#}");
    s.chars().take(80).collect()
}

/// Runs `pushers` tasks over the fleet until `end`; counts the pushes that finish in
/// `start..end`.
pub(crate) async fn pusher(
    fleet: Arc<Fleet>,
    targets: Arc<[Target]>,
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
        // Several hubs: each station pushes to one of them, as a station sticks to the hub
        // that last answered.
        let target = &targets[i % targets.len()];
        let a = push_once(&fleet.creds[i], &mut st, target, keep).await;
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

pub(crate) struct Run {
    pub(crate) tally: Tally,
    pub(crate) secs: f64,
    /// The hub's threads' CPU over the window, in core-equivalents.
    pub(crate) hub_cpu: f64,
    pub(crate) cpu: String,
}

pub(crate) fn measure(
    rt: &Runtime,
    fleet: &Arc<Fleet>,
    targets: &[Target],
    keep: bool,
    opts: &Opts,
) -> Run {
    let targets: Arc<[Target]> = targets.into();
    let warm = Duration::from_secs_f64(opts.warmup);
    let len = Duration::from_secs_f64(opts.seconds);
    rt.block_on(async {
        let start = Instant::now() + warm;
        let end = start + len;
        let tasks: Vec<_> = (0..opts.pushers)
            .map(|_| tokio::spawn(pusher(fleet.clone(), targets.clone(), keep, start, end)))
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
pub(crate) fn print_run(label: &str, run: &mut Run, fleet: &Fleet, rt: &Runtime) -> String {
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
pub(crate) fn open_all(
    rt: &Runtime,
    fleet: &Arc<Fleet>,
    target: &Target,
    tasks: usize,
) -> (u64, u64, f64) {
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

pub(crate) fn close_all(rt: &Runtime, fleet: &Fleet) {
    rt.block_on(async {
        for s in &fleet.states {
            s.lock().await.conn = None;
        }
        // Let both ends notice and free their connections.
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
}

pub(crate) fn print_db(label: &str, hub_data: &Path) {
    let (main, wal) = db_files(hub_data);
    say!(
        "    hub database {label}: {} main file + {} WAL = {}",
        mib(main),
        mib(wal),
        mib(main + wal)
    );
}

/// Times the two reads the hub's pages make most, on its database as it is.
pub(crate) fn time_reads(
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

pub(crate) fn bench_push(opts: &Opts, n: usize) -> anyhow::Result<()> {
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
        let enrol = vappoint::federation::new_enrol_code();
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
            &vappoint::federation::enrol_key(&enrol),
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
            rng: seeded(opts.seed, i as u64 * 7919 + 1),
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
            rng: seeded(opts.seed, 0),
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
    // Where the newest state is once the runs are done: the several-hubs runs go on from it.
    let latest = runs
        .last()
        .map(|(data, _)| data.clone())
        .unwrap_or(disk.clone());
    for (data, where_) in runs {
        if data != disk {
            // Continue from the disk run's state: same stations, same sequence numbers.
            copy_dir(&disk, &data)?;
        }
        let hub = start_hub(&hub_rt, &data)?;
        let target = Target::of(&hub);
        let mut run = measure(&push_rt, &fleet, std::slice::from_ref(&target), false, opts);
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
            let mut run = measure(&push_rt, &fleet, std::slice::from_ref(&target), true, opts);
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
            let store = vappoint::hub::admin::open_store(&data, &Default::default())?;
            let today = Utc::now().with_timezone(&ist()).date_naive();
            report_time = time_reads(&store, today - chrono::Duration::days(29), today, "30 days")?;
        }
    }
    if let Some(url) = &opts.postgres {
        summaries.extend(several_hubs(
            opts,
            url,
            &latest,
            base.path(),
            &hub_rt,
            &push_rt,
            &fleet,
        )?);
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

/// `--postgres`: the same pushes to two hubs on one SQLite file (possible on one machine only),
/// then to one and to two hubs on PostgreSQL, the rows copied there as `vappoint hub
/// migrate-to-postgres` does; each continues from the state the run before it left. The hubs
/// share this process (and its hub runtime) as they would share a machine's cores.
fn several_hubs(
    opts: &Opts,
    url: &str,
    latest: &Path,
    base: &Path,
    hub_rt: &Runtime,
    push_rt: &Runtime,
    fleet: &Arc<Fleet>,
) -> anyhow::Result<Vec<String>> {
    let mut summaries = Vec::new();
    let mut run_on = |hubs: &[RunningHub], label: &str| {
        let targets: Vec<Target> = hubs.iter().map(Target::of).collect();
        let mut run = measure(push_rt, fleet, &targets, false, opts);
        let label = format!("{label}, new mutual-TLS handshake per push");
        let line = print_run(&label, &mut run, fleet, push_rt);
        summaries.push(format!("{label}: {line}"));
        if run.tally.ok == 0 {
            bail!("{label}: no push was answered 200, nothing was measured");
        }
        Ok(())
    };
    let stop = |hubs: Vec<RunningHub>| -> anyhow::Result<()> {
        for hub in hubs {
            hub_rt.block_on(hub.stop())?;
        }
        Ok(())
    };

    let shared = base.join("shared");
    copy_dir(latest, &shared)?;
    let hubs = vec![start_hub(hub_rt, &shared)?, start_hub(hub_rt, &shared)?];
    run_on(&hubs, "SQLite on disk, two hubs on one file")?;
    stop(hubs)?;

    let t = Instant::now();
    let copied = vappoint::hub::admin::migrate_to_postgres(&shared, url)?;
    say!(
        "  copied to PostgreSQL (migrate-to-postgres): {} rows in {:.1} s",
        thousands(copied.iter().map(|(_, n)| n).sum()),
        t.elapsed().as_secs_f64()
    );
    let config = base.join("postgres.toml");
    std::fs::write(&config, format!("[hub.database]\nurl = \"{url}\"\n"))?;
    for n in [1, 2] {
        let hubs = (0..n)
            .map(|i| start_hub_with(hub_rt, &base.join(format!("pg-{i}")), Some(&config)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let label = if n == 1 {
            "PostgreSQL, one hub".to_string()
        } else {
            format!("PostgreSQL, {n} hubs on one database")
        };
        run_on(&hubs, &label)?;
        stop(hubs)?;
    }
    let store = HubStore::open_postgres(url)?;
    let today = Utc::now().with_timezone(&ist()).date_naive();
    let report = time_reads(&store, today - chrono::Duration::days(29), today, "30 days")?;
    summaries.push(format!("PostgreSQL: HubStore::report(30 days) {report}"));
    Ok(summaries)
}
