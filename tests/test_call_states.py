"""A call from start to end and after, as the two people live it in their browsers: the
officer hears and sees arrivals, reads the request beside the video, sees the citizen switch
to audio only and back, sends the citizen back to the waiting room (the time left is kept),
ends the call with a message; the citizen who opens the link again sees how it ended and the
message, never a waiting room again; every page (join, manage, Day, Calls) says the same.
Also: cancelling and moving ask first, on a page that needs no JavaScript."""

from datetime import datetime, timedelta

from selenium.webdriver.common.by import By

import browser
from conftest import citizen_email, mail_link, mail_token, station_config, wait_until

CALLS = {"bind_ips": ["127.0.0.1"], "udp_ports": "41100-41199", "grace": "3s"}


def by_id(b, element_id):
    return b.driver.find_element(By.ID, element_id)


def shown(b, css):
    found = b.driver.find_elements(By.CSS_SELECTOR, css)
    return bool(found) and found[0].is_displayed()


def decoding(b):
    s = b.stats()
    return s if s and s["framesDecoded"] > 0 and s["audioPackets"] > 0 else None


def sending_video(b):
    return b.driver.execute_script("return !!window.vaPeer && window.vaPeer.sendingVideo();")


def seconds_left(b):
    value = by_id(b, "timer").get_attribute("data-seconds")
    return int(value) if value else None


def hh_mm(t: datetime) -> str:
    return t.strftime("%H:%M") + " IST"


def test_the_full_call_and_a_rejoin_after_the_end(smtp, make_station, browsers):
    st = make_station(station_config(smtp, calls=CALLS), start=False)
    officer = st.add_officer(name="PI Meera Deshpande", admin=True)
    st.start()
    who = citizen_email()
    reason = "Someone took money from my account with a fake call."
    booked = st.book_ok(officer.id, st.free_slot(officer.id)["start"], who, reason=reason)
    mail = smtp.booking_mail(who)
    token, link = mail_token(mail.msg), mail_link(mail.msg)
    start = datetime.fromisoformat(booked["start"])

    # The officer's Calls page is open before the citizen arrives; sound is turned on once.
    desk = browsers()
    browser.login(desk, st.base, officer.email, officer.password)
    desk.driver.get(st.url("/officer/calls"))
    by_id(desk, "sound").click()
    wait_until(lambda: by_id(desk, "sound").get_attribute("aria-pressed") == "true", message="sound alerts on")

    # The join page names the opening time and the appointment's own time.
    citizen = browsers(phone=True)
    citizen.driver.get(st.url(f"/a/{link}/join"))
    opens = f"You can join from {hh_mm(start - timedelta(minutes=15))} (15 minutes before your {hh_mm(start)} appointment)"
    assert opens in citizen.driver.find_element(By.TAG_NAME, "main").text
    by_id(citizen, "token").send_keys(token)
    citizen.driver.find_element(By.CSS_SELECTOR, "form[action$='/join'] button").click()
    wait_until(lambda: browser.data_state(citizen, "call") == "waiting", timeout=20, message="the citizen waiting")
    # The estimate is the station's time, as the station writes it (no phone clock, no AM/PM).
    estimate = wait_until(lambda: by_id(citizen, "estimate").text, timeout=15, message="the estimate")
    assert "IST" in estimate and "AM" not in estimate and "PM" not in estimate, estimate

    # The arrival stays on the officer's page until marked seen.
    wait_until(lambda: shown(desk, "#arrivals"), timeout=15, message="the arrivals badge")
    assert "Asha Patil" in by_id(desk, "arrivals").text
    assert desk.driver.title.startswith("●")
    by_id(desk, "arrivals").click()
    wait_until(lambda: not shown(desk, "#arrivals"), message="the badge cleared once seen")

    row = "tr[data-appointment][data-status='waiting'] button.admit"
    browser.click_when_there(desk, row, message="the Admit button")
    wait_until(lambda: decoding(citizen), timeout=40, interval=0.5, message="the citizen decoding video")
    wait_until(lambda: decoding(desk), timeout=40, interval=0.5, message="the officer decoding video")

    # The request sits beside the video; the language links cannot take the citizen away.
    assert reason in by_id(desk, "stage-info").text
    assert not shown(citizen, "nav.langs")

    # Audio only, both ways; the officer sees it, and the video comes back.
    by_id(citizen, "audio-only").click()
    wait_until(lambda: shown(desk, "#citizen-audio"), timeout=10, message="the officer told of audio only")
    wait_until(lambda: not sending_video(citizen), message="the citizen's video stopped")
    by_id(citizen, "audio-only").click()
    wait_until(lambda: not shown(desk, "#citizen-audio"), timeout=10, message="the officer told video is back")
    wait_until(lambda: sending_video(citizen), message="the citizen's video sent again")
    frames = decoding(desk)["framesDecoded"]
    wait_until(lambda: decoding(desk)["framesDecoded"] > frames + 10, timeout=20, interval=0.5, message="the officer's picture moving again")

    # Leave asks first; "stay" keeps the call.
    by_id(citizen, "leave").click()
    wait_until(lambda: shown(citizen, "#leave-confirm"), message="the leave confirmation")
    by_id(citizen, "leave-no").click()
    assert not shown(citizen, "#leave-confirm") and browser.data_state(citizen, "call") == "call"

    # Two minutes off, then back to the waiting room: the call resumes with what was left.
    wait_until(lambda: seconds_left(desk), timeout=15, message="the countdown")
    for _ in range(2):
        desk.driver.find_element(By.CSS_SELECTOR, "button[data-adjust='-1']").click()
    wait_until(lambda: (seconds_left(desk) or 999) <= 180, timeout=10, message="the time shortened")
    by_id(desk, "send-back").click()
    wait_until(lambda: browser.data_state(citizen, "call") == "waiting", timeout=15, message="the citizen back in the waiting room")
    wait_until(lambda: seconds_left(desk) is None, message="the old countdown gone")
    browser.click_when_there(desk, row, message="Admit again")
    resumed = wait_until(lambda: seconds_left(desk), timeout=40, message="the resumed countdown")
    assert 0 < resumed <= 180, f"the call restarted with {resumed} s instead of the time left"
    wait_until(lambda: browser.data_state(citizen, "call") == "call", timeout=15, message="the citizen back in the call")

    # The officer ends the call with a message for the citizen.
    message = "Please bring your bank statement to the station on Monday."
    by_id(desk, "end-message").send_keys(message)
    desk.driver.find_element(By.CSS_SELECTOR, "#end-form button[type='submit']").click()
    wait_until(lambda: browser.data_state(citizen, "call") == "ended", timeout=20, message="the end on the citizen's page")
    assert message in by_id(citizen, "ended-message").text
    assert shown(citizen, "nav.langs")

    # Reopening the join link: the end and the message, no waiting room, no token form.
    for path in (f"/a/{link}/join", f"/a/{link}/call"):
        citizen.driver.get(st.url(path))
        wait_until(lambda: citizen.driver.current_url.endswith(f"/a/{link}/join"), timeout=10, message=f"{path} lands on the join page")
        final = by_id(citizen, "final")
        assert final.get_attribute("data-status") == "done"
        assert by_id(citizen, "officer-message").text == message
        assert not citizen.driver.find_elements(By.ID, "call")
        assert not citizen.driver.find_elements(By.ID, "token")
    assert browser.axe_violations(citizen.driver) == []

    # The manage page: done, the message, no Join.
    citizen.driver.get(st.url(f"/a/{link}"))
    assert by_id(citizen, "status").get_attribute("data-status") == "done"
    assert by_id(citizen, "officer-message").text == message
    assert not citizen.driver.find_elements(By.CSS_SELECTOR, "a[href$='/join']")
    assert browser.axe_violations(citizen.driver) == []

    # The officer's Day and Calls pages say the same.
    desk.driver.get(st.url(f"/officer?date={start.date().isoformat()}"))
    day_row = desk.driver.find_element(By.XPATH, f"//tr[contains(., '{booked['reference']}')]")
    assert "Done" in day_row.text and "Checked in" not in day_row.text, day_row.text
    desk.driver.get(st.url("/officer/calls"))
    done = f"tr[data-appointment][data-status='done']"
    wait_until(lambda: desk.driver.find_elements(By.CSS_SELECTOR, done), timeout=15, message="Done on the Calls page")
    assert booked["reference"] in desk.driver.find_element(By.CSS_SELECTOR, done).text


def test_cancel_and_move_ask_first(smtp, make_station, browsers):
    st = make_station(station_config(smtp), start=False)
    officer = st.add_officer(admin=True)
    st.start()
    later = st.free_slots(officer.id, after=timedelta(hours=4), days=3)
    who = citizen_email()
    st.book_ok(officer.id, later[0]["start"], who)
    link = mail_link(smtp.booking_mail(who).msg)

    # Without JavaScript (a plain HTTP client): posting the form gives the question, not the change.
    asked = st.post(f"/a/{link}/cancel")
    assert asked.status_code == 200 and 'id="confirm"' in asked.text and 'name="confirm" value="yes"' in asked.text
    assert st.get(f"/api/v1/appointments/{link}").json()["status"] == "booked"

    # In the browser: the question is a page of its own (no script needed); "keep" changes nothing.
    phone = browsers(phone=True)
    phone.driver.get(st.url(f"/a/{link}"))
    phone.driver.find_element(By.CSS_SELECTOR, "form[action$='/cancel'] button").click()
    wait_until(lambda: phone.driver.find_elements(By.ID, "confirm"), message="the cancel confirmation")
    assert browser.axe_violations(phone.driver) == []
    assert st.get(f"/api/v1/appointments/{link}").json()["status"] == "booked"
    by_id(phone, "keep").click()
    wait_until(lambda: phone.driver.find_elements(By.ID, "status"), message="back on the manage page")
    assert by_id(phone, "status").get_attribute("data-status") == "booked"

    # Moving: choose a time, confirm, moved.
    phone.driver.get(st.url(f"/a/{link}/reschedule?date={later[1]['start'][:10]}"))
    target = later[1]["start"]
    phone.driver.find_element(By.XPATH, f"//ul[@class='slots']//form[input[@name='start' and @value='{target}']]/button").click()
    wait_until(lambda: phone.driver.find_elements(By.ID, "confirm"), message="the move confirmation")
    assert st.get(f"/api/v1/appointments/{link}").json()["start"] == later[0]["start"]
    by_id(phone, "confirm").find_element(By.TAG_NAME, "button").click()
    wait_until(lambda: st.get(f"/api/v1/appointments/{link}").json()["start"] == target, message="the move")

    # Cancelling, confirmed.
    phone.driver.get(st.url(f"/a/{link}"))
    phone.driver.find_element(By.CSS_SELECTOR, "form[action$='/cancel'] button").click()
    wait_until(lambda: phone.driver.find_elements(By.ID, "confirm"), message="the cancel confirmation")
    by_id(phone, "confirm").find_element(By.TAG_NAME, "button").click()
    wait_until(lambda: st.get(f"/api/v1/appointments/{link}").json()["status"] == "cancelled", message="the cancellation")
    assert by_id(phone, "status").get_attribute("data-status") == "cancelled"


def test_a_citizen_who_leaves_after_confirming_ends_the_appointment_early(smtp, make_station, browsers):
    st = make_station(station_config(smtp, calls=CALLS), start=False)
    officer = st.add_officer(admin=True)
    st.start()
    who = citizen_email()
    booked = st.book_ok(officer.id, st.free_slot(officer.id)["start"], who)
    mail = smtp.booking_mail(who)
    token, link = mail_token(mail.msg), mail_link(mail.msg)

    citizen = browsers(phone=True)
    citizen.driver.get(st.url(f"/a/{link}/join"))
    by_id(citizen, "token").send_keys(token)
    citizen.driver.find_element(By.CSS_SELECTOR, "form[action$='/join'] button").click()
    wait_until(lambda: browser.data_state(citizen, "call") == "waiting", timeout=20, message="the citizen waiting")
    desk = browsers()
    browser.login(desk, st.base, officer.email, officer.password)
    desk.driver.get(st.url("/officer/calls"))
    row = "tr[data-appointment][data-status='waiting'] button.admit"
    browser.click_when_there(desk, row, message="the Admit button")
    wait_until(lambda: browser.data_state(citizen, "call") == "call", timeout=20, message="the citizen called in")

    def leave_asked():
        # Like a person whose tap missed while the call was settling: tap Leave again.
        if not shown(citizen, "#leave-confirm"):
            by_id(citizen, "leave").click()
        return shown(citizen, "#leave-confirm")

    wait_until(leave_asked, message="the leave confirmation")
    by_id(citizen, "leave-yes").click()
    wait_until(lambda: browser.data_state(citizen, "call") == "ended", timeout=20, message="the call ended for the citizen")
    wait_until(lambda: browser.data_state(desk, "console") == "list", timeout=20, message="the call ended for the officer")

    citizen.driver.get(st.url(f"/a/{link}"))
    assert by_id(citizen, "status").get_attribute("data-status") == "ended_early"
    assert by_id(citizen, "final").get_attribute("data-status") == "ended_early"
    assert not citizen.driver.find_elements(By.CSS_SELECTOR, "a[href$='/join']")
    desk.driver.get(st.url(f"/officer?date={booked['start'][:10]}"))
    day_row = desk.driver.find_element(By.XPATH, f"//tr[contains(., '{booked['reference']}')]")
    assert "Ended early" in day_row.text, day_row.text
