//! Mail to citizens: composing the messages (in the citizen's language, with an `.ics`
//! attachment), and the worker that delivers the outbox to the relay or the spool folder.

mod compose;
mod outbox;

pub use compose::{Compose, MailKind, calendar, compose};
pub use outbox::run_worker;
