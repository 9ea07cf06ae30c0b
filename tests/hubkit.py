"""Helpers for the black-box tests of the commissionerate hub (`vappoint hub`) and of the
stations that push to it (see docs/federation.md).

The hub runs as a `Station` subclass with another subcommand; after its first start it keeps
its ports, because enrolled stations store the hub's URL and must find it again after a
restart. Nothing here waits a fixed time: helpers poll with `wait_until`.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
import subprocess
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from conftest import (
    ALL_DAY,
    BIN,
    Station,
    citizen_email,
    csrf_of,
    location_path,
    mail_link,
    new_session,
    run_cli,
    station_config,
    unique,
    wait_until,
)

HUB_NAME = "Pune City Police"
HUB_CONFIG = {"hub": {"name": HUB_NAME, "stale_after": "1h"}}
# Stations push every second and retry at most every 2 s, so tests converge quickly.
FAST_PUSH = {"push_interval": "1s", "retry_max": "2s"}
# Citizens may cancel up to a minute before the slot (tests book at least 5 minutes ahead).
SHORT_CUTOFF = {"change_cutoff": "1m"}
AHEAD = timedelta(minutes=5)
ENROLMENT_CODE_RE = re.compile(r"enrolment code:\s*([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})\s*$", re.I)
SYNC_TIMEOUT = 90.0


# --------------------------------------------------------------------------------------------
# The hub process


class Hub(Station):
    """One `vappoint hub` process on a data directory; keeps its ports across restarts. With
    `database_url` (`postgres://...`) its config gets `[hub.database] url`: the hub keeps its
    data in that PostgreSQL database instead of `DATA/hub.db`."""

    def __init__(self, data: Path, config: dict | None, log_dir: Path, database_url: str | None = None):
        if database_url is not None:
            config = dict(config or {})
            config["hub"] = {**config.get("hub", {}), "database": {"url": database_url}}
        self.database_url = database_url
        super().__init__(data, config, log_dir)
        self.fixed_https: int | None = None
        self.fixed_http: int | None = None
        self.admin_email: str | None = None
        self.admin_password: str | None = None

    def launch_args(self) -> list[str]:
        args = [
            str(BIN), "hub", "--data", str(self.data),
            "--https-addr", f"127.0.0.1:{self.fixed_https or 0}",
            "--http-addr", f"127.0.0.1:{self.fixed_http or 0}",
        ]
        if self.config_path is not None:
            args += ["--config", str(self.config_path)]
        return args

    def start(self):
        super().start()
        if self.fixed_https is None:
            self.fixed_https, self.fixed_http = self.https_port, self.http_port
        assert (self.https_port, self.http_port) == (self.fixed_https, self.fixed_http)

    @property
    def url_base(self) -> str:
        """The URL stations enrol with: `https://127.0.0.1:PORT`."""
        assert self.fixed_https is not None, "start the hub first"
        return f"https://127.0.0.1:{self.fixed_https}"

    # -- command line -------------------------------------------------------------------------

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """`vappoint hub ARGS --data DATA`, with the hub's config file (its database) if any."""
        config = ["--config", str(self.config_path)] if self.config_path is not None else []
        return run_cli("hub", *args, "--data", str(self.data), *config, stdin=stdin)

    def add_admin(self, email: str | None = None, password: str | None = None):
        email = email or f"{unique('admin')}@punepolice.example"
        password = password or f"hub-pw-{uuid.uuid4().hex}"
        done = self.cli("add-admin", "--email", email, "--password-stdin", stdin=password + "\n")
        assert done.returncode == 0, f"hub add-admin failed: {done.stdout}\n{done.stderr}"
        self.admin_email, self.admin_password = email, password

    def add_station(self, code: str, name: str, zone: str, url: str, localities: list[str] = ()) -> str:
        """Registers a station; returns its one-time enrolment code."""
        args = ["add-station", "--code", code, "--name", name, "--zone", zone, "--url", url]
        for loc in localities:
            args += ["--locality", loc]
        done = self.cli(*args)
        assert done.returncode == 0, f"hub add-station failed: {done.stdout}\n{done.stderr}"
        lines = done.stdout.strip().splitlines()
        assert lines, f"hub add-station printed nothing; stderr: {done.stderr}"
        m = ENROLMENT_CODE_RE.search(lines[-1].strip())
        assert m, f"unexpected last line of hub add-station: {lines[-1]!r}"
        return m.group(1)

    def revoke_station(self, code: str):
        done = self.cli("revoke-station", "--code", code)
        assert done.returncode == 0, f"hub revoke-station failed: {done.stdout}\n{done.stderr}"

    # -- admin console ------------------------------------------------------------------------

    def admin_session(self, email: str | None = None, password: str | None = None) -> requests.Session:
        s = new_session()
        page = s.get(self.url("/hub/login"), timeout=30)
        assert page.status_code == 200, page.text[:500]
        r = s.post(
            self.url("/hub/login"),
            data={
                "csrf": csrf_of(page.text),
                "email": email or self.admin_email,
                "password": password or self.admin_password,
            },
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 303, f"hub login answered {r.status_code}: {r.text[:500]}"
        assert location_path(r) == "/hub", r.headers.get("Location")
        assert s.cookies.get("__Host-vappoint-hub"), "hub login set no __Host-vappoint-hub cookie"
        return s

    def reports(self, session: requests.Session, frm: date, to: date) -> dict:
        r = session.get(self.url("/api/v1/reports"), params={"from": str(frm), "to": str(to)}, timeout=30)
        assert r.status_code == 200, f"reports answered {r.status_code}: {r.text[:500]}"
        return r.json()

    def report_csv(self, session: requests.Session, frm: date, to: date, table: str) -> list[dict[str, str]]:
        r = session.get(
            self.url("/hub/reports.csv"), params={"from": str(frm), "to": str(to), "table": table}, timeout=30
        )
        assert r.status_code == 200, f"reports.csv answered {r.status_code}: {r.text[:500]}"
        assert "csv" in r.headers.get("Content-Type", ""), r.headers.get("Content-Type")
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows, "empty CSV"
        header = [h.strip().lower() for h in rows[0]]
        return [dict(zip(header, row)) for row in rows[1:] if row]

    # -- public API ---------------------------------------------------------------------------

    def directory(self, q: str | None = None) -> list[dict]:
        r = self.get("/api/v1/stations", params={"q": q} if q is not None else None)
        assert r.status_code == 200, f"/api/v1/stations answered {r.status_code}: {r.text[:500]}"
        listing = r.json()
        assert isinstance(listing, list), listing
        return listing

    # -- federation ---------------------------------------------------------------------------

    def push(self, text: str, cert: tuple[str, str] | None) -> requests.Response:
        """POSTs a push whose JSON text the caller built, with a client certificate or none."""
        with new_session() as s:
            return s.post(
                self.url("/federation/v1/push"),
                data=text.encode(),
                headers={"Content-Type": "application/json"},
                cert=cert,
                timeout=30,
            )


def report_stations(report: dict) -> dict[str, dict]:
    """code -> station figures, from the `zones` of a reports answer."""
    out = {}
    for zone in report["zones"]:
        for st in zone["stations"]:
            assert st["code"] not in out, f"station {st['code']} is listed twice"
            out[st["code"]] = st
    return out


# --------------------------------------------------------------------------------------------
# Stations and enrolment


@functools.cache
def _enroll_takes_config() -> bool:
    done = run_cli("station", "enroll", "--help")
    return done.returncode == 0 and "--config" in done.stdout


def enroll(station: Station, hub: Hub, enrolment_code: str) -> subprocess.CompletedProcess:
    """`vappoint station enroll` on the station's data dir (with its config file if the
    command takes one, since the config may fix the station's code)."""
    args = ["station", "enroll", "--data", str(station.data), "--hub", hub.url_base, "--code", enrolment_code]
    if station.config_path is not None and _enroll_takes_config():
        args += ["--config", str(station.config_path)]
    return run_cli(*args)


def enroll_ok(station: Station, hub: Hub, enrolment_code: str, station_code: str):
    done = enroll(station, hub, enrolment_code)
    assert done.returncode == 0, f"station enroll failed ({done.returncode}): {done.stdout}\n{done.stderr}"
    last = done.stdout.strip().splitlines()[-1].strip()
    assert last == f"enrolled with {hub.url_base} as {station_code}", last


def client_cert(station: Station) -> tuple[str, str]:
    pem, key = station.data / "federation" / "client.pem", station.data / "federation" / "client.key"
    assert pem.is_file() and key.is_file(), f"no client certificate in {station.data / 'federation'}"
    return str(pem), str(key)


@dataclass
class Site:
    """A station as the tests know it: process, its one officer, and what it is at the hub."""

    station: Station
    code: str
    name: str
    zone: str
    localities: list[str]
    booking_url: str
    enrolment_code: str | None = None

    @property
    def officer(self):
        return self.station.officers[0]


def new_site(
    make_station,
    smtp,
    hub: Hub,
    code: str,
    name: str,
    zone: str,
    localities: list[str] = (),
    start: bool = True,
    enrol: bool = True,
    data: Path | None = None,
    **sections,
) -> Site:
    """A station with one officer open all day, registered at the hub, enrolled (before its
    first start) and started. `data` is its data directory (default: a fresh one); `sections`
    add to its config (e.g. `mail={...}`)."""
    config = station_config(
        smtp,
        station={"name": name, "code": code, "zone": zone},
        federation=dict(FAST_PUSH),
        booking=dict(SHORT_CUTOFF),
        **sections,
    )
    st = make_station(config, start=False, data=data)
    st.add_officer(name=f"PI {unique('Officer')}", rank="PI", admin=True, hours=ALL_DAY, slot_minutes=5)
    url = f"https://{code.lower()}.punepolice.example"
    site = Site(st, code, name, zone, list(localities), url)
    if enrol:
        site.enrolment_code = hub.add_station(code, name, zone, url, localities)
        enroll_ok(st, hub, site.enrolment_code, code)
    if start:
        st.start()
    return site


# --------------------------------------------------------------------------------------------
# What the tests booked, and waiting for the hub to show it


@dataclass
class Tally:
    """The figures the test itself made, per station code."""

    booked: Counter = field(default_factory=Counter)  # still booked
    cancelled: Counter = field(default_factory=Counter)
    reasons: dict[str, Counter] = field(default_factory=dict)
    days: set[str] = field(default_factory=set)
    emails: dict[str, str] = field(default_factory=dict)  # reference -> citizen email
    category: dict[str, tuple[str, str]] = field(default_factory=dict)  # reference -> (code, category)

    def book(self, site: Site, category: str = "complaint", after: timedelta = AHEAD, **kw) -> dict:
        """Books the first free slot `after` from now; `kw` go to `Station.book`."""
        st = site.station
        slot = st.free_slot(site.officer.id, after)
        who = kw.pop("email_addr", None) or citizen_email()
        r = st.book(site.officer.id, slot["start"], who, category=category, **kw)
        assert r.status_code == 202, f"booking at {site.code} answered {r.status_code}: {r.text[:300]}"
        booked = {**r.json(), "reference": st.reference_of(site.officer.id, slot["start"], who)}
        self.booked[site.code] += 1
        self.reasons.setdefault(site.code, Counter())[category] += 1
        self.days.add(slot["start"][:10])
        self.emails[booked["reference"]] = who
        self.category[booked["reference"]] = (site.code, category)
        return booked

    def cancel(self, site: Site, smtp, reference: str):
        who = self.emails[reference]
        link = mail_link(smtp.booking_mail(who).msg)
        r = site.station.post(f"/api/v1/appointments/{link}/cancel")
        assert r.status_code == 200, f"cancel at {site.code} answered {r.status_code}: {r.text[:300]}"
        code, category = self.category[reference]
        self.booked[code] -= 1
        self.cancelled[code] += 1
        self.reasons[code][category] -= 1

    def span(self) -> tuple[date, date]:
        """The first and last local date of the booked slots: the reports' range."""
        assert self.days, "nothing booked yet"
        days = [date.fromisoformat(d) for d in self.days]
        return min(days), max(days)

    def expected(self, codes) -> dict[str, tuple[int, int]]:
        return {c: (self.booked[c], self.cancelled[c]) for c in codes}


def hub_figures(hub: Hub, session: requests.Session, frm: date, to: date, codes) -> dict[str, tuple[int, int]]:
    """code -> (booked, cancelled) as the hub reports them over `frm..to`."""
    by_code = report_stations(hub.reports(session, frm, to))
    return {c: (by_code[c]["booked"], by_code[c]["cancelled"]) if c in by_code else None for c in codes}


def wait_for_figures(hub: Hub, session: requests.Session, tally: Tally, codes, timeout: float = SYNC_TIMEOUT):
    frm, to = tally.span()
    want = tally.expected(codes)
    seen = {}

    def matches():
        seen["last"] = hub_figures(hub, session, frm, to, codes)
        return seen["last"] == want

    try:
        wait_until(matches, timeout=timeout, interval=0.2, message=f"the hub's figures to become {want}")
    except pytest.fail.Exception:
        pytest.fail(f"the hub's figures (booked, cancelled) are {seen.get('last')}, expected {want}")


# --------------------------------------------------------------------------------------------
# Building pushes by hand


def compact(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def heartbeat(variant: int = 0) -> str:
    """A heartbeat body; bodies with different `variant`s differ."""
    at = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(milliseconds=variant)
    return compact({"kind": "heartbeat", "at": at.isoformat(timespec="milliseconds")})


def push_text(station_code: str, messages: list[tuple[int, str, str | None]]) -> str:
    """The text of a push: `messages` are (seq, body text, digest or None for the right one)."""
    parts = []
    for seq, body, digest in messages:
        digest = digest if digest is not None else sha256_hex(body)
        parts.append('{"seq":%d,"digest":"%s","body":%s}' % (seq, digest, body))
    return '{"version":1,"station":%s,"messages":[%s]}' % (json.dumps(station_code), ",".join(parts))


def error_of(r: requests.Response) -> dict:
    try:
        err = r.json().get("error")
        return err if isinstance(err, dict) else {}
    except Exception:
        return {}


def expected_seq(hub: Hub, station_code: str, cert: tuple[str, str]) -> int:
    """The next sequence number the hub expects from this station, learnt from the `gap`
    answer to a heartbeat far ahead."""
    r = hub.push(push_text(station_code, [(10**9, heartbeat(), None)]), cert)
    assert r.status_code == 409, f"a push far ahead answered {r.status_code}: {r.text[:300]}"
    err = error_of(r)
    assert err.get("code") == "gap", r.text
    expected = err.get("expected", r.json().get("expected"))
    assert isinstance(expected, int) and expected >= 1, r.text
    return expected


# --------------------------------------------------------------------------------------------
# Certificates the hub never issued


def make_foreign_cert(dir: Path, common_name: str) -> tuple[str, str]:
    """A CA and a client certificate (CN = `common_name`) of our own, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not the hub CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    dir.mkdir(parents=True, exist_ok=True)
    pem, key_path = dir / "foreign.pem", dir / "foreign.key"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(pem), str(key_path)


# --------------------------------------------------------------------------------------------
# The fixture


# Runs a module's hub tests once on SQLite and once on PostgreSQL (`tests/pgkit.py`), through
# conftest's `hub_backend` fixture.
BOTH_BACKENDS = pytest.mark.parametrize("hub_backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def make_hub(tmp_path_factory, request, hub_backend):
    """Factory: `make_hub()` -> a started hub with one admin (`hub.admin_email`,
    `hub.admin_password`), on `hub_backend`'s database unless given a `database_url`. Stopped
    at teardown; its stderr is printed when the test failed."""
    if not BIN.exists():
        pytest.fail(f"vappoint binary not found at {BIN} (build it or set VAPPOINT_BIN)")
    hubs: list[Hub] = []

    def make(config: dict | None = HUB_CONFIG, start: bool = True, database_url: str | None = None) -> Hub:
        log_dir = tmp_path_factory.mktemp("hub")
        if database_url is None and hub_backend == "postgres":
            database_url = request.getfixturevalue("postgres").database()
        hub = Hub(log_dir / "data", config, log_dir, database_url)
        hubs.append(hub)
        hub.add_admin()
        if start:
            hub.start()
        return hub

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for hub in hubs:
        if failed:
            print(f"--- vappoint hub stderr (run {hub.runs}, data {hub.data}) ---\n{hub.stderr_tail()}")
        hub.stop()
