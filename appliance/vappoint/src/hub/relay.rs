//! The hub as an SNI relay: each enrolled station keeps one tunnel to the hub (an HTTP/1.1
//! upgrade on the hub's HTTPS port, over the station's client certificate, then yamux), and
//! every public TLS connection for `<code>.<relay domain>` is passed through it as raw bytes,
//! one yamux stream per connection, opened with a PROXY protocol v1 line naming the citizen.
//! The hub never holds a station's key: TLS ends on the station's box. A name with no live,
//! non-revoked tunnel gets the hub's own TLS and a page that says no station answers there.
//!
//! yamux rather than HTTP/2: a relayed connection is an opaque byte stream in both
//! directions, which a yamux stream is (with per-stream flow control); h2 would need CONNECT
//! requests and an adapter between its frames and `AsyncRead`/`AsyncWrite` of our own.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use chrono::{DateTime, Utc};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::compat::{FuturesAsyncReadCompatExt, TokioAsyncReadCompatExt};
use tokio_util::sync::CancellationToken;
use vappoint_store::HubStore;

use super::{HubApp, error, internal};
use crate::server::peer::PeerCert;
use crate::server::sni::{Passthrough, Prefixed};
use crate::ui::LANGS;

/// The `Upgrade` token of the tunnel.
pub const TUNNEL_PROTOCOL: &str = "vappoint-tunnel/1";
/// How many relayed connections one station's tunnel carries at once.
const MAX_STREAMS: usize = 512;
/// A relayed connection with no byte either way for this long is closed.
const IDLE: Duration = Duration::from_secs(10 * 60);
/// How often live tunnels are checked against the store (revocations made by another
/// process, `vappoint hub revoke`, reach the hub only through the database).
const RECHECK: Duration = Duration::from_secs(2);
/// How long the station may take to accept a new stream.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

type Opened = oneshot::Sender<yamux::Result<yamux::Stream>>;

/// One station's tunnel while it is up.
struct Live {
    id: u64,
    code: String,
    cert: String,
    open: mpsc::Sender<Opened>,
    close: CancellationToken,
    active: Arc<AtomicUsize>,
}

/// What the console shows about a station's tunnel (since the hub started).
#[derive(Default)]
struct Entry {
    live: Option<Live>,
    /// When the tunnel last came up or went down.
    since: Option<DateTime<Utc>>,
    bytes: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
}

/// A station's tunnel as the console shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TunnelStatus {
    pub up: bool,
    pub since: Option<DateTime<Utc>>,
    pub bytes: u64,
    pub connections: u64,
    pub active: usize,
}

/// The live tunnels, by the station's label under the relay domain (its code, lowercase).
pub struct Relay {
    /// `.v.example`, lowercase with the leading dot; `None` when the hub does not relay.
    suffix: Option<String>,
    /// The hub's own name (`[public] host`): never a station's, even under the relay domain.
    own: Option<String>,
    store: Arc<HubStore>,
    tunnels: Mutex<HashMap<String, Entry>>,
    next_id: AtomicU64,
}

impl Relay {
    pub fn new(domain: Option<&str>, own: Option<&str>, store: Arc<HubStore>) -> Arc<Relay> {
        Arc::new(Relay {
            suffix: domain.map(|d| format!(".{}", d.to_ascii_lowercase())),
            own: own.map(str::to_ascii_lowercase),
            store,
            tunnels: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        })
    }

    fn tunnels(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.tunnels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The station label of a host name under the relay domain (`dgp` of `dgp.v.test`).
    pub fn label_of<'a>(&self, host: &'a str) -> Option<&'a str> {
        let suffix = self.suffix.as_deref()?;
        if self
            .own
            .as_deref()
            .is_some_and(|own| host.eq_ignore_ascii_case(own))
        {
            return None;
        }
        let cut = host.len().checked_sub(suffix.len())?;
        if !host.is_char_boundary(cut) || !host[cut..].eq_ignore_ascii_case(suffix) {
            return None;
        }
        let label = &host[..cut];
        (!label.is_empty() && !label.contains('.')).then_some(label)
    }

    /// Where citizens book station `code` when the hub relays it: `https://<code>.<domain>/`
    /// once the station has kept a tunnel (since the hub started; stations reconnect within
    /// seconds), so a station reached another way keeps its own address.
    pub fn booking_url(&self, code: &str) -> Option<String> {
        let suffix = self.suffix.as_deref()?;
        let label = code.to_ascii_lowercase();
        self.tunnels()
            .contains_key(&label)
            .then(|| format!("https://{label}{suffix}/"))
    }

    /// The tunnel of station `code`, for the console.
    pub fn status(&self, code: &str) -> Option<TunnelStatus> {
        let tunnels = self.tunnels();
        let e = tunnels.get(&code.to_ascii_lowercase())?;
        Some(TunnelStatus {
            up: e.live.is_some(),
            since: e.since,
            bytes: e.bytes.load(Ordering::Relaxed),
            connections: e.connections.load(Ordering::Relaxed),
            active: e
                .live
                .as_ref()
                .map_or(0, |l| l.active.load(Ordering::Relaxed)),
        })
    }

    /// Records a new tunnel for `code`, closing the one it replaces.
    fn register(
        &self,
        code: &str,
        cert: &str,
        open: mpsc::Sender<Opened>,
    ) -> (u64, CancellationToken) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let close = CancellationToken::new();
        let mut tunnels = self.tunnels();
        let entry = tunnels.entry(code.to_ascii_lowercase()).or_default();
        if let Some(old) = entry.live.take() {
            tracing::info!(station = %code, "a new tunnel replaces the station's old one");
            old.close.cancel();
        }
        entry.live = Some(Live {
            id,
            code: code.to_string(),
            cert: cert.to_string(),
            open,
            close: close.clone(),
            active: Arc::new(AtomicUsize::new(0)),
        });
        entry.since = Some(Utc::now());
        (id, close)
    }

    /// Forgets tunnel `id` of `label` (if it is still the current one) and closes it.
    fn close(&self, label: &str, id: u64, why: &str) {
        let mut tunnels = self.tunnels();
        if let Some(entry) = tunnels.get_mut(label)
            && entry.live.as_ref().is_some_and(|l| l.id == id)
        {
            let live = entry.live.take().expect("checked above");
            live.close.cancel();
            entry.since = Some(Utc::now());
            tracing::info!(station = %live.code, why, "tunnel down");
        }
    }

    /// Carries a station's tunnel until it ends, is replaced or is closed by a revocation.
    async fn run_tunnel(self: Arc<Self>, code: String, cert: String, io: hyper::upgrade::Upgraded) {
        let mut config = yamux::Config::default();
        config.set_max_num_streams(MAX_STREAMS);
        let mut conn =
            yamux::Connection::new(TokioIo::new(io).compat(), config, yamux::Mode::Client);
        let (open, mut requests) = mpsc::channel::<Opened>(64);
        let (id, close) = self.register(&code, &cert, open);
        tracing::info!(station = %code, "tunnel up");
        let mut waiting: Option<Opened> = None;
        // The connection makes progress only while polled: this one task drives it, opening
        // streams as the relay asks for them and refusing any the station opens.
        let drive = poll_fn(|cx: &mut Context<'_>| {
            loop {
                if waiting.is_none()
                    && let Poll::Ready(Some(r)) = requests.poll_recv(cx)
                {
                    waiting = Some(r);
                }
                if let Some(r) = waiting.take() {
                    match conn.poll_new_outbound(cx) {
                        Poll::Ready(s) => {
                            let failed = s.is_err();
                            let _ = r.send(s);
                            if failed {
                                return Poll::Ready("the tunnel failed");
                            }
                            continue;
                        }
                        Poll::Pending => waiting = Some(r),
                    }
                }
                match conn.poll_next_inbound(cx) {
                    Poll::Ready(Some(Ok(_stream))) => continue,
                    Poll::Ready(Some(Err(_))) => return Poll::Ready("the tunnel failed"),
                    Poll::Ready(None) => return Poll::Ready("the station closed the tunnel"),
                    Poll::Pending => return Poll::Pending,
                }
            }
        });
        let why = tokio::select! {
            why = drive => why,
            _ = close.cancelled() => "closed by the hub",
        };
        self.close(&code.to_ascii_lowercase(), id, why);
    }

    /// Whether station `code` may still have its tunnel with `cert`: enrolled with that
    /// certificate and not revoked.
    async fn allowed(&self, code: String, cert: String) -> anyhow::Result<bool> {
        let station = crate::db::blocking(&self.store, move |s| s.station(&code)).await?;
        Ok(station.is_some_and(|s| !s.revoked && s.cert_sha256.as_deref() == Some(cert.as_str())))
    }

    /// Every `RECHECK`: closes the tunnels of stations revoked (or enrolled again) since.
    pub async fn watch_revocations(self: Arc<Self>) {
        let mut tick = tokio::time::interval(RECHECK);
        loop {
            tick.tick().await;
            let live: Vec<(String, u64, String, String)> = self
                .tunnels()
                .iter()
                .filter_map(|(label, e)| {
                    let l = e.live.as_ref()?;
                    Some((label.clone(), l.id, l.code.clone(), l.cert.clone()))
                })
                .collect();
            if live.is_empty() {
                continue;
            }
            // One query a round, whatever the number of tunnels (10,000 idle tunnels, one
            // query each, took half a core).
            let stations = match crate::db::blocking(&self.store, |s| s.stations()).await {
                Ok(list) => list,
                Err(e) => {
                    tracing::warn!(error = %e, "checking the tunnels");
                    continue;
                }
            };
            let allowed: std::collections::HashMap<String, Option<String>> = stations
                .into_iter()
                .filter(|s| !s.revoked)
                .map(|s| (s.code, s.cert_sha256))
                .collect();
            for (label, id, code, cert) in live {
                if allowed.get(&code).and_then(Option::as_ref) != Some(&cert) {
                    self.close(&label, id, "revoked");
                }
            }
        }
    }

    /// Relays one citizen connection through the tunnel of `label`, or gives it back.
    async fn relay(
        self: Arc<Self>,
        label: String,
        peer: SocketAddr,
        stream: Prefixed<TcpStream>,
    ) -> Option<Prefixed<TcpStream>> {
        let found = self.tunnels().get(&label).and_then(|e| {
            let l = e.live.as_ref()?;
            Some((
                l.id,
                l.code.clone(),
                l.cert.clone(),
                l.open.clone(),
                l.active.clone(),
                e.bytes.clone(),
                e.connections.clone(),
            ))
        });
        let Some((id, code, cert, open, active, bytes, connections)) = found else {
            return Some(stream);
        };
        // Revocation reaches a running hub through the store; a connection never waits for
        // the next periodic check to be refused.
        match self.allowed(code.clone(), cert).await {
            Ok(true) => {}
            Ok(false) => {
                self.close(&label, id, "revoked");
                return Some(stream);
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "checking a station before relaying");
                return Some(stream);
            }
        }
        if active.load(Ordering::Relaxed) >= MAX_STREAMS {
            tracing::warn!(station = %code, "too many relayed connections; one refused");
            return None;
        }
        let (tx, rx) = oneshot::channel();
        let opened = async {
            open.send(tx).await.ok()?;
            rx.await.ok()?.ok()
        };
        let Ok(Some(tunnel)) = tokio::time::timeout(OPEN_TIMEOUT, opened).await else {
            tracing::warn!(station = %code, "the station did not take a relayed connection");
            return Some(stream);
        };
        let mut tunnel = tunnel.compat();
        let local = stream.get_ref().local_addr().ok()?;
        if tunnel
            .write_all(proxy_line(peer, local).as_bytes())
            .await
            .is_err()
        {
            return None;
        }
        connections.fetch_add(1, Ordering::Relaxed);
        let _open = Open::count(active);
        let mut citizen = Metered::new(stream, bytes);
        let last = citizen.last.clone();
        let idle = async {
            loop {
                tokio::time::sleep(IDLE / 4).await;
                if last.quiet_for() >= IDLE {
                    break;
                }
            }
        };
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut citizen, &mut tunnel) => {}
            _ = idle => tracing::debug!(station = %code, "idle relayed connection closed"),
        }
        None
    }
}

impl Passthrough for Relay {
    fn route(
        self: Arc<Self>,
        name: String,
        peer: SocketAddr,
        stream: Prefixed<TcpStream>,
    ) -> Pin<Box<dyn Future<Output = Option<Prefixed<TcpStream>>> + Send>> {
        Box::pin(async move {
            let Some(label) = self.label_of(&name).map(str::to_string) else {
                return Some(stream);
            };
            self.relay(label, peer, stream).await
        })
    }
}

/// The PROXY protocol v1 header: the citizen's address and the hub's, so the station sees
/// who connected.
pub fn proxy_line(peer: SocketAddr, local: SocketAddr) -> String {
    let (peer, local) = (canonical(peer), canonical(local));
    let family = match (peer, local) {
        (SocketAddr::V4(_), SocketAddr::V4(_)) => "TCP4",
        (SocketAddr::V6(_), SocketAddr::V6(_)) => "TCP6",
        _ => return "PROXY UNKNOWN\r\n".into(),
    };
    format!(
        "PROXY {family} {} {} {} {}\r\n",
        peer.ip(),
        local.ip(),
        peer.port(),
        local.port()
    )
}

/// An IPv4 client seen on an IPv6 socket is named as IPv4.
fn canonical(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip().to_canonical(), a.port())
}

/// One open relayed connection in its tunnel's count, for as long as it lives (however
/// its future ends).
struct Open(Arc<AtomicUsize>);

impl Open {
    fn count(active: Arc<AtomicUsize>) -> Open {
        active.fetch_add(1, Ordering::Relaxed);
        Open(active)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// When bytes last passed, as milliseconds after `born`: one atomic store per read or write.
struct LastActivity {
    born: Instant,
    at_ms: AtomicU64,
}

impl LastActivity {
    fn touch(&self) {
        self.at_ms
            .store(self.born.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
    fn quiet_for(&self) -> Duration {
        self.born
            .elapsed()
            .saturating_sub(Duration::from_millis(self.at_ms.load(Ordering::Relaxed)))
    }
}

/// The citizen's side of a relayed connection: counts the bytes both ways into the
/// station's total and notes when the last one passed, for the idle timeout.
struct Metered<S> {
    inner: S,
    bytes: Arc<AtomicU64>,
    last: Arc<LastActivity>,
}

impl<S> Metered<S> {
    fn new(inner: S, bytes: Arc<AtomicU64>) -> Self {
        Metered {
            inner,
            bytes,
            last: Arc::new(LastActivity {
                born: Instant::now(),
                at_ms: AtomicU64::new(0),
            }),
        }
    }
    fn passed(&self, n: usize) {
        if n > 0 {
            self.bytes.fetch_add(n as u64, Ordering::Relaxed);
            self.last.touch();
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.passed(buf.filled().len() - before);
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.passed(n);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

pub(super) fn routes() -> Router<Arc<HubApp>> {
    Router::new().route("/federation/v1/tunnel", get(tunnel))
}

/// `GET /federation/v1/tunnel` with `Upgrade: vappoint-tunnel/1`: a station's tunnel, named
/// by its client certificate alone.
async fn tunnel(
    State(h): State<Arc<HubApp>>,
    Extension(PeerCert(cert)): Extension<PeerCert>,
    mut req: Request,
) -> Response {
    if h.config.relay.domain.is_none() {
        return error(
            StatusCode::NOT_FOUND,
            "no_relay",
            "This hub does not relay stations.",
        );
    }
    let Some(cert) = cert else {
        return error(
            StatusCode::UNAUTHORIZED,
            "certificate_required",
            "A tunnel needs the station's client certificate.",
        );
    };
    let wants = req.version() == axum::http::Version::HTTP_11
        && req
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case(TUNNEL_PROTOCOL));
    if !wants {
        return error(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            "Open the tunnel with an HTTP/1.1 upgrade.",
        );
    }
    let c = cert.clone();
    let station = match h.db(move |s| s.station_by_cert(&c)).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "unknown_certificate",
                "This hub did not issue that certificate.",
            );
        }
        Err(e) => return internal(e),
    };
    if station.revoked {
        return error(
            StatusCode::FORBIDDEN,
            "revoked",
            "This station's enrolment was revoked.",
        );
    }
    let upgrade = hyper::upgrade::on(&mut req);
    let relay = h.relay.clone();
    tokio::spawn(async move {
        match upgrade.await {
            Ok(io) => relay.run_tunnel(station.code, cert, io).await,
            Err(e) => tracing::warn!(station = %station.code, error = %e, "tunnel upgrade failed"),
        }
    });
    (
        StatusCode::SWITCHING_PROTOCOLS,
        [
            (header::CONNECTION, "upgrade"),
            (header::UPGRADE, TUNNEL_PROTOCOL),
        ],
    )
        .into_response()
}

/// In front of the hub's pages: a request for a station name under the relay domain reached
/// the hub's own TLS because no station answers there (unknown, revoked or offline). It gets
/// a page saying so, never the hub's own site under a station's name.
pub(super) async fn no_station(
    State(h): State<Arc<HubApp>>,
    uri: Uri,
    headers: HeaderMap,
    req: Request,
    next: Next,
) -> Response {
    let host = uri
        .host()
        .or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
        .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name));
    let path = uri.path();
    let shared =
        path.starts_with("/static/") || path.starts_with("/lang/") || path == "/favicon.ico";
    if shared || host.and_then(|host| h.relay.label_of(host)).is_none() {
        return next.run(req).await;
    }
    let lang = crate::site::lang_of(&uri, &headers);
    let directory = h
        .config
        .public
        .host
        .as_ref()
        .map(|host| format!("https://{host}/"));
    let ctx = json!({
        "lang": lang, "langs": LANGS, "here": uri.path_and_query().map_or("/", |p| p.as_str()),
        "station": {"name": h.config.hub.name, "zone": ""}, "tz_name": h.config.hub.time_zone.name(),
        "directory": directory,
    });
    match h.ui.render(
        "hub/no_station.html",
        minijinja::Value::from_serialize(&ctx),
    ) {
        Ok(html) => crate::site::html_response(StatusCode::NOT_FOUND, html),
        Err(e) => internal(format!("{e:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_lines_name_the_citizen() {
        let peer: SocketAddr = "203.0.113.7:51000".parse().unwrap();
        let local: SocketAddr = "192.0.2.1:443".parse().unwrap();
        assert_eq!(
            proxy_line(peer, local),
            "PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n"
        );
        let mapped: SocketAddr = "[::ffff:203.0.113.7]:51000".parse().unwrap();
        assert_eq!(
            proxy_line(mapped, local),
            "PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n"
        );
        let v6: SocketAddr = "[2001:db8::1]:5".parse().unwrap();
        let v6l: SocketAddr = "[2001:db8::2]:443".parse().unwrap();
        assert_eq!(
            proxy_line(v6, v6l),
            "PROXY TCP6 2001:db8::1 2001:db8::2 5 443\r\n"
        );
    }

    #[test]
    fn only_single_labels_under_the_domain_are_stations() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(HubStore::open(&dir.path().join("h.db")).unwrap());
        let r = Relay::new(Some("v.test"), Some("hub.v.test"), store.clone());
        assert_eq!(r.label_of("dgp.v.test"), Some("dgp"));
        assert_eq!(r.label_of("DGP.V.TEST"), Some("DGP"));
        assert_eq!(r.label_of("v.test"), None);
        assert_eq!(r.label_of(".v.test"), None);
        assert_eq!(r.label_of("a.b.v.test"), None);
        assert_eq!(r.label_of("dgpv.test"), None);
        assert_eq!(r.label_of("hub.example"), None);
        assert_eq!(r.label_of("HUB.v.test"), None, "the hub's own name");
        assert_eq!(Relay::new(None, None, store).label_of("dgp.v.test"), None);
    }
}
