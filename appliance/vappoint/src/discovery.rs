//! LAN discovery over mDNS/DNS-SD: a station or hub announces itself as `_vappoint._tcp`
//! with its role, code, zone, version and certificate fingerprint, and `vappoint discover`
//! lists the boxes that answer.
//!
//! What is announced:
//! - host name `<code>.local` (lower case; `vappoint.local` while the station still has the
//!   default code "PS", `vappoint-hub.local` for a hub);
//! - service instance "<name> (<CODE>)" (or "<name> (hub)") of type `_vappoint._tcp.local.`
//!   on the HTTPS port actually bound;
//! - TXT `code`, `zone`, `role` (`station` or `hub`), `version`, `fp` (SHA-256 of the TLS
//!   certificate, lowercase hex, so a laptop can check the self-signed certificate it is
//!   about to accept) and `path=/`. A hub has no station code: it announces `code=HUB` and
//!   an empty zone (it covers them all).
//!
//! Which addresses: those of the interfaces the HTTPS listener is reachable on. A wildcard
//! IPv4 listener (the default `0.0.0.0`) announces the box's non-loopback IPv4 addresses, a
//! wildcard IPv6 one (`[::]`, dual-stack) its IPv4 and IPv6 addresses, a listener on one
//! address only that address. A listener on loopback announces nothing: no other machine could
//! reach it, and announcing it would put multicast on the LAN for every test station on a
//! developer's machine. The mDNS daemon (from `mdns-sd`) is told to leave every other
//! interface alone, so it neither answers nor sends there.
//!
//! Discovery is a convenience: when mDNS cannot start the box logs a warning and serves as
//! usual; with no LAN address yet it says so and announces once one appears (DHCP).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::Context;
use mdns_sd::{
    DaemonEvent, IfKind, IfPredicate, RecvTimeoutError, ServiceDaemon, ServiceEvent, ServiceInfo,
};

use crate::config::DiscoveryConfig;

/// The DNS-SD service type of every vappoint box.
pub const SERVICE_TYPE: &str = "_vappoint._tcp.local.";
/// The code a station has until its admin sets one (see `Profile::load`): announcing
/// `ps.local` would mean nothing to anyone, so such a box is `vappoint.local`.
const DEFAULT_CODE: &str = "PS";
/// DNS labels (the instance name is one) hold at most 63 bytes.
const MAX_LABEL: usize = 63;
/// One TXT string (`key=value`) holds at most 255 bytes.
const MAX_TXT_ENTRY: usize = 255;
/// How often a station's profile is compared with what is announced: the admin may set the
/// code, name or zone in the console while the box runs, and the LAN should see the new one
/// without a restart. (Polling a lock and a few strings; the console has no hook to call.)
const REFRESH_EVERY: Duration = Duration::from_secs(5);
/// How long stopping waits for the goodbye packets and for the daemon thread to end.
const STOP_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Station,
    Hub,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Station => "station",
            Role::Hub => "hub",
        }
    }
}

/// Who the box says it is on the LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub role: Role,
    pub name: String,
    pub code: String,
    pub zone: String,
}

impl Identity {
    pub fn station(name: &str, code: &str, zone: &str) -> Identity {
        Identity {
            role: Role::Station,
            name: name.to_string(),
            code: code.to_string(),
            zone: zone.to_string(),
        }
    }

    pub fn hub(name: &str) -> Identity {
        Identity {
            role: Role::Hub,
            name: name.to_string(),
            code: "HUB".into(),
            zone: String::new(),
        }
    }

    /// The mDNS host name (fully qualified, as `mdns-sd` wants it). Station codes are already
    /// valid DNS labels (letters, digits, dashes; `config::validate_code`).
    fn host_name(&self) -> String {
        match self.role {
            Role::Hub => "vappoint-hub.local.".into(),
            Role::Station if self.code.eq_ignore_ascii_case(DEFAULT_CODE) => {
                "vappoint.local.".into()
            }
            Role::Station => format!("{}.local.", self.code.to_ascii_lowercase()),
        }
    }

    /// "Deccan Gymkhana Police Station (DGP)": the name is shortened (never the code) so the
    /// whole label fits DNS's 63 bytes.
    fn instance_name(&self) -> String {
        let suffix = match self.role {
            Role::Station => format!(" ({})", self.code),
            Role::Hub => " (hub)".into(),
        };
        let name = truncate(self.name.trim(), MAX_LABEL.saturating_sub(suffix.len()));
        format!("{}{suffix}", name.trim_end())
    }

    /// The TXT record: what a client needs before it opens the box's page.
    fn txt(&self, fingerprint: &str) -> Vec<(&'static str, String)> {
        [
            ("code", self.code.as_str()),
            ("zone", self.zone.as_str()),
            ("role", self.role.as_str()),
            ("version", env!("CARGO_PKG_VERSION")),
            ("fp", fingerprint),
            ("path", "/"),
        ]
        .into_iter()
        // A long zone in Devanagari can pass 255 bytes; it is cut rather than refused.
        .map(|(k, v)| (k, truncate(v, MAX_TXT_ENTRY - k.len() - 1).to_string()))
        .collect()
    }

    fn service(&self, port: u16, fingerprint: &str) -> mdns_sd::Result<ServiceInfo> {
        // No addresses here: the daemon fills in those of the interfaces it was allowed
        // (`enable_addr_auto`) and follows them when DHCP changes them.
        ServiceInfo::new(
            SERVICE_TYPE,
            &self.instance_name(),
            &self.host_name(),
            (),
            port,
            &self.txt(fingerprint)[..],
        )
        .map(ServiceInfo::enable_addr_auto)
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Whether an interface address should carry the announcement of a listener on `listen`.
/// Loopback never does (only this machine could use it).
fn carries(listen: IpAddr, ip: IpAddr, is_loopback: bool) -> bool {
    if is_loopback || ip.is_loopback() {
        return false;
    }
    match listen {
        // An AF_INET socket on 0.0.0.0 accepts IPv4 only: IPv6 addresses would lead
        // clients to a closed port.
        IpAddr::V4(v4) if v4.is_unspecified() => ip.is_ipv4(),
        // `[::]` is dual-stack on Linux unless the admin changed `bindv6only`.
        IpAddr::V6(v6) if v6.is_unspecified() => true,
        specific => ip == specific,
    }
}

/// Announces the box on the LAN while it runs. Drop or [`Announcer::stop`] ends it.
pub struct Announcer {
    daemon: ServiceDaemon,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Set once `stop` has shut the daemon down.
    stopped: bool,
}

/// Starts announcing the HTTPS listener at `https` (its real, bound address), or returns
/// `None` when discovery is off, the listener is on loopback, or mDNS cannot start (logged,
/// never fatal). `identity` is asked again now and then so that a changed profile is
/// re-announced. Must run inside the Tokio runtime.
pub fn announce(
    config: &DiscoveryConfig,
    https: SocketAddr,
    fingerprint: &str,
    identity: impl Fn() -> Identity + Send + 'static,
) -> Option<Announcer> {
    if !config.enabled {
        tracing::info!("LAN discovery is off (discovery.enabled = false)");
        return None;
    }
    if https.ip().is_loopback() {
        tracing::info!(%https, "not announcing on the LAN: HTTPS listens on loopback only");
        return None;
    }
    match start(https, fingerprint, identity) {
        Ok(announcer) => Some(announcer),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "LAN discovery (mDNS) did not start; serving without it");
            None
        }
    }
}

fn start(
    https: SocketAddr,
    fingerprint: &str,
    identity: impl Fn() -> Identity + Send + 'static,
) -> anyhow::Result<Announcer> {
    let daemon = ServiceDaemon::new().context("starting the mDNS daemon")?;
    let mut announcer = Announcer {
        daemon: daemon.clone(),
        stop: None,
        task: None,
        stopped: false,
    };
    // From here on, dropping `announcer` on an error shuts the daemon down.
    let listen = https.ip();
    daemon
        .disable_interface(IfKind::All)
        .and_then(|()| {
            daemon.enable_interface(IfKind::Predicate(IfPredicate::new(move |intf| {
                carries(listen, intf.ip(), intf.is_loopback())
            })))
        })
        .context("choosing the mDNS interfaces")?;
    // Socket errors (no multicast on an interface, say) come later, from the daemon thread.
    let events = daemon.monitor().context("watching the mDNS daemon")?;
    tokio::spawn(async move {
        while let Ok(event) = events.recv_async().await {
            match event {
                DaemonEvent::Error(e) => tracing::warn!(error = %e, "LAN discovery (mDNS)"),
                DaemonEvent::NameChange(c) => tracing::warn!(
                    taken = c.original,
                    now = c.new_name,
                    "another device on the LAN uses this mDNS name; announcing under another"
                ),
                // After probing the names: the records are out ("host:interface").
                DaemonEvent::Announce(name, on) => tracing::info!(name, on, "announced on the LAN"),
                _ => {}
            }
        }
    });

    let current = identity();
    let info = current
        .service(https.port(), fingerprint)
        .context("building the mDNS service record")?;
    let host = info.get_hostname().trim_end_matches('.').to_string();
    let fullname = info.get_fullname().to_string();
    daemon.register(info).context("announcing over mDNS")?;
    // What the daemon will use now, for the operator; it follows changes by itself. (The
    // daemon's own log line comes when the packets went out, after probing the names.)
    let addresses: Vec<String> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| carries(listen, i.ip(), i.is_loopback()))
        .map(|i| i.ip().to_string())
        .collect();
    if addresses.is_empty() {
        println!(
            "vappoint: no LAN address yet; {host} will be announced over mDNS when one appears"
        );
    } else {
        println!(
            "vappoint: announcing on the LAN as {host} (mDNS {} port {}) from {}",
            SERVICE_TYPE.trim_end_matches(".local."),
            https.port(),
            addresses.join(", ")
        );
    }

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    announcer.task = Some(tokio::spawn(follow(
        daemon,
        current,
        fullname,
        identity,
        https.port(),
        fingerprint.to_string(),
        stop_rx,
    )));
    announcer.stop = Some(stop_tx);
    Ok(announcer)
}

/// Re-announces when the identity changes; on stop, says goodbye (records with TTL 0, so
/// browsers forget the box at once rather than after the TTL) and ends the daemon thread.
async fn follow(
    daemon: ServiceDaemon,
    mut current: Identity,
    mut fullname: String,
    identity: impl Fn() -> Identity + Send + 'static,
    port: u16,
    fingerprint: String,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let mut tick = tokio::time::interval(REFRESH_EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {}
        }
        let now = identity();
        if now == current {
            continue;
        }
        let _ = daemon.unregister(&fullname);
        match now.service(port, &fingerprint) {
            Ok(info) => {
                let host = info.get_hostname().trim_end_matches('.').to_string();
                fullname = info.get_fullname().to_string();
                match daemon.register(info) {
                    Ok(()) => tracing::info!(host, "profile changed; announcing anew on the LAN"),
                    Err(e) => tracing::warn!(error = %e, "re-announcing over mDNS"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "building the mDNS service record"),
        }
        current = now;
    }
    if let Ok(status) = daemon.unregister(&fullname) {
        let _ = tokio::time::timeout(STOP_WAIT, status.recv_async()).await;
    }
    if let Ok(status) = daemon.shutdown() {
        let _ = tokio::time::timeout(STOP_WAIT, status.recv_async()).await;
    }
}

impl Announcer {
    /// Withdraws the announcement (goodbye packets) and stops the mDNS daemon.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.stopped = true;
    }
}

impl Drop for Announcer {
    /// A box dropped without `stop` (an error during start-up, an in-process test) must not
    /// leave the daemon's thread running and answering for it.
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if !self.stopped {
            let _ = self.daemon.shutdown();
        }
    }
}

// ---- `vappoint discover` ----

/// One box as found on the LAN.
#[derive(Debug, Default, PartialEq, Eq)]
struct Found {
    role: String,
    code: String,
    zone: String,
    version: String,
    fp: String,
    path: String,
    port: u16,
    /// Addresses as URL hosts, IPv4 first (an IPv6 link-local one with its zone).
    addresses: BTreeSet<(u8, String)>,
}

impl Found {
    fn from_resolved(s: &mdns_sd::ResolvedService) -> Found {
        let txt = |k: &str| s.get_property_val_str(k).unwrap_or_default().to_string();
        let addresses = s
            .get_addresses()
            .iter()
            .filter(|ip| !ip.is_loopback())
            .map(|ip| url_host(ip.to_ip_addr(), &ip.to_string()))
            .collect();
        Found {
            role: txt("role"),
            code: txt("code"),
            zone: txt("zone"),
            version: txt("version"),
            fp: txt("fp"),
            path: txt("path"),
            port: s.get_port(),
            addresses,
        }
    }

    /// `station DGP zone="Zone 1" version=0.1.0 fp=<hex> https://10.0.0.5:8443/ ...`
    fn line(&self) -> String {
        let or_dash = |s: &str| {
            if s.is_empty() {
                "-".to_string()
            } else {
                s.to_string()
            }
        };
        let path = if self.path.starts_with('/') {
            self.path.as_str()
        } else {
            "/"
        };
        let mut line = format!(
            "{} {} zone={:?} version={} fp={}",
            or_dash(&self.role),
            or_dash(&self.code),
            self.zone,
            or_dash(&self.version),
            or_dash(&self.fp),
        );
        for (_, host) in &self.addresses {
            line.push_str(&format!(" https://{host}:{}{path}", self.port));
        }
        line
    }
}

/// How an address appears in a URL, with a rank that sorts IPv4 before IPv6 and link-local
/// IPv6 (usable only with its zone, which few browsers accept) last. `shown` is the address
/// as `mdns-sd` prints it: a link-local IPv6 one carries `%interface`, escaped as RFC 6874 says.
fn url_host(ip: IpAddr, shown: &str) -> (u8, String) {
    match ip {
        IpAddr::V4(v4) => (0, v4.to_string()),
        IpAddr::V6(v6) if v6.is_unicast_link_local() => {
            (2, format!("[{}]", shown.replace('%', "%25")))
        }
        IpAddr::V6(v6) => (1, format!("[{v6}]")),
    }
}

/// Browses `_vappoint._tcp` for `seconds` and prints one line per box found.
pub fn discover(seconds: u64) -> anyhow::Result<()> {
    let daemon = ServiceDaemon::new().context("starting the mDNS daemon")?;
    let events = daemon
        .browse(SERVICE_TYPE)
        .context("browsing for vappoint boxes")?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match events.recv_timeout(left) {
            Ok(ServiceEvent::ServiceResolved(s)) => {
                // A box answers on each of its interfaces: keep every address seen.
                let new = Found::from_resolved(&s);
                let entry = found.entry(s.get_fullname().to_string()).or_default();
                let mut addresses = std::mem::take(&mut entry.addresses);
                addresses.extend(new.addresses.iter().cloned());
                *entry = Found { addresses, ..new };
            }
            Ok(ServiceEvent::ServiceRemoved(_, fullname)) => {
                found.remove(&fullname);
            }
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => break,
            Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the mDNS daemon stopped"),
        }
    }
    let _ = daemon.stop_browse(SERVICE_TYPE);
    if let Ok(status) = daemon.shutdown() {
        let _ = status.recv_timeout(STOP_WAIT);
    }
    let mut lines: Vec<&Found> = found.values().filter(|f| !f.addresses.is_empty()).collect();
    lines.sort_by(|a, b| (&a.role, &a.code).cmp(&(&b.role, &b.code)));
    if lines.is_empty() {
        println!("vappoint: no vappoint box answered on the LAN within {seconds} s");
    }
    for f in lines {
        println!("{}", f.line());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(name: &str, code: &str, zone: &str) -> Identity {
        Identity::station(name, code, zone)
    }

    const FP: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn host_name_follows_the_code() {
        assert_eq!(station("X", "DGP", "Z").host_name(), "dgp.local.");
        assert_eq!(
            station("X", "Kothrud-2", "Z").host_name(),
            "kothrud-2.local."
        );
        // The default code says nothing about the station.
        assert_eq!(station("X", "PS", "Z").host_name(), "vappoint.local.");
        assert_eq!(station("X", "ps", "Z").host_name(), "vappoint.local.");
        assert_eq!(
            Identity::hub("Pune City Police").host_name(),
            "vappoint-hub.local."
        );
    }

    #[test]
    fn txt_record_holds_what_clients_check() {
        let txt = station("Deccan Gymkhana Police Station", "DGP", "Zone 1").txt(FP);
        let map: BTreeMap<_, _> = txt.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(map["code"], "DGP");
        assert_eq!(map["zone"], "Zone 1");
        assert_eq!(map["role"], "station");
        assert_eq!(map["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(map["fp"], FP);
        assert_eq!(map["path"], "/");
        assert_eq!(map.len(), 6);

        let hub: BTreeMap<_, _> = Identity::hub("Pune City Police")
            .txt(FP)
            .into_iter()
            .collect();
        assert_eq!(hub["role"], "hub");
        assert_eq!(hub["code"], "HUB");
        assert_eq!(hub["zone"], "");
    }

    #[test]
    fn long_values_fit_dns_limits() {
        // 100 Devanagari characters are 300 bytes: too long for one TXT string.
        let zone = "झ".repeat(100);
        let name = "पोलीस ठाणे ".repeat(20);
        let id = station(&name, "KOTHRUD-WEST", &zone);
        for (k, v) in id.txt(FP) {
            assert!(k.len() + 1 + v.len() <= MAX_TXT_ENTRY, "{k}");
        }
        let zone_txt = id
            .txt(FP)
            .into_iter()
            .find(|(k, _)| *k == "zone")
            .unwrap()
            .1;
        assert!(zone.starts_with(&zone_txt) && !zone_txt.is_empty());
        let instance = id.instance_name();
        assert!(instance.len() <= MAX_LABEL, "{} bytes", instance.len());
        assert!(instance.ends_with(" (KOTHRUD-WEST)"), "{instance}");
        assert_eq!(
            station("Deccan Gymkhana Police Station", "DGP", "Z").instance_name(),
            "Deccan Gymkhana Police Station (DGP)"
        );
        assert_eq!(
            Identity::hub("Pune City Police").instance_name(),
            "Pune City Police (hub)"
        );
        // The record builds: keys are valid, no string is over 255 bytes.
        id.service(8443, FP).unwrap();
    }

    #[test]
    fn announced_only_where_the_listener_is_reachable() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let any4 = ip("0.0.0.0");
        assert!(carries(any4, ip("192.168.1.20"), false));
        assert!(!carries(any4, ip("fd00::2"), false));
        assert!(!carries(any4, ip("127.0.0.1"), true));
        let any6 = ip("::");
        assert!(carries(any6, ip("192.168.1.20"), false));
        assert!(carries(any6, ip("fd00::2"), false));
        assert!(!carries(any6, ip("::1"), true));
        let one = ip("192.168.1.20");
        assert!(carries(one, ip("192.168.1.20"), false));
        assert!(!carries(one, ip("10.0.0.7"), false));
    }

    #[test]
    fn discovery_is_on_unless_switched_off() {
        let c: crate::config::Config = toml::from_str("").unwrap();
        assert!(c.discovery.enabled);
        let c: crate::config::Config = toml::from_str("[discovery]\nenabled = false").unwrap();
        assert!(!c.discovery.enabled);
        assert!(toml::from_str::<crate::config::Config>("[discovery]\nenable = true").is_err());
    }

    #[test]
    fn discover_prints_one_line_per_box() {
        let f = Found {
            role: "station".into(),
            code: "DGP".into(),
            zone: "Zone 1".into(),
            version: "0.1.0".into(),
            fp: FP.into(),
            path: "/".into(),
            port: 8443,
            addresses: [
                url_host("fe80::1".parse().unwrap(), "fe80::1%eth0"),
                url_host("fd00::5".parse().unwrap(), "fd00::5"),
                url_host("10.0.0.5".parse().unwrap(), "10.0.0.5"),
            ]
            .into_iter()
            .collect(),
        };
        assert_eq!(
            f.line(),
            format!(
                "station DGP zone=\"Zone 1\" version=0.1.0 fp={FP} https://10.0.0.5:8443/ \
                 https://[fd00::5]:8443/ https://[fe80::1%25eth0]:8443/"
            )
        );
        assert_eq!(Found::default().line(), "- - zone=\"\" version=- fp=-");
    }
}
