//! The audit chain (appended, paged, verified, tampered with) and the sealing of reasons and
//! notes (never plain in the file; an older box's plain rows sealed on its next start).

use vappoint_store::audit::{self, Verdict};
use vappoint_store::{Action, Actor, Subject};

use super::*;

#[test]
fn the_audit_chain_verifies_and_names_the_first_altered_entry() {
    let (dir, s) = store();
    let path = dir.path().join("t.db");
    assert_eq!(
        audit::verify_file(&path).unwrap(),
        Verdict::Intact {
            entries: 0,
            head: None
        }
    );
    let o = officer(&s, "a@x.in", true);
    let mut head = None;
    for i in 0..5 {
        head = Some(
            s.audit(
                Actor::Officer(o),
                Action::ViewAppointment,
                Subject::Appointment(vappoint_store::AppointmentId(i)),
                now(),
            )
            .unwrap(),
        );
    }
    s.audit(Actor::Unknown, Action::LoginFailed, Subject::None, now())
        .unwrap();
    let head5 = head.unwrap();
    assert_eq!(head5.seq, 5);
    let head6 = s.audit_head().unwrap().unwrap();
    assert_eq!(head6.seq, 6);
    assert_eq!(
        audit::verify_file(&path).unwrap(),
        Verdict::Intact {
            entries: 6,
            head: Some(head6.clone())
        }
    );
    assert_eq!(audit::hash_at(&path, 5).unwrap(), Some(head5.hash.clone()));
    // Newest first, paged.
    let page = s.audit_page(None, 4).unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [6, 5, 4, 3]);
    assert_eq!(page[0].actor, "unknown");
    assert_eq!(page[1].subject.as_deref(), Some("appointment:4"));
    let rest = s.audit_page(Some(3), 4).unwrap();
    assert_eq!(rest.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 1]);

    // One entry changed by hand: the chain breaks at it.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute(
        "UPDATE audit SET subject = 'appointment:99' WHERE seq = 3",
        [],
    )
    .unwrap();
    assert_eq!(
        audit::verify_file(&path).unwrap(),
        Verdict::Broken {
            seq: 3,
            why: "altered"
        }
    );
    // One removed: the gap is named.
    raw.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    assert_eq!(
        audit::verify_file(&path).unwrap(),
        Verdict::Broken {
            seq: 2,
            why: "missing"
        }
    );
}

#[test]
fn reasons_and_notes_are_sealed_in_the_file_and_plain_rows_are_sealed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let s = Store::open(&path, &key()).unwrap();
    let o = officer(&s, "a@x.in", true);
    let mut a = appointment(o, "2026-11-30T06:00:00Z", "c@x.in", 1);
    a.reason = "Neighbour threatened me with a sickle".into();
    let (booked, _) = s.book(&a, &[], &mail(1), None, now()).unwrap().into_parts();
    s.add_note(booked.id, o, "Spoke to the beat marshal", now())
        .unwrap();
    assert_eq!(
        s.appointment(booked.id).unwrap().reason,
        "Neighbour threatened me with a sickle"
    );
    assert_eq!(
        s.notes(booked.id).unwrap()[0].body,
        "Spoke to the beat marshal"
    );
    let raw = rusqlite::Connection::open(&path).unwrap();
    let stored: String = raw
        .query_row("SELECT reason FROM appointments", [], |r| r.get(0))
        .unwrap();
    assert!(stored.starts_with("sealed1:"), "{stored}");

    // An older box: the same rows in clear, and no record of the step.
    raw.execute_batch(
        "UPDATE appointments SET reason = 'Plain reason of an older box';
         UPDATE notes SET body = 'Plain note of an older box';
         DELETE FROM data_steps;",
    )
    .unwrap();
    drop((raw, s));
    let s = Store::open(&path, &key()).unwrap();
    assert_eq!(
        s.appointment(booked.id).unwrap().reason,
        "Plain reason of an older box"
    );
    assert_eq!(
        s.notes(booked.id).unwrap()[0].body,
        "Plain note of an older box"
    );
    drop(s);
    let mut file = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("t.db-wal")) {
        file.extend(wal);
    }
    for plain in [
        "Plain reason of an older box",
        "Plain note of an older box",
        "sickle",
    ] {
        assert!(
            !file.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "{plain:?} is in the database file"
        );
    }
    // Opened with another key, the rows do not open.
    let other = Store::open(&path, &DataKey::from_bytes(&[9; 32]).unwrap()).unwrap();
    assert!(other.appointment(booked.id).is_err());
}
