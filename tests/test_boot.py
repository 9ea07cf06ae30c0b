"""The image boots: qemu's `virt` machine (TCG, Cortex-A72) runs the image's own kernel and
initrd with a copy of the image as its virtio disk, made bigger than the image so the first
boot has room to grow the root file system. The box must answer HTTPS on a forwarded port with
its set-up page, having printed the set-up code on the console and written it to the boot
partition. Set up with a hub on this machine (the guest reaches it at 10.0.2.2, qemu's address
for the host's loopback), the box then takes its updates from that hub under systemd: a bad
one is rolled back, a good one installed and reported."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conftest import free_port, new_session, wait_until
from hubkit import HUB_CONFIG, Hub
from image_util import REPO, BootPartition, built_image, partitions, static_binary
from test_update import Release, newer, publish

# Needs the Raspberry Pi image (image/build); `tests/run --quick` leaves these out.
pytestmark = pytest.mark.image

DISK_SIZE = 4 * 2**30
BOOT_DEADLINE = 300.0
CODE_LINE = re.compile(r"vappoint set-up code: ([0-9][0-9 -]*[0-9])")


@dataclass
class VM:
    proc: subprocess.Popen
    https_port: int
    http_port: int
    console: Path
    disk: Path
    started: float

    def log(self) -> str:
        return self.console.read_text(errors="replace")

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.https_port}{path}"


@pytest.fixture(scope="module")
def vm(tmp_path_factory):
    image = built_image()
    work = tmp_path_factory.mktemp("qemu")
    boot = BootPartition(image, partitions(image)[0])
    names = boot.names()
    kernel = boot.copy_out(next(n for n in names if n.startswith("vmlinuz-")), work / "vmlinuz")
    initrd = boot.copy_out(next(n for n in names if n.startswith("initrd.img-")), work / "initrd.img")
    # A sparse copy, so the built image stays as it is, grown to a card bigger than the image.
    disk = work / "disk.img"
    subprocess.run(["cp", "--sparse=always", str(image), str(disk)], check=True)
    os.truncate(disk, DISK_SIZE)

    https_port, http_port = free_port(), free_port()
    console = work / "console.log"
    args = [
        "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-m", "1024", "-smp", "2",
        "-nographic", "-no-reboot",
        "-kernel", str(kernel), "-initrd", str(initrd),
        "-append", "root=LABEL=root rw rootwait fsck.repair=yes console=ttyAMA0 panic=-1",
        "-drive", f"file={disk},if=virtio,format=raw",
        "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{https_port}-:443,hostfwd=tcp:127.0.0.1:{http_port}-:80",
        "-device", "virtio-net-pci,netdev=net0",
    ]
    with open(console, "wb") as out:
        started = time.monotonic()
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    machine = VM(proc, https_port, http_port, console, disk, started)
    try:
        yield machine
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        tail = machine.log()[-4000:]
        print(f"--- qemu console (last lines) ---\n{tail}")


# image/build makes this pair when it is given no release key, and bakes its public half in.
DEV_KEY = REPO / "image" / "cache" / "dev-update-key"
# qemu's user network: the guest reaches the host's 127.0.0.1 at this address.
HOST_FROM_GUEST = "10.0.2.2"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The city's hub, on this machine, checking bundles against the image's update key."""
    log_dir = tmp_path_factory.mktemp("hub")
    h = Hub(log_dir / "data", {**HUB_CONFIG, "update": {"public_key": str(DEV_KEY / "update.pub")}}, log_dir)
    h.add_admin()
    h.start()
    yield h
    h.stop()


def https_answer(vm: VM, path: str) -> requests.Response | None:
    assert vm.proc.poll() is None, f"qemu exited ({vm.proc.returncode}):\n{vm.log()[-3000:]}"
    try:
        return new_session().get(vm.url(path), timeout=10)
    except requests.RequestException:
        return None


@pytest.fixture(scope="module")
def first_answer(vm) -> float:
    """Seconds from starting qemu to the box's first HTTPS answer."""
    wait_until(lambda: https_answer(vm, "/") is not None, timeout=BOOT_DEADLINE, interval=1.0,
               message="the booted image to answer HTTPS")
    seconds = time.monotonic() - vm.started
    print(f"boot to first HTTPS answer under qemu (TCG): {seconds:.1f} s")
    return seconds


def test_boots_to_the_setup_page(vm, first_answer):
    page = https_answer(vm, "/setup")
    assert page is not None and page.status_code == 200, (
        f"/setup answered {page.status_code if page else 'nothing'}: {page.text[:500] if page else ''}"
    )
    assert 'name="setup_code"' in page.text, page.text[:2000]
    plain = requests.get(f"http://127.0.0.1:{vm.http_port}/", allow_redirects=False, timeout=10,
                         proxies={"http": None, "https": None})
    assert plain.status_code in (301, 302, 303, 307, 308), plain.status_code
    assert plain.headers["Location"].startswith("https://"), plain.headers


def test_first_boot_printed_the_setup_code_and_wrote_it_to_the_boot_partition(vm, first_answer):
    m = wait_until(lambda: CODE_LINE.search(vm.log()), timeout=60, message="the set-up code on the console")
    code = re.sub(r"[ -]", "", m.group(1))
    assert re.fullmatch(r"\d{12}", code), m.group(0)
    # The first boot synced the file; mtools reads the boot partition of the VM's disk.
    written = BootPartition(vm.disk, partitions(vm.disk)[0]).text("vappoint-setup-code.txt")
    assert re.fullmatch(r"[\d ]+\n?", written), repr(written)
    assert re.sub(r"\s", "", written) == code


def test_first_boot_grew_the_root_partition(vm, first_answer):
    image = built_image()
    before = partitions(image)[1]
    m = wait_until(lambda: re.search(r"vappoint-firstboot: root file system on (\S+): ([\d.]+)([MGT])", vm.log()),
                   timeout=60, message="the first boot's resize line on the console")
    size = float(m.group(2)) * {"M": 2**20, "G": 2**30, "T": 2**40}[m.group(3)]
    assert size > before.size * 1.5, f"root file system is {m.group(2)}{m.group(3)}, partition was {before.size}"
    # The partition table on the disk now reaches the end of the disk.
    after = partitions(vm.disk)[1]
    assert after.start == before.start
    assert after.start + after.size > DISK_SIZE - 2**20, after


def test_initramfs_checks_the_root_file_system(vm, first_answer):
    # The initramfs has fsck for ext4 (image/initramfs.conf), so a power cut is repaired.
    log = vm.log()
    assert "fsck not present" not in log
    assert re.search(r"fsck\.ext4 .*/dev/vda2", log), "the initramfs did not check the root file system"


def test_set_up_in_the_booted_box(vm, first_answer, hub):
    """The whole appliance path: the sandboxed service reads the code the first boot wrote to
    the boot partition, and set-up in the browser writes to its state directory and enrols
    the box with the hub."""
    enrolment = hub.add_station("DGP", "Deccan Gymkhana Police Station", "Zone 1", "https://dgp.example")
    m = wait_until(lambda: CODE_LINE.search(vm.log()), timeout=60, message="the set-up code on the console")
    browser = new_session()
    page = browser.get(vm.url("/setup"), timeout=30)
    assert page.status_code == 200, page.text[:500]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    done = browser.post(vm.url("/setup"), timeout=60, data={
        "csrf": csrf, "setup_code": m.group(1),
        "name": "Deccan Gymkhana Police Station", "code": "DGP", "zone": "Zone 1",
        "time_zone": "Asia/Kolkata", "phone": "020 2567 1234",
        "address": "Karve Road, Deccan Gymkhana, Pune 411004",
        "admin_name": "Vijay Patil", "admin_rank": "Senior Police Inspector",
        "admin_email": "spi@dgp.example", "password": "a long password 1",
        "password2": "a long password 1", "takes_appointments": "yes",
        "public_host": "", "mail_from": "", "relay_host": "",
        "hub_url": f"https://{HOST_FROM_GUEST}:{hub.fixed_https}", "hub_code": enrolment,
    })
    assert done.status_code == 200, done.text[:1000]
    assert "is set up" in done.text
    assert https_answer(vm, "/setup").status_code == 404
    # The used code is gone from the card and the login prompt (vappoint-setup-done.path).
    wait_until(lambda: "removed the used set-up code" in vm.log(), timeout=60, message="the set-up code removed")
    assert "vappoint-setup-code.txt" not in BootPartition(vm.disk, partitions(vm.disk)[0]).names()
    assert "/etc/issue.d/vappoint.issue" in vm.log().split("removed the used set-up code")[1]
    home = https_answer(vm, "/")
    assert home.status_code == 200 and "Deccan Gymkhana Police Station" in home.text


def test_updates_from_the_hub_under_systemd(vm, first_answer, hub, tmp_path):
    """A bundle whose binary exits at start is rolled back by the box itself (systemd starts it
    three times); then the image's own binary, signed as a newer version, is installed into the
    state directory (/usr is read-only under the unit's sandbox), runs, and is reported at the
    hub."""
    assert (DEV_KEY / "update.key").exists(), f"no {DEV_KEY}: the image was built with a release key"
    release = Release(tmp_path, keys=DEV_KEY)
    admin = hub.admin_session()

    def health() -> str:
        page = admin.get(hub.url("/hub/stations"), timeout=30).text
        m = re.search(r'<td class="health" data-station="DGP">(.*?)</td>', page, re.S)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))) if m else ""

    wait_until(lambda: " up " in f" {health()}", timeout=120, interval=2, message="the box's first health at the hub")

    bad = release.sign(release.failing, newer(1), "bad", arch="aarch64")
    assert publish(hub, bad).returncode == 0
    published = time.monotonic()
    reason = f"update to {newer(1)} failed, rolled back: it stopped 3 times before it was healthy"
    wait_until(lambda: reason in health(), timeout=300, interval=2, message="the rollback reported at the hub")
    print(f"\nunder qemu (TCG): {newer(1)} (exits at start) rolled back and reported "
          f"{time.monotonic() - published:.0f} s after publishing (pushes every 30 s)")
    assert https_answer(vm, "/").status_code == 200

    good = release.sign(static_binary("aarch64"), newer(2), "good", arch=None)
    assert publish(hub, good).returncode == 0
    published = time.monotonic()
    wait_until(lambda: f"{newer(2)}, up" in health(), timeout=300, interval=2,
               message="the box reporting the new version")
    print(f"under qemu (TCG): {newer(2)} ({good.stat().st_size / 1e6:.0f} MB) downloaded, installed, running "
          f"and reported {time.monotonic() - published:.0f} s after publishing")
    home = https_answer(vm, "/")
    assert home is not None and home.status_code == 200 and "Deccan Gymkhana Police Station" in home.text
