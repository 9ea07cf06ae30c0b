-- Update bundles the hub offers its stations (see migrations/hub/0005). The bundles are
-- files in each hub's data dir.
CREATE TABLE updates (
    id           TEXT PRIMARY KEY,
    version      TEXT NOT NULL,
    arch         TEXT NOT NULL,
    size         BIGINT NOT NULL,
    zone         TEXT,
    percent      BIGINT NOT NULL CHECK (percent BETWEEN 0 AND 100),
    published_at BIGINT NOT NULL
);
