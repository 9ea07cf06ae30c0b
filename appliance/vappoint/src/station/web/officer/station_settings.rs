//! The admin's Station page: the station's profile, its public address and mail relay, a
//! test email that says what became of it, enrolment with the commissionerate's hub, how
//! citizens reach the box (mode, certificate in use, ACME's status, an imported certificate).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use fluent_bundle::FluentValue;
use serde::Deserialize;
use serde_json::{Value, json};
use vappoint_store::OutboxStatus;

use super::audit;
use super::{page, with_status};
use crate::console::{AdminForm, ConsoleError};
use crate::station::app::{App, PROFILE_FIELDS, Profile};
use crate::station::web::auth::Me;
use crate::station::web::setup::SettingsForm;
use vappoint_store::{Action, Subject};

/// How far ahead the Station page shows what retention will remove.
const RETENTION_PREVIEW_DAYS: i64 = 7;

pub(super) async fn station_page(
    app: &Arc<App>,
    me: &Me,
    notice: Option<&str>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let p = app.profile();
    let link = crate::station::hub_link::load_link(&app.data_dir)
        .ok()
        .flatten();
    let when = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let cert_json = |c: crate::server::certs::CertInfo| json!({"issuer": c.issuer, "names": c.names, "not_after": when(c.not_after)});
    let acme = app.acme.status();
    let reach = json!({
        "mode": p.public_mode,
        "locked": app.config.public.mode.is_some(),
        "host_locked": app.config.public.host.is_some(),
        "direct_host": p.direct_host,
        "enrolled": link.is_some(),
        "relay_host": link.as_ref().and_then(|l| l.public_host.clone()),
        "cert": app.public_host().and_then(|h| app.certs.in_use(&h)).map(cert_json),
        "imported": app.certs.imported().map(cert_json),
        "acme_host": acme.host,
        "last_success": acme.last_success.map(when),
        "next_attempt": acme.next_attempt.map(when),
        "last_error": acme.last_error,
    });
    let hub = match link {
        Some(link) => {
            let backlog = app
                .db(|s| s.federation_backlog())
                .await
                .map(|(n, _)| n)
                .unwrap_or(0);
            json!({"url": link.url, "station": link.station, "backlog": backlog})
        }
        None => Value::Null,
    };
    let value = |k: &str| match k {
        "name" => p.name.clone(),
        "code" => p.code.clone(),
        "zone" => p.zone.clone(),
        "phone" => p.phone.clone(),
        "address" => p.address.clone(),
        _ => p.time_zone.clone(),
    };
    let fields: Vec<Value> = PROFILE_FIELDS
        .iter()
        .map(|k| json!({"key": k, "label": me.t(&format!("station-field-{k}")), "value": value(k), "locked": Profile::locked(&app.config, k)}))
        .collect();
    // What retention removes over the coming week (it runs hourly): the admin's preview.
    let policy = app.config.retention.policy();
    let week = policy.cutoffs(Utc::now() + chrono::Duration::days(RETENTION_PREVIEW_DAYS));
    let due = app
        .db(move |s| s.retention_due(week.documents, week.personal))
        .await?;
    let retention = json!({
        "documents_days": policy.documents_after.num_days(),
        "personal_days": policy.personal_after.num_days(),
        "preview_days": RETENTION_PREVIEW_DAYS,
        "documents": due.documents,
        "document_mb": format!("{:.1}", due.document_bytes as f64 / 1_000_000.0),
        "appointments": due.appointments,
        "held": due.held,
    });
    let backup = backup_status(app, me).await?;
    let (url_locked, mail_locked) = Profile::delivery_locked(&app.config);
    let relay = p.relay.as_ref();
    let delivery = json!({
        "public_url": app.public_url(),
        "public_host": app.db(|s| s.setting(crate::station::app::PUBLIC_URL_KEY)).await.ok().flatten()
            .map(|u| u.trim_start_matches("https://").to_string()),
        "url_locked": url_locked,
        "mail_locked": mail_locked,
        "mail_from": p.mail_from,
        "relay_host": relay.map(|r| r.host.clone()),
        "relay_port": relay.map(|r| r.port),
        "relay_security": relay.map(|r| r.security),
        "relay_username": relay.and_then(|r| r.username.clone()),
        "relay_has_password": relay.is_some_and(|r| r.password.is_some()),
    });
    Ok(page(
        app,
        "officer/station.html",
        Some(me),
        json!({"fields": fields, "hub": hub, "delivery": delivery, "reach": reach, "retention": retention, "backup": backup, "notice": notice, "error": error,
               "update": super::update_page::view(app, me)}),
    ))
}

/// How many backups the Station page lists.
const BACKUPS_SHOWN: u32 = 7;

/// The backups section: when they run, the last good one, and where the last ones went.
async fn backup_status(app: &Arc<App>, me: &Me) -> Result<Value, ConsoleError> {
    use vappoint_store::{BACKUP_NONE, BACKUP_OK};
    let tz = app.tz();
    let local =
        |t: chrono::DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let list = app.db(|s| s.backups(BACKUPS_SHOWN)).await?;
    let last_good = app.db(|s| s.last_good_backup()).await?;
    let place = |status: &str, none: &str| match status {
        BACKUP_OK => me.t("backup-ok"),
        BACKUP_NONE => me.t(none),
        why => me.t_args(
            "backup-failed",
            &[("reason", FluentValue::from(why.to_string()))],
        ),
    };
    let rows: Vec<Value> = list
        .iter()
        .map(|b| {
            json!({
                "at": local(b.at),
                "mb": format!("{:.1}", b.bytes as f64 / 1_000_000.0),
                "good": b.good(),
                "hub": place(&b.hub, "backup-hub-none"),
                "usb": place(&b.usb, "backup-usb-none"),
            })
        })
        .collect();
    Ok(json!({
        "at": app.config.backup.at.format("%H:%M").to_string(),
        "usb_dir": app.config.backup.usb_dir.display().to_string(),
        "keep": app.config.backup.keep_on_hub,
        "last_good": last_good.map(local),
        "running": crate::station::backup::running(),
        "list": rows,
    }))
}

/// "Back up now": starts a backup in the background (a large station takes minutes) and
/// shows the page, which lists it once it is done.
pub(super) async fn back_up_now(
    State(app): State<Arc<App>>,
    me: Me,
    AdminForm(crate::console::csrf::Empty {}): AdminForm<crate::console::csrf::Empty>,
) -> Result<Response, ConsoleError> {
    if crate::station::backup::running() {
        return station_page(&app, &me, None, Some(me.t("backup-already-running"))).await;
    }
    let task = app.clone();
    tokio::spawn(async move { crate::station::backup::back_up(&task).await });
    let notice = me.t("backup-started");
    station_page(&app, &me, Some(&notice), None).await
}

/// Enrols with a hub (from the Station page and from set-up); the running pusher notices
/// the new enrolment and starts pushing to it.
pub(crate) async fn enroll_and_run(
    app: &Arc<App>,
    url: &str,
    code: &str,
) -> anyhow::Result<crate::station::hub_link::HubLink> {
    let station = app.profile().code;
    let link =
        crate::station::hub_link::enroll(&app.data_dir, &app.store, url, &station, code).await?;
    tracing::info!(hub = %link.url, "station enrolled with a hub");
    Ok(link)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct EnrollForm {
    hub: String,
    code: String,
}

pub(super) async fn enroll(
    State(app): State<Arc<App>>,
    me: Me,
    AdminForm(f): AdminForm<EnrollForm>,
) -> Result<Response, ConsoleError> {
    match enroll_and_run(&app, &f.hub, &f.code).await {
        Ok(_) => {
            tracing::info!(by = me.officer.id.0, "enrolment from the console");
            audit::by(&app, &me, Action::Enrolled, Subject::Station).await?;
            station_page(&app, &me, Some(&me.t("console-station-enrolled")), None).await
        }
        Err(e) => {
            // The page says what went wrong in the hub's or the network's words, without
            // the chain of causes under it (that goes to the log).
            tracing::warn!(error = %format!("{e:#}"), "enrolment from the console failed");
            Ok(with_status(
                station_page(&app, &me, None, Some(e.to_string())).await?,
                StatusCode::BAD_REQUEST,
            ))
        }
    }
}

pub(super) async fn station_form(
    State(app): State<Arc<App>>,
    me: Me,
) -> Result<Response, ConsoleError> {
    me.require_admin()?;
    station_page(&app, &me, None, None).await
}

/// The recovery key as a text file: admins only, recorded in the audit log before it is sent.
pub(super) async fn recovery_key(
    State(app): State<Arc<App>>,
    me: Me,
) -> Result<Response, ConsoleError> {
    use age::secrecy::ExposeSecret;
    use axum::http::header;
    use axum::response::IntoResponse;
    me.require_admin()?;
    audit::by(&app, &me, Action::RecoveryKey, Subject::Station).await?;
    let key =
        crate::station::backup::recovery_key(&app.data_dir).map_err(ConsoleError::internal)?;
    let name = format!("vappoint-recovery-key-{}.txt", app.profile().code);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        format!("{}\n", key.to_string().expose_secret()),
    )
        .into_response())
}

pub(super) async fn save_station(
    State(app): State<Arc<App>>,
    me: Me,
    AdminForm(f): AdminForm<SettingsForm>,
) -> Result<Response, ConsoleError> {
    let updates = crate::station::web::setup::profile_settings(&f, &app, me.lang)
        .map(|u| u.into_iter().map(|(k, v)| (k, Some(v))).collect());
    save_settings(&app, &me, updates).await
}

/// The public address and the mail relay (also asked at set-up).
pub(super) async fn save_delivery(
    State(app): State<Arc<App>>,
    me: Me,
    AdminForm(f): AdminForm<SettingsForm>,
) -> Result<Response, ConsoleError> {
    let r = save_settings(
        &app,
        &me,
        crate::station::web::setup::delivery_settings(&f, &app, me.lang),
    )
    .await;
    // The mail worker picks up a new relay on its next round.
    app.mail_wake.notify_one();
    r
}

/// How citizens reach the box: the mode and, for `direct`, its public name.
pub(super) async fn save_reach(
    State(app): State<Arc<App>>,
    me: Me,
    AdminForm(f): AdminForm<SettingsForm>,
) -> Result<Response, ConsoleError> {
    let updates = crate::station::web::setup::reach_settings(&f, &app, me.lang);
    let r = save_settings(&app, &me, updates).await;
    app.acme.wake();
    r
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ImportForm {
    certificate: String,
    key: String,
}

/// An admin's own certificate (a police or commercial CA): checked that the key matches and
/// that it names a DNS name, kept `0600` in `DATA/tls/imported/`, served for its names ahead
/// of ACME's from the next handshake on.
pub(super) async fn import_certificate(
    State(app): State<Arc<App>>,
    me: Me,
    AdminForm(f): AdminForm<ImportForm>,
) -> Result<Response, ConsoleError> {
    let (chain, key) = (f.certificate.trim(), f.key.trim());
    match crate::server::certs::Installed::from_pem(chain.as_bytes(), key.as_bytes()) {
        Ok(cert) => {
            let dir = app.data_dir.join("tls/imported");
            crate::server::certs::Installed::save(&dir, chain.as_bytes(), key.as_bytes())
                .map_err(ConsoleError::internal)?;
            tracing::info!(by = me.officer.id.0, names = ?cert.info.names, "certificate imported");
            audit::by(&app, &me, Action::Certificate, Subject::Station).await?;
            app.certs.set_imported(cert);
            station_page(&app, &me, Some(&me.t("cert-import-done")), None).await
        }
        Err(e) => {
            let msg = me.t_args(
                "cert-import-refused",
                &[("reason", FluentValue::from(format!("{e:#}")))],
            );
            Ok(with_status(
                station_page(&app, &me, None, Some(msg)).await?,
                StatusCode::BAD_REQUEST,
            ))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TestMailForm {
    to: String,
}

/// How long the Station page waits to tell the admin what became of a test message.
const TEST_MAIL_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Sends a test message through the outbox and the relay, like a citizen's mail, and says
/// honestly what became of it: delivered to the relay, only spooled, refused, or not yet.
pub(super) async fn test_mail(
    State(app): State<Arc<App>>,
    me: Me,
    AdminForm(f): AdminForm<TestMailForm>,
) -> Result<Response, ConsoleError> {
    let to = f.to.trim().to_string();
    let say = |id: &str, args: &[(&'static str, String)]| {
        let args: Vec<(&'static str, FluentValue<'static>)> = args
            .iter()
            .map(|(k, v)| (*k, FluentValue::from(v.clone())))
            .collect();
        me.t_args(id, &args)
    };
    let made = if vappoint_domain::booking::valid_email(&to) {
        crate::station::mail::compose_test(&app, &to).map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "making the test email");
            say("console-test-mail-not-made", &[("reason", e.to_string())])
        })
    } else {
        Err(say("console-test-mail-bad-address", &[("to", to.clone())]))
    };
    let mail = match made {
        Ok(m) => m,
        Err(msg) => {
            return Ok(with_status(
                station_page(&app, &me, None, Some(msg)).await?,
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    let message_id = mail.message_id.clone();
    app.db(move |s| s.queue_mail(&mail, Utc::now())).await?;
    app.mail_wake.notify_one();
    tracing::info!(by = me.officer.id.0, "test email queued");

    // The worker takes it at once; poll its row until it leaves the queue or time is up.
    let deadline = tokio::time::Instant::now() + TEST_MAIL_WAIT;
    let last = loop {
        let id = message_id.clone();
        let row = app.db(move |s| s.mail_by_message_id(&id)).await?;
        let settled = row
            .as_ref()
            .is_none_or(|m| m.status != OutboxStatus::Pending || m.attempts > 0);
        if settled || tokio::time::Instant::now() >= deadline {
            break row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let relay = app
        .profile()
        .relay
        .map(|r| format!("{}:{}", r.host, r.port))
        .unwrap_or_default();
    let reason = |m: &vappoint_store::OutboxMessage| m.last_error.clone().unwrap_or_default();
    let (notice, error) = match last {
        Some(m) if m.status == OutboxStatus::Sent => (
            Some(say(
                "console-test-mail-delivered",
                &[("relay", relay), ("to", to)],
            )),
            None,
        ),
        Some(m) if m.status == OutboxStatus::Spooled => (
            None,
            Some(say(
                "console-test-mail-spooled",
                &[("to", to), ("spool", app.spool_dir().display().to_string())],
            )),
        ),
        Some(m) if m.status == OutboxStatus::Dead => (
            None,
            Some(say(
                "console-test-mail-refused",
                &[("relay", relay), ("to", to), ("reason", reason(&m))],
            )),
        ),
        Some(m) if m.attempts > 0 => (
            None,
            Some(say("console-test-mail-retrying", &[("reason", reason(&m))])),
        ),
        _ => (
            None,
            Some(say(
                "console-test-mail-no-answer",
                &[("seconds", TEST_MAIL_WAIT.as_secs().to_string())],
            )),
        ),
    };
    station_page(&app, &me, notice.as_deref(), error).await
}

/// Writes checked settings (`None` clears one) and reloads the profile; or shows why not.
async fn save_settings(
    app: &Arc<App>,
    me: &Me,
    updates: Result<Vec<(String, Option<String>)>, String>,
) -> Result<Response, ConsoleError> {
    let updates = match updates {
        Ok(u) => u,
        Err(m) => {
            return Ok(with_status(
                station_page(app, me, None, Some(m)).await?,
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    for (k, v) in updates {
        app.db(move |s| s.set_setting(&k, v.as_deref())).await?;
    }
    app.reload_profile()?;
    tracing::info!(by = me.officer.id.0, "station settings saved");
    audit::by(app, me, Action::StationSettings, Subject::Station).await?;
    station_page(app, me, Some(&me.t("console-saved")), None).await
}
