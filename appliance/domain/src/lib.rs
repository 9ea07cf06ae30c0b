//! Booking rules of a station, free of IO: schedules and slots, what a valid booking is,
//! when a token may be used, what a document may be. Every function that depends on the
//! time takes `now` as a parameter, so the rules are tested without a clock.

pub mod booking;
pub mod call;
pub mod document;
pub mod schedule;
pub mod token;

pub use booking::{
    AppointmentStatus, BookingForm, BookingInput, Outcome, ReasonCategory, ValidationError,
};
pub use document::DocumentKind;
pub use schedule::{Schedule, ScheduleError, Slot, WeeklyHours};
