"""The set-up page and the rest of the console in मराठी and हिन्दी: set-up from a Marathi
browser (its language links work before set-up is done, its messages are Marathi), the
Station page's labels and messages, appointment statuses, the Calls page's script strings and
the console's error pages. English stays the default (the other console tests check that)."""

import json

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import browser
from conftest import csrf_of, wait_until
from test_browser_journeys import fill, ftl
from test_setup import STATION, setup_code, setup_fields


def heading(b) -> str:
    """The page's heading, or "" while there is none (or the page changed under the read:
    polled while a form is being sent)."""
    try:
        found = b.driver.find_elements(By.TAG_NAME, "h1")
        return found[0].text if found else ""
    except StaleElementReferenceException:
        return ""


def page_lang(b) -> str:
    return b.driver.find_element(By.TAG_NAME, "html").get_attribute("lang")


def switch_to(b, label: str, lang: str):
    """Clicks a language link and waits for the page in that language."""
    b.driver.find_element(By.CSS_SELECTOR, "nav.langs").find_element(By.LINK_TEXT, label).click()
    wait_until(lambda: heading(b) == ftl(lang, "setup-heading"), timeout=15,
               message=f"the set-up page in {lang}")
    assert page_lang(b) == lang
    assert b.driver.current_url.endswith("/setup"), b.driver.current_url




def send_setup(b):
    Select(b.driver.find_element(By.ID, "relay_security")).select_by_value("none")
    b.driver.find_element(By.CSS_SELECTOR, "input[name=takes_appointments][value=yes]").click()
    b.driver.find_element(By.CSS_SELECTOR, "#setup-form button[type=submit]").click()


def test_set_up_in_marathi_switches_languages_and_completes(make_station, smtp, browsers):
    st = make_station(None)
    code = setup_code(st)
    b = browsers(lang="mr")

    # A Marathi browser opening the new box is sent to the set-up page, in Marathi.
    b.driver.get(st.url("/"))
    wait_until(lambda: b.driver.current_url.endswith("/setup"), timeout=15, message="/setup")
    assert page_lang(b) == "mr"
    assert heading(b) == ftl("mr", "setup-heading")
    body = b.driver.find_element(By.TAG_NAME, "body").text
    assert ftl("mr", "setup-submit") in body and "Finish set-up" not in body
    assert ftl("mr", "station-field-name") in body

    # A wrong code: the message is Marathi, and what was typed comes back.
    fill(b.driver, {**setup_fields("1111 2222 3333", smtp.port)})
    send_setup(b)
    wait_until(lambda: b.driver.find_elements(By.CSS_SELECTOR, "p.error"), timeout=20,
               message="the wrong-code message")
    error = b.driver.find_element(By.CSS_SELECTOR, "p.error").text
    assert error.startswith("हा या बॉक्सचा सेट-अप कोड नाही."), error
    assert "not this box's set-up code" not in error
    assert b.driver.find_element(By.ID, "name").get_attribute("value") == STATION["name"]

    # The language links work in set-up mode: Hindi, English, and back to Marathi.
    switch_to(b, "हिन्दी", "hi")
    switch_to(b, "English", "en")
    assert "Finish set-up" in b.driver.find_element(By.TAG_NAME, "body").text
    switch_to(b, "मराठी", "mr")

    # Set-up completes from the Marathi page (the form's CSRF value survived the switches).
    fill(b.driver, setup_fields(code, smtp.port))
    send_setup(b)
    done = ftl("mr", "setup-done-heading").replace("{ $station }", STATION["name"])
    wait_until(lambda: heading(b) == done, timeout=30, message="the Marathi set-up done page")
    body = b.driver.find_element(By.TAG_NAME, "body").text
    assert "expired" not in body and "कालबाह्य" not in body
    assert ftl("mr", "setup-done-takes") in body
    assert st.get("/setup").status_code == 404


def test_set_up_page_in_marathi_has_no_serious_accessibility_problems(make_station, browsers):
    st = make_station(None)
    b = browsers(lang="mr")
    b.driver.get(st.url("/setup"))
    assert page_lang(b) == "mr" and heading(b) == ftl("mr", "setup-heading")
    assert browser.axe_violations(b.driver) == []


def test_the_set_up_language_link_sets_the_language_before_set_up(make_station):
    """Before set-up every page is sent to /setup; /lang/... must set the cookie first."""
    st = make_station(None)
    r = st.get("/lang/hi?next=/setup", allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/setup"
    assert "lang=hi" in r.headers.get("set-cookie", "")


def test_day_page_status_and_calls_strings_in_hindi(station, browsers):
    slot = station.free_slot(station.admin.id)
    station.book_ok(station.admin.id, slot["start"], "hindi@example.test")
    b = browsers(lang="hi")
    browser.login(b, station.base, station.admin.email, station.admin.password)

    b.driver.get(f"{station.base}/officer?date={slot['start'][:10]}")
    row = next(r for r in b.driver.find_elements(By.CSS_SELECTOR, "tr") if "hindi@example.test" in r.text)
    assert ftl("hi", "status-booked") in row.text, row.text
    assert "Booked" not in row.text

    # The Calls page's script speaks Hindi: its strings come with the page, and its first
    # line once connected is the Hindi one.
    b.driver.get(f"{station.base}/officer/calls")
    strings = json.loads(b.driver.find_element(By.ID, "console").get_attribute("data-strings"))
    assert strings["admit"] == ftl("hi", "console-js-admit")
    assert strings["unmute"] == ftl("hi", "console-js-unmute")
    assert strings["time_left"] == ftl("hi", "console-js-time-left")
    assert strings["category_complaint"] == ftl("hi", "category-complaint")
    wait_until(lambda: b.driver.find_element(By.ID, "status").text == ftl("hi", "console-js-connected"),
               timeout=20, message="the Hindi connected line")


def test_station_page_and_console_errors_in_marathi(station):
    console = station.login(station.admin)
    mr = {"Accept-Language": "mr"}
    page = console.get(station.url("/officer/station"), headers=mr, timeout=30)
    assert page.status_code == 200
    assert ftl("mr", "station-field-phone") in page.text
    assert "Station phone number" not in page.text

    # The rules shared with set-up answer in the page's language.
    bad = console.post(
        station.url("/officer/station"),
        data={"csrf": csrf_of(page.text), **STATION, "phone": "call us"},
        headers=mr,
        timeout=30,
    )
    assert bad.status_code == 400
    assert "ठाण्याचा फोन नंबर तपासा" in bad.text and "Check the station's phone number" not in bad.text

    # Not found and an expired form: a page in Marathi, not plain English text.
    missing = console.get(station.url("/officer/appointments/987654"), headers=mr, timeout=30)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert ftl("mr", "console-not-found") in missing.text
    expired = console.post(station.url("/officer/station"), data={"csrf": "nope", **STATION},
                           headers=mr, timeout=30)
    assert expired.status_code == 403 and ftl("mr", "console-form-expired") in expired.text
    # English by default.
    assert "Not found." in console.get(station.url("/officer/appointments/987654"), timeout=30).text


def test_the_test_email_report_is_in_the_pages_language(station):
    console = station.login(station.admin)
    hi = {"Accept-Language": "hi"}
    page = console.get(station.url("/officer/station"), headers=hi, timeout=30)
    r = console.post(
        station.url("/officer/station/test-mail"),
        data={"csrf": csrf_of(page.text), "to": "desk@example.test"},
        headers=hi,
        timeout=60,
    )
    assert r.status_code == 200
    assert "पहुँच" in r.text, r.text[-2000:]
    assert "Delivered" not in r.text and "Not delivered" not in r.text
    bad = console.post(
        station.url("/officer/station/test-mail"),
        data={"csrf": csrf_of(page.text), "to": "nobody"},
        headers=hi,
        timeout=30,
    )
    assert bad.status_code == 400 and "ईमेल पता नहीं है" in bad.text
