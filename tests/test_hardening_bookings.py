"""Abuse of bookings and mail (issue 11, items 2, 5, 6 and 7), each attack run against the
real binary and shown to fail: uploads that fill the disk, one network holding an officer's
day, replayed idempotency keys, the station as a mailer, and probing who has booked."""

import socket
import ssl
from datetime import timedelta
from pathlib import Path

import requests
from conftest import citizen_email, error_code, new_session, pdf_bytes, station_config, wait_until
from test_hardening import FromAddress

MB = 1_000_000


def big_pdf(tag: str, size: int) -> bytes:
    """A PDF by its first bytes (all the station checks), padded to `size` bytes."""
    head = pdf_bytes(tag)
    return head + b"%" + b"0" * (size - len(head) - 1)


def from_address(ip: str) -> requests.Session:
    s = new_session()
    s.mount("https://", FromAddress(ip))
    return s


def documents_on_disk(st) -> list[Path]:
    return [p for p in (st.data / "documents").iterdir() if p.is_file()]


def open_limits(**limits) -> dict:
    """Rate limits out of the way, so each test meets only the limit it is about."""
    return {
        "bookings_per_ip_per_minute": 10_000,
        "bookings_per_email_per_hour": 10_000,
        "mails_per_address_per_day": 10_000,
        "network_share_percent": 100,
        **limits,
    }


def book_page(st, session: requests.Session, start: str, documents=()) -> requests.Response:
    """The booking form posted as a browser posts it: fields first, then the file inputs (an
    empty part when no file is chosen). The page reads the whole body before it answers."""
    fields = {"officer_id": str(st.admin.id), "start": start, "name": "Asha Patil", "email": citizen_email(),
              "mobile": "", "reason_category": "complaint", "reason": ""}
    parts = [(k, (None, v)) for k, v in fields.items()]
    parts += [("documents", d) for d in documents] or [("documents", ("", b"", "application/octet-stream"))]
    return session.post(st.url("/book"), files=parts, timeout=60)


def test_a_flood_of_uploads_stops_at_the_quotas_and_others_still_book(smtp, make_station):
    st = make_station(
        station_config(smtp, limits=open_limits(document_mb_per_address_per_day=3, document_mb_per_day=5)),
        start=False,
    )
    st.admin = st.add_officer(name="Inspector Sharmila Jadhav", rank="PI", admin=True)
    st.start()
    slots = iter(st.free_slots(st.admin.id))
    attacker = from_address("127.0.0.5")
    doc = big_pdf("flood", 900_000)
    refused = "“d0.pdf” cannot be accepted: the day&#x27;s limit for documents is reached."
    # The attack: booking after booking, each with as many large documents as it may carry.
    answers = [
        book_page(st, attacker, next(slots)["start"], [(f"d{j}.pdf", doc, "application/pdf") for j in range(3)])
        for _ in range(6)
    ]
    codes = [r.status_code for r in answers]
    # One booking (2.7 MB) fits the address's 3 MB; every later one stops at the quota with a
    # clear message, and nothing of them is left on disk.
    assert codes == [200, 429, 429, 429, 429, 429], codes
    assert all(refused in r.text for r in answers[1:]), answers[1].text[-2000:]
    on_disk = documents_on_disk(st)
    assert len(on_disk) == 3 and sum(p.stat().st_size for p in on_disk) <= 3 * MB
    # The same address can still book without documents.
    assert book_page(st, attacker, next(slots)["start"]).status_code == 200
    # Another address has its own quota, within everyone's 5 MB: two documents fit, a third not.
    two = [("a.pdf", doc, "application/pdf"), ("b.pdf", doc, "application/pdf")]
    assert book_page(st, from_address("127.0.1.9"), next(slots)["start"], two).status_code == 200
    third = book_page(st, from_address("127.0.2.9"), next(slots)["start"], [("c.pdf", doc, "application/pdf")])
    assert third.status_code == 429, third.status_code
    assert sum(p.stat().st_size for p in documents_on_disk(st)) <= 5 * MB
    # The counts outlive a restart: they are read back from the documents booked today.
    st.stop()
    st.start()
    again = book_page(st, attacker, next(slots)["start"], [("d0.pdf", doc, "application/pdf")])
    assert again.status_code == 429 and refused in again.text, again.status_code
    assert len(documents_on_disk(st)) == 5


def test_a_refused_booking_is_answered_before_its_files_are_sent(station):
    """The request is checked when the first file part begins: a bad form is refused while the
    client is still sending, and no file is created."""
    slot = station.free_slot(station.admin.id)
    boundary = "vappointboundary"
    fields = {"officer_id": str(station.admin.id), "start": slot["start"], "name": "http://evil.example",
              "email": citizen_email(), "reason_category": "complaint"}
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
    )
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="documents"; filename="big.pdf"\r\n'
    head += "Content-Type: application/pdf\r\n\r\n"
    # The body announces 9 MB but only the file's first bytes are sent (then the client
    # waits: sending more could meet the closed connection before the answer is read).
    first = pdf_bytes("slow") + b"%" + b"0" * 2_000
    length = len(head) + 9 * MB
    request = (
        f"POST /api/v1/appointments HTTP/1.1\r\nHost: 127.0.0.1:{station.https_port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\r\n"
    ).encode() + head.encode() + first
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    answer = b""
    with socket.create_connection(("127.0.0.1", station.https_port), timeout=10) as raw, ctx.wrap_socket(raw) as tls:
        tls.sendall(request)
        try:
            while b"\r\n\r\n" not in answer:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, ssl.SSLError):
            pass  # answered, then closed on the unread body
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert documents_on_disk(station) == []


def test_one_network_holds_only_its_share_of_an_officers_day(smtp, make_station):
    st = make_station(station_config(smtp, limits=open_limits(network_share_percent=1)), start=False)
    st.admin = st.add_officer(name="Inspector Sharmila Jadhav", rank="PI", admin=True)
    st.start()
    tomorrow = st.today().toordinal() + 1
    day = [s for s in st.slots(st.admin.id, st.today().fromordinal(tomorrow))["slots"]]
    share = max(1, len(day) * 1 // 100)
    free = iter(day)
    # A flood from one /24, every request from another address in it.
    for i in range(share):
        r = st.book(st.admin.id, next(free)["start"], citizen_email(), session=from_address(f"127.0.3.{10 + i}"))
        assert r.status_code == 202, r.text
    r = st.book(st.admin.id, next(free)["start"], citizen_email(), session=from_address("127.0.3.200"))
    assert r.status_code == 429 and error_code(r) == "network_share", r.text
    # Another network, and another day, are not held back.
    r = st.book(st.admin.id, next(free)["start"], citizen_email(), session=from_address("127.0.4.1"))
    assert r.status_code == 202, r.text
    later = st.slots(st.admin.id, st.today().fromordinal(tomorrow + 1))["slots"][0]
    r = st.book(st.admin.id, later["start"], citizen_email(), session=from_address("127.0.3.201"))
    assert r.status_code == 202, r.text


def test_an_idempotency_key_is_scoped_to_its_request(station, smtp):
    first_slot, other_slot = station.free_slots(station.admin.id)[:2]
    owner = citizen_email()
    key = "form-7f3a9c"
    first = station.book(station.admin.id, first_slot["start"], owner, idempotency_key=key)
    assert first.status_code == 202, first.text
    # The same request again is the same booking, and no second mail.
    again = station.book(station.admin.id, first_slot["start"], owner, idempotency_key=key)
    assert again.status_code == first.status_code and again.json() == first.json()
    # Someone else replaying the key with their own request gets a conflict, not the booking.
    thief = station.book(station.admin.id, other_slot["start"], citizen_email(), idempotency_key=key)
    assert thief.status_code == 409 and error_code(thief) == "idempotency_conflict", thief.text
    assert owner not in thief.text
    smtp.wait_for(owner)
    assert len(smtp.to(owner)) == 1


def test_the_booking_form_replayed_by_someone_else_shows_nothing_of_the_owner(station):
    slot, other = station.free_slots(station.admin.id)[:2]
    owner = citizen_email()
    page = station.session()
    form = page.get(station.url(f"/book?officer={station.admin.id}&start={requests.utils.quote(slot['start'])}"))
    key = next(line for line in form.text.splitlines() if 'name="idempotency_key"' in line)
    key = key.split('value="')[1].split('"')[0]

    def submit(session, start, who):
        fields = {"officer_id": str(station.admin.id), "start": start, "name": "Asha Patil", "email": who,
                  "reason_category": "complaint", "reason": "", "mobile": "", "idempotency_key": key}
        return session.post(station.url("/book"), files={k: (None, v) for k, v in fields.items()}, timeout=30)

    assert submit(page, slot["start"], owner).status_code == 200
    stolen = submit(station.session(), other["start"], citizen_email())
    assert stolen.status_code == 409, stolen.status_code
    assert owner not in stolen.text


def test_mail_is_capped_per_recipient_and_per_sender(smtp, make_station):
    st = make_station(
        station_config(smtp, limits={**open_limits(), "mails_per_recipient_per_day": 2, "mails_per_address_per_day": 3}),
        start=False,
    )
    st.admin = st.add_officer(name="Inspector Sharmila Jadhav", rank="PI", admin=True)
    officers = [st.add_officer(name=f"PSI Officer {n}") for n in ("Ravi", "Meena", "Arun")]
    st.start()
    victim = citizen_email()
    spammer = from_address("127.0.5.5")
    # Two mails a day to one address, from wherever they are asked for.
    for o in officers[:2]:
        r = st.book(o.id, st.free_slot(o.id)["start"], victim, name="Pay your fine", session=from_address("127.0.6.1"))
        assert r.status_code == 202, r.text
    r = st.book(officers[2].id, st.free_slot(officers[2].id)["start"], victim, session=spammer)
    assert r.status_code == 429 and error_code(r) == "mail_limit", r.text
    # Three a day sent on behalf of one address, whatever the recipients.
    for o in officers:
        r = st.book(o.id, st.free_slot(o.id)["start"], citizen_email(), session=spammer)
        assert r.status_code == 202, r.text
    r = st.book(st.admin.id, st.free_slot(st.admin.id)["start"], citizen_email(), session=spammer)
    assert r.status_code == 429 and error_code(r) == "mail_limit", r.text
    wait_until(lambda: len(smtp.to(victim)) == 2, message="the victim's two mails")
    assert len(smtp.to(victim)) == 2


def test_a_booking_answers_alike_whether_or_not_the_address_has_one_that_day(station, smtp, browsers):
    """Item 7: someone probes whether an address has an appointment with an officer on a day by
    booking with it. Both answers, the API's and the form's page in a browser, are the same as
    for an address with none, and the holder is told by mail; nothing new is booked."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from conftest import mail_link, mail_reference, mail_token

    officer = station.admin
    by_day: dict[str, list] = {}
    for s in station.free_slots(officer.id, after=timedelta(minutes=10)):
        by_day.setdefault(s["start"][:10], []).append(s)
    mine, probe, fresh, probe_page, fresh_page = next(s for s in by_day.values() if len(s) >= 5)[:5]
    victim = citizen_email()
    ref = station.book_ok(officer.id, mine["start"], victim)["reference"]
    smtp.booking_mail(victim)

    # The API: the same status and the same body, but for the time each asked for.
    probed = station.book(officer.id, probe["start"], victim)
    control = station.book(officer.id, fresh["start"], citizen_email())
    assert probed.status_code == control.status_code == 202, (probed.text, control.text)

    def besides_the_time(r, slot) -> dict:
        body = r.json()
        assert body["start"] == slot["start"], body
        return {k: v for k, v in body.items() if k not in ("start", "end")}

    assert besides_the_time(probed, probe) == besides_the_time(control, fresh)
    assert ref not in probed.text

    # The form's page in a browser, from a fresh profile each.
    def page_for(slot, who) -> list[str]:
        b = browsers(phone=True)
        d = b.driver
        d.get(station.url(f"/book?officer={officer.id}&start={requests.utils.quote(slot['start'])}"))
        for field, value in {"name": "Asha Patil", "email": who, "mobile": "9876543210"}.items():
            d.find_element(By.ID, field).send_keys(value)
        Select(d.find_element(By.ID, "reason_category")).select_by_value("complaint")
        d.find_element(By.CSS_SELECTOR, "form[action='/book'] button[type=submit]").click()
        wait_until(lambda: d.find_elements(By.CSS_SELECTOR, "p.sent"), timeout=30, message="the answer page")
        # What differs by request: the address typed and the time asked for.
        when = d.find_element(By.CSS_SELECTOR, "p.when").text
        return [p.text.replace(who, "EMAIL").replace(when, "WHEN") for p in d.find_elements(By.CSS_SELECTOR, "main h1, main p")]

    probed_page = page_for(probe_page, victim)
    assert probed_page == page_for(fresh_page, citizen_email())
    assert not any(ref in line for line in probed_page)

    # Nothing was booked for the probes: their times are still free.
    day = {s["start"]: s["free"] for s in station.slots(officer.id, mine["start"][:10])["slots"]}
    assert day[probe["start"]] and day[probe_page["start"]] and not day[fresh["start"]]
    # The holder is told, twice, about the appointment they have, with no token and no link.
    def notices():
        found = [m for m in smtp.to(victim) if "still stands" in m.msg["Subject"]]
        return found if len(found) == 2 else None

    for notice in wait_until(notices, message="a notice for each probe"):
        assert mail_reference(notice.msg) == ref
        assert mail_token(notice.msg) is None and "/a/" not in notice.text
        assert "Nothing new was booked" in notice.text
    # The first mail's link still opens the one appointment.
    link = mail_link(smtp.booking_mail(victim).msg)
    assert station.get(f"/api/v1/appointments/{link}").json()["reference"] == ref
