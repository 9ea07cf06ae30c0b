"""A real video call through the box: a booked citizen joins with the token and waits, the
officer logs in and admits them, both browsers decode the other's video, and the countdown
ends the call on both sides."""

import re

import pytest
from selenium.webdriver.common.by import By

from browser import data_state
from conftest import citizen_email, mail_link, mail_token, station_config, wait_until

CALLS = {"bind_ips": ["127.0.0.1"], "udp_ports": "41000-41099", "grace": "3s"}


def test_citizen_and_officer_see_each_other_and_the_timer_ends_the_call(smtp, make_station, browsers):
    st = make_station(station_config(smtp, calls=CALLS), start=False)
    officer = st.add_officer(name="PI Meera Deshpande", admin=True)
    st.start()
    who = citizen_email()
    booked = st.book_ok(officer.id, st.free_slot(officer.id)["start"], who)
    mail = smtp.booking_mail(who)
    token, link = mail_token(mail.msg), mail_link(mail.msg)

    citizen = browsers()
    citizen.driver.get(st.url(f"/a/{link}/join"))
    citizen.driver.find_element(By.ID, "token").send_keys(token)
    citizen.driver.find_element(By.CSS_SELECTOR, "form[action$='/join'] button").click()
    wait_until(lambda: citizen.driver.current_url.endswith(f"/a/{link}/call"), timeout=15, message="the call page")
    wait_until(lambda: data_state(citizen, "call") == "waiting", timeout=20, message="the citizen in the waiting room")
    assert "1" in citizen.driver.find_element(By.ID, "queue").text

    desk = browsers()
    desk.driver.get(st.url("/officer/login"))
    desk.driver.find_element(By.ID, "email").send_keys(officer.email)
    desk.driver.find_element(By.ID, "password").send_keys(officer.password)
    desk.driver.find_element(By.CSS_SELECTOR, "form[action='/officer/login'] button").click()
    # The login must land (its cookie set) before the calls page is opened.
    wait_until(lambda: desk.driver.current_url.endswith("/officer"), timeout=20, message="the officer logged in")
    desk.driver.get(st.url("/officer/calls"))
    row = f"tr[data-appointment][data-status='waiting']"
    wait_until(lambda: desk.driver.find_elements(By.CSS_SELECTOR, row + " button.admit"), timeout=20, message="the citizen on the officer's list")
    assert booked["reference"] in desk.driver.find_element(By.CSS_SELECTOR, row).text
    desk.driver.find_element(By.CSS_SELECTOR, row + " button.admit").click()

    def decoding(b):
        s = b.stats()
        return s if s and s["framesDecoded"] > 0 and s["audioPackets"] > 0 else None

    wait_until(lambda: decoding(citizen), timeout=40, interval=0.5, message="the citizen decoding the officer's video")
    wait_until(lambda: decoding(desk), timeout=40, interval=0.5, message="the officer decoding the citizen's video")
    assert data_state(citizen, "call") == "call"
    seconds = wait_until(lambda: desk.driver.find_element(By.ID, "timer").get_attribute("data-seconds"), timeout=15, message="the countdown")
    assert 0 < int(seconds) <= 5 * 60

    # The officer takes the time away; at zero the call closes after the grace on both sides.
    for _ in range(5):
        desk.driver.find_element(By.CSS_SELECTOR, "button[data-adjust='-1']").click()
    wait_until(lambda: data_state(citizen, "call") == "ended", timeout=30, message="the call ending for the citizen")
    wait_until(lambda: data_state(desk, "console") == "list", timeout=10, message="the call ending for the officer")

    # The call is on the appointment's record: times, who ended it.
    console = st.login(officer)
    day = booked["start"][:10]
    detail = console.get(st.url(f"/officer/appointments/{st.appointment_id(console, booked['reference'], day)}")).text
    assert re.search(r"<h2>Call</h2>\s*<p>Admitted [^<]*connected [^<]*ended [^<]* by the timer", detail), detail
