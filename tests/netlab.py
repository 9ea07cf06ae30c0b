"""A small internet in network namespaces, for tests that need real hosts, NATs and names:
the reachability tests (tests/test_reachable.py) and anyone else who needs the topology.

    inet        the "internet": one bridge, 203.0.113.0/24 (TEST-NET-3); .1 is the routers'
                upstream, where anything for elsewhere is dropped silently
                  .2  Pebble (ACME, :14000, management :15000) and pebble-challtestsrv (DNS :53,
                      management :8055): every name under v.test answers with the hub's address
                  .3  coturn (TURN, :3478 UDP and TCP; relay ports RELAY_PORTS)
                  .10 the hub (:443 and :80)
                  .40 .41 free public addresses for boxes reached directly
    rt-st       NAT router: WAN .20 on inet, LAN 192.168.10.1/24
    stationlan  behind rt-st: the station box 192.168.10.10, the officer's browser
    rt-cz       NAT router: WAN .30 on inet, LAN 192.168.20.1/24
    citizen     behind rt-cz: the citizen's browser, 192.168.20.10

The routers masquerade with `fully-random` ports (a new external port for every new flow, as
carrier-grade NAT often does), so two peers behind them cannot reach each other directly and
only a TURN relay carries their media; they forward nothing inbound (no port forwarding) and
`inet` has no route to the private LANs.

The test process reaches into the lab over management veths (root namespace <-> one
namespace, a /30 of its own and no route beyond it): Selenium talks to a chromedriver running
inside a namespace (`webdriver.Remote`), and the test reads Pebble's and challtestsrv's
management APIs. Names are unique per run; `Netlab.down()` ends every process started here and
deletes the namespaces, also after a failure. Nothing waits a fixed time: every wait polls
with a deadline. Without `ip netns` or `nft` (root, iproute2, nftables) the lab fails with a
clear message rather than skipping.
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from conftest import BIN, run_cli, to_toml, wait_until

DOMAIN = "v.test"
INET_PREFIX = 24
INET_GW = "203.0.113.1"
SINK_IP = "203.0.113.254"
ACME_IP = "203.0.113.2"
TURN_IP = "203.0.113.3"
HUB_IP = "203.0.113.10"
RT_ST_WAN = "203.0.113.20"
RT_CZ_WAN = "203.0.113.30"
DIRECT_IPS = ("203.0.113.40", "203.0.113.41")
ST_GW, STATION_IP = "192.168.10.1", "192.168.10.10"
CZ_GW, CITIZEN_IP = "192.168.20.1", "192.168.20.10"
RELAY_PORTS = (49160, 49259)
ACME_DIRECTORY = f"https://{ACME_IP}:14000/dir"
TURN_HOST = f"turn.{DOMAIN}"
HUB_HOST = f"hub.{DOMAIN}"
CHROMEDRIVER_PORT = 9515

# The NAT of both routers: masquerade out of the WAN side with a random port per flow, and
# forward back in only what belongs to a flow a LAN host opened.
NAT_RULES = """
table ip nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" masquerade fully-random
    }
}
table ip filter {
    chain forward {
        type filter hook forward priority filter; policy drop;
        iifname "lan" oifname "wan" accept
        iifname "wan" oifname "lan" ct state established,related accept
    }
}
"""

# Runs in a namespace: one STUN Binding request to (host, port) over UDP; prints the mapped
# address it was told, or exits non-zero without an answer.
STUN_PROBE = r"""
import os, socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
tid = os.urandom(12)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.sendto(struct.pack("!HHI", 0x0001, 0, 0x2112A442) + tid, (host, port))
data, _ = s.recvfrom(2048)
kind, length, cookie = struct.unpack("!HHI", data[:8])
assert kind == 0x0101 and data[8:20] == tid, "not a binding success answer"
pos = 20
while pos < 20 + length:
    atype, alen = struct.unpack("!HH", data[pos:pos + 4])
    value = data[pos + 4:pos + 4 + alen]
    if atype == 0x0020:  # XOR-MAPPED-ADDRESS
        xport = struct.unpack("!H", value[2:4])[0] ^ 0x2112
        xip = struct.unpack("!I", value[4:8])[0] ^ 0x2112A442
        print(socket.inet_ntoa(struct.pack("!I", xip)), xport)
        sys.exit(0)
    pos += 4 + alen + (-alen % 4)
sys.exit("no XOR-MAPPED-ADDRESS")
"""

# Runs in a namespace: a TLS client that trusts only the given roots, with SNI = the name;
# prints the served certificate as JSON (DER SHA-256, issuer CN, DNS names) or the error.
TLS_PROBE = r"""
import hashlib, json, socket, ssl, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
ip, port, name, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile) if cafile != "-" else ssl._create_unverified_context()
if not name:
    ctx.check_hostname = False  # no name to check; the chain still must verify
ctx.set_alpn_protocols(["http/1.1"])
try:
    with socket.create_connection((ip, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=name or None) as tls:
            der = tls.getpeercert(binary_form=True)
except (OSError, ssl.SSLError) as e:
    print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
    sys.exit(0)
cert = x509.load_der_x509_certificate(der)
try:
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
except x509.ExtensionNotFound:
    names = []
issuer = [a.value for a in cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)]
print(json.dumps({"sha256": hashlib.sha256(der).hexdigest(), "issuer": issuer[0] if issuer else "", "names": names}))
"""


def run(*args: str, check: bool = True, timeout: float = 30, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


def require_tools():
    """Fails (never skips) with what is missing: CI installs all of these."""
    missing = [t for t in ("ip", "nft", "pebble", "pebble-challtestsrv", "turnserver", "certutil",
                           "chromium", "chromedriver") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"the network lab needs {', '.join(missing)} on PATH (tests/packages.sh installs them)")
    if os.geteuid() != 0:
        pytest.fail("the network lab needs root (ip netns, nft)")
    if not BIN.exists():
        pytest.fail(f"vappoint binary not found at {BIN} (build it or set VAPPOINT_BIN)")


class Lines:
    """A process's standard output, line by line, read by a thread so waits can poll."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: list[str] = []

        def read():
            for line in proc.stdout:
                self.lines.append(line.rstrip("\n"))

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, pattern: str, timeout: float = 30, what: str = "process") -> re.Match:
        def seen():
            for line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return m
            if self.proc.poll() is not None:
                pytest.fail(f"{what} ended ({self.proc.returncode}) before printing {pattern!r}: {self.lines[-20:]}")
            return None

        return wait_until(seen, timeout, interval=0.05, message=f"{what} printing {pattern!r}")


@dataclass
class Box:
    """A `vappoint station` or `vappoint hub` running in a namespace."""

    lab: "Netlab"
    ns: str
    kind: str
    name: str
    data: Path
    config_path: Path
    stderr_path: Path
    proc: subprocess.Popen | None = None
    out: Lines | None = None
    args: list[str] = field(default_factory=list)

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        stderr = open(self.stderr_path, "ab")
        self.proc = self.lab.popen(self.ns, *self.args, stdout=subprocess.PIPE, stderr=stderr,
                                   stdin=subprocess.DEVNULL, text=True, bufsize=1)
        stderr.close()
        self.out = Lines(self.proc)
        self.out.wait_for(r"^vappoint: https listening on ", what=f"{self.kind} {self.name}")

    def stop(self):
        if self.proc is not None:
            self.lab.end(self.proc)
            self.proc = None

    def cli(self, *args: str, stdin: str | None = None, in_ns: bool = False) -> subprocess.CompletedProcess:
        """`vappoint <args> --data DATA`; in the box's namespace when it needs the network."""
        full = [*args, "--data", str(self.data)]
        if not in_ns:
            return run_cli(*full, stdin=stdin)
        return subprocess.run(["ip", "netns", "exec", self.ns, str(BIN), *full], input=stdin,
                              capture_output=True, text=True, timeout=60)

    def stderr_tail(self, n: int = 60) -> str:
        if not self.stderr_path.exists():
            return ""
        return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-n:])

    def spooled_mails(self) -> list[email.message.EmailMessage]:
        """The mail the box wrote to its spool (a station without a mail relay)."""
        return spooled_mails(self.data)


def spooled_mails(data: Path) -> list[email.message.EmailMessage]:
    """The mail a station on `data` wrote to its spool (it has no mail relay)."""
    spool = data / "spool"
    files = sorted(spool.glob("*.eml")) if spool.is_dir() else []
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


class RemoteBrowser:
    """Headless Chromium started by a chromedriver inside a namespace, driven over the
    management veth. A fresh HOME holds an NSS database that trusts Pebble's root, so the
    browser trusts what Pebble issues without `--ignore-certificate-errors`."""

    def __init__(self, lab: "Netlab", ns: str, port: int, insecure: bool, lang: str | None,
                 args: tuple[str, ...] = ()):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chromium.remote_connection import ChromiumRemoteConnection

        from browser import CHROMEDRIVER, CHROMIUM, FLAGS

        self.lab = lab
        self.home = Path(tempfile.mkdtemp(prefix="vappoint-netlab-home-", dir=lab.dir))
        self.profile = self.home / "profile"
        nssdb = self.home / ".pki" / "nssdb"
        nssdb.mkdir(parents=True)
        run("certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password")
        if lab.pebble_root_path is not None:  # None in bench/call-quality, which has no Pebble
            run("certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "Pebble test root",
                "-i", str(lab.pebble_root_path))
        mgmt_ip = lab.mgmt[ns][1]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home), "LANG": "C.UTF-8"}
        self.driver_log = lab.dir / f"chromedriver-{ns}-{port}.log"
        self.proc = lab.popen(ns, CHROMEDRIVER, f"--port={port}", f"--allowed-ips={lab.mgmt[ns][0]}",
                              f"--log-path={self.driver_log}", env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://{mgmt_ip}:{port}"

        def ready():
            try:
                return requests.get(f"{url}/status", timeout=2).json()["value"]["ready"]
            except (requests.RequestException, ValueError, KeyError):
                return False

        wait_until(ready, timeout=20, interval=0.1, message=f"chromedriver in {ns}")
        options = Options()
        options.binary_location = CHROMIUM
        options.accept_insecure_certs = insecure
        # browser.py's flags, but certificates are checked for real and loopback plays no part.
        for f in FLAGS:
            if f not in ("--ignore-certificate-errors", "--allow-loopback-in-peer-connection"):
                options.add_argument(f)
        options.add_argument(f"--user-data-dir={self.profile}")
        for a in args:
            options.add_argument(a)
        if lang:
            options.add_argument(f"--lang={lang}")
            options.add_experimental_option("prefs", {"intl.accept_languages": f"{lang},en"})
        connection = ChromiumRemoteConnection(url, vendor_prefix="goog", browser_name="chrome",
                                              ignore_proxy=True)
        self.driver = webdriver.Remote(command_executor=connection, options=options)
        self.driver.set_script_timeout(30)

    def stats(self) -> dict | None:
        """framesDecoded and packets received by this page's peer connection (see call.js)."""
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "if (!window.vaPeer) { done(null); return; }"
            "window.vaPeer.stats().then(done, () => done(null));"
        )

    def selected_pair(self) -> dict | None:
        """The candidate types and addresses of the peer connection's selected ICE pair."""
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "if (!window.vaPeer) { done(null); return; }"
            "window.vaPeer.pc.getStats().then(stats => {"
            "  let pair = null;"
            "  stats.forEach(r => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId); });"
            "  if (!pair) stats.forEach(r => { if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r; });"
            "  if (!pair) { done(null); return; }"
            "  const c = id => { const x = stats.get(id); return x && {type: x.candidateType, address: x.address, port: x.port, protocol: x.protocol, relayProtocol: x.relayProtocol}; };"
            "  done({local: c(pair.localCandidateId), remote: c(pair.remoteCandidateId), state: pair.state});"
            "}, () => done(null));"
        )

    def ice_report(self) -> str:
        """The peer connection's ICE servers (URLs only) and candidates, for a failure's text."""
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "if (!window.vaPeer) { done('no peer connection'); return; }"
            "const pc = window.vaPeer.pc;"
            "const servers = (pc.getConfiguration().iceServers || []).map(s => s.urls);"
            "pc.getStats().then(stats => {"
            "  const out = [];"
            "  stats.forEach(r => {"
            "    if (r.type === 'local-candidate' || r.type === 'remote-candidate') out.push(r.type + ' ' + r.candidateType + ' ' + r.address + ':' + r.port);"
            "    if (r.type === 'candidate-pair') out.push('pair ' + r.state + ' ' + r.localCandidateId + ' -> ' + r.remoteCandidateId);"
            "  });"
            "  done(JSON.stringify({servers: servers, ice: pc.iceConnectionState, stats: out}));"
            "}, e => done(String(e)));"
        )

    def quit(self):
        try:
            self.driver.quit()
        except Exception:
            pass
        self.lab.end(self.proc)
        # Chromium processes of this profile that outlived their driver.
        for p in Path("/proc").iterdir():
            if not p.name.isdigit():
                continue
            try:
                cmd = (p / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if str(self.profile) in cmd:
                try:
                    os.kill(int(p.name), signal.SIGKILL)
                except ProcessLookupError:
                    pass


class Netlab:
    """The topology (see the module's text). `up()` builds it and starts Pebble, the DNS and
    coturn; `down()` undoes everything. Use as a context manager or through a fixture."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        tag = os.getpid() % 100000
        self.tag = tag
        self.inet, self.rt_st, self.rt_cz = f"vl{tag}-inet", f"vl{tag}-rtst", f"vl{tag}-rtcz"
        self.stationlan, self.citizen = f"vl{tag}-stlan", f"vl{tag}-cz"
        self.namespaces = [self.inet, self.rt_st, self.rt_cz, self.stationlan, self.citizen]
        # Management /30s from 10.254.<run>.0/24: (root side, namespace side) per namespace.
        third = tag % 250 + 1
        self.mgmt: dict[str, tuple[str, str]] = {}
        for i, ns in enumerate((self.inet, self.stationlan, self.citizen)):
            self.mgmt[ns] = (f"10.254.{third}.{4 * i + 1}", f"10.254.{third}.{4 * i + 2}")
        self.mgmt_links: list[str] = []
        self.made: list[str] = []
        self.procs: list[subprocess.Popen] = []
        self.browsers: list[RemoteBrowser] = []
        self.boxes: list[Box] = []
        self.turn_secret = secrets.token_hex(16)
        self.pebble_root_path = self.dir / "pebble-root.pem"
        self.acme_ca_path = self.dir / "acme-https-ca.pem"
        self.logs: dict[str, Path] = {}
        self._ports = iter(range(CHROMEDRIVER_PORT, CHROMEDRIVER_PORT + 100))

    def __enter__(self) -> "Netlab":
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc):
        self.down()

    # -- building ----------------------------------------------------------------------------

    def up(self):
        require_tools()
        self._namespaces()
        self._links()
        self._routers()
        self._management()
        self._start_dns()
        self._start_pebble()
        self._start_coturn()

    def _namespaces(self):
        for ns in self.namespaces:
            done = run("ip", "netns", "add", ns, check=False)
            if done.returncode != 0:
                pytest.fail(f"the network lab needs `ip netns` (root, iproute2): `ip netns add {ns}` "
                            f"failed: {done.stderr.strip()}")
            self.made.append(ns)
            netns_etc = Path("/etc/netns") / ns
            netns_etc.mkdir(parents=True, exist_ok=True)
            # Every namespace asks challtestsrv, the lab's only DNS server.
            (netns_etc / "resolv.conf").write_text(f"nameserver {ACME_IP}\noptions timeout:1 attempts:2\n")
            run("ip", "-n", ns, "link", "set", "lo", "up")
            # IPv4 only: no AAAA answer or IPv6 path can take a connection around the NATs.
            for knob in ("all", "default"):
                self.sh(ns, "sysctl", "-qw", f"net.ipv6.conf.{knob}.disable_ipv6=1")

    def _links(self):
        inet = self.inet
        run("ip", "-n", inet, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", inet, "link", "set", "br0", "up")
        for ip in (INET_GW, ACME_IP, TURN_IP, HUB_IP, *DIRECT_IPS):
            run("ip", "-n", inet, "addr", "add", f"{ip}/{INET_PREFIX}", "dev", "br0")
        # Like the internet, lose what has nowhere to go (a peer's private address, say)
        # quietly, somewhere upstream: coturn closes an allocation whose send to a peer fails
        # at once, as it would with no route or a blackhole route here. The default route's
        # next hop is a neighbour that no host answers for.
        run("ip", "-n", inet, "neigh", "add", SINK_IP, "lladdr", "02:00:00:00:00:fe", "dev", "br0", "nud", "permanent")
        run("ip", "-n", inet, "route", "add", "default", "via", SINK_IP)
        for i, (router, wan_ip, lan_ns, gw, host_ip) in enumerate((
            (self.rt_st, RT_ST_WAN, self.stationlan, ST_GW, STATION_IP),
            (self.rt_cz, RT_CZ_WAN, self.citizen, CZ_GW, CITIZEN_IP),
        )):
            # Made directly inside the namespaces, so no end ever appears on the host.
            port = f"up{i}"
            run("ip", "link", "add", "name", "wan", "netns", router, "type", "veth",
                "peer", "name", port, "netns", inet)
            run("ip", "-n", inet, "link", "set", port, "master", "br0")
            run("ip", "-n", inet, "link", "set", port, "up")
            run("ip", "-n", router, "addr", "add", f"{wan_ip}/{INET_PREFIX}", "dev", "wan")
            run("ip", "-n", router, "link", "set", "wan", "up")
            run("ip", "-n", router, "route", "add", "default", "via", INET_GW)
            run("ip", "link", "add", "name", "lan", "netns", router, "type", "veth",
                "peer", "name", "eth0", "netns", lan_ns)
            run("ip", "-n", router, "addr", "add", f"{gw}/24", "dev", "lan")
            run("ip", "-n", router, "link", "set", "lan", "up")
            run("ip", "-n", lan_ns, "addr", "add", f"{host_ip}/24", "dev", "eth0")
            run("ip", "-n", lan_ns, "link", "set", "eth0", "up")
            run("ip", "-n", lan_ns, "route", "add", "default", "via", gw)

    def _routers(self):
        rules = self.dir / "nat.nft"
        rules.write_text(NAT_RULES)
        for router in (self.rt_st, self.rt_cz):
            self.sh(router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            self.sh(router, "nft", "-f", str(rules))

    def _management(self):
        for i, (ns, (root_ip, ns_ip)) in enumerate(self.mgmt.items()):
            root_if = f"vl{self.tag}m{i}"
            run("ip", "link", "add", "name", root_if, "type", "veth", "peer", "name", "mgmt", "netns", ns)
            self.mgmt_links.append(root_if)
            run("ip", "addr", "add", f"{root_ip}/30", "dev", root_if)
            run("ip", "link", "set", root_if, "up")
            run("ip", "-n", ns, "addr", "add", f"{ns_ip}/30", "dev", "mgmt")
            run("ip", "-n", ns, "link", "set", "mgmt", "up")

    def _start_dns(self):
        # Every A query gets the hub's address unless a record says otherwise; no AAAA.
        self.challtestsrv = self.daemon(
            self.inet, "challtestsrv", "pebble-challtestsrv",
            "-defaultIPv4", HUB_IP, "-defaultIPv6", "",
            "-dns01", f"{ACME_IP}:53", "-management", ":8055",
            "-http01", "", "-https01", "", "-tlsalpn01", "",
        )
        self.dns_api = f"http://{self.mgmt[self.inet][1]}:8055"

        def answers():
            try:
                return requests.post(f"{self.dns_api}/set-default-ipv4", json={"ip": HUB_IP}, timeout=2).ok
            except requests.RequestException:
                return False

        self.wait_alive(self.challtestsrv, answers, "pebble-challtestsrv")
        self.set_a(TURN_HOST, TURN_IP)
        self.set_a(f"acme.{DOMAIN}", ACME_IP)
        found = self.python(self.citizen, "import socket,sys; print(socket.gethostbyname(sys.argv[1]))", HUB_HOST)
        assert found.strip() == HUB_IP, f"{HUB_HOST} resolves to {found!r} from the citizen's LAN"

    def _start_pebble(self):
        self._acme_https_cert()
        config = self.dir / "pebble.json"
        config.write_text(json.dumps({"pebble": {
            "listenAddress": "0.0.0.0:14000",
            "managementListenAddress": "0.0.0.0:15000",
            "certificate": str(self.dir / "acme-https.pem"),
            "privateKey": str(self.dir / "acme-https.key"),
            "httpPort": 80,
            "tlsPort": 443,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }}))
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
        self.pebble = self.daemon(self.inet, "pebble", "pebble", "-config", str(config),
                                  "-dnsserver", f"{ACME_IP}:53", env=env)
        mgmt = f"https://{self.mgmt[self.inet][1]}:15000"

        def root():
            try:
                r = requests.get(f"{mgmt}/roots/0", verify=str(self.acme_ca_path), timeout=2)
                return r.text if r.ok and "BEGIN CERTIFICATE" in r.text else None
            except requests.RequestException:
                return None

        pem = self.wait_alive(self.pebble, root, "Pebble's management API")
        self.pebble_root_path.write_text(pem)

    def _acme_https_cert(self):
        """Pebble's own HTTPS certificate, from a CA made here (stations get it as
        `[acme] ca_file`); it names Pebble's inet address, acme.v.test and the management
        address."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        now = datetime.now(timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netlab ACME server CA")])
        ca = (
            x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
            .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.DNSName(f"acme.{DOMAIN}"), x509.IPAddress(ipaddress.ip_address(ACME_IP)),
                x509.IPAddress(ipaddress.ip_address(self.mgmt[self.inet][1]))]
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"acme.{DOMAIN}")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        self.acme_ca_path.write_bytes(ca.public_bytes(pem))
        (self.dir / "acme-https.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
        (self.dir / "acme-https.key").write_bytes(key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def _start_coturn(self):
        lo, hi = RELAY_PORTS
        self.coturn = self.daemon(
            self.inet, "coturn", "turnserver", "-n",
            "--use-auth-secret", f"--static-auth-secret={self.turn_secret}", f"--realm={DOMAIN}",
            f"--listening-ip={TURN_IP}", f"--relay-ip={TURN_IP}", "--listening-port=3478",
            f"--min-port={lo}", f"--max-port={hi}", "--no-cli", "--no-tls", "--no-dtls",
            "--no-multicast-peers", "--log-file=stdout", "--simple-log", "--verbose",
            f"--pidfile={self.dir / 'turnserver.pid'}", f"--userdb={self.dir / 'turndb'}",
        )

        def answers():
            done = self.python(self.citizen, STUN_PROBE, TURN_IP, "3478", check=False)
            return done.strip() if done.strip() else None

        mapped = self.wait_alive(self.coturn, answers, "coturn answering STUN from the citizen's LAN")
        # Seen from the internet, the citizen is its router's WAN address: the NAT works.
        assert mapped.split()[0] == RT_CZ_WAN, f"coturn saw the citizen as {mapped}, not {RT_CZ_WAN}"

    # -- processes ---------------------------------------------------------------------------

    def popen(self, ns: str, *args: str, **kw) -> subprocess.Popen:
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *args], **kw)
        self.procs.append(proc)
        return proc

    def daemon(self, ns: str, name: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        """A long-running process with its output in `<dir>/<name>.log`."""
        log_path = self.dir / f"{name}.log"
        self.logs[name] = log_path
        log = open(log_path, "ab")
        proc = self.popen(ns, *args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        log.close()
        return proc

    def wait_alive(self, proc: subprocess.Popen, pred, what: str, timeout: float = 20):
        def check():
            if proc.poll() is not None:
                pytest.fail(f"{what}: the process ended ({proc.returncode}); see {self.dir}/*.log")
            return pred()

        return wait_until(check, timeout, interval=0.1, message=what)

    def end(self, proc: subprocess.Popen | None):
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)

    def sh(self, ns: str, *args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        return run("ip", "netns", "exec", ns, *args, check=check, timeout=timeout)

    def python(self, ns: str, script: str, *args: str, check: bool = True, timeout: float = 30) -> str:
        """Runs a Python snippet inside `ns` and returns its standard output."""
        done = self.sh(ns, sys.executable, "-c", script, *args, check=False, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"python in {ns} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return done.stdout

    # -- DNS, certificates, probes -----------------------------------------------------------

    def set_a(self, host: str, ip: str):
        """An A record of its own for `host` (others under v.test keep the hub's address)."""
        r = requests.post(f"{self.dns_api}/add-a", json={"host": host, "addresses": [ip]}, timeout=5)
        assert r.ok, f"challtestsrv add-a {host}: {r.status_code} {r.text}"

    def clear_a(self, host: str):
        r = requests.post(f"{self.dns_api}/clear-a", json={"host": host}, timeout=5)
        assert r.ok, f"challtestsrv clear-a {host}: {r.status_code} {r.text}"

    def tls_probe(self, ns: str, ip: str, port: int, name: str | None, trust_pebble: bool = True) -> dict:
        """What a TLS client in `ns` is served at ip:port with SNI `name`: the certificate's
        sha256/issuer/names if it verifies against Pebble's root, else `error`."""
        cafile = str(self.pebble_root_path) if trust_pebble else "-"
        return json.loads(self.python(ns, TLS_PROBE, ip, str(port), name or "", cafile))

    def tcp_connects(self, ns: str, ip: str, port: int, timeout: float = 2) -> bool:
        out = self.python(ns, (
            "import socket,sys\n"
            "try:\n socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close(); print('yes')\n"
            "except OSError: print('no')\n"
        ), ip, str(port), str(timeout))
        return out.strip() == "yes"

    # -- boxes and browsers ------------------------------------------------------------------

    def box(self, ns: str, kind: str, name: str, ip: str, config: dict, https: int = 443,
            http: int = 80, start: bool = True) -> Box:
        """A `vappoint <kind>` in `ns` listening on ip:https and ip:http, on a fresh data dir."""
        root = self.dir / name
        root.mkdir()
        config_path = root / "vappoint.toml"
        config_path.write_text(to_toml(config))
        data = root / "data"
        data.mkdir()
        b = Box(self, ns, kind, name, data, config_path, root / "stderr.log")
        b.args = [str(BIN), kind, "--data", str(data), "--https-addr", f"{ip}:{https}",
                  "--http-addr", f"{ip}:{http}", "--config", str(config_path)]
        self.boxes.append(b)
        if start:
            b.start()
        return b

    def browser(self, ns: str, insecure: bool = False, lang: str | None = None,
                args: tuple[str, ...] = ()) -> RemoteBrowser:
        """Chromium in `ns` (stationlan or citizen), trusting Pebble's root. `insecure` accepts
        any certificate (the officer on the LAN, where the box is self-signed); `args` are
        further Chromium flags."""
        assert ns in self.mgmt, f"no management link into {ns}"
        b = RemoteBrowser(self, ns, next(self._ports), insecure, lang, args)
        self.browsers.append(b)
        return b

    # -- teardown ----------------------------------------------------------------------------

    def report(self) -> str:
        """The tails of the logs, for a failing test's output."""
        parts = []
        for b in self.boxes:
            parts.append(f"--- {b.kind} {b.name} stderr ---\n{b.stderr_tail()}")
        for name, path in self.logs.items():
            if path.exists():
                tail = "\n".join(path.read_text(errors="replace").splitlines()[-25:])
                parts.append(f"--- {name} ---\n{tail}")
        return "\n".join(parts)

    def down(self):
        for b in self.browsers:
            b.quit()
        for b in self.boxes:
            b.stop()
        for proc in reversed(self.procs):
            self.end(proc)
        for link in self.mgmt_links:
            run("ip", "link", "del", link, check=False)
        for ns in self.made:
            run("ip", "netns", "del", ns, check=False)
            shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)
        self.made.clear()
        self.mgmt_links.clear()
