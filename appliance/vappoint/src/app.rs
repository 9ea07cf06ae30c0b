//! The state every request shares: configuration, database, keys, pages, limits, and the
//! station's profile (name, code, zone, time zone).

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use chrono_tz::Tz;
use vappoint_store::{Store, StoreError};

use crate::calls::CallHub;
use crate::config::{Config, parse_tz};
use crate::limits::RateLimits;
use crate::secrets::Secrets;
use crate::ui::Ui;

/// Who the station is. Each field comes from the config file when set there (and is then
/// fixed), else from what the admin saved in the console, else a plain default.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Profile {
    pub name: String,
    pub code: String,
    pub zone: String,
    #[serde(skip)]
    pub tz: Tz,
    pub time_zone: String,
}

pub const PROFILE_FIELDS: &[(&str, &str)] = &[
    ("name", "Station name"),
    (
        "code",
        "Station code (2-12 letters or digits, used in references)",
    ),
    ("zone", "Zone"),
    ("time_zone", "Time zone (e.g. Asia/Kolkata)"),
];

impl Profile {
    pub fn load(config: &Config, store: &Store) -> anyhow::Result<Profile> {
        let c = &config.station;
        let get = |fixed: &Option<String>, key: &str, default: &str| -> anyhow::Result<String> {
            Ok(match fixed {
                Some(v) => v.clone(),
                None => store
                    .setting(&format!("station.{key}"))?
                    .unwrap_or_else(|| default.to_string()),
            })
        };
        let time_zone = get(&c.time_zone, "time_zone", "Asia/Kolkata")?;
        Ok(Profile {
            name: get(&c.name, "name", "Police Station")?,
            code: get(&c.code, "code", "PS")?,
            zone: get(&c.zone, "zone", "City")?,
            tz: parse_tz(&time_zone)?,
            time_zone,
        })
    }

    /// Whether the config file fixes this field.
    pub fn locked(config: &Config, key: &str) -> bool {
        let c = &config.station;
        match key {
            "name" => c.name.is_some(),
            "code" => c.code.is_some(),
            "zone" => c.zone.is_some(),
            "time_zone" => c.time_zone.is_some(),
            _ => true,
        }
    }
}

pub struct App {
    pub config: Config,
    pub store: Arc<Store>,
    pub secrets: Secrets,
    pub ui: Ui,
    pub limits: RateLimits,
    pub profile: RwLock<Profile>,
    /// Wakes the mail worker when a message is queued.
    pub mail_wake: tokio::sync::Notify,
    pub data_dir: PathBuf,
    /// Base of the links in emails, e.g. `https://192.168.1.20:8443`.
    pub public_url: String,
    /// Live calls and the video bridge.
    pub calls: CallHub,
}

impl App {
    pub fn profile(&self) -> Profile {
        self.profile
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn tz(&self) -> Tz {
        self.profile.read().unwrap_or_else(|e| e.into_inner()).tz
    }

    pub fn documents_dir(&self) -> PathBuf {
        self.data_dir.join("documents")
    }

    pub fn spool_dir(&self) -> PathBuf {
        self.data_dir.join("spool")
    }

    /// Runs a blocking database call off the async threads.
    pub async fn db<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}
