"""Many citizens racing for the same slot: exactly one gets it."""

import threading
from collections import Counter

import requests

from conftest import citizen_email, error_code, new_session

RACERS = 50


def test_fifty_bookings_of_one_slot_give_one_appointment(station):
    officer = station.admin
    slot = station.free_slot(officer.id)
    barrier = threading.Barrier(RACERS)
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def race():
        with new_session() as s:
            barrier.wait(timeout=30)
            try:
                r = station.book(officer.id, slot["start"], citizen_email(), session=s)
                outcome = (r.status_code, error_code(r))
            except requests.RequestException as e:
                outcome = (0, repr(e))
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=race) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    counts = Counter(results)
    assert len(results) == RACERS, counts
    assert counts[(202, None)] == 1, counts
    assert counts[(409, "slot_taken")] == RACERS - 1, counts
    day = {s["start"]: s["free"] for s in station.slots(officer.id, slot["start"][:10])["slots"]}
    assert day[slot["start"]] is False
