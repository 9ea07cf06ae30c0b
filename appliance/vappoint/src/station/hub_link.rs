//! The station's side of federation: enrolling with a hub once, then pushing the durable
//! queue (profile, availability, daily figures; counts only) over mutual TLS with the hub's
//! certificate pinned. The station never waits on the hub: bookings and calls go on while it
//! is away, and the queue catches up when it is back. The pusher runs for the station's whole
//! life and starts pushing when an enrolment appears, even one made while the station runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use vappoint_wire::federation::{
    self as fed, AvailabilityDay, Body, EnrollRequest, EnrollResponse, OfficerName, Push, PushAck,
    PushMessage,
};

use crate::federation::{enrol_key, mac, mac_matches, station_request};
use crate::secrets::write_private;
use crate::server::peer::HubCert;
use crate::station::app::App;

/// What the station keeps about its hub, in `DATA/federation/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HubLink {
    pub url: String,
    pub station: String,
    /// SHA-256 (hex) of the hub's TLS certificate: the only one this station talks to.
    pub pinned: String,
    /// The name the hub relays to this station (`<code>.<relay domain>`), if it relays.
    #[serde(default)]
    pub public_host: Option<String>,
    /// The federation URLs of all the hub processes serving the city, as the hub last listed
    /// them (empty: only `url`). They share one database and one pinned certificate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hubs: Vec<String>,
}

impl HubLink {
    /// Every hub process to push to and keep a tunnel to, in the hub's order.
    pub fn urls(&self) -> Vec<String> {
        if self.hubs.is_empty() {
            vec![self.url.clone()]
        } else {
            self.hubs.clone()
        }
    }
}

/// The hub list of an enrolment answer or a push acknowledgement, keeping only what a
/// station can use (HTTPS addresses), without trailing slashes or repeats.
pub(crate) fn usable_hubs(listed: &[String]) -> Vec<String> {
    let mut hubs: Vec<String> = Vec::new();
    for url in listed {
        let url = url.trim_end_matches('/');
        if url.starts_with("https://") && !hubs.iter().any(|h| h == url) {
            hubs.push(url.to_string());
        }
    }
    hubs
}

fn dir(data: &Path) -> PathBuf {
    data.join("federation")
}

/// Writes `hub.json` (private: it names the pinned certificate the station trusts).
pub(crate) fn save_link(data: &Path, link: &HubLink) -> anyhow::Result<()> {
    write_private(
        &dir(data).join("hub.json"),
        serde_json::to_string_pretty(link)?.as_bytes(),
    )
}

pub fn load_link(data: &Path) -> anyhow::Result<Option<HubLink>> {
    let path = dir(data).join("hub.json");
    match std::fs::read(&path) {
        Ok(b) => {
            Ok(Some(serde_json::from_slice(&b).with_context(|| {
                format!("{} is damaged", path.display())
            })?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// The TLS client side of every connection to the hub: `verifier` decides about the hub's
/// certificate; `with_identity` presents the station's client certificate (pushes, the
/// tunnel).
fn tls_config(
    data: &Path,
    verifier: Arc<HubCert>,
    with_identity: bool,
) -> anyhow::Result<rustls::ClientConfig> {
    let provider = crate::server::tls::provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut tls = if with_identity {
        use rustls::pki_types::pem::PemObject;
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(dir(data).join("client.pem"))?
            .collect::<Result<Vec<_>, _>>()?;
        let key = rustls::pki_types::PrivateKeyDer::from_pem_file(dir(data).join("client.key"))?;
        builder.with_client_auth_cert(certs, key)?
    } else {
        builder.with_no_client_auth()
    };
    // `vappoint-fed/1` asks the hub for the self-signed certificate this station pins, even
    // once the hub serves a trusted one to browsers (docs/federation.md); HTTP/1.1 is what
    // is spoken.
    tls.alpn_protocols = vec![b"http/1.1".to_vec(), b"vappoint-fed/1".to_vec()];
    Ok(tls)
}

pub(crate) fn client(
    data: &Path,
    verifier: Arc<HubCert>,
    with_identity: bool,
) -> anyhow::Result<reqwest::Client> {
    let tls = tls_config(data, verifier, with_identity)?;
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(15))
        .build()?)
}

/// The TLS client configuration of the station's tunnel: the same as pushes (client
/// certificate, the hub pinned, ALPN `vappoint-fed/1` beside `http/1.1`), since a hub with a
/// trusted certificate shows the pinned one only to a client offering `vappoint-fed/1`.
pub fn tunnel_tls(data: &Path, link: &HubLink) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let verifier = HubCert::pinned(crate::server::tls::provider(), link.pinned.clone());
    Ok(Arc::new(tls_config(data, Arc::new(verifier), true)?))
}

/// Enrols this station (code `station`) with the hub at `url` using a one-time `code`: keys
/// and certificates first, then the queue numbered afresh for the new hub, and `hub.json`
/// last, because its appearance is what starts the pusher of a running station.
pub async fn enroll(
    data: &Path,
    store: &vappoint_store::Store,
    url: &str,
    station: &str,
    code: &str,
) -> anyhow::Result<HubLink> {
    let url = url.trim_end_matches('/').to_string();
    if !url.starts_with("https://") {
        bail!("the hub address must start with https://");
    }
    let key = enrol_key(code);
    let (keypair, csr) = station_request(station)?;
    let request = EnrollRequest {
        version: fed::VERSION,
        station: station.to_string(),
        mac: mac(&key, &["station", station, &csr]),
        csr,
    };
    let seen = Arc::new(HubCert::recording(crate::server::tls::provider()));
    let http = client(data, seen.clone(), false)?;
    let resp = http
        .post(format!("{url}/federation/v1/enroll"))
        .json(&request)
        .send()
        .await
        .with_context(|| format!("reaching the hub at {url}"))?;
    if !resp.status().is_success() {
        let status = resp.status();
        let message = refusal_message(resp).await;
        bail!("the hub refused the enrolment ({status}): {message}");
    }
    let answer: EnrollResponse = resp
        .json()
        .await
        .context("the hub's answer could not be read")?;
    if !mac_matches(
        &key,
        &[
            "hub",
            &answer.certificate,
            &answer.ca,
            &answer.hub_tls_sha256,
            answer.public_host.as_deref().unwrap_or(""),
        ],
        &answer.mac,
    ) {
        bail!(
            "the hub's answer is not signed with this enrolment code: this is not the hub that issued it"
        );
    }
    let presented = seen.seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if presented.as_deref() != Some(answer.hub_tls_sha256.as_str()) {
        bail!("the hub's certificate is not the one its answer names (is something in between?)");
    }
    let d = dir(data);
    write_private(&d.join("client.key"), keypair.serialize_pem().as_bytes())?;
    write_private(&d.join("client.pem"), answer.certificate.as_bytes())?;
    write_private(&d.join("ca.pem"), answer.ca.as_bytes())?;
    start_afresh(store)?;
    let link = HubLink {
        url,
        station: station.to_string(),
        pinned: answer.hub_tls_sha256,
        public_host: answer.public_host,
        hubs: usable_hubs(&answer.hubs),
    };
    save_link(data, &link)?;
    Ok(link)
}

/// After enrolling: number messages from 1 again and queue everything the hub needs.
pub(crate) fn start_afresh(store: &vappoint_store::Store) -> anyhow::Result<()> {
    store.reset_federation()?;
    store.mark_all_days_changed()?;
    store.set_setting("federation.profile", None)?;
    store.set_setting(AUDIT_HEAD_SENT, None)?;
    Ok(())
}

/// The settings key of the last audit head queued for the hub.
const AUDIT_HEAD_SENT: &str = "federation.audit_head";

fn encode(body: &Body) -> String {
    serde_json::to_string(body).expect("message bodies serialise")
}

/// Queues what changed: daily figures of changed days, and (after changes, or every
/// `availability_interval`) the 14-day availability; the profile when it changed.
async fn queue_changes(
    app: &Arc<App>,
    last_availability: &mut Option<std::time::Instant>,
) -> anyhow::Result<()> {
    let tz = app.tz();
    let now = Utc::now();
    let changed = app
        .db(move |s| {
            s.snapshot_changed_days(tz, now, |f| {
                encode(&Body::Daily {
                    date: f.day.to_string(),
                    officer_id: f.officer_id,
                    counts: f.counts.clone(),
                })
            })
        })
        .await?;
    let officers = app.db(|s| s.officers()).await?;
    let profile = app.profile();
    let body = encode(&Body::Profile {
        name: profile.name.clone(),
        zone: profile.zone.clone(),
        officers: officers
            .iter()
            .map(|o| OfficerName {
                id: o.id.0,
                name: o.name.clone(),
                rank: o.rank.clone(),
            })
            .collect(),
    });
    if app
        .db(|s| s.setting("federation.profile"))
        .await?
        .as_deref()
        != Some(body.as_str())
    {
        let b = body.clone();
        app.db(move |s| {
            s.enqueue_federation("profile", &b, now)?;
            s.set_setting("federation.profile", Some(&b))
        })
        .await?;
    }
    let due = last_availability
        .is_none_or(|t| t.elapsed() >= app.config.federation.availability_interval);
    if changed > 0 || due {
        let mut days = Vec::new();
        let today = now.with_timezone(&tz).date_naive();
        for o in &officers {
            for d in 0..crate::station::availability::LOOKAHEAD_DAYS {
                let date = today + chrono::Duration::days(d);
                let slots = crate::station::availability::day(app, o, date, now)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let next = slots
                    .iter()
                    .find(|(_, free)| *free)
                    .map(|(s, _)| s.start.with_timezone(&tz).to_rfc3339());
                days.push(AvailabilityDay {
                    officer_id: o.id.0,
                    date: date.to_string(),
                    offered: slots.len() as u32,
                    free: slots.iter().filter(|(_, free)| *free).count() as u32,
                    next_free: next,
                });
            }
        }
        let b = encode(&Body::Availability {
            generated_at: now.with_timezone(&tz).to_rfc3339(),
            days,
        });
        app.db(move |s| s.enqueue_federation("availability", &b, now))
            .await?;
        *last_availability = Some(std::time::Instant::now());
    }
    // The audit log's head whenever it moved: the hub keeps heads, so a log rewritten on
    // this box later disagrees with one it recorded.
    if let Some(head) = app.db(|s| s.audit_head()).await? {
        let b = encode(&Body::AuditHead {
            seq: head.seq,
            hash: head.hash,
        });
        if app.db(|s| s.setting(AUDIT_HEAD_SENT)).await?.as_deref() != Some(b.as_str()) {
            app.db(move |s| {
                s.enqueue_federation("audit_head", &b, now)?;
                s.set_setting(AUDIT_HEAD_SENT, Some(&b))
            })
            .await?;
        }
    }
    // A quiet station still says it is alive, so the hub can tell silence from an outage.
    let quiet = app
        .db(|s| s.last_queued_at())
        .await?
        .is_none_or(|t| now - t > chrono::Duration::minutes(5));
    let (backlog, _) = app.db(|s| s.federation_backlog()).await?;
    if quiet && backlog == 0 {
        let b = encode(&Body::Heartbeat {
            at: now.with_timezone(&tz).to_rfc3339(),
        });
        app.db(move |s| s.enqueue_federation("heartbeat", &b, now))
            .await?;
    }
    Ok(())
}

/// The HTTPS client a station pushes with: its client certificate, the hub's certificate
/// pinned.
pub fn push_client(data: &Path, link: &HubLink) -> anyhow::Result<reqwest::Client> {
    client(
        data,
        Arc::new(HubCert::pinned(
            crate::server::tls::provider(),
            link.pinned.clone(),
        )),
        true,
    )
}

/// Pushes the queue in batches until it is empty, to the hub process that last answered
/// (`link.url`), else to the next of `link.urls()` that does: a batch re-sent to another
/// process is harmless, since the hubs' shared database applies each sequence number once.
/// Returns how many messages the hubs took; `link.url` is left at the one that answered.
pub async fn push_all(
    app: &Arc<App>,
    http: &reqwest::Client,
    link: &mut HubLink,
) -> anyhow::Result<usize> {
    let urls = link.urls();
    let mut sent = 0;
    loop {
        let mut batch = app.db(|s| s.pending_federation(200)).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        // Stay well under the hub's body limit: a station with many officers sends large
        // availability messages, and a batch the hub refuses would be refused forever.
        let mut bytes = 0;
        let fits = batch
            .iter()
            .take_while(|m| {
                bytes += m.body.len() + 128;
                bytes <= fed::MAX_PUSH_BYTES / 2
            })
            .count();
        batch.truncate(fits.max(1));
        let last = batch.last().map_or(0, |m| m.seq);
        let messages = batch
            .iter()
            .map(|m| {
                Ok(PushMessage {
                    seq: m.seq,
                    digest: data_encoding::HEXLOWER.encode(&Sha256::digest(m.body.as_bytes())),
                    body: RawValue::from_string(m.body.clone())?,
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        let push = Push {
            version: fed::VERSION,
            station: link.station.clone(),
            messages,
            health: Some(crate::station::health::gather(app)),
        };
        let (url, resp) = send_to_any(&urls, &link.url, |url| {
            Ok(http.post(format!("{url}/federation/v1/push")).json(&push))
        })
        .await?;
        link.url = url;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            bail!("the hub refused a push ({status}): {text}");
        }
        let ack: PushAck = resp
            .json()
            .await
            .context("the hub's answer could not be read")?;
        if ack.acked < last {
            bail!("the hub acknowledged only up to {} of {last}", ack.acked);
        }
        app.db(move |s| s.ack_federation(ack.acked)).await?;
        if !ack.updates.is_empty() {
            tokio::spawn(crate::station::update::take_offers(
                app.clone(),
                http.clone(),
                link.url.clone(),
                ack.updates,
            ));
        }
        // A hub process added (or removed) since the enrolment: the pusher and the tunnels
        // start again from the rewritten `hub.json`.
        let hubs = usable_hubs(&ack.hubs);
        if !hubs.is_empty() && hubs != link.hubs {
            link.hubs = hubs.clone();
            remember_hubs(&app.data_dir, hubs)?;
        }
        sent += batch.len();
    }
}

/// Sends the request `build` makes for a hub's URL to `first`, then to the others of `urls` in
/// their order, until one answers with anything but a server error (a refusal is the
/// database's answer, the same from every process). Returns the hub that answered and its
/// answer.
pub(crate) async fn send_to_any(
    urls: &[String],
    first: &str,
    build: impl Fn(&str) -> anyhow::Result<reqwest::RequestBuilder>,
) -> anyhow::Result<(String, reqwest::Response)> {
    let start = urls.iter().position(|u| u == first).unwrap_or(0);
    let mut failure = anyhow::anyhow!("no hub address");
    for i in 0..urls.len() {
        let url = &urls[(start + i) % urls.len()];
        match build(url)?.send().await {
            Ok(resp) if !resp.status().is_server_error() => return Ok((url.clone(), resp)),
            Ok(resp) => {
                failure = anyhow::anyhow!("the hub at {url} failed ({})", resp.status());
            }
            Err(e) => failure = anyhow::Error::new(e).context(format!("reaching the hub at {url}")),
        }
        if i + 1 < urls.len() {
            tracing::warn!(error = %format!("{failure:#}"), "trying the next hub");
        }
    }
    Err(failure)
}

/// Records the hub processes a push acknowledgement listed in `hub.json`.
fn remember_hubs(data: &Path, hubs: Vec<String>) -> anyhow::Result<()> {
    let mut link = load_link(data)?.context("hub.json went away")?;
    tracing::info!(?hubs, "the hub lists other hub processes now");
    link.hubs = hubs;
    save_link(data, &link)
}

/// How often the pusher looks for an enrolment made while the station runs: one `stat` of
/// `hub.json`, so cheap that a few seconds cost nothing.
const WATCH: Duration = Duration::from_secs(3);

/// Which `hub.json` the pusher is using: enrolling replaces the file by a rename, so a new
/// enrolment (even with the same hub) is a new inode.
pub fn link_identity(data: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir(data).join("hub.json"))
        .ok()
        .map(|m| m.ino())
}

/// The link and the client that pushes to it.
struct Pusher {
    link: HubLink,
    http: reqwest::Client,
}

fn pusher(app: &App) -> anyhow::Result<Pusher> {
    let link = load_link(&app.data_dir)?.context("hub.json went away")?;
    let http = push_client(&app.data_dir, &link)?;
    Ok(Pusher { link, http })
}

/// Runs while the station runs: watches for an enrolment (made before the start or while
/// running, from the console or `vappoint station enroll`), then queues changes and pushes,
/// backing off while the hub is unreachable.
pub async fn run(app: Arc<App>) {
    let interval = app.config.federation.push_interval;
    // The `hub.json` last acted on (so broken credentials are reported once, not every tick).
    let mut seen: Option<u64> = None;
    let mut current: Option<Pusher> = None;
    let mut wait = interval;
    let mut next_push = tokio::time::Instant::now();
    let mut last_availability = None;
    loop {
        tokio::time::sleep(WATCH.min(interval)).await;
        let identity = link_identity(&app.data_dir);
        if identity != seen {
            seen = identity;
            current = None;
            if identity.is_some() {
                match pusher(&app) {
                    Ok(p) => {
                        tracing::info!(hub = %p.link.url, station = %p.link.station, "pushing figures to the hub");
                        current = Some(p);
                        // The first push after one interval, like every later one; then the
                        // whole queue, availability included.
                        (wait, next_push, last_availability) =
                            (interval, tokio::time::Instant::now() + interval, None);
                    }
                    Err(e) => {
                        tracing::error!(error = %format!("{e:#}"), "federation paused: the station's hub credentials cannot be read");
                    }
                }
            }
        }
        let Some(p) = &mut current else { continue };
        // Every round, not only with pushes: the first credentials come as soon as the link
        // exists (a call right after the start gets TURN), and checking costs a lock.
        app.turn.refresh(&p.http, &p.link).await;
        if tokio::time::Instant::now() < next_push {
            continue;
        }
        if let Err(e) = queue_changes(&app, &mut last_availability).await {
            tracing::error!(error = %format!("{e:#}"), "queuing figures for the hub");
        }
        match push_all(&app, &p.http, &mut p.link).await {
            Ok(n) => {
                if n > 0 {
                    tracing::debug!(messages = n, "pushed to the hub");
                }
                wait = interval;
            }
            Err(e) => {
                wait = (wait * 2)
                    .min(app.config.federation.retry_max)
                    .max(interval);
                tracing::warn!(error = %format!("{e:#}"), retry_in = ?wait, "the hub is unreachable; figures stay queued");
            }
        }
        next_push = tokio::time::Instant::now() + wait;
    }
}

/// What the hub said when it refused a request: its error's message, else the body's text.
pub(crate) async fn refusal_message(resp: reqwest::Response) -> String {
    let text = resp.text().await.unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_pushes_to_the_hubs_listed_else_where_it_enrolled() {
        let listed = [
            "https://hub-a.example:8443/",
            "http://plain.example",
            "https://hub-b.example:8443",
            "https://hub-a.example:8443",
        ]
        .map(str::to_string);
        let hubs = usable_hubs(&listed);
        assert_eq!(
            hubs,
            ["https://hub-a.example:8443", "https://hub-b.example:8443"]
        );
        let mut link: HubLink = serde_json::from_str(
            r#"{"url": "https://hub.example", "station": "DGP", "pinned": "ab"}"#,
        )
        .unwrap();
        assert_eq!(link.urls(), ["https://hub.example"]);
        link.hubs = hubs.clone();
        assert_eq!(link.urls(), hubs);
    }
}
