"""Backups and replacing a dead box (issue 12): an encrypted backup of a running station,
restored onto a fresh data directory with the recovery key, gives back every booking, note and
document (documents byte for byte, as the officer downloads them); another key opens nothing,
and the backup file holds none of the citizens' data in clear."""

import re
from datetime import timedelta

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
