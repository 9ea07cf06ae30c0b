"""Parts of bench/relay: running wrk and reading its numbers, a process's CPU time and
memory, and fake stations that enrol with a hub and hold idle tunnels (the memory a tunnel
costs the hub).

A fake station does what `vappoint station` does to keep its tunnel (see
appliance/vappoint/src/station/tunnel.rs and docs/federation.md): it enrols with a one-time
code (a CSR and the code's MAC), then opens `GET /federation/v1/tunnel` with
`Upgrade: vappoint-tunnel/1` over mutual TLS with the certificate it was given, and after
`101 Switching Protocols` keeps the connection open, reading whatever the hub sends.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import ssl
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
ENROLMENT_CODE_RE = re.compile(r"([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})\s*$")


# --------------------------------------------------------------------------------------------
# Processes


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICK


def status_kib(pid: int, field: str) -> int:
    """A memory figure of `/proc/PID/status` in KiB: `VmRSS` (now), `VmHWM` (its peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def rss_kib(pid: int) -> int:
    return status_kib(pid, "VmRSS")


def children(pid: int) -> list[int]:
    """The direct children of `pid` (nginx's workers)."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                out.append(int(p.name))
    return out


# --------------------------------------------------------------------------------------------
# wrk


@dataclass
class WrkResult:
    requests: int
    seconds: float
    bytes: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors (connect, read, write, timeout)
    non_2xx: int
    cpu: dict[str, float]  # CPU seconds used meanwhile, per watched process group

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def mb_per_s(self) -> float:
        return self.bytes / self.seconds / 1e6

    @property
    def mbit_per_s(self) -> float:
        return self.bytes * 8 / self.seconds / 1e6


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
_SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert m, f"unexpected wrk time {text!r}"
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out: str) -> dict:
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+)(B|KB|MB|GB|TB) read", out)
    assert m, f"wrk printed no totals:\n{out}"
    pct = dict(re.findall(r"^\s*(50|99)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(m.group(1)),
        "seconds": _ms(m.group(2) + m.group(3)) / 1e3,
        "bytes": float(m.group(4)) * _SIZES[m.group(5)],
        "p50_ms": _ms(pct["50"]) if "50" in pct else float("nan"),
        "p99_ms": _ms(pct["99"]) if "99" in pct else float("nan"),
        "errors": errors,
        "non_2xx": int(non.group(1)) if non else 0,
    }


def wrk(url: str, seconds: int, connections: int, threads: int, headers: dict[str, str] | None = None,
        watch: dict[str, list[int]] | None = None) -> WrkResult:
    """One wrk run; `watch` names process groups whose CPU time is measured meanwhile."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for k, v in (headers or {}).items():
        args += ["-H", f"{k}: {v}"]
    watch = watch or {}
    before = {name: cpu_seconds(pids) for name, pids in watch.items()}
    done = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 60)
    after = {name: cpu_seconds(pids) for name, pids in watch.items()}
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}\n{done.stdout}")
    return WrkResult(**parse_wrk(done.stdout), cpu={n: after[n] - before[n] for n in watch})


# --------------------------------------------------------------------------------------------
# Fake stations


def enrol_key(code: str) -> bytes:
    normal = "".join(c for c in code if c.isalnum()).upper()
    return hashlib.sha256(b"vappoint enrol v1" + normal.encode()).digest()


def mac(key: bytes, parts: list[str]) -> str:
    m = hmac.new(key, digestmod=hashlib.sha256)
    for p in parts:
        m.update(p.encode() + b"\0")
    return m.hexdigest()


def add_stations(binary: str, hub_data: Path, codes: list[str], workers: int = 8) -> dict[str, str]:
    """Registers each station at the hub (`vappoint hub add-station`); code -> enrolment code."""

    def add(code: str) -> tuple[str, str]:
        done = subprocess.run(
            [binary, "hub", "add-station", "--data", str(hub_data), "--code", code, "--name", f"Bench {code}",
             "--zone", "Bench", "--url", f"https://{code.lower()}.v.test"],
            capture_output=True, text=True, timeout=60, env={**os.environ, "VAPPOINT_LOG": "warn"},
        )
        m = ENROLMENT_CODE_RE.search(done.stdout.strip())
        if done.returncode != 0 or not m:
            raise RuntimeError(f"hub add-station {code}: {done.stdout}\n{done.stderr}")
        return code, m.group(1)

    with ThreadPoolExecutor(workers) as pool:
        return dict(pool.map(add, codes))


def enrol(hub_url: str, station: str, enrolment: str, out: Path) -> tuple[Path, Path]:
    """Enrols one fake station over HTTPS; returns its certificate and key files."""
    import requests
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, station)]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    body = {"version": 1, "station": station, "csr": csr,
            "mac": mac(enrol_key(enrolment), ["station", station, csr])}
    r = requests.post(f"{hub_url}/federation/v1/enroll", json=body, verify=False, timeout=30)
    if r.status_code != 200:
        raise RuntimeError(f"enrolling {station}: {r.status_code} {r.text[:300]}")
    cert_path, key_path = out / f"{station}.pem", out / f"{station}.key"
    cert_path.write_text(r.json()["certificate"])
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def enrol_all(hub_url: str, enrolments: dict[str, str], out: Path, workers: int = 8) -> dict[str, tuple[Path, Path]]:
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(workers) as pool:
        done = pool.map(lambda kv: (kv[0], enrol(hub_url, kv[0], kv[1], out)), enrolments.items())
        return dict(done)


PER_SOURCE = 100


def source_address(i: int) -> str:
    """The loopback address the `i`-th fake station connects from (all of 127/8 is local)."""
    n = i // PER_SOURCE
    return f"127.2.{n // 250}.{n % 250 + 1}"


class Tunnels:
    """Idle tunnels held open by this process, on an asyncio loop of its own thread."""

    def __init__(self, host: str, port: int):
        import threading

        self.host, self.port = host, port
        self.loop = asyncio.new_event_loop()
        self.open = 0
        self.closed = 0
        self.failed: list[str] = []
        self._writers: list[asyncio.StreamWriter] = []
        self._idle: list[asyncio.Task] = []
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def _connect(self, station: str, cert: Path, key: Path, source: str, gate: asyncio.Semaphore):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the real station pins the hub; here only memory counts
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1", "vappoint-fed/1"])
        async with gate:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port, ssl=ctx, local_addr=(source, 0)), timeout=30)
                writer.write(
                    f"GET /federation/v1/tunnel HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                    "Connection: Upgrade\r\nUpgrade: vappoint-tunnel/1\r\n\r\n".encode())
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ssl.SSLError) as e:
                self.failed.append(f"{station}: {type(e).__name__}: {e}")
                return
            if not head.startswith(b"HTTP/1.1 101"):
                status = head.split(b"\r\n", 1)[0].decode(errors="replace")
                self.failed.append(f"{station}: {status}")
                writer.close()
                return
        self.open += 1
        self._writers.append(writer)
        self._idle.append(asyncio.ensure_future(self._idle_until_closed(reader)))

    async def _idle_until_closed(self, reader: asyncio.StreamReader):
        # Idle: read (and drop) whatever the hub sends until it closes the tunnel.
        try:
            while await reader.read(65536):
                pass
        except (OSError, ssl.SSLError):
            pass
        self.open -= 1
        self.closed += 1

    def add(self, identities: dict[str, tuple[Path, Path]], parallel: int = 64, timeout: float = 900):
        """Opens one tunnel per identity; returns when each is open or has failed. Stations
        are spread over loopback addresses, `PER_SOURCE` to each, as real ones come from
        addresses of their own (the hub caps connections per source address)."""

        async def all_of():
            gate = asyncio.Semaphore(parallel)
            first = self.open + len(self.failed)
            await asyncio.gather(*(
                self._connect(s, c, k, source_address(first + i), gate)
                for i, (s, (c, k)) in enumerate(identities.items())
            ))

        asyncio.run_coroutine_threadsafe(all_of(), self.loop).result(timeout)

    def close(self):
        async def close_all():
            for w in self._writers:
                w.close()
            for t in self._idle:
                t.cancel()
            await asyncio.gather(*self._idle, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)


def json_line(**kw) -> str:
    return json.dumps(kw, separators=(",", ":"))
