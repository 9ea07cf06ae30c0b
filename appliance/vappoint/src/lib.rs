//! The V-Appointment station as a library: the `vappoint` binary is a thin shell around
//! [`cli::main`], and integration tests start stations in-process with [`station::start`].

// Handlers return `Result<_, Response>`: an axum response is the natural error of a handler.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod config;
pub mod console;
mod db;
pub mod discovery;
pub mod federation;
pub mod hub;
mod ice;
mod lan;
mod limits;
mod metrics;
pub mod release;
mod secrets;
pub mod server;
mod site;
pub mod station;
mod ui;
