"""Hardening of sessions and calls (issue 11, items 9 and 14).

Item 9: an officer's `/ws/officer` lives only as long as its console session. Logout, expiry,
a new password and removal of the officer each close it within seconds (close code 4001, the
cause as the reason), and no message after the event carries a citizen's name, even when a
citizen arrives right after; the Calls page then says it is logged out and shows no citizen.

Item 14: a citizen who reloads during a call is called in again without the officer doing
anything: both sides decode video again, the officer's list still says in call, the officer
is told the citizen reconnected, and no "is waiting" tone plays. An officer who reloads
mid-call gets the call back the same way."""

import json

from selenium.webdriver.common.by import By
from websockets.exceptions import ConnectionClosed

import browser
from conftest import citizen_email, csrf_of, mail_link, mail_token, station_config, wait_until
from test_signalling import recv_type, ws

CALLS = {"bind_ips": ["127.0.0.1"], "udp_ports": "41300-41399", "grace": "3s"}
SIGNED_OUT = 4001


def checked_in(st, smtp, officer, name):
    """Books the next slot with `officer` for `name` and enters the emailed token: the
    citizen's join cookie, ready to open the waiting room."""
    who = citizen_email()
    st.book_ok(officer.id, st.free_slot(officer.id)["start"], who, name=name)
    mail = smtp.booking_mail(who)
    s = st.session()
    r = s.post(st.url(f"/api/v1/appointments/{mail_link(mail.msg)}/token"), json={"token": mail_token(mail.msg)})
    assert r.status_code == 200, r.text
    return {"__Host-vappoint-join": s.cookies.get("__Host-vappoint-join")}


def cookie_of(console):
    return {"__Host-vappoint": console.cookies.get("__Host-vappoint")}


def until_closed(conn, timeout=8):
    """Every message the station still sends, and the close frame it ends with."""
    got = []
    while True:
        try:
            got.append(json.loads(conn.recv(timeout=timeout)))
        except ConnectionClosed as e:
            return got, e.rcvd
        except TimeoutError:
            return got, None


def settle(*conns):
    """Reads each socket up to the answer of a ping: what was queued for it before (the lists
    its own opening and the ones before it sent) is read, so what follows is new. In order,
    since opening a socket sends its officer's list to the sockets opened before it too."""
    for n, conn in enumerate(conns):
        conn.send(json.dumps({"type": "ping", "n": n}))
        while json.loads(conn.recv(timeout=10)) != {"type": "pong", "n": n}:
            pass


def post_form(console, st, page, path, **fields):
    """Posts a console form as its page would, with the CSRF value the page carries."""
    html = console.get(st.url(page), timeout=30).text
    return console.post(st.url(path), data={"csrf": csrf_of(html), **fields}, allow_redirects=False, timeout=30)


def assert_closed_without_names(conn, why, names):
    got, close = until_closed(conn)
    assert close is not None, f"the socket stayed open after {why}; it got {got}"
    assert (close.code, close.reason) == (SIGNED_OUT, why)
    leaked = [m for m in got if any(n in json.dumps(m, ensure_ascii=False) for n in names)]
    assert not leaked, f"after {why} the socket still carried names: {leaked}"


def test_officer_sockets_close_when_their_session_ends(smtp, make_station):
    st = make_station(station_config(smtp), start=False)
    admin = st.add_officer(name="PI Meera Deshpande", admin=True)
    leaving = st.add_officer(name="PSI Rohan Kulkarni")
    changing = st.add_officer(name="PSI Kavita Joshi")
    removed = st.add_officer(name="PSI Anil Pawar")
    st.start()
    boss = st.login(admin)

    # Logout: the socket closes before the citizen who arrives next could be named on it.
    joined = checked_in(st, smtp, leaving, "Sunita Gaikwad")
    console = st.login(leaving)
    with ws(st, "/ws/officer", cookie_of(console)) as o:
        assert any(e["name"] == "Sunita Gaikwad" for e in recv_type(o, "waiting")["entries"])
        settle(o)
        r = post_form(console, st, "/officer", "/officer/logout")
        assert r.status_code == 303, r.text
        with ws(st, "/ws/citizen", joined) as c:
            recv_type(c, "queue")
            assert_closed_without_names(o, "logged_out", ["Sunita Gaikwad"])

    # A new password: the other session's socket closes, the one that set it stays.
    joined = checked_in(st, smtp, changing, "Farida Shaikh")
    here, elsewhere = st.login(changing), st.login(changing)
    with ws(st, "/ws/officer", cookie_of(here)) as kept, ws(st, "/ws/officer", cookie_of(elsewhere)) as o:
        settle(kept, o)
        new = "a new password for Kavita"
        r = post_form(here, st, "/officer/password", "/officer/password",
                      current_password=changing.password, new_password=new, new_password_again=new)
        assert r.status_code == 200 and "Password changed." in r.text, r.text[:300]
        with ws(st, "/ws/citizen", joined) as c:
            recv_type(c, "queue")
            assert_closed_without_names(o, "password_changed", ["Farida Shaikh"])
            assert recv_type(kept, "arrived")["name"] == "Farida Shaikh"

    # Removal by an admin (an officer with bookings cannot be removed, so nobody waits here).
    with ws(st, "/ws/officer", cookie_of(st.login(removed))) as o:
        settle(o)
        r = post_form(boss, st, "/officer/officers", f"/officer/officers/{removed.id}/remove")
        assert r.status_code == 200 and "Officer removed." in r.text, r.text[:300]
        assert_closed_without_names(o, "removed", [removed.name])


def test_an_expired_session_closes_its_socket(smtp, make_station):
    st = make_station(station_config(smtp, sessions={"idle": "5s"}), start=False)
    officer = st.add_officer(name="PSI Rohan Kulkarni", admin=True)
    st.start()
    checked_in(st, smtp, officer, "Sunita Gaikwad")
    with ws(st, "/ws/officer", cookie_of(st.login(officer))) as o:
        assert any(e["name"] == "Sunita Gaikwad" for e in recv_type(o, "waiting")["entries"])
        # Idle: the socket's own traffic is not use of the console.
        o.send(json.dumps({"type": "ping", "n": 1}))
        got, close = until_closed(o, timeout=10)
        assert close is not None and (close.code, close.reason) == (SIGNED_OUT, "expired"), (got, close)


def by_id(b, element_id):
    return b.driver.find_element(By.ID, element_id)


def decoding(b):
    s = b.stats()
    return s if s and s["framesDecoded"] > 0 and s["audioPackets"] > 0 else None


def frames(b):
    s = b.stats()
    return s["framesDecoded"] if s else 0


def test_reloads_during_a_call_resume_it(smtp, make_station, browsers):
    st = make_station(station_config(smtp, calls=CALLS), start=False)
    admin = st.add_officer(name="PI Meera Deshpande", admin=True)
    officer = st.add_officer(name="PSI Rohan Kulkarni")
    st.start()
    who = citizen_email()
    booked = st.book_ok(officer.id, st.free_slot(officer.id)["start"], who)
    mail = smtp.booking_mail(who)

    desk = browsers()
    browser.login(desk, st.base, officer.email, officer.password)
    desk.driver.get(st.url("/officer/calls"))
    by_id(desk, "sound").click()
    wait_until(lambda: by_id(desk, "sound").get_attribute("aria-pressed") == "true", message="sound alerts on")

    citizen = browsers(phone=True)
    citizen.driver.get(st.url(f"/a/{mail_link(mail.msg)}/join"))
    by_id(citizen, "token").send_keys(mail_token(mail.msg))
    citizen.driver.find_element(By.CSS_SELECTOR, "form[action$='/join'] button").click()
    wait_until(lambda: browser.data_state(citizen, "call") == "waiting", timeout=20, message="the citizen waiting")
    tones = lambda: by_id(desk, "console").get_attribute("data-arrival-tones")  # noqa: E731
    wait_until(lambda: tones() == "1", timeout=15, message="the arrival tone")
    by_id(desk, "arrivals").click()

    admit = "tr[data-appointment][data-status='waiting'] button.admit"
    wait_until(lambda: desk.driver.find_elements(By.CSS_SELECTOR, admit), timeout=20, message="the Admit button")
    desk.driver.find_element(By.CSS_SELECTOR, admit).click()
    wait_until(lambda: decoding(citizen), timeout=40, interval=0.5, message="the citizen decoding video")
    wait_until(lambda: decoding(desk), timeout=40, interval=0.5, message="the officer decoding video")

    # The citizen reloads: called in again with no click by anyone, both pictures move again.
    citizen.driver.refresh()
    wait_until(lambda: browser.data_state(citizen, "call") == "call", timeout=20, message="the citizen back in the call")
    wait_until(lambda: decoding(citizen), timeout=40, interval=0.5, message="the citizen decoding again")
    seen = frames(desk)
    wait_until(lambda: frames(desk) > seen + 20, timeout=30, interval=0.5, message="the officer's picture moving again")
    wait_until(lambda: "reconnected" in by_id(desk, "status").text, timeout=10, message="the officer told")
    in_call = "tr[data-appointment][data-status='in_call']"
    assert booked["reference"] in desk.driver.find_element(By.CSS_SELECTOR, in_call).text
    assert tones() == "1", "an 'is waiting' tone played for a citizen in a call"
    assert by_id(desk, "arrivals").get_attribute("hidden") is not None
    assert browser.data_state(desk, "console") == "call"

    # The officer reloads: the Calls page takes the call up again, with its countdown.
    desk.driver.refresh()
    wait_until(lambda: browser.data_state(desk, "console") == "call", timeout=20, message="the officer back in the call")
    wait_until(lambda: decoding(desk), timeout=40, interval=0.5, message="the officer decoding again")
    seen = frames(citizen)
    wait_until(lambda: frames(citizen) > seen + 20, timeout=30, interval=0.5, message="the citizen's picture moving again")
    wait_until(lambda: by_id(desk, "timer").get_attribute("data-seconds"), timeout=10, message="the countdown back")
    assert by_id(desk, "console").get_attribute("data-arrival-tones") == "0"

    # An admin gives this officer a new password: their open page is logged out and shows
    # no citizen any more.
    boss = st.login(admin)
    new = "a new password for Rohan"
    r = post_form(boss, st, f"/officer/officers/{officer.id}", f"/officer/officers/{officer.id}/password",
                  new_password=new, new_password_again=new)
    assert r.status_code == 200 and "New password set" in r.text, r.text[:300]
    wait_until(lambda: browser.data_state(desk, "console") == "signed_out", timeout=10, message="the page logged out")
    assert by_id(desk, "signed-out").is_displayed()
    assert not desk.driver.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
    assert "Asha Patil" not in desk.driver.find_element(By.TAG_NAME, "main").text
    assert browser.axe_violations(desk.driver) == []
