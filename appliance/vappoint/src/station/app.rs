//! The state every request shares: configuration, database, keys, pages, limits, set-up
//! state, and the station's profile (name, code, zone, time zone, phone, address, public
//! address, mail).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use chrono_tz::Tz;
use vappoint_store::{Store, StoreError};

use crate::config::{Config, DEFAULT_FROM, PublicMode, RelayConfig, parse_tz};
use crate::limits::RateLimits;
use crate::secrets::Secrets;
use crate::server::acme::Acme;
use crate::server::certs::Certs;
use crate::server::tls::Tls;
use crate::station::availability::{DayCache, DayJson};
use crate::station::calls::CallHub;
use crate::station::documents::DocumentsDir;
use crate::station::setup::Setup;
use crate::station::turn::HubTurn;
use crate::ui::Ui;
use vappoint_wire::signal::IceServer;

/// Who the station is and how it reaches people. Each field comes from the config file when
/// set there (and is then fixed), else from what set-up or the admin saved, else a default.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Profile {
    pub name: String,
    pub code: String,
    pub zone: String,
    #[serde(skip)]
    pub tz: Tz,
    pub time_zone: String,
    /// How citizens reach the station itself (every citizen page and email shows them);
    /// empty until set-up or the admin gives them.
    pub phone: String,
    pub address: String,
    /// Base of the links in emails, e.g. `https://dgp.punepolice.example`.
    pub public_url: String,
    #[serde(skip)]
    pub mail_from: String,
    /// Never serialised: pages get the profile, and the relay holds a password.
    #[serde(skip)]
    pub relay: Option<RelayConfig>,
    /// How citizens reach the box (`[public] mode`, else set-up or the Station page).
    pub public_mode: PublicMode,
    /// The box's own public name in `direct` mode (`[public] host`, else saved).
    pub direct_host: Option<String>,
}

/// Settings keys of what set-up and the admin's Station page save.
pub const PUBLIC_URL_KEY: &str = "station.public_url";
pub const MAIL_FROM_KEY: &str = "mail.from";
/// The relay as JSON, its password sealed with the box's key (see `secrets.rs`).
pub const RELAY_KEY: &str = "mail.relay";
/// How citizens reach the box (`lan`, `direct`, `relay`) and its public name in `direct`.
pub const PUBLIC_MODE_KEY: &str = "public.mode";
pub const PUBLIC_HOST_KEY: &str = "public.host";

/// The station's own settings, in the order the forms ask them; each one's label is the
/// translation `station-field-<key>`.
pub const PROFILE_FIELDS: &[&str] = &["name", "code", "zone", "time_zone", "phone", "address"];

impl Profile {
    /// `default_url` is used when neither the config nor set-up named a public address.
    pub fn load(
        config: &Config,
        store: &Store,
        secrets: &Secrets,
        default_url: &str,
    ) -> anyhow::Result<Profile> {
        let c = &config.station;
        let get = |fixed: &Option<String>, key: &str, default: &str| -> anyhow::Result<String> {
            Ok(match fixed {
                Some(v) => v.clone(),
                None => store
                    .setting(&format!("station.{key}"))?
                    .unwrap_or_else(|| default.to_string()),
            })
        };
        // The config file's zone was checked as it was read; a saved one is checked here.
        let tz = match c.time_zone {
            Some(tz) => tz,
            None => parse_tz(&get(&None, "time_zone", "Asia/Kolkata")?)?,
        };
        Ok(Profile {
            name: get(&c.name, "name", "Police Station")?,
            code: get(&c.code, "code", "PS")?,
            zone: get(&c.zone, "zone", "City")?,
            tz,
            time_zone: tz.name().to_string(),
            phone: get(&c.phone, "phone", "")?,
            address: get(&c.address, "address", "")?,
            public_url: get(&c.public_url, "public_url", default_url)?,
            mail_from: match &config.mail.from {
                Some(f) => f.clone(),
                None => store
                    .setting(MAIL_FROM_KEY)?
                    .unwrap_or_else(|| DEFAULT_FROM.to_string()),
            },
            relay: match &config.mail.relay {
                Some(r) => Some(r.clone()),
                None => match store.setting(RELAY_KEY)? {
                    Some(json) => Some(
                        RelayConfig::unseal(&json, secrets)
                            .context("reading the saved mail relay")?,
                    ),
                    None => None,
                },
            },
            public_mode: match config.public.mode {
                Some(m) => m,
                None => match store.setting(PUBLIC_MODE_KEY)?.as_deref() {
                    Some("direct") => PublicMode::Direct,
                    Some("relay") => PublicMode::Relay,
                    _ => PublicMode::Lan,
                },
            },
            direct_host: match &config.public.host {
                Some(h) => Some(h.clone()),
                None => store.setting(PUBLIC_HOST_KEY)?,
            },
        })
    }

    /// Whether the config file fixes the public address and the mail settings.
    pub fn delivery_locked(config: &Config) -> (bool, bool) {
        (
            config.station.public_url.is_some(),
            config.mail.relay.is_some() || config.mail.from.is_some(),
        )
    }

    /// Whether the config file fixes this field.
    pub fn locked(config: &Config, key: &str) -> bool {
        let c = &config.station;
        match key {
            "name" => c.name.is_some(),
            "code" => c.code.is_some(),
            "zone" => c.zone.is_some(),
            "time_zone" => c.time_zone.is_some(),
            "phone" => c.phone.is_some(),
            "address" => c.address.is_some(),
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
    /// The public address when none is set: the box's own LAN address and port.
    pub default_url: String,
    /// Whether the station has been set up (see `setup.rs`).
    pub setup: Setup,
    /// Live calls and the video bridge.
    pub calls: CallHub,
    /// The hub's TURN servers and this station's current credentials for them.
    pub turn: HubTurn,
    /// The self-signed certificate (LAN names, set-up) and its fingerprint.
    pub tls: Tls,
    /// Every certificate the HTTPS listener may serve (see `server/certs.rs`).
    pub certs: Arc<Certs>,
    /// Gets and renews the trusted certificate of [`App::public_host`].
    pub acme: Arc<Acme>,
    /// When the station started, for its uptime.
    pub started: std::time::Instant,
    /// Days of availability as the API last sent them (see `availability::DayCache`).
    pub day_json: DayCache<DayJson>,
}

impl App {
    /// A station's state on the data folder `data`, with no listener and no background work:
    /// what a station serves from, and what in-process tests of the services drive directly.
    /// `default_url` is the public address when none is set; `setup_code` the file that holds
    /// the one-time set-up code.
    pub fn open(
        config: Config,
        data: &Path,
        default_url: &str,
        setup_code: PathBuf,
    ) -> anyhow::Result<App> {
        let store = crate::station::open_store(data)?;
        for sub in ["documents", "spool", "keys", "tls"] {
            crate::secrets::private_dir(&data.join(sub))?;
        }
        let secrets = Secrets::load_or_create(&data.join("keys/secret.key"))?;
        let tls = crate::server::tls::load_or_create(&data.join("tls"))?;
        let certs = Certs::load(&tls, &data.join("tls"))?;
        let acme = Acme::new(config.acme.clone(), &data.join("tls"), certs.clone());
        let profile = Profile::load(&config, &store, &secrets, default_url)?;
        let setup = Setup::new(setup_code, data, store.has_admin()?);
        let bridge = vappoint_bridge::Bridge::new(vappoint_bridge::BridgeConfig {
            udp_ports: config.calls.port_range(),
            bind_ips: config.calls.bind_ips.clone(),
            public_ip: config.calls.public_ip,
        });
        Ok(App {
            limits: RateLimits::new(&config.limits),
            calls: CallHub::new(bridge, config.calls.grace),
            config,
            store: Arc::new(store),
            secrets,
            ui: Ui::load()?,
            profile: RwLock::new(profile),
            mail_wake: tokio::sync::Notify::new(),
            data_dir: data.to_path_buf(),
            default_url: default_url.to_string(),
            setup,
            turn: HubTurn::default(),
            tls,
            certs,
            acme,
            started: std::time::Instant::now(),
            day_json: DayCache::new(),
        })
    }

    pub fn profile(&self) -> Profile {
        self.profile
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The STUN/TURN servers for one side of a call (`who` names it in TURN user names): the
    /// station's own, with credentials made now, and the hub's.
    pub fn ice_servers(&self, who: &str) -> Vec<IceServer> {
        let now = chrono::Utc::now();
        let mut servers = crate::ice::servers(&self.config.calls, now, who);
        servers.extend(self.turn.servers(now));
        servers
    }

    /// Base of the links in emails: `[station] public_url` if the file sets it, else the
    /// public name of the mode (`https://<host>`), else the saved or default address.
    pub fn public_url(&self) -> String {
        match (&self.config.station.public_url, self.public_host()) {
            (None, Some(host)) => format!("https://{host}"),
            _ => self.profile().public_url,
        }
    }

    /// The name citizens reach the box at, which gets a trusted certificate: `[public] host`
    /// (or the saved one) in `direct` mode, the name the hub gave at enrolment in `relay`
    /// mode (none until enrolled), none on the LAN.
    pub fn public_host(&self) -> Option<String> {
        let p = self.profile();
        match p.public_mode {
            PublicMode::Lan => None,
            PublicMode::Direct => p.direct_host,
            PublicMode::Relay => crate::station::hub_link::load_link(&self.data_dir)
                .ok()
                .flatten()
                .and_then(|l| l.public_host),
        }
    }

    /// Reads the profile again after set-up or the admin changed a setting.
    pub fn reload_profile(&self) -> anyhow::Result<()> {
        let p = Profile::load(&self.config, &self.store, &self.secrets, &self.default_url)?;
        *self.profile.write().unwrap_or_else(|e| e.into_inner()) = p;
        Ok(())
    }

    pub fn tz(&self) -> Tz {
        self.profile.read().unwrap_or_else(|e| e.into_inner()).tz
    }

    /// The documents folder, with the key its files are sealed with.
    pub fn documents_dir(&self) -> DocumentsDir {
        DocumentsDir::new(&self.data_dir.join("documents"), self.store.data_key())
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
        crate::db::blocking(&self.store, f).await
    }
}
