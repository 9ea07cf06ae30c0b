-- Video calls: the citizen's join session (after the right token), each appointment's call
-- record (for the officer's follow-up and the hub's reports), and every step of it.
-- No media is ever recorded.

CREATE TABLE join_sessions (
    id_hash        BLOB PRIMARY KEY,
    appointment_id INTEGER NOT NULL REFERENCES appointments(id),
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE calls (
    appointment_id   INTEGER PRIMARY KEY REFERENCES appointments(id),
    officer_id       INTEGER NOT NULL REFERENCES officers(id),
    admitted_at      INTEGER,
    started_at       INTEGER,
    ended_at         INTEGER,
    planned_seconds  INTEGER NOT NULL,
    adjusted_seconds INTEGER NOT NULL DEFAULT 0,
    ended_by         TEXT CHECK (ended_by IN ('officer', 'timer', 'citizen')),
    message          TEXT
) STRICT;

CREATE TABLE call_events (
    id             INTEGER PRIMARY KEY,
    appointment_id INTEGER NOT NULL REFERENCES appointments(id),
    at             INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    actor          TEXT NOT NULL,
    detail         TEXT
) STRICT;
CREATE INDEX call_events_appointment ON call_events(appointment_id, at);
