-- The heads of each station's audit log (seq and hash; nothing else of the log leaves a
-- station), the newest of each day kept: a station whose log was rewritten later disagrees
-- with one of these (`vappoint station audit verify --hub-head SEQ:HASH`).
CREATE TABLE audit_heads (
    station     TEXT NOT NULL REFERENCES stations(code),
    day         TEXT NOT NULL,           -- UTC day it was received
    seq         INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (station, day)
) STRICT;
