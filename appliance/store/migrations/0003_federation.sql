-- What the station owes the hub: a gapless, durable queue of messages, and the (officer, day)
-- pairs whose figures changed since the last snapshot.

CREATE TABLE federation_queue (
    seq        INTEGER PRIMARY KEY,   -- 1, 2, 3, ... never reused (AUTOINCREMENT-free: rows are only deleted from the front)
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,         -- JSON
    created_at INTEGER NOT NULL
) STRICT;

-- The last sequence number handed out and the last one the hub acknowledged.
CREATE TABLE federation_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    next_seq  INTEGER NOT NULL,
    acked_seq INTEGER NOT NULL
) STRICT;
INSERT INTO federation_state(id, next_seq, acked_seq) VALUES (1, 1, 0);

CREATE TABLE federation_dirty (
    officer_id INTEGER NOT NULL,
    day        TEXT NOT NULL,
    PRIMARY KEY (officer_id, day)
) STRICT;

-- Every change that moves a day's figures marks that (officer, day), in the same transaction.
CREATE TRIGGER federation_booked AFTER INSERT ON appointments BEGIN
    INSERT OR IGNORE INTO federation_dirty(officer_id, day) VALUES (NEW.officer_id, NEW.local_day);
END;
CREATE TRIGGER federation_changed AFTER UPDATE OF status, start_at, local_day, outcome, checked_in_at ON appointments BEGIN
    INSERT OR IGNORE INTO federation_dirty(officer_id, day) VALUES (NEW.officer_id, NEW.local_day);
    INSERT OR IGNORE INTO federation_dirty(officer_id, day) VALUES (OLD.officer_id, OLD.local_day);
END;
CREATE TRIGGER federation_call AFTER UPDATE OF started_at, ended_at ON calls BEGIN
    INSERT OR IGNORE INTO federation_dirty(officer_id, day)
        SELECT officer_id, local_day FROM appointments WHERE id = NEW.appointment_id;
END;
