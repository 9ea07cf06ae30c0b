-- Abuse of bookings and mail (issue 11). Where a booking or a mail came from is kept as a
-- keyed tag (an HMAC under the station's secret), never as the address: enough to count a
-- sender's bookings, document bytes and mails, useless to anyone who copies the database.
-- `source_tag` is the address (IPv4) or its /64 (IPv6); `network_tag` its /24 or /64.

ALTER TABLE appointments ADD COLUMN source_tag BLOB;
ALTER TABLE appointments ADD COLUMN network_tag BLOB;
-- One network's share of an officer's day.
CREATE INDEX appointments_network_day
    ON appointments(officer_id, local_day, network_tag) WHERE status = 'booked';
-- A sender's and everyone's document bytes of the last day.
CREATE INDEX appointments_source_created ON appointments(source_tag, created_at);
CREATE INDEX appointments_created ON appointments(created_at);

-- Mail caps: per recipient and per sender, over the last day.
ALTER TABLE outbox ADD COLUMN source_tag BLOB;
CREATE INDEX outbox_recipient_created ON outbox(lower(to_addr), created_at);
CREATE INDEX outbox_source_created ON outbox(source_tag, created_at);

-- Idempotency keys are scoped to what the request asked for: the key's hash and a digest of
-- the request's content (email, officer, start). A key seen with other content is a conflict,
-- never the first request's booking. Keys are deleted after a day by the tidy task. The old
-- table's keys were global; they are dropped (a retry older than this upgrade books anew).
DROP TABLE idempotency;
CREATE TABLE idempotency (
    key_hash       BLOB PRIMARY KEY,
    content        BLOB NOT NULL,
    appointment_id INTEGER NOT NULL REFERENCES appointments(id),
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX idempotency_created ON idempotency(created_at);
