//! Booking rules of a station, free of IO: schedules and slots, what a valid booking is,
//! when a token may be used, what a document may be. Every function that depends on the
//! time takes `now` as a parameter, so the rules are tested without a clock.

pub mod booking;
pub mod call;
pub mod document;
pub mod retention;
pub mod schedule;
pub mod token;

pub use booking::{
    AppointmentStatus, BookingForm, BookingInput, Outcome, ReasonCategory, ValidationError,
};
pub use document::DocumentKind;
pub use schedule::{Schedule, ScheduleError, Slot, WeeklyHours};

/// Checks a name or rank as typed in the console or the CLI.
pub fn clean_label(s: &str, what: &str) -> Result<String, String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() || s.chars().count() > 100 || s.chars().any(char::is_control) {
        return Err(format!("{what} needs 1 to 100 characters."));
    }
    Ok(s)
}
