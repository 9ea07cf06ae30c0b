"""Refusals on the call signalling WebSockets: only the admitted citizen of an appointment and
its own officer get anywhere; nonsense and oversized messages are refused without taking the
server or anyone else's call down."""

import json
import ssl
import threading

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from conftest import citizen_email, error_code, mail_link, mail_token

BIG = 100 * 1024


def tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def ws(st, path, cookies=None):
    """Opens a signalling socket. A handshake that does not finish in time is tried again:
    the client library can hang for good when its handshake times out on TLS (its reader
    thread never wakes), so each try runs in its own thread with a deadline. The pages do the
    same (they reconnect). Refusals (InvalidStatus) are raised at once."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())} if cookies else None
    for _ in range(3):
        result = {}

        def attempt():
            try:
                result["conn"] = connect(
                    f"wss://{st.base.split('://', 1)[1]}{path}",
                    ssl=tls(),
                    additional_headers=headers,
                    origin=st.base,
                    max_size=None,
                    open_timeout=10,
                )
            except Exception as e:  # noqa: BLE001 - handed to the caller below
                result["error"] = e

        t = threading.Thread(target=attempt, daemon=True)
        t.start()
        t.join(20)
        if "conn" in result:
            return result["conn"]
        if "error" in result and not isinstance(result["error"], TimeoutError):
            raise result["error"]
    pytest.fail(f"the station did not complete a WebSocket handshake on {path} in 3 tries")


def recv_type(conn, kind, timeout=10):
    """The next message of type `kind` (others are skipped)."""
    while True:
        msg = json.loads(conn.recv(timeout=timeout))
        if msg["type"] == kind:
            return msg


def checked_in(st, smtp, officer):
    """Books the next slot with `officer`, enters the emailed token, and returns the
    appointment's console id and the citizen's cookies."""
    who = citizen_email()
    booked = st.book_ok(officer.id, st.free_slot(officer.id)["start"], who)
    mail = smtp.booking_mail(who)
    s = st.session()
    r = s.post(st.url(f"/api/v1/appointments/{mail_link(mail.msg)}/token"), json={"token": mail_token(mail.msg)})
    assert r.status_code == 200, r.text
    console = st.login(officer)
    return st.appointment_id(console, booked["reference"], booked["start"][:10]), {"__Host-vappoint-join": s.cookies.get("__Host-vappoint-join")}


def officer_cookies(st, officer):
    return {"__Host-vappoint": st.login(officer).cookies.get("__Host-vappoint")}


def test_no_join_session_no_socket(station):
    for cookies in (None, {"__Host-vappoint-join": "made-up"}):
        with pytest.raises(InvalidStatus) as e:
            ws(station, "/ws/citizen", cookies)
        assert e.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as e:
        ws(station, "/ws/officer", {"__Host-vappoint": "made-up"})
    assert e.value.response.status_code == 401


def test_wrong_token_gives_no_join_session(station, smtp):
    who = citizen_email()
    station.book_ok(station.admin.id, station.free_slot(station.admin.id)["start"], who)
    mail = smtp.booking_mail(who)
    token = mail_token(mail.msg)
    wrong = f"{(int(token) + 1) % 10000:04d}"
    s = station.session()
    r = s.post(station.url(f"/api/v1/appointments/{mail_link(mail.msg)}/token"), json={"token": wrong})
    assert r.status_code == 401 and error_code(r) == "wrong_token"
    assert s.cookies.get("__Host-vappoint-join") is None


def test_citizen_cannot_send_media_before_being_admitted(station, smtp):
    _, cookies = checked_in(station, smtp, station.admin)
    with ws(station, "/ws/citizen", cookies) as c:
        recv_type(c, "queue")
        c.send(json.dumps({"type": "offer", "sdp": "v=0\r\n"}))
        assert recv_type(c, "error")["code"] == "not_admitted"
        c.send(json.dumps({"type": "candidate", "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}}))
        assert recv_type(c, "error")["code"] == "not_admitted"


def test_another_officer_cannot_admit_or_join(station, smtp):
    other = station.add_officer(name="PSI Rohan Kulkarni", admin=False)
    appointment, cookies = checked_in(station, smtp, station.admin)
    with ws(station, "/ws/citizen", cookies) as citizen, ws(station, "/ws/officer", officer_cookies(station, other)) as o:
        recv_type(citizen, "queue")
        # Its own list never shows the other officer's citizen.
        listing = recv_type(o, "waiting")
        assert all(e["appointment"] != appointment for e in listing["entries"])
        o.send(json.dumps({"type": "admit", "appointment": appointment}))
        assert recv_type(o, "error")["code"] == "not_yours"
        o.send(json.dumps({"type": "offer", "appointment": appointment, "sdp": "v=0\r\n"}))
        assert recv_type(o, "error")["code"] in ("no_call", "not_yours")


def test_third_party_cannot_reach_someone_elses_call(station, smtp):
    first, first_cookies = checked_in(station, smtp, station.admin)
    _, second_cookies = checked_in(station, smtp, station.admin)
    with ws(station, "/ws/officer", officer_cookies(station, station.admin)) as o, \
            ws(station, "/ws/citizen", first_cookies) as a, ws(station, "/ws/citizen", second_cookies) as b:
        recv_type(a, "queue")
        recv_type(b, "queue")
        o.send(json.dumps({"type": "admit", "appointment": first}))
        assert recv_type(a, "admitted")["appointment"] == first
        # The second citizen's socket is bound to its own appointment, which is not admitted.
        b.send(json.dumps({"type": "offer", "sdp": "v=0\r\n"}))
        assert recv_type(b, "error")["code"] == "not_admitted"


def test_bad_and_oversized_messages_leave_others_alone(station, smtp):
    _, first_cookies = checked_in(station, smtp, station.admin)
    _, second_cookies = checked_in(station, smtp, station.admin)
    with ws(station, "/ws/citizen", first_cookies) as a, ws(station, "/ws/citizen", second_cookies) as b:
        recv_type(a, "queue")
        recv_type(b, "queue")
        for bad in ("{not json", json.dumps({"type": "admit", "appointment": 1}), json.dumps({"type": "offer"})):
            a.send(bad)
            assert recv_type(a, "error")["code"] == "bad_message"
        a.send(json.dumps({"type": "ping", "n": 1}))
        assert recv_type(a, "pong")["n"] == 1
        # The box drops the socket as soon as the limit is crossed, maybe while it is still sent.
        with pytest.raises(ConnectionClosed):
            a.send(json.dumps({"type": "offer", "sdp": "x" * BIG}))
            while True:
                a.recv(timeout=10)
        # The other citizen and the site are unaffected.
        b.send(json.dumps({"type": "ping", "n": 2}))
        assert recv_type(b, "pong")["n"] == 2
    assert station.get("/").status_code == 200
