//! Talking to systemd (`Type=notify`): ready, watchdog pings while healthy, stopping.
//! Outside systemd every call here does nothing.

use sd_notify::NotifyState;

/// Tells systemd that the box serves, and feeds its watchdog at half the interval while
/// `alive` answers true: `alive` reads the database, so a wedged disk or a stuck runtime
/// stops the pings and systemd restarts the service.
pub(super) fn notify_ready<F, Fut>(status: String, alive: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    if let Err(e) = sd_notify::notify(&[NotifyState::Ready, NotifyState::Status(&status)]) {
        tracing::debug!(error = %e, "no systemd to notify");
    }
    let Some(interval) = sd_notify::watchdog_enabled() else {
        return;
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval / 2);
        loop {
            tick.tick().await;
            if alive().await {
                let _ = sd_notify::notify(&[NotifyState::Watchdog]);
            } else {
                tracing::error!("health check failed; the watchdog is not fed");
            }
        }
    });
}

/// Tells systemd the stop is deliberate, so it does not count as the watchdog failing.
pub(super) fn notify_stopping() {
    let _ = sd_notify::notify(&[NotifyState::Stopping]);
}
