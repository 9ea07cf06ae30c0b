"""Booking an appointment through the citizen API, and what the citizen can do with it."""

import email
import email.policy
from datetime import datetime, timedelta

from conftest import (
    assert_stays,
    citizen_email,
    error_code,
    ics_events,
    ics_time,
    mail_ics,
    mail_link,
    mail_text,
    mail_token,
    parse_html,
    pdf_bytes,
    station_config,
    wait_until,
)

FAR = timedelta(hours=3)  # beyond the default 2 h change cut-off


def at(s: str) -> datetime:
    return datetime.fromisoformat(s)


def test_booking_is_confirmed_by_mail_with_token_links_and_calendar(station, smtp):
    officer = station.admin
    slot = station.free_slot(officer.id)
    who = citizen_email()
    pdf = pdf_bytes("fir-copy")

    r = station.book(officer.id, slot["start"], who, documents=[("fir.pdf", pdf, "application/pdf")])

    # The answer echoes the request; the reference, token and link are in the mail.
    assert r.status_code == 202, r.text
    booked = r.json()
    assert booked["status"] == "check_mail" and "reference" not in booked
    assert booked["officer_id"] == officer.id
    assert at(booked["start"]) == at(slot["start"])
    assert at(booked["end"]) == at(slot["end"])
    assert booked["documents"] == [{"file_name": "fir.pdf", "kind": "pdf", "size": len(pdf)}]

    mail = smtp.booking_mail(who)
    text = mail.text
    assert mail.message_id, "mail has no Message-ID"
    assert len(mail_token(mail.msg)) == 4
    ref = station.reference_of(officer.id, slot["start"], who)
    assert ref in mail.msg["Subject"] and ref in text
    link = mail_link(mail.msg)
    assert f"/a/{link}/join" in text

    ics = mail_ics(mail.msg)
    assert ics is not None, "no appointment.ics attachment"
    assert "BEGIN:VCALENDAR" in ics
    events = ics_events(ics)
    assert len(events) == 1
    event = events[0]
    assert ics_time(event["DTSTART"]) == at(slot["start"])
    if "DTEND" in event:
        assert ics_time(event["DTEND"]) == at(slot["end"])
    assert ref in ics.replace("\r\n ", "").replace("\n ", "")

    shown = station.get(f"/api/v1/appointments/{link}")
    assert shown.status_code == 200, shown.text
    shown = shown.json()
    assert shown["reference"] == ref
    assert shown["officer"] == {"id": officer.id, "name": officer.name, "rank": officer.rank}
    assert at(shown["start"]) == at(slot["start"])
    assert shown["status"] == "booked"

    manage = station.get(f"/a/{link}")
    assert manage.status_code == 200
    assert ref in manage.text
    join = station.get(f"/a/{link}/join")
    assert join.status_code == 200
    assert any("token" in f.types for f in parse_html(join.text).forms)


def test_slots_use_station_offset_and_show_booked_slot_taken(station):
    officer = station.admin
    slot = station.free_slot(officer.id)
    day = slot["start"][:10]

    before = station.slots(officer.id, day)
    assert before["officer_id"] == officer.id
    assert before["date"] == day
    assert before["slot_minutes"] == 5
    for s in before["slots"]:
        assert not s["start"].endswith("Z") and s["start"].endswith("+05:30"), s
        assert not s["end"].endswith("Z") and s["end"].endswith("+05:30"), s

    assert {s["start"]: s["free"] for s in before["slots"]}[slot["start"]] is True
    station.book_ok(officer.id, slot["start"], citizen_email())

    after = {s["start"]: s["free"] for s in station.slots(officer.id, day)["slots"]}
    assert after[slot["start"]] is False
    later = [free for start, free in after.items() if at(start) > at(slot["start"])]
    assert all(later), "only the booked slot is taken"


def test_slots_answer_not_modified_until_a_booking_changes_the_day(station):
    """A phone that already has a day's slots asks again with their ETag and gets a 304 of no
    body; once a booking takes a slot, the same question gets the new day."""
    officer = station.admin
    slot = station.free_slot(officer.id, after=FAR)
    path, params = f"/api/v1/officers/{officer.id}/slots", {"date": slot["start"][:10]}
    first = station.get(path, params=params)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('"'), first.headers
    assert first.headers["Cache-Control"] == "no-cache"

    again = station.get(path, params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"", again.status_code
    assert again.headers["ETag"] == etag
    assert station.get(path, params=params, headers={"If-None-Match": '"other"'}).status_code == 200

    station.book_ok(officer.id, slot["start"], citizen_email())
    changed = station.get(path, params=params, headers={"If-None-Match": etag})
    assert changed.status_code == 200, changed.status_code
    assert changed.headers["ETag"] != etag
    assert {s["start"]: s["free"] for s in changed.json()["slots"]}[slot["start"]] is False


def test_right_token_checks_in(station, smtp):
    officer = station.admin
    slot = station.free_slot(officer.id)  # within minutes: the token already works
    who = citizen_email()
    station.book_ok(officer.id, slot["start"], who)
    mail = smtp.booking_mail(who)
    link, token = mail_link(mail.msg), mail_token(mail.msg)

    r = station.post(f"/api/v1/appointments/{link}/token", json={"token": token})

    assert r.status_code == 200, r.text
    assert r.json() == {"checked_in": True}


def test_token_does_not_work_long_before_the_slot(station, smtp):
    officer = station.admin
    slot = station.free_slot(officer.id, after=timedelta(minutes=30))
    who = citizen_email()
    station.book_ok(officer.id, slot["start"], who)
    mail = smtp.booking_mail(who)

    r = station.post(f"/api/v1/appointments/{mail_link(mail.msg)}/token", json={"token": mail_token(mail.msg)})

    assert r.status_code == 403, r.text
    assert error_code(r) == "too_early"


def test_cancel_frees_the_slot_and_sends_a_mail(station, smtp):
    officer = station.admin
    slot = station.free_slot(officer.id, after=FAR)
    who = citizen_email()
    ref = station.book_ok(officer.id, slot["start"], who)["reference"]
    link = mail_link(smtp.booking_mail(who).msg)
    assert station.get(f"/api/v1/appointments/{link}").json()["can_change"] is True

    r = station.post(f"/api/v1/appointments/{link}/cancel")

    assert r.status_code == 200, r.text
    assert r.json() == {"status": "cancelled"}
    assert station.get(f"/api/v1/appointments/{link}").json()["status"] == "cancelled"
    free = {s["start"]: s["free"] for s in station.slots(officer.id, slot["start"][:10])["slots"]}
    assert free[slot["start"]] is True
    cancel_mail = smtp.wait_for(who, count=2)[1]
    assert cancel_mail.message_id
    assert ref in cancel_mail.text


def test_no_change_after_the_cutoff(station, smtp):
    officer = station.admin
    slot = station.free_slot(officer.id)  # minutes ahead, inside the 2 h cut-off
    later = station.free_slot(officer.id, after=FAR)
    who = citizen_email()
    station.book_ok(officer.id, slot["start"], who)
    link = mail_link(smtp.booking_mail(who).msg)
    assert station.get(f"/api/v1/appointments/{link}").json()["can_change"] is False

    cancel = station.post(f"/api/v1/appointments/{link}/cancel")
    move = station.post(f"/api/v1/appointments/{link}/reschedule", json={"start": later["start"]})

    assert cancel.status_code == 409 and error_code(cancel) == "too_late", cancel.text
    assert move.status_code == 409 and error_code(move) == "too_late", move.text
    assert station.get(f"/api/v1/appointments/{link}").json()["status"] == "booked"


def test_reschedule_moves_the_appointment_and_mails_a_new_token(station, smtp):
    officer = station.admin
    first, second, third = station.free_slots(officer.id, after=FAR)[:3]
    who = citizen_email()
    ref = station.book_ok(officer.id, first["start"], who)["reference"]
    mail = smtp.booking_mail(who)
    link = mail_link(mail.msg)

    r = station.post(f"/api/v1/appointments/{link}/reschedule", json={"start": second["start"]})

    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["reference"] == ref
    assert at(moved["start"]) == at(second["start"])
    assert moved["status"] == "booked"
    assert at(station.get(f"/api/v1/appointments/{link}").json()["start"]) == at(second["start"])

    def free(slot):
        day = {s["start"]: s["free"] for s in station.slots(officer.id, slot["start"][:10])["slots"]}
        return day[slot["start"]]

    assert free(first) is True
    assert free(second) is False

    new_mail = smtp.booking_mail(who, count=2)
    assert new_mail.message_id != mail.message_id
    assert mail_token(new_mail.msg) is not None
    assert ics_time(ics_events(mail_ics(new_mail.msg))[0]["DTSTART"]) == at(second["start"])

    station.book_ok(officer.id, third["start"], citizen_email())
    taken = station.post(f"/api/v1/appointments/{link}/reschedule", json={"start": third["start"]})
    assert taken.status_code == 409 and error_code(taken) == "slot_taken", taken.text


def test_same_idempotency_key_gives_the_same_booking(station, smtp):
    officer = station.admin
    slot = station.free_slot(officer.id)
    who = citizen_email()

    first = station.book(officer.id, slot["start"], who, idempotency_key="key-123-abc")
    again = station.book(officer.id, slot["start"], who, idempotency_key="key-123-abc")

    assert first.status_code == 202, first.text
    assert again.status_code == 202 and again.json() == first.json(), again.text
    station.reference_of(officer.id, slot["start"], who)
    smtp.wait_for(who)
    assert_stays(lambda: len(smtp.to(who)) == 1, 1.0, message="one mail for the one booking")


def test_one_booking_per_email_per_officer_per_day(station):
    officer = station.admin
    by_day: dict[str, list] = {}
    for s in station.free_slots(officer.id):
        by_day.setdefault(s["start"][:10], []).append(s)
    a, b = next(slots for slots in by_day.values() if len(slots) >= 2)[:2]
    who = citizen_email()
    station.book_ok(officer.id, a["start"], who)

    # Answered like a booking (test_hardening_bookings shows the answers are the same), but
    # nothing is booked: the time stays free.
    r = station.book(officer.id, b["start"], who)
    assert r.status_code == 202, r.text
    day = station.slots(officer.id, b["start"][:10])["slots"]
    assert next(s for s in day if s["start"] == b["start"])["free"]

    other = station.add_officer(name="PSI Ravi Kulkarni")
    station.book_ok(other.id, b["start"], who)  # another officer is another rule


def test_a_link_opens_only_its_own_appointment(station, smtp):
    officer = station.admin
    a, b = station.free_slots(officer.id)[:2]
    asha, ravi = citizen_email(), citizen_email()
    ref_a = station.book_ok(officer.id, a["start"], asha)["reference"]
    ref_b = station.book_ok(officer.id, b["start"], ravi)["reference"]
    link_a = mail_link(smtp.booking_mail(asha).msg)
    link_b = mail_link(smtp.booking_mail(ravi).msg)
    assert link_a != link_b

    assert station.get(f"/api/v1/appointments/{link_a}").json()["reference"] == ref_a
    assert station.get(f"/api/v1/appointments/{link_b}").json()["reference"] == ref_b
    page_a = station.get(f"/a/{link_a}").text
    assert ref_a in page_a and ref_b not in page_a

    made_up = "abcdefghijklmnopqrstuvwxyz"
    assert made_up not in (link_a, link_b)
    assert station.get(f"/api/v1/appointments/{made_up}").status_code == 404
    assert station.get(f"/a/{made_up}").status_code == 404
    assert station.post(f"/api/v1/appointments/{made_up}/cancel").status_code == 404


def test_without_a_relay_mail_is_spooled_as_eml(make_station):
    st = make_station(station_config(None), start=False)
    officer = st.add_officer(admin=True)
    st.start()
    who = citizen_email()
    ref = st.book_ok(officer.id, st.free_slot(officer.id)["start"], who)["reference"]
    spool = st.data / "spool"

    def spooled():
        for path in spool.glob("*.eml") if spool.exists() else []:
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if who in str(msg["To"]) and ref in mail_text(msg):
                return msg
        return None

    msg = wait_until(spooled, timeout=15, message="an .eml in the spool")
    assert mail_token(msg) is not None
