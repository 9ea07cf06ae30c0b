-- Retention (store/src/retention.rs): what the box keeps of a citizen, and for how long.
-- An officer may hold an appointment ("keep: FIR registered"); retention skips it until the
-- hold is released. The hold's reason is the officer's, a short note, not the citizen's words.
ALTER TABLE appointments ADD COLUMN held_reason TEXT;
ALTER TABLE appointments ADD COLUMN held_by INTEGER REFERENCES officers(id);
ALTER TABLE appointments ADD COLUMN held_at INTEGER;
-- When the citizen's name, email, mobile and reason were removed (the row stays, with its
-- officer, time, status and category, so the station's and the hub's figures do not change).
ALTER TABLE appointments ADD COLUMN personal_removed_at INTEGER;
-- When a document's file was removed (the row stays so the console can say so, without the
-- file's name, which the citizen chose).
ALTER TABLE documents ADD COLUMN removed_at INTEGER;
CREATE INDEX appointments_end ON appointments(end_at);
