-- The per-sender mail cap (issue 15): a counter per sender and hour, instead of counting the
-- sender's outbox rows of the last day on every booking (a count that grew with every mail
-- the sender had caused). The cap reads the last 25 hourly counters: never less than a day.
-- `outbox.source_tag` is still written, so a release rolled back to still counts its way.
CREATE TABLE mail_counts (
    source_tag BLOB NOT NULL,
    -- Hours since the epoch (UTC) of the mails counted.
    hour       INTEGER NOT NULL,
    mails      INTEGER NOT NULL,
    PRIMARY KEY (source_tag, hour)
) STRICT, WITHOUT ROWID;

INSERT INTO mail_counts(source_tag, hour, mails)
    SELECT source_tag, created_at / 3600, count(*) FROM outbox
    WHERE source_tag IS NOT NULL AND created_at > unixepoch() - 2 * 86400
    GROUP BY source_tag, created_at / 3600;
