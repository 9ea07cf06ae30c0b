//! Retention as the box runs it: hourly (and at start), remove the documents and then the
//! personal details of appointments past their periods (`[retention]`), spare held ones, and
//! delete the removed documents' files. The command line runs the same code with a given
//! time (`vappoint station retention run --now`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use vappoint_domain::retention::Policy;
use vappoint_store::Store;

use crate::station::app::App;

/// What one run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub documents: u64,
    pub document_bytes: u64,
    pub appointments: u64,
}

/// Removes what `policy` says is due at `now`. Each batch commits (rows marked, audit
/// entries written) before its files are deleted: a crash in between leaves files no kept
/// document names, which the next start deletes.
pub fn run(
    store: &Store,
    documents: &Path,
    policy: &Policy,
    now: DateTime<Utc>,
) -> anyhow::Result<Removed> {
    let cut = policy.cutoffs(now);
    let mut removed = Removed::default();
    loop {
        let batch = store
            .remove_documents(cut.documents, now)
            .context("removing documents")?;
        if batch.is_empty() {
            break;
        }
        for d in batch {
            match std::fs::remove_file(documents.join(&d.stored_name)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("deleting document {}", d.id)),
            }
            removed.documents += 1;
            removed.document_bytes += d.size;
        }
    }
    loop {
        let batch = store
            .remove_personal(cut.personal, now)
            .context("removing personal details")?;
        if batch.is_empty() {
            break;
        }
        removed.appointments += batch.len() as u64;
    }
    Ok(removed)
}

/// Runs retention at start and then hourly, for as long as the station runs.
pub async fn run_hourly(app: Arc<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let policy = app.config.retention.policy();
        let dir = app.documents_dir().path().to_path_buf();
        let app2 = app.clone();
        let done =
            tokio::task::spawn_blocking(move || run(&app2.store, &dir, &policy, Utc::now())).await;
        match done {
            Ok(Ok(r)) if r == Removed::default() => {}
            Ok(Ok(r)) => tracing::info!(
                documents = r.documents,
                bytes = r.document_bytes,
                appointments = r.appointments,
                "retention removed what its periods allow"
            ),
            Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "retention"),
            Err(e) => tracing::warn!(error = %e, "retention task"),
        }
    }
}
