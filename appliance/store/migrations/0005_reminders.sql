-- Reminder emails: at most one per appointment, written in the transaction that books or
-- moves it, sealed like outbox mail (it carries the join link, which the database never
-- keeps in clear). When `due_at` comes, the outbox worker moves it into the outbox in one
-- transaction (so a crash neither loses nor doubles it); cancelling or moving the appointment
-- deletes it in the transaction that changes the appointment.

CREATE TABLE reminders (
    appointment_id INTEGER PRIMARY KEY REFERENCES appointments(id),
    due_at         INTEGER NOT NULL,
    message_id     TEXT NOT NULL UNIQUE,
    to_addr        TEXT NOT NULL,
    sealed         BLOB NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX reminders_due ON reminders(due_at);
