//! Integration tests of the store against a real SQLite file: schema from empty, the rules
//! the database itself enforces, and the outbox life cycle.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use vappoint_domain::{AppointmentStatus, ReasonCategory, Schedule, WeeklyHours};
use vappoint_store::Sessions;
use vappoint_store::seal::DataKey;
use vappoint_store::{
    AppointmentId, BookingGuard, Idempotency, MailCaps, NewAppointment, NewDocument, NewMail,
    NewOfficer, NewReminder, OfficerId, OutboxStatus, Reschedule, Store, StoreError,
};

fn now() -> DateTime<Utc> {
    "2026-11-30T04:00:00Z".parse().unwrap()
}

fn key() -> DataKey {
    DataKey::from_bytes(&[3; 32]).unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("t.db"), &key()).unwrap();
    (dir, s)
}

fn officer(s: &Store, email: &str, admin: bool) -> OfficerId {
    s.add_officer(
        &NewOfficer {
            name: "Vijay Patil".into(),
            rank: "Senior Police Inspector".into(),
            email: email.into(),
            password_hash: "x".into(),
            is_admin: admin,
            hours: WeeklyHours::default(),
            slot_minutes: 5,
        },
        now(),
    )
    .unwrap()
}

fn appointment(officer_id: OfficerId, start: &str, email: &str, n: u8) -> NewAppointment {
    let start: DateTime<Utc> = start.parse().unwrap();
    NewAppointment {
        reference: format!("PS-REF{n:03}"),
        link_hash: vec![n; 32],
        officer_id,
        start,
        end: start + Duration::minutes(5),
        local_day: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        name: "Asha".into(),
        email: email.into(),
        email_key: email.to_lowercase(),
        mobile: None,
        reason_category: ReasonCategory::Complaint,
        reason: String::new(),
        lang: "mr".into(),
        token_mac: vec![1; 32],
        reminder: None,
        guard: Default::default(),
    }
}

fn mail(n: u8) -> NewMail {
    NewMail {
        message_id: format!("<m{n}@t>"),
        kind: "booked".into(),
        to_addr: "a@b.in".into(),
        sealed: vec![n; 40],
    }
}

#[test]
fn schema_from_empty_is_current_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let s = Store::open(&path, &key()).unwrap();
    assert_eq!(s.schema_version().unwrap(), 10);
    drop(s);
    let s = Store::open(&path, &key()).unwrap();
    assert_eq!(s.schema_version().unwrap(), 10);
}

#[test]
fn a_slot_that_passed_without_a_check_in_reads_as_a_no_show() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", false);
    let (a, _) = s
        .book(
            &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 1),
            &[],
            &mail(1),
            None,
            now(),
        )
        .unwrap()
        .into_parts();
    let end: DateTime<Utc> = "2026-11-30T05:35:00Z".parse().unwrap();
    let a = s.appointment(a.id).unwrap();
    assert_eq!(a.status, AppointmentStatus::Booked);
    assert_eq!(
        a.status_at(end - Duration::seconds(1)),
        AppointmentStatus::Booked
    );
    assert_eq!(a.status_at(end), AppointmentStatus::NoShow);
    // Nothing was written: the slot stays counted as booked for the hub's figures.
    assert_eq!(
        s.appointment(a.id).unwrap().status,
        AppointmentStatus::Booked
    );
}

#[test]
fn one_active_booking_per_slot_and_per_email_day() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    s.book(
        &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 1),
        &[],
        &mail(1),
        None,
        now(),
    )
    .unwrap();
    let err = s
        .book(
            &appointment(o, "2026-11-30T05:30:00Z", "c@d.in", 2),
            &[],
            &mail(2),
            None,
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("slot_taken")), "{err:?}");
    // Same citizen (any case), same officer, same day, another slot.
    let err = s
        .book(
            &appointment(o, "2026-11-30T05:35:00Z", "A@B.in", 3),
            &[],
            &mail(3),
            None,
            now(),
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("email_day_taken")),
        "{err:?}"
    );
    // Nothing of the refused bookings stayed behind, not even their mail.
    assert_eq!(s.mail_counts().unwrap(), (1, 0, 0, 0));
}

#[test]
fn cancelled_slot_can_be_booked_again() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    let (a, _) = s
        .book(
            &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 1),
            &[],
            &mail(1),
            None,
            now(),
        )
        .unwrap()
        .into_parts();
    s.cancel(a.id, &mail(2), now()).unwrap();
    assert!(matches!(
        s.cancel(a.id, &mail(3), now()),
        Err(StoreError::Conflict("not_booked"))
    ));
    s.book(
        &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 4),
        &[],
        &mail(4),
        None,
        now(),
    )
    .unwrap();
}

#[test]
fn idempotency_key_returns_the_first_booking_only_for_the_same_request() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    let docs = [NewDocument {
        file_name: "fir.pdf".into(),
        kind: vappoint_domain::DocumentKind::Pdf,
        size: 10,
        sha256: "00".into(),
        stored_name: "abc".into(),
    }];
    let key = |content: &[u8]| Idempotency {
        key_hash: vec![7; 32],
        content: content.to_vec(),
    };
    let (a, replayed) = s
        .book(
            &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 1),
            &docs,
            &mail(1),
            Some(&key(b"one")),
            now(),
        )
        .unwrap()
        .into_parts();
    assert!(!replayed);
    let (b, replayed) = s
        .book(
            &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 2),
            &[],
            &mail(2),
            Some(&key(b"one")),
            now(),
        )
        .unwrap()
        .into_parts();
    assert!(replayed);
    assert_eq!(a.reference, b.reference);
    // The same key for another request is a conflict, never the first booking.
    let err = s
        .book(
            &appointment(o, "2026-11-30T05:40:00Z", "x@y.in", 3),
            &[],
            &mail(3),
            Some(&key(b"two")),
            now(),
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("idempotency_conflict")),
        "{err:?}"
    );
    assert_eq!(s.documents(a.id).unwrap().len(), 1);
    assert!(s.document_stored("abc").unwrap());
    assert_eq!(s.mail_counts().unwrap().0, 1);
    assert_eq!(
        s.document_bytes_since(None, now() - Duration::hours(1))
            .unwrap(),
        10
    );
    // Keys expire.
    assert_eq!(
        s.purge_idempotency_keys(now() + Duration::days(1)).unwrap(),
        1
    );
    let (_, replayed) = s
        .book(
            &appointment(o, "2026-11-30T05:45:00Z", "a2@b.in", 4),
            &[],
            &mail(4),
            Some(&key(b"two")),
            now(),
        )
        .unwrap()
        .into_parts();
    assert!(!replayed);
}

#[test]
fn a_network_holds_a_share_of_a_day_and_mail_is_capped() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    let guarded = |start: &str, email: &str, n: u8, source: u8| {
        let mut a = appointment(o, start, email, n);
        a.guard = BookingGuard {
            source_tag: Some(vec![source; 16]),
            network_tag: Some(vec![source / 10; 16]),
            network_share: Some(2),
            mail: MailCaps {
                per_recipient: Some(2),
                per_source: Some(3),
            },
        };
        a
    };
    let mailto = |n: u8, to: &str| NewMail {
        to_addr: to.into(),
        ..mail(n)
    };
    s.book(
        &guarded("2026-11-30T05:30:00Z", "a@b.in", 1, 11),
        &[],
        &mailto(1, "a@b.in"),
        None,
        now(),
    )
    .unwrap();
    s.book(
        &guarded("2026-11-30T05:35:00Z", "b@b.in", 2, 12),
        &[],
        &mailto(2, "b@b.in"),
        None,
        now(),
    )
    .unwrap();
    // A third from the same network (tag 1) is refused; another network books.
    let err = s
        .book(
            &guarded("2026-11-30T05:40:00Z", "c@b.in", 3, 13),
            &[],
            &mailto(3, "c@b.in"),
            None,
            now(),
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("network_share")),
        "{err:?}"
    );
    s.book(
        &guarded("2026-11-30T05:40:00Z", "c@b.in", 3, 21),
        &[],
        &mailto(3, "C@b.in"),
        None,
        now(),
    )
    .unwrap();
    // Two mails to one address a day, whatever its case.
    let err = s
        .book(
            &guarded("2026-11-30T05:45:00Z", "c@b.in", 4, 22),
            &[],
            &mailto(4, "c@B.in"),
            None,
            now(),
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("email_day_taken")),
        "{err:?}"
    );
    let notice = |n: u8, source: u8| {
        s.queue_second_booking_notice(
            AppointmentId(1),
            &mailto(n, "a@b.in"),
            &guarded("2026-11-30T05:30:00Z", "a@b.in", n, source).guard,
            None,
            now(),
        )
    };
    notice(5, 31).unwrap();
    assert!(matches!(
        notice(6, 32),
        Err(StoreError::Conflict("mail_limit"))
    ));
    // Three mails a day from one source (tag 21 has had one).
    for (n, to) in [(7, "d@b.in"), (8, "e@b.in")] {
        s.queue_second_booking_notice(
            AppointmentId(1),
            &mailto(n, to),
            &guarded("2026-11-30T05:30:00Z", to, n, 21).guard,
            None,
            now(),
        )
        .unwrap();
    }
    let err = s
        .queue_second_booking_notice(
            AppointmentId(1),
            &mailto(9, "f@b.in"),
            &guarded("2026-11-30T05:30:00Z", "f@b.in", 9, 21).guard,
            None,
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("mail_limit")), "{err:?}");
    // The source's cap counts whole hours, never less than a day: still refused 23 hours
    // on; after a day and an hour, and once the old hours are purged, the caps start again.
    let later = |n: u8, at| {
        s.queue_second_booking_notice(
            AppointmentId(1),
            &mailto(n, "f@b.in"),
            &guarded("2026-11-30T05:30:00Z", "f@b.in", n, 21).guard,
            None,
            at,
        )
    };
    assert!(matches!(
        later(10, now() + Duration::hours(23)),
        Err(StoreError::Conflict("mail_limit"))
    ));
    assert_eq!(s.purge_mail_counts(now() + Duration::hours(23)).unwrap(), 0);
    // One counter for each of the four sources that mailed in that hour.
    assert_eq!(s.purge_mail_counts(now() + Duration::hours(26)).unwrap(), 4);
    later(11, now() + Duration::days(1) + Duration::hours(1)).unwrap();
}

#[test]
fn the_mail_counters_begin_with_the_outbox_of_the_last_day() {
    // A station upgraded to schema 10 keeps its senders' caps: migration 10 counts the
    // outbox's mails of the last two days into the hourly counters.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let s = Store::open(&path, &key()).unwrap();
    let o = officer(&s, "o@p.in", true);
    let (booked, _) = s
        .book(
            &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 1),
            &[],
            &mail(1),
            None,
            now(),
        )
        .unwrap()
        .into_parts();
    drop(s);
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("DROP TABLE mail_counts; PRAGMA user_version = 9;")
        .unwrap();
    // Three mails from the sender in the last hours, two from days before.
    for (n, hours_ago) in [(10, 1), (11, 2), (12, 3), (13, 50), (14, 60)] {
        raw.execute(
            "INSERT INTO outbox(message_id, kind, to_addr, sealed, status, next_attempt_at, created_at, source_tag)
             VALUES (?1, 'booked', ?2, x'00', 'sent', 0, unixepoch() - ?3 * 3600, ?4)",
            rusqlite::params![format!("<m{n}@t>"), format!("{n}@b.in"), hours_ago, vec![7u8; 16]],
        )
        .unwrap();
    }
    drop(raw);
    let s = Store::open(&path, &key()).unwrap();
    assert_eq!(s.schema_version().unwrap(), 10);
    let guard = BookingGuard {
        source_tag: Some(vec![7; 16]),
        mail: MailCaps {
            per_recipient: None,
            per_source: Some(4),
        },
        ..Default::default()
    };
    let notice = |n: u8| {
        s.queue_second_booking_notice(
            booked.id,
            &NewMail {
                to_addr: format!("{n}@b.in"),
                ..mail(n)
            },
            &guard,
            None,
            Utc::now(),
        )
    };
    notice(20).unwrap();
    assert!(matches!(
        notice(21),
        Err(StoreError::Conflict("mail_limit"))
    ));
}

#[test]
fn reschedule_moves_and_respects_taken_slots() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    let (a, _) = s
        .book(
            &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 1),
            &[],
            &mail(1),
            None,
            now(),
        )
        .unwrap()
        .into_parts();
    s.book(
        &appointment(o, "2026-11-30T05:40:00Z", "c@d.in", 2),
        &[],
        &mail(2),
        None,
        now(),
    )
    .unwrap();
    let to = |t: &str| {
        let start: DateTime<Utc> = t.parse().unwrap();
        Reschedule {
            start,
            end: start + Duration::minutes(5),
            local_day: start.date_naive(),
            token_mac: vec![9; 32],
            reminder: None,
        }
    };
    let err = s
        .reschedule(a.id, &to("2026-11-30T05:40:00Z"), &mail(3), now())
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("slot_taken")));
    let moved = s
        .reschedule(a.id, &to("2026-11-30T05:45:00Z"), &mail(4), now())
        .unwrap();
    assert_eq!(moved.sequence, 1);
    assert_eq!(moved.token_mac, vec![9; 32]);
    assert_eq!(s.token_issues(a.id).unwrap().len(), 2);
}

#[test]
fn token_tries_are_counted_atomically_and_reset_on_check_in() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    let (a, _) = s
        .book(
            &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 1),
            &[],
            &mail(1),
            None,
            now(),
        )
        .unwrap()
        .into_parts();
    for i in 1..=5 {
        assert_eq!(s.take_token_try(a.id, 5).unwrap(), Some(i));
    }
    assert_eq!(s.take_token_try(a.id, 5).unwrap(), None);
    s.check_in(a.id, now()).unwrap();
    let a = s.appointment(a.id).unwrap();
    assert_eq!(a.token_tries, 0);
    assert_eq!(a.checked_in_at, Some(now()));
}

#[test]
fn outbox_life_cycle() {
    let (_d, s) = store();
    s.queue_mail(&mail(1), now()).unwrap();
    s.queue_mail(&mail(2), now()).unwrap();
    let due = s.due_mail(now(), false, 10).unwrap();
    assert_eq!(due.len(), 2);
    s.mail_retry(due[0].id, "relay down", now() + Duration::seconds(4))
        .unwrap();
    s.mails_delivered(&[due[1].id], &[], now()).unwrap();
    // The retried one is not due yet; the spooled one only counts once a relay exists.
    assert!(s.due_mail(now(), false, 10).unwrap().is_empty());
    let with_relay = s.due_mail(now(), true, 10).unwrap();
    assert_eq!(with_relay.len(), 1);
    assert_eq!(with_relay[0].status, OutboxStatus::Spooled);
    assert!(with_relay[0].sealed.is_some());
    assert_eq!(
        s.next_mail_due().unwrap(),
        Some(now() + Duration::seconds(4))
    );
    s.mails_delivered(&[], &[due[1].id], now()).unwrap();
    s.mail_dead(due[0].id, "550 no such user", now()).unwrap();
    assert_eq!(s.mail_counts().unwrap(), (0, 0, 1, 1));
    let dead = s.mail_with_status(OutboxStatus::Dead, 10).unwrap();
    assert_eq!(dead[0].last_error.as_deref(), Some("550 no such user"));
    // A sent message keeps no body (it may have held a token).
    assert!(
        s.mail_with_status(OutboxStatus::Sent, 10).unwrap()[0]
            .sealed
            .is_none()
    );
}

#[test]
fn a_round_of_deliveries_is_recorded_at_once_skipping_a_message_gone_meanwhile() {
    let (_d, s) = store();
    for n in 1..=3 {
        s.queue_mail(&mail(n), now()).unwrap();
    }
    let due = s.due_mail(now(), false, 10).unwrap();
    let commits = s.commits();
    s.mails_delivered(&[due[0].id, due[1].id, 999_999], &[due[2].id], now())
        .unwrap();
    assert_eq!(s.commits(), commits + 1, "one commit for the round");
    assert_eq!(
        s.mail_with_status(OutboxStatus::Spooled, 10).unwrap().len(),
        2
    );
    assert_eq!(s.mail_with_status(OutboxStatus::Sent, 10).unwrap().len(), 1);
    assert!(s.due_mail(now(), false, 10).unwrap().is_empty());
}

#[test]
fn undelivered_mail_is_counted_and_a_message_found_by_its_id() {
    let (_d, s) = store();
    for n in 1..=4 {
        s.queue_mail(&mail(n), now()).unwrap();
    }
    // Queued and not yet tried: nothing has failed.
    assert_eq!(s.undelivered_mail(now()).unwrap(), (0, 0, 0));
    let due = s.due_mail(now(), false, 10).unwrap();
    s.mails_delivered(&[due[0].id], &[], now()).unwrap();
    s.mail_retry(due[1].id, "relay down", now() + Duration::seconds(4))
        .unwrap();
    s.mail_dead(due[2].id, "550 no such user", now()).unwrap();
    s.mails_delivered(&[], &[due[3].id], now()).unwrap();
    assert_eq!(s.undelivered_mail(now()).unwrap(), (1, 1, 1));
    // Refusals older than the window no longer count.
    assert_eq!(
        s.undelivered_mail(now() + Duration::seconds(1)).unwrap(),
        (1, 1, 0)
    );
    let found = s.mail_by_message_id("<m3@t>").unwrap().unwrap();
    assert_eq!(found.status, OutboxStatus::Dead);
    assert_eq!(found.last_error.as_deref(), Some("550 no such user"));
    assert!(s.mail_by_message_id("<nope@t>").unwrap().is_none());
}

#[test]
fn the_last_admin_stays_and_officers_with_bookings_stay() {
    let (_d, s) = store();
    let admin = officer(&s, "a@p.in", true);
    let other = officer(&s, "o@p.in", false);
    assert!(matches!(
        s.update_officer(admin, "A", "PI", false),
        Err(StoreError::Conflict("last_admin"))
    ));
    assert!(matches!(
        s.remove_officer(admin, now()),
        Err(StoreError::Conflict("last_admin"))
    ));
    s.book(
        &appointment(other, "2026-11-30T05:30:00Z", "a@b.in", 1),
        &[],
        &mail(1),
        None,
        now(),
    )
    .unwrap();
    assert!(matches!(
        s.remove_officer(other, now()),
        Err(StoreError::Conflict("officer_has_bookings"))
    ));
    // After the appointment, the officer can go; their email is free again.
    s.remove_officer(other, "2026-11-30T06:00:00Z".parse().unwrap())
        .unwrap();
    assert_eq!(s.officers().unwrap().len(), 1);
    officer(&s, "o@p.in", false);
    assert!(matches!(
        s.add_officer(
            &NewOfficer {
                name: "X".into(),
                rank: "PI".into(),
                email: "O@P.in".into(),
                password_hash: "x".into(),
                is_admin: false,
                hours: WeeklyHours::default(),
                slot_minutes: 5
            },
            now()
        ),
        Err(StoreError::Conflict("email_taken"))
    ));
}

#[test]
fn set_up_ends_once_with_its_settings_and_admin_together() {
    let (_d, s) = store();
    assert!(!s.has_admin().unwrap());
    // A plain officer does not end set-up mode.
    officer(&s, "plain@p.in", false);
    assert!(!s.has_admin().unwrap());
    let admin = |email: &str| NewOfficer {
        name: "Vijay Patil".into(),
        rank: "PI".into(),
        email: email.into(),
        password_hash: "x".into(),
        is_admin: true,
        hours: WeeklyHours::default(),
        slot_minutes: 5,
    };
    let settings = vec![("station.name".to_string(), "Deccan".to_string())];
    // An email already taken refuses the whole set-up: no setting is written.
    assert!(matches!(
        s.finish_setup(&admin("PLAIN@p.in"), &settings, now()),
        Err(StoreError::Conflict("email_taken"))
    ));
    assert_eq!(s.setting("station.name").unwrap(), None);
    assert!(!s.has_admin().unwrap());

    let id = s
        .finish_setup(&admin("spi@p.in"), &settings, now())
        .unwrap();
    assert!(s.officer(id).unwrap().is_admin);
    assert_eq!(
        s.setting("station.name").unwrap().as_deref(),
        Some("Deccan")
    );
    assert!(s.has_admin().unwrap());
    // A second set-up (a form sent twice, or by someone else) is refused.
    let later = vec![("station.name".to_string(), "Other".to_string())];
    assert!(matches!(
        s.finish_setup(&admin("other@p.in"), &later, now()),
        Err(StoreError::Conflict("already_set_up"))
    ));
    assert_eq!(
        s.setting("station.name").unwrap().as_deref(),
        Some("Deccan")
    );
}

#[test]
fn schedules_round_trip_with_days_off() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", false);
    let off: BTreeSet<NaiveDate> = [NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()].into();
    let sched = Schedule::new("Mon-Fri 10:00-12:00".parse().unwrap(), 10, off).unwrap();
    s.set_schedule(o, &sched).unwrap();
    assert_eq!(s.officer(o).unwrap().schedule, sched);
}

#[test]
fn sessions_expire_by_purge() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", false);
    s.create_session(b"h1", o.0, "csrf", now()).unwrap();
    assert_eq!(s.session(b"h1").unwrap().unwrap().csrf, "csrf");
    s.purge_sessions(now() + Duration::seconds(1), now() - Duration::hours(1))
        .unwrap();
    assert!(s.session(b"h1").unwrap().is_none());
}

#[test]
fn a_new_password_ends_every_other_session() {
    let (_d, s) = store();
    let o = officer(&s, "a@x.in", true);
    let other = officer(&s, "b@x.in", false);
    for h in [b"mine".as_slice(), b"phone", b"laptop"] {
        s.create_session(h, o.0, "csrf", now()).unwrap();
    }
    s.create_session(b"theirs", other.0, "csrf", now()).unwrap();

    s.set_password(o, "new-hash", Some(b"mine")).unwrap();
    assert!(s.session(b"mine").unwrap().is_some());
    assert!(s.session(b"phone").unwrap().is_none());
    assert!(s.session(b"laptop").unwrap().is_none());
    assert!(s.session(b"theirs").unwrap().is_some());
    assert_eq!(s.officer(o).unwrap().password_hash, "new-hash");

    // Reset by an admin: no session of that officer is kept.
    s.set_password(o, "reset-hash", None).unwrap();
    assert!(s.session(b"mine").unwrap().is_none());
    assert!(matches!(
        s.set_password(OfficerId(9999), "h", None),
        Err(StoreError::NotFound)
    ));
}

#[test]
fn a_call_is_recorded_step_by_step() {
    use vappoint_store::CallStep;
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    let (a, _) = s
        .book(
            &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 1),
            &[],
            &mail(1),
            None,
            now(),
        )
        .unwrap()
        .into_parts();
    s.create_join_session(b"j1", a.id, now()).unwrap();
    assert_eq!(s.join_session(b"j1").unwrap(), Some(a.id));
    assert_eq!(s.join_session(b"j2").unwrap(), None);
    // Kept while the appointment has not ended, gone once it has.
    assert_eq!(s.purge_join_sessions(a.end).unwrap(), 0);
    assert_eq!(
        s.purge_join_sessions(a.end + Duration::seconds(1)).unwrap(),
        1
    );
    assert_eq!(s.join_session(b"j1").unwrap(), None);
    s.create_join_session(b"j1", a.id, now()).unwrap();
    let at = |m: i64| now() + Duration::minutes(m);
    s.record_call(
        a.id,
        &CallStep::Admitted {
            officer_id: o,
            planned_seconds: 300,
        },
        "officer",
        at(1),
    )
    .unwrap();
    s.record_call(a.id, &CallStep::Started, "bridge", at(2))
        .unwrap();
    s.record_call(a.id, &CallStep::Adjusted { seconds: 120 }, "officer", at(3))
        .unwrap();
    s.record_call(
        a.id,
        &CallStep::Ended {
            by: "timer",
            message: Some("Visit the station with your ID".into()),
            status: AppointmentStatus::Done,
        },
        "timer",
        at(9),
    )
    .unwrap();
    // The appointment ends with its call, and a finished one can no longer be cancelled or
    // moved, whatever the caller checked before.
    let done = s.appointment(a.id).unwrap();
    assert_eq!(done.status, AppointmentStatus::Done);
    assert_eq!(done.status_at(at(600)), AppointmentStatus::Done);
    assert!(matches!(
        s.cancel(a.id, &mail(2), at(10)),
        Err(StoreError::Conflict("not_booked"))
    ));
    assert_eq!(s.appointment(a.id).unwrap().status, AppointmentStatus::Done);
    let c = s.call(a.id).unwrap().unwrap();
    assert_eq!(
        (c.admitted_at, c.started_at, c.ended_at),
        (Some(at(1)), Some(at(2)), Some(at(9)))
    );
    assert_eq!((c.planned_seconds, c.adjusted_seconds), (300, 120));
    assert_eq!(c.ended_by.as_deref(), Some("timer"));
    let kinds: Vec<_> = s
        .call_events(a.id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["admitted", "started", "adjusted", "ended"]);
}

#[test]
fn changes_queue_daily_figures_for_the_hub() {
    use vappoint_store::CallStep;
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    let tz = chrono_tz::Asia::Kolkata;
    let (a, _) = s
        .book(
            &appointment(o, "2026-11-30T05:30:00Z", "a@b.in", 1),
            &[],
            &mail(1),
            None,
            now(),
        )
        .unwrap()
        .into_parts();
    let (b, _) = s
        .book(
            &appointment(o, "2026-11-30T05:35:00Z", "c@d.in", 2),
            &[],
            &mail(2),
            None,
            now(),
        )
        .unwrap()
        .into_parts();
    s.cancel(b.id, &mail(3), now()).unwrap();
    s.check_in(a.id, now()).unwrap();
    let at = |m: i64| now() + Duration::minutes(m);
    s.record_call(
        a.id,
        &CallStep::Admitted {
            officer_id: o,
            planned_seconds: 300,
        },
        "officer",
        at(91),
    )
    .unwrap();
    s.record_call(a.id, &CallStep::Started, "bridge", at(91))
        .unwrap();
    s.record_call(
        a.id,
        &CallStep::Ended {
            by: "officer",
            message: None,
            status: AppointmentStatus::Done,
        },
        "officer",
        at(95),
    )
    .unwrap();
    let bodies = std::sync::Mutex::new(Vec::new());
    let n = s
        .snapshot_changed_days(tz, now(), |f| {
            bodies.lock().unwrap().push(f.clone());
            format!("{}:{}", f.officer_id, f.day)
        })
        .unwrap();
    assert_eq!(n, 1, "one officer-day changed");
    let f = bodies.lock().unwrap()[0].counts.clone();
    assert_eq!(
        (f.booked, f.cancelled, f.completed, f.no_show),
        (1, 1, 1, 0)
    );
    assert_eq!((f.call_count, f.call_seconds_sum), (1, 240));
    // Checked in at 04:00, the slot at 05:30, connected at 05:31: waited 60 s past the slot.
    assert_eq!((f.wait_count, f.wait_seconds_sum), (1, 60));
    assert_eq!(f.reasons.get("complaint"), Some(&1));
    // Monday 11:00-13:00 in 5-minute slots.
    assert_eq!(f.offered, 24);
    // Nothing changed since: nothing more to send.
    assert_eq!(
        s.snapshot_changed_days(tz, now(), |_| String::new())
            .unwrap(),
        0
    );
    let q = s.pending_federation(10).unwrap();
    assert_eq!(q.iter().map(|m| m.seq).collect::<Vec<_>>(), [1]);
    s.enqueue_federation("heartbeat", "{}", now()).unwrap();
    s.ack_federation(1).unwrap();
    assert_eq!(s.federation_backlog().unwrap(), (1, 1));
    assert_eq!(s.pending_federation(10).unwrap()[0].seq, 2);
}

fn reminder(n: u8, due: &str) -> Option<NewReminder> {
    Some(NewReminder {
        due: due.parse().unwrap(),
        mail: NewMail {
            message_id: format!("<r{n}@t>"),
            kind: "reminder".into(),
            to_addr: "a@b.in".into(),
            sealed: vec![n; 40],
        },
    })
}

fn reminders_in_outbox(s: &Store, at: DateTime<Utc>) -> Vec<String> {
    s.due_mail(at, false, 50)
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == "reminder")
        .map(|m| m.message_id)
        .collect()
}

#[test]
fn a_reminder_is_queued_once_when_due() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    let mut new = appointment(o, "2026-11-30T06:00:00Z", "a@b.in", 1);
    new.reminder = reminder(1, "2026-11-30T05:00:00Z");
    let (a, _) = s
        .book(&new, &[], &mail(1), None, now())
        .unwrap()
        .into_parts();
    assert_eq!(
        s.reminder_due(a.id).unwrap(),
        Some("2026-11-30T05:00:00Z".parse().unwrap())
    );
    // The worker wakes for it, but it is not mail yet.
    let due: DateTime<Utc> = "2026-11-30T05:00:00Z".parse().unwrap();
    s.mails_delivered(&[], &[s.due_mail(now(), false, 10).unwrap()[0].id], now())
        .unwrap();
    assert_eq!(s.next_mail_due().unwrap(), Some(due));
    assert_eq!(
        s.release_due_reminders(due - Duration::seconds(1)).unwrap(),
        0
    );
    assert!(reminders_in_outbox(&s, due).is_empty());
    // Due: moved into the outbox once, however often the worker looks again.
    assert_eq!(s.release_due_reminders(due).unwrap(), 1);
    assert_eq!(
        s.release_due_reminders(due + Duration::seconds(5)).unwrap(),
        0
    );
    assert_eq!(reminders_in_outbox(&s, due), vec!["<r1@t>".to_string()]);
    assert_eq!(s.reminder_due(a.id).unwrap(), None);
}

#[test]
fn cancelling_or_moving_drops_the_old_reminder() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    let mut first = appointment(o, "2026-11-30T06:00:00Z", "a@b.in", 1);
    first.reminder = reminder(1, "2026-11-30T05:00:00Z");
    let (a, _) = s
        .book(&first, &[], &mail(1), None, now())
        .unwrap()
        .into_parts();
    let mut second = appointment(o, "2026-11-30T06:05:00Z", "c@d.in", 2);
    second.reminder = reminder(2, "2026-11-30T05:05:00Z");
    let (b, _) = s
        .book(&second, &[], &mail(2), None, now())
        .unwrap()
        .into_parts();

    s.cancel(a.id, &mail(3), now()).unwrap();
    assert_eq!(s.reminder_due(a.id).unwrap(), None);
    let start: DateTime<Utc> = "2026-11-30T07:00:00Z".parse().unwrap();
    s.reschedule(
        b.id,
        &Reschedule {
            start,
            end: start + Duration::minutes(5),
            local_day: start.date_naive(),
            token_mac: vec![9; 32],
            reminder: reminder(4, "2026-11-30T06:00:00Z"),
        },
        &mail(4),
        now(),
    )
    .unwrap();
    let later: DateTime<Utc> = "2026-11-30T06:30:00Z".parse().unwrap();
    assert_eq!(s.release_due_reminders(later).unwrap(), 1);
    assert_eq!(reminders_in_outbox(&s, later), vec!["<r4@t>".to_string()]);

    // Moved again after its reminder was released but before it was sent: that reminder
    // names the old time and goes too.
    s.reschedule(
        b.id,
        &Reschedule {
            start: start + Duration::minutes(30),
            end: start + Duration::minutes(35),
            local_day: start.date_naive(),
            token_mac: vec![8; 32],
            reminder: None,
        },
        &mail(5),
        later,
    )
    .unwrap();
    assert!(reminders_in_outbox(&s, later).is_empty());
}

#[test]
fn a_reminder_for_a_slot_already_over_is_dropped_unsent() {
    let (_d, s) = store();
    let o = officer(&s, "o@p.in", true);
    let mut new = appointment(o, "2026-11-30T06:00:00Z", "a@b.in", 1);
    new.reminder = reminder(1, "2026-11-30T05:00:00Z");
    let (a, _) = s
        .book(&new, &[], &mail(1), None, now())
        .unwrap()
        .into_parts();
    // The station was off from before the reminder until after the slot.
    let after: DateTime<Utc> = "2026-11-30T06:10:00Z".parse().unwrap();
    assert_eq!(s.release_due_reminders(after).unwrap(), 0);
    assert_eq!(s.reminder_due(a.id).unwrap(), None);
    assert!(reminders_in_outbox(&s, after).is_empty());
}

mod audit_and_sealing;
mod hub;
mod pgkit;
