"""Citizens' and admins' everyday journeys in a real browser: headless Chromium from a fresh
profile (so it asks for /favicon.ico, keeps cookies per profile and sends an empty file part
when no document is chosen), with real clicks and real file inputs. Citizens use a phone
profile (360×740). These are the journeys that `requests` could not see break."""

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, quote, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from browser import axe_violations
from conftest import (
    REPO,
    citizen_email,
    mail_link,
    mail_reference,
    mail_text,
    mail_token,
    new_session,
    pdf_bytes,
    run_cli,
    station_config,
    wait_until,
)
from test_setup import setup_code, setup_fields

LOCALES = REPO / "web" / "locales"


def ftl(lang: str, key: str) -> str:
    """A simple (one-line) message from the station's translations."""
    for line in (LOCALES / lang / "main.ftl").read_text().splitlines():
        if line.startswith(f"{key} = "):
            return line.split(" = ", 1)[1]
    raise KeyError(f"{lang}: {key}")


# What each language's confirmation page says (its heading), to know the booking landed.
BOOKED = {lang: ftl(lang, "booked-heading") for lang in ["en", "mr", "hi"]}


def fill(driver, values: dict):
    for field_id, value in values.items():
        el = driver.find_element(By.ID, field_id)
        if el.tag_name == "select":
            Select(el).select_by_value(value)
        else:
            el.clear()
            el.send_keys(value)


def value_of(driver, field_id: str) -> str:
    return driver.find_element(By.ID, field_id).get_attribute("value")


def open_first_free_time(b, st):
    """From the station's home page, the first free time of the first officer that is still a
    couple of minutes away (one starting now may be past by the time the form opens): a click."""
    b.driver.get(st.url("/"))
    soon = datetime.now(timezone.utc) + timedelta(minutes=2)
    for a in b.driver.find_elements(By.CSS_SELECTOR, "ul.slots a"):
        start = parse_qs(urlparse(a.get_attribute("href")).query)["start"][0]
        if datetime.fromisoformat(start) >= soon:
            a.click()
            break
    else:
        pytest.fail("no free time on the home page a few minutes ahead")
    wait_until(lambda: b.driver.find_elements(By.CSS_SELECTOR, "form[action='/book']"), timeout=15, message="the booking form")


def citizen_details(who: str) -> dict:
    return {
        "name": "Asha Kulkarni",
        "email": who,
        "mobile": "+91 98220 12345",
        "reason_category": "complaint",
        "reason": "My bicycle was stolen near the bus stop.",
    }


def submit_booking(b):
    b.driver.find_element(By.CSS_SELECTOR, "form[action='/book'] button[type=submit]").click()


def booked_heading(b) -> str:
    """The page's heading, or "" while the next page is still loading."""
    from selenium.common.exceptions import WebDriverException

    try:
        found = b.driver.find_elements(By.TAG_NAME, "h1")
        return found[0].text if found else ""
    except WebDriverException:
        return ""


def wait_until_booked(b, lang: str, timeout: float, message: str = "the confirmation page"):
    """Waits for the confirmation page; on a timeout, says what the browser showed instead."""

    def shown() -> str:
        d = b.driver
        errors = [e.text for e in d.find_elements(By.CSS_SELECTOR, ".error, [role=alert]") if e.text]
        body = d.find_element(By.TAG_NAME, "body").text[:600] if d.find_elements(By.TAG_NAME, "body") else ""
        return (f"{message}; the browser is at {d.current_url}, heading {booked_heading(b)!r}, "
                f"errors {errors!r}, page text {body!r}")

    wait_until(lambda: booked_heading(b) == BOOKED[lang], timeout=timeout, message=shown)


# --------------------------------------------------------------------------------------------
# Set-up


def test_set_up_in_chrome_completes_after_other_tabs_and_the_favicon(make_station, smtp, browsers):
    """Blocker: every submit said "This form had expired" because the browser's own
    /favicon.ico request was sent to /setup, which minted a new CSRF cookie. Here the form is
    also opened in a second tab, reloaded, and the favicon asked for, before the first tab's
    form is sent: nothing a GET does may invalidate a form already open."""
    st = make_station(None)
    code = setup_code(st)
    b = browsers()
    b.driver.get(st.url("/setup"))
    first = b.driver.current_window_handle
    # A second tab opens the same page, and the browser fetches its icon and robots.txt.
    b.driver.switch_to.new_window("tab")
    b.driver.get(st.url("/setup"))
    b.driver.get(st.url("/favicon.ico"))
    b.driver.get(st.url("/robots.txt"))
    b.driver.close()
    b.driver.switch_to.window(first)

    fill(b.driver, setup_fields(code, smtp.port))
    Select(b.driver.find_element(By.ID, "relay_security")).select_by_value("none")
    b.driver.find_element(By.CSS_SELECTOR, "input[name=takes_appointments][value=yes]").click()
    b.driver.find_element(By.CSS_SELECTOR, "#setup-form button[type=submit]").click()
    wait_until(lambda: "is set up" in b.driver.page_source, timeout=30,
               message="the set-up done page (not an expired form)")
    assert "expired" not in b.driver.page_source
    # The recovery key is shown once, for the admin to keep away from the box.
    shown = b.driver.find_element(By.ID, "recovery-key").text
    kept = run_cli("station", "recovery-key", "--data", str(st.data)).stdout.strip()
    assert shown == kept and kept.startswith("AGE-SECRET-KEY-1")

    # The booking site is open in the same browser; the icon is an icon, not a page.
    b.driver.get(st.url("/"))
    assert "Kothrud Police Station" in b.driver.title or "Kothrud Police Station" in b.driver.page_source
    icon = new_session().get(st.url("/favicon.ico"), timeout=10, allow_redirects=False)
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/")


def test_in_set_up_mode_non_pages_get_a_plain_answer_not_the_form(make_station):
    st = make_station(None)
    s = new_session()
    icon = s.get(st.url("/favicon.ico"), allow_redirects=False, timeout=10)
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/")
    for path in ["/robots.txt", "/api/v1/station"]:
        r = s.get(st.url(path), allow_redirects=False, timeout=10, headers={"Accept": "*/*"})
        assert r.status_code == 503, (path, r.status_code)
        assert "set-cookie" not in r.headers
    page = s.get(st.url("/officer"), allow_redirects=False, timeout=10)
    assert page.status_code == 303 and page.headers["location"] == "/setup"


# --------------------------------------------------------------------------------------------
# Booking on a phone


@pytest.mark.parametrize("lang", ["en", "mr", "hi"])
def test_a_citizen_on_a_phone_books_with_no_document(station, smtp, browsers, lang):
    """Blocker: a browser sends an empty file part when no file is chosen; it is no document."""
    b = browsers(phone=True, lang=lang)
    open_first_free_time(b, station)
    assert b.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    who = citizen_email()
    fill(b.driver, citizen_details(who))
    submit_booking(b)
    wait_until_booked(b, lang, timeout=20, message=f"the {lang} confirmation page")
    assert who in b.driver.find_element(By.CSS_SELECTOR, "p.sent").text
    mail = smtp.booking_mail(who)
    assert mail_token(mail.msg) and mail_reference(mail.msg) in mail_text(mail.msg)


@pytest.mark.parametrize("lang", ["en", "mr", "hi"])
def test_a_citizen_books_with_a_document_and_the_officer_sees_it(station, smtp, browsers, tmp_path, lang):
    doc = tmp_path / "fir-copy.pdf"
    doc.write_bytes(pdf_bytes("fir"))
    b = browsers(phone=True, lang=lang)
    open_first_free_time(b, station)
    who = citizen_email()
    fill(b.driver, citizen_details(who))
    b.driver.find_element(By.ID, "documents").send_keys(str(doc))
    submit_booking(b)
    wait_until_booked(b, lang, timeout=30, message="the confirmation page")
    reference = mail_reference(smtp.booking_mail(who).msg)
    console = station.login(station.admin)
    day = next(a for a in [station.today(), station.today() + timedelta(days=1)]
               if reference in console.get(station.url(f"/officer?date={a}")).text)
    detail_id = station.appointment_id(console, reference, str(day))
    detail = console.get(station.url(f"/officer/appointments/{detail_id}")).text
    assert "fir-copy.pdf" in detail


def big_file(tmp_path, name="scan.pdf") -> str:
    """A PDF just over the 10 MB limit."""
    path = tmp_path / name
    with open(path, "wb") as f:
        f.write(pdf_bytes("big"))
        f.write(b"0" * (10 * 1024 * 1024))
    return str(path)


@pytest.mark.parametrize("lang", ["en", "mr", "hi"])
def test_a_too_large_file_is_refused_before_sending_and_nothing_typed_is_lost(station, browsers, tmp_path, lang):
    b = browsers(phone=True, lang=lang)
    open_first_free_time(b, station)
    details = citizen_details(citizen_email())
    fill(b.driver, details)
    b.driver.find_element(By.ID, "documents").send_keys(big_file(tmp_path))
    submit_booking(b)
    # The page checks before sending: the message names the file, in the page's language,
    # and nothing typed is lost.
    msg = wait_until(lambda: b.driver.find_element(By.ID, "documents-error").text, timeout=10,
                     message="the file's problem shown")
    assert msg == ftl(lang, "upload-too_large").replace("{ $file }", "scan.pdf")
    assert b.driver.find_elements(By.ID, "book-form")
    for field_id, value in details.items():
        assert value_of(b.driver, field_id) == value


def test_without_javascript_the_station_gives_the_form_back_filled_in(station, browsers, tmp_path):
    """The same refusal from the station itself: the body is read to the end, the form comes
    back with every field as typed, the refused file named, and no document kept."""
    b = browsers(phone=True, lang="hi")
    open_first_free_time(b, station)
    # A phone whose browser runs no script: the form posts natively. (Cloning the form drops
    # the page script's listeners; turning JavaScript off would also stop the test driver.)
    b.driver.execute_script("const f = document.getElementById('book-form'); f.replaceWith(f.cloneNode(true));")
    details = citizen_details(citizen_email())
    fill(b.driver, details)
    b.driver.find_element(By.ID, "documents").send_keys(big_file(tmp_path, "bada-scan.pdf"))
    submit_booking(b)
    wait_until(lambda: b.driver.find_elements(By.CSS_SELECTOR, "p.error"), timeout=60,
               message="the form back with a message")
    error = b.driver.find_element(By.CSS_SELECTOR, "p.error").text
    assert "bada-scan.pdf" in error and "10 MB" in error, error
    assert ftl("hi", "upload-choose-again") in error
    for field_id, value in details.items():
        assert value_of(b.driver, field_id) == value
    assert not list((station.data / "documents").iterdir())


def test_a_slot_taken_meanwhile_offers_the_nearest_free_times(station, smtp, browsers):
    slow = browsers(phone=True)
    open_first_free_time(slow, station)
    taken = slow.driver.find_element(By.CSS_SELECTOR, "input[name=start]").get_attribute("value")
    # Someone else books that very time while this citizen is still typing.
    station.book_ok(station.admin.id, taken, citizen_email())
    who = citizen_email()
    details = citizen_details(who)
    fill(slow.driver, details)
    submit_booking(slow)
    wait_until(lambda: slow.driver.find_elements(By.CSS_SELECTOR, "fieldset.times input[type=radio]"),
               timeout=20, message="other times offered")
    assert ftl("en", "err-slot_taken") in slow.driver.find_element(By.CSS_SELECTOR, "p.error").text
    for field_id, value in details.items():
        assert value_of(slow.driver, field_id) == value
    choices = slow.driver.find_elements(By.CSS_SELECTOR, "fieldset.times input[type=radio]")
    assert taken not in [c.get_attribute("value") for c in choices]
    choices[0].click()
    chosen = choices[0].get_attribute("value")
    submit_booking(slow)
    wait_until_booked(slow, "en", timeout=20, message="booked at another time")
    mine = station.get(f"/api/v1/officers/{station.admin.id}/slots?date={chosen[:10]}").json()
    assert not next(s for s in mine["slots"] if s["start"] == chosen)["free"]


def test_switching_language_after_a_form_post_lands_on_a_real_page(station, smtp, browsers):
    b = browsers(phone=True)
    open_first_free_time(b, station)
    fill(b.driver, citizen_details(citizen_email()))
    submit_booking(b)
    wait_until_booked(b, "en", timeout=20, message="the confirmation page")
    b.driver.find_element(By.CSS_SELECTOR, "nav.langs a[hreflang=mr]").click()
    wait_until(lambda: b.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "mr",
               timeout=10, message="the Marathi page")
    assert "404" not in b.driver.title
    assert b.driver.find_elements(By.CSS_SELECTOR, "ul.slots a"), "the station's home page, in Marathi"


def test_past_slots_show_as_past_not_taken(station, browsers):
    b = browsers(phone=True)
    today = station.today()
    b.driver.get(station.url(f"/officers/{station.admin.id}?date={today}"))
    past = b.driver.find_elements(By.CSS_SELECTOR, "ul.slots li.past")
    now = datetime.now(station.time_zone)
    if now.hour or now.minute >= 10:  # the day's first slots have begun
        assert past, "slots that have begun are marked past"
        assert all("past" in li.text for li in past)
    taken = [li for li in b.driver.find_elements(By.CSS_SELECTOR, "ul.slots li.taken") if "past" not in li.get_attribute("class")]
    assert not taken, "nothing is booked, so nothing is 'taken'"


def test_the_reschedule_page_opens_on_the_appointments_day(station, smtp, browsers):
    day = station.today() + timedelta(days=3)
    slot = next(s for s in station.slots(station.admin.id, day)["slots"] if s["free"])
    who = citizen_email()
    station.book_ok(station.admin.id, slot["start"], who)
    link = mail_link(smtp.booking_mail(who).msg)
    b = browsers(phone=True)
    b.driver.get(station.url(f"/a/{link}/reschedule"))
    current = b.driver.find_element(By.CSS_SELECTOR, "nav.days strong").text
    assert str(day.day) in current
    when = b.driver.find_element(By.CSS_SELECTOR, "p.when").text
    assert slot["start"][11:16] in when


# --------------------------------------------------------------------------------------------
# Accessibility (axe-core) of the citizen pages


def test_citizen_pages_have_no_serious_accessibility_violations(station, smtp, browsers):
    who = citizen_email()
    start = station.free_slot(station.admin.id)["start"]
    station.book_ok(station.admin.id, start, who)
    link = mail_link(smtp.booking_mail(who).msg)
    other = station.free_slots(station.admin.id, after=timedelta(minutes=10))[0]["start"]
    pages = [
        "/",
        f"/officers/{station.admin.id}",
        f"/book?officer={station.admin.id}&start={quote(other)}",
        f"/a/{link}",
        f"/a/{link}/join",
        f"/a/{link}/reschedule",
        "/a/aaaaaaaaaaaaaaaaaaaaaaaaaa",  # the error page
    ]
    found = {}
    for lang in ["en", "mr"]:
        b = browsers(phone=True, lang=lang)
        for path in pages:
            b.driver.get(station.url(path))
            v = axe_violations(b.driver)
            if v:
                found[f"{lang} {path}"] = v
        # The confirmation page, reached by booking.
        open_first_free_time(b, station)
        fill(b.driver, citizen_details(citizen_email()))
        submit_booking(b)
        wait_until(lambda: b.driver.find_elements(By.CSS_SELECTOR, "p.sent"), timeout=20, message="confirmation")
        v = axe_violations(b.driver)
        if v:
            found[f"{lang} confirmation"] = v
    assert not found, found
