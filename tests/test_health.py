"""Every box's health at the hub (issue 12): each push carries the station's health; the hub's
Stations page shows it with a red flag for what needs a visit, and its `/metrics` carries every
station's figures in Prometheus text; the station serves its own `/metrics`. Both answer the
LAN only."""

import re
import subprocess

import pytest
from selenium.webdriver.common.by import By

from browser import login
from conftest import citizen_email, new_session, wait_until
from hubkit import HUB_CONFIG, make_hub, new_site  # noqa: F401 (make_hub is a fixture)
from test_hardening import FromAddress

# One sample line of the Prometheus text format: name, optional labels, a number.
SAMPLE = re.compile(r'^[a-z_]+(\{[a-z_]+="(?:[^"\\]|\\.)*"(,[a-z_]+="(?:[^"\\]|\\.)*")*\})? -?[0-9.e+]+$')
# An address that is neither private nor loopback, on our own loopback interface only.
OUTSIDE = "203.0.113.77"


def parse(text: str) -> dict[str, float]:
    """Samples by their name and labels; every line must be a comment or a valid sample."""
    out = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        assert SAMPLE.match(line), f"not Prometheus text: {line!r}"
        key, value = line.rsplit(" ", 1)
        out[key] = float(value)
    return out


@pytest.fixture
def outside_address():
    """`OUTSIDE` on the loopback interface, so a request can come from a public-looking address
    without leaving this machine."""
    subprocess.run(["ip", "addr", "add", f"{OUTSIDE}/32", "dev", "lo"], check=True)
    yield OUTSIDE
    subprocess.run(["ip", "addr", "del", f"{OUTSIDE}/32", "dev", "lo"], check=True)


@pytest.fixture
def card(tmp_path):
    """A card of the box's own (a 2 GB tmpfs, nearly empty), so the hub's "disk nearly full"
    flag depends on the station's card and not on how full this machine's disk is."""
    card = tmp_path / "card"
    card.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2g", "tmpfs", str(card)], check=True)
    yield card
    # Lazily: the station may still be stopping when this runs.
    subprocess.run(["umount", "-l", str(card)], check=True)


def test_the_hub_shows_each_boxs_health_and_flags_what_needs_a_visit(card, make_station, make_hub, smtp, browsers,
                                                                     outside_address):
    hub = make_hub(HUB_CONFIG)
    # Mail that cannot be delivered is given up after a second: a dead letter to report.
    site = new_site(make_station, smtp, hub, "DGP", "Deccan Gymkhana Police Station", "Zone 1",
                    data=card / "data", mail={"give_up_after": "1s", "retry_max": "1s"})
    st = site.station
    labels = '{station="DGP",zone="Zone 1"}'

    # The hub has the box's health from its pushes.
    def hub_metrics() -> dict[str, float]:
        r = new_session().get(hub.url("/metrics"), timeout=30)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain"), r.status_code
        return parse(r.text)

    def reported():
        m = hub_metrics()
        return m if f"vappoint_health_flags{labels}" in m else None

    healthy = wait_until(reported, timeout=60, message="the station's health at the hub")
    assert healthy[f"vappoint_health_flags{labels}"] == 0
    assert healthy[f"vappoint_disk_total_bytes{labels}"] > healthy[f"vappoint_disk_free_bytes{labels}"] > 0
    assert healthy[f"vappoint_database_bytes{labels}"] > 0
    assert any(k.startswith("vappoint_info{") and 'station="DGP"' in k for k in healthy)
    assert abs(healthy[f"vappoint_clock_offset_seconds{labels}"]) < 60

    # The relay goes away; a citizen's booking mail is given up: the hub flags the station.
    smtp.stop()
    st.book_ok(site.officer.id, st.free_slot(site.officer.id)["start"], citizen_email())
    wait_until(lambda: hub_metrics().get(f"vappoint_mail_dead{labels}") == 1, timeout=60,
               message="the dead letter at the hub")
    assert hub_metrics()[f"vappoint_health_flags{labels}"] == 1

    # The commissionerate's admin sees it on the Stations page.
    b = browsers()
    login(b, hub.base, hub.admin_email, hub.admin_password, path="/hub/login")
    b.driver.get(hub.url("/hub/stations"))
    cell = b.driver.find_element(By.CSS_SELECTOR, "td.health[data-station='DGP']")
    assert "1 mails given up" in cell.find_element(By.CSS_SELECTOR, ".flag").text
    assert "database" in cell.text

    # The station's own /metrics, from its LAN.
    own = new_session().get(st.url("/metrics"), timeout=30)
    assert own.status_code == 200
    assert parse(own.text)['vappoint_mail_dead{station="DGP"}'] == 1

    # From outside the LAN, neither has anything there.
    for base in (st.url("/metrics"), hub.url("/metrics")):
        s = new_session()
        s.mount("https://", FromAddress(outside_address))
        assert s.get(base, timeout=30).status_code == 404, base
