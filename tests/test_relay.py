"""The hub as an SNI relay (issue 10), on loopback: stations in relay mode keep a tunnel to the
hub; a client that connects to the hub's HTTPS port asking for `<code>.v.test` talks TLS with
that station's own certificate (the hub never decrypts), books through it, and is seen by the
station under its own address. Unknown, revoked and foreign names never reach a station.

Names are given as SNI (`server_hostname`) and Host header on connections to 127.0.0.1, so no
DNS is needed; a citizen's own address is a loopback source address of its own (127.0.0.x).
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import threading

import requests
from requests.adapters import HTTPAdapter

from conftest import ALL_DAY, citizen_email, new_session, station_config, unique, wait_until
from hubkit import FAST_PUSH, HUB_CONFIG, SHORT_CUTOFF, client_cert, enroll_ok, make_foreign_cert, make_hub  # noqa: F401 (a fixture)

DOMAIN = "v.test"
NO_STATION = "No station answers at this address"


# --------------------------------------------------------------------------------------------
# Talking to a name through the hub


def cert_sha256(path) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(path.read_text())).hexdigest()


def presented(hub, name: str | None, source: str = "127.0.0.1", timeout: float = 10) -> str | None:
    """SHA-256 of the certificate the hub's port presents for `name`; None if it fails."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", hub.https_port), timeout=timeout, source_address=(source, 0)) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()
    except OSError:
        return None


class Named(HTTPAdapter):
    """Connects to the hub's address but asks for `name` (SNI), from `source`."""

    def __init__(self, name: str, source: str):
        self.name, self.source = name, source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["server_hostname"] = self.name
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Through:
    """A citizen reaching `name` through the hub, from loopback address `source`."""

    def __init__(self, hub, name: str, source: str = "127.0.0.1"):
        self.hub, self.name = hub, name
        self.s = new_session()
        self.s.mount("https://", Named(name, source))
        self.s.headers["Host"] = name

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.hub.https_port}{path}"

    def get(self, path: str, **kw) -> requests.Response:
        return self.s.get(self.url(path), timeout=30, **kw)

    def book(self, officer_id: int, start: str) -> requests.Response:
        fields = {
            "officer_id": str(officer_id), "start": start, "name": "Asha Patil", "email": citizen_email(),
            "mobile": "9876543210", "reason_category": "complaint", "reason": "My bicycle was stolen.",
        }
        return self.s.post(self.url("/api/v1/appointments"), files=[(k, (None, v)) for k, v in fields.items()], timeout=60)

    def free_starts(self, officer_id: int) -> list[str]:
        day = self.get("/api/v1/station").json()
        assert "time_zone" in day, day
        out = []
        from datetime import date, timedelta

        for i in range(2):
            r = self.get(f"/api/v1/officers/{officer_id}/slots", params={"date": str(date.today() + timedelta(days=i))})
            assert r.status_code == 200, r.text
            out += [s["start"] for s in r.json()["slots"] if s["free"]]
        return out[2:]  # the first ones may be too close to now


def upgrade(hub, cert) -> tuple[ssl.SSLSocket, int]:
    """Asks for a tunnel by hand (the raw HTTP/1.1 upgrade), with `cert` or none: the
    connection and the answer's status."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    if cert is not None:
        ctx.load_cert_chain(*cert)
    raw = socket.create_connection(("127.0.0.1", hub.https_port), timeout=10)
    tls = ctx.wrap_socket(raw)
    tls.sendall(
        b"GET /federation/v1/tunnel HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: upgrade\r\n"
        b"Upgrade: vappoint-tunnel/1\r\n\r\n"
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = tls.recv(4096)
        assert chunk, head
        head += chunk
    m = re.match(rb"HTTP/1\.1 (\d{3})", head)
    assert m, head
    return tls, int(m.group(1))


def tunnel_request(hub, cert) -> int:
    tls, status = upgrade(hub, cert)
    tls.close()
    return status


def open_tunnel(hub, cert) -> ssl.SSLSocket:
    tls, status = upgrade(hub, cert)
    assert status == 101, status
    return tls


# --------------------------------------------------------------------------------------------
# Stations in relay mode


def relayed_station(make_station, smtp, hub, code: str, name: str, limits: dict | None = None):
    config = station_config(
        smtp,
        station={"name": name, "code": code, "zone": "Zone 1"},
        federation=dict(FAST_PUSH),
        booking=dict(SHORT_CUTOFF),
        public={"mode": "relay"},
        limits=limits or {},
    )
    st = make_station(config, start=False)
    st.add_officer(name=f"PI {unique('Officer')}", rank="PI", admin=True, hours=ALL_DAY, slot_minutes=5)
    enrolment = hub.add_station(code, name, "Zone 1", f"https://{code.lower()}.lan.example")
    enroll_ok(st, hub, enrolment, code)
    st.start()
    return st


def wait_relayed(hub, name: str, station, timeout: float = 30.0):
    want = cert_sha256(station.data / "tls" / "cert.pem")
    wait_until(lambda: presented(hub, name) == want, timeout=timeout, interval=0.2,
               message=f"{name} to answer with its station's certificate")


def test_the_hub_relays_each_station_name_to_that_station_only(make_hub, make_station, smtp, tmp_path):
    hub = make_hub({**HUB_CONFIG, "relay": {"domain": DOMAIN}})
    hub_cert = cert_sha256(hub.data / "tls" / "cert.pem")
    a = relayed_station(make_station, smtp, hub, "DGP", "Deccan Gymkhana Police Station",
                        limits={"bookings_per_ip_per_minute": 2})
    b = relayed_station(make_station, smtp, hub, "KTR", "Kothrud Police Station")
    a_cert, b_cert = cert_sha256(a.data / "tls" / "cert.pem"), cert_sha256(b.data / "tls" / "cert.pem")
    assert a_cert != b_cert
    wait_relayed(hub, f"dgp.{DOMAIN}", a)
    wait_relayed(hub, f"ktr.{DOMAIN}", b)

    # Each name gets its own station's certificate (TLS ends on the box), any case of it.
    assert presented(hub, f"DGP.{DOMAIN.upper()}") == a_cert
    assert presented(hub, f"ktr.{DOMAIN}") == b_cert
    # The hub's own name (no SNI for an address) and unknown names get the hub's certificate.
    assert presented(hub, None) == hub_cert
    for other in (f"zzz.{DOMAIN}", f"x.dgp.{DOMAIN}", DOMAIN, "hub.example"):
        assert presented(hub, other) == hub_cert, other
    unknown = Through(hub, f"zzz.{DOMAIN}").get("/")
    assert unknown.status_code == 404 and NO_STATION in unknown.text, unknown.text[:300]
    assert "Deccan" not in unknown.text and "Kothrud" not in unknown.text
    marathi = Through(hub, f"zzz.{DOMAIN}").get("/", headers={"Accept-Language": "mr"})
    assert 'lang="mr"' in marathi.text and NO_STATION not in marathi.text, marathi.text[:300]
    # The hub's own site is unchanged at its own address.
    assert hub.get("/").status_code == 200
    # Plain HTTP for a station's name is sent to HTTPS at that name.
    plain = new_session().get(f"http://127.0.0.1:{hub.http_port}/book?x=1", headers={"Host": f"dgp.{DOMAIN}"},
                              allow_redirects=False, timeout=30)
    assert plain.status_code == 308, plain.status_code
    assert plain.headers["Location"] == f"https://dgp.{DOMAIN}:{hub.https_port}/book?x=1", plain.headers

    # The pages and API are the station's own.
    info_a = Through(hub, f"dgp.{DOMAIN}").get("/api/v1/station").json()
    info_b = Through(hub, f"ktr.{DOMAIN}").get("/api/v1/station").json()
    assert info_a["name"] == "Deccan Gymkhana Police Station", info_a
    assert info_b["name"] == "Kothrud Police Station", info_b
    page = Through(hub, f"dgp.{DOMAIN}").get("/")
    assert page.status_code == 200 and "Deccan Gymkhana" in page.text

    # Booking through the relay; the station's per-address limit (2 a minute here) counts the
    # citizen's address, which only the PROXY line carries, not the hub's.
    officer = a.officers[0].id
    first = Through(hub, f"dgp.{DOMAIN}", source="127.0.0.5")
    starts = first.free_starts(officer)
    assert len(starts) >= 4, starts
    for start in starts[:2]:
        r = first.book(officer, start)
        assert r.status_code == 202, r.text[:300]
    third = first.book(officer, starts[2])
    assert third.status_code == 429, f"{third.status_code}: {third.text[:300]}"
    other_citizen = Through(hub, f"dgp.{DOMAIN}", source="127.0.0.6").book(officer, starts[3])
    assert other_citizen.status_code == 202, other_citizen.text[:300]

    # The directory sends citizens to the relayed name; the console shows the tunnels.
    listing = {s["code"]: s for s in hub.directory()}
    assert listing["DGP"]["booking_url"] == f"https://dgp.{DOMAIN}/", listing["DGP"]
    console = hub.admin_session().get(hub.url("/hub/stations"), timeout=30)
    assert console.status_code == 200
    row = re.search(r"Deccan Gymkhana Police Station.*?</tr>", console.text, re.S).group(0)
    assert re.search(r'class="tag up">up</span> since \d{4}-\d\d-\d\d', row), row
    connections = int(re.search(r"(\d+) connections", row).group(1))
    assert connections >= 5, row  # the handshakes and sessions above

    # A tunnel is named by the station's certificate only: none, or one the hub did not
    # issue (even naming KTR), is refused; a station's own certificate gives its own name.
    assert tunnel_request(hub, None) == 401
    assert tunnel_request(hub, make_foreign_cert(tmp_path / "foreign", "KTR")) == 401
    assert presented(hub, f"ktr.{DOMAIN}") == b_cert
    # A tunnel opened by hand with A's certificate replaces A's, and still never gets B's
    # connections: the name comes from the certificate, never from the tunnel.
    with open_tunnel(hub, client_cert(a)) as fake:
        # (A's station takes its name back about a second later, when it reconnects.)
        citizen = threading.Thread(target=presented, args=(hub, f"dgp.{DOMAIN}"), kwargs={"timeout": 1})
        citizen.start()
        assert presented(hub, f"ktr.{DOMAIN}") == b_cert
        fake.settimeout(0.3)
        got = b""
        try:
            while chunk := fake.recv(65536):
                got += chunk
        except (TimeoutError, ssl.SSLError, OSError):
            pass
        citizen.join()
        # The hub's yamux frames carry the citizen's ClientHello, whose name is in clear.
        assert f"dgp.{DOMAIN}".encode() in got and b"PROXY TCP4 127.0.0.1" in got, got[:200]
        assert b"ktr" not in got.lower(), got[:200]
    wait_relayed(hub, f"dgp.{DOMAIN}", a)  # A's own tunnel takes its name back

    # Revoked from the command line (another process): the name stops answering within
    # seconds and gets the hub's page; the other station goes on.
    done = hub.cli("revoke-station", "--code", "KTR")
    assert done.returncode == 0, done.stderr
    wait_until(lambda: presented(hub, f"ktr.{DOMAIN}") == hub_cert, timeout=10, interval=0.2,
               message="the revoked station's name to stop answering")
    assert NO_STATION in Through(hub, f"ktr.{DOMAIN}").get("/").text
    assert tunnel_request(hub, client_cert(b)) == 403
    assert presented(hub, f"dgp.{DOMAIN}") == a_cert

    # The hub goes away and comes back: the station's tunnel comes back by itself.
    hub.stop()
    assert presented(hub, f"dgp.{DOMAIN}") is None
    hub.start()
    wait_relayed(hub, f"dgp.{DOMAIN}", a, timeout=30)
    assert presented(hub, f"ktr.{DOMAIN}") == hub_cert


def test_an_unknown_station_name_gets_a_clear_page_in_three_languages(make_hub, browsers):
    hub = make_hub({**HUB_CONFIG, "relay": {"domain": DOMAIN}})
    from browser import axe_violations

    b = browsers(args=(f"--host-resolver-rules=MAP *.{DOMAIN} 127.0.0.1",))
    titles = {}
    for lang in ("en", "mr", "hi"):
        b.driver.get(f"https://nobody.{DOMAIN}:{hub.https_port}/?lang={lang}")
        titles[lang] = b.driver.find_element("tag name", "h1").text
        assert b.driver.find_element("tag name", "html").get_attribute("lang") == lang
        assert axe_violations(b.driver) == [], lang
    assert titles["en"] == NO_STATION
    assert len(set(titles.values())) == 3, titles
