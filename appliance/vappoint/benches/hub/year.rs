//! Part 2, `year`: a simulated year of one city pushed through the real enrolment and push
//! paths; then the database's size and the time of the report and directory queries.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::bail;
use chrono::Utc;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::runtime::Runtime;
use vappoint::server::peer::HubCert;

use crate::bodies::{availability_body, daily_body, envelope, ist, profile_body, seeded};
use crate::measure::{cpu_line, db_files, mib, probe, rss_line, thousands};
use crate::net::{Answer, Target, answer, client_config, connect, post, runtime, start_hub};
use crate::push::{Cred, print_db, time_reads};
use crate::{HUB_THREADS, Opts, PUSH_THREADS};

pub(crate) const CITY: [&str; 32] = [
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
pub(crate) fn enrol_station(
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
    let enrol = vappoint::hub::admin::add_station(
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

pub(crate) fn bench_year(opts: &Opts) -> anyhow::Result<()> {
    const STATIONS: usize = 32;
    const OFFICERS: i64 = 4;
    let days = opts.city_days;
    let seed = opts.seed;
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
                    let mut rng = seeded(seed, i as u64 + 11);
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
