-- Each station's newest health, as its last push carried it (vappoint_wire::federation::Health,
-- JSON): about the box only, no citizen. `clock_offset` is how many seconds the station's
-- clock was ahead of the hub's when it was received.
CREATE TABLE station_health (
    station      TEXT PRIMARY KEY REFERENCES stations(code),
    health       TEXT NOT NULL,
    clock_offset INTEGER NOT NULL,
    received_at  INTEGER NOT NULL
) STRICT;
