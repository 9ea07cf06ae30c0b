"""The reminder email and "Add to calendar": a reminder reaches the real SMTP server
`[mail] reminder_before` ahead of the appointment, in the booking's language, with the join
link and no token, exactly once even when the station is killed before it is due; none for a
cancelled appointment, and a moved one gets its reminder for the new time. The confirmation
and manage pages offer the appointment's .ics file.

The lead is set per test so that a reminder falls due about half a minute after booking a
slot a few minutes ahead; the tests poll, they never sleep.
"""

from __future__ import annotations

import sqlite3
from email.utils import parsedate_to_datetime
from datetime import datetime, timedelta, timezone

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import (
    citizen_email,
    ics_events,
    ics_time,
    mail_ics,
    mail_link,
    mail_token,
    new_session,
    pdf_bytes,
    run_cli,
    station_config,
    to_toml,
    wait_until,
)

# Slots are 5 minutes long, every officer open all day; the first slot booked starts at
# least this far ahead, and its reminder falls due about DUE_IN after the station starts.
AHEAD = timedelta(minutes=4)
DUE_IN = timedelta(seconds=45)


def is_reminder_subject(m) -> bool:
    subject = m.msg["Subject"] or ""
    return any(word in subject for word in ("Reminder", "आठवण", "याद दिलाना"))


def next_slot_start(after: timedelta) -> datetime:
    """The first 5-minute boundary at least `after` from now (slots of an all-day officer)."""
    t = datetime.now(timezone.utc) + after
    t = t.replace(second=0, microsecond=0)
    return t + timedelta(minutes=(-t.minute) % 5)


def book(station, officer_id: int, start: datetime, who: str, lang: str = "en"):
    fields = {
        "officer_id": str(officer_id),
        "start": start.isoformat(),
        "name": "Asha Patil",
        "email": who,
        "mobile": "9876543210",
        "reason_category": "complaint",
        "reason": "My bicycle was stolen near the market.",
        "lang": lang,
    }
    r = station.post("/api/v1/appointments", files=[(k, (None, v)) for k, v in fields.items()], timeout=60)
    assert r.status_code == 202, f"booking answered {r.status_code}: {r.text[:300]}"
    return {**r.json(), "reference": station.reference_of(officer_id, fields["start"], who)}


def db(station) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{station.data / 'vappoint.db'}?mode=ro", uri=True, timeout=10)


def waiting_reminders(station) -> int:
    """Reminders not yet delivered: waiting for their time, or queued but not sent."""
    with db(station) as c:
        waiting = c.execute("SELECT count(*) FROM reminders").fetchone()[0]
        queued = c.execute(
            "SELECT count(*) FROM outbox WHERE kind = 'reminder' AND status != 'sent'"
        ).fetchone()[0]
    return waiting + queued


def station_with_lead(make_station, smtp, first_slot: datetime, officers: int = 3):
    """A station whose reminder lead puts `first_slot`'s reminder DUE_IN from now."""
    lead = int((first_slot - (datetime.now(timezone.utc) + DUE_IN)).total_seconds())
    config = station_config(smtp, mail={"reminder_before": f"{lead}s"}, booking={"change_cutoff": "1m"})
    st = make_station(config, start=False)
    for i in range(officers):
        st.add_officer(slot_minutes=5, admin=i == 0)
    st.start()
    return st, timedelta(seconds=lead)


def test_reminder_arrives_once_in_the_bookings_language_even_after_kill(make_station, smtp):
    slot = next_slot_start(AHEAD)
    st, lead = station_with_lead(make_station, smtp, slot)
    due = slot - lead
    a, b, c = (o.id for o in st.officers)
    marathi, cancelled, moved = citizen_email(), citizen_email(), citizen_email()

    first = book(st, a, slot, marathi, lang="mr")
    gone = book(st, b, slot, cancelled)
    later = book(st, c, slot + timedelta(minutes=5), moved)
    # Cancelled: no reminder. Moved from the later slot to `slot`: one, for the new time.
    link = mail_link(smtp.booking_mail(cancelled).msg)
    assert st.post(f"/api/v1/appointments/{link}/cancel").status_code == 200
    moved_link = mail_link(smtp.booking_mail(moved).msg)
    r = st.post(f"/api/v1/appointments/{moved_link}/reschedule", json={"start": slot.isoformat()})
    assert r.status_code == 200, r.text
    assert datetime.now(timezone.utc) < due, "the bookings took longer than the reminder's lead"
    assert waiting_reminders(st) == 2

    # The box dies before the reminders are due, and comes back.
    st.kill()
    assert not [m for m in smtp.all() if is_reminder_subject(m)]
    st.start()

    got = wait_until(
        lambda: len([m for m in smtp.all() if is_reminder_subject(m)]) >= 2 or None,
        timeout=DUE_IN.total_seconds() + 90,
        message="two reminders",
    )
    arrived = datetime.now(timezone.utc)
    assert got
    assert arrived >= due - timedelta(seconds=1), f"reminders came at {arrived}, due {due}"
    wait_until(lambda: waiting_reminders(st) == 0, timeout=30, message="no reminder left to send")

    mr = [m for m in smtp.to(marathi) if is_reminder_subject(m)]
    assert len(mr) == 1, [m.msg["Subject"] for m in smtp.to(marathi)]
    reminder = mr[0]
    assert "आठवण" in reminder.msg["Subject"], reminder.msg["Subject"]
    assert first["reference"] in reminder.msg["Subject"]
    text = reminder.text
    assert "4 अंकी टोकन" in text, text
    assert mail_token(reminder.msg) is None, "a reminder never carries the token"
    assert f"/a/{mail_link(smtp.booking_mail(marathi).msg)}/join" in text
    assert reminder.message_id and reminder.message_id != smtp.booking_mail(marathi).message_id
    # Dated when it is sent, not when it was composed at booking.
    assert parsedate_to_datetime(reminder.msg["Date"]) == due.replace(microsecond=0)

    assert not [m for m in smtp.to(cancelled) if is_reminder_subject(m)], "a cancelled appointment got a reminder"
    mv = [m for m in smtp.to(moved) if is_reminder_subject(m)]
    assert len(mv) == 1
    assert "Reminder" in mv[0].msg["Subject"]
    [event] = ics_events(mail_ics(mv[0].msg))
    assert ics_time(event["DTSTART"]) == slot, "the reminder is for the new time"
    assert later["reference"] in mv[0].text and gone["reference"] not in mv[0].text

    # And a restart after delivery sends nothing again: nothing is left to send.
    st.stop()
    st.start()
    assert st.get("/api/v1/station").status_code == 200
    assert waiting_reminders(st) == 0
    assert len([m for m in smtp.all() if is_reminder_subject(m)]) == 2


def test_no_reminder_when_off_or_booked_within_the_lead(make_station, smtp):
    st = make_station(station_config(smtp, mail={"reminder_before": "off"}), start=False)
    officer = st.add_officer(admin=True)
    st.start()
    book(st, officer.id, next_slot_start(AHEAD), citizen_email())
    assert waiting_reminders(st) == 0

    # Default lead (1 h): a slot a few minutes ahead is already inside it.
    st2 = make_station(station_config(smtp), start=False)
    officer2 = st2.add_officer(admin=True)
    st2.start()
    book(st2, officer2.id, next_slot_start(AHEAD), citizen_email())
    assert waiting_reminders(st2) == 0
    book(st2, officer2.id, next_slot_start(timedelta(hours=2)), citizen_email())
    assert waiting_reminders(st2) == 1


@pytest.mark.parametrize("bad", ["soon", "30days"])
def test_a_bad_reminder_lead_is_refused_at_start(smtp, bad, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(to_toml(station_config(smtp, mail={"reminder_before": bad})))
    done = run_cli("station", "--data", str(tmp_path / "d"), "--https-addr", "127.0.0.1:0",
                   "--http-addr", "127.0.0.1:0", "--config", str(config))
    assert done.returncode != 0
    assert "reminder_before" in done.stderr, done.stderr


def test_add_to_calendar_from_the_mailed_link(make_station, smtp, browsers, tmp_path):
    st = make_station(station_config(smtp), start=False)
    officer = st.add_officer(name="Inspector Sharmila Jadhav", rank="PI", admin=True)
    st.start()
    slot = st.free_slot(officer.id, timedelta(hours=3))
    who = citizen_email()

    b = browsers(phone=True)
    d = b.driver
    d.get(st.url(f"/book?officer={officer.id}&start={slot['start'].replace('+', '%2B')}"))
    d.find_element(By.NAME, "name").send_keys("Asha Patil")
    d.find_element(By.NAME, "email").send_keys(who)
    d.find_element(By.NAME, "mobile").send_keys("9876543210")
    Select(d.find_element(By.NAME, "reason_category")).select_by_value("complaint")
    d.find_element(By.NAME, "reason").send_keys("My bicycle was stolen near the market.")
    pdf = tmp_path / "fir.pdf"
    pdf.write_bytes(pdf_bytes("fir"))
    d.find_element(By.ID, "documents").send_keys(str(pdf))
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_until(lambda: d.find_elements(By.CSS_SELECTOR, "p.sent"), timeout=30, message="the confirmation page")
    # The confirmation page cannot offer it (it reads the same when nothing was booked, see
    # test_hardening_bookings); the page the mail links to does.
    link = mail_link(smtp.booking_mail(who).msg)
    d.get(st.url(f"/a/{link}"))
    add = d.find_element(By.ID, "add-to-calendar")
    assert add.text.strip() == "Add to calendar"
    href = add.get_attribute("href")
    assert href.endswith("/appointment.ics") and add.get_attribute("download") is not None

    # The file itself: the same event as the mail's attachment.
    assert href == st.url(f"/a/{link}/appointment.ics")
    r = new_session().get(href, timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/calendar")
    assert "attachment" in r.headers.get("Content-Disposition", "")
    [event] = ics_events(r.text)
    [mailed] = ics_events(mail_ics(smtp.booking_mail(who).msg))
    assert event["UID"][1] == mailed["UID"][1]
    assert ics_time(event["DTSTART"]) == datetime.fromisoformat(slot["start"])
    assert f"/a/{link}/join" in event["URL"][1]

    # After cancelling, the file cancels the event.
    assert st.post(f"/api/v1/appointments/{link}/cancel").status_code == 200
    cancelled = new_session().get(href, timeout=30)
    assert "METHOD:CANCEL" in cancelled.text and "STATUS:CANCELLED" in cancelled.text
    assert new_session().get(st.url("/a/" + "a" * 26 + "/appointment.ics"), timeout=30).status_code == 404
