-- The commissionerate hub's database: enrolled stations, their officers, and the figures they
-- push. It holds no personal data of citizens: the stations never send any.

CREATE TABLE stations (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    zone            TEXT NOT NULL,
    booking_url     TEXT NOT NULL,
    localities      TEXT NOT NULL DEFAULT '[]',   -- JSON array of names
    enrol_key       BLOB,                         -- SHA-256 of the one-time code, until used
    enrol_expires   INTEGER,
    cert_sha256     TEXT UNIQUE,                  -- of the client certificate, once enrolled
    enrolled_at     INTEGER,
    revoked_at      INTEGER,
    last_seen       INTEGER,
    last_seq        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
) STRICT;

-- Digests of each station's recent messages, to tell a harmless re-send (same number, same
-- digest) from a replayed or altered one. Only a window of recent numbers is kept.
CREATE TABLE applied (
    station TEXT NOT NULL REFERENCES stations(code),
    seq     INTEGER NOT NULL,
    digest  TEXT NOT NULL,
    PRIMARY KEY (station, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE officers (
    station    TEXT NOT NULL REFERENCES stations(code),
    officer_id INTEGER NOT NULL,
    name       TEXT NOT NULL,
    rank       TEXT NOT NULL,
    PRIMARY KEY (station, officer_id)
) STRICT;

CREATE TABLE availability (
    station    TEXT NOT NULL REFERENCES stations(code),
    officer_id INTEGER NOT NULL,
    day        TEXT NOT NULL,
    offered    INTEGER NOT NULL,
    free       INTEGER NOT NULL,
    next_free  INTEGER,
    PRIMARY KEY (station, officer_id, day)
) STRICT;

CREATE TABLE daily (
    station          TEXT NOT NULL REFERENCES stations(code),
    officer_id       INTEGER NOT NULL,
    day              TEXT NOT NULL,
    offered          INTEGER NOT NULL,
    booked           INTEGER NOT NULL,
    completed        INTEGER NOT NULL,
    no_show          INTEGER NOT NULL,
    cancelled        INTEGER NOT NULL,
    wait_seconds_sum INTEGER NOT NULL,
    wait_count       INTEGER NOT NULL,
    call_seconds_sum INTEGER NOT NULL,
    call_count       INTEGER NOT NULL,
    reasons          TEXT NOT NULL,             -- JSON object: category -> count
    PRIMARY KEY (station, officer_id, day)
) STRICT;
CREATE INDEX daily_day ON daily(day, station);

CREATE TABLE admins (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE admin_sessions (
    id_hash      BLOB PRIMARY KEY,
    admin_id     INTEGER NOT NULL REFERENCES admins(id),
    csrf         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
