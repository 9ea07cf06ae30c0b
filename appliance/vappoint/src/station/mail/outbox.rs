//! The outbox worker: delivers queued mail to the relay, or to the spool folder when no
//! relay is set, retrying with backoff while the relay is unreachable. A message leaves the
//! queue only after the relay accepted it (or it was written and fsynced to the spool). A
//! round's deliveries are recorded in one commit, after the spool folder's one sync: under
//! load the worker then costs the database one commit per round, not one per booking (a
//! crash between the two sends the round again: at least once, as before).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lettre::address::Envelope;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use vappoint_store::{OutboxMessage, OutboxStatus};

use crate::config::{RelayConfig, Security};
use crate::secrets::{sync_dir, write_private_file};
use crate::station::app::App;

fn transport(r: &RelayConfig) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match r.security {
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&r.host)?,
        Security::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&r.host)?,
        Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&r.host),
    };
    let mut builder = builder.port(r.port).timeout(Some(Duration::from_secs(30)));
    if let (Some(u), Some(p)) = (&r.username, &r.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    Ok(builder.build())
}

/// The spool file of a message: its outbox id and a file-safe form of its Message-ID.
fn spool_name(m: &OutboxMessage) -> String {
    let safe: String = m
        .message_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.' || *c == '@')
        .collect();
    format!("{:08}-{safe}.eml", m.id)
}

/// Removes the spool files of appointments that ended before `ended_before` (and of other
/// mail written before `written_before`), and records those messages as never delivered.
pub async fn expire_spool(
    app: &Arc<App>,
    ended_before: DateTime<Utc>,
    written_before: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let stale = app
        .db(move |s| s.stale_spooled_mail(ended_before, written_before))
        .await?;
    let n = stale.len();
    for m in stale {
        let path = app.spool_dir().join(spool_name(&m));
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // Kept as spooled, so the next round tries again.
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not remove a stale spool file");
                continue;
            }
        }
        let id = m.id;
        app.db(move |s| {
            s.mail_dead(
                id,
                "not delivered: removed from the spool after its appointment",
                Utc::now(),
            )
        })
        .await?;
    }
    Ok(n)
}

enum Delivery {
    Done,
    Retry(String),
    Dead(String),
}

async fn deliver(
    app: &Arc<App>,
    smtp: Option<&AsyncSmtpTransport<Tokio1Executor>>,
    m: &OutboxMessage,
) -> Delivery {
    let Some(sealed) = &m.sealed else {
        return Delivery::Dead("message body is gone".into());
    };
    let raw = match app.secrets.unseal(sealed) {
        Ok(r) => r,
        Err(e) => return Delivery::Dead(format!("{e:#}")),
    };
    let Some(smtp) = smtp else {
        let path = app.spool_dir().join(spool_name(m));
        return match tokio::task::spawn_blocking(move || write_private_file(&path, &raw)).await {
            Ok(Ok(())) => Delivery::Done,
            Ok(Err(e)) => Delivery::Retry(format!("writing the spool: {e:#}")),
            Err(e) => Delivery::Retry(e.to_string()),
        };
    };
    let envelope = (|| -> anyhow::Result<Envelope> {
        let from: Mailbox = app.profile().mail_from.parse()?;
        Ok(Envelope::new(Some(from.email), vec![m.to_addr.parse()?])?)
    })();
    let envelope = match envelope {
        Ok(e) => e,
        Err(e) => return Delivery::Dead(format!("bad address: {e:#}")),
    };
    match smtp.send_raw(&envelope, &raw).await {
        Ok(_) => Delivery::Done,
        Err(e) if e.is_permanent() => Delivery::Dead(e.to_string()),
        Err(e) => Delivery::Retry(e.to_string()),
    }
}

/// Seconds to wait before try number `attempts + 1`: 1, 2, 4, ... capped.
fn backoff(attempts: u32, cap: Duration) -> Duration {
    Duration::from_secs(1u64 << attempts.min(20)).min(cap)
}

async fn run_once(
    app: &Arc<App>,
    smtp: Option<&AsyncSmtpTransport<Tokio1Executor>>,
) -> anyhow::Result<usize> {
    let now = Utc::now();
    let released = app.db(move |s| s.release_due_reminders(now)).await?;
    if released > 0 {
        tracing::info!(count = released, "reminders due: queued");
    }
    let with_spooled = smtp.is_some();
    let due = app.db(move |s| s.due_mail(now, with_spooled, 50)).await?;
    let n = due.len();
    let (mut spooled, mut sent) = (Vec::new(), Vec::new());
    for m in due {
        let outcome = deliver(app, smtp, &m).await;
        let now = Utc::now();
        let id = m.id;
        match outcome {
            Delivery::Done if smtp.is_none() => spooled.push(m),
            Delivery::Done => sent.push(m),
            Delivery::Dead(err) => {
                tracing::error!(id, kind = %m.kind, error = %err, "mail refused for good");
                app.db(move |s| s.mail_dead(id, &err, now)).await?;
            }
            Delivery::Retry(err) => {
                let age = (now - m.created_at).to_std().unwrap_or_default();
                if age > app.config.mail.give_up_after {
                    tracing::error!(id, error = %err, "mail given up after failing too long");
                    app.db(move |s| s.mail_dead(id, &format!("gave up: {err}"), now))
                        .await?;
                } else {
                    let wait = backoff(m.attempts, app.config.mail.retry_max);
                    tracing::warn!(id, error = %err, retry_in = ?wait, "mail relay failed; will retry");
                    let next = now + chrono::Duration::from_std(wait)?;
                    app.db(move |s| s.mail_retry(id, &err, next)).await?;
                }
            }
        }
    }
    if !spooled.is_empty() {
        // The files are synced; their names are not until the folder is.
        let dir = app.spool_dir();
        tokio::task::spawn_blocking(move || sync_dir(&dir)).await??;
    }
    let ids = |ms: &[OutboxMessage]| ms.iter().map(|m| m.id).collect::<Vec<_>>();
    let (spooled_ids, sent_ids) = (ids(&spooled), ids(&sent));
    let now = Utc::now();
    app.db(move |s| s.mails_delivered(&spooled_ids, &sent_ids, now))
        .await?;
    for m in &spooled {
        tracing::info!(id = m.id, kind = %m.kind, "mail written to the spool (no relay set)");
    }
    for m in &sent {
        if m.status == OutboxStatus::Spooled {
            // Sent after all: its spooled copy would only mislead whoever reads the spool by
            // hand.
            let path = app.spool_dir().join(spool_name(m));
            if let Err(e) = tokio::fs::remove_file(&path).await
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(id = m.id, path = %path.display(), error = %e, "could not remove the spooled copy of sent mail");
            }
        }
        tracing::info!(id = m.id, kind = %m.kind, "mail sent");
    }
    Ok(n)
}

/// Runs forever: queues the reminders that are due and delivers what is due, then sleeps
/// until the next message or reminder is due, a new one is queued, or 30 seconds pass. The relay is read each round: set-up or the admin may
/// change it while the box runs.
pub async fn run_worker(app: Arc<App>) {
    if let Err(e) = std::fs::create_dir_all(app.spool_dir()).context("creating the spool folder") {
        tracing::error!(error = %format!("{e:#}"), "mail cannot be spooled");
    }
    let mut current: Option<(
        Option<RelayConfig>,
        Option<AsyncSmtpTransport<Tokio1Executor>>,
    )> = None;
    loop {
        let relay = app.profile().relay;
        if current.as_ref().is_none_or(|(r, _)| *r != relay) {
            match relay.as_ref().map(transport).transpose() {
                Ok(t) => current = Some((relay, t)),
                Err(e) => {
                    // Mail stays queued (never spooled) until the relay is fixed.
                    tracing::error!(error = %format!("{e:#}"), "mail relay settings unusable; mail stays queued");
                    current = None;
                }
            }
        }
        if let Some((_, smtp)) = &current {
            match run_once(&app, smtp.as_ref()).await {
                Ok(50) => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %format!("{e:#}"), "mail worker"),
            }
        }
        let next = match current {
            Some(_) => app.db(|s| s.next_mail_due()).await.ok().flatten(),
            None => None, // nothing can be sent: wait for a change of settings
        };
        let wait = next
            .map(|t| (t - Utc::now()).to_std().unwrap_or_default())
            .unwrap_or(Duration::from_secs(30))
            .min(Duration::from_secs(30));
        tokio::select! {
            _ = app.mail_wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap() {
        let cap = Duration::from_secs(300);
        assert_eq!(backoff(0, cap), Duration::from_secs(1));
        assert_eq!(backoff(3, cap), Duration::from_secs(8));
        assert_eq!(backoff(12, cap), cap);
        assert_eq!(backoff(u32::MAX, cap), cap);
    }
}
