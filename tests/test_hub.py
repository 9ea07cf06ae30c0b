"""The commissionerate hub: stations enrol, push their figures by themselves, lose nothing to
outages or SIGKILL, are refused when they (or someone else) misbehave, and never send
anything personal."""

import random
import re
import signal
import string
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import (
    assert_stays,
    csrf_of,
    mail_link,
    parse_html,
    station_config,
    wait_until,
)
from hubkit import (  # noqa: F401 (make_hub is a fixture)
    BOTH_BACKENDS,
    Tally,
    client_cert,
    compact,
    enroll,
    error_of,
    expected_seq,
    heartbeat,
    hub_figures,
    make_foreign_cert,
    make_hub,
    new_site,
    push_text,
    report_stations,
    sha256_hex,
    wait_for_figures,
)

DGP = ("DGP", "Deccan Gymkhana Police Station", "Zone 1", ["Deccan Gymkhana", "Karve Road", "Erandwane"])
SHV = ("SHV", "Shivajinagar Police Station", "Zone 1", ["Model Colony", "Fergusson College Road"])
KDW = ("KDW", "Kondhwa Police Station", "Zone 5", ["NIBM Road", "Salunke Vihar"])

# Every hub test here runs on SQLite and on PostgreSQL.
pytestmark = BOTH_BACKENDS


def site(make_station, smtp, hub, spec, **kw):
    code, name, zone, localities = spec
    return new_site(make_station, smtp, hub, code, name, zone, localities, **kw)


def column(row: dict, *names: str) -> str:
    for n in names:
        if n in row:
            return row[n]
    raise AssertionError(f"none of the columns {names} in the CSV header {list(row)}")


# --------------------------------------------------------------------------------------------


def test_three_stations_enrol_and_report(smtp, make_station, make_hub):
    hub = make_hub()
    dgp, shv, kdw = (site(make_station, smtp, hub, spec) for spec in (DGP, SHV, KDW))
    sites = [dgp, shv, kdw]
    codes = [s.code for s in sites]
    tally = Tally()

    tally.book(dgp, "cyber_fraud")
    tally.book(shv, "complaint")
    tally.book(shv, "lost_article")
    kdw_refs = [tally.book(kdw, "complaint")["reference"] for _ in range(3)]
    tally.cancel(kdw, smtp, kdw_refs[1])
    assert tally.expected(codes) == {"DGP": (1, 0), "SHV": (2, 0), "KDW": (2, 1)}

    admin = hub.admin_session()
    wait_for_figures(hub, admin, tally, codes)

    frm, to = tally.span()
    report = hub.reports(admin, frm, to)
    assert (report["from"], report["to"]) == (str(frm), str(to))
    by_code = report_stations(report)
    assert set(by_code) == set(codes)
    for s in sites:
        row = by_code[s.code]
        assert (row["name"], row["zone"]) == (s.name, s.zone), row
        assert (row["booked"], row["cancelled"]) == (tally.booked[s.code], tally.cancelled[s.code]), row
        assert (row["completed"], row["no_show"]) == (0, 0), row
        want_reasons = {k: v for k, v in tally.reasons[s.code].items() if v}
        assert {k: v for k, v in row["reasons"].items() if v} == want_reasons, row
        assert row["stale"] is False, row
        assert row["last_seen"], row
        assert row["offered"] > 0, row  # open all day: hundreds of 5-minute slots

    zones = {z["zone"]: z for z in report["zones"]}
    assert set(zones) == {"Zone 1", "Zone 5"}
    assert {st["code"] for st in zones["Zone 1"]["stations"]} == {"DGP", "SHV"}
    assert {st["code"] for st in zones["Zone 5"]["stations"]} == {"KDW"}
    for z in zones.values():
        for key in ("booked", "cancelled", "completed", "no_show", "offered"):
            assert z["totals"][key] == sum(st[key] for st in z["stations"]), (z["zone"], key, z)
    assert (report["city"]["booked"], report["city"]["cancelled"]) == (5, 1), report["city"]
    assert report["city"]["offered"] == sum(z["totals"]["offered"] for z in zones.values())

    # A range without any booking shows the stations with zeros.
    quiet = report_stations(hub.reports(admin, frm - timedelta(days=30), frm - timedelta(days=29)))
    assert set(quiet) == set(codes)
    assert all((r["booked"], r["cancelled"]) == (0, 0) for r in quiet.values()), quiet

    # The CSV export: one row per station, one per zone.
    rows = hub.report_csv(admin, frm, to, "stations")
    assert sorted(column(r, "code", "station_code", "station code") for r in rows) == sorted(codes), rows
    for r in rows:
        code = column(r, "code", "station_code", "station code")
        assert int(column(r, "booked")) == tally.booked[code], r
        assert int(column(r, "cancelled")) == tally.cancelled[code], r
    zone_rows = hub.report_csv(admin, frm, to, "zones")
    # One row per zone, and perhaps a last one with the city's totals (no zone).
    per_zone = [r for r in zone_rows if column(r, "zone")]
    assert sorted(column(r, "zone") for r in per_zone) == ["Zone 1", "Zone 5"], zone_rows
    assert {column(r, "zone"): int(column(r, "booked")) for r in per_zone} == {"Zone 1": 3, "Zone 5": 2}
    totals = [r for r in zone_rows if not column(r, "zone")]
    assert len(totals) <= 1, zone_rows
    for r in totals:
        assert (int(column(r, "booked")), int(column(r, "cancelled"))) == (5, 1), r

    # Reports are for admins only.
    anonymous = hub.get("/api/v1/reports", params={"from": str(frm), "to": str(to)})
    assert anonymous.status_code == 401, anonymous.text[:300]
    anonymous_csv = hub.get("/hub/reports.csv", params={"from": str(frm), "to": str(to), "table": "stations"},
                            allow_redirects=False)
    assert anonymous_csv.status_code in (303, 401, 403), anonymous_csv.status_code
    assert "DGP" not in anonymous_csv.text

    # The public directory: every station with its next free slot, no login needed.
    def directory_complete():
        listing = hub.directory()
        if len(listing) == 3 and all(x["next_free_slot"] for x in listing):
            return listing
        return None

    listing = wait_until(directory_complete, timeout=60, interval=0.2, message="three stations with a next free slot")
    now = datetime.now(timezone.utc)
    by_code = {x["code"]: x for x in listing}
    assert set(by_code) == set(codes)
    for s in sites:
        x = by_code[s.code]
        assert (x["name"], x["zone"], x["localities"], x["booking_url"]) == (s.name, s.zone, s.localities, s.booking_url), x
        nxt = datetime.fromisoformat(x["next_free_slot"])
        assert nxt.tzinfo is not None, x
        assert now - timedelta(minutes=10) <= nxt <= now + timedelta(days=1), x
        assert x["last_seen"], x

    assert [x["code"] for x in hub.directory("karve")] == ["DGP"]
    assert [x["code"] for x in hub.directory("Kondhwa")] == ["KDW"]
    assert [x["code"] for x in hub.directory("SHV")] == ["SHV"]
    assert hub.directory("no such place anywhere") == []

    # The public page, in three languages.
    page = hub.get("/", params={"q": "karve"})
    assert page.status_code == 200
    assert dgp.name in page.text
    assert shv.name not in page.text and kdw.name not in page.text
    for lang in ("mr", "hi"):
        page = hub.get("/", params={"q": "karve", "lang": lang})
        assert page.status_code == 200
        assert parse_html(page.text).html_lang == lang
        assert dgp.name in page.text


def test_hub_outage_and_station_kill_lose_nothing(smtp, make_station, make_hub):
    hub = make_hub()
    a = site(make_station, smtp, hub, DGP)
    b = site(make_station, smtp, hub, KDW)
    codes = [a.code, b.code]
    tally = Tally()
    tally.book(a)
    tally.book(b)
    wait_for_figures(hub, hub.admin_session(), tally, codes)

    # The hub goes down; booking goes on.
    hub.stop()
    a_refs = [tally.book(a, category)["reference"] for category in ("complaint", "cyber_fraud", "lost_article", "other")]
    for category in ("complaint", "cyber_fraud", "lost_article"):
        tally.book(b, category, reason="Lost my phone on the bus.")
    tally.cancel(a, smtp, a_refs[2])
    tally.book(b)
    b.station.kill()  # right after an acknowledged booking
    b.station.start()
    tally.book(b)
    tally.book(a)

    hub.start()  # same address: the stations find it again
    admin = hub.admin_session()
    wait_for_figures(hub, admin, tally, codes)

    # Pushes are flowing now: a burst, then SIGKILL before or while it is pushed.
    for _ in range(6):
        tally.book(a)
    a.station.kill()
    a.station.start()

    # ...and a burst, then SIGKILL as soon as the hub has taken part of it (its answer may
    # still be on the way to the station, which then has to send it again).
    frm, to = tally.span()
    before = hub_figures(hub, admin, frm, to, codes)[b.code]
    for _ in range(6):
        tally.book(b)
    frm, to = tally.span()
    wait_until(
        lambda: hub_figures(hub, admin, frm, to, codes)[b.code] != before,
        timeout=60, interval=0.01, message="the hub to take part of the burst",
    )
    b.station.kill()
    b.station.start()

    wait_for_figures(hub, admin, tally, codes)
    frm, to = tally.span()
    assert_stays(
        lambda: hub_figures(hub, admin, frm, to, codes) == tally.expected(codes),
        duration=4, interval=0.25, message="the hub's figures equal the bookings",
    )
    assert tally.expected(codes) == {"DGP": (11, 1), "KDW": (12, 0)}


def test_bookings_do_not_wait_for_a_hung_hub(smtp, make_station, make_hub):
    hub = make_hub()
    a = site(make_station, smtp, hub, DGP)
    tally = Tally()
    tally.book(a)
    admin = hub.admin_session()
    wait_for_figures(hub, admin, tally, [a.code])

    def quick(call):
        started = time.monotonic()
        result = call()
        took = time.monotonic() - started
        assert took < 5, f"the station took {took:.1f} s while the hub hangs"
        return result

    hub.proc.send_signal(signal.SIGSTOP)  # connections open, nothing answers
    try:
        quick(lambda: tally.book(a))
        # The station pushes every second: keep using it while its push hangs.
        assert_stays(
            lambda: quick(lambda: a.station.get("/api/v1/station").status_code == 200),
            duration=3, interval=0.2, message="the station answers",
        )
        for _ in range(3):
            quick(lambda: tally.book(a))
    finally:
        hub.proc.send_signal(signal.SIGCONT)

    wait_for_figures(hub, admin, tally, [a.code])


def test_refusals(smtp, make_station, make_hub, tmp_path):
    hub = make_hub()
    a = site(make_station, smtp, hub, DGP)
    b = site(make_station, smtp, hub, SHV)
    codes = [a.code, b.code]
    tally = Tally()
    tally.book(a, "cyber_fraud")
    tally.book(b, "complaint")
    admin = hub.admin_session()
    wait_for_figures(hub, admin, tally, codes)
    # From here on the hub hears only from this test.
    a.station.stop()
    b.station.stop()
    cert_a, cert_b = client_cert(a.station), client_cert(b.station)
    cert_a_bytes = Path(cert_a[0]).read_bytes()

    # A used enrolment code is refused: again on the same station...
    again = enroll(a.station, hub, a.enrolment_code)
    assert again.returncode != 0, again.stdout
    assert "enrolled with" not in again.stdout
    assert re.search(r"code|refused|enrol", again.stdout + again.stderr, re.I), (again.stdout, again.stderr)
    assert "panicked" not in again.stderr
    assert Path(cert_a[0]).read_bytes() == cert_a_bytes, "a refused enrolment replaced the certificate"
    # ...and on another box claiming to be that station.
    impostor = make_station(
        station_config(smtp, station={"code": a.code, "name": a.name, "zone": a.zone}), start=False
    )
    made_up = enroll(impostor, hub, "ABCD-EFGH-JKLM-NPQR")
    assert made_up.returncode != 0, made_up.stdout
    assert "enrolled with" not in made_up.stdout
    stolen = enroll(impostor, hub, a.enrolment_code)
    assert stolen.returncode != 0, stolen.stdout
    assert "enrolled with" not in stolen.stdout
    assert (stolen.stdout + stolen.stderr).strip()
    assert not (impostor.data / "federation" / "client.pem").exists()

    # The station's own certificate still works; a re-sent message is harmless, a different
    # one under the same number is refused.
    n = expected_seq(hub, a.code, cert_a)
    hb = heartbeat(1)
    first = hub.push(push_text(a.code, [(n, hb, None)]), cert_a)
    assert first.status_code == 200, first.text
    assert first.json() == {"acked": n}
    resent = hub.push(push_text(a.code, [(n, hb, None)]), cert_a)
    assert resent.status_code == 200, resent.text
    assert resent.json() == {"acked": n}
    replayed = hub.push(push_text(a.code, [(n, heartbeat(2), None)]), cert_a)
    assert replayed.status_code == 409, replayed.text
    assert error_of(replayed).get("code") == "replayed", replayed.text
    gap = hub.push(push_text(a.code, [(n + 2, heartbeat(3), None)]), cert_a)
    assert gap.status_code == 409, gap.text
    assert error_of(gap).get("code") == "gap", gap.text
    assert expected_seq(hub, a.code, cert_a) == n + 1

    # No certificate, or one the hub never issued (even naming the station): 401.
    bare = hub.push(push_text(a.code, [(n + 1, heartbeat(4), None)]), None)
    assert bare.status_code == 401, bare.text
    foreign = hub.push(push_text(a.code, [(n + 1, heartbeat(5), None)]), make_foreign_cert(tmp_path, a.code))
    assert foreign.status_code == 401, foreign.text

    # A message whose body does not match its digest: 400, and nothing changes.
    frm, to = tally.span()
    before = report_stations(hub.reports(admin, frm, to))

    def daily(officer_id: int, booked: int) -> str:
        return compact({
            "kind": "daily", "date": str(frm), "officer_id": officer_id, "offered": 288, "booked": booked,
            "completed": 0, "no_show": 0, "cancelled": 0, "wait_seconds_sum": 0, "wait_count": 0,
            "call_seconds_sum": 0, "call_count": 0, "reasons": {"cyber_fraud": booked},
        })

    honest, forged = daily(a.officer.id, 1), daily(a.officer.id, 999)
    tampered = hub.push(push_text(a.code, [(n + 1, forged, sha256_hex(honest))]), cert_a)
    assert tampered.status_code == 400, tampered.text
    assert error_of(tampered).get("code") == "tampered", tampered.text
    assert expected_seq(hub, a.code, cert_a) == n + 1

    # Station A's certificate speaking for station B: 403, and B is untouched.
    m = expected_seq(hub, b.code, cert_b)
    posing = hub.push(push_text(b.code, [(m, daily(b.officer.id, 999), None)]), cert_a)
    assert posing.status_code == 403, posing.text
    assert expected_seq(hub, b.code, cert_b) == m
    assert expected_seq(hub, a.code, cert_a) == n + 1

    after = report_stations(hub.reports(admin, frm, to))
    for code in codes:
        assert (after[code]["booked"], after[code]["reasons"]) == (before[code]["booked"], before[code]["reasons"])
    assert (after["DGP"]["booked"], after["SHV"]["booked"]) == (1, 1)

    # A revoked station's certificate: 403.
    hub.revoke_station(b.code)
    revoked = hub.push(push_text(b.code, [(m, heartbeat(6), None)]), cert_b)
    assert revoked.status_code == 403, revoked.text
    # ...while A goes on being heard.
    fine = hub.push(push_text(a.code, [(n + 1, heartbeat(7), None)]), cert_a)
    assert fine.status_code == 200 and fine.json() == {"acked": n + 1}, fine.text


def test_a_different_body_under_an_older_seq_is_refused(smtp, make_station, make_hub):
    """docs/federation.md: the hub "refuses a different body under an old seq (409
    replayed)", not only under the last one."""
    hub = make_hub()
    a = site(make_station, smtp, hub, DGP)
    tally = Tally()
    tally.book(a)
    wait_for_figures(hub, hub.admin_session(), tally, [a.code])
    a.station.stop()
    cert = client_cert(a.station)
    n = expected_seq(hub, a.code, cert)
    older, newer = heartbeat(1), heartbeat(2)
    for seq, body in ((n, older), (n + 1, newer)):
        r = hub.push(push_text(a.code, [(seq, body, None)]), cert)
        assert r.status_code == 200 and r.json() == {"acked": seq}, r.text

    same = hub.push(push_text(a.code, [(n, older, None)]), cert)
    swapped = hub.push(push_text(a.code, [(n, heartbeat(3), None)]), cert)

    assert same.status_code == 200 and same.json() == {"acked": n + 1}, same.text
    assert swapped.status_code == 409, swapped.text
    assert error_of(swapped).get("code") == "replayed", swapped.text
    assert expected_seq(hub, a.code, cert) == n + 2


# --------------------------------------------------------------------------------------------


def rare_word(n: int = 10) -> str:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n))


def scan(paths: list[Path], needles: list[str]) -> dict[str, list[str]]:
    """needle -> files (under `paths`, recursively) whose bytes contain it, case-insensitively."""
    found: dict[str, list[str]] = {}
    for root in paths:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for f in files:
            try:
                blob = f.read_bytes().lower()
            except FileNotFoundError:  # e.g. a -shm or -journal file that just went away
                continue
            for needle in needles:
                if needle.lower().encode() in blob:
                    found.setdefault(needle, []).append(str(f))
    return found


def test_no_personal_data_reaches_the_hub(smtp, make_station, make_hub):
    hub = make_hub()
    s = site(make_station, smtp, hub, DGP)
    st = s.station
    tally = Tally()
    needles: list[str] = []
    bookings = []
    for category in ("cyber_fraud", "domestic_violence", "lost_article"):
        first, last, word = rare_word().capitalize(), rare_word().capitalize(), rare_word()
        local = f"{rare_word(8)}.{rare_word(6)}"
        who = f"{local}@example.test"
        mobile = "9" + "".join(random.choice(string.digits) for _ in range(9))
        reason = f"My {word} scooter was taken near Vetal Tekdi"
        booked = tally.book(
            s, category, email_addr=who, name=f"{first} {last}", mobile=mobile, reason=reason
        )
        link = mail_link(smtp.booking_mail(who).msg)
        bookings.append(booked)
        needles += [f"{first} {last}", first, last, who, local, mobile, reason, word, booked["reference"], link]

    # The officer writes a note and an outcome in the console.
    console = st.login(s.officer)
    ref = bookings[0]["reference"]
    appointment = st.appointment_id(console, ref, bookings[0]["start"][:10])
    detail_url = st.url(f"/officer/appointments/{appointment}")
    page = console.get(detail_url).text
    note_word = rare_word(12)
    note = f"Complainant says neighbour {note_word} saw the thief"
    r_note = console.post(f"{detail_url}/notes", data={"csrf": csrf_of(page), "body": note})
    assert r_note.status_code < 400, r_note.text[:300]
    r_outcome = console.post(f"{detail_url}/outcome", data={"csrf": csrf_of(page), "outcome": "fir_registered"})
    assert r_outcome.status_code < 400, r_outcome.text[:300]
    needles += [note, note_word, s.officer.email, s.officer.password]

    # Everything, up to the outcome (after the note), has reached the hub.
    admin = hub.admin_session()
    wait_for_figures(hub, admin, tally, [s.code])
    frm, to = tally.span()
    wait_until(
        lambda: report_stations(hub.reports(admin, frm, to))[s.code]["completed"] == 1,
        timeout=60, interval=0.2, message="the outcome to reach the hub",
    )

    # The scan works: the station itself holds the names, emails and mobiles in clear (the
    # reasons and the note it keeps sealed, so they are no test of the scan).
    at_station = scan([st.data], needles)
    for needle in (bookings[0]["reference"], needles[0], needles[3], needles[5]):
        assert needle in at_station, f"{needle!r} not found in the station's own data: the scan is broken"

    # What the hub serves.
    served = [
        hub.get("/api/v1/stations").text,
        hub.get("/", params={"q": "deccan"}).text,
        admin.get(hub.url("/api/v1/reports"), params={"from": str(frm), "to": str(to)}).text,
        admin.get(hub.url("/hub/reports.csv"), params={"from": str(frm), "to": str(to), "table": "stations"}).text,
        admin.get(hub.url("/hub")).text,
    ]
    for text in served:
        leaked = [n for n in needles if n.lower() in text.lower()]
        assert not leaked, f"the hub serves {leaked}"

    # What the hub keeps: its data (database, WAL, everything) and its logs, running and stopped.
    logs = sorted(hub.log_dir.glob("stderr.*.log"))
    running = scan([hub.data, *logs], needles)
    assert not running, f"personal data in the hub's files: {running}"
    hub.stop()
    stopped = scan([hub.data, *logs], needles)
    assert not stopped, f"personal data in the hub's files: {stopped}"
    assert list(hub.data.rglob("*")), "the hub's data dir is empty"

