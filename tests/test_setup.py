"""Set-up mode: a new box serves only its set-up page, only to the LAN, only to someone with
the one-time code; set-up in the browser opens the booking site and the set-up page is gone.
A first admin made from the command line ends set-up mode as well."""

import html
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import requests

from conftest import (
    ALL_DAY,
    BIN,
    Officer,
    citizen_email,
    csrf_of,
    location_path,
    mail_text,
    new_session,
    wait_until,
)
from hubkit import FAST_PUSH, make_hub  # noqa: F401 (a fixture)
from test_discovery import Lan, Lines

STATION = {
    "name": "Kothrud Police Station",
    "code": "KTD",
    "zone": "Zone 3",
    "time_zone": "Asia/Kolkata",
    "phone": "020 2538 1234",
    "address": "Paud Road, Kothrud, Pune 411038",
}


def setup_fields(code: str, smtp_port: int) -> dict:
    """What a person types into the set-up page's text fields, by field id."""
    return {
        "setup_code": code,
        **STATION,
        "admin_name": "Vijay Patil",
        "admin_email": "spi.kothrud@police.example",
        "password": "a long password 1",
        "password2": "a long password 1",
        "relay_host": "127.0.0.1",
        "relay_port": str(smtp_port),
    }


def setup_code(st) -> str:
    """The code as the IT person reads it: from the file the box names on its console."""
    line = next(l for l in st.lines if "not set up yet" in l)
    path = re.search(r"\(kept in (\S+)\)", line).group(1)
    code = Path(path).read_text().strip()
    assert code in line, "the console shows the code from the file"
    return code


def setup_form(st, session: requests.Session) -> str:
    page = session.get(st.url("/setup"), timeout=30)
    assert page.status_code == 200, page.text[:500]
    assert 'name="setup_code"' in page.text
    return csrf_of(page.text)


def test_a_new_box_serves_only_its_set_up_page(make_station):
    st = make_station(None)

    for path in ("/", "/officer", "/officer/login", "/a/whatever/join"):
        r = st.get(path, allow_redirects=False)
        assert r.status_code == 303, (path, r.status_code)
        assert location_path(r) == "/setup", (path, r.headers.get("Location"))
    # The API and the browser's own files get a plain answer, never the form.
    for path in ("/api/v1/station", "/robots.txt"):
        r = st.get(path, allow_redirects=False)
        assert r.status_code == 503, (path, r.status_code)
    page = st.get("/setup")
    assert page.status_code == 200
    assert "Set up this V-Appointment box" in page.text
    # Styles still load, so the page looks right.
    assert st.get("/static/site.css").status_code == 200
    code = setup_code(st)
    assert len(re.sub(r"\D", "", code)) == 12
    assert (st.data / "setup-code").read_text().strip() == code


def test_set_up_in_the_browser_opens_the_booking_site(make_station, smtp):
    st = make_station(None)
    code = setup_code(st)
    browser = new_session()
    fields = {
        **STATION,
        "admin_name": "Vijay Patil",
        "admin_rank": "Senior Police Inspector",
        "admin_email": "spi.kothrud@police.example",
        "password": "a long password 1",
        "password2": "a long password 1",
        "takes_appointments": "yes",
        "public_host": "ktd.punepolice.example",
        "mail_from": "Kothrud Police <noreply@ktd.police.example>",
        "relay_host": "127.0.0.1",
        "relay_port": str(smtp.port),
        "relay_security": "none",
        "relay_username": "",
        "relay_password": "",
        "hub_url": "",
        "hub_code": "",
    }

    # A wrong code is refused and sets nothing up; what was typed (but no password) comes back.
    wrong = browser.post(
        st.url("/setup"), data={**fields, "csrf": setup_form(st, browser), "setup_code": "1111 2222 3333"},
        timeout=30,
    )
    assert wrong.status_code == 403
    assert "not this box's set-up code" in html.unescape(wrong.text)
    assert 'value="Kothrud Police Station"' in wrong.text
    assert "a long password 1" not in wrong.text
    assert st.get("/", allow_redirects=False).status_code == 303
    # So is a form without its cookie (a page from another site posting here).
    forged = requests.post(
        st.url("/setup"), data={**fields, "csrf": "x", "setup_code": code}, verify=False, timeout=30
    )
    assert forged.status_code == 403
    assert st.get("/", allow_redirects=False).status_code == 303

    # Typed with dashes instead of spaces, the right code sets the box up.
    dashed = code.replace(" ", "-")
    done = browser.post(
        st.url("/setup"), data={**fields, "csrf": setup_form(st, browser), "setup_code": dashed}, timeout=30
    )
    assert done.status_code == 200, done.text[:1000]
    assert "Kothrud Police Station is set up" in done.text
    assert "https://ktd.punepolice.example/" in html.unescape(done.text)

    # The set-up page is gone, for this browser and any other; the booking site is live.
    assert st.get("/setup").status_code == 404
    again = browser.post(st.url("/setup"), data={**fields, "setup_code": code}, timeout=30)
    assert again.status_code == 404
    home = st.get("/")
    assert home.status_code == 200
    assert "Kothrud Police Station" in home.text
    assert STATION["phone"] in home.text and STATION["address"] in home.text
    info = st.get("/api/v1/station").json()
    assert (info["name"], info["code"], info["zone"]) == ("Kothrud Police Station", "KTD", "Zone 3")
    assert [o["name"] for o in info["officers"]] == ["Vijay Patil"]

    # The admin logs in with what they chose and sees the relay set at set-up.
    admin = Officer(info["officers"][0]["id"], "Vijay Patil", "Senior Police Inspector",
                    fields["admin_email"], fields["password"], True)
    console = st.login(admin)
    station_page = console.get(st.url("/officer/station"), timeout=30)
    assert station_page.status_code == 200
    assert f"127.0.0.1:{smtp.port}" in station_page.text

    # A citizen books; the token mail goes through the relay set at set-up, from its sender,
    # with links on the public host name.
    officer = st.add_officer(name="PSI Anita Shinde", hours=ALL_DAY)
    slot = st.free_slot(officer.id)
    who = citizen_email()
    st.book_ok(officer.id, slot["start"], who)
    mail = smtp.booking_mail(who)
    assert "noreply@ktd.police.example" in mail.msg["From"]
    assert "https://ktd.punepolice.example/a/" in mail_text(mail.msg)
    assert "In an emergency call 112." in mail_text(mail.msg)
    assert STATION["phone"] in mail_text(mail.msg)

    # After a restart (a power cut) the box is still set up, with the same settings.
    st.kill()
    before = len(st.lines)
    st.start()
    # The set-up line comes before the listening lines, which `start` waited for.
    assert not any("not set up yet" in l for l in st.lines[before:])
    assert st.get("/setup").status_code == 404
    assert st.get("/api/v1/station").json()["code"] == "KTD"


def test_a_bad_set_up_form_is_explained_and_changes_nothing(make_station):
    st = make_station(None)
    code = setup_code(st)
    browser = new_session()
    base = {
        **STATION,
        "admin_name": "Vijay Patil",
        "admin_rank": "PI",
        "admin_email": "spi@police.example",
        "password": "a long password 1",
        "password2": "a long password 1",
        "takes_appointments": "yes",
        "setup_code": code,
    }
    cases = [
        ({"code": "K T D"}, "station code"),
        ({"time_zone": "Mars/Olympus"}, "time zone"),
        ({"password2": "another password"}, "not the same"),
        ({"password": "short", "password2": "short"}, "at least 10"),
        ({"admin_email": "nobody"}, "not an email"),
        ({"relay_host": "smtp.example.in", "relay_security": "none"}, "only for a relay on this machine"),
        ({"public_host": "http://ktd.example"}, "HTTPS"),
        ({"hub_url": "https://hub.example"}, "both"),
        ({"phone": "call the station"}, "phone number"),
        ({"phone": ""}, "phone number"),
        ({"address": ""}, "address"),
        ({"takes_appointments": ""}, "take appointments"),
    ]
    for change, message in cases:
        r = browser.post(st.url("/setup"), data={**base, **change, "csrf": setup_form(st, browser)}, timeout=30)
        assert r.status_code == 400, (change, r.status_code)
        assert message in html.unescape(r.text), (change, message)
    assert st.get("/", allow_redirects=False).status_code == 303
    assert st.get("/setup").status_code == 200


def test_an_admin_from_the_command_line_ends_set_up_mode(make_station):
    st = make_station(None)
    assert st.get("/", allow_redirects=False).status_code == 303
    # A plain officer does not: set-up needs someone who can manage the station.
    st.add_officer(name="PSI Plain")
    assert st.get("/", allow_redirects=False).status_code == 303

    st.add_officer(name="PI Admin", admin=True)
    wait_until(lambda: st.get("/", allow_redirects=False).status_code == 200, message="site opens")
    assert st.get("/setup").status_code == 404


HELLO = """
import ssl, sys, urllib.request
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for path in sys.argv[2:]:
    req = urllib.request.Request(sys.argv[1] + path, method="GET")
    try:
        r = urllib.request.urlopen(req, context=ctx, timeout=20)
        print(path, r.status, r.read().decode()[:4000].replace("\\n", " "))
    except urllib.error.HTTPError as e:
        print(path, e.code, e.read().decode()[:4000].replace("\\n", " "))
"""


def test_set_up_is_refused_from_outside_the_lan(tmp_path):
    # Two namespaces with public (documentation) addresses: to the box, the client is the
    # internet, as it is when the router already forwards port 443.
    lan = Lan(box_ip="198.51.100.1", client_ip="198.51.100.2")
    try:
        lan.setup()
        data = tmp_path / "data"
        log = open(tmp_path / "stderr.log", "wb")
        proc = lan.popen(
            lan.box, str(BIN), "station", "--data", str(data),
            "--https-addr", "0.0.0.0:8443", "--http-addr", "0.0.0.0:8080",
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True, bufsize=1,
        )
        log.close()
        Lines(proc).wait_for(r"^vappoint: https listening on 0\.0\.0\.0:8443$")
        done = lan.run_in(lan.client, sys.executable, "-c", HELLO, "https://198.51.100.1:8443",
                          "/", "/setup", "/api/v1/station")
        assert done.returncode == 0, done.stderr
        answers = {line.split(" ", 2)[0]: line.split(" ", 2)[1:] for line in done.stdout.splitlines()}
        for path in ("/", "/setup", "/api/v1/station"):
            status, body = answers[path]
            assert status == "503", (path, status)
            assert "not open yet" in body, body
            assert "setup_code" not in body
    finally:
        lan.teardown()


def test_the_admin_changes_relay_and_address_later_without_a_restart(make_station, smtp):
    st = make_station(None, start=False)
    admin = st.add_officer(name="PI Admin", admin=True, hours=ALL_DAY)
    st.start()
    # No relay yet: a booking's mail waits in the spool folder.
    first = citizen_email()
    st.book_ok(admin.id, st.free_slot(admin.id)["start"], first)
    wait_until(lambda: any(first in p.read_text(errors="replace") for p in (st.data / "spool").glob("*.eml")),
               message="mail spooled")

    console = st.login(admin)
    page = console.get(st.url("/officer/station"), timeout=30)
    settings = {
        "csrf": csrf_of(page.text),
        "public_host": "https://ktd.punepolice.example/",
        "mail_from": "Kothrud Police <noreply@ktd.police.example>",
        "relay_host": "127.0.0.1",
        "relay_port": str(smtp.port),
        "relay_security": "none",
        "relay_username": "",
        "relay_password": "",
    }
    bad = console.post(st.url("/officer/station/delivery"), data={**settings, "relay_port": "99999"}, timeout=30)
    assert bad.status_code == 400
    assert "not a number from 1 to 65535" in html.unescape(bad.text)
    saved = console.post(st.url("/officer/station/delivery"), data=settings, timeout=30)
    assert saved.status_code == 200, saved.text[:500]
    assert "Saved." in saved.text

    # The next booking's mail goes through the new relay, with links on the new address.
    second = citizen_email()
    st.book_ok(admin.id, st.free_slot(admin.id, after=timedelta(hours=1))["start"], second)
    mail = smtp.booking_mail(second)
    assert "noreply@ktd.police.example" in mail.msg["From"]
    assert "https://ktd.punepolice.example/a/" in mail_text(mail.msg)


def test_set_up_with_a_hub_code_enrols_the_station(make_station, make_hub):
    hub = make_hub()
    enrolment = hub.add_station("KTD", "Kothrud Police Station", "Zone 3", "https://ktd.punepolice.example")
    st = make_station({"federation": dict(FAST_PUSH)})
    browser = new_session()
    done = browser.post(st.url("/setup"), timeout=60, data={
        **STATION,
        "csrf": setup_form(st, browser),
        "setup_code": setup_code(st),
        "admin_name": "Vijay Patil",
        "admin_rank": "PI",
        "admin_email": "spi@ktd.example",
        "password": "a long password 1",
        "password2": "a long password 1",
        "takes_appointments": "yes",
        "hub_url": hub.url_base,
        "hub_code": enrolment,
    })
    assert done.status_code == 200, done.text[:1000]
    assert "Enrolled with the hub" in done.text
    # The hub hears from the station: it is listed with the time it was last seen.
    listed = wait_until(
        lambda: [x for x in hub.directory() if x["code"] == "KTD" and x["last_seen"]],
        timeout=60, message="the hub to hear from the new station",
    )
    assert listed[0]["name"] == "Kothrud Police Station"
