//! What the officer console, set-up and the hub console share: passwords (and, to come,
//! cookies, sessions, CSRF-checked forms and the console's error answer).

pub mod password;
