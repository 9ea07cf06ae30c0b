-- Names of a station and its localities in other scripts (see migrations/hub/0002).
ALTER TABLE stations ADD COLUMN aliases TEXT NOT NULL DEFAULT '{}';
