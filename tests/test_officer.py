"""The officer console: sessions, CSRF, the day's appointments, schedules and officers."""

import re
from datetime import datetime, timedelta

import requests

from conftest import (
    citizen_email,
    csrf_of,
    location_path,
    pdf_bytes,
    station_config,
    wait_until,
)

COOKIE = "__Host-vappoint"


def session_cookies(r: requests.Response) -> list[str]:
    return [c for c in r.raw.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "=")]


def cookie_value(set_cookie: str) -> str:
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


def console_status(station, cookie_value: str) -> int:
    """Status of GET /officer with only this session cookie."""
    r = station.get("/officer", headers={"Cookie": f"{COOKIE}={cookie_value}"}, allow_redirects=False)
    return r.status_code


def test_not_logged_in_is_sent_to_the_login_page(station):
    r = station.get("/officer", allow_redirects=False)

    assert r.status_code == 303
    assert location_path(r) == "/officer/login"


def test_login_sets_a_strict_host_only_session_cookie(station):
    s = station.session()
    page = s.get(station.url("/officer/login"))
    assert page.status_code == 200
    assert re.search(r'name="email"', page.text) and re.search(r'name="password"', page.text)

    r = s.post(
        station.url("/officer/login"),
        data={"csrf": csrf_of(page.text), "email": station.admin.email, "password": station.admin.password},
        allow_redirects=False,
    )

    assert r.status_code == 303
    assert location_path(r) == "/officer"
    cookies = session_cookies(r)
    assert len(cookies) == 1, r.raw.headers.getlist("Set-Cookie")
    attrs = [a.strip().lower() for a in cookies[0].split(";")[1:]]
    assert "secure" in attrs
    assert "httponly" in attrs
    assert "samesite=strict" in attrs
    assert "path=/" in attrs
    assert not any(a.startswith("domain=") for a in attrs)
    assert s.get(station.url("/officer"), allow_redirects=False).status_code == 200


def test_wrong_password_does_not_log_in(station):
    s = station.session()
    page = s.get(station.url("/officer/login"))

    r = s.post(
        station.url("/officer/login"),
        data={"csrf": csrf_of(page.text), "email": station.admin.email, "password": "not-the-password"},
        allow_redirects=False,
    )

    assert not (r.status_code == 303 and location_path(r) == "/officer")
    assert s.get(station.url("/officer"), allow_redirects=False).status_code == 303


def test_login_rotates_the_session_id(station):
    s = station.session()
    page = s.get(station.url("/officer/login"))
    before = s.cookies.get(COOKIE)
    if before is None:  # no session before login: try to plant one (session fixation)
        before = "planted-session-id-0123456789abcdef"
        s.cookies.set(COOKIE, before, domain="127.0.0.1", path="/")

    r = s.post(
        station.url("/officer/login"),
        data={"csrf": csrf_of(page.text), "email": station.admin.email, "password": station.admin.password},
        allow_redirects=False,
    )

    assert r.status_code == 303
    cookies = session_cookies(r)
    assert cookies, "login set no session cookie"
    after = cookie_value(cookies[-1])
    assert after != before
    assert console_status(station, after) == 200
    assert console_status(station, before) == 303


def test_logout_ends_the_session(station):
    console = station.login(station.admin)
    cookie = console.cookies.get(COOKIE)
    home = console.get(station.url("/officer"))

    r = console.post(station.url("/officer/logout"), data={"csrf": csrf_of(home.text)}, allow_redirects=False)

    assert r.status_code in (200, 303), r.text[:300]
    assert console_status(station, cookie) == 303


def test_posts_without_the_right_csrf_are_refused(station):
    officer = station.admin
    slot = station.free_slot(officer.id)
    ref = station.book_ok(officer.id, slot["start"], citizen_email())["reference"]
    console = station.login(officer)
    appointment = station.appointment_id(console, ref, slot["start"][:10])
    notes_url = station.url(f"/officer/appointments/{appointment}/notes")

    missing = console.post(notes_url, data={"body": "note without csrf"}, allow_redirects=False)
    wrong = console.post(notes_url, data={"body": "note with a wrong csrf", "csrf": "forged"}, allow_redirects=False)
    schedule = console.post(
        station.url("/officer/schedule"),
        data={"hours": "Mon 10:00-11:00", "slot_minutes": "10", "days_off": ""},
        allow_redirects=False,
    )
    login = station.post(
        "/officer/login", data={"email": officer.email, "password": officer.password}, allow_redirects=False
    )

    assert missing.status_code == 403
    assert wrong.status_code == 403
    assert schedule.status_code == 403
    assert login.status_code == 403
    detail = console.get(station.url(f"/officer/appointments/{appointment}")).text
    assert "note without csrf" not in detail and "note with a wrong csrf" not in detail
    assert station.slots(officer.id, slot["start"][:10])["slot_minutes"] == 5


def test_an_idle_session_expires(make_station):
    st = make_station(station_config(None, sessions={"idle": "2s"}), start=False)
    officer = st.add_officer(admin=True)
    st.start()
    console = st.login(officer)
    assert console.get(st.url("/officer"), allow_redirects=False).status_code == 200

    # Each look uses the session, so look less often than the idle limit.
    def rejected():
        r = console.get(st.url("/officer"), allow_redirects=False)
        return r.status_code == 303 and location_path(r) == "/officer/login"

    wait_until(rejected, timeout=20, interval=3, message="the idle session to be rejected")


def test_day_view_lists_the_appointments(station):
    officer = station.admin
    slot = station.free_slot(officer.id)
    ref = station.book_ok(
        officer.id, slot["start"], citizen_email(), name="Kavita Shinde", category="cyber_fraud",
        reason="UPI fraud of Rs 4,000",
    )["reference"]
    console = station.login(officer)

    page = console.get(station.url("/officer"), params={"date": slot["start"][:10]})

    assert page.status_code == 200
    text = page.text
    assert ref in text
    assert "Kavita Shinde" in text
    assert "cyber_fraud" in text or "cyber fraud" in text.lower()
    assert "booked" in text.lower()
    assert re.search(r"/officer/appointments/\d+", text)


def count_outcome(html: str, outcome: str) -> int:
    lower = html.lower()
    return lower.count(outcome) + lower.count(outcome.replace("_", " "))


def test_notes_and_outcome_are_kept(station):
    officer = station.admin
    slot = station.free_slot(officer.id)
    ref = station.book_ok(officer.id, slot["start"], citizen_email())["reference"]
    console = station.login(officer)
    appointment = station.appointment_id(console, ref, slot["start"][:10])
    detail_url = station.url(f"/officer/appointments/{appointment}")
    before = console.get(detail_url).text
    note = "Citizen brought the FIR copy; spoke to the complainant at 11:05."
    assert note not in before

    r_note = console.post(f"{detail_url}/notes", data={"csrf": csrf_of(before), "body": note})
    r_outcome = console.post(f"{detail_url}/outcome", data={"csrf": csrf_of(before), "outcome": "fir_registered"})

    assert r_note.status_code < 400, r_note.text[:300]
    assert r_outcome.status_code < 400, r_outcome.text[:300]
    after = console.get(detail_url).text
    assert note in after
    selected = re.search(r'<option[^>]*value="fir_registered"[^>]*\bselected\b', after) or re.search(
        r'<option[^>]*\bselected\b[^>]*value="fir_registered"', after
    )
    assert selected or count_outcome(after, "fir_registered") > count_outcome(before, "fir_registered")


def test_documents_are_served_as_attachments_with_the_uploaded_bytes(station):
    officer = station.admin
    slot = station.free_slot(officer.id)
    pdf = pdf_bytes("lost-phone-receipt")
    ref = station.book_ok(
        officer.id, slot["start"], citizen_email(), documents=[("receipt.pdf", pdf, "application/pdf")]
    )["reference"]
    console = station.login(officer)
    appointment = station.appointment_id(console, ref, slot["start"][:10])
    detail = console.get(station.url(f"/officer/appointments/{appointment}")).text
    doc_ids = sorted(set(re.findall(r"/officer/documents/(\d+)", detail)))
    assert len(doc_ids) == 1

    r = console.get(station.url(f"/officer/documents/{doc_ids[0]}"))

    assert r.status_code == 200
    assert r.headers["Content-Disposition"].lower().startswith("attachment")
    assert r.headers["X-Content-Type-Options"].lower() == "nosniff"
    assert r.content == pdf
    anonymous = station.get(f"/officer/documents/{doc_ids[0]}", allow_redirects=False)
    assert anonymous.status_code in (303, 401, 403)
    assert anonymous.content != pdf


def test_a_non_admin_cannot_manage_officers(station):
    plain = station.add_officer(name="PSI Nitin Pawar")
    console = station.login(plain)
    csrf = csrf_of(console.get(station.url("/officer")).text)
    admin_id = station.admin.id

    listing = console.get(station.url("/officer/officers"), allow_redirects=False)
    add = console.post(
        station.url("/officer/officers"),
        data={"csrf": csrf, "name": "Intruder", "rank": "PI", "email": "intruder@dgp.example",
              "password": "intruder-password-1", "hours": "Mon 10:00-11:00", "slot_minutes": "10",
              "is_admin": "on"},
        allow_redirects=False,
    )
    edit = console.post(
        station.url(f"/officer/officers/{admin_id}"),
        data={"csrf": csrf, "name": "Renamed", "rank": "PC"},
        allow_redirects=False,
    )
    remove = console.post(station.url(f"/officer/officers/{admin_id}/remove"), data={"csrf": csrf}, allow_redirects=False)

    assert listing.status_code == 403
    assert add.status_code == 403
    assert edit.status_code == 403
    assert remove.status_code == 403
    officers = station.get("/api/v1/station").json()["officers"]
    assert {"id": admin_id, "name": station.admin.name, "rank": station.admin.rank} in officers
    assert "Intruder" not in [o["name"] for o in officers]


def test_an_admin_adds_edits_and_removes_an_officer(station):
    console = station.login(station.admin)

    def csrf():
        page = console.get(station.url("/officer/officers"))
        assert page.status_code == 200
        return csrf_of(page.text)

    def officers():
        return station.get("/api/v1/station").json()["officers"]

    added = console.post(
        station.url("/officer/officers"),
        data={"csrf": csrf(), "name": "PSI Sunita Gaikwad", "rank": "PSI", "email": "sunita@dgp.example",
              "password": "a-long-enough-password", "hours": "Mon-Sat 11:00-13:00", "slot_minutes": "10"},
    )
    assert added.status_code < 400, added.text[:300]
    new = [o for o in officers() if o["name"] == "PSI Sunita Gaikwad"]
    assert len(new) == 1 and new[0]["rank"] == "PSI"
    new_id = new[0]["id"]

    edited = console.post(
        station.url(f"/officer/officers/{new_id}"),
        data={"csrf": csrf(), "name": "API Sunita Gaikwad", "rank": "API"},
    )
    assert edited.status_code < 400, edited.text[:300]
    assert {"id": new_id, "name": "API Sunita Gaikwad", "rank": "API"} in officers()

    removed = console.post(station.url(f"/officer/officers/{new_id}/remove"), data={"csrf": csrf()})
    assert removed.status_code < 400, removed.text[:300]
    assert new_id not in [o["id"] for o in officers()]
    assert station.admin.id in [o["id"] for o in officers()]


def test_a_schedule_change_shows_in_the_slots(station):
    officer = station.add_officer(name="PSI Anil More")
    console = station.login(officer)
    page = console.get(station.url("/officer/schedule"))
    assert page.status_code == 200
    working, off = station.today() + timedelta(days=2), station.today() + timedelta(days=3)

    r = console.post(
        station.url("/officer/schedule"),
        data={"csrf": csrf_of(page.text), "hours": "Mon-Sun 10:00-11:00", "slot_minutes": "15", "days_off": str(off)},
    )

    assert r.status_code < 400, r.text[:300]
    day = station.slots(officer.id, working)
    assert day["slot_minutes"] == 15
    starts = [datetime.fromisoformat(s["start"]) for s in day["slots"]]
    assert [(t.hour, t.minute) for t in starts] == [(10, 0), (10, 15), (10, 30), (10, 45)]
    assert all(str(t.date()) == str(working) for t in starts)
    assert station.slots(officer.id, off)["slots"] == []


def test_an_admin_sets_another_officers_hours_and_days_off(station):
    officer = station.add_officer(name="PSI Rahul Deshmukh")
    admin = station.login(station.admin)
    page = admin.get(station.url(f"/officer/officers/{officer.id}"))
    assert page.status_code == 200 and "PSI Rahul Deshmukh" in page.text
    working, off = station.today() + timedelta(days=2), station.today() + timedelta(days=3)
    days = {f"r0_{d}": "on" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

    r = admin.post(
        station.url(f"/officer/officers/{officer.id}/schedule"),
        data={"csrf": csrf_of(page.text), **days, "r0_from": "09:00", "r0_to": "09:30",
              "slot_minutes": "10", "days_off": str(off)},
    )

    assert r.status_code == 200, r.text[:300]
    starts = [s["start"][11:16] for s in station.slots(officer.id, working)["slots"]]
    assert starts == ["09:00", "09:10", "09:20"]
    assert station.slots(officer.id, off)["slots"] == []

    # The officer themself may not set anyone else's hours.
    own = station.login(officer)
    csrf = csrf_of(own.get(station.url("/officer/schedule")).text)
    refused = own.post(
        station.url(f"/officer/officers/{station.admin.id}/schedule"),
        data={"csrf": csrf, **days, "r0_from": "09:00", "r0_to": "09:30", "slot_minutes": "10"},
        allow_redirects=False,
    )
    assert refused.status_code == 403
    assert own.get(station.url(f"/officer/officers/{station.admin.id}"), allow_redirects=False).status_code == 403


def test_hours_controls_name_the_incomplete_range_and_keep_what_was_typed(station):
    officer = station.add_officer(name="PSI Meena Kale")
    console = station.login(officer)
    page = console.get(station.url("/officer/schedule"))

    r = console.post(
        station.url("/officer/schedule"),
        data={"csrf": csrf_of(page.text), "r0_mon": "on", "r0_from": "10:00", "r0_to": "11:00",
              "r1_sat": "on", "r1_from": "12:00", "slot_minutes": "15", "days_off": "2026-12-25"},
    )

    assert r.status_code == 400
    assert "Range 2: give both times." in r.text
    assert 'name="r1_sat" checked' in r.text and 'value="12:00"' in r.text
    assert 'value="2026-12-25"' in r.text
    assert station.slots(officer.id, station.today() + timedelta(days=1))["slot_minutes"] == 5
