-- Each station's newest health (see migrations/hub/0004).
CREATE TABLE station_health (
    station      TEXT PRIMARY KEY REFERENCES stations(code),
    health       TEXT NOT NULL,
    clock_offset BIGINT NOT NULL,
    received_at  BIGINT NOT NULL
);
