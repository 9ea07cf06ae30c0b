"""Reading the built Raspberry Pi image without mounting it: the MBR in Python, the boot
partition with mtools (`img@@offset`), the root partition with debugfs (`img?offset=`)."""

from __future__ import annotations

import os
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
if not TARGET.is_absolute():
    TARGET = REPO / TARGET


def static_binary(arch: str) -> Path:
    return TARGET / f"{arch}-unknown-linux-musl" / "release" / "vappoint"


def built_image() -> Path:
    """The image `image/build` made (VAPPOINT_IMAGE overrides; else the newest in image/out)."""
    if os.environ.get("VAPPOINT_IMAGE"):
        return Path(os.environ["VAPPOINT_IMAGE"])
    images = sorted((REPO / "image" / "out").glob("vappoint-*-rpi4-arm64.img"), key=lambda p: p.stat().st_mtime)
    if not images:
        pytest.fail("no image in image/out/: run image/build (tests/run does)")
    return images[-1]


@dataclass
class Partition:
    number: int
    bootable: bool
    kind: int
    start: int  # bytes
    size: int  # bytes


def partitions(image: Path) -> list[Partition]:
    """The primary partitions of the image's DOS partition table."""
    with open(image, "rb") as f:
        mbr = f.read(512)
    assert mbr[510:512] == b"\x55\xaa", "no MBR signature"
    found = []
    for i in range(4):
        entry = mbr[446 + 16 * i : 446 + 16 * (i + 1)]
        status, kind, lba, sectors = entry[0], entry[4], *struct.unpack("<II", entry[8:16])
        if kind:
            found.append(Partition(i + 1, status == 0x80, kind, lba * 512, sectors * 512))
    return found


def run(*args: str, **kw) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, env={**os.environ, "MTOOLS_SKIP_CHECK": "1"}, **kw)
    assert done.returncode == 0, f"{' '.join(args)} failed: {done.stdout}{done.stderr}"
    return done.stdout


class BootPartition:
    def __init__(self, image: Path, part: Partition):
        self.spec = f"{image}@@{part.start}"

    def names(self) -> list[str]:
        return [line.strip().removeprefix("::/") for line in run("mdir", "-b", "-i", self.spec, "::/").splitlines()]

    def text(self, name: str) -> str:
        return run("mtype", "-i", self.spec, f"::/{name}")

    def copy_out(self, name: str, dest: Path) -> Path:
        run("mcopy", "-n", "-i", self.spec, f"::/{name}", str(dest))
        return dest

    def label(self) -> str:
        return run("mlabel", "-s", "-i", self.spec, "::").split("is", 1)[-1].strip()


class RootPartition:
    def __init__(self, image: Path, part: Partition):
        self.spec = f"{image}?offset={part.start}"

    def debugfs(self, request: str) -> str:
        done = subprocess.run(["debugfs", "-R", request, self.spec], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"debugfs {request}: {done.stderr}"
        return done.stdout

    def dump(self, path: str, dest: Path) -> Path:
        self.debugfs(f"dump -p {path} {dest}")
        assert dest.exists(), f"{path} is not in the root file system"
        return dest

    def text(self, path: str, tmp: Path) -> str:
        return self.dump(path, tmp / Path(path).name).read_text()

    def names(self, directory: str) -> list[str]:
        return [n for n in self.debugfs(f"ls -p {directory}").splitlines() if n]

    def listing(self, directory: str) -> set[str]:
        """File names in `directory` (from `ls -p`: /inode/mode/uid/gid/name/size/)."""
        return {line.split("/")[5] for line in self.names(directory)} - {".", ".."}

    def symlink_target(self, path: str) -> str:
        out = self.debugfs(f"stat {path}")
        for line in out.splitlines():
            if "link" in line.lower() and ":" in line and '"' in line:
                return line.split('"')[1]
        raise AssertionError(f"{path} is not a symlink:\n{out}")

    def label(self) -> str:
        out = self.debugfs("stats")
        return next(l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Filesystem volume name"))
