//! Set-up mode: the box is in it exactly while it has no admin officer. Until then it serves
//! only the set-up page, only to the LAN, and only to someone who knows the one-time set-up
//! code (written to the boot partition by the Pi's first boot, or to the data dir elsewhere).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;

/// Where the set-up code lives, and whether set-up is over.
pub struct Setup {
    code_file: PathBuf,
    /// `DATA/setup-done`, written once set-up is over: on the Pi, `vappoint-setup-done.path`
    /// then removes the code from the boot partition and the login prompt, which this
    /// sandboxed process may not write.
    done_marker: PathBuf,
    /// Latches: once an admin exists the station never goes back to set-up mode (the last
    /// admin cannot be removed), so requests stop asking the database.
    done: AtomicBool,
}

impl Setup {
    /// `code_file` is the operator's file (`--setup-code-file`) or `DATA/setup-code`.
    pub fn new(code_file: PathBuf, data_dir: &Path, done: bool) -> Setup {
        let setup = Setup {
            code_file,
            done_marker: data_dir.join("setup-done"),
            done: AtomicBool::new(done),
        };
        if done {
            // A box set up before the code was forgotten, or by an admin made on the command
            // line while it was stopped.
            setup.forget_code();
        }
        setup
    }

    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    pub fn mark_done(&self) {
        if !self.done.swap(true, Ordering::AcqRel) {
            self.forget_code();
        }
    }

    /// A used set-up code must not lie around (on the card, on the console): removes the
    /// code file if this process may, and leaves the marker for the one that may.
    fn forget_code(&self) {
        if !self.done_marker.exists()
            && let Err(e) = crate::secrets::write_private(&self.done_marker, b"")
        {
            tracing::error!(error = format!("{e:#}"), path = %self.done_marker.display(), "marking set-up as done");
        }
        match std::fs::remove_file(&self.code_file) {
            Ok(()) => {
                tracing::info!(path = %self.code_file.display(), "removed the used set-up code")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // The boot partition is read-only to the sandboxed service.
            Err(e) => {
                tracing::debug!(error = %e, path = %self.code_file.display(), "set-up code left to the system to remove")
            }
        }
    }

    pub fn code_file(&self) -> &Path {
        &self.code_file
    }

    /// The code as written in its file, read each time: on the Pi the first-boot unit writes
    /// it, and an operator may replace it by editing the file on the card.
    pub fn code(&self) -> anyhow::Result<String> {
        let text = std::fs::read_to_string(&self.code_file).with_context(|| {
            format!("reading the set-up code from {}", self.code_file.display())
        })?;
        let code = normalise(&text);
        if code.len() < 8 {
            anyhow::bail!(
                "the set-up code in {} is shorter than 8 characters",
                self.code_file.display()
            );
        }
        Ok(code)
    }

    /// Whether `given` is the set-up code (spaces and dashes ignored, constant time).
    pub fn accepts(&self, given: &str) -> anyhow::Result<bool> {
        let code = self.code()?;
        Ok(crate::console::password::same(&code, &normalise(given)))
    }
}

/// Makes a fresh code in `path` unless one is there: 12 random digits, grouped
/// in fours so it can be read off a console and typed on a phone.
pub fn ensure_code(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    use rand::Rng;
    // rand's thread generator is a CSPRNG seeded from the OS (as the booking tokens use).
    let mut rng = rand::rng();
    let digits: String = (0..12)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect();
    let grouped = format!("{} {} {}\n", &digits[..4], &digits[4..8], &digits[8..]);
    crate::secrets::write_private(path, grouped.as_bytes())
        .with_context(|| format!("writing the set-up code to {}", path.display()))
}

/// Digits and letters only, upper case: "4821 0937-5512" and "482109375512" are the same code.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_made_once_and_read_loosely() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("setup-code");
        ensure_code(&path).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        ensure_code(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
        let digits: String = first.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(digits.len(), 12);

        let setup = Setup::new(path, dir.path(), false);
        let dashed = format!("{}-{}-{}", &digits[..4], &digits[4..8], &digits[8..]);
        assert!(setup.accepts(&dashed).unwrap());
        assert!(setup.accepts(&format!(" {digits} ")).unwrap());
        assert!(!setup.accepts(&digits[..11]).unwrap());
        assert!(!setup.accepts("").unwrap());
    }

    #[test]
    fn a_used_code_is_removed_and_set_up_marked_done() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("setup-code");
        ensure_code(&path).unwrap();
        let setup = Setup::new(path.clone(), dir.path(), false);
        assert!(path.exists() && !dir.path().join("setup-done").exists());
        setup.mark_done();
        assert!(setup.is_done());
        assert!(!path.exists());
        assert!(dir.path().join("setup-done").exists());
    }

    #[test]
    fn a_missing_or_short_code_file_is_an_error_not_a_match() {
        let dir = tempfile::tempdir().unwrap();
        let missing = Setup::new(dir.path().join("nope"), dir.path(), false);
        assert!(missing.accepts("").is_err());
        std::fs::write(dir.path().join("short"), "12 34\n").unwrap();
        let short = Setup::new(dir.path().join("short"), dir.path(), false);
        assert!(short.accepts("1234").is_err());
    }
}
