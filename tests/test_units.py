"""The appliance's systemd units and the firmware settings, checked with systemd's own tools.

`systemd-analyze verify` exits 0 even on unknown keys, so its output must be empty. It runs
against a scratch root holding this machine's systemd units, our units and stand-ins for the
executables they name (verify checks that those exist).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SYSTEMD = REPO / "systemd"
FIRMWARE = REPO / "firmware"

EXEC_START = (
    "/usr/bin/vappoint station --data /var/lib/vappoint --https-addr 0.0.0.0:443 "
    "--http-addr 0.0.0.0:80 --setup-code-file /boot/firmware/vappoint-setup-code.txt"
)


def unit_settings(path: Path) -> dict[str, list[str]]:
    """Key -> values (in order) of a unit file, all sections together."""
    settings: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def seconds(value: str) -> float:
    units = {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value):
        total += float(number) * units[unit or "s"]
    return total


UNITS = ["vappoint.service", "vappoint-firstboot.service", "vappoint-setup-done.path", "vappoint-setup-done.service"]


@pytest.fixture(scope="module")
def scratch_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("unitroot")
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(SYSTEMD / unit, units / unit)
    for exe, source in (("usr/bin/vappoint", None), ("usr/lib/vappoint/firstboot", SYSTEMD / "vappoint-firstboot"),
                        ("usr/lib/vappoint/setup-done", SYSTEMD / "vappoint-setup-done")):
        target = root / exe
        target.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            target.write_text("#!/bin/sh\n")
        else:
            shutil.copy(source, target)
        target.chmod(0o755)
    return root


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_analyze_verify_prints_nothing(scratch_root, unit):
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={scratch_root}", f"/etc/systemd/system/{unit}"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", (
        f"systemd-analyze verify {unit}: rc={done.returncode}\n{done.stdout}{done.stderr}"
    )


def test_verify_would_see_a_bad_key(scratch_root, tmp_path):
    """The check above can fail: an unknown key is reported (on an exit status of 0)."""
    bad = scratch_root / "etc/systemd/system/vappoint-bad.service"
    bad.write_text((SYSTEMD / "vappoint.service").read_text().replace("[Service]", "[Service]\nNoSuchKey=1"))
    try:
        done = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", f"--root={scratch_root}", "/etc/systemd/system/vappoint-bad.service"],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        bad.unlink()
    assert "NoSuchKey" in done.stdout + done.stderr


def test_security_rating_is_ok_or_better():
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(SYSTEMD / "vappoint.service")],
        capture_output=True, text=True, timeout=120,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", done.stdout)
    assert m, f"no exposure level in:\n{done.stdout}{done.stderr}"
    exposure, rating = float(m.group(1)), m.group(2)
    print(f"systemd-analyze security: exposure {exposure} {rating}")
    assert rating in ("PERFECT", "SAFE", "OK") and exposure < 5.0, m.group(0)


def test_service_runs_the_station_sandboxed_with_a_watchdog():
    s = unit_settings(SYSTEMD / "vappoint.service")
    assert s["ExecStart"] == [EXEC_START]
    assert s["Type"] == ["notify"]
    assert seconds(s["WatchdogSec"][0]) == 30
    assert s["Restart"] == ["always"]
    assert s["DynamicUser"] == ["yes"]
    assert s["StateDirectory"] == ["vappoint"]
    assert s["AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]
    assert s["CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"]
    assert s["ProtectSystem"] == ["strict"]
    assert s["PrivateDevices"] == ["yes"]
    assert "@system-service" in s["SystemCallFilter"]
    assert set(s["RestrictAddressFamilies"][0].split()) == {"AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK"}
    assert "vappoint-firstboot.service" in " ".join(s["After"]).split()
    assert "vappoint-firstboot.service" in " ".join(s["Wants"]).split()
    assert s["WantedBy"] == ["multi-user.target"]
    # Open-internet bounds: memory is capped (restart rather than starve the box) and idle
    # connections have descriptors beyond the default 1,024.
    assert s["MemoryHigh"] == ["384M"] and s["MemoryMax"] == ["512M"]
    assert int(s["LimitNOFILE"][0]) >= 65536


def test_firstboot_runs_once_before_the_station():
    s = unit_settings(SYSTEMD / "vappoint-firstboot.service")
    assert s["Type"] == ["oneshot"]
    assert s["ExecStart"] == ["/usr/lib/vappoint/firstboot"]
    assert s["ConditionPathExists"] == ["!/var/lib/vappoint-firstboot.done"]
    assert "vappoint.service" in " ".join(s["Before"]).split()
    script = (SYSTEMD / "vappoint-firstboot").read_text()
    assert "/var/lib/vappoint-firstboot.done" in script
    assert "/boot/firmware/vappoint-setup-code.txt" in script
    assert "/etc/issue.d/vappoint.issue" in script
    done = subprocess.run(["bash", "-n", str(SYSTEMD / "vappoint-firstboot")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_hardware_watchdog_is_at_most_15s():
    s = unit_settings(SYSTEMD / "system.conf.d" / "watchdog.conf")
    assert 0 < seconds(s["RuntimeWatchdogSec"][0]) <= 15
    assert 0 < seconds(s["RebootWatchdogSec"][0]) <= 15


def test_network_is_dhcp_on_every_ethernet_port():
    (network,) = (SYSTEMD / "network").glob("*.network")
    s = unit_settings(network)
    assert s["Type"] == ["ether"]
    assert s["DHCP"] == ["yes"]


def shell_vars(path: Path) -> dict[str, str]:
    return {
        k: v.strip('"')
        for k, v in re.findall(r"^([A-Z_]+)=(.*)$", path.read_text(), re.M)
    }


def test_raspi_firmware_defaults_boot_root_by_label():
    v = shell_vars(FIRMWARE / "default-raspi-firmware")
    assert v["ROOTPART"] == "LABEL=root"
    assert v["KERNEL_ARCH"] == "arm64"
    assert "ttyS1,115200" in v["CONSOLES"].split()
    # Sourced by Debian's hook with /bin/sh.
    done = subprocess.run(["sh", "-n", str(FIRMWARE / "default-raspi-firmware")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_raspi_firmware_custom_turns_the_watchdog_on():
    lines = [l.strip() for l in (FIRMWARE / "raspi-firmware-custom").read_text().splitlines()]
    settings = [l for l in lines if l and not l.startswith("#")]
    assert "dtparam=watchdog=on" in settings
    assert "disable_splash=1" in settings
    assert all(re.fullmatch(r"[a-z_0-9]+(=\S+)?|dtparam=\S+", l) for l in settings), settings
