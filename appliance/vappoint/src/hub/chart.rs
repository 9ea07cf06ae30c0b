//! Inline SVG bar charts for the hub's report page: horizontal grouped bars with their
//! values written out, accessible (`role="img"`, a title and every value in `<desc>`), small,
//! and styled with presentation attributes only (no CSS, no script, no external file).

use std::fmt::Write as _;

const WIDTH: u32 = 640;
/// Right edge of group labels written left of their bars.
const LABEL_W: u32 = 172;
/// Room right of the longest bar for its value.
const VALUE_W: u32 = 56;
const BAR_H: u32 = 16;
const BAR_GAP: u32 = 3;
const GROUP_GAP: u32 = 14;
/// Height of a group label written above its bars.
const LABEL_LINE: u32 = 18;
const PAD: u32 = 8;
/// Series colours: at least 3:1 against white (WCAG 1.4.11), and told apart by lightness
/// as well as hue (blue, orange, grey, green, red), so also without colour vision.
const COLOURS: [&str; 5] = ["#0b3d91", "#b35a00", "#555555", "#0f6b2f", "#a4161a"];
/// Labels up to this many characters fit left of the bars; if one is longer, every label
/// goes on a line of its own above its bars instead.
const LEFT_LABEL_CHARS: usize = 22;
/// Longest label shown in full above the bars; longer ones are cut, the full text is the
/// group's tooltip.
const LABEL_CHARS: usize = 80;

/// Text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn legend_item_width(label: &str) -> u32 {
    // 12 px swatch, a gap, about 7 px per character at 12 px, then space to the next item.
    20 + 7 * u32::try_from(label.chars().count()).unwrap_or(40) + 16
}

/// A horizontal grouped bar chart as an inline SVG: one group per label, one bar per series
/// (in `series` order, each bar with its value), a legend when there is more than one
/// series. `bars[i].1[j]` is the value of series `j` in group `i` (missing values are 0).
/// Accessible: `role="img"`, the title as `aria-label` and `<title>`, and every value in
/// `<desc>`. Styled with presentation attributes only (no CSS, no script, no external file).
pub fn bar_chart(title: &str, bars: &[(String, Vec<u64>)], series: &[&str]) -> String {
    render(title, bars, series, series.len() > 1)
}

fn render(title: &str, bars: &[(String, Vec<u64>)], series: &[&str], legend: bool) -> String {
    let n_series = u32::try_from(series.len().max(1)).unwrap_or(1);
    let n_groups = u32::try_from(bars.len()).unwrap_or(0);
    let max = bars
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    // Short labels left of the bars; otherwise each label above its group, full width.
    let above = bars
        .iter()
        .any(|(l, _)| l.chars().count() > LEFT_LABEL_CHARS);
    let (bar_x, label_h) = if above {
        (PAD, LABEL_LINE)
    } else {
        (LABEL_W + 8, 0)
    };
    let plot_w = WIDTH - bar_x - VALUE_W;

    // Title line, then the legend (wrapped to the width), then the groups.
    let mut legend_rows: Vec<Vec<(usize, u32)>> = Vec::new();
    if legend {
        let mut x = PAD;
        let mut row = Vec::new();
        for (i, s) in series.iter().enumerate() {
            let w = legend_item_width(s);
            if x + w > WIDTH - PAD && !row.is_empty() {
                legend_rows.push(std::mem::take(&mut row));
                x = PAD;
            }
            row.push((i, x));
            x += w;
        }
        if !row.is_empty() {
            legend_rows.push(row);
        }
    }
    let legend_top = PAD + 24;
    let groups_top = legend_top + 20 * u32::try_from(legend_rows.len()).unwrap_or(0) + 4;
    let bars_h = n_series * BAR_H + (n_series - 1) * BAR_GAP;
    let group_h = label_h + bars_h;
    let height = groups_top + n_groups * group_h + n_groups.saturating_sub(1) * GROUP_GAP + PAD;

    // Every value, for screen readers (the page's tables hold them too).
    let mut desc = String::new();
    for (label, values) in bars {
        let parts: Vec<String> = series
            .iter()
            .enumerate()
            .map(|(j, s)| format!("{s} {}", values.get(j).copied().unwrap_or(0)))
            .collect();
        let _ = write!(desc, "{label}: {}. ", parts.join(", "));
    }

    let mut svg = String::with_capacity(1024 + bars.len() * 400);
    let t = esc(title);
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{t}" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="system-ui, sans-serif" font-size="12" fill="#1a1a1a"><title>{t}</title><desc>{}</desc>"##,
        esc(desc.trim_end()),
    );
    let _ = write!(
        svg,
        r#"<text x="{PAD}" y="{}" font-size="15" font-weight="700">{t}</text>"#,
        PAD + 15
    );
    for (r, row) in legend_rows.iter().enumerate() {
        let y = legend_top + 20 * u32::try_from(r).unwrap_or(0);
        for &(i, x) in row {
            // A path, not a rect: one <rect> per bar and nothing else.
            let _ = write!(
                svg,
                r#"<path d="M{x} {y}h12v12h-12z" fill="{}"/><text x="{}" y="{}">{}</text>"#,
                COLOURS[i % COLOURS.len()],
                x + 18,
                y + 10,
                esc(series[i]),
            );
        }
    }
    for (g, (label, values)) in bars.iter().enumerate() {
        let top = groups_top + u32::try_from(g).unwrap_or(0) * (group_h + GROUP_GAP);
        let shown: String = if label.chars().count() > LABEL_CHARS {
            let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
            format!("{}…", cut.trim_end())
        } else {
            label.clone()
        };
        svg.push_str("<g>");
        if shown != *label {
            let _ = write!(svg, "<title>{}</title>", esc(label));
        }
        if above {
            let _ = write!(
                svg,
                r#"<text x="{PAD}" y="{}" font-size="13">{}</text>"#,
                top + 13,
                esc(&shown),
            );
        } else {
            let _ = write!(
                svg,
                r#"<text x="{LABEL_W}" y="{}" text-anchor="end" font-size="13">{}</text>"#,
                top + bars_h / 2 + 5,
                esc(&shown),
            );
        }
        for j in 0..n_series {
            let v = values.get(j as usize).copied().unwrap_or(0);
            let y = top + label_h + j * (BAR_H + BAR_GAP);
            let w = bar_len(v, max, plot_w);
            let _ = write!(
                svg,
                r#"<rect x="{bar_x}" y="{y}" width="{w}" height="{BAR_H}" fill="{}"/><text x="{}" y="{}">{v}</text>"#,
                COLOURS[j as usize % COLOURS.len()],
                bar_x + w + 4,
                y + BAR_H / 2 + 4,
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// A bar's length in pixels: proportional to `max`, at least 1 px for any value above 0.
fn bar_len(v: u64, max: u64, plot_w: u32) -> u32 {
    if v == 0 {
        return 0;
    }
    let w = u128::from(v) * u128::from(plot_w) / u128::from(max);
    u32::try_from(w).unwrap_or(plot_w).clamp(1, plot_w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_escapes_and_has_one_rect_per_bar() {
        let bars = vec![
            ("A <b> & \"c\"".to_string(), vec![3, 2, 1]),
            ("Zone 2".to_string(), vec![0, 0, 0]),
        ];
        let svg = bar_chart(
            "Booked & <done>",
            &bars,
            &["booked", "completed", "no-show \"x\""],
        );
        assert_eq!(svg.matches("<rect").count(), 6, "{svg}");
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(
            svg.contains(r#"aria-label="Booked &amp; &lt;done&gt;""#),
            "{svg}"
        );
        assert!(svg.contains("<title>Booked &amp; &lt;done&gt;</title>"));
        assert!(svg.contains("A &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(svg.contains("no-show &quot;x&quot;"));
        assert!(!svg.contains("<b>"));
        assert!(!svg.contains("\"c\""));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("style"));
        assert!(!svg.contains("href"));
        // Every value is written next to its bar.
        assert!(svg.contains(">3</text>") && svg.contains(">0</text>"));
        // Height grows with the bars.
        let one = bar_chart("t", &bars[..1], &["a", "b", "c"]);
        assert!(one.contains(r#"height="#));
        let h = |s: &str| -> u32 {
            let i = s.find("height=\"").unwrap() + 8;
            s[i..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(h(&svg) > h(&one));
    }

    #[test]
    fn svg_is_small_for_five_zones() {
        let bars: Vec<(String, Vec<u64>)> = (1..=5)
            .map(|i| {
                (
                    format!("Zone {i} (Pune City)"),
                    vec![1200 * i, 1100 * i, 90 * i],
                )
            })
            .collect();
        let svg = bar_chart(
            "Appointments per zone, 1 to 30 November 2026",
            &bars,
            &["Booked", "Completed", "No-show"],
        );
        assert!(svg.len() < 8 * 1024, "{} bytes", svg.len());
        assert_eq!(svg.matches("<rect").count(), 15);
        // The biggest bar fills the plot, the others are proportional, none overflows.
        assert!(svg.contains(&format!(r#"width="{}""#, WIDTH - LABEL_W - 8 - VALUE_W)));
    }

    #[test]
    fn long_labels_go_above_their_bars() {
        let short = bar_chart("t", &[("Zone 1".to_string(), vec![1, 2])], &["a", "b"]);
        assert!(short.contains(r#"text-anchor="end""#));
        assert!(short.contains(&format!(r#"<rect x="{}""#, LABEL_W + 8)));

        let long = "Zone 1 (Deccan, Kothrud and Warje)".to_string();
        let svg = bar_chart("t", &[(long.clone(), vec![1, 2])], &["a", "b"]);
        assert!(svg.contains(&format!(">{long}</text>")), "{svg}");
        assert!(!svg.contains(r#"text-anchor="end""#));
        assert!(svg.contains(&format!(r#"<rect x="{PAD}""#)));
        // The longest bar still fits, with its value right of it.
        assert!(svg.contains(&format!(r#"width="{}""#, WIDTH - PAD - VALUE_W)));

        let huge = "x".repeat(200);
        let svg = bar_chart("t", &[(huge.clone(), vec![1])], &["a"]);
        assert!(svg.contains(&format!("<title>{huge}</title>")));
        assert!(svg.contains("…</text>"));
    }
}
