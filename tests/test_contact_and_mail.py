"""The station's contact and the emergency number reach every citizen page and email; mail
that cannot reach citizens is never silent in the console. Driven in headless Chromium: set-up
of a new box, the banner, the test email, the first-run checklist and a booking on a phone."""

import html
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

import browser
from conftest import ALL_DAY, citizen_email, mail_link, mail_text, pdf_bytes, unique, wait_until
from test_setup import setup_code

PHONE = "020 2567 1234"
ADDRESS = "Karve Road, Deccan Gymkhana, Pune 411004"
EMERGENCY = {
    "en": "In an emergency call 112.",
    "mr": "आपत्कालीन परिस्थितीत 112 वर कॉल करा.",
}
DANGER = {
    "en": "If you are in danger now, do not wait for this appointment: call 112 at once.",
    "mr": "तुम्हाला आत्ता धोका असेल तर या भेटीची वाट पाहू नका: लगेच 112 वर कॉल करा.",
}


def fill(driver, element_id: str, text: str):
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def submit(driver, action: str):
    driver.find_element(By.CSS_SELECTOR, f"form[action='{action}'] button[type='submit']").click()


def page_text(driver) -> str:
    try:
        return driver.find_element(By.TAG_NAME, "body").text
    except (StaleElementReferenceException, NoSuchElementException):
        return ""  # between two pages


def wait_for_text(driver, text: str, timeout: float = 30):
    return wait_until(lambda: text in page_text(driver), timeout=timeout, message=repr(text))


def no_serious_axe_violations(driver):
    found = browser.axe_violations(driver)
    assert found == [], found


def banner(driver):
    found = driver.find_elements(By.ID, "mail-banner")
    return found[0].text if found else None


def checklist_state(driver) -> dict[str, str]:
    """Item key -> "done" or "todo", as the Day page shows them (empty: no checklist)."""
    items = driver.find_elements(By.CSS_SELECTOR, "#checklist li")
    return {i.get_attribute("id").removeprefix("checklist-"): i.get_attribute("class") for i in items}


def test_set_up_in_chrome_asks_for_contact_and_whether_the_admin_takes_appointments(make_station, browsers):
    st = make_station(None)
    b = browsers()
    d = b.driver
    d.get(st.url("/setup"))
    no_serious_axe_violations(d)

    def fill_form(phone: str):
        fill(d, "setup_code", setup_code(st))
        fill(d, "name", "Kothrud Police Station")
        fill(d, "code", "KTD")
        fill(d, "zone", "Zone 3")
        fill(d, "phone", phone)
        fill(d, "address", "Paud Road, Kothrud, Pune 411038")
        fill(d, "admin_name", "Vijay Patil")
        fill(d, "admin_rank", "Senior Police Inspector")
        fill(d, "admin_email", "spi.kothrud@police.example")
        fill(d, "password", "a long password 1")
        fill(d, "password2", "a long password 1")
        d.find_element(By.CSS_SELECTOR, "input[name='takes_appointments'][value='no']").click()
        submit(d, "/setup")

    # A phone number that is not one comes back explained, with what was typed.
    fill_form("call the station")
    wait_for_text(d, "Check the station's phone number")
    assert d.find_element(By.ID, "address").get_attribute("value") == "Paud Road, Kothrud, Pune 411038"
    assert d.find_element(By.CSS_SELECTOR, "input[name='takes_appointments'][value='no']").is_selected()
    assert st.get("/", allow_redirects=False).status_code == 303

    fill_form("020 2538 1234")
    wait_for_text(d, "Kothrud Police Station is set up")
    assert "Citizens do not see you" in page_text(d)

    # The admin said no: citizens are not offered them; the station's contact is shown.
    assert st.get("/api/v1/station").json()["officers"] == []
    d.get(st.url("/"))
    footer = d.find_element(By.CSS_SELECTOR, "footer").text
    assert EMERGENCY["en"] in footer
    assert "020 2538 1234" in footer and "Paud Road, Kothrud, Pune 411038" in footer
    assert "Vijay Patil" not in page_text(d)

    # The Day page greets the admin with what is left to do, ticked from the real state, and
    # the console says that mail reaches nobody yet.
    browser.login(b, st.base, "spi.kothrud@police.example", "a long password 1")
    d.get(st.url("/officer"))
    assert checklist_state(d) == {"officers": "todo", "hours": "todo", "relay": "todo", "hub": "todo"}
    assert "No mail relay is set" in banner(d)
    no_serious_axe_violations(d)

    # Once an officer with hours exists, two items are ticked; "Hide this list" ends it.
    st.add_officer(name="PSI Anita Shinde", hours=ALL_DAY)
    d.get(st.url("/officer"))
    assert checklist_state(d) == {"officers": "done", "hours": "done", "relay": "todo", "hub": "todo"}
    shown = d.find_element(By.ID, "checklist")
    submit(d, "/officer/checklist/dismiss")
    WebDriverWait(d, 20).until(staleness_of(shown))
    wait_for_text(d, "Previous day")
    assert checklist_state(d) == {}
    d.get(st.url("/officer"))
    assert checklist_state(d) == {}


def test_undelivered_mail_shows_on_every_console_page_until_the_relay_delivers(make_station, smtp, browsers):
    st = make_station(None, start=False)
    admin = st.add_officer(name="PI Admin", admin=True)
    plain = st.add_officer(name="PSI Plain")
    st.start()
    b = browsers()
    d = b.driver
    browser.login(b, st.base, admin.email, admin.password)

    # No relay and the default sender at .local: every page says so.
    for path in ("/officer", "/officer/calls", "/officer/schedule", "/officer/officers", "/officer/station"):
        d.get(st.url(path))
        text = banner(d)
        assert text is not None, path
        assert "No mail relay is set" in text and "noreply@vappoint.local" in text, (path, text)
    # An officer who is not an admin is told whom to ask.
    plain_page = html.unescape(st.login(plain).get(st.url("/officer"), timeout=30).text)
    assert 'id="mail-banner"' in plain_page and "Ask your station's admin" in plain_page

    # The test email is honest: with no relay it was only spooled.
    d.get(st.url("/officer/station"))
    no_serious_axe_violations(d)
    fill(d, "test-to", "first-test@dgp.example")
    submit(d, "/officer/station/test-mail")
    wait_for_text(d, "Not delivered: no mail relay is set")
    assert any("first-test@dgp.example" in p.read_text(errors="replace") for p in (st.data / "spool").glob("*.eml"))

    # The admin sets the relay and a real sender in the browser: the banner is gone.
    fill(d, "mail_from", "Deccan Police <noreply@dgp.example>")
    fill(d, "relay_host", "127.0.0.1")
    fill(d, "relay_port", str(smtp.port))
    Select(d.find_element(By.ID, "relay_security")).select_by_value("none")
    submit(d, "/officer/station/delivery")
    wait_for_text(d, "Saved.")
    assert banner(d) is None
    d.get(st.url("/officer/calls"))
    assert banner(d) is None

    # A test email now arrives at the relay, and the page says it was delivered; the spooled
    # one follows.
    d.get(st.url("/officer/station"))
    fill(d, "test-to", "second-test@dgp.example")
    submit(d, "/officer/station/test-mail")
    wait_for_text(d, "Delivered: the relay")
    mail = smtp.wait_for("second-test@dgp.example")[0]
    assert "noreply@dgp.example" in mail.msg["From"]
    assert "test email" in mail.text and EMERGENCY["en"] in mail.text
    smtp.wait_for("first-test@dgp.example")

    # While the relay is down a message keeps failing, and every page says so until it is sent.
    smtp.stop()
    d.get(st.url("/officer/station"))
    fill(d, "test-to", "third-test@dgp.example")
    submit(d, "/officer/station/test-mail")
    wait_for_text(d, "Not delivered yet")
    d.get(st.url("/officer"))
    assert "One email was not delivered" in banner(d)
    smtp.start()
    smtp.wait_for("third-test@dgp.example")

    def banner_gone():
        d.get(st.url("/officer"))
        return banner(d) is None

    wait_until(banner_gone, timeout=30, interval=0.5, message="the banner to go")


def test_112_and_the_station_contact_on_citizen_pages_and_in_email(station, smtp, browsers):
    # The admin gives the station's phone and address on the Station page (a mistake first).
    admin_browser = browsers()
    a = admin_browser.driver
    browser.login(admin_browser, station.base, station.admin.email, station.admin.password)
    a.get(station.url("/officer/station"))
    fill(a, "phone", "ask at the desk")
    fill(a, "address", ADDRESS)
    submit(a, "/officer/station")
    wait_for_text(a, "Check the station's phone number")
    fill(a, "phone", PHONE)
    fill(a, "address", ADDRESS)
    submit(a, "/officer/station")
    wait_for_text(a, "Saved.")
    assert a.find_element(By.ID, "phone").get_attribute("value") == PHONE

    # A citizen on a Marathi phone sees the emergency number and the station on every page.
    b = browsers(phone=True, lang="mr")
    d = b.driver
    d.get(station.url("/"))
    footer = d.find_element(By.CSS_SELECTOR, "footer").text
    assert EMERGENCY["mr"] in footer and PHONE in footer and ADDRESS in footer
    assert d.find_element(By.CSS_SELECTOR, "footer a[href^='tel:']").get_attribute("href") == "tel:02025671234"

    # They book about domestic violence: the confirmation opens with 112, prominently.
    slot = station.free_slot(station.admin.id, after=timedelta(minutes=10))
    d.get(station.url("/book?" + urlencode({"officer": station.admin.id, "start": slot["start"]})))
    wait_until(lambda: d.find_elements(By.ID, "reason_category"), message="the booking form")
    assert EMERGENCY["mr"] in d.find_element(By.CSS_SELECTOR, "footer").text
    who = citizen_email()
    fill(d, "name", "Sunita Jadhav")
    fill(d, "email", who)
    fill(d, "mobile", "9876543210")
    Select(d.find_element(By.ID, "reason_category")).select_by_value("domestic_violence")
    fill(d, "reason", "My husband threatens me.")
    document = Path(b.profile) / "complaint.pdf"
    document.write_bytes(pdf_bytes("dv"))
    d.find_element(By.ID, "documents").send_keys(str(document))
    submit(d, "/book")
    box = wait_until(lambda: d.find_elements(By.CSS_SELECTOR, ".sos-box"), message="the emergency box")[0]
    assert DANGER["mr"] in box.text and PHONE in box.text
    assert box.get_attribute("role") == "alert"
    assert box.location["y"] < d.find_element(By.CSS_SELECTOR, ".sent").location["y"], "the box comes first"
    no_serious_axe_violations(d)

    # Its email opens with the same words, and ends with 112, the phone and the address.
    text = mail_text(smtp.booking_mail(who).msg)
    assert text.index(DANGER["mr"]) < text.index(station.get("/api/v1/station").json()["name"])
    assert EMERGENCY["mr"] in text and PHONE in text and ADDRESS in text

    # Another reason: 112 and the contact are there, the danger line is not.
    other = citizen_email()
    slot = station.free_slot(station.admin.id)
    station.book_ok(station.admin.id, slot["start"], other, category="lost_article")
    mail = smtp.booking_mail(other)
    assert EMERGENCY["en"] in mail.text and PHONE in mail.text and ADDRESS in mail.text
    assert DANGER["en"] not in mail.text

    # The pages behind the email's link say it too.
    link = mail_link(mail.msg)
    for path in (f"/a/{link}", f"/a/{link}/join"):
        d.get(station.url(path) + "?lang=mr")
        footer = d.find_element(By.CSS_SELECTOR, "footer").text
        assert EMERGENCY["mr"] in footer and PHONE in footer, path

    # The confirmation for another reason says 112 in its footer, without the danger box.
    slot = station.free_slot(station.admin.id, after=timedelta(hours=1))
    fields = {
        "officer_id": str(station.admin.id), "start": slot["start"], "name": "Ravi Kulkarni",
        "email": citizen_email(), "mobile": "9876543210", "reason_category": "lost_article",
        "reason": "I lost my wallet.", "idempotency_key": unique("idem"),
    }
    page = station.post("/book", files=[(k, (None, v)) for k, v in fields.items()])
    assert page.status_code == 200, page.text[:500]
    assert EMERGENCY["en"] in page.text and PHONE in page.text
    assert "sos-box" not in page.text and DANGER["en"] not in page.text
