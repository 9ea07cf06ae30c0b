"""TURN from the hub: stations learn the city's TURN servers from their hub and get short-lived
credentials made for them (coturn's `use-auth-secret` scheme), never the secret; pages and the
bridge are given them per call; a revoked station gets no new ones."""

import base64
import hashlib
import hmac
import html
import json
import re
import time

import requests
from conftest import wait_until
from hubkit import HUB_CONFIG, client_cert, make_hub, new_site  # noqa: F401 (make_hub is a fixture)

SECRET = "north-gate-4821"
TURN_URLS = ["turn:127.0.0.1:3478?transport=udp"]
HUB_TURN = {**HUB_CONFIG, "turn": {"urls": TURN_URLS, "secret": SECRET, "grace": "30m"}}


def calls_page_ice(site) -> list[dict]:
    """The STUN/TURN servers the officer's Calls page hands its script."""
    session = site.station.login(site.officer)
    r = session.get(site.station.url("/officer/calls"), timeout=30)
    assert r.status_code == 200, r.status_code
    m = re.search(r'data-ice="([^"]*)"', r.text)
    assert m, "the Calls page has no data-ice"
    return json.loads(html.unescape(m.group(1)))


def valid(server: dict, code: str) -> bool:
    expiry, who = server["username"].split(":", 1)
    mac = hmac.new(SECRET.encode(), server["username"].encode(), hashlib.sha1).digest()
    return who == code and server["credential"] == base64.b64encode(mac).decode() and int(expiry) > time.time()


def test_stations_get_turn_credentials_from_their_hub(smtp, make_station, make_hub):
    hub = make_hub(HUB_TURN)
    site = new_site(make_station, smtp, hub, "DGP", "Deccan Gymkhana Police Station", "Zone 1")

    def turn_servers():
        return [s for s in calls_page_ice(site) if s["urls"] == TURN_URLS] or None

    [server] = wait_until(turn_servers, timeout=60, message="the hub's TURN server on the Calls page")
    assert valid(server, "DGP"), server
    # Valid for a call and the grace, not for days.
    expiry = int(server["username"].split(":")[0])
    assert time.time() + 3 * 3600 < expiry <= time.time() + 3.5 * 3600 + 60, expiry
    # The secret itself is on no page and in no file the station keeps.
    assert SECRET not in json.dumps(calls_page_ice(site))
    for path in site.station.data.rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert SECRET.encode() not in path.read_bytes(), f"the TURN secret is in {path}"


def test_the_hub_refuses_turn_to_revoked_and_unknown_stations(smtp, make_station, make_hub):
    hub = make_hub(HUB_TURN)
    site = new_site(make_station, smtp, hub, "SHV", "Shivajinagar Police Station", "Zone 1")
    cert = client_cert(site.station)

    def ask(cert):
        return requests.post(hub.url("/federation/v1/turn"), json={"minutes": 100000}, cert=cert, verify=False, timeout=30)

    r = ask(cert)
    assert r.status_code == 200, r.text
    [server] = r.json()["ice_servers"]
    assert valid(server, "SHV")
    # Asked for far too long: capped at four hours and the grace.
    assert r.json()["expires"] <= time.time() + 4.5 * 3600 + 60
    assert ask(None).status_code == 401
    hub.revoke_station("SHV")
    r = ask(cert)
    assert r.status_code == 403 and r.json()["error"]["code"] == "revoked", r.text


def test_a_hub_without_turn_says_so(smtp, make_station, make_hub):
    hub = make_hub()
    site = new_site(make_station, smtp, hub, "KDW", "Kondhwa Police Station", "Zone 5")
    r = requests.post(hub.url("/federation/v1/turn"), json={"minutes": 60}, cert=client_cert(site.station), verify=False, timeout=30)
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_turn", r.text
    assert not [s for s in calls_page_ice(site) if s.get("username")]
