//! What a serving box needs whichever program it runs (station or hub): the listeners, the
//! HTTPS server and its certificates (`certs.rs`, `acme.rs`), the plain-HTTP redirect, the
//! mDNS announcement, the systemd notifications and the shutdown signal, and the [`Running`]
//! handle that stops them.

pub mod acme;
pub mod certs;
mod limit;
pub mod peer;
mod redirect;
pub mod sni;
pub mod stream;
mod systemd;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};

use crate::config::DiscoveryConfig;
use crate::discovery::{Announcer, Identity};
use crate::server::limit::{ConnLimits, LimitAcceptor};
use crate::server::peer::PeerCertAcceptor;
use crate::server::sni::SniAcceptor;
use certs::Certs;

// The options `vappoint station` and `vappoint hub` share (clap flattens them into both).
// No doc comment on the struct: clap would take it as the subcommand's description.
#[derive(clap::Args, Clone)]
pub struct ServeArgs {
    /// Where the database, documents, keys and mail spool live.
    #[arg(long, default_value = "./vappoint-data")]
    pub data: PathBuf,
    /// HTTPS address for citizens and officers.
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub https_addr: SocketAddr,
    /// Plain HTTP address; it only redirects to HTTPS.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub http_addr: SocketAddr,
    /// Optional TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// (Stations) the file holding the one-time set-up code; without it, a code is made in
    /// the data folder. The Raspberry Pi's first boot writes one to the boot partition.
    #[arg(long)]
    pub setup_code_file: Option<PathBuf>,
}

/// The HTTPS and HTTP listeners, bound and not yet served.
pub struct Listeners {
    https: std::net::TcpListener,
    http: std::net::TcpListener,
    /// The addresses actually bound (tests ask for port 0).
    pub https_addr: SocketAddr,
    pub http_addr: SocketAddr,
    /// Who takes connections by server name before the HTTPS server's TLS (the hub's relay).
    passthrough: Option<Arc<dyn sni::Passthrough>>,
}

/// Binds the HTTPS and HTTP listeners (before anything is printed, so a port in use is the
/// first and only error).
pub fn bind(args: &ServeArgs) -> anyhow::Result<Listeners> {
    let https = std::net::TcpListener::bind(args.https_addr)
        .with_context(|| format!("listening on {}", args.https_addr))?;
    let http = std::net::TcpListener::bind(args.http_addr)
        .with_context(|| format!("listening on {}", args.http_addr))?;
    https.set_nonblocking(true)?;
    http.set_nonblocking(true)?;
    Ok(Listeners {
        https_addr: https.local_addr()?,
        http_addr: http.local_addr()?,
        https,
        http,
        passthrough: None,
    })
}

/// Whether the HTTPS server asks clients for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientCerts {
    /// Plain HTTPS (the station: browsers).
    Ignored,
    /// Asked for, never required; a presented one reaches the handlers as a
    /// [`crate::server::peer::PeerCert`] extension (the hub: stations push with theirs).
    Optional,
}

impl Listeners {
    /// Offers every HTTPS connection to `passthrough` by its ClientHello's server name first
    /// (with [`ClientCerts::Optional`], the hub's listener).
    pub fn with_passthrough(mut self, passthrough: Arc<dyn sni::Passthrough>) -> Self {
        self.passthrough = Some(passthrough);
        self
    }

    /// Starts serving: the HTTP port redirects to HTTPS (and answers ACME's HTTP-01), the
    /// HTTPS port serves `router` with the certificates of `certs`. `app` is kept in the
    /// returned handle for whoever started the server.
    pub fn serve<A>(
        self,
        app: Arc<A>,
        router: Router,
        certs: &Arc<Certs>,
        client_certs: ClientCerts,
    ) -> anyhow::Result<Running<A>> {
        let redirect = redirect::serve(self.http, self.https_addr.port(), certs.clone())?;
        let handle = axum_server::Handle::new();
        // The certificates reach `site::security_headers`, which sends HSTS only for a host
        // with a trusted certificate.
        let router = router.layer(axum::Extension(certs.clone()));
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let tls_config = certs.server_config(client_certs == ClientCerts::Optional)?;
        let config = RustlsConfig::from_config(tls_config.clone());
        let limits = match client_certs {
            ClientCerts::Ignored => ConnLimits::station(),
            ClientCerts::Optional => ConnLimits::hub(),
        };
        let server = match client_certs {
            ClientCerts::Ignored => {
                let mut server = axum_server::from_tcp(self.https)
                    .acceptor(LimitAcceptor::new(RustlsAcceptor::new(config), limits));
                time_limits(server.http_builder());
                let server = server.handle(handle.clone()).serve(service);
                tokio::spawn(async move { server.await.context("the HTTPS server stopped") })
            }
            ClientCerts::Optional => {
                let acceptor = SniAcceptor::new(
                    self.passthrough,
                    PeerCertAcceptor::new(RustlsAcceptor::new(config)),
                );
                let mut server = axum_server::from_tcp(self.https)
                    .acceptor(LimitAcceptor::new(acceptor, limits));
                time_limits(server.http_builder());
                let server = server.handle(handle.clone()).serve(service);
                tokio::spawn(async move { server.await.context("the HTTPS server stopped") })
            }
        };
        Ok(Running {
            https: self.https_addr,
            http: self.http_addr,
            app,
            tls_config,
            handle,
            server,
            redirect,
            discovery: None,
        })
    }
}

/// How long a connection may take over a request's headers, and wait for its next request
/// (hyper measures both with this one timer): a client that sends nothing, or trickles its
/// headers, holds no descriptor for long. HTTP/2 peers are pinged, and dropped when silent.
fn time_limits(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
) {
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(20));
    builder
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20));
}

/// A station or hub serving in this process (the binary runs one; tests may run several).
pub struct Running<A> {
    pub https: SocketAddr,
    pub http: SocketAddr,
    pub app: Arc<A>,
    /// The rustls configuration of the HTTPS listener (certificates chosen per handshake; a
    /// station serves its tunnel's connections with it too).
    pub tls_config: Arc<rustls::ServerConfig>,
    handle: axum_server::Handle,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    redirect: tokio::task::JoinHandle<()>,
    /// The mDNS announcement, while there is one (see `discovery.rs`).
    discovery: Option<Announcer>,
}

impl<A> Running<A> {
    /// Announces the HTTPS listener on the LAN (when the configuration allows), with the
    /// port actually bound. `identity` is asked again now and then, so a changed profile is
    /// re-announced.
    pub fn announce(
        &mut self,
        config: &DiscoveryConfig,
        fingerprint: &str,
        identity: impl Fn() -> Identity + Send + 'static,
    ) {
        self.discovery = crate::discovery::announce(config, self.https, fingerprint, identity);
    }

    /// Stops taking requests, lets those under way finish (10 s at most).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        // Withdrawn first, so the LAN stops sending people to a box that is going away.
        if let Some(discovery) = self.discovery.take() {
            discovery.stop().await;
        }
        self.redirect.abort();
        self.handle.graceful_shutdown(Some(Duration::from_secs(10)));
        self.server.await??;
        Ok(())
    }
}

/// Runs a server until SIGTERM or Ctrl-C: `start` in a fresh runtime, then systemd is told
/// the box is `what` (e.g. "serving") and its watchdog is fed while `alive` answers true.
pub fn run<A, S, H, Fut>(what: &str, start: S, alive: H) -> anyhow::Result<()>
where
    A: Send + Sync + 'static,
    S: Future<Output = anyhow::Result<Running<A>>>,
    H: Fn(Arc<A>) -> Fut + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let running = start.await?;
        let app = running.app.clone();
        systemd::notify_ready(format!("{what} on {}", running.https), move || {
            alive(app.clone())
        });
        // A restart keeps the process (it `exec`s itself): systemd is not told it stops, and
        // the new program says it is ready again.
        if !shutdown_signal().await {
            systemd::notify_stopping();
        }
        tracing::info!("stopping");
        running.stop().await
    })
}

/// Set when the program asks itself to stop (a station that installed an update): `run`
/// then stops as on SIGTERM, and the service manager starts it again.
static STOP: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Stops `run` as SIGTERM would (a permit is kept if `run` is not waiting yet).
pub fn request_stop() {
    STOP.notify_one();
}

/// Asks the running program to stop as on SIGTERM, so that its caller can start it again
/// (a station that restored a replacement's files restarts on them).
pub fn request_restart() {
    RESTART.notify_one();
}

static RESTART: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Waits for SIGTERM, Ctrl-C, `request_stop` or `request_restart`; true for the last.
async fn shutdown_signal() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("signal handler");
    tokio::select! {
        _ = term.recv() => false,
        _ = tokio::signal::ctrl_c() => false,
        _ = STOP.notified() => false,
        _ = RESTART.notified() => true,
    }
}
