"""Retention and the disk guard (issue 12): documents, then citizens' personal details, go on schedule after their
appointment; an appointment an officer keeps stays until released; the rows (time, status,
category) stay, so figures do not change. The clock is injected through the command an admin
can run (`vappoint station retention run --now`), against the real station's data. A card
that fills up refuses new bookings with a clear message and loses none it acknowledged."""

import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from browser import login
from conftest import (
    Station,
    citizen_email,
    error_code,
    pdf_bytes,
    run_cli,
    station_config,
    to_toml,
    wait_until,
)
from test_browser_journeys import ftl


def retention_at(st, days: int) -> str:
    at = (datetime.now(timezone.utc) + timedelta(days=days)).isoformat()
    done = run_cli("station", "retention", "run", "--data", str(st.data), "--now", at)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def day_rows(st, console, day: str, refs: list[str]) -> list[str]:
    """The appointments among `refs` that the day view lists."""
    page = console.get(st.url("/officer"), params={"date": day}).text
    return sorted(ref for ref in refs if ref in page)


def files_on_disk(st) -> int:
    return len([p for p in (st.data / "documents").iterdir() if p.is_file()])


def test_documents_then_personal_details_go_on_schedule_and_a_kept_one_stays(station, browsers):
    officer = station.admin
    slots = station.free_slots(officer.id, after=timedelta(minutes=10))[:3]
    people = [citizen_email() for _ in slots]
    names = ["Asha Patil", "Ravi Kulkarni", "Meena Joshi"]
    refs = [
        station.book_ok(officer.id, s["start"], who, name=names[i],
                        documents=[(f"statement-{i}.pdf", pdf_bytes(f"r{i}"), "application/pdf")])["reference"]
        for i, (s, who) in enumerate(zip(slots, people))
    ]
    assert files_on_disk(station) == 3
    console = station.login(officer)
    ids = [station.appointment_id(console, ref, s["start"][:10]) for ref, s in zip(refs, slots)]
    before = {d: day_rows(station, console, d, refs) for d in {s["start"][:10] for s in slots}}

    # The officer keeps the first one, from its page in the browser.
    b = browsers()
    login(b, station.base, officer.email, officer.password)
    b.driver.get(station.url(f"/officer/appointments/{ids[0]}"))
    b.driver.find_element(By.ID, "hold-reason").send_keys("FIR 123/2026 registered")
    b.driver.find_element(By.CSS_SELECTOR, "form[action$='/hold'] button").click()
    kept = wait_until(lambda: b.driver.find_elements(By.ID, "hold"), message="the hold")[0]
    assert "FIR 123/2026 registered" in kept.text

    # Nothing is due yet; after 91 days, the documents of the two others go, files and all.
    assert retention_at(station, 1) == "removed 0 documents (0 bytes) and the personal details of 0 appointments"
    out = retention_at(station, 91)
    assert out.startswith("removed 2 documents"), out
    assert files_on_disk(station) == 1
    detail = console.get(station.url(f"/officer/appointments/{ids[1]}")).text
    assert "statement-1.pdf" not in detail and "removed on" in detail and names[1] in detail
    doc = next(line for line in console.get(station.url(f"/officer/appointments/{ids[0]}")).text.splitlines()
               if "/officer/documents/" in line)
    assert "statement-0.pdf" in doc

    # After a year, their personal details too; the kept one keeps everything.
    assert retention_at(station, 366).endswith("the personal details of 2 appointments")
    for i in (1, 2):
        page = console.get(station.url(f"/officer/appointments/{ids[i]}")).text
        assert names[i] not in page and people[i] not in page and "were removed on" in page
    page = console.get(station.url(f"/officer/appointments/{ids[0]}")).text
    assert names[0] in page and people[0] in page
    # The rows stay: every day view lists the same appointments as before.
    assert {d: day_rows(station, console, d, refs) for d in before} == before
    # Each removal is in the audit log, which still verifies.
    verified = run_cli("station", "audit", "verify", "--data", str(station.data))
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # Released, the kept one goes at the next run.
    b.driver.get(station.url(f"/officer/appointments/{ids[0]}"))
    b.driver.find_element(By.CSS_SELECTOR, "form[action$='/release'] button").click()
    wait_until(lambda: b.driver.find_elements(By.ID, "hold-reason"), message="the hold released")
    out = retention_at(station, 366)
    assert out == "removed 1 documents ({} bytes) and the personal details of 1 appointments".format(
        len(pdf_bytes("r0"))), out
    assert files_on_disk(station) == 0


def test_the_admin_sees_what_retention_removes_next(station, browsers):
    officer = station.admin
    slot = station.free_slot(officer.id)
    station.book_ok(officer.id, slot["start"], citizen_email(),
                    documents=[("fir.pdf", pdf_bytes("next"), "application/pdf")])
    b = browsers()
    login(b, station.base, officer.email, officer.password)
    b.driver.get(station.url("/officer/station"))
    policy = b.driver.find_element(By.ID, "retention").find_element(By.XPATH, "following-sibling::p").text
    assert "90 days" in policy and "365 days" in policy
    # Nothing of a booking made today is due within the week.
    assert "removes 0 documents" in b.driver.find_element(By.ID, "retention-next").text


def test_a_retention_period_too_short_is_refused_at_start(smtp, tmp_path):
    config = tmp_path / "short.toml"
    config.write_text(to_toml(station_config(smtp, retention={"documents_after": "1day"})))
    done = run_cli("station", "--data", str(tmp_path / "d"), "--https-addr", "127.0.0.1:0",
                   "--http-addr", "127.0.0.1:0", "--config", str(config))
    assert done.returncode != 0
    assert "retention" in done.stderr, done.stderr


# --------------------------------------------------------------------------------------------
# The disk guard


def test_a_nearly_full_card_refuses_bookings_cleanly_and_loses_none(smtp, browsers, tmp_path):
    card = tmp_path / "card"
    card.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(card)], check=True)
    st = Station(card / "data", station_config(smtp, disk={"min_free_mb": 20}), tmp_path)
    try:
        admin = st.add_officer(name="Inspector Sharmila Jadhav", rank="PI", admin=True)
        st.start()
        slots = iter(st.free_slots(admin.id, after=timedelta(minutes=10)))
        acked = []
        for i in range(3):
            who, slot = citizen_email(), next(slots)
            st.book_ok(admin.id, slot["start"], who, documents=[("fir.pdf", pdf_bytes(f"d{i}"), "application/pdf")])
            acked.append((who, slot["start"]))

        # Something fills the card to 10 MB free, below the 20 MB the station keeps.
        filler = card / "filler"
        with open(filler, "wb") as f:
            os.posix_fallocate(f.fileno(), 0, shutil.disk_usage(card).free - 10_000_000)
        for docs in ([("scan.pdf", pdf_bytes("full"), "application/pdf")], []):
            r = st.book(admin.id, next(slots)["start"], citizen_email(), documents=docs)
            assert r.status_code == 507 and error_code(r) == "storage_full", r.text
        assert len(list((st.data / "documents").iterdir())) == 3

        # The citizen's form says so in their language; the officer's console says why.
        b = browsers(phone=True, lang="mr")
        b.driver.get(st.url(f"/book?officer={admin.id}&start={quote(next(slots)['start'])}"))
        for field, value in {"name": "Asha Patil", "email": citizen_email(), "mobile": "9876543210"}.items():
            b.driver.find_element(By.ID, field).send_keys(value)
        Select(b.driver.find_element(By.ID, "reason_category")).select_by_value("complaint")
        b.driver.find_element(By.CSS_SELECTOR, "form[action='/book'] button[type=submit]").click()
        message = ftl("mr", "err-storage_full")
        wait_until(lambda: message in b.driver.find_element(By.TAG_NAME, "body").text, timeout=20,
                   message="the storage message on the form")
        desk = browsers()
        login(desk, st.base, admin.email, admin.password)
        banner = wait_until(lambda: desk.driver.find_elements(By.ID, "disk-banner"), message="the disk banner")[0]
        assert "nearly full" in banner.text

        # A power cut now, then space freed: every acknowledged booking is there.
        st.kill()
        filler.unlink()
        st.start()
        for who, start in acked:
            st.reference_of(admin.id, start, who)
        st.book_ok(admin.id, next(slots)["start"], citizen_email())
    finally:
        st.stop()
        # Lazily: the browser's and the station's last file handles may close a moment later.
        subprocess.run(["umount", "--lazy", str(card)], check=True)
