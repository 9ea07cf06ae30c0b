//! Officers' details as typed in the console, at set-up or on the CLI: checked once here.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use vappoint_domain::{Schedule, ScheduleError, WeeklyHours, clean_label};
use vappoint_store::NewOfficer;

use crate::console::password::{MIN_PASSWORD, hash_password};

/// What is wrong with an officer's details. Each message is shown as it is to the person who
/// typed them (the CLI prints it, set-up shows it on its page), so it says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum OfficerError {
    /// A name or rank (`clean_label`'s message).
    #[error("{0}")]
    Label(String),
    #[error("{0:?} is not an email address.")]
    Email(String),
    #[error("The password needs at least {MIN_PASSWORD} characters.")]
    Password,
    #[error("{0}")]
    Hours(#[from] ScheduleError),
    #[error("Minutes per appointment must be a number.")]
    SlotMinutes,
    #[error("{0:?} is not a date like 2026-12-25.")]
    DayOff(String),
    #[error("At most 366 days off.")]
    TooManyDaysOff,
    /// Not the person's fault: the password could not be hashed.
    #[error("{0:#}")]
    Internal(anyhow::Error),
}

pub fn parse_schedule(hours: &str, slot: &str, days_off: &str) -> Result<Schedule, OfficerError> {
    let hours: WeeklyHours = hours.parse()?;
    let slot: u16 = slot.trim().parse().map_err(|_| OfficerError::SlotMinutes)?;
    let mut off = BTreeSet::new();
    for d in days_off
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        off.insert(
            d.parse::<NaiveDate>()
                .map_err(|_| OfficerError::DayOff(d.to_string()))?,
        );
    }
    if off.len() > 366 {
        return Err(OfficerError::TooManyDaysOff);
    }
    Ok(Schedule::new(hours, slot, off)?)
}

/// Validates everything needed to add an officer (shared with the CLI).
pub fn new_officer(
    name: &str,
    rank: &str,
    email: &str,
    password: &str,
    hours: &str,
    slot: &str,
    is_admin: bool,
) -> Result<NewOfficer, OfficerError> {
    let name = clean_label(name, "Name").map_err(OfficerError::Label)?;
    let rank = clean_label(rank, "Rank").map_err(OfficerError::Label)?;
    let email = email.trim().to_string();
    if !vappoint_domain::booking::valid_email(&email) {
        return Err(OfficerError::Email(email));
    }
    if password.chars().count() < MIN_PASSWORD || password.len() > 1024 {
        return Err(OfficerError::Password);
    }
    let schedule = parse_schedule(hours, slot, "")?;
    let password_hash = hash_password(password).map_err(OfficerError::Internal)?;
    Ok(NewOfficer {
        name,
        rank,
        email,
        password_hash,
        is_admin,
        hours: schedule.hours,
        slot_minutes: schedule.slot_minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_fix() {
        let add = |email: &str, password: &str, hours: &str, slot: &str| {
            new_officer("A Patil", "PI", email, password, hours, slot, false)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let hours = "Mon-Fri 10:00-13:00";
        assert_eq!(
            add("a..b@x.in", "long enough password", hours, "15"),
            Err("\"a..b@x.in\" is not an email address.".into())
        );
        assert_eq!(
            add("a@x.in", "short", hours, "15"),
            Err(format!(
                "The password needs at least {MIN_PASSWORD} characters."
            ))
        );
        assert_eq!(
            add("a@x.in", "long enough password", hours, "x"),
            Err("Minutes per appointment must be a number.".into())
        );
        assert_eq!(
            parse_schedule(hours, "15", "2026-12-25 tomorrow").map_err(|e| e.to_string()),
            Err("\"tomorrow\" is not a date like 2026-12-25.".into())
        );
        assert_eq!(
            new_officer(
                " ",
                "PI",
                "a@x.in",
                "long enough password",
                hours,
                "15",
                false
            )
            .map_err(|e| e.to_string())
            .unwrap_err(),
            "Name needs 1 to 100 characters."
        );
    }
}
