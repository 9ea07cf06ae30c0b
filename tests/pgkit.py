"""A real PostgreSQL server for the hub's tests (issue 13): Debian's `postgresql` binaries run
a throwaway cluster on a temporary directory, listening on 127.0.0.1 and a free port only (never
the system cluster on 5432). One cluster per test session; each `Postgres.database()` call
makes a fresh, empty database owned by the `vappoint` role, so tests do not see each other's
rows.

`initdb` and `postgres` refuse to run as root, so they run as the `postgres` user that the
Debian package creates, on a directory that user owns.
"""

from __future__ import annotations

import glob
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import free_port, unique, wait_until

USER = "vappoint"


def bin_dir() -> Path:
    """The newest installed PostgreSQL's binaries (`/usr/lib/postgresql/<major>/bin`)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        pytest.fail("PostgreSQL is not installed (Debian package `postgresql`; tests/packages.sh)")
    return Path(found[-1]).parent


class Postgres:
    """One PostgreSQL cluster on loopback, run as the `postgres` user."""

    def __init__(self):
        self.bin = bin_dir()
        # Under /tmp rather than pytest's tmp dir: the `postgres` user must be able to reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="vappoint-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.password = secrets.token_hex(12)
        shutil.chown(self.dir, "postgres", "postgres")
        self.dir.chmod(0o700)

    def as_postgres(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True,
                              text=True, **kw)

    def start(self):
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        shutil.chown(pwfile, "postgres", "postgres")
        # The superuser is `vappoint` itself: the hub creates its own tables, and tests make
        # databases with it. Password authentication over TCP, as a hub machine would use.
        self.as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                         "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        pwfile.unlink()
        self.as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w",
                         "-o", f"-c listen_addresses=127.0.0.1 -c port={self.port} -c fsync=on "
                               f"-c unix_socket_directories={self.dir} -c max_connections=200",
                         "start")
        wait_until(lambda: self.psql("postgres", "SELECT 1").strip() == "1", timeout=30,
                   message="PostgreSQL to answer")

    def stop(self):
        if self.data.exists():
            subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.data),
                            "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, dbname: str, sql: str) -> str:
        """Runs `sql` on `dbname` over TCP as `vappoint`; returns the unaligned output."""
        r = subprocess.run([str(self.bin / "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql,
                            self.url(dbname)], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"psql failed: {r.stderr}")
        return r.stdout

    def url(self, dbname: str) -> str:
        return f"postgres://{USER}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def database(self) -> str:
        """A fresh, empty database; returns its URL."""
        name = unique("hub").lower().replace("-", "_")
        self.psql("postgres", f"CREATE DATABASE {name}")
        return self.url(name)

    def log(self) -> str:
        try:
            return (self.dir / "log").read_text()[-4000:]
        except OSError:
            return ""


@pytest.fixture(scope="session")
def postgres():
    """The session's PostgreSQL cluster: `postgres.database()` gives a fresh database's URL."""
    pg = Postgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()
