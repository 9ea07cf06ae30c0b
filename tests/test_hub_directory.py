"""The hub's public directory and console, as people use them: a search in Devanagari finds
a station by what people call its localities (aliases per language, stored with the
station); a station whose times the hub does not have sends people to its own page instead
of saying it has no free time; the console tells "not enrolled yet" from "not reported
recently". And enrolling a running station: it starts pushing without a restart, and a code
issued for another station code says so."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser import axe_violations
from conftest import wait_until
from hubkit import (  # noqa: F401 (make_hub is a fixture)
    BOTH_BACKENDS,
    Tally,
    enroll,
    enroll_ok,
    make_hub,
    new_site,
)

DGP_ALIASES = ["mr=डेक्कन जिमखाना", "mr=कर्वे रस्ता", "hi=डेक्कन जिमखाना", "hi=कर्वे रोड"]

# Every hub test here runs on SQLite and on PostgreSQL.
pytestmark = BOTH_BACKENDS


def register(hub, code: str, name: str, zone: str, localities: list[str], aliases: list[str] = ()) -> str:
    args = ["add-station", "--code", code, "--name", name, "--zone", zone,
            "--url", f"https://{code.lower()}.punepolice.example"]
    for loc in localities:
        args += ["--locality", loc]
    for a in aliases:
        args += ["--alias", a]
    done = hub.cli(*args)
    assert done.returncode == 0, f"hub add-station failed: {done.stdout}\n{done.stderr}"
    return done.stdout.strip().splitlines()[-1].split()[-1]


def listing(hub, code: str) -> dict | None:
    return next((s for s in hub.directory() if s["code"] == code), None)


def cards(driver) -> dict[str, str]:
    """Station name -> the text of its card on the directory page."""
    out = {}
    for card in driver.find_elements(By.CSS_SELECTOR, "article.card"):
        out[card.find_element(By.TAG_NAME, "h3").text.strip()] = card.text
    return out


def search(driver, words: str):
    """Types `words` into the search box and submits, as a person does; waits for the new page."""
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(words)
    box.send_keys(Keys.ENTER)

    def landed():
        asked = parse_qs(urlparse(driver.current_url).query).get("q")
        return asked == [words] and driver.execute_script("return document.readyState") == "complete"

    wait_until(landed, timeout=20, message=f"the results for {words!r}")


def test_directory_searched_in_devanagari_in_a_browser(smtp, make_station, make_hub, browsers):
    hub = make_hub()
    dgp = new_site(make_station, smtp, hub, "DGP", "Deccan Gymkhana Police Station", "Zone 1", enrol=False,
                   start=False)
    code = register(hub, "DGP", dgp.name, "Zone 1", ["Deccan Gymkhana", "Karve Road"], DGP_ALIASES)
    enroll_ok(dgp.station, hub, code, "DGP")
    dgp.station.start()
    # Registered, never enrolled: the hub has no times for it.
    register(hub, "KTR", "Kothrud Police Station", "Zone 3", ["Paud Road"], ["mr=कोथरूड", "mr=पौड रस्ता"])
    wait_until(lambda: (listing(hub, "DGP") or {}).get("next_free_slot"), timeout=90,
               message="DGP's free times at the hub")

    b = browsers(phone=True, lang="mr")
    d = b.driver
    d.get(hub.url("/"))
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "mr"
    for words in ("कर्वे", "डेक्कन", "कर्वे रोड", "karve"):
        search(d, words)
        found = cards(d)
        assert list(found) == ["Deccan Gymkhana Police Station"], (words, found)
    text = found["Deccan Gymkhana Police Station"]
    assert "कर्वे रस्ता" in text  # its names in Devanagari are shown, so the match makes sense

    search(d, "पौड")
    found = cards(d)
    assert list(found) == ["Kothrud Police Station"], found
    kothrud = d.find_element(By.CSS_SELECTOR, "article.card")
    assert "येथे दाखवल्या जात नाहीत" in kothrud.text, kothrud.text  # times not shown here
    assert "14 दिवसांत" not in kothrud.text, "a station without figures is not 'no free time'"
    link = kothrud.find_element(By.CSS_SELECTOR, ".times-not-shown a")
    assert link.get_attribute("href").rstrip("/") == "https://ktr.punepolice.example"
    assert not axe_violations(d), axe_violations(d)

    search(d, "कोंढवा")
    assert not cards(d)

    # The API says the same.
    ktr = listing(hub, "KTR")
    assert ktr["times_shown"] is False and ktr["next_free_slot"] is None
    assert listing(hub, "DGP")["times_shown"] is True
    assert [s["code"] for s in hub.directory("डेक्कन")] == ["DGP"]


def test_console_tells_not_enrolled_from_not_reported(smtp, make_station, make_hub):
    hub = make_hub({"hub": {"name": "Pune City Police", "stale_after": "3s"}})
    register(hub, "KTR", "Kothrud Police Station", "Zone 3", ["Paud Road"])
    dgp = new_site(make_station, smtp, hub, "DGP", "Deccan Gymkhana Police Station", "Zone 1")
    wait_until(lambda: (listing(hub, "DGP") or {}).get("last_seen"), timeout=90, message="DGP's first push")
    dgp.station.stop()
    admin = hub.admin_session()

    def row(html: str, name: str) -> str:
        start = html.index(name)
        return html[start:html.index("</tr>", start)]

    def stations_page_says_silent():
        html = admin.get(hub.url("/hub/stations"), timeout=30).text
        return "not reported recently" in row(html, "Deccan Gymkhana Police Station") and html

    html = wait_until(stations_page_says_silent, timeout=30, message="DGP flagged as silent")
    kothrud = row(html, "Kothrud Police Station")
    assert "not enrolled yet" in kothrud and "not reported recently" not in kothrud, kothrud
    assert "not enrolled yet" not in row(html, "Deccan Gymkhana Police Station")

    report = admin.get(hub.url("/hub"), timeout=30).text
    kothrud = row(report, "Kothrud Police Station")
    assert "not enrolled yet" in kothrud and "not reported recently" not in kothrud, kothrud
    assert "not reported recently" in row(report, "Deccan Gymkhana Police Station")


def test_enrolling_a_running_station_starts_its_pushes(smtp, make_station, make_hub):
    hub = make_hub()
    site = new_site(make_station, smtp, hub, "DGP", "Deccan Gymkhana Police Station", "Zone 1", enrol=False)
    st = site.station
    assert st.runs == 1 and st.proc is not None
    tally = Tally()
    tally.book(site)

    # Made while the station runs, as the README tells.
    code = hub.add_station("DGP", site.name, "Zone 1", site.booking_url)
    enroll_ok(st, hub, code, "DGP")
    wait_until(lambda: (listing(hub, "DGP") or {}).get("next_free_slot"), timeout=60,
               message="the running station's first push")
    admin = hub.admin_session()
    frm, to = tally.span()
    booked = lambda: sum(s["booked"] for z in hub.reports(admin, frm, to)["zones"] for s in z["stations"])  # noqa: E731
    wait_until(lambda: booked() == 1, timeout=60, message="the booking made before enrolling, at the hub")
    # Pushing goes on: a later booking arrives too, still without a restart.
    tally.book(site)
    wait_until(lambda: booked() == 2, timeout=60, message="a booking made after enrolling, at the hub")
    assert st.runs == 1 and st.proc.poll() is None


def test_a_code_for_another_station_code_says_so(smtp, make_station, make_hub):
    hub = make_hub()
    site = new_site(make_station, smtp, hub, "DGQ", "Deccan Gymkhana Police Station", "Zone 1", enrol=False)
    code = hub.add_station("DGP", site.name, "Zone 1", "https://dgp.punepolice.example")

    done = enroll(site.station, hub, code)
    assert done.returncode != 0
    assert "issued for station DGP" in done.stderr and "this station's code is DGQ" in done.stderr, done.stderr
    assert "wrong, used or expired" not in done.stderr

    # A made-up code is still just wrong.
    done = enroll(site.station, hub, "ABCD-EFGH-JKLM-NPQR")
    assert done.returncode != 0 and "wrong, used or expired" in done.stderr, done.stderr

    # The refused attempt did not use the code up: the right station enrols with it.
    right = new_site(make_station, smtp, hub, "DGP", site.name, "Zone 1", enrol=False, start=False)
    enroll_ok(right.station, hub, code, "DGP")
