//! Mutual TLS plumbing: a client-certificate verifier that asks for a certificate but leaves
//! the decision to the application (which knows which certificates it issued and revoked),
//! an acceptor that hands the peer's certificate to the request handlers, and the server
//! verifiers a station uses towards its hub (any certificate while enrolling, recorded; the
//! pinned one afterwards).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum_server::accept::Accept;
use axum_server::tls_rustls::RustlsAcceptor;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use sha2::{Digest, Sha256};

/// SHA-256 of a certificate, lowercase hex: how the hub names a station's certificate and a
/// station pins its hub.
pub fn fingerprint(cert: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(cert))
}

/// Checks that a peer holds the key of the certificate it shows, whichever certificate the
/// verifier then accepts: the same for both directions.
struct Signatures<'a>(&'a CryptoProvider);

impl Signatures<'_> {
    fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The peer's certificate fingerprint, if it presented one (a request extension).
#[derive(Debug, Clone, Default)]
pub struct PeerCert(pub Option<String>);

/// Asks clients for a certificate without requiring one (the public pages have none) and
/// checks that a client holds the key of the certificate it shows. Which certificates are
/// good is decided per request from the hub's records.
#[derive(Debug)]
pub struct OptionalClientCert {
    provider: Arc<CryptoProvider>,
}

impl OptionalClientCert {
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        OptionalClientCert { provider }
    }
}

impl ClientCertVerifier for OptionalClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Signatures(&self.provider).tls12(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Signatures(&self.provider).tls13(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        Signatures(&self.provider).schemes()
    }
}

/// Wraps the TLS acceptor: after the handshake, the client certificate's fingerprint is
/// added to every request of the connection as a [`PeerCert`] extension.
#[derive(Clone)]
pub struct PeerCertAcceptor {
    inner: RustlsAcceptor,
}

impl PeerCertAcceptor {
    pub fn new(inner: RustlsAcceptor) -> Self {
        PeerCertAcceptor { inner }
    }
}

impl<I, S> Accept<I, S> for PeerCertAcceptor
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: Send + 'static,
{
    type Stream = tokio_rustls::server::TlsStream<I>;
    type Service = axum::middleware::AddExtension<S, PeerCert>;
    type Future =
        Pin<Box<dyn Future<Output = std::io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move {
            let (stream, service) = inner.accept(stream, service).await?;
            let cert = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| fingerprint(c));
            Ok((
                stream,
                tower_layer::Layer::layer(&axum::Extension(PeerCert(cert)), service),
            ))
        })
    }
}

/// A station's view of its hub's certificate: while enrolling, any certificate is accepted
/// and its fingerprint recorded (the enrolment MAC then vouches for it); afterwards only the
/// pinned one.
#[derive(Debug)]
pub struct HubCert {
    provider: Arc<CryptoProvider>,
    pinned: Option<String>,
    pub seen: Mutex<Option<String>>,
}

impl HubCert {
    pub fn recording(provider: Arc<CryptoProvider>) -> Self {
        HubCert {
            provider,
            pinned: None,
            seen: Mutex::new(None),
        }
    }
    pub fn pinned(provider: Arc<CryptoProvider>, fingerprint: String) -> Self {
        HubCert {
            provider,
            pinned: Some(fingerprint),
            seen: Mutex::new(None),
        }
    }
}

impl ServerCertVerifier for HubCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let fp = fingerprint(end_entity);
        match &self.pinned {
            Some(p) if *p != fp => Err(rustls::Error::General(
                "the hub's certificate is not the one this station enrolled with".into(),
            )),
            _ => {
                *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(fp);
                Ok(ServerCertVerified::assertion())
            }
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Signatures(&self.provider).tls12(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Signatures(&self.provider).tls13(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        Signatures(&self.provider).schemes()
    }
}
