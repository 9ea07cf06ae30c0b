"""Reachable from the internet, across real hosts (tests/netlab.py): a station reached
directly gets a certificate from Pebble (TLS-ALPN-01 and HTTP-01); a station behind NAT with no
inbound port is reached through the hub's SNI relay, with its own Pebble certificate, and a
citizen behind another NAT books, joins and talks to the officer over TURN.

Everything runs in network namespaces made by the test; nothing leaves them. One lab (Pebble,
DNS, coturn, two NAT routers) serves the whole file.
"""

from __future__ import annotations

import hashlib
import re
import ssl
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from browser import admit, data_state, join
from conftest import ALL_DAY, LINK_RE, STATION_TZ, mail_reference, mail_text, mail_token, unique, wait_until
from netlab import (
    ACME_DIRECTORY,
    DIRECT_IPS,
    DOMAIN,
    HUB_HOST,
    HUB_IP,
    RT_ST_WAN,
    STATION_IP,
    TURN_HOST,
    Netlab,
)

CERT_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with Netlab(tmp_path_factory.mktemp("netlab")) as lab:
        yield lab


@pytest.fixture(autouse=True)
def lab_report(request, lab):
    """When a test fails, the tails of every log of the lab go with it."""
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(lab.report())


def acme_config(lab: Netlab, **extra) -> dict:
    return {"directory": ACME_DIRECTORY, "contact": "mailto:it@punepolice.example",
            "ca_file": str(lab.acme_ca_path), **extra}


def station_toml(lab: Netlab, code: str, public: dict, **sections) -> dict:
    """A station with no mail relay (mail goes to its spool, where the test reads it)."""
    config = {
        "station": {"name": f"Station {code}", "code": code, "zone": "Zone 1", "time_zone": STATION_TZ},
        "mail": {"from": f"V-Appointment <noreply@{code.lower()}.example>"},
        "public": public,
        "acme": acme_config(lab),
    }
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    return config


def add_officer(box, name: str = "PI Meera Deshpande") -> tuple[str, str]:
    email, password = f"{unique('officer')}@police.example", f"pw-{unique()}"
    done = box.cli("officer", "add", "--name", name, "--rank", "PI", "--email", email, "--admin",
                   "--password-stdin", "--hours", ALL_DAY, "--slot-minutes", "5", stdin=password + "\n")
    assert done.returncode == 0, f"officer add failed: {done.stdout}\n{done.stderr}"
    return email, password


def trusted_cert(lab: Netlab, ip: str, host: str, timeout: float = CERT_TIMEOUT) -> dict:
    """Waits until a client in the citizen's LAN, trusting only Pebble's root, is served a
    certificate for `host` at ip:443; returns what it saw."""
    seen = {}

    def issued():
        seen["last"] = lab.tls_probe(lab.citizen, ip, 443, host)
        return seen["last"] if "error" not in seen["last"] else None

    try:
        return wait_until(issued, timeout=timeout, interval=0.5, message=f"a trusted certificate for {host}")
    except pytest.fail.Exception:
        pytest.fail(f"no trusted certificate for {host} at {ip} within {timeout}s; last: {seen.get('last')}")


def acme_cert_sha256(box) -> str:
    """The SHA-256 of the leaf of the ACME certificate the box keeps (DATA/tls/acme/cert.pem)."""
    chain = (box.data / "tls" / "acme" / "cert.pem").read_text()
    leaf = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", chain, re.S)
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(leaf.group(0))).hexdigest()


def page_ok(b, url: str, css: str):
    """Opens `url` and waits for `css`: an interstitial ("Your connection is not private") or
    a network error never has the station's elements."""
    b.driver.get(url)
    found = wait_until(lambda: b.driver.find_elements(By.CSS_SELECTOR, css), timeout=20,
                       message=f"{css} on {url} (now at {b.driver.current_url})")
    assert b.driver.current_url.startswith(url), b.driver.current_url
    return found


# --------------------------------------------------------------------------------------------
# The citizen's and the officer's steps, as a person takes them in the browser


def book_in_browser(b, base: str, email: str):
    """From the station's home page: the first free time a few minutes away, the form filled
    in and sent; waits for the confirmation page (the reference is in the mail)."""
    page_ok(b, base + "/", "ul.slots a")
    soon = datetime.now(timezone.utc) + timedelta(minutes=2)
    for a in b.driver.find_elements(By.CSS_SELECTOR, "ul.slots a"):
        start = parse_qs(urlparse(a.get_attribute("href")).query)["start"][0]
        if datetime.fromisoformat(start) >= soon:
            a.click()
            break
    else:
        pytest.fail("no free time on the home page a few minutes ahead")
    wait_until(lambda: b.driver.find_elements(By.CSS_SELECTOR, "form[action='/book']"), timeout=15,
               message="the booking form")
    fields = {"name": "Asha Kulkarni", "email": email, "mobile": "+91 98220 12345",
              "reason_category": "complaint", "reason": "My bicycle was stolen near the bus stop."}
    for field_id, value in fields.items():
        el = b.driver.find_element(By.ID, field_id)
        if el.tag_name == "select":
            Select(el).select_by_value(value)
        else:
            el.clear()
            el.send_keys(value)
    b.driver.find_element(By.CSS_SELECTOR, "form[action='/book'] button[type=submit]").click()

    def confirmed():
        try:
            found = b.driver.find_elements(By.CSS_SELECTOR, "p.sent")
            return bool(found) and email in found[0].text
        except WebDriverException:
            return False  # the next page is still loading

    wait_until(confirmed, timeout=30, message="the confirmation page")


def mail_to(box, email: str):
    """The booking mail to `email` in the station's spool."""

    def found():
        for msg in box.spooled_mails():
            if email.lower() in str(msg["To"]).lower() and mail_token(msg):
                return msg
        return None

    return wait_until(found, timeout=30, interval=0.2, message=f"the booking mail to {email} in the spool")


def decoding(b):
    s = b.stats()
    return s if s and s["framesDecoded"] > 0 and s["audioPackets"] > 0 else None


# --------------------------------------------------------------------------------------------
# Direct: the router forwards the ports; the box gets its own certificate


def test_a_station_reached_directly_gets_its_certificate_over_both_challenges(lab):
    stations = []
    # Names of their own: the relay test below relays dgp.v.test.
    for code, ip, challenge in (("KTR", DIRECT_IPS[0], "tls-alpn-01"), ("SHV", DIRECT_IPS[1], "http-01")):
        host = f"{code.lower()}.{DOMAIN}"
        lab.set_a(host, ip)
        config = station_toml(lab, code, {"mode": "direct", "host": host},
                              acme={"challenge": challenge}, calls={"bind_ips": [ip], "udp_ports": "40000-40009"})
        box = lab.box(lab.inet, "station", f"direct-{code.lower()}", ip, config, start=False)
        add_officer(box)
        box.start()
        stations.append((box, host, ip))

    citizen = lab.browser(lab.citizen)
    for box, host, ip in stations:
        seen = trusted_cert(lab, ip, host)
        assert seen["issuer"].startswith("Pebble"), seen
        assert host in seen["names"], seen
        assert seen["sha256"] == acme_cert_sha256(box), "the served certificate is not the box's own"
        # The citizen's Chromium, trusting only what its NSS database holds, opens the site.
        page_ok(citizen, f"https://{host}/", "ul.slots")
        # The LAN keeps the self-signed certificate: an address is no name Pebble issues for.
        assert "error" in lab.tls_probe(lab.citizen, ip, 443, None), "an address got a trusted certificate"
    for box, host, _ in stations:
        box.stop()
        lab.clear_a(host)


# --------------------------------------------------------------------------------------------
# Relay: the station behind NAT, reached through the hub, called over TURN


def test_a_station_behind_nat_is_booked_and_called_through_the_relay_over_turn(lab):
    hub = lab.box(lab.inet, "hub", "hub", HUB_IP, {
        "hub": {"name": "Pune City Police", "stale_after": "1h"},
        "public": {"host": HUB_HOST},
        "acme": acme_config(lab),
        "relay": {"domain": DOMAIN},
        "turn": {"urls": [f"turn:{TURN_HOST}:3478?transport=udp"], "secret": lab.turn_secret},
    })
    code, host = "DGP", f"dgp.{DOMAIN}"
    done = hub.cli("hub", "add-station", "--code", code, "--name", "Deccan Gymkhana Police Station",
                   "--zone", "Zone 1", "--url", f"https://{host}")
    assert done.returncode == 0, f"hub add-station: {done.stdout}\n{done.stderr}"
    enrolment = re.search(r"([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})\s*$", done.stdout.strip()).group(1)

    station = lab.box(lab.stationlan, "station", "relayed-dgp", STATION_IP,
                      station_toml(lab, code, {"mode": "relay"},
                                   calls={"bind_ips": [STATION_IP], "udp_ports": "40000-40019", "grace": "3s"},
                                   # TURN credentials come with the pushes: the first within a second.
                                   federation={"push_interval": "1s", "retry_max": "2s"}),
                      start=False)
    officer_email, officer_password = add_officer(station)
    done = station.cli("station", "enroll", "--hub", f"https://{HUB_HOST}", "--code", enrolment,
                       "--config", str(station.config_path), in_ns=True)
    assert done.returncode == 0, f"station enroll: {done.stdout}\n{done.stderr}"
    station.start()

    # No inbound path to the station: its LAN is private and its router forwards nothing.
    assert not lab.tcp_connects(lab.citizen, STATION_IP, 443)
    assert not lab.tcp_connects(lab.inet, RT_ST_WAN, 443)

    # Pebble validated the name through the relay; the citizen is served the station's own
    # certificate (TLS ends on the box), not the hub's.
    seen = trusted_cert(lab, HUB_IP, host)
    assert seen["issuer"].startswith("Pebble") and host in seen["names"], seen
    assert seen["sha256"] == acme_cert_sha256(station), "the citizen is not served the station's certificate"
    # The hub's address alone (no name), its own name or a name no station has never
    # reach the station.
    for name in (None, HUB_HOST, f"nobody.{DOMAIN}"):
        other = lab.tls_probe(lab.citizen, HUB_IP, 443, name, trust_pebble=False)
        assert other.get("sha256") != seen["sha256"], f"SNI {name!r} reached the station"

    # The citizen, behind the other NAT, books with the form, as a person would.
    base = f"https://{host}"
    citizen = lab.browser(lab.citizen)
    who = f"{unique('citizen')}@example.test"
    book_in_browser(citizen, base, who)
    mail = mail_to(station, who)
    reference = mail_reference(mail)
    assert reference in mail_text(mail)
    token = mail_token(mail)
    links = set(re.findall(rf"{re.escape(base)}/a/({LINK_RE})(?![a-z2-7])", mail_text(mail)))
    assert len(links) == 1, f"the mail links to the station's public name once: {mail_text(mail)}"
    link = links.pop()

    # The hub carried the booking without reading it: nothing the citizen typed is in its
    # data or its log.
    for path in [hub.stderr_path, *(p for p in hub.data.rglob("*") if p.is_file())]:
        content = path.read_bytes()
        assert who.encode() not in content and reference.encode() not in content, f"the hub has the booking in {path}"

    join(citizen, base, link, token)
    desk = lab.browser(lab.stationlan, insecure=True)
    admit(desk, f"https://{STATION_IP}", officer_email, officer_password, reference)

    try:
        wait_until(lambda: decoding(citizen), timeout=60, interval=0.5, message="the citizen decoding the officer's video")
        wait_until(lambda: decoding(desk), timeout=60, interval=0.5, message="the officer decoding the citizen's video")
    except pytest.fail.Exception as e:
        pytest.fail(f"{e}\ncitizen: {citizen.ice_report()}\nofficer: {desk.ice_report()}")
    assert data_state(citizen, "call") == "call"
    pair = wait_until(citizen.selected_pair, timeout=10, message="the citizen's selected candidate pair")
    assert "relay" in (pair["local"]["type"], pair["remote"]["type"]), f"the media does not go through TURN: {pair}"
