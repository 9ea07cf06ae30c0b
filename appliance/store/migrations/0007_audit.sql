-- The audit log (store/src/audit.rs): a hash chain of who looked at or changed what. Ids only:
-- no names, reasons or emails. Rows are only ever appended.
CREATE TABLE audit (
    seq     INTEGER PRIMARY KEY,     -- from 1, gapless
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,           -- 'officer:<id>', 'system' or 'unknown'
    action  TEXT NOT NULL,
    subject TEXT,                    -- 'appointment:<id>', 'document:<id>', 'officer:<id>', ...
    hash    BLOB NOT NULL            -- SHA-256(previous hash || canonical entry)
) STRICT;

-- One-time data steps run by the code after the migrations (they need the data key, which
-- SQL does not have): 'seal_text' seals the reasons and notes of a box that kept them plain.
CREATE TABLE data_steps (
    name    TEXT PRIMARY KEY,
    done_at INTEGER NOT NULL
) STRICT;
