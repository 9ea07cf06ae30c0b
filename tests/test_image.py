"""The Raspberry Pi image that `image/build` makes, inspected without mounting it, and the
static binaries it is made from."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from image_util import REPO, BootPartition, RootPartition, built_image, partitions, static_binary

# Needs the Raspberry Pi image (image/build); `tests/run --quick` leaves these out.
pytestmark = pytest.mark.image


@pytest.fixture(scope="module")
def image() -> Path:
    return built_image()


@pytest.fixture(scope="module")
def boot(image) -> BootPartition:
    return BootPartition(image, partitions(image)[0])


@pytest.fixture(scope="module")
def root(image) -> RootPartition:
    return RootPartition(image, partitions(image)[1])


def file_says(path: Path) -> str:
    return subprocess.run(["file", "-L", str(path)], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("arch,machine", [("aarch64", "ARM aarch64"), ("x86_64", "x86-64")])
def test_static_binary(arch, machine):
    binary = static_binary(arch)
    assert binary.exists(), f"{binary} is missing: run image/static-build"
    says = file_says(binary)
    assert "statically linked" in says or "static-pie linked" in says, says
    assert machine in says, says
    runner = ["qemu-aarch64-static"] if arch == "aarch64" else []
    done = subprocess.run([*runner, str(binary), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert re.search(r"\d+\.\d+\.\d+", done.stdout), done.stdout


def test_name_and_checksums(image):
    assert re.fullmatch(r"vappoint-\d+\.\d+\.\d+.*-rpi4-arm64\.img", image.name)
    xz = image.with_name(image.name + ".xz")
    assert xz.exists() and 0 < xz.stat().st_size < image.stat().st_size
    sums = (image.parent / "SHA256SUMS").read_text()
    for f in (image, xz):
        digest = subprocess.run(["sha256sum", str(f)], capture_output=True, text=True, check=True).stdout.split()[0]
        assert f"{digest}  {f.name}" in sums.splitlines(), f"SHA256SUMS has no line for {f.name}:\n{sums}"


def test_partition_table(image, boot, root):
    parts = partitions(image)
    assert [(p.number, p.kind) for p in parts] == [(1, 0x0C), (2, 0x83)], parts
    first, second = parts
    assert first.bootable
    assert first.size >= 200 * 2**20
    # Aligned for SD cards' erase blocks, in order, and inside the image.
    assert first.start % (4 * 2**20) == 0 and second.start % 2**20 == 0
    assert first.start + first.size <= second.start
    assert second.start + second.size <= image.stat().st_size
    assert boot.label() == "RASPIFIRM"
    assert root.label() == "root"


def test_boot_partition_has_pi4_firmware_kernel_and_device_tree(boot):
    names = set(boot.names())
    for needed in ("start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "bcm2711-rpi-400.dtb", "bcm2711-rpi-cm4-io.dtb",
                   "config.txt", "cmdline.txt"):
        assert needed in names, f"{needed} missing from the boot partition: {sorted(names)}"
    assert any(re.fullmatch(r"vmlinuz-.*-arm64", n) for n in names), names
    assert any(re.fullmatch(r"initrd\.img-.*-arm64", n) for n in names), names


def test_config_txt_holds_the_firmware_settings(boot):
    config = boot.text("config.txt")
    lines = [l.strip() for l in config.splitlines()]
    custom = [l.strip() for l in (REPO / "firmware/raspi-firmware-custom").read_text().splitlines()]
    for setting in [l for l in custom if l and not l.startswith("#")]:
        assert setting in lines, f"{setting} from firmware/raspi-firmware-custom is not in config.txt:\n{config}"
    assert "dtparam=watchdog=on" in lines
    assert "arm_64bit=1" in lines
    names = set(boot.names())
    kernel = re.search(r"^kernel=(\S+)", config, re.M)
    initrd = re.search(r"^initramfs (\S+)", config, re.M)
    assert kernel and kernel.group(1) in names, config
    assert initrd and initrd.group(1) in names, config


def test_cmdline_txt_finds_root_by_label(boot):
    cmdline = boot.text("cmdline.txt").split()
    assert "root=LABEL=root" in cmdline
    assert "console=ttyS1,115200" in cmdline and "rootwait" in cmdline


def test_root_has_the_static_binary(root, tmp_path):
    binary = root.dump("/usr/bin/vappoint", tmp_path / "vappoint")
    says = file_says(binary)
    assert "ARM aarch64" in says and ("statically linked" in says or "static-pie linked" in says), says
    mode = root.debugfs("stat /usr/bin/vappoint")
    assert re.search(r"Mode:\s+0755", mode), mode
    assert binary.read_bytes() == static_binary("aarch64").read_bytes(), "the image holds another build"


def test_root_enables_the_units(root, tmp_path):
    wants = root.listing("/etc/systemd/system/multi-user.target.wants")
    for unit in ("vappoint.service", "vappoint-firstboot.service", "vappoint-setup-done.path", "systemd-networkd.service"):
        assert unit in wants, f"{unit} is not enabled: {sorted(wants)}"
    early = root.listing("/etc/systemd/system/sysinit.target.wants")
    for unit in ("systemd-resolved.service", "systemd-timesyncd.service"):
        assert unit in early, f"{unit} is not enabled: {sorted(early)}"
    target = root.symlink_target("/etc/systemd/system/multi-user.target.wants/vappoint.service")
    # bookworm's /lib is a link to /usr/lib; systemctl names the unit by either path.
    assert target in ("/usr/lib/systemd/system/vappoint.service", "/lib/systemd/system/vappoint.service"), target
    for unit in ("vappoint.service", "vappoint-firstboot.service", "vappoint-setup-done.path", "vappoint-setup-done.service"):
        assert root.text(f"/usr/lib/systemd/system/{unit}", tmp_path) == (REPO / "systemd" / unit).read_text()
    for exe, source in (("firstboot", "vappoint-firstboot"), ("setup-done", "vappoint-setup-done")):
        installed = root.dump(f"/usr/lib/vappoint/{exe}", tmp_path / exe)
        assert installed.read_text() == (REPO / "systemd" / source).read_text()
        assert re.search(r"Mode:\s+0755", root.debugfs(f"stat /usr/lib/vappoint/{exe}"))
    watchdog = root.text("/usr/lib/systemd/system.conf.d/vappoint-watchdog.conf", tmp_path)
    assert "RuntimeWatchdogSec=15s" in watchdog


def test_root_config_files(root, tmp_path):
    fstab = root.text("/etc/fstab", tmp_path).split("\n")
    mounts = {f[1]: f for f in (l.split() for l in fstab) if f and not f[0].startswith("#")}
    assert mounts["/"][:3] == ["LABEL=root", "/", "ext4"]
    assert mounts["/boot/firmware"][:3] == ["LABEL=RASPIFIRM", "/boot/firmware", "vfat"]
    assert root.text("/etc/hostname", tmp_path).strip() == "vappoint"
    assert root.text("/etc/machine-id", tmp_path) == "", "the machine id must be made on the box"
    for name in ("default-raspi-firmware", "raspi-firmware-custom"):
        installed = "/etc/default/" + name.replace("default-", "")
        assert root.text(installed, tmp_path) == (REPO / "firmware" / name).read_text()
    (network,) = (REPO / "systemd/network").glob("*.network")
    assert root.text(f"/etc/systemd/network/{network.name}", tmp_path) == network.read_text()
    assert root.symlink_target("/etc/resolv.conf") == "../run/systemd/resolve/stub-resolv.conf"


def test_root_installs_security_updates_at_night(root, tmp_path):
    status = root.text("/var/lib/dpkg/status", tmp_path)
    entry = next((e for e in status.split("\n\n") if e.startswith("Package: unattended-upgrades\n")), "")
    assert "Status: install ok installed" in entry, "unattended-upgrades is not installed"
    for installed, source in (
        ("/etc/apt/sources.list.d/debian-security.list", "debian-security.list"),
        ("/etc/apt/apt.conf.d/20auto-upgrades", "20auto-upgrades"),
        ("/etc/apt/apt.conf.d/52vappoint-unattended-upgrades", "52vappoint-unattended-upgrades"),
        ("/etc/systemd/system/apt-daily-upgrade.timer.d/vappoint.conf", "apt-daily-upgrade.timer.conf"),
    ):
        assert root.text(installed, tmp_path) == (REPO / "image/apt" / source).read_text(), installed
    # Ours is read after Debian's list and replaces it: the security suite only.
    apt_conf = root.listing("/etc/apt/apt.conf.d")
    assert "50unattended-upgrades" in apt_conf and sorted(apt_conf).index("50unattended-upgrades") < sorted(
        apt_conf
    ).index("52vappoint-unattended-upgrades")
    timers = root.listing("/etc/systemd/system/timers.target.wants")
    assert {"apt-daily.timer", "apt-daily-upgrade.timer"} <= timers, sorted(timers)
    # What apt on the box will read (apt-config here, on the image's own files): security only,
    # a reboot at night when needed.
    parts = tmp_path / "apt.conf.d"
    parts.mkdir()
    for name in ("20auto-upgrades", "50unattended-upgrades", "52vappoint-unattended-upgrades"):
        root.dump(f"/etc/apt/apt.conf.d/{name}", parts / name)
    main = tmp_path / "apt.conf"
    main.write_text(f'Dir::Etc::parts "{parts}";\n')
    dump = subprocess.run(["apt-config", "dump"], env={**os.environ, "APT_CONFIG": str(main)},
                          capture_output=True, text=True, check=True).stdout
    patterns = re.findall(r'^Unattended-Upgrade::Origins-Pattern:: "(.*)";$', dump, re.M)
    assert patterns == ["origin=Debian,codename=${distro_codename}-security,label=Debian-Security"], patterns
    for line in ('APT::Periodic::Unattended-Upgrade "1";', 'Unattended-Upgrade::Automatic-Reboot "true";',
                 'Unattended-Upgrade::Automatic-Reboot-Time "22:00";'):
        assert line in dump.splitlines(), line


def test_root_carries_the_update_key(root, tmp_path):
    """The public key update bundles must be signed with: the one image/build was given, else
    the development pair it made (the boot test signs with its private half)."""
    given = os.environ.get("VAPPOINT_UPDATE_PUB") or str(REPO / "image/keys/update.pub")
    expected = Path(given) if Path(given).exists() else REPO / "image/cache/dev-update-key/update.pub"
    assert root.text("/etc/vappoint/update.pub", tmp_path) == expected.read_text()
    assert re.search(r"Mode:\s+0644", root.debugfs("stat /etc/vappoint/update.pub"))
