//! The commissionerate's zone reports: the figures stations pushed, grouped by zone and
//! summed for the city, as rows for the report page, as CSV and as the reasons chart.
//!
//! Pure functions: no IO and no clock (`now` is a parameter). Averages are always computed
//! from sums and counts, never as averages of averages.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use vappoint_store::{DayCounts, StationFigures};

/// The reason categories, in the order of the CSV columns and of the reasons chart (the order
/// of `vappoint_domain::ReasonCategory::ALL`). A category a station reports that is not in
/// this list (a newer station) is counted under "other".
pub const REASONS: [&str; 6] = [
    "complaint",
    "fir_follow_up",
    "lost_article",
    "domestic_violence",
    "cyber_fraud",
    "other",
];

/// One line of a report: a station, a zone's totals or the city's.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct FigRow {
    /// The station's code; "" for a zone's or the city's totals.
    pub code: String,
    /// The station's name; the zone's name for a zone's totals; "City" for the city's.
    pub name: String,
    /// The zone; "" for the city's totals.
    pub zone: String,
    pub offered: u64,
    pub booked: u64,
    pub completed: u64,
    pub no_show: u64,
    pub cancelled: u64,
    /// Average wait before the call, in whole seconds (None when nothing was measured).
    pub avg_wait_seconds: Option<i64>,
    /// Average call length, in whole seconds (None when nothing was measured).
    pub avg_call_seconds: Option<i64>,
    /// `avg_wait_seconds` as "m:ss", for pages.
    pub avg_wait: Option<String>,
    /// `avg_call_seconds` as "m:ss", for pages.
    pub avg_call: Option<String>,
    /// Appointments per reason category: every category of [`REASONS`], zeros included.
    pub reasons: BTreeMap<String, u64>,
    /// The station has not reported within the staleness window (for totals: one of its
    /// stations has not). A station that has not enrolled yet is not stale: it cannot report.
    pub stale: bool,
    /// The station has enrolled (for totals: all of its stations have).
    pub enrolled: bool,
    /// When the station last pushed, RFC 3339 with the hub's offset (None: never). For
    /// totals, the earliest of their stations' (None if one of them never reported).
    pub last_seen: Option<String>,
}

/// A zone's stations (by name) and their totals.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct ZoneReport {
    pub zone: String,
    pub totals: FigRow,
    pub stations: Vec<FigRow>,
}

/// The whole report for `from..=to` (local dates, "YYYY-MM-DD").
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub zones: Vec<ZoneReport>,
    pub city: FigRow,
}

/// Which CSV table: one line per station, or one per zone and a city line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    Stations,
    Zones,
}

/// Sums from which a row is made.
#[derive(Default)]
struct Acc {
    counts: DayCounts,
    stale: bool,
    /// The earliest last push; `never` when some enrolled station never pushed.
    earliest: Option<DateTime<Utc>>,
    never: bool,
    /// Some station has not enrolled yet.
    not_enrolled: bool,
}

impl Acc {
    fn add(&mut self, f: &StationFigures, stale: bool) {
        self.counts.add(&f.counts);
        self.stale |= stale;
        self.not_enrolled |= !f.enrolled;
        match f.last_seen {
            None if !f.enrolled => {}
            None => self.never = true,
            Some(t) => self.earliest = Some(self.earliest.map_or(t, |e| e.min(t))),
        }
    }

    fn merge(&mut self, o: &Acc) {
        self.counts.add(&o.counts);
        self.stale |= o.stale;
        self.never |= o.never;
        self.not_enrolled |= o.not_enrolled;
        if let Some(t) = o.earliest {
            self.earliest = Some(self.earliest.map_or(t, |e| e.min(t)));
        }
    }

    fn row(&self, code: &str, name: &str, zone: &str, tz: Tz) -> FigRow {
        let c = &self.counts;
        let avg_wait_seconds = average(c.wait_seconds_sum, c.wait_count);
        let avg_call_seconds = average(c.call_seconds_sum, c.call_count);
        let mut reasons: BTreeMap<String, u64> =
            REASONS.iter().map(|r| (r.to_string(), 0)).collect();
        for (k, v) in &c.reasons {
            // A category this hub does not know (a newer station) counts as "other".
            let key = if REASONS.contains(&k.as_str()) {
                k.as_str()
            } else {
                "other"
            };
            *reasons.entry(key.to_string()).or_default() += v;
        }
        FigRow {
            code: code.to_string(),
            name: name.to_string(),
            zone: zone.to_string(),
            offered: c.offered,
            booked: c.booked,
            completed: c.completed,
            no_show: c.no_show,
            cancelled: c.cancelled,
            avg_wait_seconds,
            avg_call_seconds,
            avg_wait: avg_wait_seconds.map(min_sec),
            avg_call: avg_call_seconds.map(min_sec),
            reasons,
            stale: self.stale,
            enrolled: !self.not_enrolled,
            last_seen: if self.never {
                None
            } else {
                self.earliest.map(|t| t.with_timezone(&tz).to_rfc3339())
            },
        }
    }
}

/// `sum / count`, rounded to the nearest whole number (halves away from zero); None when
/// `count` is 0.
pub fn average(sum: i64, count: u64) -> Option<i64> {
    if count == 0 {
        return None;
    }
    let (s, c) = (i128::from(sum), i128::from(count));
    let q = (2 * s.abs() + c) / (2 * c);
    let q = if s < 0 { -q } else { q };
    Some(i64::try_from(q).unwrap_or(if s < 0 { i64::MIN } else { i64::MAX }))
}

/// Seconds as "m:ss" ("0:07", "4:05", "75:00"); negative durations get a "-".
pub fn min_sec(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    format!("{sign}{}:{:02}", s / 60, s % 60)
}

/// Groups the stations' figures by zone (zones in the order they first appear, stations by
/// name within a zone) and sums them per zone and for the city. An enrolled station is stale
/// when it never pushed or last pushed before `now - stale_after`.
pub fn build(
    figures: &[StationFigures],
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
    stale_after: Duration,
    tz: Tz,
) -> Report {
    let cutoff = now - stale_after;
    let mut zones: Vec<(String, Vec<&StationFigures>)> = Vec::new();
    for f in figures {
        match zones.iter_mut().find(|(z, _)| *z == f.zone) {
            Some((_, list)) => list.push(f),
            None => zones.push((f.zone.clone(), vec![f])),
        }
    }
    let mut city = Acc::default();
    let mut out = Vec::with_capacity(zones.len());
    for (zone, mut list) in zones {
        list.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.code.cmp(&b.code)));
        let mut total = Acc::default();
        let mut stations = Vec::with_capacity(list.len());
        for f in list {
            let stale = f.enrolled && f.last_seen.is_none_or(|t| t < cutoff);
            let mut one = Acc::default();
            one.add(f, stale);
            stations.push(one.row(&f.code, &f.name, &zone, tz));
            total.merge(&one);
        }
        city.merge(&total);
        out.push(ZoneReport {
            totals: total.row("", &zone, &zone, tz),
            zone,
            stations,
        });
    }
    Report {
        from: from.to_string(),
        to: to.to_string(),
        zones: out,
        city: city.row("", "City", "", tz),
    }
}

/// A text cell as a spreadsheet will not run it: a leading `= + - @` (or tab, carriage
/// return) would make Excel or LibreOffice treat a station's name as a formula.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn record(row: &FigRow) -> Vec<String> {
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut r = vec![
        cell(&row.zone),
        cell(&row.code),
        cell(&row.name),
        row.offered.to_string(),
        row.booked.to_string(),
        row.completed.to_string(),
        row.no_show.to_string(),
        row.cancelled.to_string(),
        opt(row.avg_wait_seconds),
        opt(row.avg_call_seconds),
    ];
    for reason in REASONS {
        r.push(row.reasons.get(reason).copied().unwrap_or(0).to_string());
    }
    r.push(if row.stale { "yes" } else { "no" }.to_string());
    r
}

/// The report as CSV (RFC 4180: CRLF line ends, fields quoted where needed), with a header
/// line: zone, code, name, offered, booked, completed, no_show, cancelled, avg_wait_seconds,
/// avg_call_seconds, one column per reason category (in [`REASONS`] order), stale ("yes" or
/// "no"). Averages are empty when nothing was measured.
pub fn csv(report: &Report, table: Table) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut header = vec![
        "zone",
        "code",
        "name",
        "offered",
        "booked",
        "completed",
        "no_show",
        "cancelled",
        "avg_wait_seconds",
        "avg_call_seconds",
    ];
    header.extend(REASONS);
    header.push("stale");
    let rows: Vec<&FigRow> = match table {
        Table::Stations => report.zones.iter().flat_map(|z| &z.stations).collect(),
        Table::Zones => report
            .zones
            .iter()
            .map(|z| &z.totals)
            .chain([&report.city])
            .collect(),
    };
    // Writing into a Vec cannot fail, and every record has the header's length.
    w.write_record(&header).expect("CSV into memory");
    for row in rows {
        w.write_record(record(row)).expect("CSV into memory");
    }
    let bytes = w.into_inner().expect("CSV into memory");
    String::from_utf8(bytes).expect("CSV of strings is UTF-8")
}

/// One horizontal bar per reason category, in [`REASONS`] order, labelled by `labels`
/// (e.g. the English name of the category).
pub fn reasons_chart(
    title: &str,
    reasons: &BTreeMap<String, u64>,
    labels: &dyn Fn(&str) -> String,
) -> String {
    let bars: Vec<(String, Vec<u64>)> = REASONS
        .iter()
        .map(|r| (labels(r), vec![reasons.get(*r).copied().unwrap_or(0)]))
        .collect();
    super::chart::bar_chart(title, &bars, &["Appointments"])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: Tz = chrono_tz::Asia::Kolkata;

    fn now() -> DateTime<Utc> {
        "2026-11-30T06:00:00Z".parse().unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn fig(code: &str, name: &str, zone: &str, last_seen: Option<&str>) -> StationFigures {
        StationFigures {
            code: code.into(),
            name: name.into(),
            zone: zone.into(),
            last_seen: last_seen.map(|s| s.parse().unwrap()),
            enrolled: true,
            ..Default::default()
        }
    }

    fn sample() -> Vec<StationFigures> {
        let mut a = fig(
            "DGP",
            "Deccan Gymkhana",
            "Zone 1",
            Some("2026-11-30T05:58:00Z"),
        );
        a.counts.offered = 40;
        a.counts.booked = 10;
        a.counts.completed = 8;
        a.counts.no_show = 1;
        a.counts.cancelled = 1;
        a.counts.wait_seconds_sum = 100;
        a.counts.wait_count = 3; // 33.3 -> 33
        a.counts.call_seconds_sum = 1500;
        a.counts.call_count = 4; // 375 -> 6:15
        a.counts.reasons.insert("complaint".into(), 6);
        a.counts.reasons.insert("cyber_fraud".into(), 4);
        let mut b = fig(
            "SHV",
            "Shivajinagar",
            "Zone 2",
            Some("2026-11-30T05:50:00Z"),
        );
        b.counts.booked = 5;
        b.counts.wait_seconds_sum = 50;
        b.counts.wait_count = 1;
        b.counts.reasons.insert("lost_article".into(), 5);
        let mut c = fig("ALK", "Alankar", "Zone 1", Some("2026-11-29T05:00:00Z"));
        c.counts.booked = 3;
        c.counts.completed = 2;
        c.counts.wait_seconds_sum = 9;
        c.counts.wait_count = 2;
        c.counts.reasons.insert("traffic".into(), 3); // unknown to this hub: counted as other
        vec![a, b, c]
    }

    fn report() -> Report {
        build(
            &sample(),
            day("2026-11-01"),
            day("2026-11-30"),
            now(),
            Duration::minutes(30),
            TZ,
        )
    }

    #[test]
    fn groups_by_zone_in_first_order_and_stations_by_name() {
        let r = report();
        assert_eq!(r.from, "2026-11-01");
        assert_eq!(r.to, "2026-11-30");
        let zones: Vec<&str> = r.zones.iter().map(|z| z.zone.as_str()).collect();
        assert_eq!(zones, ["Zone 1", "Zone 2"]);
        let z1: Vec<&str> = r.zones[0]
            .stations
            .iter()
            .map(|s| s.code.as_str())
            .collect();
        assert_eq!(z1, ["ALK", "DGP"]);
        assert!(r.zones[0].stations.iter().all(|s| s.zone == "Zone 1"));

        let t = &r.zones[0].totals;
        assert_eq!(
            (t.code.as_str(), t.name.as_str(), t.zone.as_str()),
            ("", "Zone 1", "Zone 1")
        );
        assert_eq!(
            (t.offered, t.booked, t.completed, t.no_show, t.cancelled),
            (40, 13, 10, 1, 1)
        );
        assert_eq!(t.reasons["complaint"], 6);
        assert_eq!(t.reasons["other"], 3);
        assert_eq!(t.reasons.len(), REASONS.len(), "{:?}", t.reasons);

        let c = &r.city;
        assert_eq!((c.code.as_str(), c.name.as_str()), ("", "City"));
        assert_eq!((c.offered, c.booked, c.completed), (40, 18, 10));
        assert_eq!(c.reasons["lost_article"], 5);
        assert_eq!(c.reasons.values().sum::<u64>(), 18);
    }

    #[test]
    fn zones_in_order_of_first_appearance() {
        let f = vec![
            fig("B", "B", "West", None),
            fig("A", "A", "East", None),
            fig("C", "C", "West", None),
        ];
        let r = build(
            &f,
            day("2026-11-01"),
            day("2026-11-01"),
            now(),
            Duration::hours(1),
            TZ,
        );
        let zones: Vec<&str> = r.zones.iter().map(|z| z.zone.as_str()).collect();
        assert_eq!(zones, ["West", "East"]);
        assert_eq!(r.zones[0].stations.len(), 2);
    }

    #[test]
    fn averages_from_sums_rounded() {
        let r = report();
        let dgp = &r.zones[0].stations[1];
        assert_eq!(dgp.code, "DGP");
        assert_eq!(dgp.avg_wait_seconds, Some(33));
        assert_eq!(dgp.avg_wait.as_deref(), Some("0:33"));
        assert_eq!(dgp.avg_call_seconds, Some(375));
        assert_eq!(dgp.avg_call.as_deref(), Some("6:15"));
        let alk = &r.zones[0].stations[0];
        assert_eq!(alk.avg_wait_seconds, Some(5)); // 9 / 2 = 4.5 -> 5
        assert_eq!(alk.avg_call_seconds, None);
        assert_eq!(alk.avg_call, None);
        // Zone 1: (100 + 9) / (3 + 2) = 21.8 -> 22, not the mean of 33 and 5.
        assert_eq!(r.zones[0].totals.avg_wait_seconds, Some(22));
        assert_eq!(r.zones[0].totals.avg_call_seconds, Some(375));
        // City: (100 + 9 + 50) / 6 = 26.5 -> 27.
        assert_eq!(r.city.avg_wait_seconds, Some(27));

        assert_eq!(average(0, 0), None);
        assert_eq!(average(7, 2), Some(4));
        assert_eq!(average(5, 2), Some(3));
        assert_eq!(average(-5, 2), Some(-3));
        assert_eq!(min_sec(7), "0:07");
        assert_eq!(min_sec(4500), "75:00");
        assert_eq!(min_sec(-61), "-1:01");
    }

    #[test]
    fn staleness() {
        let f = vec![
            fig("A", "Fresh", "Z", Some("2026-11-30T05:40:00Z")),
            fig("B", "Edge", "Z", Some("2026-11-30T05:30:00Z")),
            fig("C", "Old", "Y", Some("2026-11-30T05:29:59Z")),
            fig("D", "Never", "X", None),
        ];
        let r = build(
            &f,
            day("2026-11-30"),
            day("2026-11-30"),
            now(),
            Duration::minutes(30),
            TZ,
        );
        let z = &r.zones[0];
        assert_eq!(z.stations[0].name, "Edge");
        assert!(!z.stations[0].stale, "exactly at the limit is not stale");
        assert!(!z.stations[1].stale);
        assert!(!z.totals.stale);
        assert_eq!(
            z.stations[1].last_seen.as_deref(),
            Some("2026-11-30T11:10:00+05:30")
        );
        assert_eq!(
            z.totals.last_seen.as_deref(),
            Some("2026-11-30T11:00:00+05:30")
        );
        assert!(r.zones[1].stations[0].stale);
        assert!(r.zones[1].totals.stale);
        let never = &r.zones[2].stations[0];
        assert!(never.stale);
        assert_eq!(never.last_seen, None);
        assert_eq!(r.zones[2].totals.last_seen, None);
        assert!(r.city.stale);
        assert_eq!(r.city.last_seen, None);

        // Registered but not enrolled: it cannot report, so it is not "not reported recently",
        // and it does not make its zone's last report "never".
        let mut pending = fig("E", "Pending", "Z", None);
        pending.enrolled = false;
        let r = build(
            &[f[0].clone(), pending],
            day("2026-11-30"),
            day("2026-11-30"),
            now(),
            Duration::minutes(30),
            TZ,
        );
        let z = &r.zones[0];
        assert_eq!(z.stations[1].name, "Pending");
        assert!(!z.stations[1].enrolled && !z.stations[1].stale);
        assert!(z.stations[0].enrolled);
        assert!(!z.totals.stale && !z.totals.enrolled);
        assert_eq!(
            z.totals.last_seen.as_deref(),
            Some("2026-11-30T11:10:00+05:30")
        );

        let empty = build(
            &[],
            day("2026-11-30"),
            day("2026-11-30"),
            now(),
            Duration::minutes(30),
            TZ,
        );
        assert!(empty.zones.is_empty());
        assert!(!empty.city.stale);
        assert_eq!(empty.city.avg_wait_seconds, None);
    }

    const HEADER: &str = "zone,code,name,offered,booked,completed,no_show,cancelled,avg_wait_seconds,avg_call_seconds,complaint,fir_follow_up,lost_article,domestic_violence,cyber_fraud,other,stale";

    #[test]
    fn csv_columns_in_order() {
        let r = report();
        let s = csv(&r, Table::Stations);
        let lines: Vec<&str> = s.split("\r\n").collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(lines[1], "Zone 1,ALK,Alankar,0,3,2,0,0,5,,0,0,0,0,0,3,yes");
        assert_eq!(
            lines[2],
            "Zone 1,DGP,Deccan Gymkhana,40,10,8,1,1,33,375,6,0,0,0,4,0,no"
        );
        assert_eq!(
            lines[3],
            "Zone 2,SHV,Shivajinagar,0,5,0,0,0,50,,0,0,5,0,0,0,no"
        );
        assert_eq!(lines[4], "");
        assert_eq!(lines.len(), 5);

        let z = csv(&r, Table::Zones);
        let lines: Vec<&str> = z.split("\r\n").collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(
            lines[1],
            "Zone 1,,Zone 1,40,13,10,1,1,22,375,6,0,0,0,4,3,yes"
        );
        assert_eq!(lines[2], "Zone 2,,Zone 2,0,5,0,0,0,50,,0,0,5,0,0,0,no");
        assert_eq!(lines[3], ",,City,40,18,10,1,1,27,375,6,0,5,0,4,3,yes");
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn reasons_match_the_domain() {
        let domain: Vec<&str> = vappoint_domain::ReasonCategory::ALL
            .iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(domain, REASONS);
    }

    #[test]
    fn csv_quotes_and_defuses() {
        let f = vec![
            fig("KR", "Kothrud, \"New\" Station", "Zone 3", None),
            fig("EV", "=HYPERLINK(\"x\")", "Zone 3", None),
        ];
        let r = build(
            &f,
            day("2026-11-30"),
            day("2026-11-30"),
            now(),
            Duration::minutes(30),
            TZ,
        );
        let s = csv(&r, Table::Stations);
        assert!(
            s.contains("\r\nZone 3,KR,\"Kothrud, \"\"New\"\" Station\",0,"),
            "{s}"
        );
        assert!(s.contains(",EV,\"'=HYPERLINK(\"\"x\"\")\",0,"), "{s}");
        // It reads back as the same name.
        let mut rd = csv::Reader::from_reader(s.as_bytes());
        let names: Vec<String> = rd.records().map(|r| r.unwrap()[2].to_string()).collect();
        assert_eq!(names, ["'=HYPERLINK(\"x\")", "Kothrud, \"New\" Station"]);
        assert_eq!(r.zones[0].stations.len(), 2);
    }

    #[test]
    fn table_from_query() {
        #[derive(serde::Deserialize)]
        struct Q {
            table: Table,
        }
        let q: Q = serde_json::from_str(r#"{"table":"zones"}"#).unwrap();
        assert_eq!(q.table, Table::Zones);
        let q: Q = serde_json::from_str(r#"{"table":"stations"}"#).unwrap();
        assert_eq!(q.table, Table::Stations);
        assert!(serde_json::from_str::<Q>(r#"{"table":"x"}"#).is_err());
    }

    #[test]
    fn reasons_chart_in_fixed_order() {
        let mut reasons = BTreeMap::new();
        reasons.insert("other".to_string(), 2);
        reasons.insert("complaint".to_string(), 7);
        let svg = reasons_chart("Reasons", &reasons, &|r: &str| match r {
            "fir_follow_up" => "Follow-up on an FIR".to_string(),
            other => other.replace('_', " "),
        });
        assert_eq!(svg.matches("<rect").count(), REASONS.len());
        let pos = |s: &str| svg.find(s).unwrap_or_else(|| panic!("{s} in {svg}"));
        assert!(pos(">complaint<") < pos(">Follow-up on an FIR<"));
        assert!(pos(">Follow-up on an FIR<") < pos(">cyber fraud<"));
        assert!(pos(">cyber fraud<") < pos(">other<"));
        assert!(svg.contains(">7</text>"));
        assert!(!svg.contains("<path"), "one series: no legend");
    }
}
