"""Signed updates with automatic rollback (issue 12): `vappoint release keygen|sign`, the hub's
`publish-update` and the console's upload refusing what a box must not run, a station that
installs an update its hub offers and reports it, and a bad update rolled back on its own with
the reason at the hub and every booking kept.

The station whose updates are installed runs under `Supervisor`, which starts it again whenever
it exits, as systemd's `Restart=always` does on the box. Its update is the very binary under
test, stripped and signed as a newer version: the version a box reports is its bundle's signed
one, so nothing is rebuilt."""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from browser import axe_violations, login
from conftest import BIN, Station, citizen_email, new_session, run_cli, station_config, wait_until
from hubkit import HUB_CONFIG, make_hub, new_site  # noqa: F401 (make_hub is a fixture)

# Short enough for a test, and the shortest a config may set.
WINDOW = "6s"


def factory_version() -> tuple[int, int, int]:
    out = run_cli("--version").stdout.strip()
    m = re.fullmatch(r"vappoint (\d+)\.(\d+)\.(\d+)", out)
    assert m, out
    return tuple(int(x) for x in m.groups())


def newer(minor: int) -> str:
    """A version `minor` minor releases after the binary under test."""
    major, mi, _ = factory_version()
    return f"{major}.{mi + minor}.0"


class Release:
    """A signing key pair (made in a scratch directory, or an existing one in `keys`), and
    bundles signed with it."""

    def __init__(self, root: Path, keys: Path | None = None):
        self.root = root
        if keys is None:
            keys = root / "keys"
            done = run_cli("release", "keygen", "--out", str(keys))
            assert done.returncode == 0, done.stderr
        self.key, self.public = keys / "update.key", keys / "update.pub"
        assert self.key.stat().st_mode & 0o777 == 0o600
        self.failing = root / "exit1.sh"
        self.failing.write_text("#!/bin/sh\nexit 1\n")
        self.failing.chmod(0o755)

    def sign(self, binary: Path, version: str, name: str, arch: str | None = "x86_64", key: Path | None = None) -> Path:
        out = self.root / f"{name}.bundle"
        args = ["release", "sign", "--key", str(key or self.key), "--binary", str(binary), "--version", version,
                "--out", str(out)]
        if arch:
            args += ["--arch", arch]
        done = run_cli(*args)
        assert done.returncode == 0, done.stderr
        assert f"signed {binary}" in done.stdout, done.stdout
        return out


def stripped_binary(tmp_path: Path) -> Path:
    """The binary under test without its symbols (a debug build is mostly symbols)."""
    out = tmp_path / "vappoint"
    subprocess.run(["strip", "-o", str(out), str(BIN)], check=True)
    return out


def machine() -> str:
    return os.uname().machine


@pytest.fixture
def release(tmp_path) -> Release:
    return Release(tmp_path)


def bad_bundles(release: Release, tmp_path: Path) -> dict[str, Path]:
    """One bundle for each refusal, all small (the binary is a two-line script)."""
    other = Release(tmp_path / "other")
    tampered = release.sign(release.failing, newer(5), "to-tamper", arch=machine())
    data = bytearray(tampered.read_bytes())
    at = data.index(b"exit 1")
    data[at + 5] = ord("2")  # same length, other bytes: the signed hash no longer matches
    (tmp_path / "tampered.bundle").write_bytes(bytes(data))
    unsigned = io.BytesIO()
    with tarfile.open(fileobj=unsigned, mode="w") as t:
        for name, body in (("manifest.json", b'{"version":"9.0.0"}'), ("vappoint", b"#!/bin/sh\n")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            t.addfile(info, io.BytesIO(body))
    (tmp_path / "unsigned.bundle").write_bytes(unsigned.getvalue())
    major, mi, patch = factory_version()
    return {
        "other-key": other.sign(release.failing, newer(5), "other-key", arch=machine()),
        "tampered": tmp_path / "tampered.bundle",
        "unsigned": tmp_path / "unsigned.bundle",
        "older": release.sign(release.failing, "0.0.1", "older", arch=machine()),
        "equal": release.sign(release.failing, f"{major}.{mi}.{patch}", "equal", arch=machine()),
        "wrong-arch": release.sign(release.failing, newer(5), "wrong-arch", arch="riscv64"),
    }


def publish(hub, bundle: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli("hub", "publish-update", "--data", str(hub.data), "--config", str(hub.config_path),
                   str(bundle), *extra)


def hub_config(release: Release) -> dict:
    return {**HUB_CONFIG, "update": {"public_key": str(release.public)}}


def test_release_signs_and_the_hub_publishes_only_what_its_key_signed(release, make_hub, tmp_path):
    hub = make_hub(hub_config(release), start=False)
    bad = bad_bundles(release, tmp_path)
    for kind, expected in (("other-key", "not signed with this box's update key"),
                           ("tampered", "does not match its signed manifest"),
                           ("unsigned", "not signed")):
        done = publish(hub, bad[kind])
        assert done.returncode == 1, (kind, done.stdout)
        assert expected in done.stderr, (kind, done.stderr)
    assert not list((hub.data / "updates").iterdir()), "a refused bundle was kept"
    # The signing tool reads the CPU from an ELF binary and asks for it otherwise.
    done = run_cli("release", "sign", "--key", str(release.key), "--binary", str(release.failing),
                   "--version", "1.0.0", "--out", str(tmp_path / "x.bundle"))
    assert done.returncode == 1 and "--arch" in done.stderr, done.stderr
    # A debug build is too large to be a bundle: signing says so.
    done = run_cli("release", "sign", "--key", str(release.key), "--binary", str(BIN), "--version", "1.0.0",
                   "--out", str(tmp_path / "x.bundle"))
    assert done.returncode == 1 and "larger than a bundle may be" in done.stderr, done.stderr
    good = release.sign(stripped_binary(tmp_path), newer(1), "elf", arch=None)
    done = publish(hub, good, "--zone", "Zone 1", "--percent", "50")
    assert done.returncode == 0, done.stderr
    assert f"update {newer(1)} for {machine()} published as" in done.stdout
    assert "50% of the stations in Zone 1" in done.stdout
    assert [p.name for p in (hub.data / "updates").iterdir()] == [done.stdout.split(" published as ")[1].split(":")[0]
                                                                  + ".bundle"]
    # The binaries are large: pytest keeps its last runs' directories.
    for big in (good, tmp_path / "vappoint"):
        big.unlink()
    shutil.rmtree(hub.data / "updates")


def test_the_console_refuses_each_bad_bundle_in_the_admins_language(release, make_station, smtp, browsers, tmp_path):
    st = make_station(station_config(smtp, update={"public_key": str(release.public)}), start=False)
    admin = st.add_officer(name="Inspector Sharmila Jadhav", rank="PI", admin=True)
    st.start()
    bad = bad_bundles(release, tmp_path)
    b = browsers()
    login(b, st.base, admin.email, admin.password)

    def upload(bundle: Path) -> str:
        b.driver.get(st.url("/officer/station"))
        b.driver.find_element(By.ID, "update-bundle").send_keys(str(bundle))
        b.driver.find_element(By.ID, "update-submit").click()
        found = wait_until(lambda: b.driver.find_elements(By.CSS_SELECTOR, "p.error[role=alert], p.notice[role=status]"),
                           timeout=30, message="the upload's answer")
        return found[0].text

    major, mi, patch = factory_version()
    running = f"{major}.{mi}.{patch}"
    expected = {
        "other-key": "not signed with this station's update key",
        "tampered": "does not match its signature",
        "unsigned": "not a signed update bundle",
        "older": f"version 0.0.1 is not newer than the running {running}",
        "equal": f"version {running} is not newer than the running {running}",
        "wrong-arch": f"for another kind of box (riscv64); this station is {machine()}",
    }
    for kind, text in expected.items():
        assert text in upload(bad[kind]), kind
    assert b.driver.find_element(By.ID, "update-version").text.endswith(f"{running}.")
    assert axe_violations(b.driver) == []
    # The same refusals in Marathi and Hindi.
    for lang, words in (("mr", "स्वाक्षरीत नाही"), ("hi", "हस्ताक्षरित नहीं है")):
        b.driver.get(st.url(f"/lang/{lang}?next=/officer/station"))
        assert words in upload(bad["other-key"]), lang
        assert axe_violations(b.driver) == []
    b.driver.get(st.url("/lang/en?next=/officer/station"))

    # A good bundle is installed for a trial, audited, and the station restarts into it.
    notice = upload(release.sign(release.failing, newer(1), "good", arch=machine()))
    assert f"Update {newer(1)} installed" in notice, notice
    assert st.proc.wait(30) == 0, "the station did not stop to start its update"
    st.proc = None
    state = (st.data / "update" / "state.json").read_text()
    assert '"trial"' in state and newer(1) in state, state
    assert os.access(st.data / "update" / "slots" / "a" / "vappoint", os.X_OK)
    with sqlite3.connect(f"file:{st.data / 'vappoint.db'}?mode=ro", uri=True) as db:
        actions = [r[0] for r in db.execute("SELECT action FROM audit ORDER BY seq")]
    assert "update_installed" in actions, actions


class Supervisor:
    """Runs a station again whenever it exits, like systemd's `Restart=always` (its restart
    delay left out), on the ports of its first run; records each exit."""

    def __init__(self, st: Station):
        self.st = st
        self.exits: list[tuple[float, int]] = []
        self.stopping = False
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def start(self):
        self.st.start()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        ports = iter([f"127.0.0.1:{self.st.https_port}", f"127.0.0.1:{self.st.http_port}"])
        args = [next(ports) if a == "127.0.0.1:0" else a for a in self.st.launch_args()]
        while (proc := self.st.proc) is not None:
            code = proc.wait()
            with self.lock:
                if self.stopping:
                    return
                self.exits.append((time.monotonic(), code))
                self.st.runs += 1
                with open(self.st.log_dir / f"stderr.{self.st.runs}.log", "wb") as err:
                    self.st.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err,
                                                    stdin=subprocess.DEVNULL, env={**os.environ, **self.st.env})

    def stop(self):
        with self.lock:
            self.stopping = True
            self.st.stop()
        if self.thread:
            self.thread.join(15)


@pytest.fixture
def supervised():
    running: list[Supervisor] = []

    def make(st: Station) -> Supervisor:
        s = Supervisor(st)
        running.append(s)
        s.start()
        return s

    yield make
    for s in running:
        s.stop()


def test_a_station_installs_its_hubs_update_and_rolls_back_a_bad_one(release, make_hub, make_station, smtp,
                                                                    supervised, tmp_path):
    hub = make_hub(hub_config(release))
    site = new_site(make_station, smtp, hub, "DGP", "Deccan Gymkhana Police Station", "Zone 1", start=False,
                    update={"public_key": str(release.public), "health_window": WINDOW})
    st = site.station
    sup = supervised(st)
    admin = hub.admin_session()

    def health_cell() -> str:
        page = admin.get(hub.url("/hub/stations"), timeout=30).text
        m = re.search(r'<td class="health" data-station="DGP">(.*?)</td>', page, re.S)
        return re.sub(r"<[^>]+>", " ", m.group(1)) if m else ""

    def serves() -> bool:
        try:
            return new_session().get(st.url("/api/v1/station"), timeout=5).status_code == 200
        except Exception:
            return False

    wait_until(lambda: "up " in health_cell(), timeout=60, message="the station's first health at the hub")
    before = st.book_ok(site.officer.id, st.free_slot(site.officer.id)["start"], citizen_email())

    # Version N+1: this very binary, signed anew.
    stripped = stripped_binary(tmp_path)
    good = release.sign(stripped, newer(1), "good", arch=None)
    stripped.unlink()
    done = publish(hub, good)
    assert done.returncode == 0, done.stderr
    published = time.monotonic()
    wait_until(lambda: len(sup.exits) >= 1, timeout=120, message="the station restarting into the update")
    switched = sup.exits[0][0]
    wait_until(serves, timeout=60, message="the update serving")
    serving = time.monotonic()
    wait_until(lambda: f"updated to {newer(1)}" in health_cell(), timeout=90,
               message="the hub showing the committed update")
    committed = time.monotonic()
    assert f"{newer(1)}, up" in health_cell()
    print(f"\nupdate {newer(1)} ({good.stat().st_size / 1e6:.0f} MB bundle): download and install "
          f"{switched - published:.1f} s after publishing, serving again {serving - switched:.1f} s after the "
          f"switch, committed (window {WINDOW}) {committed - published:.1f} s after publishing")
    assert sup.exits[0][1] == 0
    during = st.book_ok(site.officer.id, st.free_slot(site.officer.id)["start"], citizen_email())

    # Version N+2 exits at once: three starts, then the box goes back to N+1 by itself.
    done = publish(hub, release.sign(release.failing, newer(2), "bad", arch=machine()))
    assert done.returncode == 0, done.stderr
    wait_until(lambda: len(sup.exits) >= 2, timeout=60, message="the station restarting into the bad update")
    bad_switch = sup.exits[1][0]
    wait_until(lambda: len(sup.exits) >= 5 and serves(), timeout=60, message="the rollback serving")
    rolled_back = time.monotonic()
    assert [code for _, code in sup.exits[1:5]] == [0, 1, 1, 1], sup.exits
    reason = f"update to {newer(2)} failed, rolled back: it stopped 3 times before it was healthy"
    wait_until(lambda: reason in health_cell(), timeout=60, message="the failure at the hub")
    assert f"{newer(1)}, up" in health_cell()
    print(f"rollback of {newer(2)}: serving {newer(1)} again {rolled_back - bad_switch:.1f} s after the switch "
          f"(3 starts, no restart delay)")
    # Not fetched again: pushes go on for seconds (each answered with the offer of N+2), and the
    # box stays on N+1.
    def uptime() -> float:
        text = new_session().get(hub.url("/metrics"), timeout=30).text
        m = re.search(r'^vappoint_uptime_seconds\{station="DGP"[^}]*\} ([0-9.]+)$', text, re.M)
        return float(m.group(1)) if m else 0.0

    wait_until(lambda: uptime() >= 4, timeout=30, message="pushes after the rollback")
    assert len(sup.exits) == 5 and f"{newer(1)}, up" in health_cell()

    # Version N+3 starts and serves, but never proves itself within the window (it runs on a
    # config with an hour's window, so it never commits): a booking made during its trial is
    # kept when the box, restarted after the window (here killed, as the watchdog kills a hung
    # service), goes back to N+1.
    long_config = tmp_path / "long-window.toml"
    long_config.write_text(st.config_path.read_text().replace(f'health_window = "{WINDOW}"',
                                                              'health_window = "1h"'))
    assert long_config.read_text() != st.config_path.read_text()
    unhealthy = tmp_path / "unhealthy.sh"
    unhealthy.write_text(
        "#!/bin/sh\n"
        f'for a; do shift; [ "$a" = "{st.config_path}" ] && a="{long_config}"; set -- "$@" "$a"; done\n'
        f'exec "{BIN}" "$@"\n'
    )
    done = publish(hub, release.sign(unhealthy, newer(3), "unhealthy", arch=machine()))
    assert done.returncode == 0, done.stderr
    wait_until(lambda: f"update {newer(3)} on trial" in health_cell(), timeout=60,
               message="the hub showing the trial")
    on_trial = st.book_ok(site.officer.id, st.free_slot(site.officer.id)["start"], citizen_email())
    wait_until(lambda: uptime() >= 7, timeout=30, message="the trial outlasting its window")
    exits = len(sup.exits)
    st.proc.kill()
    killed = time.monotonic()
    wait_until(lambda: len(sup.exits) > exits and serves(), timeout=60, message="the rollback serving")
    print(f"rollback of {newer(3)} (past its window): serving {newer(1)} again {time.monotonic() - killed:.1f} s "
          f"after the kill")
    reason = f"update to {newer(3)} failed, rolled back: it was not healthy within {WINDOW}"
    wait_until(lambda: reason in health_cell(), timeout=60, message="the second failure at the hub")
    assert f"{newer(1)}, up" in health_cell()

    # Every booking is still there.
    with sqlite3.connect(f"file:{st.data / 'vappoint.db'}?mode=ro", uri=True) as db:
        refs = {r[0] for r in db.execute("SELECT reference FROM appointments WHERE status = 'booked'")}
    assert {before["reference"], during["reference"], on_trial["reference"]} <= refs
    # The binaries are large: pytest keeps its last runs' directories.
    shutil.rmtree(st.data / "update" / "slots", ignore_errors=True)
    shutil.rmtree(hub.data / "updates", ignore_errors=True)
    good.unlink()
