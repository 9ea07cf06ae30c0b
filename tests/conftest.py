"""Shared fixtures and helpers for the black-box tests of the `vappoint` binary.

Every test talks to a real `vappoint station` process over HTTPS on 127.0.0.1 and, where
mail matters, to an in-process aiosmtpd server. Nothing here waits a fixed time: helpers poll
with a deadline (`wait_until`).
"""

from __future__ import annotations

import email
import email.policy
import itertools
import os
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest
import requests
import urllib3
from aiosmtpd.controller import Controller

# Fixtures of other modules, for every test: `postgres` (a throwaway PostgreSQL cluster).
pytest_plugins = ["pgkit"]

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)

REPO = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("VAPPOINT_BIN", REPO / "target" / "debug" / "vappoint"))

ALL_DAY = "Mon-Sun 00:00-24:00"
STATION_TZ = "Asia/Kolkata"
LINK_RE = r"[a-z2-7]{26}"
TOKEN_RE = re.compile(r"^\s*(\d{4})\s*$", re.M)
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')

_counter = itertools.count(1)


def unique(prefix: str = "x") -> str:
    """A short string no other call in this run returns."""
    return f"{prefix}{next(_counter)}{uuid.uuid4().hex[:6]}"


def citizen_email() -> str:
    return f"{unique('citizen')}@example.test"


# --------------------------------------------------------------------------------------------
# Polling


def wait_until(pred, timeout: float = 10.0, interval: float = 0.05, message="condition"):
    """Calls `pred` until it returns something truthy and returns that; fails after `timeout`.
    `message` may be a function, called at the failure, to say what was there instead."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            what = message() if callable(message) else message
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def assert_stays(pred, duration: float, interval: float = 0.1, message: str = "condition"):
    """Checks that `pred` keeps holding for `duration` seconds (for "nothing more happens")."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        assert pred(), f"{message} stopped holding"
        time.sleep(interval)
    assert pred(), f"{message} stopped holding"


# --------------------------------------------------------------------------------------------
# Mail


@dataclass
class Mail:
    rcpt_tos: list[str]
    msg: email.message.EmailMessage

    @property
    def text(self) -> str:
        return mail_text(self.msg)

    @property
    def message_id(self) -> str | None:
        return self.msg["Message-ID"]


def mail_text(msg) -> str:
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None, "mail has no text/plain part"
    return body.get_content()


def mail_token(msg) -> str | None:
    m = TOKEN_RE.search(mail_text(msg))
    return m.group(1) if m else None


def mail_reference(msg) -> str:
    """The appointment's reference (`DGP-7K3M9Q`) in the mail's subject, in any language."""
    m = re.search(r"\b[A-Z0-9]{2,10}-[A-HJ-NP-Z2-9]{6}\b", str(msg["Subject"]))
    assert m, f"no reference in the subject {msg['Subject']!r}"
    return m.group(0)


def mail_link(msg) -> str:
    """The manage link `<link>` from `https://.../a/<link>` in the mail's text."""
    text = mail_text(msg)
    links = set(re.findall(rf"https://[^\s/]+/a/({LINK_RE})(?![a-z2-7])", text))
    assert len(links) == 1, f"expected one manage link in the mail, found {links}:\n{text}"
    return links.pop()


def mail_ics(msg) -> str | None:
    for part in msg.walk():
        if part.get_content_type() == "text/calendar" or part.get_filename() == "appointment.ics":
            payload = part.get_payload(decode=True)
            return payload.decode("utf-8")
    return None


def ics_events(text: str) -> list[dict[str, tuple[dict[str, str], str]]]:
    """VEVENTs of an iCalendar text: property name -> (params, value), lines unfolded."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    events, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None and ":" in line:
            head, value = line.split(":", 1)
            name, *params = head.split(";")
            current[name.upper()] = (dict(p.split("=", 1) for p in params if "=" in p), value)
    return events


def ics_time(prop: tuple[dict[str, str], str], station_tz: str = STATION_TZ) -> datetime:
    params, value = prop
    if value.endswith("Z"):
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    local = datetime.strptime(value, "%Y%m%dT%H%M%S")
    return local.replace(tzinfo=ZoneInfo(params.get("TZID", station_tz)))


class _Handler:
    def __init__(self, box: "Mailbox"):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.box.lock:
            self.box.mails.append(Mail(list(envelope.rcpt_tos), msg))
        return "250 OK"


class Mailbox:
    """An SMTP server on 127.0.0.1 collecting every mail; can be stopped and started again on
    the same port (the relay going down and coming back)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.mails: list[Mail] = []
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self):
        assert self.controller is None
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def all(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.all() if address.lower() in (r.lower() for r in m.rcpt_tos)]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0, where=None) -> list[Mail]:
        """Waits until `address` has at least `count` mails (satisfying `where`), returns them."""

        def enough():
            got = [m for m in self.to(address) if where is None or where(m)]
            return got if len(got) >= count else None

        return wait_until(enough, timeout, message=f"{count} mail(s) to {address}")

    def booking_mail(self, address: str, count: int = 1, timeout: float = 30.0) -> Mail:
        """The `count`-th mail to `address` carrying a token (a booking or reschedule mail)."""
        mails = self.wait_for(address, count, timeout, where=lambda m: mail_token(m.msg) is not None)
        return mails[count - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    box = Mailbox()
    box.start()
    yield box
    box.stop()


# --------------------------------------------------------------------------------------------
# Config


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def to_toml(config: dict) -> str:
    """Dumps nested dicts of str/int/bool/list as TOML tables."""
    out: list[str] = []

    def table(prefix: str, d: dict):
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
        if scalars or not prefix:
            if prefix:
                out.append(f"[{prefix}]")
            out.extend(f"{k} = {toml_value(v)}" for k, v in scalars.items())
            out.append("")
        for k, v in d.items():
            if isinstance(v, dict):
                table(f"{prefix}.{k}" if prefix else k, v)

    table("", config)
    return "\n".join(out)


def station_config(mailbox: Mailbox | None = None, **sections) -> dict:
    """The test station's config: a fixed name and time zone, mail through `mailbox` if given,
    and any further sections (`limits={...}`, `sessions={...}`) merged in."""
    config: dict = {
        "station": {
            "name": "Deccan Gymkhana Police Station",
            "code": "DGP",
            "zone": "Zone 1",
            "time_zone": STATION_TZ,
        },
        "mail": {"from": "V-Appointment <noreply@dgp.example>", "retry_max": "2s"},
    }
    if mailbox is not None:
        config["mail"]["relay"] = {"host": "127.0.0.1", "port": mailbox.port, "security": "none"}
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    return config


# --------------------------------------------------------------------------------------------
# The station process


@dataclass
class Officer:
    id: int
    name: str
    rank: str
    email: str
    password: str
    admin: bool


def new_session() -> requests.Session:
    """A requests session for the station: its self-signed certificate is accepted, and the
    environment (CA bundle and proxy variables) is ignored so nothing leaves 127.0.0.1."""
    s = requests.Session()
    s.verify = False
    s.trust_env = False
    return s


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN), *args], input=stdin, capture_output=True, text=True, timeout=60
    )


class Station:
    """One `vappoint station` process on a data directory; can be killed and started again."""

    def __init__(self, data: Path, config: dict | None, log_dir: Path):
        self.data = data
        self.data.mkdir(parents=True, exist_ok=True)
        self.config_path: Path | None = None
        if config is not None:
            self.config_path = log_dir / "vappoint.toml"
            self.config_path.write_text(to_toml(config))
        self.log_dir = log_dir
        self.proc: subprocess.Popen | None = None
        self.https_port = self.http_port = None
        self.lines: list[str] = []
        self.runs = 0
        self.officers: list[Officer] = []
        self.admin: Officer | None = None  # set by the `station` fixture
        self.env: dict[str, str] = {}  # added to the process's environment
        # The address both listeners bind (port 0: the process picks and prints its ports).
        # bench/call-quality binds the address its browsers' namespaces reach.
        self.host = "127.0.0.1"

    # -- officers -----------------------------------------------------------------------------

    def add_officer(
        self,
        name: str | None = None,
        rank: str = "PSI",
        admin: bool = False,
        hours: str = ALL_DAY,
        slot_minutes: int = 5,
        password: str | None = None,
    ) -> Officer:
        name = name or f"Officer {unique('n')}"
        officer_email = f"{unique('officer')}@dgp.example"
        password = password or f"pw-{uuid.uuid4().hex}"
        args = [
            "officer", "add", "--data", str(self.data), "--name", name, "--rank", rank,
            "--email", officer_email, "--password-stdin", "--hours", hours,
            "--slot-minutes", str(slot_minutes),
        ]
        if admin:
            args.append("--admin")
        done = run_cli(*args, stdin=password + "\n")
        assert done.returncode == 0, f"officer add failed: {done.stdout}\n{done.stderr}"
        last = done.stdout.strip().splitlines()[-1]
        m = re.fullmatch(r"officer (\d+) added", last.strip())
        assert m, f"unexpected last line of officer add: {last!r}"
        officer = Officer(int(m.group(1)), name, rank, officer_email, password, admin)
        self.officers.append(officer)
        return officer

    # -- process ------------------------------------------------------------------------------

    def launch_args(self) -> list[str]:
        """The command line of the process (subclasses run other subcommands)."""
        args = [
            str(BIN), "station", "--data", str(self.data),
            "--https-addr", f"{self.host}:0", "--http-addr", f"{self.host}:0",
        ]
        if self.config_path is not None:
            args += ["--config", str(self.config_path)]
        return args

    def start(self):
        assert self.proc is None
        self.runs += 1
        args = self.launch_args()
        stderr = open(self.log_dir / f"stderr.{self.runs}.log", "wb")
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
            text=True, bufsize=1, env={**os.environ, **self.env},
        )
        stderr.close()
        ports: dict[str, int] = {}
        ready = threading.Event()
        proc, lines, host = self.proc, self.lines, self.host

        def read():
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))
                m = re.fullmatch(r"vappoint: (https?) listening on " + re.escape(host) + r":(\d+)", line.strip())
                if m:
                    ports[m.group(1)] = int(m.group(2))
                    if len(ports) == 2:
                        ready.set()
            ready.set()  # stdout closed: the process ended

        threading.Thread(target=read, daemon=True).start()
        ready.wait(30)
        if len(ports) != 2:
            code = self.proc.poll()
            self.kill()
            pytest.fail(
                f"vappoint {args[1]} did not report both ports within 30 s (exit code {code})\n"
                f"stdout: {lines[-20:]}\nstderr: {self.stderr_tail()}"
            )
        self.https_port, self.http_port = ports["https"], ports["http"]

    def stop(self):
        """SIGTERM, and SIGKILL if it does not end in 15 s."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)
        self.proc = None

    def kill(self):
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait(15)
        self.proc = None

    def stderr_tail(self, n: int = 40) -> str:
        path = self.log_dir / f"stderr.{self.runs}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])

    # -- HTTP ---------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"https://{self.host}:{self.https_port}"

    @property
    def http_base(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def url(self, path: str) -> str:
        return urljoin(self.base, path)

    def session(self) -> requests.Session:
        return new_session()

    def get(self, path: str, **kw) -> requests.Response:
        """GET `path` (or an absolute URL) in a fresh session, without cookies."""
        kw.setdefault("timeout", 30)
        with new_session() as s:
            return s.get(self.url(path), **kw)

    def post(self, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 30)
        with new_session() as s:
            return s.post(self.url(path), **kw)

    # -- citizen API --------------------------------------------------------------------------

    @property
    def time_zone(self) -> ZoneInfo:
        return ZoneInfo(self.get("/api/v1/station").json()["time_zone"])

    def today(self) -> date:
        return datetime.now(self.time_zone).date()

    def slots(self, officer_id: int, day: date | str) -> dict:
        r = self.get(f"/api/v1/officers/{officer_id}/slots", params={"date": str(day)})
        assert r.status_code == 200, r.text
        return r.json()

    def free_slots(self, officer_id: int, after: timedelta = timedelta(minutes=1), days: int = 3) -> list[dict]:
        """Free slots starting at least `after` from now, over the next `days` local days."""
        earliest = datetime.now(timezone.utc) + after
        today = self.today()
        out = []
        for i in range(days):
            for slot in self.slots(officer_id, today + timedelta(days=i))["slots"]:
                if slot["free"] and datetime.fromisoformat(slot["start"]) >= earliest:
                    out.append(slot)
        return out

    def free_slot(self, officer_id: int, after: timedelta = timedelta(minutes=1)) -> dict:
        slots = self.free_slots(officer_id, after)
        assert slots, f"officer {officer_id} has no free slot from {after} ahead"
        return slots[0]

    def book(
        self,
        officer_id: int,
        start: str,
        email_addr: str | None = None,
        name: str = "Asha Patil",
        category: str = "complaint",
        reason: str = "My bicycle was stolen near the market.",
        mobile: str | None = "9876543210",
        documents: list[tuple[str, bytes, str]] = (),
        idempotency_key: str | None = None,
        session: requests.Session | None = None,
        omit: tuple[str, ...] = (),
    ) -> requests.Response:
        """POST /api/v1/appointments as multipart; `omit` drops fields to test validation."""
        fields = {
            "officer_id": str(officer_id),
            "start": start,
            "name": name,
            "email": email_addr or citizen_email(),
            "mobile": mobile,
            "reason_category": category,
            "reason": reason,
        }
        parts = [(k, (None, v)) for k, v in fields.items() if v is not None and k not in omit]
        parts += [("documents", doc) for doc in documents]
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        if session is not None:
            return session.post(self.url("/api/v1/appointments"), files=parts, headers=headers, timeout=60)
        return self.post("/api/v1/appointments", files=parts, headers=headers, timeout=60)

    def book_ok(self, officer_id: int, start: str, email_addr: str, **kw) -> dict:
        """Books, and returns the answer with the `reference` the booking got."""
        r = self.book(officer_id, start, email_addr, **kw)
        assert r.status_code == 202, f"booking failed: {r.status_code} {r.text}"
        return {**r.json(), "reference": self.reference_of(officer_id, start, email_addr)}

    def reference_of(self, officer_id: int, start: str, email_addr: str) -> str:
        """The reference of the booking `email_addr` holds at `start`. The answer to a booking
        does not carry it (it reads the same when the address's day was already taken, see
        test_hardening_bookings); the citizen reads it in the mail, and tests whose mail may
        not arrive read it from the database."""
        at = int(datetime.fromisoformat(start).timestamp())
        with sqlite3.connect(self.data / "vappoint.db") as db:
            row = db.execute(
                "SELECT reference FROM appointments WHERE officer_id = ? AND start_at = ? AND email = ? "
                "AND status = 'booked'",
                (officer_id, at, email_addr),
            ).fetchone()
        assert row, f"{email_addr} holds no booking with officer {officer_id} at {start}"
        return row[0]

    # -- officer console ----------------------------------------------------------------------

    def login(self, officer: Officer) -> requests.Session:
        s = self.session()
        page = s.get(self.url("/officer/login"), timeout=30)
        assert page.status_code == 200, page.text
        r = s.post(
            self.url("/officer/login"),
            data={"csrf": csrf_of(page.text), "email": officer.email, "password": officer.password},
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 303, f"login answered {r.status_code}: {r.text[:500]}"
        assert location_path(r) == "/officer", r.headers.get("Location")
        return s

    def appointment_id(self, console: requests.Session, reference: str, day: str) -> int:
        """The console id of the appointment `reference` on local date `day`, found through the
        day view and the detail pages it links to."""
        page = console.get(self.url("/officer"), params={"date": day}, timeout=30)
        assert page.status_code == 200, page.text[:500]
        assert reference in page.text, f"{reference} is not in the day view of {day}"
        for found in dict.fromkeys(re.findall(r"/officer/appointments/(\d+)", page.text)):
            detail = console.get(self.url(f"/officer/appointments/{found}"), timeout=30)
            if detail.status_code == 200 and reference in detail.text:
                return int(found)
        pytest.fail(f"no /officer/appointments/ link in the day view of {day} leads to {reference}")


def location_path(r: requests.Response) -> str:
    from urllib.parse import urlsplit

    return urlsplit(r.headers.get("Location", "")).path


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no csrf field on the page"
    return m.group(1)


def error_code(r: requests.Response) -> str | None:
    try:
        return r.json()["error"]["code"]
    except Exception:
        return None


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning")
    config.addinivalue_line("markers", "image: needs the built Raspberry Pi image (left out by tests/run --quick)")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def make_station(tmp_path_factory, request):
    """Factory: `make_station(config)` -> a started Station on a fresh data directory.
    Pass `start=False` to add officers before starting, `data=` to put its data directory
    somewhere else (e.g. on a card of its own). Stopped at teardown; its stderr is printed when
    the test failed."""
    if not BIN.exists():
        pytest.fail(f"vappoint binary not found at {BIN} (build it or set VAPPOINT_BIN)")
    stations: list[Station] = []

    def make(config: dict | None, start: bool = True, data: Path | None = None) -> Station:
        log_dir = tmp_path_factory.mktemp("station")
        st = Station(data or log_dir / "data", config, log_dir)
        stations.append(st)
        if start:
            st.start()
        return st

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for st in stations:
        if failed:
            print(f"--- vappoint stderr (run {st.runs}, data {st.data}) ---\n{st.stderr_tail()}")
        st.stop()


@pytest.fixture
def hub_backend(request) -> str:
    """The database `hubkit.make_hub`'s hubs use unless told otherwise: "sqlite" (the embedded
    default), or "postgres" in modules that run on both (`pytestmark = hubkit.BOTH_BACKENDS`)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def station(smtp, make_station) -> Station:
    """A started station mailing through `smtp`, with one admin officer open all day."""
    st = make_station(station_config(smtp), start=False)
    st.admin = st.add_officer(name="Inspector Sharmila Jadhav", rank="PI", admin=True)
    st.start()
    return st


# --------------------------------------------------------------------------------------------
# Documents


def pdf_bytes(tag: str = "") -> bytes:
    """A tiny, well-formed one-page PDF; `tag` makes the bytes unique."""
    body = (
        b"%PDF-1.4\n"
        b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    )
    return body + f"% {tag}\n".encode() + b"trailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes() -> bytes:
    """A valid 1x1 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------------------------
# HTML


@dataclass
class Form:
    attrs: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)  # name -> default value
    types: dict[str, str] = field(default_factory=dict)  # name -> input type / tag


class FormParser(HTMLParser):
    """Collects forms with their inputs, selects and textareas, and every resource reference."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self.resources: list[str] = []
        self.html_lang: str | None = None
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "form":
            self._form = Form(a)
            self.forms.append(self._form)
        elif tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            if not {"alternate", "canonical", "next", "prev", "author", "help", "license"} & set(rel):
                self.resources.append(a["href"])
        elif tag in ("script", "img") and a.get("src"):
            self.resources.append(a["src"])
        if self._form is None or not a.get("name"):
            if tag == "option" and self._form is not None and self._select is not None:
                if self._select not in self._form.fields or "selected" in a:
                    self._form.fields[self._select] = a.get("value", "")
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form.types.setdefault(name, kind)
                return
            self._form.fields[name] = a.get("value", "")
            self._form.types[name] = kind
        elif tag == "select":
            self._select = name
            self._form.types[name] = "select"
        elif tag == "textarea":
            self._textarea = name
            self._form.fields[name] = ""
            self._form.types[name] = "textarea"
        elif tag == "button":
            self._form.types.setdefault(name, "button")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea is not None:
            self._form.fields[self._textarea] += data


def parse_html(html: str) -> FormParser:
    p = FormParser()
    p.feed(html)
    p.close()
    return p


def form_posting_to(html: str, action: str) -> Form:
    forms = [f for f in parse_html(html).forms if f.attrs.get("action") == action]
    assert forms, f"no form posting to {action}"
    return forms[0]


@pytest.fixture
def browsers():
    """Factory: `browsers(phone=False, lang=None)` -> a headless Chromium with a fresh profile
    (see browser.py); all are closed at teardown."""
    from browser import Browser

    opened = []

    def make(**kw):
        b = Browser(**kw)
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.quit()
