"""Certificates browsers trust (issue 10): a station in `direct` mode and a hub with a public
name get theirs from Pebble (the ACME test server, Debian `pebble`) over TLS-ALPN-01 and
HTTP-01, all on 127.0.0.1. `pebble-challtestsrv` answers Pebble's DNS questions: every name
is 127.0.0.1, and Pebble validates on the box's own bound ports. Checked with TLS clients that
trust only Pebble's root: the trusted certificate for the public name, the self-signed one for
the LAN name, HSTS only with the first, the Station page's account of it, an imported
certificate, a failed renewal that leaves the site serving, and stations that enrolled with a
self-signed hub still pushing once the hub has a trusted certificate (the ALPN pin rule).
"""

from __future__ import annotations

import datetime
import json
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from selenium.webdriver.common.by import By

from browser import axe_violations, login
from conftest import (
    csrf_of,
    free_port,
    new_session,
    station_config,
    to_toml,
    wait_until,
)
from hubkit import HUB_CONFIG, Tally, make_hub, new_site, wait_for_figures  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(
    shutil.which("pebble") is None or shutil.which("pebble-challtestsrv") is None,
    reason="needs Debian's pebble (tests/packages.sh)",
)

ISSUE_TIMEOUT = 60.0
FED_ALPN = ["http/1.1", "vappoint-fed/1"]


# --------------------------------------------------------------------------------------------
# A little PKI (Pebble's own HTTPS, imported certificates)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_leaf(ca, names: list[str], ips: list[str] = ()):
    """A server certificate signed by `ca` = (cert, key); returns (cert PEM, key PEM)."""
    import ipaddress

    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    sans = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=20))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# --------------------------------------------------------------------------------------------
# Pebble and its DNS


class Pebble:
    """`pebble` with `pebble-challtestsrv` as its DNS (every name is 127.0.0.1); it validates
    TLS-ALPN-01 on `tls_port` and HTTP-01 on `http_port` (the box's own bound ports)."""

    def __init__(self, dir: Path):
        self.dir = dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.mgmt_port = free_port()
        ca = make_ca("vappoint test ACME server CA")
        self.ca_file = dir / "pebble-ca.pem"
        self.ca_file.write_text(pem(ca[0]))
        cert, key = make_leaf(ca, ["localhost"], ["127.0.0.1"])
        (dir / "cert.pem").write_text(cert)
        (dir / "key.pem").write_text(key)
        self.procs: list[subprocess.Popen] = []

    @property
    def directory(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    def acme_config(self, challenge: str = "tls-alpn-01") -> dict:
        return {"directory": self.directory, "ca_file": str(self.ca_file), "challenge": challenge}

    def start(self, tls_port: int, http_port: int):
        dns_port = free_port()
        log = open(self.dir / "challtestsrv.log", "ab")
        self.procs.append(subprocess.Popen(
            ["pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
             "-dns01", f"127.0.0.1:{dns_port}", "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-management", f"127.0.0.1:{free_port()}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        ))
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.mgmt_port}",
            "certificate": str(self.dir / "cert.pem"), "privateKey": str(self.dir / "key.pem"),
            "httpPort": http_port, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": False,
        }}
        (self.dir / "pebble.json").write_text(json.dumps(config))
        log = open(self.dir / "pebble.log", "ab")
        self.procs.append(subprocess.Popen(
            ["pebble", "-config", str(self.dir / "pebble.json"), "-dnsserver", f"127.0.0.1:{dns_port}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin", "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"},
        ))
        wait_until(self._root, timeout=30, interval=0.1, message="Pebble's management API")

    def _root(self) -> str | None:
        try:
            with requests.Session() as s:
                s.trust_env = False
                r = s.get(f"https://127.0.0.1:{self.mgmt_port}/roots/0", verify=str(self.ca_file), timeout=5)
            return r.text if r.status_code == 200 else None
        except requests.RequestException:
            return None

    def root(self) -> str:
        """The PEM of the root Pebble issues under (made afresh on each start)."""
        root = self._root()
        assert root, "Pebble's management API does not answer"
        return root

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        self.procs = []

    def log_tail(self) -> str:
        path = self.dir / "pebble.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-30:]) if path.exists() else ""


@pytest.fixture
def pebbles(tmp_path_factory, request):
    made: list[Pebble] = []

    def make() -> Pebble:
        p = Pebble(tmp_path_factory.mktemp("pebble"))
        made.append(p)
        return p

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for p in made:
        if failed:
            print(f"--- pebble log ---\n{p.log_tail()}")
        p.stop()


# --------------------------------------------------------------------------------------------
# TLS clients


def peer_cert(port: int, sni: str | None, roots: str | None, alpn: list[str] | None = None) -> x509.Certificate:
    """The certificate 127.0.0.1:`port` serves for `sni`, verified against `roots` (PEM) for
    that name when given, else unverified."""
    if roots is None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cadata=roots)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as tls:
            return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def verifies(port: int, sni: str, roots: str) -> bool:
    try:
        peer_cert(port, sni, roots)
        return True
    except (ssl.SSLError, OSError):
        return False


def response_headers(port: int, host: str, roots: str | None) -> dict[str, str]:
    """GET / over HTTP/1.1 with SNI and Host `host`; the answer's headers, lowercased."""
    if roots is None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cadata=roots)
    sni = None if host[0].isdigit() else host
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    assert head[0].startswith("HTTP/1.1 "), head[0]
    return {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in head[1:])}


def issuer_cn(cert: x509.Certificate) -> str:
    return cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def admin_session(st) -> requests.Session:
    s = new_session()
    page = s.get(st.url("/officer/login"), timeout=30)
    r = s.post(st.url("/officer/login"), data={
        "csrf": csrf_of(page.text), "email": st.admin.email, "password": st.admin.password,
    }, allow_redirects=False, timeout=30)
    assert r.status_code == 303, r.text[:300]
    return s


def station_form_post(st, s: requests.Session, action: str, data: dict) -> requests.Response:
    page = s.get(st.url("/officer/station"), timeout=30)
    assert page.status_code == 200, page.text[:300]
    return s.post(st.url(action), data={"csrf": csrf_of(page.text), **data}, timeout=60)


def new_station(make_station, smtp, acme: dict, **sections):
    st = make_station(station_config(smtp, acme=acme, **sections), start=False)
    st.admin = st.add_officer(name="Inspector Sharmila Jadhav", rank="PI", admin=True)
    st.start()
    return st


# --------------------------------------------------------------------------------------------
# Tests


def test_direct_mode_gets_trusted_certificates_over_both_challenges(make_station, smtp, pebbles, browsers):
    pebble = pebbles()
    alpn = new_station(make_station, smtp, pebble.acme_config("tls-alpn-01"))
    http = new_station(make_station, smtp, pebble.acme_config("http-01"))
    # Pebble validates on the ports the stations bound (a router would forward 443 and 80).
    pebble.start(tls_port=alpn.https_port, http_port=http.http_port)
    root = pebble.root()

    # The HTTP-01 station is switched to direct mode by a form post, the TLS-ALPN-01 one by
    # its admin in Chromium on the Station page.
    r = station_form_post(http, admin_session(http), "/officer/station/reach",
                          {"public_mode": "direct", "public_host": "kothrud.acme.test"})
    assert r.status_code == 200, r.text[:500]

    b = browsers()
    login(b, alpn.base, alpn.admin.email, alpn.admin.password)
    b.driver.get(alpn.url("/officer/station"))
    assert "certificate" in b.driver.page_source.lower()
    b.driver.find_element(By.CSS_SELECTOR, "input[name=public_mode][value=direct]").click()
    host = b.driver.find_element(By.ID, "direct_host")
    host.clear()
    host.send_keys("dgp.acme.test")
    b.driver.find_element(By.CSS_SELECTOR, "form[action='/officer/station/reach'] button").click()

    wait_until(lambda: verifies(alpn.https_port, "dgp.acme.test", root), timeout=ISSUE_TIMEOUT,
               interval=0.2, message="a Pebble certificate for dgp.acme.test (TLS-ALPN-01)")
    wait_until(lambda: verifies(http.https_port, "kothrud.acme.test", root), timeout=ISSUE_TIMEOUT,
               interval=0.2, message="a Pebble certificate for kothrud.acme.test (HTTP-01)")
    cert = peer_cert(alpn.https_port, "dgp.acme.test", root)
    assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["dgp.acme.test"]
    assert "Pebble" in issuer_cn(cert)
    # Kept 0600 in the data dir.
    for f in ("cert.pem", "key.pem", "account.json"):
        assert (alpn.data / "tls" / "acme" / f).stat().st_mode & 0o777 == 0o600, f

    # The LAN name, an address and no SNI still get the self-signed certificate.
    for sni in ("vappoint.local", None):
        assert "Pebble" not in issuer_cn(peer_cert(alpn.https_port, sni, None))
    assert not verifies(alpn.https_port, "vappoint.local", root)

    # HSTS only on the name with the trusted certificate.
    assert response_headers(alpn.https_port, "dgp.acme.test", root).get(
        "strict-transport-security") == "max-age=31536000"
    assert "strict-transport-security" not in response_headers(alpn.https_port, "127.0.0.1", None)
    assert "strict-transport-security" not in alpn.get("/").headers

    # The Station page says which certificate is in use, by whom and until when.
    def shown():
        b.driver.get(alpn.url("/officer/station"))
        found = b.driver.find_elements(By.ID, "cert-issuer")
        return found[0].text if found else None

    issuer = wait_until(shown, timeout=10, message="the certificate on the Station page")
    assert "Pebble" in issuer
    expires = b.driver.find_element(By.ID, "cert-expires").text
    assert expires[:4].isdigit() and int(expires[:4]) >= datetime.date.today().year, expires
    assert axe_violations(b.driver) == []

    # A Pebble that refuses: a renewal is due at once (renew_before longer than the
    # certificate's life), fails, and the page says why while the site keeps serving the
    # certificate it has.
    pebble.stop()
    alpn.stop()
    config = station_config(smtp, acme={**pebble.acme_config("tls-alpn-01"), "renew_before": "100y"})
    alpn.config_path.write_text(to_toml(config))
    alpn.start()
    assert verifies(alpn.https_port, "dgp.acme.test", root)

    def error_shown():
        b.driver.get(alpn.url("/officer/station"))
        found = b.driver.find_elements(By.ID, "cert-error")
        return found[0].text if found else None

    error = wait_until(error_shown, timeout=30, interval=0.3, message="the ACME error on the Station page")
    assert "ACME" in error or "reach" in error.lower(), error
    assert alpn.get("/").status_code == 200
    assert verifies(alpn.https_port, "dgp.acme.test", root)


def test_an_imported_certificate_is_served_for_its_names(make_station, smtp):
    st = new_station(make_station, smtp, {})
    ca = make_ca("Maharashtra Police Test CA")
    roots = pem(ca[0])
    chain, key = make_leaf(ca, ["station.police.test"])
    s = admin_session(st)

    # A key that is not the certificate's is refused, and nothing changes.
    _, other_key = make_leaf(ca, ["station.police.test"])
    r = station_form_post(st, s, "/officer/station/certificate", {"certificate": chain, "key": other_key})
    assert r.status_code == 400, r.text[:300]
    assert not verifies(st.https_port, "station.police.test", roots)

    r = station_form_post(st, s, "/officer/station/certificate", {"certificate": chain, "key": key})
    assert r.status_code == 200, r.text[:500]
    assert "Maharashtra Police Test CA" in r.text
    assert verifies(st.https_port, "station.police.test", roots)
    assert (st.data / "tls" / "imported" / "key.pem").stat().st_mode & 0o777 == 0o600
    assert response_headers(st.https_port, "station.police.test", roots).get(
        "strict-transport-security") == "max-age=31536000"
    # Other names keep the self-signed certificate.
    assert issuer_cn(peer_cert(st.https_port, "vappoint.local", None)) != "Maharashtra Police Test CA"

    # Loaded again on the next start.
    st.stop()
    st.start()
    assert verifies(st.https_port, "station.police.test", roots)


def test_a_hub_moves_to_a_trusted_certificate_without_re_enrolling_stations(
    make_hub, make_station, smtp, pebbles
):
    hub = make_hub()
    site = new_site(make_station, smtp, hub, "ACM", "Acme Test Police Station", "Zone 1")
    pinned = json.loads((site.station.data / "federation" / "hub.json").read_text())["pinned"]

    # The hub gets a public name and its own certificate from Pebble, on the same ports.
    hub.stop()
    pebble = pebbles()
    pebble.start(tls_port=hub.fixed_https, http_port=hub.fixed_http)
    hub.config_path.write_text(to_toml({**HUB_CONFIG, "public": {"host": "hub.acme.test"},
                                        "acme": pebble.acme_config()}))
    hub.start()
    root = pebble.root()
    wait_until(lambda: verifies(hub.https_port, "hub.acme.test", root), timeout=ISSUE_TIMEOUT,
               interval=0.2, message="the hub's own Pebble certificate")

    # A station's ALPN still gets the self-signed certificate it pinned, whatever the name.
    import hashlib

    for sni in ("hub.acme.test", None):
        der = peer_cert(hub.https_port, sni, None, FED_ALPN).public_bytes(serialization.Encoding.DER)
        assert hashlib.sha256(der).hexdigest() == pinned

    # And the station enrolled earlier keeps pushing.
    tally = Tally()
    tally.book(site)
    wait_for_figures(hub, hub.admin_session(), tally, [site.code])

    # The hub's console shows its certificate.
    page = hub.admin_session().get(hub.url("/hub/stations"), timeout=30)
    assert page.status_code == 200
    assert "Pebble" in page.text and "hub.acme.test" in page.text


def test_set_up_chooses_the_direct_mode_and_links_follow_its_name(make_station, smtp):
    import html

    from test_setup import setup_code, setup_form

    # Set up in direct mode, the box asks an ACME server (here one that is not there, rather
    # than Let's Encrypt) at once.
    st = make_station({"acme": {"directory": f"https://127.0.0.1:{free_port()}/dir"}})
    browser = new_session()
    fields = {
        "name": "Kothrud Police Station", "code": "KTD", "zone": "Zone 3", "time_zone": "Asia/Kolkata",
        "phone": "020 2538 1234", "address": "Paud Road, Kothrud, Pune 411038",
        "admin_name": "Vijay Patil", "admin_rank": "Senior Police Inspector",
        "admin_email": "spi.kothrud@police.example",
        "password": "a long password 1", "password2": "a long password 1",
        "takes_appointments": "yes", "public_mode": "direct", "public_host": "10.0.0.5:8443",
        "mail_from": "", "relay_host": "127.0.0.1", "relay_port": str(smtp.port),
        "relay_security": "none", "relay_username": "", "relay_password": "", "hub_url": "", "hub_code": "",
        "setup_code": setup_code(st),
    }
    page = browser.get(st.url("/setup"), timeout=30).text
    assert 'name="public_mode" value="direct"' in page

    # The direct mode needs a DNS name (an address cannot get a certificate).
    r = browser.post(st.url("/setup"), data={**fields, "csrf": setup_form(st, browser)}, timeout=30)
    assert r.status_code == 400, r.text[:300]
    assert "DNS name" in html.unescape(r.text)

    fields["public_host"] = "ktd.acme.test"
    r = browser.post(st.url("/setup"), data={**fields, "csrf": setup_form(st, browser)}, timeout=30)
    assert r.status_code == 200, r.text[:300]

    s = new_session()
    login_page = s.get(st.url("/officer/login"), timeout=30)
    s.post(st.url("/officer/login"), data={"csrf": csrf_of(login_page.text), "email": fields["admin_email"],
                                           "password": fields["password"]}, timeout=30)
    station = s.get(st.url("/officer/station"), timeout=30)
    assert station.status_code == 200
    text = html.unescape(station.text)
    assert 'value="direct" checked' in text
    assert 'value="ktd.acme.test"' in text
    # Links in citizens' mail start with the mode's public name.
    assert "<code>https://ktd.acme.test</code>" in text
