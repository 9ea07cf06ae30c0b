"""The hub on PostgreSQL (`[hub.database] url`): stations enrol and push, the directory and the
reports answer from the database; and `vappoint hub migrate-to-postgres` moves a SQLite hub
that has taken pushes, after which the hub on PostgreSQL shows the same report and goes on.

A throwaway PostgreSQL (`tests/pgkit.py`) runs on a free loopback port; each test gets a fresh
database."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import BIN, run_cli, to_toml
from hubkit import (  # noqa: F401 (make_hub is a fixture)
    HUB_CONFIG,
    Tally,
    make_hub,
    new_site,
    report_stations,
    wait_for_figures,
)
from test_relay import cert_sha256, presented

DGP = ("DGP", "Deccan Gymkhana Police Station", "Zone 1", ["Deccan Gymkhana", "Karve Road"])
KDW = ("KDW", "Kondhwa Police Station", "Zone 5", ["NIBM Road"])


@pytest.fixture
def pg_url(postgres) -> str:
    """The URL of a fresh, empty database."""
    return postgres.database()


def figures(report: dict) -> dict[str, dict]:
    """code -> the station's figures, without when it last pushed (stations push on)."""
    return {c: {k: v for k, v in st.items() if k not in ("last_seen", "stale")}
            for c, st in report_stations(report).items()}


def site(make_station, smtp, hub, spec):
    code, name, zone, localities = spec
    return new_site(make_station, smtp, hub, code, name, zone, localities)


def test_a_hub_on_postgres_enrols_takes_pushes_and_reports(smtp, make_station, make_hub, pg_url):
    hub = make_hub(database_url=pg_url)
    dgp, kdw = site(make_station, smtp, hub, DGP), site(make_station, smtp, hub, KDW)
    codes = [dgp.code, kdw.code]
    tally = Tally()
    tally.book(dgp, "cyber_fraud")
    refs = [tally.book(kdw, "complaint")["reference"] for _ in range(2)]
    tally.cancel(kdw, smtp, refs[0])
    admin = hub.admin_session()
    wait_for_figures(hub, admin, tally, codes)

    listing = {x["code"]: x for x in hub.directory()}
    assert set(listing) == set(codes)
    assert listing["DGP"]["name"] == DGP[1]
    assert [x["code"] for x in hub.directory("karve")] == ["DGP"]
    # Everything is in PostgreSQL: the data dir holds no hub database.
    assert not (hub.data / "hub.db").exists()

    # A restart finds it all again (and the stations go on pushing to it).
    hub.stop()
    hub.start()
    tally.book(dgp, "complaint")
    wait_for_figures(hub, hub.admin_session(), tally, codes)


def test_migrate_to_postgres_moves_a_hub_that_took_pushes(smtp, make_station, make_hub, pg_url):
    hub = make_hub()
    dgp, kdw = site(make_station, smtp, hub, DGP), site(make_station, smtp, hub, KDW)
    codes = [dgp.code, kdw.code]
    tally = Tally()
    tally.book(dgp, "lost_article")
    tally.book(kdw, "complaint")
    tally.book(kdw, "complaint")
    wait_for_figures(hub, hub.admin_session(), tally, codes)
    frm, to = tally.span()
    before = figures(hub.reports(hub.admin_session(), frm, to))
    hub.stop()
    # A hub from before this version kept its certificates in files only.
    with sqlite3.connect(hub.data / "hub.db") as db:
        db.execute("DELETE FROM settings WHERE key LIKE 'identity.%'")

    moved = run_cli("hub", "migrate-to-postgres", "--data", str(hub.data), "--url", pg_url)
    assert moved.returncode == 0, f"{moved.stdout}\n{moved.stderr}"
    copied = dict(line.split(": ") for line in moved.stdout.splitlines() if line.endswith(" rows"))
    assert copied["stations"] == "2 rows" and copied["admins"] == "1 rows", moved.stdout
    assert int(copied["daily"].split()[0]) >= 2, moved.stdout
    # The database is not empty any more: a second copy is refused, saying why.
    again = run_cli("hub", "migrate-to-postgres", "--data", str(hub.data), "--url", pg_url)
    assert again.returncode != 0
    assert "already holds hub data" in again.stderr, again.stderr
    assert "vappoint@" not in again.stderr, "the URL's credentials stay out of messages"

    # A second hub, on a data dir of its own, starts first on the database: it serves the
    # certificate the stations pinned, which the copy took along.
    second = make_hub(database_url=pg_url)
    assert presented(second, None) == cert_sha256(hub.data / "tls" / "cert.pem")

    # The same hub (data dir, ports, certificates), now on PostgreSQL.
    hub.config_path.write_text(to_toml({**HUB_CONFIG, "hub": {**HUB_CONFIG["hub"], "database": {"url": pg_url}}}))
    hub.start()
    admin = hub.admin_session()
    assert figures(hub.reports(admin, frm, to)) == before
    # The stations push on to it, numbering where they were.
    tally.book(dgp, "complaint")
    wait_for_figures(hub, admin, tally, codes)


def test_a_missing_sqlite_hub_is_not_migrated(tmp_path, pg_url):
    assert BIN.exists()
    done = run_cli("hub", "migrate-to-postgres", "--data", str(tmp_path), "--url", pg_url)
    assert done.returncode != 0
    assert "no hub database" in done.stderr, done.stderr
