-- Stations' backups, kept for a replacement box. The hub cannot read them: each is an age
-- file encrypted to the station's recovery key, which never reaches the hub. The files are
-- in DATA/backups/<station>/; a row names one.
CREATE TABLE backups (
    id         INTEGER PRIMARY KEY,
    station    TEXT NOT NULL REFERENCES stations(code),
    file       TEXT NOT NULL UNIQUE,    -- relative to DATA/backups/
    bytes      INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    stored_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX backups_station ON backups(station, stored_at);

-- One-time codes that let a brand-new box fetch a station's newest backup and take over its
-- identity (24 hours, single use). The key is derived from the code, as for enrolment.
CREATE TABLE replacement_codes (
    station     TEXT PRIMARY KEY REFERENCES stations(code),
    key         BLOB NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;

-- Client certificates a replacement took over from: refused from then on, like a revoked
-- station, while the station itself goes on with its new certificate.
CREATE TABLE retired_certs (
    cert_sha256 TEXT PRIMARY KEY,
    station     TEXT NOT NULL REFERENCES stations(code),
    retired_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
