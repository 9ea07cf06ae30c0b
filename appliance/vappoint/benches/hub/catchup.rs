//! Part 3, `catchup`: how long a real station needs to push a week's queue after an outage.

use std::time::Instant;

use anyhow::bail;
use chrono::{DateTime, FixedOffset, Utc};
use rand::Rng;
use vappoint::server::ServeArgs;
use vappoint_wire::federation as fed;

use crate::bodies::{RANKS, availability_body, daily_body, ist, profile_body, seeded};
use crate::measure::{cpu_line, mib, probe, rss_line, thousands};
use crate::net::{runtime, start_hub};
use crate::push::print_db;
use crate::{BATCH, HUB_THREADS, Opts, STATION_THREADS};

pub(crate) fn bench_catchup(opts: &Opts) -> anyhow::Result<()> {
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
    let station = st_rt.block_on(vappoint::station::start(ServeArgs {
        data: station_data.clone(),
        https_addr: "127.0.0.1:0".parse()?,
        http_addr: "127.0.0.1:0".parse()?,
        config: Some(config),
        setup_code_file: None,
    }))?;
    let app = station.app.clone();
    let mut officers = Vec::new();
    for i in 0..n_officers {
        let id = app.store.add_officer(
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
        )?;
        // The federation bodies below carry the wire's plain ids.
        officers.push(id.0);
    }
    let code = vappoint::hub::admin::add_station(
        &hub_data,
        "DGP",
        "Deccan Gymkhana Police Station",
        "Zone 1",
        "https://dgp.punepolice.example/",
        &["Deccan".into(), "Prabhat Road".into()],
        &Default::default(),
        &vappoint::config::Config::default(),
    )?;
    let mut link = st_rt.block_on(vappoint::station::hub_link::enroll(
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
    let mut rng = seeded(opts.seed, 99);
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
            let minute = 9 * 60 + rng.random_range(0..12 * 60i64);
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
    let pushed = st_rt.block_on(vappoint::station::hub_link::push_all(
        &app, &http, &mut link,
    ))?;
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
