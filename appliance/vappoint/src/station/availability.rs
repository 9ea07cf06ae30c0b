//! Free and taken slots: the officer's schedule minus the database's bookings. Only the
//! database can fail here, so its error is the one returned.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use vappoint_domain::Slot;
use vappoint_store::{Officer, StoreError};

use crate::station::app::App;

/// How far ahead the station page looks for free times.
pub const LOOKAHEAD_DAYS: i64 = 14;

/// The officers citizens are shown: those with weekly hours. An officer with none (an admin
/// who said at set-up they take no appointments) offers no slot, so listing them would only
/// promise what cannot be booked.
pub fn listed(officers: Vec<Officer>) -> Vec<Officer> {
    officers
        .into_iter()
        .filter(|o| !o.schedule.hours.is_empty())
        .collect()
}

/// A day's slots with whether each can still be booked.
pub async fn day(
    app: &Arc<App>,
    officer: &Officer,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<(Slot, bool)>, StoreError> {
    let slots = officer.schedule.slots_on(date, app.tz());
    let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
        return Ok(Vec::new());
    };
    let (id, from, to) = (officer.id, first.start, last.end);
    let taken: HashSet<DateTime<Utc>> = app
        .db(move |s| s.booked_starts(id, from, to))
        .await?
        .into_iter()
        .collect();
    Ok(slots
        .into_iter()
        .map(|s| (s, s.start > now && !taken.contains(&s.start)))
        .collect())
}

/// The next `per_day` free slots on each of the next `days` days that have any, looking at
/// most `LOOKAHEAD_DAYS` ahead.
pub async fn next_free(
    app: &Arc<App>,
    officer: &Officer,
    now: DateTime<Utc>,
    days: usize,
    per_day: usize,
) -> Result<Vec<(NaiveDate, Vec<Slot>)>, StoreError> {
    let tz = app.tz();
    let id = officer.id;
    let until = now + Duration::days(LOOKAHEAD_DAYS + 1);
    let taken: HashSet<DateTime<Utc>> = app
        .db(move |s| s.booked_starts(id, now, until))
        .await?
        .into_iter()
        .collect();
    let today = now.with_timezone(&tz).date_naive();
    let mut out = Vec::new();
    for d in 0..=LOOKAHEAD_DAYS {
        let date = today + Duration::days(d);
        let free: Vec<Slot> = officer
            .schedule
            .slots_on(date, tz)
            .into_iter()
            .filter(|s| s.start > now && !taken.contains(&s.start))
            .take(per_day)
            .collect();
        if !free.is_empty() {
            out.push((date, free));
            if out.len() == days {
                break;
            }
        }
    }
    Ok(out)
}
