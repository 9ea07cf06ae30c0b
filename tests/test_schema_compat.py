"""Expand/contract migrations, the way an update's rollback meets them: the previous release
runs on a database the newer release migrated, bookings it acknowledges survive `kill -9`,
and a database whose newer release removed something (a raised `schema_floor`) is refused
with a clear message instead of being written wrongly."""

import sqlite3
import subprocess

from conftest import BIN, citizen_email, station_config


def schema_version(db) -> int:
    with sqlite3.connect(db) as c:
        return c.execute("PRAGMA user_version").fetchone()[0]


def test_the_previous_release_books_on_a_schema_the_next_one_expanded(smtp, make_station):
    st = make_station(station_config(smtp), start=False)
    officer = st.add_officer(name="PI Meera Deshpande", admin=True)
    st.start()
    first, second = st.free_slots(officer.id)[:2]
    before = citizen_email()
    st.book_ok(officer.id, first["start"], before)
    st.stop()

    # What the next release's migration does: only adds (a table, a defaulted column).
    db = st.data / "vappoint.db"
    known = schema_version(db)
    with sqlite3.connect(db) as c:
        c.executescript(
            f"""
            CREATE TABLE call_ratings (appointment_id INTEGER PRIMARY KEY, stars INTEGER NOT NULL);
            ALTER TABLE appointments ADD COLUMN interpreter TEXT NOT NULL DEFAULT 'none';
            PRAGMA user_version = {known + 1};
            """
        )

    # This release, rolled back to, starts on it and acknowledges a booking; then the power goes.
    st.start()
    after = citizen_email()
    r = st.book(officer.id, second["start"], after)
    assert r.status_code == 202, r.text
    st.kill()

    st.start()
    for slot, who in ((first, before), (second, after)):
        assert st.reference_of(officer.id, slot["start"], who)
    st.stop()
    assert schema_version(db) == known + 1, "the older binary leaves the newer schema alone"
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT interpreter FROM appointments ORDER BY id").fetchall()
    assert rows == [("none",), ("none",)], "the row the older binary wrote took the new column's default"

    # A later release contracted (removed what this one reads) and raised the floor: refused.
    with sqlite3.connect(db) as c:
        c.executescript(
            f"""
            CREATE TABLE schema_floor (version INTEGER NOT NULL);
            INSERT INTO schema_floor VALUES ({known + 1});
            PRAGMA user_version = {known + 3};
            """
        )
    done = subprocess.run(
        [str(BIN), "station", "--data", str(st.data), "--config", str(st.config_path),
         "--https-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    assert f"newer vappoint (schema {known + 3}, this one knows {known})" in done.stderr, done.stderr
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT COUNT(*) FROM appointments").fetchone()[0] == 2
