//! The weekly-hours form of an officer ("Mon-Sat 11:00-13:00"), its slot minutes and days
//! off, one per line: a schedule or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut lines = text.splitn(3, '\n');
    let hours = lines.next().unwrap_or("");
    let slot = lines.next().unwrap_or("");
    let days_off = lines.next().unwrap_or("");
    let _ = vappoint::station::officers::parse_schedule(hours, slot, days_off);
});
