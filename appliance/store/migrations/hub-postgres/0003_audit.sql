-- The heads of each station's audit log, the newest of each day (see migrations/hub/0003).
CREATE TABLE audit_heads (
    station     TEXT NOT NULL REFERENCES stations(code),
    day         TEXT NOT NULL,           -- UTC day it was received
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (station, day)
);
