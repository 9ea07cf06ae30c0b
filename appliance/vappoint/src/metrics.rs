//! Prometheus text format (0.0.4) for the station's and the hub's `/metrics`: a few gauges
//! with labels, written by hand (a metrics crate would add a registry this does not need).
//! Only the LAN may read them (`lan::is_lan`).

use std::collections::BTreeMap;
use std::fmt::Write;

use vappoint_wire::federation::Health;

/// Gauges grouped by name, so each family's samples follow its `HELP` and `TYPE` lines.
#[derive(Default)]
pub struct Metrics {
    families: BTreeMap<&'static str, (&'static str, String)>,
}

impl Metrics {
    pub fn gauge(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: &[(&str, &str)],
        value: f64,
    ) {
        let (_, samples) = self.families.entry(name).or_insert((help, String::new()));
        samples.push_str(name);
        if !labels.is_empty() {
            let inner: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(samples, "{{{}}}", inner.join(","));
        }
        let _ = writeln!(samples, " {value}");
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, (help, samples)) in &self.families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            out.push_str(samples);
        }
        out
    }
}

/// A label value as the format wants it: backslash, quote and newline escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One box's health as gauges labelled `labels` (its station code, and at the hub its zone).
pub fn health(m: &mut Metrics, labels: &[(&str, &str)], h: &Health) {
    let mut with_version = labels.to_vec();
    with_version.push(("version", &h.version));
    m.gauge(
        "vappoint_info",
        "The version a box runs (always 1).",
        &with_version,
        1.0,
    );
    let g = [
        (
            "vappoint_uptime_seconds",
            "Seconds since the station started.",
            h.uptime_seconds as f64,
        ),
        (
            "vappoint_disk_free_bytes",
            "Free bytes on the data directory's filesystem.",
            h.disk_free_bytes as f64,
        ),
        (
            "vappoint_disk_total_bytes",
            "Size of the data directory's filesystem.",
            h.disk_total_bytes as f64,
        ),
        (
            "vappoint_database_bytes",
            "The database with its write-ahead log.",
            h.database_bytes as f64,
        ),
        (
            "vappoint_mail_backlog",
            "Mail waiting in the spool or being retried.",
            f64::from(h.mail_backlog),
        ),
        (
            "vappoint_mail_dead",
            "Mail given up on in the last week.",
            f64::from(h.mail_dead),
        ),
        (
            "vappoint_reboot_required",
            "1 when installed updates need a reboot.",
            f64::from(u8::from(h.reboot_required)),
        ),
    ];
    for (name, help, value) in g {
        m.gauge(name, help, labels, value);
    }
    if let Some(t) = h.cpu_millicelsius {
        m.gauge(
            "vappoint_cpu_celsius",
            "The CPU's temperature.",
            labels,
            t as f64 / 1000.0,
        );
    }
    if let Some(bits) = h.throttled {
        m.gauge(
            "vappoint_throttled",
            "A Raspberry Pi's throttling bits (0: none).",
            labels,
            f64::from(bits),
        );
    }
    if let Some(t) = h.certificate_expires.as_deref().and_then(timestamp) {
        m.gauge(
            "vappoint_certificate_expiry_timestamp_seconds",
            "When the public certificate expires.",
            labels,
            t,
        );
    }
    if let Some(t) = h.last_backup.as_deref().and_then(timestamp) {
        m.gauge(
            "vappoint_last_backup_timestamp_seconds",
            "When the last backup left the box.",
            labels,
            t,
        );
    }
}

fn timestamp(rfc3339: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_grouped_and_labels_escaped() {
        let mut m = Metrics::default();
        m.gauge("b_total", "B.", &[("station", "DGP")], 1.0);
        m.gauge("a_total", "A.", &[("station", "a\"b\\c\nd")], 2.5);
        m.gauge("b_total", "B.", &[("station", "KTD")], 3.0);
        assert_eq!(
            m.render(),
            "# HELP a_total A.\n# TYPE a_total gauge\na_total{station=\"a\\\"b\\\\c\\nd\"} 2.5\n\
             # HELP b_total B.\n# TYPE b_total gauge\nb_total{station=\"DGP\"} 1\nb_total{station=\"KTD\"} 3\n"
        );
    }
}
