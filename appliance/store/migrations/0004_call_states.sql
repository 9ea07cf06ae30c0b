-- How an appointment ended. `status` keeps saying whether the slot is held ('booked') or
-- given back ('cancelled'): the partial unique indexes, the federation triggers and figures
-- key on it, and a finished appointment did use its slot. So the end of its call is a column
-- of its own: 'done' (the officer or the timer closed the call) or 'ended_early' (the citizen
-- left with time still left). A no-show is not stored: it follows from the clock (the slot
-- is over and nobody checked in) and is computed when read (vappoint-domain `call::status_at`).

ALTER TABLE appointments ADD COLUMN final_state TEXT CHECK (final_state IN ('done', 'ended_early'));
ALTER TABLE appointments ADD COLUMN final_at INTEGER;

-- Calls that ended before this migration end their appointments the same way.
UPDATE appointments
SET final_state = CASE WHEN c.ended_by = 'citizen' THEN 'ended_early' ELSE 'done' END,
    final_at = c.ended_at
FROM calls c
WHERE c.appointment_id = appointments.id AND c.ended_at IS NOT NULL AND appointments.status = 'booked';
