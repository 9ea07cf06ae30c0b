"""The officer console in a real browser: adding officers, hours with day and time controls
and their preview, passwords, the console's languages, and accessibility (axe-core)."""

from datetime import timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import browser
from conftest import csrf_of, wait_until


def text(b) -> str:
    return b.driver.find_element(By.TAG_NAME, "body").text


def field(b, element_id: str):
    return b.driver.find_element(By.ID, element_id)


def set_time(b, element_id: str, value: str):
    """Types into a time field the way its picker would: the value, then `input` and
    `change` (keyboard entry into time fields depends on the browser's locale)."""
    b.driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event('input', {bubbles: true}));"
        "e.dispatchEvent(new Event('change', {bubbles: true}));",
        element_id,
        value,
    )


def click_submit(b, form_css: str, label: str | None = None):
    """Clicks the submit button of the form (the one showing `label`, if given) and waits
    for the next page."""
    old = b.driver.find_element(By.TAG_NAME, "html")
    buttons = b.driver.find_elements(By.CSS_SELECTOR, f"{form_css} button[type=submit]")
    button = next(x for x in buttons if label is None or x.text.strip() == label)
    button.click()
    wait_until(lambda: stale(old), timeout=20, message="the next page")


def stale(element) -> bool:
    try:
        element.tag_name
        return False
    except Exception:
        return True


def test_an_admin_adds_an_officer_after_a_mistake(station, browsers):
    b = browsers()
    browser.login(b, station.base, station.admin.email, station.admin.password)
    b.driver.get(station.base + "/officer/officers")

    field(b, "n-name").send_keys("PSI Sunita Gaikwad")
    field(b, "n-rank").send_keys("PSI")
    field(b, "n-email").send_keys(station.admin.email)  # the mistake: already an officer's
    field(b, "n-password").send_keys("a-long-enough-password")
    assert field(b, "r0_from").get_attribute("value") == "11:00"
    b.driver.find_element(By.CSS_SELECTOR, "#add-officer input[name=r1_sun]").click()
    set_time(b, "r1_from", "16:00")
    set_time(b, "r1_to", "17:00")
    Select(field(b, "n-slot")).select_by_value("10")
    click_submit(b, "#add-officer")

    # The form comes back filled in, with the problem next to the email field.
    assert field(b, "n-name").get_attribute("value") == "PSI Sunita Gaikwad"
    assert field(b, "n-rank").get_attribute("value") == "PSI"
    email = field(b, "n-email")
    assert email.get_attribute("value") == station.admin.email
    assert email.get_attribute("aria-invalid") == "true"
    assert "already exists" in field(b, "n-email-error").text
    assert email.get_attribute("aria-describedby") == "n-email-error"
    assert b.driver.find_element(By.CSS_SELECTOR, "#add-officer input[name=r1_sun]").is_selected()
    assert field(b, "r1_from").get_attribute("value") == "16:00"
    assert Select(field(b, "n-slot")).first_selected_option.get_attribute("value") == "10"
    assert "PSI Sunita Gaikwad" not in [o["name"] for o in station.get("/api/v1/station").json()["officers"]]

    email.clear()
    email.send_keys("sunita@dgp.example")
    field(b, "n-password").send_keys("a-long-enough-password")
    click_submit(b, "#add-officer")

    assert "Officer added: PSI Sunita Gaikwad." in text(b)
    added = [o for o in station.get("/api/v1/station").json()["officers"] if o["name"] == "PSI Sunita Gaikwad"]
    assert len(added) == 1 and added[0]["rank"] == "PSI"
    # Its hours are the two ranges of the controls: weekdays 11-13, Sunday 16-17.
    sunday = station.today() + timedelta(days=(6 - station.today().weekday()) % 7 or 7)
    day = station.slots(added[0]["id"], sunday)
    assert day["slot_minutes"] == 10
    assert [s["start"][11:16] for s in day["slots"]] == ["16:00", "16:10", "16:20", "16:30", "16:40", "16:50"]
    # The blank form is back for the next officer.
    assert field(b, "n-name").get_attribute("value") == ""


def next_weekday(station, weekday: int):
    """The next date (after today) that falls on `weekday` (0 = Monday)."""
    today = station.today()
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def test_an_officer_sets_hours_with_the_controls_and_changes_password(station, browsers):
    officer = station.add_officer(name="PSI Anil More")
    other_session = station.login(officer)
    b = browsers()
    browser.login(b, station.base, officer.email, officer.password)
    b.driver.find_element(By.LINK_TEXT, "My hours").click()
    wait_until(lambda: b.driver.current_url.endswith("/officer/schedule"), message="My hours")

    # All week, all day, as the CLI set it; now Monday to Saturday, 10:00 to 11:00.
    sunday = b.driver.find_element(By.CSS_SELECTOR, "#hours-form input[name=r0_sun]")
    assert sunday.is_selected()
    sunday.click()
    set_time(b, "r0_from", "10:00")
    set_time(b, "r0_to", "11:00")
    Select(field(b, "slot_minutes")).select_by_value("15")
    click_submit(b, "#hours-form", "Preview")

    preview = field(b, "preview").text
    assert "4 slots, 10:00–11:00" in preview and "10:00 10:15 10:30 10:45" in preview, preview
    assert "day off" not in preview
    monday = next_weekday(station, 0)
    assert station.slots(officer.id, monday)["slot_minutes"] == 5, "a preview saves nothing"

    # With script, the preview follows the controls without a click.
    Select(field(b, "slot_minutes")).select_by_value("30")
    wait_until(lambda: "10:00 10:30" in field(b, "preview").text and "2 slots" in field(b, "preview").text,
               message="the live preview")
    Select(field(b, "slot_minutes")).select_by_value("15")
    click_submit(b, "#hours-form", "Save")

    assert "Saved. Citizens now see the new slots." in text(b)
    day = station.slots(officer.id, monday)
    assert day["slot_minutes"] == 15
    assert [s["start"][11:16] for s in day["slots"]] == ["10:00", "10:15", "10:30", "10:45"]
    assert station.slots(officer.id, next_weekday(station, 6))["slots"] == []
    assert field(b, "r0_from").get_attribute("value") == "10:00"

    # The password: a wrong current one is named; then the change ends the other session.
    b.driver.find_element(By.LINK_TEXT, "Change my password").click()
    wait_until(lambda: b.driver.current_url.endswith("/officer/password"), message="the password page")
    new = "a-brand-new-password"
    field(b, "current_password").send_keys("not-my-password")
    field(b, "new_password").send_keys(new)
    field(b, "new_password_again").send_keys(new)
    click_submit(b, "form[action='/officer/password']")
    assert "This is not your current password." in field(b, "current_password-error").text
    assert other_session.get(station.url("/officer"), allow_redirects=False).status_code == 200

    field(b, "current_password").send_keys(officer.password)
    field(b, "new_password").send_keys(new)
    field(b, "new_password_again").send_keys(new)
    click_submit(b, "form[action='/officer/password']")
    assert "Password changed." in text(b)
    # This browser stays logged in; the other session is over.
    b.driver.get(station.base + "/officer")
    assert b.driver.current_url.endswith("/officer")
    assert other_session.get(station.url("/officer"), allow_redirects=False).status_code == 303

    click_submit(b, "form[action='/officer/logout']")
    assert b.driver.current_url.endswith("/officer/login")
    field(b, "email").send_keys(officer.email)
    field(b, "password").send_keys(officer.password)
    click_submit(b, "form[action='/officer/login']")
    assert b.driver.current_url.endswith("/officer/login"), "the old password no longer works"
    assert "Wrong email or password." in text(b)
    browser.login(b, station.base, officer.email, new)
    assert b.driver.current_url.endswith("/officer")


def test_an_admin_resets_another_officers_password(station, browsers):
    officer = station.add_officer(name="PSI Kavita Shinde")
    console = station.login(officer)
    b = browsers()
    browser.login(b, station.base, station.admin.email, station.admin.password)
    b.driver.get(station.base + "/officer/officers")
    b.driver.find_element(By.CSS_SELECTOR, f"a[href='/officer/officers/{officer.id}']").click()
    wait_until(lambda: b.driver.current_url.endswith(f"/officer/officers/{officer.id}"), message="the officer's page")
    assert "PSI Kavita Shinde" in b.driver.find_element(By.TAG_NAME, "h1").text

    form = f"form[action='/officer/officers/{officer.id}/password']"
    field(b, "new_password").send_keys("kavita-new-password")
    field(b, "new_password_again").send_keys("kavita-typo-password")
    click_submit(b, form)
    assert "not the same" in field(b, "new_password_again-error").text
    assert console.get(station.url("/officer"), allow_redirects=False).status_code == 200

    field(b, "new_password").send_keys("kavita-new-password")
    field(b, "new_password_again").send_keys("kavita-new-password")
    click_submit(b, form)

    assert "New password set for PSI Kavita Shinde." in text(b)
    assert console.get(station.url("/officer"), allow_redirects=False).status_code == 303
    old = station.session()
    page = old.get(station.url("/officer/login"))
    r = old.post(station.url("/officer/login"),
                 data={"csrf": csrf_of(page.text), "email": officer.email, "password": officer.password},
                 allow_redirects=False)
    assert r.status_code == 401
    officer.password = "kavita-new-password"
    station.login(officer)  # asserts it lands on /officer


def test_the_console_in_marathi(station, browsers):
    b = browsers()
    b.driver.get(station.base + "/officer/login")
    assert "Officer log in" in text(b), "English unless asked otherwise"
    b.driver.find_element(By.LINK_TEXT, "मराठी").click()
    wait_until(lambda: "लॉग इन करा" in text(b), message="the Marathi login page")
    assert b.driver.current_url.endswith("/officer/login")
    assert b.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "mr"
    assert "अधिकारी लॉग इन" in b.driver.find_element(By.TAG_NAME, "h1").text

    field(b, "email").send_keys(station.admin.email)
    field(b, "password").send_keys(station.admin.password)
    click_submit(b, "form[action='/officer/login']")

    assert b.driver.current_url.endswith("/officer")
    body = text(b)
    assert "या दिवशी कोणत्याही भेटी नाहीत." in body, body
    assert "माझ्या वेळा" in body and "लॉग आउट" in body and "मागील दिवस" in body
    assert "Log out" not in body and "No appointments" not in body
    assert b.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "mr"

    # A booked day: the table's headings and the reason in Marathi, the date too.
    slot = station.free_slot(station.admin.id)
    station.book_ok(station.admin.id, slot["start"], "marathi@example.test")
    b.driver.get(f"{station.base}/officer?date={slot['start'][:10]}")
    body = text(b)
    assert "marathi@example.test" in body
    assert "नागरिक" in body and "कारण" in body and "तक्रार" in body, body
    assert "Citizen" not in body and "Complaint" not in body


def test_the_console_follows_the_browsers_language(station, browsers):
    b = browsers(lang="hi")
    b.driver.get(station.base + "/officer/login")
    assert "लॉग इन करें" in text(b)
    assert b.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "hi"


def test_the_consoles_main_pages_have_no_serious_accessibility_problems(station, browsers):
    slot = station.free_slot(station.admin.id)
    station.book_ok(station.admin.id, slot["start"], "axe@example.test")
    b = browsers()
    b.driver.get(station.base + "/officer/login")
    found = {"login": browser.axe_violations(b.driver)}
    browser.login(b, station.base, station.admin.email, station.admin.password)
    pages = {
        "day": f"/officer?date={slot['start'][:10]}",
        "schedule": "/officer/schedule",
        "officers": "/officer/officers",
        "officer": f"/officer/officers/{station.admin.id}",
        "password": "/officer/password",
    }
    for name, path in pages.items():
        b.driver.get(station.base + path)
        if name == "day":
            assert "axe@example.test" in text(b), "the day page has a row to check"
        found[name] = browser.axe_violations(b.driver)
    assert {k: v for k, v in found.items() if v} == {}
