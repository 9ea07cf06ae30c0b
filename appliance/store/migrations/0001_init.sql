-- The station's first schema. Times are Unix seconds (UTC); local days are 'YYYY-MM-DD' in the
-- station's time zone, computed by the application.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE officers (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    rank          TEXT NOT NULL,
    email         TEXT NOT NULL COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    hours         TEXT NOT NULL,
    slot_minutes  INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 60),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    INTEGER NOT NULL
) STRICT;
-- Removed officers stay (their appointments refer to them) but free their email.
CREATE UNIQUE INDEX officers_active_email ON officers(email) WHERE active = 1;

CREATE TABLE days_off (
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    day        TEXT NOT NULL,
    PRIMARY KEY (officer_id, day)
) STRICT;

CREATE TABLE appointments (
    id              INTEGER PRIMARY KEY,
    reference       TEXT NOT NULL UNIQUE,
    link_hash       BLOB NOT NULL UNIQUE,
    officer_id      INTEGER NOT NULL REFERENCES officers(id),
    start_at        INTEGER NOT NULL,
    end_at          INTEGER NOT NULL CHECK (end_at > start_at),
    local_day       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('booked', 'cancelled')),
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    email_key       TEXT NOT NULL,
    mobile          TEXT,
    reason_category TEXT NOT NULL,
    reason          TEXT NOT NULL,
    lang            TEXT NOT NULL,
    token_mac       BLOB NOT NULL,
    token_tries     INTEGER NOT NULL DEFAULT 0,
    checked_in_at   INTEGER,
    outcome         TEXT,
    outcome_at      INTEGER,
    outcome_by      INTEGER REFERENCES officers(id),
    sequence        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    cancelled_at    INTEGER
) STRICT;
-- The database, not only the code, keeps a slot to one active booking...
CREATE UNIQUE INDEX appointments_one_per_slot
    ON appointments(officer_id, start_at) WHERE status = 'booked';
-- ...and a citizen to one active booking per officer per day.
CREATE UNIQUE INDEX appointments_one_per_email_day
    ON appointments(officer_id, email_key, local_day) WHERE status = 'booked';
CREATE INDEX appointments_day ON appointments(local_day, officer_id, start_at);

CREATE TABLE token_issues (
    appointment_id INTEGER NOT NULL REFERENCES appointments(id),
    issued_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX token_issues_appointment ON token_issues(appointment_id, issued_at);

CREATE TABLE documents (
    id             INTEGER PRIMARY KEY,
    appointment_id INTEGER NOT NULL REFERENCES appointments(id),
    ordinal        INTEGER NOT NULL,
    file_name      TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('pdf', 'jpg', 'png')),
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    stored_name    TEXT NOT NULL UNIQUE,
    UNIQUE (appointment_id, ordinal)
) STRICT;

CREATE TABLE notes (
    id             INTEGER PRIMARY KEY,
    appointment_id INTEGER NOT NULL REFERENCES appointments(id),
    officer_id     INTEGER NOT NULL REFERENCES officers(id),
    body           TEXT NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX notes_appointment ON notes(appointment_id, created_at);

-- Mail waits here, written in the same transaction as the change it announces.
-- `sealed` holds the encrypted message (it may carry a token) until it is delivered.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,
    appointment_id  INTEGER REFERENCES appointments(id),
    kind            TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    sealed          BLOB,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'spooled', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE idempotency (
    key            TEXT PRIMARY KEY,
    appointment_id INTEGER NOT NULL REFERENCES appointments(id),
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    id_hash      BLOB PRIMARY KEY,
    officer_id   INTEGER NOT NULL REFERENCES officers(id),
    csrf         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;
