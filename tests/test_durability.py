"""Nothing acknowledged is lost: not to SIGKILL, not to a mail relay that is down."""

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import (
    assert_stays,
    citizen_email,
    mail_text,
    pdf_bytes,
    station_config,
    wait_until,
)

BURST = 20


def mails_by_reference(smtp, expected: dict[str, str]) -> Counter:
    """How many mails each reference got, counting a mail only if it went to that booking's
    citizen (`expected`: reference -> email)."""
    counts: Counter = Counter()
    for mail in smtp.all():
        text = mail_text(mail.msg)
        for ref, who in expected.items():
            if ref in text and who in mail.rcpt_tos:
                counts[ref] += 1
    return counts


def assert_each_mailed_exactly_once(smtp, expected: dict[str, str]):
    wait_until(
        lambda: set(mails_by_reference(smtp, expected)) == set(expected),
        timeout=30,
        message=f"mails for all {len(expected)} bookings",
    )
    # Retries back off to at most 2 s: a duplicate would show within a few seconds.
    assert_stays(
        lambda: max(mails_by_reference(smtp, expected).values()) == 1,
        duration=5,
        message="one mail per booking",
    )
    ids = Counter(m.message_id for m in smtp.all())
    assert all(ids.values()) and max(ids.values()) == 1, ids
    assert None not in ids


def test_acknowledged_bookings_survive_sigkill(smtp, make_station):
    smtp.stop()  # nothing can be mailed before the kill: the outbox must keep it all
    st = make_station(station_config(smtp), start=False)
    officer = st.add_officer(name="PI Meera Deshpande", admin=True)
    st.start()
    slots = st.free_slots(officer.id)[:BURST]
    assert len(slots) == BURST

    def book(i_slot):
        i, slot = i_slot
        who = citizen_email()
        docs = [(f"statement-{i}.pdf", pdf_bytes(f"burst-{i}"), "application/pdf")] if i % 3 == 0 else []
        r = st.book(officer.id, slot["start"], who, documents=docs)
        return r, who, slot, docs

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(book, enumerate(slots)))
    st.kill()

    acked = [(who, slot, docs) for r, who, slot, docs in results if r.status_code == 202]
    assert len(acked) == BURST, [(r.status_code, r.text) for r, *_ in results if r.status_code != 202]

    smtp.start()
    st.start()
    # Each booking the box acknowledged is there, with the reference its mail gives.
    acked = {st.reference_of(officer.id, slot["start"], who): (who, slot, docs) for who, slot, docs in acked}

    console = st.login(officer)
    appointment_ids = set()
    for day in sorted({slot["start"][:10] for _, slot, _ in acked.values()}):
        page = console.get(st.url("/officer"), params={"date": day})
        assert page.status_code == 200
        for ref, (_, slot, _) in acked.items():
            if slot["start"][:10] == day:
                assert ref in page.text, f"{ref} is missing from the day view of {day}"
        appointment_ids |= set(re.findall(r"/officer/appointments/(\d+)", page.text))

    documents_by_ref: dict[str, list[bytes]] = {}
    for appointment_id in sorted(appointment_ids):
        detail = console.get(st.url(f"/officer/appointments/{appointment_id}"))
        assert detail.status_code == 200
        refs = [ref for ref in acked if ref in detail.text]
        assert len(refs) == 1, f"appointment {appointment_id} shows references {refs}"
        downloads = []
        for doc_id in sorted(set(re.findall(r"/officer/documents/(\d+)", detail.text)), key=int):
            doc = console.get(st.url(f"/officer/documents/{doc_id}"))
            assert doc.status_code == 200
            downloads.append(doc.content)
        documents_by_ref[refs[0]] = downloads
    for ref, (_, _, docs) in acked.items():
        assert documents_by_ref.get(ref) == [content for _, content, _ in docs], ref

    assert_each_mailed_exactly_once(smtp, {ref: who for ref, (who, _, _) in acked.items()})


def test_mail_waits_for_a_relay_that_is_down(station, smtp):
    officer = station.admin
    smtp.stop()
    expected = {}
    for slot in station.free_slots(officer.id)[:5]:
        who = citizen_email()
        expected[station.book_ok(officer.id, slot["start"], who)["reference"]] = who
    assert len(expected) == 5
    assert smtp.all() == []

    smtp.start()

    assert_each_mailed_exactly_once(smtp, expected)


def test_a_kill_with_many_bookings_in_flight_loses_none_acknowledged(smtp, make_station):
    """A kill -9 while 16 bookings at a time are in flight (some waiting for the writer, some
    mid-commit) loses none that was answered 202; those cut off without an answer may have
    gone either way."""
    smtp.stop()
    # Every booking comes from 127.0.0.1: lift the per-address and per-network caps.
    limits = {"bookings_per_ip_per_minute": 100000, "network_share_percent": 100,
              "mails_per_address_per_day": 100000}
    st = make_station(station_config(smtp, limits=limits), start=False)
    officer = st.add_officer(name="PI Meera Deshpande", admin=True)
    st.start()
    slots = st.free_slots(officer.id)[:150]
    assert len(slots) == 150

    def book(slot):
        who = citizen_email()
        try:
            return slot, who, st.book(officer.id, slot["start"], who).status_code
        except requests.RequestException:
            return slot, who, None  # cut off by the kill

    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(book, slot) for slot in slots]
        wait_until(lambda: sum(f.done() for f in futures) >= 20, timeout=60, interval=0.01,
                   message="the first bookings to be answered")
        st.kill()
        results = [f.result() for f in futures]

    codes = Counter(code for _, _, code in results)
    assert set(codes) <= {202, None}, codes
    assert codes[None] > 0, f"the kill came after every booking was answered: {codes}"
    st.start()
    for slot, who, code in results:
        if code == 202:
            st.reference_of(officer.id, slot["start"], who)
