//! The hub under test and the stations' side of the connection: runtimes, the hub, station
//! keys and certificates, and HTTP/1.1 over mutual TLS as a station speaks it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::StatusCode;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::runtime::Runtime;
use vappoint::hub::RunningHub;
use vappoint::server::ServeArgs;
use vappoint::server::peer::{HubCert, fingerprint};
use vappoint_wire::federation::PushAck;

use crate::measure::machine_cores;

pub(crate) fn runtime(name: &str) -> anyhow::Result<Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(name)
        // Idle blocking threads would otherwise exit after 10 s, taking their CPU time out of
        // /proc/self/task before the window's end is read.
        .thread_keep_alive(Duration::from_secs(3600))
        .build()?)
}

pub(crate) fn start_hub(rt: &Runtime, data: &Path) -> anyhow::Result<RunningHub> {
    start_hub_with(rt, data, None)
}

/// A hub with a config file (e.g. `[hub.database] url`: on PostgreSQL).
pub(crate) fn start_hub_with(
    rt: &Runtime,
    data: &Path,
    config: Option<&Path>,
) -> anyhow::Result<RunningHub> {
    rt.block_on(vappoint::hub::start(ServeArgs {
        data: data.to_path_buf(),
        https_addr: "127.0.0.1:0".parse()?,
        http_addr: "127.0.0.1:0".parse()?,
        config: config.map(Path::to_path_buf),
        setup_code_file: None,
    }))
}

/// The SHA-256 of the hub's TLS certificate, as stations pin it.
pub(crate) fn hub_pin(hub_data: &Path) -> anyhow::Result<String> {
    let cert = CertificateDer::pem_file_iter(hub_data.join("tls/cert.pem"))?
        .next()
        .context("the hub has no certificate")??;
    Ok(fingerprint(&cert))
}

/// Where and how to reach the hub.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    pub(crate) host: String,
}

impl Target {
    pub(crate) fn of(hub: &RunningHub) -> Target {
        Target {
            addr: hub.https,
            host: hub.https.to_string(),
        }
    }
}

/// A station's TLS client, as `federation::client` makes it: the hub's certificate pinned,
/// the station's certificate presented.
pub(crate) fn client_config(
    verifier: &Arc<HubCert>,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_client_auth_cert(certs, key)?;
    // A station keeps the default cache of 256 sessions, preallocated; thousands of them
    // would be most of this process's memory. A station talks to one hub, so a few do.
    config.resumption = rustls::client::Resumption::in_memory_sessions(4);
    Ok(Arc::new(config))
}

/// Makes each station's key and client certificate, signed with the hub's CA as
/// `hub::ca::Ca::sign` does. Returns (certificate DER, PKCS#8 key DER) per code.
pub(crate) fn station_keys(
    hub_data: &Path,
    codes: &[String],
) -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let ca_pem = std::fs::read_to_string(hub_data.join("ca/ca.pem"))?;
    let ca_key = std::fs::read_to_string(hub_data.join("ca/ca.key"))?;
    let threads = machine_cores();
    let chunk = codes.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = codes
            .chunks(chunk)
            .map(|part| {
                let (ca_pem, ca_key) = (&ca_pem, &ca_key);
                s.spawn(move || -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
                    let key = rcgen::KeyPair::from_pem(ca_key)?;
                    let issuer = rcgen::Issuer::from_ca_cert_pem(ca_pem, &key)?;
                    let now = time::OffsetDateTime::now_utc();
                    part.iter()
                        .map(|code| {
                            let kp = rcgen::KeyPair::generate()?;
                            let mut p = rcgen::CertificateParams::new(Vec::<String>::new())?;
                            p.distinguished_name = rcgen::DistinguishedName::new();
                            p.distinguished_name
                                .push(rcgen::DnType::CommonName, code.as_str());
                            p.is_ca = rcgen::IsCa::ExplicitNoCa;
                            p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
                            p.extended_key_usages =
                                vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
                            p.not_before = now - Duration::from_secs(3600);
                            p.not_after = now + Duration::from_secs(10 * 365 * 24 * 3600);
                            let cert = p.signed_by(&kp, &issuer)?;
                            Ok((cert.der().to_vec(), kp.serialize_der()))
                        })
                        .collect()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(codes.len());
        for h in handles {
            all.extend(
                h.join()
                    .map_err(|_| anyhow::anyhow!("key thread panicked"))??,
            );
        }
        Ok(all)
    })
}

// ---- HTTP/1.1 over mutual TLS ----

pub(crate) type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// A new connection: TCP, the TLS handshake (the station's certificate, the hub's pinned),
/// HTTP/1.1 as reqwest speaks it to the hub (no ALPN). Returns whether TLS resumed a session.
pub(crate) async fn connect(
    target: &Target,
    tls: &Arc<rustls::ClientConfig>,
) -> anyhow::Result<(Sender, bool)> {
    let tcp = tokio::net::TcpStream::connect(target.addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::IpAddress(target.addr.ip().into());
    let stream = tokio_rustls::TlsConnector::from(tls.clone())
        .connect(name, tcp)
        .await?;
    let resumed = stream.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok((sender, resumed))
}

pub(crate) async fn post(
    sender: &mut Sender,
    target: &Target,
    body: Bytes,
) -> anyhow::Result<(StatusCode, Bytes)> {
    sender.ready().await?;
    let req = hyper::Request::post("/federation/v1/push")
        .header(hyper::header::HOST, target.host.as_str())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(body))?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    Ok((status, resp.into_body().collect().await?.to_bytes()))
}

/// What became of one push.
pub(crate) enum Answer {
    /// 200 with `acked` = the push's last number.
    Acked,
    /// 409 `gap`: the hub expects this number next.
    Gap(i64),
    Refused(String),
}

pub(crate) fn answer(status: StatusCode, body: &[u8], last: i64) -> Answer {
    if status == StatusCode::OK {
        return match serde_json::from_slice::<PushAck>(body) {
            Ok(a) if a.acked == last => Answer::Acked,
            Ok(a) => Answer::Refused(format!("200 acked {} of {last}", a.acked)),
            Err(_) => Answer::Refused("200 unreadable".into()),
        };
    }
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let code = v["error"]["code"].as_str().unwrap_or("?").to_string();
    if code == "gap"
        && let Some(e) = v["error"]["expected"].as_i64()
    {
        return Answer::Gap(e);
    }
    Answer::Refused(format!("{} {code}", status.as_u16()))
}
