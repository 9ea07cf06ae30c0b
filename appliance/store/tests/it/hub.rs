//! The hub's database, each test run on both backends: a SQLite file and a fresh database
//! on a throwaway PostgreSQL server (`pgkit.rs`).

use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use vappoint_store::{HubStore, StoreError};

use super::now;
use super::pgkit;

/// `on_both!(test)`: `test::sqlite` and `test::postgres` run `test(&hub)` on an empty hub.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let h = vappoint_store::HubStore::open(&dir.path().join("hub.db")).unwrap();
                super::$name(&h);
            }

            #[test]
            fn postgres() {
                let (_server, url) = super::pgkit::database();
                let h = vappoint_store::HubStore::open_postgres(&url).unwrap();
                super::$name(&h);
            }
        }
    )*};
}

on_both!(
    the_hub_applies_pushes_in_order_once,
    the_hub_directory_finds_aliases_and_tells_stations_without_times,
    the_hub_keeps_each_stations_newest_health,
    the_hub_keeps_published_updates_and_a_second_publication_changes_their_reach,
    the_hub_keeps_the_newest_backups_and_a_replacement_retires_the_old_certificate,
    the_hub_keeps_admins_sessions_and_settings,
    the_hub_keeps_each_days_newest_audit_head,
);

fn the_hub_applies_pushes_in_order_once(h: &HubStore) {
    use vappoint_store::{DailyFigures, HubUpdate, PushItem, PushRefusal};
    use vappoint_wire::federation::{DayCounts, OfficerName};
    let later = now() + Duration::days(7);
    h.register_station(
        "DGP",
        "Deccan",
        "Zone 1",
        "https://dgp.example",
        &["Karve Road".into()],
        &Default::default(),
        b"key",
        later,
        now(),
    )
    .unwrap();
    assert!(h.enrol("DGP", |k| k == b"wrong", "fp", now()).is_err());
    h.enrol("DGP", |k| k == b"key", "fp", now()).unwrap();
    // A code works once.
    assert!(matches!(
        h.enrol("DGP", |_| true, "fp2", now()),
        Err(StoreError::Conflict("code_unusable"))
    ));
    assert_eq!(h.station_by_cert("fp").unwrap().unwrap().code, "DGP");
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let daily = |booked: u64| {
        HubUpdate::Daily(DailyFigures {
            day,
            officer_id: 1,
            counts: DayCounts {
                booked,
                offered: 24,
                ..Default::default()
            },
        })
    };
    let item = |seq: i64, digest: &str, update: HubUpdate| PushItem {
        seq,
        digest: digest.into(),
        update,
    };
    assert_eq!(
        h.apply_push(
            "DGP",
            &[item(1, "a", daily(1)), item(2, "b", daily(2))],
            now()
        )
        .unwrap(),
        Ok(2)
    );
    // The same again is harmless; the same number with another body is refused; a gap too.
    assert_eq!(
        h.apply_push("DGP", &[item(2, "b", daily(2))], now())
            .unwrap(),
        Ok(2)
    );
    assert_eq!(
        h.apply_push("DGP", &[item(2, "x", daily(9))], now())
            .unwrap(),
        Err(PushRefusal::Replayed { seq: 2 })
    );
    // An older number with another body is a replay too.
    assert_eq!(
        h.apply_push("DGP", &[item(1, "y", daily(9))], now())
            .unwrap(),
        Err(PushRefusal::Replayed { seq: 1 })
    );
    assert_eq!(
        h.apply_push("DGP", &[item(4, "d", daily(9))], now())
            .unwrap(),
        Err(PushRefusal::Gap { expected: 3 })
    );
    let r = h.report(day, day).unwrap();
    assert_eq!(
        (r[0].counts.booked, r[0].counts.offered),
        (2, 24),
        "the newest snapshot counts, once"
    );
    let next: DateTime<Utc> = "2026-11-30T06:00:00Z".parse().unwrap();
    let row = |officer_id: i64, day: NaiveDate, next_free: Option<DateTime<Utc>>| {
        vappoint_store::AvailabilityRow {
            officer_id,
            day,
            offered: 24,
            free: 20,
            next_free,
        }
    };
    // Three officers' 60 days (more rows than one INSERT takes), and an officer's day sent
    // twice: the last one counts, as it did row by row.
    let mut days = vec![row(1, day, Some(next - Duration::hours(1)))];
    for officer in 1..=3 {
        for d in 1..=60 {
            days.push(row(officer, day + Duration::days(d), None));
        }
    }
    days.push(row(1, day, Some(next)));
    h.apply_push(
        "DGP",
        &[item(3, "c", HubUpdate::Availability { days })],
        now(),
    )
    .unwrap()
    .unwrap();
    let found = h.directory(Some("karve"), now()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].next_free, Some(next));
    assert!(h.directory(Some("kothrud"), now()).unwrap().is_empty());
    let officer = OfficerName {
        id: 1,
        name: "Asha Patil".into(),
        rank: "Police Inspector".into(),
    };
    let profile = HubUpdate::Profile {
        name: "Deccan Gymkhana".into(),
        officers: vec![officer.clone()],
    };
    h.apply_push("DGP", &[item(4, "d", profile)], now())
        .unwrap()
        .unwrap();
    assert_eq!(h.officers("DGP").unwrap(), [officer]);
    assert_eq!(h.station("DGP").unwrap().unwrap().name, "Deccan Gymkhana");
    h.revoke("DGP", now()).unwrap();
    assert!(h.station_by_cert("fp").unwrap().unwrap().revoked);
    assert!(h.directory(None, now()).unwrap().is_empty());
}

fn the_hub_directory_finds_aliases_and_tells_stations_without_times(h: &HubStore) {
    assert_eq!(h.schema_version().unwrap(), 6);
    let later = now() + Duration::days(7);
    let mut aliases = vappoint_store::Aliases::new();
    aliases.insert("mr".into(), vec!["डेक्कन जिमखाना".into(), "कर्वे रस्ता".into()]);
    aliases.insert("hi".into(), vec!["कर्वे रोड".into()]);
    for (code, name, a) in [
        ("DGP", "Deccan Gymkhana", aliases),
        ("KTR", "Kothrud", Default::default()),
    ] {
        h.register_station(
            code,
            name,
            "Zone 1",
            "https://x.example",
            &[],
            &a,
            code.as_bytes(),
            later,
            now(),
        )
        .unwrap();
    }
    let codes = |q: &str| -> Vec<String> {
        h.directory(Some(q), now())
            .unwrap()
            .into_iter()
            .map(|l| l.code)
            .collect()
    };
    assert_eq!(codes("कर्वे"), ["DGP"]);
    assert_eq!(codes("डेक्कन"), ["DGP"]);
    assert_eq!(codes("  deccan  "), ["DGP"]);
    assert!(codes("कोथरूड").is_empty());
    let all = h.directory(None, now()).unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|l| !l.has_times && l.next_free.is_none()));
    assert_eq!(
        h.station("DGP").unwrap().unwrap().aliases["hi"],
        ["कर्वे रोड"]
    );

    // Which station a code was issued for: both codes are usable, until one is used.
    let pending = h.pending_enrolments(now()).unwrap();
    assert_eq!(pending.len(), 2);
    assert!(
        h.pending_enrolments(later + Duration::seconds(1))
            .unwrap()
            .is_empty()
    );
    h.enrol("KTR", |k| k == b"KTR", "fp", now()).unwrap();
    let pending = h.pending_enrolments(now()).unwrap();
    assert_eq!(pending, vec![("DGP".to_string(), b"DGP".to_vec())]);
    let day = now().date_naive();
    let enrolled: Vec<(String, bool)> = h
        .report(day, day)
        .unwrap()
        .into_iter()
        .map(|f| (f.code, f.enrolled))
        .collect();
    assert_eq!(
        enrolled,
        [("DGP".to_string(), false), ("KTR".to_string(), true)]
    );
}

/// Registers one station, `DGP`.
fn register_dgp(h: &HubStore) {
    h.register_station(
        "DGP",
        "Deccan",
        "Zone 1",
        "https://dgp.example",
        &[],
        &Default::default(),
        b"key",
        now() + Duration::days(7),
        now(),
    )
    .unwrap();
}

fn the_hub_keeps_each_stations_newest_health(h: &HubStore) {
    use vappoint_wire::federation::Health;
    register_dgp(h);
    let old = Health {
        version: "0.1.0".into(),
        mail_dead: 2,
        ..Health::default()
    };
    h.record_health("DGP", &old, 3, now()).unwrap();
    let new = Health {
        version: "0.1.1".into(),
        ..Health::default()
    };
    h.record_health("DGP", &new, -1, now() + Duration::minutes(1))
        .unwrap();
    let all = h.healths().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all["DGP"].health, new);
    assert_eq!(all["DGP"].clock_offset, -1);
}

fn the_hub_keeps_published_updates_and_a_second_publication_changes_their_reach(h: &HubStore) {
    use vappoint_store::PublishedUpdate;
    let mut u = PublishedUpdate {
        id: "ab".repeat(32),
        version: "0.2.0".into(),
        arch: "aarch64".into(),
        size: 123,
        zone: Some("Zone 1".into()),
        percent: 10,
        published_at: now(),
    };
    h.publish_update(&u).unwrap();
    u.zone = None;
    u.percent = 100;
    h.publish_update(&u).unwrap();
    let listed = h.published_updates().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].zone.as_deref(), listed[0].percent, listed[0].size),
        (None, 100, 123)
    );
}

fn the_hub_keeps_the_newest_backups_and_a_replacement_retires_the_old_certificate(h: &HubStore) {
    register_dgp(h);
    h.enrol("DGP", |k| k == b"key", "old-cert", now()).unwrap();
    let mut dropped = Vec::new();
    for i in 0..5 {
        let (added, gone) = h
            .add_backup("DGP", &format!("DGP/{i}.age"), 10, "ab", now(), 3)
            .unwrap();
        assert_eq!(added.file, format!("DGP/{i}.age"));
        dropped.extend(gone);
    }
    assert_eq!(dropped, ["DGP/0.age", "DGP/1.age"]);
    let kept: Vec<String> = h
        .backups_of("DGP")
        .unwrap()
        .into_iter()
        .map(|b| b.file)
        .collect();
    assert_eq!(kept, ["DGP/4.age", "DGP/3.age", "DGP/2.age"]);

    // A code for an unknown station is refused; one for DGP works once, with the right MAC.
    assert!(
        h.set_replacement_code("XYZ", b"r", now() + Duration::hours(24))
            .is_err()
    );
    h.set_replacement_code("DGP", b"r", now() + Duration::hours(24))
        .unwrap();
    assert_eq!(
        h.replacement_key("DGP", now()).unwrap().as_deref(),
        Some(&b"r"[..])
    );
    assert!(
        h.replace_certificate("DGP", |_| false, "new-cert", now())
            .is_err()
    );
    let (station, _) = h
        .replace_certificate("DGP", |k| k == b"r", "new-cert", now())
        .unwrap();
    assert_eq!(station.cert_sha256.as_deref(), Some("new-cert"));
    assert!(
        h.replace_certificate("DGP", |_| true, "third", now())
            .is_err()
    );
    assert!(!h.station_by_cert("new-cert").unwrap().unwrap().revoked);
    assert!(h.station_by_cert("old-cert").unwrap().unwrap().revoked);
    // An expired code is not usable.
    h.set_replacement_code("DGP", b"s", now() - Duration::seconds(1))
        .unwrap();
    assert_eq!(h.replacement_key("DGP", now()).unwrap(), None);
}

fn the_hub_keeps_admins_sessions_and_settings(h: &HubStore) {
    use vappoint_store::Sessions;
    assert_eq!(h.admin_count().unwrap(), 0);
    let id = h.add_admin("Cp@Pune.example", "hash", now()).unwrap();
    let second = h.add_admin("dcp@pune.example", "hash2", now()).unwrap();
    assert_ne!(id, second);
    // One admin per email, in any case.
    assert!(matches!(
        h.add_admin("cp@pune.example", "x", now()),
        Err(StoreError::Conflict("email_taken"))
    ));
    assert_eq!(
        h.admin_by_email("cp@pune.EXAMPLE").unwrap(),
        Some((id, "hash".to_string()))
    );
    assert_eq!(h.admin_count().unwrap(), 2);

    h.create_session(b"sid", id, "csrf", now()).unwrap();
    h.touch_session(b"sid", now() + Duration::minutes(5))
        .unwrap();
    let s = h.session(b"sid").unwrap().unwrap();
    assert_eq!((s.account_id, s.csrf.as_str()), (id, "csrf"));
    assert_eq!(s.last_seen_at, now() + Duration::minutes(5));
    h.delete_session(b"sid").unwrap();
    assert!(h.session(b"sid").unwrap().is_none());

    assert_eq!(h.setting("name").unwrap(), None);
    h.set_setting("name", "a").unwrap();
    h.set_setting("name", "b").unwrap();
    assert_eq!(h.setting("name").unwrap().as_deref(), Some("b"));
    // The first value stays; every caller learns it.
    assert_eq!(h.set_setting_if_absent("ca", "first").unwrap(), "first");
    assert_eq!(h.set_setting_if_absent("ca", "second").unwrap(), "first");
    assert_eq!(h.setting("ca").unwrap().as_deref(), Some("first"));
}

fn the_hub_keeps_each_days_newest_audit_head(h: &HubStore) {
    use vappoint_store::{HubUpdate, PushItem};
    register_dgp(h);
    h.enrol("DGP", |k| k == b"key", "fp", now()).unwrap();
    let head = |seq: i64, hash: &str| PushItem {
        seq,
        digest: format!("d{seq}"),
        update: HubUpdate::AuditHead {
            seq: seq * 10,
            hash: hash.into(),
        },
    };
    assert!(h.last_audit_heads().unwrap().is_empty());
    assert_eq!(
        h.apply_push("DGP", &[head(1, "aa"), head(2, "bb")], now())
            .unwrap(),
        Ok(2)
    );
    let last = &h.last_audit_heads().unwrap()["DGP"];
    assert_eq!((last.seq, last.hash.as_str()), (20, "bb"));
    assert_eq!(h.audit_heads("DGP").unwrap().len(), 1);
}

/// A fresh PostgreSQL database and two hub stores on it, as two hub processes have.
fn two_hubs_on_one_database() -> (Arc<pgkit::Server>, Arc<HubStore>, Arc<HubStore>) {
    let (server, url) = pgkit::database();
    // Both start at once on the empty database: one applies the migrations, the other
    // waits for it and finds the schema current.
    let opening: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || HubStore::open_postgres(&url).unwrap())
        })
        .collect();
    let mut hubs = opening.into_iter().map(|t| Arc::new(t.join().unwrap()));
    let (a, b) = (hubs.next().unwrap(), hubs.next().unwrap());
    assert_eq!(a.schema_version().unwrap(), 6);
    assert_eq!(b.schema_version().unwrap(), 6);
    (server, a, b)
}

#[test]
fn two_hubs_given_the_same_number_at_once_apply_it_once() {
    use vappoint_store::{DailyFigures, HubUpdate, PushItem, PushRefusal};
    let (_server, a, b) = two_hubs_on_one_database();
    register_dgp(&a);
    a.enrol("DGP", |k| k == b"key", "fp", now()).unwrap();
    const ROUNDS: i64 = 40;
    let barrier = Arc::new(Barrier::new(2));
    // Each hub receives every number with its own body: the database decides which lands.
    let pushing: Vec<_> = [(a.clone(), "a"), (b.clone(), "b")]
        .into_iter()
        .map(|(hub, tag)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut won = Vec::new();
                for seq in 1..=ROUNDS {
                    let item = PushItem {
                        seq,
                        digest: format!("{tag}{seq}"),
                        update: HubUpdate::Daily(DailyFigures {
                            day: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                            officer_id: 1,
                            counts: vappoint_store::DayCounts {
                                booked: seq as u64,
                                ..Default::default()
                            },
                        }),
                    };
                    barrier.wait();
                    match hub.apply_push("DGP", &[item], now()).unwrap() {
                        Ok(last) => {
                            assert_eq!(last, seq);
                            won.push(seq);
                        }
                        Err(PushRefusal::Replayed { seq: s }) => assert_eq!(s, seq),
                        Err(other) => panic!("{other:?}"),
                    }
                }
                won
            })
        })
        .collect();
    let won: Vec<Vec<i64>> = pushing.into_iter().map(|t| t.join().unwrap()).collect();
    let mut all: Vec<i64> = won.concat();
    all.sort();
    assert_eq!(
        all,
        (1..=ROUNDS).collect::<Vec<_>>(),
        "each number applied exactly once"
    );
    assert_eq!(b.station("DGP").unwrap().unwrap().last_seq, ROUNDS);
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    assert_eq!(a.report(day, day).unwrap()[0].counts.booked, ROUNDS as u64);
}

#[test]
fn two_hubs_burn_an_enrolment_code_once_and_agree_on_a_first_setting() {
    let (_server, a, b) = two_hubs_on_one_database();
    register_dgp(&a);
    let barrier = Arc::new(Barrier::new(2));
    let racing: Vec<_> = [(a.clone(), "cert-a"), (b.clone(), "cert-b")]
        .into_iter()
        .map(|(hub, cert)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let enrolled = hub.enrol("DGP", |k| k == b"key", cert, now()).is_ok();
                let kept = hub.set_setting_if_absent("tls_key", cert).unwrap();
                (enrolled, kept)
            })
        })
        .collect();
    let results: Vec<(bool, String)> = racing.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|(e, _)| *e).count(), 1, "{results:?}");
    assert_eq!(
        results[0].1, results[1].1,
        "both learn the one stored value"
    );
    assert_eq!(a.setting("tls_key").unwrap(), Some(results[0].1.clone()));
}

#[test]
fn a_postgres_schema_whose_floor_is_past_this_binary_is_refused() {
    let (_server, url) = pgkit::database();
    HubStore::open_postgres(&url).unwrap();
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // What a newer release's expand-only migrations leave: it still opens.
    c.batch_execute(
        "UPDATE schema_version SET version = 9; CREATE TABLE future_things (id BIGINT)",
    )
    .unwrap();
    assert_eq!(
        HubStore::open_postgres(&url)
            .unwrap()
            .schema_version()
            .unwrap(),
        9
    );
    c.batch_execute(
        "CREATE TABLE schema_floor (version BIGINT NOT NULL); INSERT INTO schema_floor VALUES (7)",
    )
    .unwrap();
    assert!(matches!(
        HubStore::open_postgres(&url),
        Err(StoreError::TooNew { found: 9, known: 6 })
    ));
    c.batch_execute("UPDATE schema_floor SET version = 6")
        .unwrap();
    HubStore::open_postgres(&url).unwrap();
}

#[test]
fn a_sqlite_hub_moves_to_an_empty_postgres_database_only() {
    let dir = tempfile::tempdir().unwrap();
    let old = HubStore::open(&dir.path().join("hub.db")).unwrap();
    the_hub_keeps_the_newest_backups_and_a_replacement_retires_the_old_certificate(&old);
    let admin = old.add_admin("cp@pune.example", "hash", now()).unwrap();
    old.set_setting("ca", "pem").unwrap();
    let (_server, url) = pgkit::database();
    let new = HubStore::open_postgres(&url).unwrap();
    let copied = old.copy_to_postgres(&new).unwrap();
    let rows = |t: &str| copied.iter().find(|(n, _)| n == t).unwrap().1;
    assert_eq!(
        (rows("stations"), rows("backups"), rows("admins")),
        (1, 3, 1)
    );
    assert_eq!(new.stations().unwrap(), old.stations().unwrap());
    assert_eq!(
        new.backups_of("DGP").unwrap(),
        old.backups_of("DGP").unwrap()
    );
    assert_eq!(new.setting("ca").unwrap().as_deref(), Some("pem"));
    assert!(new.station_by_cert("old-cert").unwrap().unwrap().revoked);
    // New rows get ids past the copied ones.
    let next = new.add_admin("dcp@pune.example", "h", now()).unwrap();
    assert!(next > admin);
    let (b, _) = new
        .add_backup("DGP", "DGP/9.age", 1, "ab", now(), 3)
        .unwrap();
    assert!(old.backups_of("DGP").unwrap().iter().all(|o| o.id < b.id));
    // A second copy finds the database taken.
    assert!(matches!(
        old.copy_to_postgres(&new),
        Err(StoreError::NotEmpty(_))
    ));
}
