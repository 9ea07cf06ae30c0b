-- Update bundles the hub offers its stations (`vappoint hub publish-update`). The bundle
-- itself is a file in the hub's data dir, `updates/<id>.bundle`, named by its SHA-256 (`id`).
-- A station is offered the newest one for its CPU whose `zone` (none: every zone) is its own
-- and whose `percent` takes it in (a hash of its code below it: a staged roll-out).
-- Publishing the same bundle again changes its zone and percent.
CREATE TABLE updates (
    id           TEXT PRIMARY KEY,
    version      TEXT NOT NULL,
    arch         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    zone         TEXT,
    percent      INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    published_at INTEGER NOT NULL
) STRICT;
