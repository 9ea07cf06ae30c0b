//! The config file: any text gives a checked config or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = vappoint::config::Config::parse(text);
});
