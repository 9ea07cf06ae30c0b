-- Backups (the binary's station/backup.rs): one row per backup the station made, nightly or
-- on an admin's request, with where it went. The Station page shows the last ones, and the
-- last good one rides on every push to the hub as part of the box's health.
CREATE TABLE backups (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,          -- when it was started
    bytes    INTEGER NOT NULL,          -- the encrypted file's size (0 when it was not made)
    millis   INTEGER NOT NULL,          -- how long it took to write and send
    hub      TEXT NOT NULL,             -- 'ok', 'none' (no hub), or why it failed
    usb      TEXT NOT NULL              -- 'ok', 'none' (no stick), or why it failed
) STRICT;
CREATE INDEX backups_at ON backups(at);
