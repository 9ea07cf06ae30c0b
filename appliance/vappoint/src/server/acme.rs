//! Getting and renewing the box's trusted certificate over ACME (`instant-acme`): the account
//! (kept in `DATA/tls/acme/account.json`), one order per name with TLS-ALPN-01 or HTTP-01,
//! the certificate in `DATA/tls/acme/`, renewal when less than `renew_before` is left, and
//! retries with backoff. Serving never waits for any of it; the status is for the pages.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use serde::{Deserialize, Serialize};

use crate::config::{AcmeChallenge, AcmeConfig};
use crate::secrets::write_private;
use crate::server::certs::{Certs, Installed};

/// The first retry after a failure; each further failure doubles it, up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
const MIN_BACKOFF_CHRONO: chrono::Duration = chrono::Duration::seconds(60);
/// How often the name is looked at again while nothing is due (a mode changed on a page
/// wakes the task at once; `hub.json` appearing is noticed within this).
const LOOK_AGAIN: Duration = Duration::from_secs(5);

/// What the Station page (or the hub's console) shows about ACME.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AcmeStatus {
    /// The name ACME is asked for; none in `lan` mode (or a relay not enrolled yet).
    pub host: Option<String>,
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure, cleared by the next success.
    pub last_error: Option<String>,
    /// When the next order (renewal or retry) is due.
    pub next_attempt: Option<DateTime<Utc>>,
}

/// The account as stored: credentials belong to one directory, so a changed `[acme]
/// directory` makes a new account instead of presenting the old one elsewhere.
#[derive(Serialize, Deserialize)]
struct StoredAccount {
    directory: String,
    credentials: AccountCredentials,
}

pub struct Acme {
    config: AcmeConfig,
    /// `DATA/tls/acme`.
    dir: PathBuf,
    certs: Arc<Certs>,
    status: Mutex<AcmeStatus>,
    wake: tokio::sync::Notify,
}

impl Acme {
    /// `tls_dir` is `DATA/tls`; the certificate it may already hold was loaded by `Certs`.
    pub fn new(config: AcmeConfig, tls_dir: &std::path::Path, certs: Arc<Certs>) -> Arc<Acme> {
        // instant-acme builds its rustls client on the process's default provider; this box
        // uses ring everywhere. An error only says one is already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Arc::new(Acme {
            config,
            dir: tls_dir.join("acme"),
            certs,
            status: Mutex::new(AcmeStatus::default()),
            wake: tokio::sync::Notify::new(),
        })
    }

    pub fn status(&self) -> AcmeStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_status(&self, f: impl FnOnce(&mut AcmeStatus)) {
        f(&mut self.status.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// The name may have changed (a page saved a new mode or host): look again now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs for ever: `host()` says which name the box should hold a certificate for.
    pub async fn run(self: Arc<Self>, host: impl Fn() -> Option<String> + Send + 'static) {
        let mut backoff = MIN_BACKOFF;
        // A failed name and when it may be tried again.
        let mut retry: Option<(String, DateTime<Utc>)> = None;
        loop {
            let now = Utc::now();
            let wanted = host();
            self.certs.set_wanted(wanted.clone());
            let wait = match wanted {
                None => {
                    self.set_status(|s| {
                        s.host = None;
                        s.next_attempt = None;
                    });
                    LOOK_AGAIN
                }
                Some(name) => {
                    let renew = chrono::Duration::from_std(self.config.renew_before)
                        .unwrap_or(chrono::Duration::MAX);
                    let due = self.certs.in_use(&name).map_or(now, |c| {
                        c.not_after.checked_sub_signed(renew).unwrap_or(now)
                    });
                    let due = match &retry {
                        Some((failed, at)) if *failed == name => due.max(*at),
                        _ => due,
                    };
                    self.set_status(|s| {
                        s.host = Some(name.clone());
                        s.next_attempt = Some(due);
                    });
                    if due <= now {
                        match self.issue(&name).await {
                            Ok(()) => {
                                backoff = MIN_BACKOFF;
                                // Not again before a minute, even if `renew_before` is
                                // longer than the certificates the server issues.
                                retry = Some((name, Utc::now() + MIN_BACKOFF_CHRONO));
                                self.set_status(|s| {
                                    s.last_success = Some(Utc::now());
                                    s.last_error = None;
                                });
                            }
                            Err(e) => {
                                let error = format!("{e:#}");
                                tracing::warn!(host = name, error, "getting a certificate");
                                let at = Utc::now()
                                    + chrono::Duration::from_std(backoff).unwrap_or_default();
                                retry = Some((name, at));
                                backoff = (backoff * 2).min(MAX_BACKOFF);
                                self.set_status(|s| {
                                    s.last_error = Some(error);
                                    s.next_attempt = Some(at);
                                });
                            }
                        }
                        continue;
                    }
                    (due - now).to_std().unwrap_or_default().min(LOOK_AGAIN)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    /// One order for `name`, start to end; the challenges are withdrawn whatever happens.
    async fn issue(&self, name: &str) -> anyhow::Result<()> {
        let result = self.order(name).await;
        self.certs.clear_challenges();
        let (chain, key) = result?;
        let installed = Installed::from_pem(chain.as_bytes(), key.as_bytes())
            .context("the ACME server's certificate")?;
        Installed::save(&self.dir, chain.as_bytes(), key.as_bytes())?;
        tracing::info!(
            host = name,
            issuer = installed.info.issuer,
            not_after = %installed.info.not_after,
            "got a certificate"
        );
        self.certs.set_acme(installed);
        Ok(())
    }

    /// Returns the PEM chain and key.
    async fn order(&self, name: &str) -> anyhow::Result<(String, String)> {
        let account = self.account().await?;
        let identifiers = [Identifier::Dns(name.to_string())];
        let mut order = account
            .new_order(&NewOrder::new(&identifiers))
            .await
            .context("asking the ACME server for an order")?;
        let kind = match self.config.challenge {
            AcmeChallenge::TlsAlpn01 => ChallengeType::TlsAlpn01,
            AcmeChallenge::Http01 => ChallengeType::Http01,
        };
        let mut authorizations = order.authorizations();
        while let Some(authz) = authorizations.next().await {
            let mut authz = authz.context("reading an authorisation")?;
            match authz.status {
                AuthorizationStatus::Pending => {}
                AuthorizationStatus::Valid => continue,
                other => bail!("the ACME server's authorisation is {other:?}"),
            }
            let mut challenge = authz
                .challenge(kind.clone())
                .with_context(|| format!("the ACME server offers no {kind:?} challenge"))?;
            let answer = challenge.key_authorization();
            match kind {
                ChallengeType::TlsAlpn01 => self
                    .certs
                    .add_alpn_challenge(name, alpn_certificate(name, answer.digest().as_ref())?),
                _ => self
                    .certs
                    .add_http_challenge(&challenge.token, answer.as_str()),
            }
            challenge
                .set_ready()
                .await
                .context("answering a challenge")?;
        }
        let retries = RetryPolicy::new()
            .initial_delay(Duration::from_millis(250))
            .timeout(Duration::from_secs(120));
        let status = order
            .poll_ready(&retries)
            .await
            .context("waiting for validation")?;
        if status != OrderStatus::Ready {
            bail!(
                "the ACME server did not validate {name}: {}",
                problems(&mut order).await
            );
        }
        let key = order.finalize().await.context("finalising the order")?;
        let chain = order
            .poll_certificate(&retries)
            .await
            .context("fetching the certificate")?;
        Ok((chain, key))
    }

    /// The stored account, or a new one (saved `0600`).
    async fn account(&self) -> anyhow::Result<Account> {
        let builder = || match &self.config.ca_file {
            Some(ca) => Account::builder_with_root(ca)
                .with_context(|| format!("reading acme.ca_file {}", ca.display())),
            None => Account::builder().context("the system's root certificates"),
        };
        let path = self.dir.join("account.json");
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(stored) = serde_json::from_slice::<StoredAccount>(&bytes)
            && stored.directory == self.config.directory
        {
            return builder()?
                .from_credentials(stored.credentials)
                .await
                .context("reaching the ACME server");
        }
        let contact: Vec<&str> = self.config.contact.iter().map(String::as_str).collect();
        let (account, credentials) = builder()?
            .create(
                &NewAccount {
                    contact: &contact,
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                },
                self.config.directory.clone(),
                None,
            )
            .await
            .context("making an ACME account")?;
        std::fs::create_dir_all(&self.dir)?;
        let stored = StoredAccount {
            directory: self.config.directory.clone(),
            credentials,
        };
        write_private(&path, &serde_json::to_vec(&stored)?)?;
        Ok(account)
    }
}

/// The reasons the server gives for a failed order, for the page.
async fn problems(order: &mut instant_acme::Order) -> String {
    let mut out = Vec::new();
    if let Some(e) = &order.state().error {
        out.push(e.to_string());
    }
    let mut authorizations = order.authorizations();
    while let Some(Ok(authz)) = authorizations.next().await {
        out.extend(
            authz
                .challenges
                .iter()
                .filter_map(|c| c.error.as_ref().map(|e| e.to_string())),
        );
    }
    if out.is_empty() {
        "no reason given".into()
    } else {
        out.join("; ")
    }
}

/// RFC 8737: a self-signed certificate for `name` carrying the SHA-256 of the key
/// authorisation in the critical `acmeIdentifier` extension.
fn alpn_certificate(name: &str, digest: &[u8]) -> anyhow::Result<rustls::sign::CertifiedKey> {
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()])?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    // Not `CertifiedKey::from_der`: its check parses the certificate with webpki, which
    // refuses the critical acmeIdentifier extension that RFC 8737 requires.
    let signing = crate::server::tls::provider()
        .key_provider
        .load_private_key(der)
        .context("the challenge key")?;
    Ok(rustls::sign::CertifiedKey::new(
        vec![cert.der().clone()],
        signing,
    ))
}
