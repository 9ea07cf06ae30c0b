-- What people call a station and its localities in other scripts, per language, so a search
-- in Devanagari finds them: a JSON object, language -> names, e.g.
-- {"mr": ["डेक्कन जिमखाना", "कर्वे रस्ता"], "hi": ["डेक्कन जिमखाना", "कर्वे रोड"]}.
ALTER TABLE stations ADD COLUMN aliases TEXT NOT NULL DEFAULT '{}';
