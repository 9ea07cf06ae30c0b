"""What the citizen API refuses, and how."""

import select
import socket
import ssl
import uuid
from datetime import datetime, time as dtime, timedelta

import pytest

from conftest import (
    citizen_email,
    error_code,
    mail_link,
    mail_token,
    pdf_bytes,
    png_bytes,
    station_config,
)

MIB = 1024 * 1024


def slot_is_free(station, officer_id, start):
    day = {s["start"]: s["free"] for s in station.slots(officer_id, start[:10])["slots"]}
    return day[start]


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run in DOS mode.",
    ],
    ids=["html", "exe"],
)
def test_a_document_that_is_not_pdf_jpeg_or_png_is_refused(station, content):
    officer = station.admin
    slot = station.free_slot(officer.id)

    r = station.book(officer.id, slot["start"], documents=[("x.pdf", content, "application/pdf")])

    assert r.status_code == 415, r.text
    assert error_code(r) == "unsupported_document"
    assert slot_is_free(station, officer.id, slot["start"])


def early_answer(sock: ssl.SSLSocket) -> bytes:
    """Whatever response bytes the server has sent already, without blocking. (A readable
    socket may only hold TLS session tickets, hence the non-blocking read.)"""
    if not (sock.pending() or select.select([sock], [], [], 0)[0]):
        return b""
    sock.setblocking(False)
    try:
        return sock.recv(65536)
    except ssl.SSLWantReadError:
        return b""
    finally:
        sock.settimeout(30)


def test_an_oversize_document_is_refused_before_the_body_ends(station):
    """The request announces a 10.5 MiB document and sends only ~10.2 MiB of it: the server
    must answer 413 without waiting for the rest."""
    officer = station.admin
    slot = station.free_slot(officer.id)
    boundary = f"vappoint-{uuid.uuid4().hex}"

    def field(name, value):
        return (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()

    fields = b"".join(
        field(k, v)
        for k, v in {
            "officer_id": officer.id,
            "start": slot["start"],
            "name": "Asha Patil",
            "email": citizen_email(),
            "reason_category": "complaint",
            "reason": "Scanned papers",
        }.items()
    )
    file_head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="documents"; filename="big.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n"
    ).encode()
    file_size = int(10.5 * MIB)
    tail = f"\r\n--{boundary}--\r\n".encode()
    total = len(fields) + len(file_head) + file_size + len(tail)
    head = (
        f"POST /api/v1/appointments HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{station.https_port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {total}\r\n"
        f"Connection: close\r\n\r\n"
    ).encode()

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", station.https_port), timeout=30)
    with ctx.wrap_socket(raw) as sock:
        sock.sendall(head + fields + file_head)
        chunk = 64 * 1024
        first = b"%PDF-1.4\n" + b"0" * (chunk - 9)
        filler = b"0" * chunk
        sent, to_send = 0, int(10.2 * MIB)
        response = b""
        try:
            while sent < to_send and not response:
                response = early_answer(sock)
                if not response:
                    sock.sendall(first if sent == 0 else filler)
                    sent += chunk
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the server answered and closed; read what it said
        assert sent < file_size

        try:
            while b"\r\n\r\n" not in response or b'"too_large"' not in response:
                data = sock.recv(65536)
                if not data:
                    break
                response += data
        except socket.timeout:
            pytest.fail(f"no complete answer within 30 s of stopping the upload; got {response[:300]!r}")
        except (ConnectionResetError, ssl.SSLError):
            pass

    assert response.startswith(b"HTTP/1.1 "), response[:300]
    status = int(response.split(b" ", 2)[1])
    assert status == 413, response[:500]
    assert b'"too_large"' in response
    assert slot_is_free(station, officer.id, slot["start"])


def test_six_documents_are_too_many(station):
    officer = station.admin
    slot = station.free_slot(officer.id)
    docs = [(f"page{i}.pdf", pdf_bytes(str(i)), "application/pdf") for i in range(5)]
    docs.append(("photo.png", png_bytes(), "image/png"))

    r = station.book(officer.id, slot["start"], documents=docs)

    assert r.status_code == 400, r.text
    assert error_code(r) == "too_many_documents"


def test_five_documents_are_fine(station):
    officer = station.admin
    slot = station.free_slot(officer.id)
    docs = [(f"page{i}.pdf", pdf_bytes(str(i)), "application/pdf") for i in range(4)]
    docs.append(("photo.png", png_bytes(), "image/png"))

    r = station.book(officer.id, slot["start"], documents=docs)

    assert r.status_code == 202, r.text
    assert [d["kind"] for d in r.json()["documents"]] == ["pdf"] * 4 + ["png"]


def invalid_fields(r) -> set[str]:
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid", err
    return {f["field"] for f in err["fields"]}


def test_missing_fields_are_listed(station):
    officer = station.admin
    slot = station.free_slot(officer.id)

    r = station.book(officer.id, slot["start"], omit=("name", "email"))

    assert {"name", "email"} <= invalid_fields(r)
    for f in r.json()["error"]["fields"]:
        assert f["code"], f


def test_bad_values_are_listed(station):
    officer = station.admin
    slot = station.free_slot(officer.id)

    bad_email = station.book(officer.id, slot["start"], "not-an-email")
    bad_category = station.book(officer.id, slot["start"], category="burglary")
    other_without_reason = station.book(officer.id, slot["start"], category="other", reason="")

    assert "email" in invalid_fields(bad_email)
    assert "reason_category" in invalid_fields(bad_category)
    assert "reason" in invalid_fields(other_without_reason)
    assert slot_is_free(station, officer.id, slot["start"])


def test_an_address_mail_cannot_be_sent_to_is_refused_by_the_form(station):
    # `a..b@x.in` once passed the form's check and then failed (a 500) when the mail was composed.
    officer = station.admin
    slot = station.free_slot(officer.id)

    api = station.book(officer.id, slot["start"], "a..b@x.in")
    page = station.post(
        "/book",
        files=[
            (k, (None, v))
            for k, v in {
                "officer_id": str(officer.id), "start": slot["start"], "name": "Sunil Kamble",
                "email": "a..b@x.in", "reason_category": "lost_article", "reason": "",
                "idempotency_key": uuid.uuid4().hex,
            }.items()
        ],
    )

    assert "email" in invalid_fields(api)
    assert [f["code"] for f in api.json()["error"]["fields"]] == ["invalid_email"]
    assert page.status_code == 400, page.text[:500]
    assert "This does not look like an email address." in page.text
    assert "a..b@x.in" in page.text  # the form comes back as it was filled in
    assert slot_is_free(station, officer.id, slot["start"])


def test_a_past_slot_is_refused(station):
    officer = station.admin
    an_hour_ago = datetime.now(station.time_zone).replace(second=0, microsecond=0) - timedelta(hours=1)
    an_hour_ago -= timedelta(minutes=an_hour_ago.minute % 5)

    r = station.book(officer.id, an_hour_ago.isoformat())

    assert r.status_code == 400, r.text
    assert error_code(r) == "past"


def test_a_time_outside_the_hours_is_not_offered(station):
    early_bird = station.add_officer(name="PSI Early", hours="Mon 03:00-03:30", slot_minutes=15)
    noon_tomorrow = datetime.combine(station.today() + timedelta(days=1), dtime(12, 0), station.time_zone)

    r = station.book(early_bird.id, noon_tomorrow.isoformat())

    assert r.status_code == 400, r.text
    assert error_code(r) == "not_offered"


def test_a_time_between_slot_starts_is_not_offered(station):
    officer = station.admin
    slot = station.free_slot(officer.id, after=timedelta(minutes=10))
    off_grid = datetime.fromisoformat(slot["start"]) + timedelta(minutes=2)

    r = station.book(officer.id, off_grid.isoformat())

    assert r.status_code == 400, r.text
    assert error_code(r) == "not_offered"


def test_a_slot_beyond_the_horizon_is_too_far(station):
    officer = station.admin
    far = datetime.combine(station.today() + timedelta(days=40), dtime(12, 0), station.time_zone)

    r = station.book(officer.id, far.isoformat())

    assert r.status_code == 400, r.text
    assert error_code(r) == "too_far"


def test_an_unknown_officer_is_refused(station):
    slot = station.free_slot(station.admin.id)

    r = station.book(987654, slot["start"])

    assert r.status_code == 400, r.text
    assert error_code(r) == "unknown_officer"


def tries_left(r) -> int:
    body = r.json()
    return body["error"].get("tries_left", body.get("tries_left"))


def test_five_wrong_tokens_kill_the_token(station, smtp):
    officer = station.admin
    slot = station.free_slot(officer.id)
    who = citizen_email()
    station.book_ok(officer.id, slot["start"], who)
    mail = smtp.booking_mail(who)
    link, token = mail_link(mail.msg), mail_token(mail.msg)
    wrong = f"{(int(token) + 1) % 10000:04d}"
    url = f"/api/v1/appointments/{link}/token"

    left = []
    for _ in range(5):
        r = station.post(url, json={"token": wrong})
        assert r.status_code == 401, r.text
        assert error_code(r) == "wrong_token"
        left.append(tries_left(r))
    right = station.post(url, json={"token": token})

    assert left == [4, 3, 2, 1, 0]
    assert right.status_code == 403, right.text
    assert error_code(right) == "token_dead"


def test_a_new_token_replaces_the_old_one_three_times_an_hour(station, smtp):
    officer = station.admin
    slot = station.free_slot(officer.id)
    who = citizen_email()
    station.book_ok(officer.id, slot["start"], who)
    link = mail_link(smtp.booking_mail(who).msg)
    tokens = [mail_token(smtp.booking_mail(who).msg)]

    for n in range(2, 5):
        r = station.post(f"/api/v1/appointments/{link}/token/new")
        assert r.status_code == 202, r.text
        tokens.append(mail_token(smtp.booking_mail(who, count=n).msg))
    fourth = station.post(f"/api/v1/appointments/{link}/token/new")

    assert fourth.status_code == 429, fourth.text
    assert error_code(fourth) == "rate_limited"
    old = tokens[0]
    if old != tokens[-1]:
        r = station.post(f"/api/v1/appointments/{link}/token", json={"token": old})
        assert r.status_code == 401 and error_code(r) == "wrong_token", r.text
    r = station.post(f"/api/v1/appointments/{link}/token", json={"token": tokens[-1]})
    assert r.status_code == 200, r.text
    assert r.json() == {"checked_in": True}


def test_bookings_per_ip_are_rate_limited(make_station):
    st = make_station(station_config(None, limits={"bookings_per_ip_per_minute": 3}), start=False)
    officer = st.add_officer(admin=True)
    st.start()
    slots = st.free_slots(officer.id)[:4]

    for slot in slots[:3]:
        st.book_ok(officer.id, slot["start"], citizen_email())
    r = st.book(officer.id, slots[3]["start"], citizen_email())

    assert r.status_code == 429, r.text
    assert error_code(r) == "rate_limited"
    assert slot_is_free(st, officer.id, slots[3]["start"])
