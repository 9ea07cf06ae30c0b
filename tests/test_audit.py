"""The audit trail and data at rest (issue 11, items 15 and 16): officers' views, logins and
admin changes land in a hash-chained log that `vappoint station audit verify` checks and whose
head the hub records; reasons, notes and documents are sealed on disk, and an older box's plain
ones are sealed when it starts."""

import csv
import io
import re
import sqlite3

from selenium.webdriver.common.by import By

import browser
from conftest import citizen_email, csrf_of, new_session, pdf_bytes, run_cli, wait_until
from hubkit import make_hub, new_site  # noqa: F401 (make_hub is a fixture)

HEAD_RE = re.compile(r"^ok, (\d+) entries, head (\d+):([0-9a-f]{64})$")


def verify(st, *extra: str):
    return run_cli("station", "audit", "verify", "--data", str(st.data), *extra)


def verified_head(st) -> tuple[int, str]:
    done = verify(st)
    assert done.returncode == 0, f"verify failed: {done.stdout}\n{done.stderr}"
    m = HEAD_RE.match(done.stdout.strip())
    assert m, done.stdout
    assert m.group(1) == m.group(2)
    return int(m.group(2)), m.group(3)


def login_as(st, email: str, password: str):
    s = new_session()
    page = s.get(st.url("/officer/login"), timeout=30)
    return s, s.post(
        st.url("/officer/login"),
        data={"csrf": csrf_of(page.text), "email": email, "password": password},
        allow_redirects=False,
        timeout=30,
    )


def audit_csv(console, st) -> list[dict[str, str]]:
    r = console.get(st.url("/officer/audit.csv"), timeout=30)
    assert r.status_code == 200, r.status_code
    assert r.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def raw_database(st) -> bytes:
    """The database as a copy of the card would hold it: the file and its WAL."""
    out = b""
    for name in ("vappoint.db", "vappoint.db-wal"):
        path = st.data / name
        if path.exists():
            out += path.read_bytes()
    return out


def test_views_logins_and_changes_are_chained_and_an_edited_entry_is_named(station):
    admin = station.admin
    officer = station.add_officer(name="Sub-Inspector Ravi More")
    reason = f"Lost my phone at the bus stand {citizen_email()}"
    doc = pdf_bytes("audit")
    slot = station.free_slot(admin.id)
    station.book_ok(admin.id, slot["start"], citizen_email(), reason=reason,
                    documents=[("fir.pdf", doc, "application/pdf")])

    _, wrong = login_as(station, admin.email, "not-the-password")
    assert wrong.status_code == 401
    _, nobody = login_as(station, "nobody@example.test", "whatever")
    assert nobody.status_code == 401
    console = station.login(admin)
    day = slot["start"][:10]
    page = console.get(station.url("/officer"), params={"date": day}, timeout=30)
    appointment = int(re.search(r"/officer/appointments/(\d+)", page.text).group(1))
    detail = console.get(station.url(f"/officer/appointments/{appointment}"), timeout=30)
    assert reason in detail.text
    document = int(re.search(r"/officer/documents/(\d+)", detail.text).group(1))
    download = console.get(station.url(f"/officer/documents/{document}"), timeout=30)
    assert download.status_code == 200 and download.content == doc

    # Only admins see the log.
    other = station.login(officer)
    assert other.get(station.url("/officer/audit"), timeout=30).status_code == 403
    assert other.get(station.url("/officer/audit.csv"), timeout=30).status_code == 403

    listing = console.get(station.url("/officer/audit"), timeout=30)
    assert listing.status_code == 200 and "Viewed an appointment" in listing.text
    rows = audit_csv(console, station)
    seen = [(r["actor"], r["action"], r["subject"]) for r in rows]
    me = f"officer:{admin.id}"
    for entry in [
        (me, "login_failed", me),
        ("unknown", "login_failed", ""),
        (me, "login", me),
        (me, "view_day", f"day:{day}"),
        (me, "view_appointment", f"appointment:{appointment}"),
        (me, "view_document", f"document:{document}"),
        (f"officer:{officer.id}", "login", f"officer:{officer.id}"),
    ]:
        assert entry in seen, (entry, seen)
    # The export is itself in the log, as its last entry; seq counts from 1 without a gap.
    assert seen[-1] == (me, "audit_export", "")
    assert [int(r["seq"]) for r in rows] == list(range(1, len(rows) + 1))
    # Ids only: no name, email or reason in the log.
    text = "\n".join(",".join(r.values()) for r in rows)
    assert admin.email not in text and "Sharmila" not in text and "bus stand" not in text

    seq, head = verified_head(station)
    assert (seq, head) == (int(rows[-1]["seq"]), rows[-1]["hash"])
    assert verify(station, "--hub-head", f"{seq}:{head}").returncode == 0

    # A log rewritten whole and chained afresh verifies alone, but not against a head the
    # hub recorded before (here: one it could have recorded).
    done = verify(station, "--hub-head", f"{seq}:{'0' * 64}")
    assert done.returncode == 1 and f"broken at entry {seq}" in done.stderr, done.stderr
    done = verify(station, "--hub-head", f"{seq + 100}:{head}")
    assert done.returncode == 1 and f"broken at entry {seq + 100}" in done.stderr, done.stderr
    for bad in ("12", "x:ab"):
        done = verify(station, "--hub-head", bad)
        assert done.returncode == 1 and "--hub-head" in done.stderr, done.stderr

    # One entry changed by hand (the station is running): verify names it.
    with sqlite3.connect(station.data / "vappoint.db") as db:
        db.execute("UPDATE audit SET subject = 'appointment:999' WHERE seq = 4")
    done = verify(station)
    assert done.returncode == 1, done.stdout
    assert "broken at entry 4" in done.stderr, done.stderr


def test_reasons_notes_and_documents_are_sealed_on_disk(station):
    admin = station.admin
    reason = "Sealed-reason-7f3a my neighbour threatens me"
    note = "Sealed-note-91c2 called the beat marshal"
    doc = pdf_bytes("sealed-document-5d1e")
    slot = station.free_slot(admin.id)
    station.book_ok(admin.id, slot["start"], citizen_email(), reason=reason,
                    documents=[("statement.pdf", doc, "application/pdf")])
    console = station.login(admin)
    page = console.get(station.url("/officer"), params={"date": slot["start"][:10]}, timeout=30)
    appointment = int(re.search(r"/officer/appointments/(\d+)", page.text).group(1))
    detail = console.get(station.url(f"/officer/appointments/{appointment}"), timeout=30)
    r = console.post(station.url(f"/officer/appointments/{appointment}/notes"),
                     data={"csrf": csrf_of(detail.text), "body": note}, timeout=30)
    assert r.status_code == 200 and note in r.text and reason in r.text

    raw = raw_database(station)
    assert reason.encode() not in raw and b"Sealed-reason-7f3a" not in raw
    assert b"Sealed-note-91c2" not in raw
    files = list((station.data / "documents").iterdir())
    assert len(files) == 1
    on_disk = files[0].read_bytes()
    assert on_disk != doc and b"sealed-document-5d1e" not in on_disk and not on_disk.startswith(b"%PDF")
    key = station.data / "keys" / "data.key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32

    document = int(re.search(r"/officer/documents/(\d+)", detail.text).group(1))
    download = console.get(station.url(f"/officer/documents/{document}"), timeout=30)
    assert download.status_code == 200 and download.content == doc


def test_an_older_box_has_its_plain_reasons_and_documents_sealed_when_it_starts(station):
    admin = station.admin
    doc = pdf_bytes("older-box-document")
    slot = station.free_slot(admin.id)
    station.book_ok(admin.id, slot["start"], citizen_email(), reason="placeholder",
                    documents=[("old.pdf", doc, "application/pdf")])
    station.stop()
    # What an older version left: the reason and a note in clear, the document as uploaded,
    # and no record of the sealing step.
    with sqlite3.connect(station.data / "vappoint.db") as db:
        db.execute("UPDATE appointments SET reason = 'Older-box-reason-3b8e written in clear'")
        db.execute(
            "INSERT INTO notes(appointment_id, officer_id, body, created_at) "
            "SELECT id, officer_id, 'Older-box-note-c4d0 in clear', created_at FROM appointments"
        )
        db.execute("DELETE FROM data_steps")
    (stored,) = list((station.data / "documents").iterdir())
    stored.write_bytes(doc)
    assert b"Older-box-reason-3b8e" in raw_database(station)

    station.start()
    raw = raw_database(station)
    assert b"Older-box-reason-3b8e" not in raw and b"Older-box-note-c4d0" not in raw
    assert stored.read_bytes() != doc
    console = station.login(admin)
    page = console.get(station.url("/officer"), params={"date": slot["start"][:10]}, timeout=30)
    appointment = int(re.search(r"/officer/appointments/(\d+)", page.text).group(1))
    detail = console.get(station.url(f"/officer/appointments/{appointment}"), timeout=30)
    assert "Older-box-reason-3b8e written in clear" in detail.text
    assert "Older-box-note-c4d0 in clear" in detail.text
    document = int(re.search(r"/officer/documents/(\d+)", detail.text).group(1))
    assert console.get(station.url(f"/officer/documents/{document}"), timeout=30).content == doc

    # Without its key the box refuses to start rather than make a new key that opens nothing.
    station.stop()
    key = station.data / "keys" / "data.key"
    saved = key.read_bytes()
    key.unlink()
    done = run_cli("officer", "add", "--data", str(station.data), "--name", "Asha More", "--rank", "PSI",
                   "--email", "more@dgp.example", "--password-stdin", stdin="long-enough-password\n")
    assert done.returncode == 1 and "data.key is missing" in done.stderr, done.stderr
    assert not key.exists()
    key.write_bytes(saved)


def test_the_hub_records_the_head_the_box_holds(make_hub, make_station, smtp):
    hub = make_hub()
    site = new_site(make_station, smtp, hub, "AUD", "Audit Test Police Station", "Zone 1")
    st = site.station
    console = st.login(site.officer)
    console.get(st.url("/officer"), timeout=30)
    seq, head = verified_head(st)
    admin = hub.admin_session()

    def hub_head():
        page = admin.get(hub.url("/hub/stations"), timeout=30).text
        m = re.search(r'data-station="AUD">(\d+):([0-9a-f]{64})<', page)
        return m and (int(m.group(1)), m.group(2))

    wait_until(lambda: hub_head() == (seq, head), timeout=60, interval=0.3,
               message=f"the hub to record the head {seq}:{head}")
    # The box agrees with what the hub recorded.
    assert verify(st, "--hub-head", f"{seq}:{head}").returncode == 0


def test_the_audit_page_has_no_serious_accessibility_problems(station, browsers):
    b = browsers(lang="mr")
    browser.login(b, station.base, station.admin.email, station.admin.password)
    b.driver.get(station.base + "/officer/audit")
    rows = b.driver.find_elements(By.CSS_SELECTOR, "#audit tbody tr")
    assert any("लॉगिन केले" in r.text for r in rows), [r.text for r in rows]
    assert browser.axe_violations(b.driver) == []

