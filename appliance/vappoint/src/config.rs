//! The station's configuration: one optional TOML file, read and validated once at start,
//! then carried in the app state. Unknown keys are refused so a typo never passes silently.
//! Values are converted to their types as they are read (durations, the UDP port range, time
//! zones), so a bad one stops the start with the key's name and no use site parses again.

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono_tz::Tz;
use serde::Deserialize;
use vappoint_wire::signal::IceServer;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub station: StationConfig,
    pub mail: MailConfig,
    pub limits: Limits,
    pub booking: BookingConfig,
    pub sessions: SessionConfig,
    pub calls: CallsConfig,
    pub federation: FederationConfig,
    pub hub: HubConfig,
    pub discovery: DiscoveryConfig,
    pub public: PublicConfig,
    pub acme: AcmeConfig,
    pub relay: HubRelayConfig,
    pub turn: TurnConfig,
    pub retention: RetentionConfig,
    pub disk: DiskConfig,
    pub update: UpdateConfig,
    pub backup: BackupConfig,
}

/// `[update]`: the key update bundles must be signed with (a station checks every bundle
/// against it, a hub every bundle it publishes), and how long a new version has to prove
/// itself healthy before the box rolls back to the one before.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateConfig {
    pub public_key: std::path::PathBuf,
    #[serde(with = "humantime_serde")]
    pub health_window: Duration,
}

/// The image's public key (a config can name another file).
pub const UPDATE_PUBLIC_KEY: &str = "/etc/vappoint/update.pub";
/// Shorter than this, a healthy start on a slow card could be taken for a failure.
pub const MIN_HEALTH_WINDOW: Duration = Duration::from_secs(5);

impl Default for UpdateConfig {
    fn default() -> Self {
        UpdateConfig {
            public_key: UPDATE_PUBLIC_KEY.into(),
            health_window: Duration::from_secs(5 * 60),
        }
    }
}

/// `[backup]`: a station writes an encrypted backup every night at `at` (its own time zone)
/// and sends it to its hub and to the USB stick mounted at `usb_dir`, each keeping the newest
/// ones; a hub keeps `keep_on_hub` per station and refuses files above `max_mb`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Local time of the nightly backup, "HH:MM".
    #[serde(deserialize_with = "time_of_day")]
    pub at: chrono::NaiveTime,
    /// Where the `VAPPOINT-BACKUP` stick is mounted; a backup is copied there whenever the
    /// station can write to it.
    pub usb_dir: std::path::PathBuf,
    pub keep_on_usb: u32,
    pub keep_on_hub: u32,
    pub max_mb: u64,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            at: chrono::NaiveTime::from_hms_opt(2, 30, 0).expect("a valid time"),
            usb_dir: "/media/vappoint-backup".into(),
            keep_on_usb: 14,
            keep_on_hub: 14,
            max_mb: 4096,
        }
    }
}

fn time_of_day<'de, D: serde::Deserializer<'de>>(d: D) -> Result<chrono::NaiveTime, D::Error> {
    let s = String::deserialize(d)?;
    chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a time of day like \"02:30\"")))
}

/// `[disk]`: below `min_free_mb` free on the data directory's filesystem, the station refuses
/// bookings and uploads (with a clear message) before the database could fail, and the
/// console shows a banner. The largest booking is 5 documents of 10 MB; keep well above that.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiskConfig {
    pub min_free_mb: u64,
}

impl Default for DiskConfig {
    fn default() -> Self {
        DiskConfig { min_free_mb: 512 }
    }
}

/// `[retention]`: how long after an appointment its documents, then the citizen's name,
/// email, mobile and reason, are kept (appointments an officer holds are kept until released).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    #[serde(with = "humantime_serde")]
    pub documents_after: Duration,
    #[serde(with = "humantime_serde")]
    pub personal_after: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        let p = vappoint_domain::retention::Policy::default();
        RetentionConfig {
            documents_after: p.documents_after.to_std().unwrap_or_default(),
            personal_after: p.personal_after.to_std().unwrap_or_default(),
        }
    }
}

impl RetentionConfig {
    pub fn policy(&self) -> vappoint_domain::retention::Policy {
        let days = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        vappoint_domain::retention::Policy {
            documents_after: days(self.documents_after),
            personal_after: days(self.personal_after),
        }
    }
}

/// How citizens reach this box from the internet (see README, "Reaching a station").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PublicMode {
    /// The station's LAN only, with the self-signed certificate (today's behaviour).
    #[default]
    Lan,
    /// The router forwards ports 443/80 (and the media ports) to the box, which gets a
    /// certificate for `[public] host` over ACME itself.
    Direct,
    /// No inbound ports: the box keeps a tunnel to its hub, which relays the connections for
    /// `<code>.<relay domain>` without decrypting them; the box gets that name's certificate.
    Relay,
}

/// `[public]`: set here, the mode (and host) are fixed; left out, set-up or the admin's
/// Station page chooses (a box with no choice stays `lan`). On a hub, `host` is the hub's
/// own public name, for which it gets its own ACME certificate.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PublicConfig {
    pub mode: Option<PublicMode>,
    /// The box's public DNS name in `direct` mode (e.g. `dgp.punepolice.example`).
    pub host: Option<String>,
}

/// The ACME server a box asks for certificates of its public name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AcmeConfig {
    /// The ACME directory URL; Let's Encrypt's by default.
    pub directory: String,
    /// The account's contact, e.g. `mailto:it@punepolice.example`.
    pub contact: Option<String>,
    /// PEM roots to trust the ACME server's own HTTPS with (a private CA; Pebble in tests).
    pub ca_file: Option<std::path::PathBuf>,
    /// A certificate is renewed when it has less than this left.
    #[serde(with = "humantime_serde")]
    pub renew_before: Duration,
    /// How the ACME server checks that the box holds the name: `tls-alpn-01` on 443 (the
    /// default; the only one that works through the hub's relay) or `http-01` on 80.
    pub challenge: AcmeChallenge,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum AcmeChallenge {
    #[default]
    #[serde(rename = "tls-alpn-01")]
    TlsAlpn01,
    #[serde(rename = "http-01")]
    Http01,
}

pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

impl Default for AcmeConfig {
    fn default() -> Self {
        AcmeConfig {
            directory: LETS_ENCRYPT.into(),
            contact: None,
            ca_file: None,
            renew_before: Duration::from_secs(30 * 24 * 3600),
            challenge: AcmeChallenge::default(),
        }
    }
}

/// `[relay]` (hubs): with a domain, the hub relays `<code>.<domain>` to each enrolled,
/// non-revoked station's tunnel; a wildcard DNS record `*.<domain>` points at the hub.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubRelayConfig {
    pub domain: Option<String>,
}

impl HubRelayConfig {
    /// The public name of station `code` under the relay domain, if the hub relays.
    pub fn station_host(&self, code: &str) -> Option<String> {
        self.domain
            .as_ref()
            .map(|d| format!("{}.{d}", code.to_ascii_lowercase()))
    }
}

/// `[turn]` (hubs): the TURN servers (coturn with `use-auth-secret`) stations and citizens
/// use when no direct path works. Stations learn them from the hub and get short-lived
/// credentials from it; the secret never leaves the hub.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TurnConfig {
    /// e.g. `["turn:turn.v.punepolice.example:3478?transport=udp"]`.
    pub urls: Vec<String>,
    pub secret: Option<String>,
    /// How long a credential stays valid beyond the call's own length.
    #[serde(with = "humantime_serde")]
    pub grace: Duration,
}

impl Default for TurnConfig {
    fn default() -> Self {
        TurnConfig {
            urls: Vec::new(),
            secret: None,
            grace: Duration::from_secs(30 * 60),
        }
    }
}

/// A DNS name as a certificate can carry it: lowercase labels of letters, digits and dashes.
pub fn validate_dns_name(what: &str, name: &str) -> anyhow::Result<()> {
    let ok = (3..=253).contains(&name.len())
        && name.contains('.')
        && name.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if !ok {
        bail!("{what} must be a DNS name in lowercase like dgp.punepolice.example, not {name:?}");
    }
    Ok(())
}

/// LAN discovery: the box announces itself over mDNS (`_vappoint._tcp`) so laptops on the
/// station's network find it without knowing its address (see `discovery.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscoveryConfig {
    pub enabled: bool,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        DiscoveryConfig { enabled: true }
    }
}

/// A station's pushes to its hub (after `vappoint station enroll`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    /// How often changed figures are queued and the queue is pushed.
    #[serde(with = "humantime_serde")]
    pub push_interval: Duration,
    /// Cap of the retry backoff while the hub is unreachable.
    #[serde(with = "humantime_serde")]
    pub retry_max: Duration,
    /// How often the 14-day availability is sent even when nothing was booked.
    #[serde(with = "humantime_serde")]
    pub availability_interval: Duration,
}

impl Default for FederationConfig {
    fn default() -> Self {
        FederationConfig {
            push_interval: Duration::from_secs(30),
            retry_max: Duration::from_secs(300),
            availability_interval: Duration::from_secs(15 * 60),
        }
    }
}

/// Settings of `vappoint hub`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubConfig {
    /// Shown on the public directory, e.g. "Pune City Police".
    pub name: String,
    /// A station silent for longer is flagged in the reports.
    #[serde(with = "humantime_serde")]
    pub stale_after: Duration,
    /// How long a one-time enrolment code stays usable.
    #[serde(with = "humantime_serde")]
    pub code_valid: Duration,
    /// The zone of the reports' dates and of the times shown.
    #[serde(deserialize_with = "time_zone")]
    pub time_zone: Tz,
    /// The federation URLs of every hub process serving this city on one database
    /// (`https://hub-a.example:8443`), told to stations at enrolment and with every push so
    /// they fail over between them and keep a relay tunnel to each. Empty: stations use the
    /// address they enrolled at.
    pub urls: Vec<String>,
    pub database: HubDatabaseConfig,
}

/// `[hub.database]`: where the hub keeps its data. Without `url`, a SQLite file in its data
/// dir (`hub.db`); with one, a PostgreSQL database that several hub processes share.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubDatabaseConfig {
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE`.
    pub url: Option<String>,
}

impl std::fmt::Debug for HubDatabaseConfig {
    /// Without the URL, which may hold the database's password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = if self.url.is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        f.debug_struct("HubDatabaseConfig")
            .field("backend", &backend)
            .finish()
    }
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            name: "City Police".into(),
            stale_after: Duration::from_secs(3600),
            code_valid: Duration::from_secs(7 * 24 * 3600),
            time_zone: chrono_tz::Asia::Kolkata,
            urls: Vec::new(),
            database: HubDatabaseConfig::default(),
        }
    }
}

/// Fields set here are fixed: the console shows them but cannot change them. Fields left out
/// are set by the admin in the console (or keep plain defaults).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StationConfig {
    pub name: Option<String>,
    pub code: Option<String>,
    pub zone: Option<String>,
    #[serde(deserialize_with = "some_time_zone")]
    pub time_zone: Option<Tz>,
    /// The address citizens use, e.g. `https://dgp.punepolice.example`. Used in emails.
    pub public_url: Option<String>,
    /// The station's phone number and street address, shown on every citizen page and email.
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// The sender when neither the config nor set-up names one.
pub const DEFAULT_FROM: &str = "V-Appointment <noreply@vappoint.local>";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Set here, it is fixed; else set-up or the admin's Station page sets it.
    pub from: Option<String>,
    pub relay: Option<RelayConfig>,
    /// Cap of the retry backoff while the relay is unreachable.
    #[serde(with = "humantime_serde")]
    pub retry_max: Duration,
    /// After this long failing, a message is given up (dead) and shown to the admin.
    #[serde(with = "humantime_serde")]
    pub give_up_after: Duration,
    /// How long before an appointment its reminder is sent; zero ("0s" or "off") sends none.
    #[serde(deserialize_with = "lead_or_off")]
    pub reminder_before: Duration,
}

/// The longest reminder lead: bookings are open two weeks ahead.
const MAX_REMINDER_LEAD: Duration = Duration::from_secs(14 * 24 * 3600);

/// A humantime duration ("1h", "90m"), or "off" for none.
fn lead_or_off<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    match s.trim() {
        "off" | "0" => Ok(Duration::ZERO),
        t => humantime_serde::re::humantime::parse_duration(t).map_err(|e| {
            serde::de::Error::custom(format!(
                "{e}: write a duration like \"1h\" or \"45m\", or \"off\""
            ))
        }),
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: None,
            relay: None,
            retry_max: Duration::from_secs(300),
            give_up_after: Duration::from_secs(3 * 24 * 3600),
            reminder_before: Duration::from_secs(3600),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// STARTTLS on a plain port (usually 587).
    Starttls,
    /// TLS from the first byte (usually 465).
    Tls,
    /// No encryption: only to a relay on this machine.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// Why a mail relay cannot be used (`RelayConfig::problem`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayProblem {
    Host,
    Port,
    Plain,
    Login,
}

impl RelayConfig {
    /// What is wrong with a relay from the config file or a form: the same rules for both.
    pub fn problem(&self) -> Option<RelayProblem> {
        let host_ok = !self.host.is_empty()
            && self.host.len() <= 253
            && self
                .host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        if !host_ok {
            Some(RelayProblem::Host)
        } else if self.port == 0 {
            Some(RelayProblem::Port)
        } else if self.security == Security::None && !is_loopback(&self.host) {
            Some(RelayProblem::Plain)
        } else if self.username.is_some() != self.password.is_some() {
            Some(RelayProblem::Login)
        } else {
            None
        }
    }

    /// Checks a relay, saying in English what is wrong (the config file's messages).
    pub fn validate(&self) -> anyhow::Result<()> {
        match self.problem() {
            None => Ok(()),
            Some(RelayProblem::Host) => bail!(
                "the mail relay's host {:?} is not a host name or address",
                self.host
            ),
            Some(RelayProblem::Port) => bail!("the mail relay's port must be 1 to 65535"),
            Some(RelayProblem::Plain) => bail!(
                "mail.relay.security = \"none\" is allowed only for a relay on this machine \
                 (127.0.0.1, ::1 or localhost), not {:?}; use \"starttls\" or \"tls\"",
                self.host
            ),
            Some(RelayProblem::Login) => {
                bail!("mail.relay needs both username and password, or neither")
            }
        }
    }

    /// The relay as saved in the database: JSON with the password sealed by the box's key,
    /// so a copy of the database alone does not give the relay away.
    pub fn seal(&self, secrets: &crate::secrets::Secrets) -> String {
        let mut saved = self.clone();
        saved.password = self
            .password
            .as_ref()
            .map(|p| data_encoding::HEXLOWER.encode(&secrets.seal(p.as_bytes())));
        serde_json::to_string(&saved).expect("a relay serialises")
    }

    pub fn unseal(json: &str, secrets: &crate::secrets::Secrets) -> anyhow::Result<RelayConfig> {
        let mut r: RelayConfig = serde_json::from_str(json)?;
        if let Some(p) = &r.password {
            let sealed = data_encoding::HEXLOWER.decode(p.as_bytes())?;
            r.password = Some(String::from_utf8(secrets.unseal(&sealed)?)?);
        }
        Ok(r)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Many citizens share one carrier NAT address, so this is generous.
    pub bookings_per_ip_per_minute: u32,
    pub bookings_per_email_per_hour: u32,
    pub token_tries_per_ip_per_minute: u32,
    pub logins_per_ip_per_minute: u32,
    /// Tries at one account's password, from any addresses: rotating addresses does not buy
    /// more guesses.
    pub logins_per_account_per_hour: u32,
    /// Megabytes of documents one address (IPv6: its /64) may have stored per day: about
    /// four bookings with five full documents each.
    pub document_mb_per_address_per_day: u64,
    /// Megabytes of documents everyone together may have stored per day: what the SD card
    /// can spare, so a spread-out flood cannot fill it either.
    pub document_mb_per_day: u64,
    /// The share (percent) of an officer's day's slots that bookings from one network (an
    /// IPv4 /24, an IPv6 /64) may hold. At least one slot always.
    pub network_share_percent: u32,
    /// Mails the booking form may send to one address per day (booking confirmations and
    /// "a second booking was asked for" notices); the station stops being a mailer for hire.
    pub mails_per_recipient_per_day: u32,
    /// Mails the booking form may send per day on behalf of one address (IPv6: its /64).
    pub mails_per_address_per_day: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            bookings_per_ip_per_minute: 120,
            bookings_per_email_per_hour: 10,
            token_tries_per_ip_per_minute: 30,
            logins_per_ip_per_minute: 20,
            logins_per_account_per_hour: 30,
            document_mb_per_address_per_day: 200,
            document_mb_per_day: 2_000,
            network_share_percent: 25,
            mails_per_recipient_per_day: 6,
            mails_per_address_per_day: 40,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BookingConfig {
    /// Citizens may cancel or move an appointment until this long before it.
    #[serde(with = "humantime_serde")]
    pub change_cutoff: Duration,
}

impl Default for BookingConfig {
    fn default() -> Self {
        BookingConfig {
            change_cutoff: Duration::from_secs(2 * 3600),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// An officer's session ends after this long without a request.
    #[serde(with = "humantime_serde")]
    pub idle: Duration,
    /// ...and after this long in any case.
    #[serde(with = "humantime_serde")]
    pub max: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle: Duration::from_secs(30 * 60),
            max: Duration::from_secs(12 * 3600),
        }
    }
}

/// The video bridge and the calls it carries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallsConfig {
    /// UDP ports for media, e.g. "40000-40199": forward these on the station's router.
    pub udp_ports: PortRange,
    /// Addresses the bridge binds; empty means the box's LAN addresses.
    pub bind_ips: Vec<IpAddr>,
    /// The station's public address when the router forwards the UDP ports to the box.
    pub public_ip: Option<IpAddr>,
    /// After the countdown reaches zero, the call closes this much later unless extended.
    #[serde(with = "humantime_serde")]
    pub grace: Duration,
    /// STUN/TURN servers offered to browsers and used by the bridge.
    pub ice_servers: Vec<IceServer>,
    /// Shared secret of a TURN server using time-limited credentials (coturn's
    /// `use-auth-secret`); TURN servers without a username get credentials made from it.
    pub turn_secret: Option<String>,
}

impl Default for CallsConfig {
    fn default() -> Self {
        CallsConfig {
            udp_ports: PortRange(40000..=40199),
            bind_ips: Vec::new(),
            public_ip: None,
            grace: Duration::from_secs(15),
            ice_servers: Vec::new(),
            turn_secret: None,
        }
    }
}

/// A range of UDP ports, written "40000-40199" (both ends included, the first at least 1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PortRange(RangeInclusive<u16>);

impl TryFrom<String> for PortRange {
    type Error = anyhow::Error;

    fn try_from(s: String) -> anyhow::Result<PortRange> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| anyhow::anyhow!("calls.udp_ports must look like \"40000-40199\""))?;
        let (a, b): (u16, u16) = (a.trim().parse()?, b.trim().parse()?);
        if a == 0 || b < a {
            bail!("calls.udp_ports must be a range of ports like \"40000-40199\"");
        }
        Ok(PortRange(a..=b))
    }
}

impl CallsConfig {
    /// The UDP port range as numbers.
    pub fn port_range(&self) -> RangeInclusive<u16> {
        self.udp_ports.0.clone()
    }
}

/// A time zone by its IANA name ("Asia/Kolkata").
fn time_zone<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    parse_tz(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn some_time_zone<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Tz>, D::Error> {
    time_zone(d).map(Some)
}

impl Config {
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        match path {
            None => {
                let config = Config::default();
                config.validate().context("in the built-in configuration")?;
                Ok(config)
            }
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading the config file {}", p.display()))?;
                Config::parse(&text).with_context(|| format!("in the config file {}", p.display()))
            }
        }
    }

    /// A config file's text, read and checked (also the fuzzers' entry).
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if let Some(code) = &self.station.code {
            validate_code(code)?;
        }
        if let Some(phone) = &self.station.phone {
            validate_phone(phone)?;
        }
        if let Some(address) = &self.station.address {
            validate_address(address)?;
        }
        if let Some(url) = &self.station.public_url
            && (!url.starts_with("https://") || url.ends_with('/'))
        {
            bail!(
                "station.public_url must start with https:// and have no trailing slash: {url:?}"
            );
        }
        for url in &self.hub.urls {
            if !url.starts_with("https://") || url.ends_with('/') {
                bail!("hub.urls must start with https:// and have no trailing slash: {url:?}");
            }
        }
        if let Some(url) = &self.hub.database.url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            bail!("hub.database.url must start with postgres://");
        }
        if let Some(from) = &self.mail.from {
            from.parse::<lettre::message::Mailbox>()
                .context("mail.from is not a valid address")?;
        }
        if let Some(r) = &self.mail.relay {
            r.validate()?;
        }
        if self.mail.reminder_before > MAX_REMINDER_LEAD {
            bail!("mail.reminder_before can be at most 14 days (\"off\" sends no reminders)");
        }
        if !(MIN_HEALTH_WINDOW..=Duration::from_secs(24 * 3600))
            .contains(&self.update.health_window)
        {
            bail!("update.health_window must be 5s to 24h");
        }
        let b = &self.backup;
        if !(1..=365).contains(&b.keep_on_usb) || !(1..=365).contains(&b.keep_on_hub) {
            bail!("backup.keep_on_usb and backup.keep_on_hub must be 1 to 365");
        }
        if !(1..=1_000_000).contains(&b.max_mb) {
            bail!("backup.max_mb must be 1 to 1000000");
        }
        if !b.usb_dir.is_absolute() {
            bail!("backup.usb_dir must be an absolute path");
        }
        if !(16..=1_000_000).contains(&self.disk.min_free_mb) {
            bail!("disk.min_free_mb must be 16 to 1000000");
        }
        self.retention
            .policy()
            .validate()
            .map_err(|e| anyhow::anyhow!("retention: {e}"))?;
        let l = &self.limits;
        if l.bookings_per_ip_per_minute == 0
            || l.bookings_per_email_per_hour == 0
            || l.token_tries_per_ip_per_minute == 0
            || l.logins_per_ip_per_minute == 0
            || l.logins_per_account_per_hour == 0
            || l.document_mb_per_address_per_day == 0
            || l.document_mb_per_day == 0
            || l.mails_per_recipient_per_day == 0
            || l.mails_per_address_per_day == 0
        {
            bail!("limits must be at least 1");
        }
        if !(1..=100).contains(&l.network_share_percent) {
            bail!("limits.network_share_percent must be 1 to 100");
        }
        if l.document_mb_per_address_per_day > l.document_mb_per_day {
            bail!(
                "limits.document_mb_per_address_per_day cannot exceed limits.document_mb_per_day"
            );
        }
        if self.federation.push_interval.is_zero() || self.federation.retry_max.is_zero() {
            bail!("federation intervals must be positive");
        }
        for s in &self.calls.ice_servers {
            if s.urls.is_empty()
                || !s.urls.iter().all(|u| {
                    u.starts_with("stun:") || u.starts_with("turn:") || u.starts_with("turns:")
                })
            {
                bail!("calls.ice_servers urls must start with stun:, turn: or turns:");
            }
        }
        if self.sessions.idle.is_zero() || self.sessions.max.is_zero() {
            bail!("session lengths must be positive");
        }
        if let Some(host) = &self.public.host {
            validate_dns_name("public.host", host)?;
        }
        if self.public.mode == Some(PublicMode::Direct) && self.public.host.is_none() {
            bail!("public.mode = \"direct\" needs public.host, the box's public DNS name");
        }
        if !self.acme.directory.starts_with("https://") {
            bail!("acme.directory must start with https://");
        }
        if let Some(contact) = &self.acme.contact
            && !contact.starts_with("mailto:")
        {
            bail!("acme.contact must look like mailto:it@punepolice.example");
        }
        if let Some(domain) = &self.relay.domain {
            validate_dns_name("relay.domain", domain)?;
        }
        if !self
            .turn
            .urls
            .iter()
            .all(|u| u.starts_with("turn:") || u.starts_with("turns:") || u.starts_with("stun:"))
        {
            bail!("turn.urls must start with turn:, turns: or stun:");
        }
        if self.turn.urls.iter().any(|u| u.starts_with("turn")) && self.turn.secret.is_none() {
            bail!("turn.urls needs turn.secret, coturn's static-auth-secret");
        }
        Ok(())
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub fn parse_tz(s: &str) -> anyhow::Result<Tz> {
    s.parse::<Tz>()
        .map_err(|_| anyhow::anyhow!("unknown time zone {s:?} (e.g. Asia/Kolkata)"))
}

/// Station codes appear in references and host names: 2 to 12 letters, digits or dashes.
pub fn validate_code(code: &str) -> anyhow::Result<()> {
    let ok = (2..=12).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !code.starts_with('-');
    if !ok {
        bail!("a station code has 2 to 12 letters, digits or dashes, not {code:?}");
    }
    Ok(())
}

/// A phone number as people write it: 6 to 20 characters of digits, spaces, `+` and `-`,
/// at least 6 of them digits ("020 2567 1234", "+91-20-25671234").
pub fn validate_phone(phone: &str) -> anyhow::Result<()> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let ok = (6..=20).contains(&phone.chars().count())
        && digits >= 6
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-'));
    if !ok {
        bail!(
            "a phone number has 6 to 20 digits, spaces, + or - (e.g. 020 2567 1234), not {phone:?}"
        );
    }
    Ok(())
}

/// The address citizens are told to come to: one line of 5 to 200 characters.
pub fn validate_address(address: &str) -> anyhow::Result<()> {
    let n = address.chars().count();
    if !(5..=200).contains(&n) || address.chars().any(char::is_control) {
        bail!("an address is one line of 5 to 200 characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_and_address_are_checked() {
        for ok in ["020 2567 1234", "+91-20-25671234", "100100"] {
            assert!(validate_phone(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "112",
            "call 020 2567",
            "020 2567 1234 ext 5",
            "(020) 25671234",
            "+++---   +++---",
        ] {
            assert!(validate_phone(bad).is_err(), "{bad}");
        }
        assert!(validate_address("Karve Road, Pune 411004").is_ok());
        assert!(validate_address("Pune").is_err());
        assert!(validate_address("Karve Road\nPune").is_err());
        assert!(validate_address(&"x".repeat(201)).is_err());
    }

    fn parse(s: &str) -> anyhow::Result<Config> {
        let c: Config = toml::from_str(s)?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn empty_config_is_valid() {
        let c = parse("").unwrap();
        assert_eq!(c.limits.bookings_per_ip_per_minute, 120);
        assert_eq!(c.booking.change_cutoff, Duration::from_secs(7200));
    }

    #[test]
    fn backup_settings_are_checked() {
        let c = parse("").unwrap();
        assert_eq!(c.backup.at.to_string(), "02:30:00");
        assert_eq!((c.backup.keep_on_hub, c.backup.keep_on_usb), (14, 14));
        let c = parse("[backup]\nat = \"23:05\"\nkeep_on_hub = 30").unwrap();
        assert_eq!(
            (c.backup.at.to_string().as_str(), c.backup.keep_on_hub),
            ("23:05:00", 30)
        );
        for bad in [
            "at = \"25:00\"",
            "at = \"2am\"",
            "keep_on_hub = 0",
            "usb_dir = \"media/stick\"",
            "max_mb = 0",
            "every = \"1d\"",
        ] {
            assert!(parse(&format!("[backup]\n{bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(parse("[station]\nnmae = \"x\"").is_err());
        assert!(parse("[mail.relay]\nhost=\"a\"\nport=1\nsecurity=\"tls\"\nextra=1").is_err());
    }

    #[test]
    fn plain_smtp_only_to_loopback() {
        let local = "[mail.relay]\nhost=\"127.0.0.1\"\nport=2525\nsecurity=\"none\"";
        assert!(parse(local).is_ok());
        let remote = "[mail.relay]\nhost=\"smtp.example.in\"\nport=25\nsecurity=\"none\"";
        let err = format!("{:#}", parse(remote).unwrap_err());
        assert!(err.contains("only for a relay on this machine"), "{err}");
    }

    #[test]
    fn call_settings() {
        let c = parse(
            "[calls]\nudp_ports = \"41000-41009\"\nbind_ips = [\"127.0.0.1\"]\ngrace = \"3s\"",
        )
        .unwrap();
        assert_eq!(c.calls.port_range(), 41000..=41009);
        assert_eq!(parse("").unwrap().calls.port_range(), 40000..=40199);
        assert!(parse("[calls]\nudp_ports = \"41009-41000\"").is_err());
        assert!(parse("[calls]\nudp_ports = \"0-10\"").is_err());
        assert!(parse("[calls]\nudp_ports = \"41000\"").is_err());
        assert!(parse("[[calls.ice_servers]]\nurls = [\"http://x\"]").is_err());
        assert!(parse("[public]\nmode = \"direct\"").is_err());
        assert!(parse("[public]\nmode = \"direct\"\nhost = \"dgp.punepolice.example\"").is_ok());
        assert!(parse("[public]\nhost = \"DGP.example\"").is_err());
        assert!(parse("[relay]\ndomain = \"v.punepolice.example\"").is_ok());
        assert!(parse("[turn]\nurls = [\"turn:t.example:3478\"]").is_err());
        assert!(parse("[acme]\ncontact = \"it@example\"").is_err());
        assert!(parse("[acme]\nchallenge = \"http-01\"").is_ok());
        assert!(parse("[acme]\nchallenge = \"dns-01\"").is_err());
    }

    #[test]
    fn bad_values_are_explained() {
        let err = format!(
            "{:#}",
            parse("[station]\ntime_zone = \"Mars/Olympus\"").unwrap_err()
        );
        assert!(err.contains("unknown time zone \"Mars/Olympus\""), "{err}");
        assert!(parse("[hub]\ntime_zone = \"Asia/Kolkatta\"").is_err());
        let c =
            parse("[station]\ntime_zone = \"Asia/Kolkata\"\n[hub]\ntime_zone = \"UTC\"").unwrap();
        assert_eq!(c.station.time_zone, Some(chrono_tz::Asia::Kolkata));
        assert_eq!(c.hub.time_zone, chrono_tz::UTC);
        assert!(c.hub.database.url.is_none(), "SQLite unless a URL is given");
        let url = "postgres://vappoint:Pw4Hub@db.example:5432/hub";
        let c = parse(&format!("[hub.database]\nurl = \"{url}\"")).unwrap();
        assert_eq!(c.hub.database.url.as_deref(), Some(url));
        assert!(
            !format!("{c:?}").contains("Pw4Hub"),
            "the password stays out of logs"
        );
        assert!(parse("[hub.database]\nurl = \"mysql://x\"").is_err());
        assert!(parse("[station]\ncode = \"a b\"").is_err());
        assert!(parse("[hub]\nurls = [\"https://hub-a.example:8443\"]").is_ok());
        assert!(parse("[hub]\nurls = [\"http://hub-a.example\"]").is_err());
        assert!(parse("[hub]\nurls = [\"https://hub-a.example/\"]").is_err());
        assert!(parse("[limits]\nbookings_per_ip_per_minute = 0").is_err());
        assert!(parse("[booking]\nchange_cutoff = \"soon\"").is_err());
    }

    #[test]
    fn reminder_lead() {
        assert_eq!(
            parse("").unwrap().mail.reminder_before,
            Duration::from_secs(3600)
        );
        let lead = |v: &str| {
            parse(&format!("[mail]\nreminder_before = \"{v}\"")).map(|c| c.mail.reminder_before)
        };
        assert_eq!(lead("45m").unwrap(), Duration::from_secs(45 * 60));
        assert_eq!(lead("off").unwrap(), Duration::ZERO);
        assert_eq!(lead("0s").unwrap(), Duration::ZERO);
        assert!(lead("soon").is_err());
        assert!(lead("15days").is_err());
        assert!(parse("[mail]\nreminder_before = 60").is_err());
    }
}
