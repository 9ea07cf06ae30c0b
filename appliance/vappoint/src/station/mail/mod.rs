//! Mail to citizens: composing the messages (in the citizen's language, with an `.ics`
//! attachment), the worker that delivers the outbox to the relay or the spool folder, and
//! whether mail reaches people at all (the console's banner).

mod compose;
pub mod health;
mod outbox;

pub use compose::{Compose, MailKind, calendar, compose, compose_test};
pub use outbox::{expire_spool, run_worker};
