//! The station's outbound tunnel to its hub, in `relay` mode: the hub passes each citizen
//! connection for the station's public name through it, undecrypted, as one yamux stream
//! that starts with a PROXY protocol v1 line; the station serves it with its own TLS and
//! router, as if the citizen had connected directly. One tunnel to each hub process the
//! hub lists, each kept up for the station's whole life, reconnecting with jittered backoff
//! (1 s doubling to 60 s).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio_util::compat::{FuturesAsyncReadCompatExt, TokioAsyncReadCompatExt};

use crate::config::PublicMode;
use crate::server::stream::{Site, upgrade};
use crate::station::app::App;
use crate::station::hub_link::{HubLink, link_identity, load_link, tunnel_tls};

/// The `Upgrade` token the hub expects (`hub/relay.rs` has the same).
const PROTOCOL: &str = "vappoint-tunnel/1";
/// How often the station looks whether it should (still) keep the tunnel it has.
const WATCH: Duration = Duration::from_secs(3);
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(60);
/// How long a relayed connection may take to send its PROXY line.
const PROXY_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest PROXY protocol v1 line, by its specification.
const PROXY_MAX: usize = 107;

/// The hub link to keep a tunnel to, if the station is in relay mode and its hub relays it.
fn wanted(app: &App) -> Option<HubLink> {
    // The mode as the config fixes it or the admin chose it (set-up, Station page).
    if app.profile().public_mode != PublicMode::Relay {
        return None;
    }
    load_link(&app.data_dir)
        .ok()
        .flatten()
        .filter(|l| l.public_host.is_some())
}

/// Runs while the station runs: keeps a tunnel to every hub process of the link whenever
/// tunnels are wanted, so a citizen reaches the station through whichever hub their DNS
/// answer names. `site` is the HTTPS listener's TLS and router, so relayed citizens get
/// exactly what direct ones get.
pub async fn run(app: Arc<App>, site: Site) {
    loop {
        let Some(link) = wanted(&app) else {
            tokio::time::sleep(WATCH).await;
            continue;
        };
        tracing::info!(hubs = ?link.urls(), name = ?link.public_host, "keeping a tunnel to each hub");
        let identity = link_identity(&app.data_dir);
        let mut tunnels = tokio::task::JoinSet::new();
        for url in link.urls() {
            let link = HubLink {
                url,
                ..link.clone()
            };
            tunnels.spawn(keep(app.clone(), link, site.clone()));
        }
        // A new enrolment, a new list of hubs or another mode ends these tunnels (dropping
        // the set aborts them); the loop starts the next ones.
        changed(&app, identity).await;
        drop(tunnels);
        tracing::info!("tunnels to the hub closed");
    }
}

/// Keeps the tunnel to the hub process at `link.url` up, reconnecting with backoff.
async fn keep(app: Arc<App>, link: HubLink, site: Site) {
    let mut retry = FIRST_RETRY;
    loop {
        let started = tokio::time::Instant::now();
        match once(&app, &link, &site).await {
            Ok(()) => tracing::info!(hub = %link.url, "tunnel to the hub closed"),
            Err(e) => {
                tracing::warn!(hub = %link.url, error = %format!("{e:#}"), retry_in = ?retry, "tunnel to the hub down")
            }
        }
        // A tunnel that stayed up a while starts the backoff afresh.
        if started.elapsed() > MAX_RETRY {
            retry = FIRST_RETRY;
        }
        let jitter = rand::random_range(0.75..1.25);
        tokio::time::sleep(retry.mul_f64(jitter)).await;
        retry = (retry * 2).min(MAX_RETRY);
    }
}

/// Returns when the tunnels are no longer wanted, or `hub.json` was replaced.
async fn changed(app: &App, identity: Option<u64>) {
    loop {
        tokio::time::sleep(WATCH).await;
        if wanted(app).is_none() || link_identity(&app.data_dir) != identity {
            return;
        }
    }
}

/// One tunnel: connects, upgrades, then serves the streams the hub opens until it ends.
async fn once(app: &App, link: &HubLink, site: &Site) -> anyhow::Result<()> {
    let url = reqwest::Url::parse(&link.url).context("the hub's address")?;
    let host = url.host_str().context("the hub's address has no host")?;
    let port = url.port_or_known_default().unwrap_or(443);
    // An IPv6 host comes bracketed from the URL; the socket and TLS want it bare.
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let tcp = tokio::time::timeout(
        Duration::from_secs(15),
        TcpStream::connect((bare.as_str(), port)),
    )
    .await
    .context("connecting to the hub timed out")?
    .with_context(|| format!("connecting to {host}:{port}"))?;
    tcp.set_nodelay(true)?;
    // A hub that vanished without closing (a NAT forgetting the connection) is noticed in
    // about a minute, not hours.
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(30))
        .with_interval(Duration::from_secs(10))
        .with_retries(3);
    socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive)?;
    let name =
        rustls::pki_types::ServerName::try_from(bare.clone()).context("the hub's host name")?;
    let tls_client = tokio_rustls::TlsConnector::from(tunnel_tls(&app.data_dir, link)?);
    let stream = tls_client
        .connect(name, tcp)
        .await
        .context("TLS with the hub")?;
    let upgraded = upgrade(stream, url.authority(), "/federation/v1/tunnel", PROTOCOL)
        .await
        .context("the hub's tunnel")?;
    let mut conn = yamux::Connection::new(
        upgraded.compat(),
        yamux::Config::default(),
        yamux::Mode::Server,
    );
    tracing::info!(hub = %link.url, "tunnel up");
    loop {
        let next = std::future::poll_fn(|cx| conn.poll_next_inbound(cx)).await;
        let stream = match next {
            Some(Ok(s)) => s,
            Some(Err(e)) => return Err(e).context("the tunnel failed"),
            None => return Ok(()),
        };
        let site = site.clone();
        tokio::spawn(async move {
            let mut stream = stream.compat();
            let peer = match tokio::time::timeout(PROXY_TIMEOUT, proxy_header(&mut stream)).await {
                Ok(Ok(peer)) => peer,
                Ok(Err(e)) => {
                    tracing::warn!(error = %format!("{e:#}"), "a relayed connection without its PROXY line");
                    return;
                }
                Err(_) => return,
            };
            if let Err(e) = site.serve(stream, peer).await {
                tracing::debug!(error = %format!("{e:#}"), "relayed connection ended");
            }
        });
    }
}

/// Reads the PROXY protocol v1 line a relayed connection starts with: the citizen's address.
async fn proxy_header<S: AsyncRead + Unpin>(stream: &mut S) -> anyhow::Result<SocketAddr> {
    let mut line = Vec::with_capacity(PROXY_MAX);
    loop {
        let b = stream.read_u8().await.context("reading the PROXY line")?;
        line.push(b);
        if b == b'\n' {
            break;
        }
        if line.len() >= PROXY_MAX {
            bail!("the PROXY line is too long");
        }
    }
    let line = std::str::from_utf8(&line).context("the PROXY line is not text")?;
    parse_proxy(line).with_context(|| format!("a bad PROXY line {line:?}"))
}

/// `PROXY TCP4 <client> <hub> <client port> <hub port>\r\n`; `PROXY UNKNOWN...` (the hub
/// could not tell) names nobody, as the unspecified address.
fn parse_proxy(line: &str) -> Option<SocketAddr> {
    let line = line.strip_suffix("\r\n")?;
    let mut parts = line.split(' ');
    if parts.next()? != "PROXY" {
        return None;
    }
    let family = parts.next()?;
    if family == "UNKNOWN" {
        return Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
    }
    let (src, _dst, sport, _dport) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let ip: IpAddr = src.parse().ok()?;
    match (family, ip) {
        ("TCP4", IpAddr::V4(_)) | ("TCP6", IpAddr::V6(_)) => {
            Some(SocketAddr::new(ip, sport.parse().ok()?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_lines_are_read_strictly() {
        assert_eq!(
            parse_proxy("PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n"),
            Some("203.0.113.7:51000".parse().unwrap())
        );
        assert_eq!(
            parse_proxy("PROXY TCP6 2001:db8::1 2001:db8::2 5 443\r\n"),
            Some("[2001:db8::1]:5".parse().unwrap())
        );
        assert_eq!(
            parse_proxy("PROXY UNKNOWN\r\n").map(|a| a.ip().is_unspecified()),
            Some(true)
        );
        for bad in [
            "PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\n",
            "PROXY TCP4 2001:db8::1 192.0.2.1 1 443\r\n",
            "PROXY TCP4 203.0.113.7 192.0.2.1 99999 443\r\n",
            "PROXY TCP4 203.0.113.7 192.0.2.1 1 443 x\r\n",
            "GET / HTTP/1.1\r\n",
        ] {
            assert_eq!(parse_proxy(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn the_proxy_line_is_capped() {
        let long = vec![b'P'; 500];
        assert!(proxy_header(&mut &long[..]).await.is_err());
        let mut ok = &b"PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\nrest"[..];
        assert_eq!(
            proxy_header(&mut ok).await.unwrap(),
            "10.0.0.1:1".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(ok, b"rest");
    }
}
