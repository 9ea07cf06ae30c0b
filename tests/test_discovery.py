"""LAN discovery: a box announced over mDNS is found by an independent implementation
(python-zeroconf) and by `vappoint discover`, on a LAN of its own.

The LAN is two network namespaces made for the test and joined by a veth pair: the box
listens on 0.0.0.0 in one (10.77.0.1), the clients run in the other (10.77.0.2). Nothing is
sent outside these namespaces. The test needs `ip netns` (root and iproute2, as in CI) and
fails, rather than skips, without it. Nothing waits a fixed time: every wait polls with a
deadline (`vappoint discover --seconds N` is itself the one bounded listen).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import BIN, station_config, to_toml, wait_until

BOX_IP = "10.77.0.1"
CLIENT_IP = "10.77.0.2"
SERVICE = "_vappoint._tcp.local."

# Runs in the client namespace: browses for vappoint boxes and prints one JSON line per event
# (a resolved service with its addresses and TXT record, or a removal), until stdin closes.
BROWSER = r"""
import json, sys
from zeroconf import ServiceBrowser, ServiceStateChange, Zeroconf

zc = Zeroconf(interfaces=[sys.argv[1]])

def on_change(zeroconf, service_type, name, state_change):
    if state_change is ServiceStateChange.Removed:
        print(json.dumps({"event": "removed", "name": name}), flush=True)
        return
    info = zeroconf.get_service_info(service_type, name, timeout=3000)
    if info is None:
        return
    print(json.dumps({
        "event": "resolved",
        "name": name,
        "server": info.server,
        "port": info.port,
        "addresses": sorted(info.parsed_addresses()),
        "txt": {k.decode(): (v or b"").decode() for k, v in info.properties.items()},
    }), flush=True)

browser = ServiceBrowser(zc, sys.argv[2], handlers=[on_change])
sys.stdin.read()
browser.cancel()
zc.close()
"""


# Runs in the box's namespace: the station's admin sets its code in the console.
SET_CODE = r"""
import re, sys, requests, urllib3
urllib3.disable_warnings()
base, email, password, code = sys.argv[1:5]
s = requests.Session()
s.verify, s.trust_env = False, False
csrf = lambda html: re.search(r'name="csrf" value="([^"]+)"', html).group(1)
page = s.get(base + "/officer/login", timeout=30)
r = s.post(base + "/officer/login", allow_redirects=False, timeout=30,
           data={"csrf": csrf(page.text), "email": email, "password": password})
assert r.status_code == 303, r.status_code
page = s.get(base + "/officer/station", timeout=30)
r = s.post(base + "/officer/station", timeout=30, data={"csrf": csrf(page.text), "code": code})
assert r.status_code == 200 and "Saved." in r.text, (r.status_code, r.text[:300])
"""


def run(*args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


class Lan:
    """Two namespaces, `box` and `client`, joined by a veth pair; and the processes started
    in them, all ended at teardown."""

    def __init__(self, box_ip: str = BOX_IP, client_ip: str = CLIENT_IP):
        self.box_ip, self.client_ip = box_ip, client_ip
        tag = f"{os.getpid() % 100000}"
        self.box = f"vappoint-box-{tag}"
        self.client = f"vappoint-client-{tag}"
        self.procs: list[subprocess.Popen] = []
        self.made: list[str] = []

    def setup(self):
        if shutil.which("ip") is None:
            pytest.fail("tests/test_discovery.py needs iproute2's `ip` (ip netns) on PATH")
        for ns in (self.box, self.client):
            done = run("ip", "netns", "add", ns, check=False)
            if done.returncode != 0:
                pytest.fail(
                    "tests/test_discovery.py needs `ip netns` (run as root with iproute2): "
                    f"`ip netns add {ns}` failed: {done.stderr.strip()}"
                )
            self.made.append(ns)
        # Made directly inside the namespaces: the pair never appears on the host.
        tag = f"{os.getpid() % 100000}"
        box_if, client_if = f"vpb{tag}", f"vpc{tag}"
        run("ip", "link", "add", "name", box_if, "netns", self.box, "type", "veth",
            "peer", "name", client_if, "netns", self.client)
        for ns, dev, ip in ((self.box, box_if, self.box_ip), (self.client, client_if, self.client_ip)):
            run("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", dev)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "link", "set", dev, "up")
            # No default route in these namespaces: multicast goes out of the veth.
            run("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", dev)

    def popen(self, ns: str, *args: str, **kw) -> subprocess.Popen:
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *args], **kw)
        self.procs.append(proc)
        return proc

    def run_in(self, ns: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return run("ip", "netns", "exec", ns, *args, check=False, timeout=timeout)

    def teardown(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(15)
        for ns in self.made:
            run("ip", "netns", "del", ns, check=False)


@pytest.fixture
def lan():
    lan = Lan()
    try:
        lan.setup()
        yield lan
    finally:
        lan.teardown()


class Lines:
    """The standard output of a process, line by line, read by a thread so waits can poll."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: list[str] = []

        def read():
            for line in proc.stdout:
                self.lines.append(line.rstrip("\n"))

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match:
        def seen():
            for line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return m
            if self.proc.poll() is not None:
                pytest.fail(f"process ended ({self.proc.returncode}) before {pattern!r}: {self.lines[-20:]}")
            return None

        return wait_until(seen, timeout, message=f"a line matching {pattern!r}")

    def event(self, where, timeout: float = 30) -> dict:
        """The first JSON line (an event of the browser) so far satisfying `where`, waiting
        for it if there is none yet."""

        def seen():
            for line in list(self.lines):
                event = json.loads(line)
                if where(event):
                    return event
            if self.proc.poll() is not None:
                pytest.fail(f"the browser ended ({self.proc.returncode}): {self.lines[-20:]}")
            return None

        return wait_until(seen, timeout, message="a browser event")


def start_box(lan: Lan, tmp_path: Path, kind: str, name: str, https: int, http: int, config: dict) -> tuple[Lines, Path]:
    data = tmp_path / name
    data.mkdir()
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(to_toml(config))
    log = open(tmp_path / f"{name}.stderr.log", "wb")
    proc = lan.popen(
        lan.box, str(BIN), kind, "--data", str(data),
        "--https-addr", f"0.0.0.0:{https}", "--http-addr", f"0.0.0.0:{http}", "--config", str(cfg),
        stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True, bufsize=1,
    )
    log.close()
    out = Lines(proc)
    out.wait_for(rf"^vappoint: https listening on 0\.0\.0\.0:{https}$")
    return out, data


def cert_sha256(data: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert((data / "tls" / "cert.pem").read_text())
    return hashlib.sha256(der).hexdigest()


def version() -> str:
    done = run(str(BIN), "--version")
    return done.stdout.split()[-1]


def discover(lan: Lan, seconds: int = 3) -> list[str]:
    done = lan.run_in(lan.client, str(BIN), "discover", "--seconds", str(seconds))
    assert done.returncode == 0, f"vappoint discover failed: {done.stdout}\n{done.stderr}"
    return done.stdout.strip().splitlines()


def test_an_independent_client_finds_the_station(lan, tmp_path):
    if not BIN.exists():
        pytest.fail(f"vappoint binary not found at {BIN} (build it or set VAPPOINT_BIN)")
    station, data = start_box(lan, tmp_path, "station", "dgp", 8443, 8080, station_config())
    station.wait_for(rf"^vappoint: announcing on the LAN as dgp\.local .*port 8443.* from {re.escape(BOX_IP)}$")
    fp = cert_sha256(data)

    browser = Lines(lan.popen(
        lan.client, sys.executable, "-c", BROWSER, CLIENT_IP, SERVICE,
        stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True, bufsize=1,
    ))
    found = browser.event(lambda e: e["event"] == "resolved" and "(DGP)" in e["name"])
    assert found["name"] == f"Deccan Gymkhana Police Station (DGP).{SERVICE}"
    assert found["server"] == "dgp.local."
    assert found["port"] == 8443
    # Only the LAN address: not loopback, not the IPv6 link-local address (0.0.0.0 is IPv4).
    assert found["addresses"] == [BOX_IP]
    assert found["txt"] == {
        "code": "DGP",
        "zone": "Zone 1",
        "role": "station",
        "version": version(),
        "fp": fp,
        "path": "/",
    }

    # The fingerprint is what the client gets when it opens the announced address.
    served = lan.run_in(lan.client, sys.executable, "-c",
                        "import ssl,sys; print(ssl.get_server_certificate((sys.argv[1], 8443)))", BOX_IP)
    assert served.returncode == 0, served.stderr
    assert hashlib.sha256(ssl.PEM_cert_to_DER_cert(served.stdout.strip())).hexdigest() == fp

    lines = discover(lan)
    assert lines == [
        f'station DGP zone="Zone 1" version={version()} fp={fp} https://{BOX_IP}:8443/'
    ], lines

    # Stopping withdraws the announcement (goodbye packets), so clients forget the box at
    # once rather than after the records' TTL.
    station.proc.send_signal(signal.SIGTERM)
    assert station.proc.wait(15) == 0
    browser.event(lambda e: e["event"] == "removed" and "(DGP)" in e["name"])
    browser.proc.stdin.close()
    assert browser.proc.wait(15) == 0


def test_discover_lists_stations_and_hubs(lan, tmp_path):
    if not BIN.exists():
        pytest.fail(f"vappoint binary not found at {BIN} (build it or set VAPPOINT_BIN)")
    assert discover(lan, seconds=1) == ["vappoint: no vappoint box answered on the LAN within 1 s"]

    shv = station_config()
    shv["station"].update(name="Shivajinagar Police Station", code="SHV", zone="Zone 2")
    shv["calls"] = {"udp_ports": "41000-41009"}
    station, station_data = start_box(lan, tmp_path, "station", "shv", 7443, 7080, shv)
    hub, hub_data = start_box(lan, tmp_path, "hub", "hub", 9443, 9080, {"hub": {"name": "Pune City Police"}})
    # A station that keeps to itself.
    quiet = station_config()
    quiet["station"].update(code="KTR")
    quiet["calls"] = {"udp_ports": "42000-42009"}
    quiet["discovery"] = {"enabled": False}
    silent, _ = start_box(lan, tmp_path, "station", "ktr", 6443, 6080, quiet)
    station.wait_for(r"^vappoint: announcing on the LAN as shv\.local ")
    hub.wait_for(r"^vappoint: announcing on the LAN as vappoint-hub\.local ")
    assert not any("announcing" in line for line in silent.lines), silent.lines

    def both_listed():
        lines = discover(lan, seconds=2)
        return lines if len(lines) == 2 else None

    lines = wait_until(both_listed, timeout=30, message="a hub and a station in vappoint discover")
    v = version()
    assert lines == [
        f'hub HUB zone="" version={v} fp={cert_sha256(hub_data)} https://{BOX_IP}:9443/',
        f'station SHV zone="Zone 2" version={v} fp={cert_sha256(station_data)} https://{BOX_IP}:7443/',
    ], lines


def test_a_new_code_is_announced_without_a_restart(lan, tmp_path):
    if not BIN.exists():
        pytest.fail(f"vappoint binary not found at {BIN} (build it or set VAPPOINT_BIN)")
    config = station_config()
    del config["station"]["code"]  # set in the console, as on a new box
    station, data = start_box(lan, tmp_path, "station", "new", 8443, 8080, config)
    station.wait_for(r"^vappoint: announcing on the LAN as vappoint\.local ")
    password = "a long password for the admin"
    added = subprocess.run(
        [str(BIN), "officer", "add", "--data", str(data), "--name", "Vijay Patil",
         "--rank", "Senior Police Inspector", "--email", "spi@dgp.example", "--admin",
         "--password-stdin"],
        input=password + "\n", capture_output=True, text=True, timeout=60,
    )
    assert added.returncode == 0, added.stderr

    browser = Lines(lan.popen(
        lan.client, sys.executable, "-c", BROWSER, CLIENT_IP, SERVICE,
        stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True, bufsize=1,
    ))
    first = browser.event(lambda e: e["event"] == "resolved")
    assert (first["server"], first["txt"]["code"]) == ("vappoint.local.", "PS")

    saved = lan.run_in(lan.box, sys.executable, "-c", SET_CODE, "https://127.0.0.1:8443",
                       "spi@dgp.example", password, "DGP")
    assert saved.returncode == 0, saved.stderr
    renamed = browser.event(lambda e: e["event"] == "resolved" and e["txt"].get("code") == "DGP")
    assert renamed["name"] == f"Deccan Gymkhana Police Station (DGP).{SERVICE}"
    assert renamed["server"] == "dgp.local."
    assert renamed["addresses"] == [BOX_IP]
    # The old name was withdrawn, not left to expire.
    browser.event(lambda e: e["event"] == "removed" and "(PS)" in e["name"], timeout=15)
    assert discover(lan) == [
        f'station DGP zone="Zone 1" version={version()} fp={cert_sha256(data)} https://{BOX_IP}:8443/'
    ]
    browser.proc.stdin.close()
