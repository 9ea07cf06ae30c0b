//! Officers' details as typed in the console, at set-up or on the CLI: checked once here.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use vappoint_domain::{Schedule, WeeklyHours, clean_label};
use vappoint_store::NewOfficer;

use crate::console::password::{MIN_PASSWORD, hash_password};

pub fn parse_schedule(hours: &str, slot: &str, days_off: &str) -> Result<Schedule, String> {
    let hours: WeeklyHours = hours.parse().map_err(|e| format!("{e}"))?;
    let slot: u16 = slot
        .trim()
        .parse()
        .map_err(|_| "Minutes per appointment must be a number.".to_string())?;
    let mut off = BTreeSet::new();
    for d in days_off
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        off.insert(
            d.parse::<NaiveDate>()
                .map_err(|_| format!("{d:?} is not a date like 2026-12-25."))?,
        );
    }
    if off.len() > 366 {
        return Err("At most 366 days off.".into());
    }
    Schedule::new(hours, slot, off).map_err(|e| e.to_string())
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
) -> Result<NewOfficer, String> {
    let name = clean_label(name, "Name")?;
    let rank = clean_label(rank, "Rank")?;
    let email = email.trim().to_string();
    if !vappoint_domain::booking::valid_email(&email) {
        return Err(format!("{email:?} is not an email address."));
    }
    if password.chars().count() < MIN_PASSWORD || password.len() > 1024 {
        return Err(format!(
            "The password needs at least {MIN_PASSWORD} characters."
        ));
    }
    let schedule = parse_schedule(hours, slot, "")?;
    let password_hash = hash_password(password).map_err(|e| e.to_string())?;
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
