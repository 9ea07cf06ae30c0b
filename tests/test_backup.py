"""Backups and replacing a dead box (issue 12): an encrypted backup of a running station,
restored onto a fresh data directory with the recovery key, gives back every booking, note and
document (documents byte for byte, as the officer downloads them); another key opens nothing,
and the backup file holds none of the citizens' data in clear."""

import re
from datetime import date, timedelta

from conftest import Station, citizen_email, csrf_of, pdf_bytes, run_cli, station_config


def test_a_backup_restores_onto_a_fresh_box_with_every_booking_note_and_document(station, smtp, tmp_path):
    officer = station.admin
    booked = {}
    for i, slot in enumerate(station.free_slots(officer.id, after=timedelta(minutes=10))[:3]):
        who, content = citizen_email(), pdf_bytes(f"backup-{i}")
        ref = station.book_ok(officer.id, slot["start"], who, name="Sunita Jadhav",
                              documents=[(f"statement-{i}.pdf", content, "application/pdf")])["reference"]
        booked[ref] = (who, slot["start"][:10], content)
    console = station.login(officer)
    first = next(iter(booked))
    first_id = station.appointment_id(console, first, booked[first][1])
    page = console.get(station.url(f"/officer/appointments/{first_id}")).text
    note = "Called back: FIR to be registered tomorrow."
    r = console.post(station.url(f"/officer/appointments/{first_id}/notes"), data={"csrf": csrf_of(page), "body": note})
    assert r.status_code == 200 and note in r.text

    key = run_cli("station", "recovery-key", "--data", str(station.data))
    assert key.returncode == 0 and key.stdout.startswith("AGE-SECRET-KEY-1"), key.stderr
    # The admin can download it from the Station page; the audit log says who did.
    download = console.get(station.url("/officer/station/recovery-key"))
    assert download.status_code == 200 and download.text == key.stdout
    assert "attachment" in download.headers["Content-Disposition"]
    assert "Downloaded the recovery key" in console.get(station.url("/officer/audit")).text
    backup = tmp_path / "dgp.backup"
    done = run_cli("station", "backup", "--data", str(station.data), "--out", str(backup))
    assert done.returncode == 0, done.stderr
    # Sealed: nothing the citizens gave is readable in the file.
    raw = backup.read_bytes()
    for who, _, content in booked.values():
        assert who.encode() not in raw and content not in raw
    assert b"Sunita Jadhav" not in raw and note.encode() not in raw

    # Another box's key opens nothing, and writes nothing.
    other = run_cli("station", "recovery-key", "--data", str(tmp_path / "other")).stdout
    fresh = tmp_path / "fresh"
    wrong = run_cli("station", "restore", "--data", str(fresh), "--from", str(backup), stdin=other)
    assert wrong.returncode != 0 and "does not open this backup" in wrong.stderr, wrong.stderr
    assert not (fresh / "vappoint.db").exists()

    done = run_cli("station", "restore", "--data", str(fresh), "--from", str(backup), stdin=key.stdout)
    assert done.returncode == 0, done.stderr
    # Over a station that is there, a restore is refused.
    again = run_cli("station", "restore", "--data", str(fresh), "--from", str(backup), stdin=key.stdout)
    assert again.returncode != 0 and "already holds a station" in again.stderr

    # The replacement box runs on the restored data: the same officer, bookings, note, files.
    twin = Station(fresh, station_config(smtp), tmp_path)
    try:
        twin.start()
        desk = twin.login(officer)
        for ref, (who, day, content) in booked.items():
            detail = desk.get(twin.url(f"/officer/appointments/{twin.appointment_id(desk, ref, day)}")).text
            assert who in detail and "Sunita Jadhav" in detail
            [doc] = set(re.findall(r"/officer/documents/(\d+)", detail))
            assert desk.get(twin.url(f"/officer/documents/{doc}")).content == content
            assert (note in detail) == (ref == first)
    finally:
        twin.stop()


# --------------------------------------------------------------------------------------------
# Kept off the box: the hub, the USB stick, and replacing a dead box from the hub

import hashlib  # noqa: E402
import hmac  # noqa: E402
import os  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402

from browser import axe_violations, login  # noqa: E402
from conftest import new_session, wait_until  # noqa: E402
from hubkit import HUB_CONFIG, client_cert, make_hub, new_site  # noqa: E402,F401 (make_hub is a fixture)
from test_hub import scan  # noqa: E402
from test_setup import setup_code  # noqa: E402

AGE_MAGIC = b"age-encryption.org/v1\n"
LISTENING = re.compile(r"vappoint: (https?) listening on 127\.0\.0\.1:(\d+)")
REPLACEMENT_CODE = re.compile(r"replacement code:\s*(\S+)\s*$")


def code_key(code: str) -> bytes:
    """The key both sides derive from a one-time code (federation.rs `enrol_key`)."""
    normal = "".join(c for c in code if c.isascii() and c.isalnum()).upper()
    return hashlib.sha256(b"vappoint enrol v1" + normal.encode()).digest()


def code_mac(key: bytes, *parts: str) -> str:
    return hmac.new(key, b"".join(p.encode() + b"\0" for p in parts), hashlib.sha256).hexdigest()


def put_backup(hub, cert, body: bytes):
    with new_session() as s:
        return s.put(hub.url("/federation/v1/backup"), data=body, cert=cert, timeout=60)


def test_the_hub_keeps_each_stations_newest_14_backups_and_only_encrypted_ones(make_station, make_hub, smtp):
    hub = make_hub({**HUB_CONFIG, "backup": {"max_mb": 1}})
    site = new_site(make_station, smtp, hub, "DGP", "Deccan Gymkhana Police Station", "Zone 1")
    cert = client_cert(site.station)
    sent = []
    for _ in range(15):
        body = AGE_MAGIC + os.urandom(2000)
        r = put_backup(hub, cert, body)
        assert r.status_code == 200, r.text
        assert r.json()["sha256"] == hashlib.sha256(body).hexdigest() and r.json()["bytes"] == len(body)
        sent.append((r.json()["id"], body))
    with new_session() as s:
        kept = s.get(hub.url("/federation/v1/backups"), cert=cert, timeout=30).json()
        assert [b["id"] for b in kept] == [i for i, _ in reversed(sent[1:])], "the newest 14, newest first"
        newest_id, newest = sent[-1]
        assert s.get(hub.url(f"/federation/v1/backups/{newest_id}"), cert=cert, timeout=30).content == newest
        assert s.get(hub.url(f"/federation/v1/backups/{sent[0][0]}"), cert=cert, timeout=30).status_code == 404
    assert len(list((hub.data / "backups" / "DGP").iterdir())) == 14
    # Not an age file (it could be data in clear), too large, or without the station's
    # certificate: refused, and nothing more is kept.
    assert put_backup(hub, cert, b"BEGIN TRANSACTION; INSERT INTO appointments").status_code == 415
    too_large = put_backup(hub, cert, AGE_MAGIC + os.urandom(1024 * 1024))
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "too_large", too_large.text
    assert put_backup(hub, None, AGE_MAGIC + b"x").status_code == 401
    assert len(list((hub.data / "backups" / "DGP").iterdir())) == 14


def test_a_dead_box_is_replaced_from_the_hub_with_a_one_time_code_and_the_recovery_key(
    make_station, make_hub, smtp, browsers, tmp_path
):
    hub = make_hub(HUB_CONFIG)
    usb = tmp_path / "usb"
    usb.mkdir()
    backup = {"usb_dir": str(usb), "keep_on_usb": 2}
    site = new_site(make_station, smtp, hub, "DGP", "Deccan Gymkhana Police Station", "Zone 1", backup=backup)
    old, officer = site.station, site.officer

    # Bookings with documents, and what the citizens gave, to look for at the hub.
    booked, needles = {}, []
    for i, slot in enumerate(old.free_slots(officer.id, after=timedelta(minutes=10))[:2]):
        who, content = citizen_email(), pdf_bytes(f"replace-{i}")
        name, reason = ["Kavita Deshmukh", "Rohan Kulkarni"][i], f"Scooter {i} taken near Vetal Tekdi"
        ref = old.book_ok(officer.id, slot["start"], who, name=name, reason=reason,
                          documents=[(f"fir-{i}.pdf", content, "application/pdf")])["reference"]
        booked[ref] = (who, name, slot["start"][:10], content)
        needles += [who, name, reason]

    # "Back up now" on the Station page: to the hub and the USB stick; the page says so.
    console = old.login(officer)

    def made(page: str) -> int:
        return page.count(" MB</td>")

    def back_up_now():
        page = console.get(old.url("/officer/station")).text
        r = console.post(old.url("/officer/station/backup"), data={"csrf": csrf_of(page)})
        assert r.status_code == 200 and "The backup has started" in r.text, r.text[:300]
        wait_until(lambda: made(console.get(old.url("/officer/station")).text) == made(page) + 1,
                   timeout=60, message="the backup to be listed")

    back_up_now()
    page = console.get(old.url("/officer/station")).text
    assert 'id="backup-last-good"' in page and "Last good backup" in page, page
    assert page.count(">kept<") == 2, "kept on the hub and on the stick"
    [on_stick] = usb.glob("vappoint-DGP-*.age")
    assert on_stick.read_bytes().startswith(AGE_MAGIC)
    # The stick keeps the newest two of this station.
    back_up_now()
    back_up_now()
    assert len(list(usb.glob("vappoint-DGP-*.age"))) == 2 and not on_stick.exists()
    # The admin sees it in a browser too; the page has no serious accessibility problems.
    b = browsers()
    login(b, old.base, officer.email, officer.password)
    b.driver.get(old.url("/officer/station#backup-status"))
    assert "Last good backup" in b.driver.find_element(By.ID, "backup-last-good").text
    assert axe_violations(b.driver) == []
    # The hub has the last good backup in the box's health.
    wait_until(lambda: "vappoint_last_backup_timestamp_seconds{" in new_session().get(hub.url("/metrics"), timeout=30).text,
               timeout=60, message="the last backup at the hub")

    # The hub's files hold none of the citizens' data (nor does its database).
    found = scan([hub.data], needles + [c.decode("latin-1")[-40:] for *_, c in booked.values()])
    assert not found, f"citizens' data at the hub: {found}"
    for f in (hub.data / "backups" / "DGP").iterdir():
        assert f.read_bytes().startswith(AGE_MAGIC)

    # The box dies. A brand-new one, in set-up mode, takes its place.
    fresh = make_station(station_config(smtp, station={"name": site.name, "code": "DGP", "zone": site.zone},
                                        federation={"push_interval": "1s", "retry_max": "2s"}))
    code_on_box = setup_code(fresh)
    key = run_cli("station", "recovery-key", "--data", str(old.data)).stdout.strip()
    other_key = run_cli("station", "recovery-key", "--data", str(tmp_path / "other")).stdout.strip()
    b = browsers()  # a browser of the new box's LAN, with no session of the old box

    def replace(one_time: str, recovery_key: str):
        b.driver.get(fresh.url("/setup"))
        for field, value in [("replace_setup_code", code_on_box), ("replace_hub_url", hub.url_base),
                             ("replace_station", "dgp"), ("replace_code", one_time),
                             ("recovery_key", recovery_key)]:
            b.driver.find_element(By.ID, field).send_keys(value)
        b.driver.find_element(By.CSS_SELECTOR, "#replace-form button").click()

        def answered():
            alerts = b.driver.find_elements(By.CSS_SELECTOR, "p.error[role=alert]")
            done = b.driver.find_elements(By.ID, "replaced")
            return (alerts or done)[0].text if (alerts or done) else None

        return wait_until(answered, timeout=60, message="the replacement's answer")

    def untouched():
        assert sorted(p.name for p in fresh.data.iterdir() if p.name.startswith(".restore")) == []
        assert fresh.get("/setup").status_code == 200, "still in set-up mode"

    b.driver.get(fresh.url("/setup"))
    assert axe_violations(b.driver) == []
    # Before the hub's admin made a code: refused, nothing written.
    assert "refused this replacement code" in replace("ABCD-EFGH-JKLM-NPQR", key)
    untouched()
    made = hub.cli("replacement-code", "--station", "DGP")
    assert made.returncode == 0, made.stderr
    one_time = REPLACEMENT_CODE.search(made.stdout.strip().splitlines()[-1]).group(1)
    # Another box's recovery key: refused, nothing written, the code still good.
    assert "does not open the station's backup" in replace(one_time, other_key)
    untouched()
    assert "backup was restored" in replace(one_time, key)
    assert "This box is now station DGP" in b.driver.find_element(By.TAG_NAME, "h1").text

    # It starts again on the restored station (same process, new ports in this test).
    def listening_again():
        ports = [LISTENING.fullmatch(line.strip()) for line in fresh.lines]
        ports = [m for m in ports if m]
        return ports[-2:] if len(ports) >= 4 else None

    https, http = sorted(wait_until(listening_again, timeout=60, message="the restart"), key=lambda m: m.group(1) != "https")
    fresh.https_port, fresh.http_port = int(https.group(2)), int(http.group(2))
    desk = fresh.login(officer)
    for ref, (who, name, day, content) in booked.items():
        detail = desk.get(fresh.url(f"/officer/appointments/{fresh.appointment_id(desk, ref, day)}")).text
        assert who in detail and name in detail
        [doc] = set(re.findall(r"/officer/documents/(\d+)", detail))
        assert desk.get(fresh.url(f"/officer/documents/{doc}")).content == content

    # The old box is shut out; the new one is the station at the hub.
    refused = hub.push("{}", client_cert(old))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "revoked", refused.text
    assert hub.push("{}", client_cert(fresh)).status_code == 400, "the new certificate is accepted"
    # Its figures reach the hub: a booking made on it is counted there.
    slot = fresh.free_slots(officer.id, after=timedelta(minutes=10))[0]
    fresh.book_ok(officer.id, slot["start"], citizen_email())
    days = sorted({day for *_, day, _ in booked.values()} | {slot["start"][:10]})
    admin = hub.admin_session()

    def counted():
        report = hub.reports(admin, date.fromisoformat(days[0]), date.fromisoformat(days[-1]))
        return [s for z in report["zones"] for s in z["stations"] if s["code"] == "DGP"][0]["booked"] == 3

    wait_until(counted, timeout=60, message="the new box's figures at the hub")
    # The code worked once.
    nonce = os.urandom(8).hex()
    again = new_session().post(hub.url("/federation/v1/replace/backup"), timeout=30, json={
        "version": 1, "station": "DGP", "nonce": nonce, "mac": code_mac(code_key(one_time), "fetch", "DGP", nonce)})
    assert again.status_code == 403 and again.json()["error"]["code"] == "code_unusable"
