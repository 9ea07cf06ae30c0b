//! The Station page's software update: what runs and how the last update went, and an
//! admin's upload of a bundle (for a box with no hub), checked like one from the hub, with a
//! translated message for each refusal, and the `update_installed` audit entry.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use fluent_bundle::FluentValue;
use serde_json::{Value, json};
use vappoint_store::{Action, Subject};
use vappoint_wire::federation::UpdateStatus;

use super::audit;
use super::station_settings::station_page;
use super::with_status;
use crate::console::ConsoleError;
use crate::console::password::same;
use crate::release::{MAX_BUNDLE_BYTES, ReleaseError};
use crate::station::app::App;
use crate::station::update::{self, UpdateError};
use crate::station::web::auth::Me;

/// The request around a bundle: the form's token and field names.
pub(crate) const MAX_UPLOAD_BYTES: usize = MAX_BUNDLE_BYTES as usize + 64 * 1024;

/// The Station page's update section.
pub(super) fn view(app: &App, me: &Me) -> Value {
    let arg = |v: &str| FluentValue::from(v.to_string());
    let status = update::status(app).map(|s| match s {
        UpdateStatus::Installing { version } => {
            me.t_args("update-status-installing", &[("version", arg(&version))])
        }
        UpdateStatus::Trial { version } => {
            me.t_args("update-status-trial", &[("version", arg(&version))])
        }
        UpdateStatus::Ok { version } => {
            me.t_args("update-status-ok", &[("version", arg(&version))])
        }
        UpdateStatus::Failed { version, reason } => me.t_args(
            "update-status-failed",
            &[("version", arg(&version)), ("reason", arg(&reason))],
        ),
    });
    json!({"version": update::running_version().to_string(), "status": status})
}

/// `POST /officer/station/update` (multipart: `csrf`, then `bundle`).
pub(super) async fn upload(
    State(app): State<Arc<App>>,
    me: Me,
    mut form: Multipart,
) -> Result<Response, ConsoleError> {
    // The token comes first, so nothing is written for a forged request.
    let csrf = match form.next_field().await {
        Ok(Some(f)) if f.name() == Some("csrf") => f.text().await.unwrap_or_default(),
        _ => String::new(),
    };
    if csrf.is_empty() || !same(&csrf, &me.csrf) {
        return Err(ConsoleError::form_expired());
    }
    if !me.officer.is_admin {
        return Err(ConsoleError::admin_only());
    }
    let path = app.data_dir.join("update/upload.partial");
    let received = receive(&mut form, &path).await;
    let result = match received {
        Ok(()) => {
            let (app, file) = (app.clone(), path.clone());
            tokio::task::spawn_blocking(move || update::install_uploaded(&app, &file))
                .await
                .map_err(ConsoleError::internal)?
        }
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_file(&path);
    match result {
        Ok(manifest) => {
            audit::by(&app, &me, Action::UpdateInstalled, Subject::Station).await?;
            let window = humantime::format_duration(app.config.update.health_window).to_string();
            let notice = me.t_args(
                "update-installed",
                &[
                    ("version", FluentValue::from(manifest.version.clone())),
                    ("window", FluentValue::from(window)),
                    (
                        "running",
                        FluentValue::from(update::running_version().to_string()),
                    ),
                ],
            );
            let page = station_page(&app, &me, Some(&notice), None).await?;
            // Stops as on SIGTERM once this answer is out (in-flight requests finish); the
            // service manager starts the trial.
            crate::server::request_stop();
            Ok(page)
        }
        Err(UpdateError::Other(e)) => Err(ConsoleError::internal(e)),
        Err(e) => Ok(with_status(
            station_page(&app, &me, None, Some(refusal(&me, &e))).await?,
            StatusCode::BAD_REQUEST,
        )),
    }
}

/// Streams the `bundle` field into `path`, refusing more than a bundle may be.
async fn receive(form: &mut Multipart, path: &std::path::Path) -> Result<(), UpdateError> {
    use tokio::io::AsyncWriteExt;
    let mut field = match form.next_field().await {
        Ok(Some(f)) if f.name() == Some("bundle") => f,
        _ => return Err(ReleaseError::Malformed("no file was sent").into()),
    };
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
    }
    let mut out = tokio::fs::File::create(path)
        .await
        .map_err(|e| UpdateError::Other(e.into()))?;
    let mut size = 0u64;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                size += chunk.len() as u64;
                if size > MAX_BUNDLE_BYTES {
                    return Err(ReleaseError::TooLarge.into());
                }
                out.write_all(&chunk)
                    .await
                    .map_err(|e| UpdateError::Other(e.into()))?;
            }
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ReleaseError::TooLarge.into());
            }
            Err(_) => return Err(ReleaseError::Malformed("the upload broke off").into()),
        }
    }
    if size == 0 {
        return Err(ReleaseError::Malformed("no file was sent").into());
    }
    out.flush()
        .await
        .map_err(|e| UpdateError::Other(e.into()))?;
    Ok(())
}

/// The refusal in the admin's language.
fn refusal(me: &Me, e: &UpdateError) -> String {
    let arg = |v: &str| FluentValue::from(v.to_string());
    match e {
        UpdateError::Bundle(b) => match b {
            ReleaseError::Malformed(_) | ReleaseError::Unsigned => me.t("update-refused-unsigned"),
            ReleaseError::OtherKey => me.t("update-refused-other-key"),
            ReleaseError::Tampered => me.t("update-refused-tampered"),
            ReleaseError::WrongArch { bundle, here } => me.t_args(
                "update-refused-arch",
                &[("bundle", arg(bundle)), ("here", arg(here))],
            ),
            ReleaseError::NotNewer { bundle, running } => me.t_args(
                "update-refused-older",
                &[("bundle", arg(bundle)), ("running", arg(running))],
            ),
            ReleaseError::TooLarge => me.t("update-refused-large"),
            ReleaseError::Key { path, .. } => me.t_args(
                "update-refused-key",
                &[("path", arg(&path.display().to_string()))],
            ),
            ReleaseError::Io(_) => me.t("update-refused-unsigned"),
        },
        UpdateError::OnTrial | UpdateError::Busy => me.t("update-refused-busy"),
        UpdateError::Other(_) => me.t("update-refused-unsigned"),
    }
}
