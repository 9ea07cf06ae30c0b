//! The audit log in the console: `record`, which every audited handler calls before it
//! answers (no view or change without its entry: if the entry cannot be written, the page is
//! not shown), and the admin's Audit page, paged, with a CSV export that is itself audited.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use vappoint_store::{Action, Actor, AuditEntry, OfficerId, Subject};

use super::page;
use crate::console::ConsoleError;
use crate::station::app::App;
use crate::station::web::auth::Me;
use crate::ui::{fmt_date, fmt_time};

/// Entries per page.
const PAGE: u32 = 50;

/// Appends an entry to the audit log; the caller answers only once it is written.
pub(crate) async fn record(
    app: &Arc<App>,
    actor: Actor,
    action: Action,
    subject: Subject,
) -> Result<(), ConsoleError> {
    app.db(move |s| s.audit(actor, action, subject, Utc::now()))
        .await?;
    Ok(())
}

/// `record` for what the logged-in officer does.
pub(crate) async fn by(
    app: &Arc<App>,
    me: &Me,
    action: Action,
    subject: Subject,
) -> Result<(), ConsoleError> {
    record(app, Actor::Officer(me.officer.id), action, subject).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AuditQuery {
    before: Option<i64>,
}

/// "officer:3" as the officer's name (and id), "system" and "unknown" in words.
fn actor_label(me: &Me, names: &HashMap<OfficerId, String>, actor: &str) -> String {
    match actor
        .strip_prefix("officer:")
        .and_then(|id| id.parse().ok())
    {
        Some(id) => match names.get(&id) {
            Some(name) => format!("{name} (#{id})"),
            None => format!("#{id}"),
        },
        None if actor == "system" => me.t("console-audit-system"),
        None => me.t("console-audit-unknown"),
    }
}

pub(super) async fn audit_page(
    State(app): State<Arc<App>>,
    me: Me,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ConsoleError> {
    me.require_admin()?;
    let tz = app.tz();
    let before = q.before;
    let entries = app.db(move |s| s.audit_page(before, PAGE)).await?;
    let head = app.db(|s| s.audit_head()).await?;
    let names: HashMap<OfficerId, String> =
        app.db(|s| s.officer_names()).await?.into_iter().collect();
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            let appointment = e
                .subject
                .as_deref()
                .and_then(|s| s.strip_prefix("appointment:"));
            json!({
                "seq": e.seq,
                "when": format!("{} {}", fmt_date(e.at, tz, me.lang), fmt_time(e.at, tz)),
                "who": actor_label(&me, &names, &e.actor),
                "action": me.t(&format!("audit-action-{}", e.action)),
                "subject": e.subject,
                "appointment": appointment,
                "hash": &e.hash[..12],
            })
        })
        .collect();
    let older = entries.last().filter(|e| e.seq > 1).map(|e| e.seq);
    Ok(page(
        &app,
        "officer/audit.html",
        Some(&me),
        json!({
            "rows": rows,
            "older": older,
            "paged": before.is_some(),
            "head": head.map(|h| json!({"seq": h.seq, "hash": h.hash})),
        }),
    ))
}

fn csv_row(w: &mut csv::Writer<Vec<u8>>, e: &AuditEntry, tz: chrono_tz::Tz) -> csv::Result<()> {
    w.write_record([
        e.seq.to_string().as_str(),
        &e.at.with_timezone(&tz).to_rfc3339(),
        &e.actor,
        &e.action,
        e.subject.as_deref().unwrap_or(""),
        &e.hash,
    ])
}

/// The whole log as CSV, with this export as its last entry.
pub(super) async fn audit_csv(
    State(app): State<Arc<App>>,
    me: Me,
) -> Result<Response, ConsoleError> {
    me.require_admin()?;
    by(&app, &me, Action::AuditExport, Subject::None).await?;
    let tz = app.tz();
    let body = app
        .db(move |s| {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut failed = None;
            w.write_record(["seq", "time", "actor", "action", "subject", "hash"])
                .ok();
            s.audit_each(|e| {
                if let Err(err) = csv_row(&mut w, e, tz) {
                    failed.get_or_insert(err);
                }
            })?;
            Ok((w.into_inner().ok(), failed))
        })
        .await?;
    let (Some(bytes), None) = body else {
        return Err(ConsoleError::internal(anyhow::anyhow!(
            "writing the audit log as CSV"
        )));
    };
    let name = format!(
        "audit-{}.csv",
        Utc::now().with_timezone(&tz).format("%Y-%m-%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
