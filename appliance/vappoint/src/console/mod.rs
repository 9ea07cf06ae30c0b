//! What the officer console, set-up and the hub console share: passwords, cookies, sessions
//! generic over who is logged in, CSRF-checked typed forms, one login flow and the console's
//! error answer. Neither station nor hub code is imported here: each site implements
//! `session::Account` for its own kind of user.

pub mod cookies;
pub mod csrf;
pub mod error;
pub mod login;
pub mod password;
pub mod session;

pub use csrf::{AdminForm, CsrfForm};
pub use error::ConsoleError;
pub use session::{Account, Session};
