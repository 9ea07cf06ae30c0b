//! The station's services driven directly, without HTTP: booking (idempotency, conflicts,
//! tokens), availability and the call state machine, on a station state (`App::open`) in a
//! temporary folder. Times the services take as a parameter are fixed here.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::mpsc;
use vappoint::config::Config;
use vappoint::station::app::App;
use vappoint::station::booking::{self, Accepted, BookRequest, BookingError, Outcome};
use vappoint::station::calls::{self, CallError, SignedOut};
use vappoint::station::documents::StoredDocs;
use vappoint::station::{availability, officers};
use vappoint_domain::schedule::SlotRefusal;
use vappoint_domain::token::{MAX_REISSUES_PER_HOUR, MAX_TRIES, TokenRefusal};
use vappoint_domain::{AppointmentStatus, BookingForm};
use vappoint_store::{Appointment, NewOfficer, Officer};
use vappoint_wire::signal::ServerMsg;

/// A station's state in a temporary folder (removed when this is dropped).
struct Station {
    app: Arc<App>,
    _dir: tempfile::TempDir,
}

fn station() -> Station {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.calls.bind_ips = vec!["127.0.0.1".parse().unwrap()];
    let data = dir.path().join("data");
    let app = App::open(
        config,
        &data,
        "https://127.0.0.1:8443",
        data.join("setup-code"),
    )
    .unwrap();
    Station {
        app: Arc::new(app),
        _dir: dir,
    }
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Monday 7 December 2026, 09:00 in the station's time zone (Asia/Kolkata).
fn monday_nine() -> DateTime<Utc> {
    t("2026-12-07T09:00:00+05:30")
}

/// An officer with `hours` and 15-minute slots (hours checked as the CLI checks them; no
/// password, which would only cost an Argon2 hash per test).
fn officer(st: &Station, n: u8, hours: &str) -> Officer {
    let schedule = officers::parse_schedule(hours, "15", "").unwrap();
    let new = NewOfficer {
        name: format!("Officer {n}"),
        rank: "Police Inspector".into(),
        email: format!("o{n}@station.example"),
        password_hash: "unused".into(),
        is_admin: n == 1,
        hours: schedule.hours,
        slot_minutes: schedule.slot_minutes,
    };
    let id = st.app.store.add_officer(&new, monday_nine()).unwrap();
    st.app.store.officer(id).unwrap()
}

fn request(officer: &Officer, start: &str, email: &str, key: Option<&str>) -> BookRequest {
    BookRequest {
        officer_id: officer.id.to_string(),
        start: start.into(),
        form: BookingForm {
            name: "Asha Patil".into(),
            email: email.into(),
            mobile: String::new(),
            reason_category: "lost_article".into(),
            reason: "A lost phone".into(),
        },
        idempotency_key: key.map(str::to_string),
        lang: "en",
        source: None,
    }
}

async fn book(
    st: &Station,
    req: BookRequest,
    now: DateTime<Utc>,
) -> Result<Accepted, BookingError> {
    let docs = StoredDocs::new(&st.app.documents_dir());
    booking::book(&st.app, req, docs, now).await
}

#[tokio::test]
async fn a_replayed_booking_is_the_same_booking() {
    let st = station();
    let o = officer(&st, 1, "Mon-Sun 09:00-17:00");
    let now = monday_nine();
    let at = "2026-12-07T11:30:00+05:30";
    let first = book(&st, request(&o, at, "asha@example.in", Some("key-1")), now)
        .await
        .unwrap();
    assert!(first.outcome.link().is_some(), "the booking made the link");
    let again = book(&st, request(&o, at, "asha@example.in", Some("key-1")), now)
        .await
        .unwrap();
    let (a, b) = (first.outcome.appointment(), again.outcome.appointment());
    assert!(matches!(again.outcome, Outcome::Replayed(_)));
    assert_eq!((b.id, &b.reference), (a.id, &a.reference));
    let day = a.local_day;
    let booked = st.app.store.day_appointments(day, Some(o.id)).unwrap();
    assert_eq!(booked.len(), 1);
    assert_eq!(booked[0].status, AppointmentStatus::Booked);

    // Without the key, the same request is a second booking of a taken time.
    let other = book(&st, request(&o, at, "ravi@example.in", None), now).await;
    assert!(matches!(other, Err(BookingError::SlotTaken)), "{other:?}");
    assert!(other.unwrap_err().slot_unavailable());
    // The same email on the same day with the same officer, at another time: nothing is
    // booked, and the answer is the one a booking gets (the holder is told by mail).
    let twice = book(
        &st,
        request(&o, "2026-12-07T12:00:00+05:30", "Asha@Example.in", None),
        now,
    )
    .await
    .unwrap();
    assert!(
        matches!(&twice.outcome, Outcome::AlreadyHeld(h) if h.id == a.id),
        "{twice:?}"
    );
    assert_eq!(
        twice.email, "Asha@Example.in",
        "the answer echoes the request"
    );
    assert_eq!(
        st.app
            .store
            .day_appointments(day, Some(o.id))
            .unwrap()
            .len(),
        1
    );
    // Both rules broken (the time taken too): the answer anyone gets for a taken time.
    let both = book(&st, request(&o, at, "asha@example.in", None), now).await;
    assert!(matches!(both, Err(BookingError::SlotTaken)), "{both:?}");
}

#[tokio::test]
async fn bookings_are_refused_with_their_reason() {
    let st = station();
    let o = officer(&st, 1, "Mon-Fri 09:00-17:00");
    let now = monday_nine();
    let refused = |r: Result<Accepted, BookingError>| r.map(|_| ()).unwrap_err();

    let e = refused(
        book(
            &st,
            request(&o, "2026-12-07T08:45:00+05:30", "a@x.in", None),
            now,
        )
        .await,
    );
    assert!(matches!(e, BookingError::Slot(SlotRefusal::Past)), "{e:?}");
    let e = refused(
        book(
            &st,
            request(&o, "2026-12-12T10:00:00+05:30", "a@x.in", None),
            now,
        )
        .await,
    );
    assert!(
        matches!(e, BookingError::Slot(SlotRefusal::NotOffered)),
        "{e:?}"
    );
    let e = refused(
        book(
            &st,
            request(&o, "2027-03-01T10:00:00+05:30", "a@x.in", None),
            now,
        )
        .await,
    );
    assert!(
        matches!(e, BookingError::Slot(SlotRefusal::TooFar)),
        "{e:?}"
    );
    let e = refused(book(&st, request(&o, "tomorrow", "a@x.in", None), now).await);
    assert!(
        matches!(&e, BookingError::Invalid(v) if v.0[0].field == "start" && v.0[0].code == "invalid_start"),
        "{e:?}"
    );
    let mut nobody = request(&o, "2026-12-07T10:00:00+05:30", "a@x.in", None);
    nobody.officer_id = "999".into();
    let e = refused(book(&st, nobody, now).await);
    assert!(matches!(e, BookingError::UnknownOfficer), "{e:?}");
    // An address the mail could not be sent to is refused with the form, not when composing.
    let e = refused(
        book(
            &st,
            request(&o, "2026-12-07T10:00:00+05:30", "a..b@x.in", None),
            now,
        )
        .await,
    );
    assert!(
        matches!(&e, BookingError::Invalid(v) if v.0[0].field == "email" && v.0[0].code == "invalid_email"),
        "{e:?}"
    );
    let e = refused(
        book(
            &st,
            request(&o, "2026-12-07T10:00:00+05:30", "a@x.in", Some("a key")),
            now,
        )
        .await,
    );
    assert!(
        matches!(&e, BookingError::Invalid(v) if v.0[0].field == "idempotency_key"),
        "{e:?}"
    );
}

/// A booked appointment at 11:30 on Monday; returns it with its link.
async fn booked(st: &Station, o: &Officer) -> (Appointment, String) {
    let b = book(
        st,
        request(o, "2026-12-07T11:30:00+05:30", "asha@example.in", None),
        monday_nine(),
    )
    .await
    .unwrap();
    match b.outcome {
        Outcome::Booked { appointment, link } => (appointment, link),
        other => panic!("not booked: {other:?}"),
    }
}

#[tokio::test]
async fn new_tokens_are_limited_per_hour() {
    let st = station();
    let o = officer(&st, 1, "Mon-Sun 09:00-17:00");
    let (b, link) = booked(&st, &o).await;
    let now = monday_nine();
    for i in 0..MAX_REISSUES_PER_HOUR {
        let at = now + Duration::minutes(i as i64);
        booking::new_token(&st.app, &link, at).await.unwrap();
    }
    let e = booking::new_token(&st.app, &link, now + Duration::minutes(10)).await;
    assert!(matches!(e, Err(BookingError::TooMany)), "{e:?}");
    // An hour after the first new one, one more may be sent.
    booking::new_token(&st.app, &link, now + Duration::minutes(61))
        .await
        .unwrap();
    // None once the appointment is over, whatever the count.
    let e = booking::new_token(&st.app, &link, b.end).await;
    assert!(
        matches!(e, Err(BookingError::Token(TokenRefusal::Ended))),
        "{e:?}"
    );
    let e = booking::new_token(&st.app, "not-a-link", now).await;
    assert!(matches!(e, Err(BookingError::NotFound)), "{e:?}");
}

#[tokio::test]
async fn tokens_are_tried_in_their_window_and_die_after_five_wrong_ones() {
    let st = station();
    let o = officer(&st, 1, "Mon-Sun 09:00-17:00");
    let (b, link) = booked(&st, &o).await;
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let start = b.start;
    let e = booking::try_token(&st.app, &link, "1234", ip, start - Duration::minutes(16)).await;
    assert!(
        matches!(e, Err(BookingError::Token(TokenRefusal::TooEarly))),
        "{e:?}"
    );
    let open = start - Duration::minutes(5);
    for left in (0..MAX_TRIES).rev() {
        // Never a right token: four digits are required.
        let e = booking::try_token(&st.app, &link, "wrong", ip, open).await;
        assert!(
            matches!(e, Err(BookingError::WrongToken { tries_left }) if tries_left == left),
            "{e:?}"
        );
    }
    let e = booking::try_token(&st.app, &link, "1234", ip, open).await;
    assert!(
        matches!(e, Err(BookingError::Token(TokenRefusal::Dead))),
        "{e:?}"
    );
    // A cancelled appointment takes no token at all.
    booking::cancel(&st.app, &link, monday_nine())
        .await
        .unwrap();
    let e = booking::try_token(&st.app, &link, "1234", ip, open).await;
    assert!(matches!(e, Err(BookingError::NotBooked)), "{e:?}");
    let e = booking::cancel(&st.app, &link, monday_nine()).await;
    assert!(matches!(e, Err(BookingError::NotBooked)), "{e:?}");
}

#[tokio::test]
async fn changes_close_at_the_cutoff() {
    let st = station();
    let o = officer(&st, 1, "Mon-Sun 09:00-17:00");
    let (b, link) = booked(&st, &o).await;
    let late = b.start - Duration::minutes(119);
    let e = booking::cancel(&st.app, &link, late).await;
    assert!(matches!(e, Err(BookingError::TooLate)), "{e:?}");
    let e = booking::reschedule(&st.app, &link, "2026-12-07T16:00:00+05:30", late).await;
    assert!(matches!(e, Err(BookingError::TooLate)), "{e:?}");
    let (moved, _) =
        booking::reschedule(&st.app, &link, "2026-12-07T16:00:00+05:30", monday_nine())
            .await
            .unwrap();
    assert_eq!(moved.start, t("2026-12-07T16:00:00+05:30"));
    assert_eq!(moved.sequence, b.sequence + 1);
}

#[tokio::test]
async fn citizens_see_officers_with_hours_and_their_next_free_times() {
    let st = station();
    let o = officer(&st, 1, "Mon-Sun 09:00-10:00");
    let _admin_without_hours = officer(&st, 2, "");
    let listed = availability::listed(st.app.store.officers().unwrap());
    assert_eq!(listed.iter().map(|x| x.id).collect::<Vec<_>>(), vec![o.id]);

    let now = monday_nine();
    book(
        &st,
        request(&o, "2026-12-07T09:15:00+05:30", "asha@example.in", None),
        now,
    )
    .await
    .unwrap();
    let day = availability::day(&st.app, &o, now.date_naive(), now)
        .await
        .unwrap();
    let free: Vec<bool> = day.iter().map(|(_, free)| *free).collect();
    // 09:00 has begun, 09:15 is taken, 09:30 and 09:45 are free.
    assert_eq!(free, [false, false, true, true]);

    let next = availability::next_free(&st.app, &o, now, 2, 3)
        .await
        .unwrap();
    let starts: Vec<Vec<DateTime<Utc>>> = next
        .iter()
        .map(|(_, slots)| slots.iter().map(|s| s.start).collect())
        .collect();
    assert_eq!(
        starts,
        [
            vec![
                t("2026-12-07T09:30:00+05:30"),
                t("2026-12-07T09:45:00+05:30")
            ],
            vec![
                t("2026-12-08T09:00:00+05:30"),
                t("2026-12-08T09:15:00+05:30"),
                t("2026-12-08T09:30:00+05:30")
            ],
        ]
    );
}

/// Everything queued for a page so far.
fn drain(rx: &mut mpsc::Receiver<ServerMsg>) -> Vec<ServerMsg> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

#[tokio::test]
async fn calls_go_from_waiting_to_admitted_to_ended() {
    let st = station();
    let app = &st.app;
    let a = officer(&st, 1, "Mon-Sun 09:00-17:00");
    let b = officer(&st, 2, "Mon-Sun 09:00-17:00");
    let now = monday_nine();
    let x = book(
        &st,
        request(&a, "2026-12-07T11:30:00+05:30", "x@example.in", None),
        now,
    )
    .await
    .unwrap()
    .outcome
    .appointment()
    .id;
    let y = book(
        &st,
        request(&a, "2026-12-07T11:45:00+05:30", "y@example.in", None),
        now,
    )
    .await
    .unwrap()
    .outcome
    .appointment()
    .id;

    let (officer_tx, mut officer_rx) = mpsc::channel(calls::OUTBOX_DEPTH);
    let _officer = app
        .calls
        .officer_joined(a.id, b"session of a".to_vec(), officer_tx);
    assert_eq!(calls::admit(app, a.id, x).await, Err(CallError::NotWaiting));

    let (x_tx, mut x_rx) = mpsc::channel(calls::OUTBOX_DEPTH);
    let (x_conn, _) = app.calls.citizen_joined(x, x_tx, Utc::now());
    let (y_tx, mut y_rx) = mpsc::channel(calls::OUTBOX_DEPTH);
    app.calls.citizen_joined(y, y_tx, Utc::now());
    assert_eq!(calls::admit(app, b.id, x).await, Err(CallError::NotYours));
    assert_eq!(calls::adjust(app, a.id, x, 5).await, Err(CallError::NoCall));

    calls::admit(app, a.id, x).await.unwrap();
    assert!(drain(&mut x_rx).contains(&ServerMsg::Admitted { appointment: x.0 }));
    assert_eq!(calls::admit(app, a.id, y).await, Err(CallError::Busy));
    // Not connected yet: there is no countdown to change.
    assert_eq!(calls::adjust(app, a.id, x, 5).await, Err(CallError::NoCall));
    calls::citizen_audio_only(app, x, true).unwrap();
    assert!(drain(&mut officer_rx).contains(&ServerMsg::AudioOnly {
        appointment: x.0,
        on: true
    }));
    assert_eq!(
        calls::citizen_audio_only(app, y, true),
        Err(CallError::NotAdmitted)
    );

    assert_eq!(
        calls::send_back(app, b.id, x).await,
        Err(CallError::NotYours)
    );
    calls::send_back(app, a.id, x).await.unwrap();
    assert!(drain(&mut x_rx).contains(&ServerMsg::BackToWaiting { appointment: x.0 }));
    assert_eq!(
        calls::officer_end(app, a.id, x, None).await,
        Err(CallError::NoCall)
    );

    // With x back in the waiting room the officer is free for y.
    calls::admit(app, a.id, y).await.unwrap();
    calls::officer_end(app, a.id, y, Some("Bring the bill.".into()))
        .await
        .unwrap();
    assert!(drain(&mut y_rx).iter().any(|m| matches!(
        m,
        ServerMsg::Ended { appointment, by, message }
            if *appointment == y.0 && by == "officer" && message.as_deref() == Some("Bring the bill.")
    )));
    let ended = app.store.appointment(y).unwrap();
    assert_eq!(ended.status, AppointmentStatus::Done);
    let record = app.store.call(y).unwrap().unwrap();
    assert_eq!(record.ended_by.as_deref(), Some("officer"));
    assert!(record.admitted_at.is_some() && record.ended_at.is_some());
    // A finished appointment stays finished, even with its tab still waiting.
    assert_eq!(calls::admit(app, a.id, y).await, Err(CallError::NotWaiting));
    // x, sent back, can be called in again.
    calls::admit(app, a.id, x).await.unwrap();

    // x's page reloads during the call: the officer is told it dropped, then that it
    // reconnected (it is called in again), and nobody hears of an arrival.
    drain(&mut officer_rx);
    assert!(app.calls.citizen_left(x, x_conn));
    calls::citizen_dropped(app, x).await;
    assert!(drain(&mut officer_rx).contains(&ServerMsg::CitizenAway { appointment: x.0 }));
    let (x2_tx, mut x2_rx) = mpsc::channel(calls::OUTBOX_DEPTH);
    let (_, in_call) = app.calls.citizen_joined(x, x2_tx, Utc::now());
    assert!(in_call);
    calls::citizen_rejoined(app, x);
    assert!(drain(&mut x2_rx).contains(&ServerMsg::Admitted { appointment: x.0 }));
    let told = drain(&mut officer_rx);
    assert!(told.contains(&ServerMsg::Reconnected { appointment: x.0 }));
    assert!(!told.iter().any(|m| matches!(m, ServerMsg::Arrived { .. })));
    // The old page's socket noticed late: the officer is not told of a drop that is over.
    calls::citizen_dropped(app, x).await;
    assert!(drain(&mut officer_rx).is_empty());
}

#[tokio::test]
async fn an_officers_sockets_close_with_their_sessions() {
    let st = station();
    let app = &st.app;
    let a = officer(&st, 1, "Mon-Sun 09:00-17:00");
    let b = officer(&st, 2, "Mon-Sun 09:00-17:00");
    let join = |id, session: &str| {
        let (tx, rx) = mpsc::channel(calls::OUTBOX_DEPTH);
        let (_, closed) = app
            .calls
            .officer_joined(id, session.as_bytes().to_vec(), tx);
        (rx, closed)
    };
    let (mut a1, mut a1_closed) = join(a.id, "a1");
    let (_a2, mut a2_closed) = join(a.id, "a2");
    let (_b1, mut b1_closed) = join(b.id, "b1");

    // Logout closes that session's socket only; nothing more is queued for it.
    assert_eq!(app.calls.sign_out_session(b"a1", SignedOut::LoggedOut), 1);
    assert_eq!(a1_closed.try_recv(), Ok(SignedOut::LoggedOut));
    calls::refresh(app, a.id).await;
    assert!(drain(&mut a1).is_empty());
    assert!(a2_closed.try_recv().is_err() && b1_closed.try_recv().is_err());

    // A new password keeps the session that set it; removal ends all.
    let (_a3, mut a3_closed) = join(a.id, "a3");
    assert_eq!(
        app.calls
            .sign_out_officer(a.id, Some(b"a3"), SignedOut::PasswordChanged),
        1
    );
    assert_eq!(a2_closed.try_recv(), Ok(SignedOut::PasswordChanged));
    assert!(a3_closed.try_recv().is_err());
    assert_eq!(
        app.calls.sign_out_officer(a.id, None, SignedOut::Removed),
        1
    );
    assert_eq!(a3_closed.try_recv(), Ok(SignedOut::Removed));
    assert_eq!(app.calls.officers_online(), vec![b.id]);
}
