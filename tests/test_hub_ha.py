"""Several hub processes serving one city from one database (issue 13): they share one
identity (the CA and the certificate stations pin), every one of them takes pushes, serves the
directory and the reports and relays stations, and the database, not a process, decides which
push is applied. Stations learn every hub's URL at enrolment, push to the one that answers and
keep a relay tunnel to each.

Where the hubs' database is lives in one place, the `hub_database` fixture: a throwaway
PostgreSQL (`tests/pgkit.py`).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
import json
from datetime import date

import pytest
import requests

from conftest import BIN, csrf_of, free_port, new_session, to_toml, wait_until
from hubkit import (
    HUB_CONFIG,
    Hub,
    Tally,
    client_cert,
    compact,
    error_of,
    expected_seq,
    hub_figures,
    new_site,
    push_text,
    wait_for_figures,
)
from test_relay import Through, cert_sha256, presented, relayed_station

DOMAIN = "v.test"


@pytest.fixture
def hub_database(postgres, tmp_path_factory):
    """The hubs' one database, as `(data dir, keys of [hub])` for each hub process: one
    PostgreSQL database, each hub on a data dir of its own (as on two machines)."""
    url = postgres.database()
    return lambda: (tmp_path_factory.mktemp("hub") / "data", {"database": {"url": url}})


@pytest.fixture
def hub_pair(hub_database, tmp_path_factory, request):
    """Factory: `hub_pair(config)` -> two started hubs A and B on one database, each told
    both URLs (`[hub] urls`), with one admin both know. Killed at teardown; their stderr is
    printed when the test failed."""
    if not BIN.exists():
        pytest.fail(f"vappoint binary not found at {BIN} (build it or set VAPPOINT_BIN)")
    hubs: list[Hub] = []

    def make(config: dict = HUB_CONFIG, a_lists_b: bool = True) -> tuple[Hub, Hub]:
        """`a_lists_b=False`: A names only itself at first (see `list_both`)."""
        ports = [(free_port(), free_port()) for _ in range(2)]
        urls = [f"https://127.0.0.1:{https}" for https, _ in ports]
        for i, (https, http) in enumerate(ports):
            listed = urls if a_lists_b or i == 1 else urls[:1]
            data, database = hub_database()
            settings = with_hub(config, urls=listed, **database)
            hub = Hub(data, settings, tmp_path_factory.mktemp("hub"))
            hub.settings = settings
            hub.fixed_https, hub.fixed_http = https, http
            hubs.append(hub)
        a, b = hubs
        a.add_admin()
        b.admin_email, b.admin_password = a.admin_email, a.admin_password
        a.start()
        b.start()
        return a, b

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for hub in hubs:
        if failed:
            print(f"--- vappoint hub stderr (port {hub.fixed_https}) ---\n{hub.stderr_tail()}")
        hub.stop()


def with_hub(config: dict, **keys) -> dict:
    """`config` with `keys` added to its `[hub]` section."""
    return {**config, "hub": {**config.get("hub", {}), **keys}}


def list_both(a: Hub, b: Hub):
    """Restarts A naming both hubs, as when a second hub joins a city."""
    a.stop()
    a.config_path.write_text(to_toml(with_hub(a.settings, urls=[a.url_base, b.url_base])))
    a.start()


def pinned(station) -> dict:
    return json.loads((station.data / "federation" / "hub.json").read_text())


class Directory(threading.Thread):
    """A citizen fetching the directory from a hub over and over, counting the answers."""

    def __init__(self, hub: Hub):
        super().__init__(daemon=True)
        self.hub, self.ok, self.failed, self.done = hub, 0, [], threading.Event()

    def run(self):
        s = new_session()
        while not self.done.is_set():
            try:
                r = s.get(self.hub.url("/api/v1/stations"), timeout=10)
                if r.status_code == 200 and isinstance(r.json(), list):
                    self.ok += 1
                else:
                    self.failed.append(r.status_code)
            except requests.RequestException as e:
                self.failed.append(repr(e))

    def stop(self) -> tuple[int, list]:
        self.done.set()
        self.join(30)
        return self.ok, self.failed


def test_a_hub_dies_and_the_other_carries_on(hub_pair, make_station, smtp):
    config = {**HUB_CONFIG, "relay": {"domain": DOMAIN}}
    a, b = hub_pair(config, a_lists_b=False)
    # One identity: both present the same certificate, which is the one stations pin.
    assert presented(a, None) == presented(b, None) is not None
    sites = [
        new_site(make_station, smtp, a, "DGP", "Deccan Gymkhana Police Station", "Zone 1"),
        new_site(make_station, smtp, a, "KTR", "Kothrud Police Station", "Zone 2"),
    ]
    relayed = relayed_station(make_station, smtp, a, "SWG", "Swargate Police Station")
    stations = [s.station for s in sites] + [relayed]
    for st in stations:
        link = pinned(st)
        assert link["pinned"] == presented(b, None), link
        assert link["hubs"] == [a.url_base], link
    # Hub A learns of B (a hub added later): the stations learn it from A's next answers.
    list_both(a, b)
    for st in stations:
        wait_until(lambda: pinned(st).get("hubs") == [a.url_base, b.url_base], timeout=30, interval=0.2,
                   message="the station to learn of hub B")
    # The relay-mode station keeps a tunnel to each hub.
    want = cert_sha256(relayed.data / "tls" / "cert.pem")
    for hub in (a, b):
        wait_until(lambda: presented(hub, f"swg.{DOMAIN}") == want, timeout=30, interval=0.2,
                   message=f"swg.{DOMAIN} to answer through the hub at {hub.url_base}")

    tally = Tally()
    for site in sites:
        tally.book(site)
        tally.book(site)
    codes = [s.code for s in sites]
    admin_b = b.admin_session()
    wait_for_figures(b, admin_b, tally, codes)

    # Citizens keep asking hub B for the directory while hub A dies mid-way, with bookings
    # on both sides of its death.
    directory = Directory(b)
    directory.start()
    for site in sites:
        tally.book(site)
    a.kill()
    assert presented(a, None) is None
    for site in sites:
        tally.book(site)
    wait_for_figures(b, admin_b, tally, codes)
    ok, failed = directory.stop()
    assert failed == [] and ok > 0, (ok, failed)
    listing = {s["code"] for s in b.directory()}
    assert {"DGP", "KTR", "SWG"} <= listing, listing
    # The relay-mode station is still reachable through hub B.
    assert presented(b, f"swg.{DOMAIN}") == want
    info = Through(b, f"swg.{DOMAIN}").get("/api/v1/station")
    assert info.status_code == 200 and info.json()["name"] == "Swargate Police Station", info.text[:300]

    # The station's backup ("Back up now", as every night) goes to hub B too.
    st = sites[0].station
    console = st.login(sites[0].officer)
    page = console.get(st.url("/officer/station")).text
    r = console.post(st.url("/officer/station/backup"), data={"csrf": csrf_of(page)})
    assert r.status_code == 200 and "The backup has started" in r.text, r.text[:300]
    kept = b.data / "backups" / "DGP"
    wait_until(lambda: kept.is_dir() and any(kept.iterdir()), timeout=60, message="hub B to keep the backup")


def daily(day: str, booked: int) -> str:
    """A daily figures message of officer 1 with `booked` appointments."""
    counts = {
        "offered": 40, "booked": booked, "completed": 0, "no_show": 0, "cancelled": 0,
        "wait_seconds_sum": 0, "wait_count": 0, "call_seconds_sum": 0, "call_count": 0,
        "reasons": {"complaint": booked},
    }
    return compact({"kind": "daily", "date": day, "officer_id": 1, **counts})


def test_the_same_push_to_both_hubs_is_applied_once(hub_pair, make_station, smtp):
    a, b = hub_pair()
    # A station enrolled but never started: the test pushes for it, with its certificate.
    site = new_site(make_station, smtp, a, "DGP", "Deccan Gymkhana Police Station", "Zone 1", start=False)
    cert = client_cert(site.station)
    day = str(date.today())
    seq = expected_seq(a, "DGP", cert)
    admin = a.admin_session()
    with ThreadPoolExecutor(2) as pool:
        for n in range(8):
            # The same message to both at once: both acknowledge it, it counts once.
            same = push_text("DGP", [(seq, daily(day, 10 * n), None)])
            answers = list(pool.map(lambda hub: hub.push(same, cert), (a, b)))
            assert [r.status_code for r in answers] == [200, 200], [r.text[:200] for r in answers]
            assert [r.json()["acked"] for r in answers] == [seq, seq]
            assert expected_seq(b, "DGP", cert) == seq + 1
            seq += 1
            # Two different messages under one number at once: exactly one is applied, the
            # other is a replay, and the figures are the one applied.
            bodies = [daily(day, 10 * n + 1), daily(day, 10 * n + 2)]
            answers = list(pool.map(lambda hb: hb[0].push(push_text("DGP", [(seq, hb[1], None)]), cert),
                                    zip((a, b), bodies)))
            statuses = sorted(r.status_code for r in answers)
            assert statuses == [200, 409], [r.text[:200] for r in answers]
            loser = next(r for r in answers if r.status_code == 409)
            assert error_of(loser).get("code") == "replayed", loser.text
            winner = 10 * n + 1 + [r.status_code for r in answers].index(200)
            assert expected_seq(a, "DGP", cert) == seq + 1
            figures = hub_figures(b, admin, date.today(), date.today(), ["DGP"])
            assert figures["DGP"][0] == winner, (figures, winner)
            seq += 1
