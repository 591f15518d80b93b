//! Charts as SVG written on the server: readable without JavaScript, printable, and accessible
//! (a title, a description, and the numbers in a table next to every chart).
//!
//! Written by hand rather than with `plotters`: a bar chart with a line is a few dozen lines of
//! markup, and plotters' text layout needs a font backend (and its system dependencies) for the
//! axis labels.

use std::fmt::Write as _;

/// One x position: its label, the bar's value and the line's value.
pub struct Point {
    pub label: String,
    pub bar: i64,
    pub line: i64,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A round number at or above `max`, so the axis reads 0, half and top.
fn nice_top(max: i64) -> i64 {
    if max <= 4 {
        return 4;
    }
    let magnitude = 10_i64.pow((max as f64).log10().floor() as u32);
    for step in [1, 2, 5, 10] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10 * magnitude
}

/// Bars (`bar_name`) with a line (`line_name`) over them, one per point, with a title.
pub fn bars_and_line(title: &str, bar_name: &str, line_name: &str, points: &[Point]) -> String {
    const W: f64 = 720.0;
    const H: f64 = 240.0;
    const LEFT: f64 = 48.0;
    const RIGHT: f64 = 40.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 40.0;
    let (plot_w, plot_h) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    // Bars and line each get their own scale (left and right axis): shares are far fewer than
    // clicks, and on one scale their line would lie flat on the axis.
    let top = nice_top(points.iter().map(|p| p.bar).max().unwrap_or(0));
    let line_top = nice_top(points.iter().map(|p| p.line).max().unwrap_or(0));
    let y = |v: i64| TOP + plot_h - (v as f64 / top as f64) * plot_h;
    let y_line = |v: i64| TOP + plot_h - (v as f64 / line_top as f64) * plot_h;
    let n = points.len().max(1) as f64;
    let slot = plot_w / n;
    let bar_w = (slot * 0.7).max(1.0);
    let bar_total: i64 = points.iter().map(|p| p.bar).sum();
    let line_total: i64 = points.iter().map(|p| p.line).sum();

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="chart-title chart-desc">"#
    );
    let _ = write!(svg, r#"<title id="chart-title">{}</title>"#, escape(title));
    let _ = write!(
        svg,
        r#"<desc id="chart-desc">{} in all: {bar_total}; {} in all: {line_total}; over {} days.</desc>"#,
        escape(bar_name),
        escape(line_name),
        points.len()
    );
    // Axes and grid: 0, half, top; the bars' scale on the left, the line's on the right.
    for (v, l) in [(0, 0), (top / 2, line_top / 2), (top, line_top)] {
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{v}</text><text x="{:.1}" y="{:.1}" font-size="11" fill="#b35c12">{l}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            W - RIGHT + 6.0,
            yy + 4.0
        );
    }
    let _ = write!(svg, r##"<g class="bars" fill="#3b6fd8">"##);
    for (i, p) in points.iter().enumerate() {
        let x = LEFT + i as f64 * slot + (slot - bar_w) / 2.0;
        let h = TOP + plot_h - y(p.bar);
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{:.1}" width="{bar_w:.1}" height="{h:.1}"><title>{}: {} {}</title></rect>"#,
            y(p.bar),
            escape(&p.label),
            p.bar,
            escape(bar_name)
        );
    }
    svg.push_str("</g>");
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", LEFT + i as f64 * slot + slot / 2.0, y_line(p.line)))
        .collect();
    if !path.is_empty() {
        let _ = write!(
            svg,
            r##"<polyline class="line" fill="none" stroke="#e07a1f" stroke-width="2" points="{}"/>"##,
            path.join(" ")
        );
    }
    // Labels under the first, middle and last points.
    let mut labelled: Vec<usize> = vec![0, points.len() / 2, points.len().saturating_sub(1)];
    labelled.dedup();
    for i in labelled.into_iter().filter(|&i| i < points.len()) {
        let x = LEFT + i as f64 * slot + slot / 2.0;
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"#,
            H - BOTTOM + 16.0,
            escape(&points[i].label)
        );
    }
    // Legend.
    let _ = write!(
        svg,
        r##"<rect x="{LEFT}" y="{:.1}" width="10" height="10" fill="#3b6fd8"/><text x="{:.1}" y="{:.1}" font-size="11">{}</text><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#e07a1f" stroke-width="2"/><text x="{:.1}" y="{:.1}" font-size="11">{}</text>"##,
        H - 14.0,
        LEFT + 14.0,
        H - 5.0,
        escape(bar_name),
        LEFT + 140.0,
        H - 9.0,
        LEFT + 160.0,
        H - 9.0,
        LEFT + 166.0,
        H - 5.0,
        escape(line_name)
    );
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars from 0 to 100 %, one per row (`None`: hidden, drawn as a note), weakest
/// highlighted: the gap chart of a survey.
pub fn percent_bars(id: &str, title: &str, rows: &[(String, Option<u32>)]) -> String {
    const W: f64 = 640.0;
    const LABEL: f64 = 200.0;
    const ROW: f64 = 28.0;
    const TOP: f64 = 8.0;
    let plot_w = W - LABEL - 56.0;
    let h = TOP * 2.0 + ROW * rows.len().max(1) as f64 + 18.0;
    let weakest = rows.iter().filter_map(|r| r.1).min();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart gap-chart" id="{id}" viewBox="0 0 {W} {h:.0}" role="img" aria-labelledby="{id}-title {id}-desc">"#
    );
    let _ = write!(svg, r#"<title id="{id}-title">{}</title>"#, escape(title));
    let described: Vec<String> = rows
        .iter()
        .map(|(l, v)| match v {
            Some(v) => format!("{}: {v} %", escape(l)),
            None => format!("{}: hidden", escape(l)),
        })
        .collect();
    let _ = write!(svg, r#"<desc id="{id}-desc">{}</desc>"#, described.join("; "));
    for pct in [0, 50, 100] {
        let x = LABEL + plot_w * f64::from(pct) / 100.0;
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{pct} %</text>"##,
            h - 18.0,
            h - 4.0
        );
    }
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"#,
            LABEL - 8.0,
            y + ROW / 2.0 + 4.0,
            escape(label)
        );
        match value {
            Some(v) => {
                let fill = if Some(*v) == weakest { "#c0392b" } else { "#3b6fd8" };
                let _ = write!(
                    svg,
                    r#"<rect x="{LABEL}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{}: {v} %</title></rect><text x="{:.1}" y="{:.1}" font-size="11">{v} %</text>"#,
                    y + 4.0,
                    plot_w * f64::from((*v).min(100)) / 100.0,
                    ROW - 8.0,
                    escape(label),
                    LABEL + plot_w * f64::from((*v).min(100)) / 100.0 + 4.0,
                    y + ROW / 2.0 + 4.0
                );
            }
            None => {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#666">hidden: fewer than k answers</text>"##,
                    LABEL + 4.0,
                    y + ROW / 2.0 + 4.0
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Series colours for the radar, in order: distinct in hue and in dash, so the series can be
/// told apart without colour too.
const RADAR_COLOURS: [&str; 6] = ["#3b6fd8", "#e07a1f", "#2a9d5c", "#8e44ad", "#c0392b", "#16a085"];

/// A number for a label: at most two decimals, no trailing zeros (3.5, 4, 2.67).
fn short_number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A radar (spider) chart of values from 0 to 5, one axis per label: a grid at 1 to 5, one
/// closed polygon per series (the first drawn on top, solid; the others dashed, each in its own
/// colour), and a legend. `series` are `(name, one value per axis)`; missing values count as 0,
/// values are clamped to 0–5. `id` prefixes the title's and description's ids.
pub fn radar(id: &str, title: &str, axes: &[&str], series: &[(&str, Vec<f64>)]) -> String {
    const W: f64 = 600.0;
    const R: f64 = 130.0;
    const TOP: f64 = 40.0;
    const MAX: f64 = 5.0;
    let (cx, cy) = (W / 2.0, TOP + R);
    let n = axes.len().max(1);
    let angle = |i: usize| -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n as f64;
    let at = |i: usize, v: f64| {
        let r = R * v.clamp(0.0, MAX) / MAX;
        (cx + r * angle(i).cos(), cy + r * angle(i).sin())
    };
    let legend_top = cy + R + 44.0;
    let h = legend_top + 22.0 * series.len().div_ceil(2).max(1) as f64;
    let id = escape(id);
    let value = |values: &[f64], i: usize| {
        values.get(i).copied().filter(|v| v.is_finite()).unwrap_or(0.0).clamp(0.0, MAX)
    };

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart radar" id="{id}" viewBox="0 0 {W} {h:.0}" role="img" aria-labelledby="{id}-title {id}-desc">"#
    );
    let _ = write!(svg, r#"<title id="{id}-title">{}</title>"#, escape(title));
    let described: Vec<String> = series
        .iter()
        .map(|(name, values)| {
            let parts: Vec<String> = axes
                .iter()
                .enumerate()
                .map(|(i, a)| format!("{} {}", escape(a), short_number(value(values, i))))
                .collect();
            format!("{}: {}", escape(name), parts.join(", "))
        })
        .collect();
    let desc = if described.is_empty() { "No values yet.".to_owned() } else { described.join("; ") };
    let _ = write!(svg, r#"<desc id="{id}-desc">Scores from 0 to 5. {desc}</desc>"#);

    // The grid: one ring per level, spokes, and the levels' numbers up the first axis.
    for level in 1..=5 {
        let ring: Vec<String> = (0..n)
            .map(|i| {
                let (x, y) = at(i, f64::from(level));
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            svg,
            r##"<polygon class="grid" points="{}" fill="none" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#666">{level}</text>"##,
            ring.join(" "),
            cx + 4.0,
            cy - R * f64::from(level) / MAX + 11.0
        );
    }
    for (i, label) in axes.iter().enumerate() {
        let (x, y) = at(i, MAX);
        let _ = write!(svg, r##"<line x1="{cx:.1}" y1="{cy:.1}" x2="{x:.1}" y2="{y:.1}" stroke="#ddd"/>"##);
        let (c, s) = (angle(i).cos(), angle(i).sin());
        let anchor = if c > 0.3 {
            "start"
        } else if c < -0.3 {
            "end"
        } else {
            "middle"
        };
        let dy = if s > 0.3 {
            14.0
        } else if s < -0.3 {
            -6.0
        } else {
            4.0
        };
        let _ = write!(
            svg,
            r#"<text class="axis" x="{:.1}" y="{:.1}" font-size="13" text-anchor="{anchor}">{}</text>"#,
            cx + (R + 10.0) * c,
            cy + (R + 10.0) * s + dy,
            escape(label)
        );
    }

    // The series, the first one last so it is drawn on top.
    for (k, (_, values)) in series.iter().enumerate().rev() {
        let colour = RADAR_COLOURS[k % RADAR_COLOURS.len()];
        let dash = if k == 0 { "" } else { r#" stroke-dasharray="6 4""# };
        let points: Vec<(f64, f64)> = (0..n).map(|i| at(i, value(values, i))).collect();
        let list: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            svg,
            r#"<polygon class="series" points="{}" fill="{colour}" fill-opacity="{}" stroke="{colour}" stroke-width="2"{dash}><title>{}</title></polygon>"#,
            list.join(" "),
            if k == 0 { "0.18" } else { "0.06" },
            described.get(k).cloned().unwrap_or_default()
        );
        for (x, y) in points {
            let _ = write!(svg, r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{colour}"/>"#);
        }
    }

    // The legend, two entries a row.
    for (k, (name, _)) in series.iter().enumerate() {
        let colour = RADAR_COLOURS[k % RADAR_COLOURS.len()];
        let dash = if k == 0 { "" } else { r#" stroke-dasharray="6 4""# };
        let x = 40.0 + 280.0 * (k % 2) as f64;
        let y = legend_top + 22.0 * (k / 2) as f64;
        let _ = write!(
            svg,
            r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="3"{dash}/><text class="legend" x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
            x + 28.0,
            x + 36.0,
            y + 4.0,
            escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_bar_per_point_its_totals_and_escaped_labels() {
        let points: Vec<Point> = (0..7)
            .map(|i| Point { label: format!("Dec {i}"), bar: i * 3, line: i })
            .chain([Point { label: "<script>".into(), bar: 0, line: 0 }])
            .collect();
        let svg = bars_and_line("Clicks & shares", "People's clicks", "Shares", &points);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect x=").count(), 8 + 1, "eight bars and the legend's swatch");
        assert!(svg.contains("People&#39;s clicks in all: 63") || svg.contains("People's clicks in all: 63"));
        assert!(svg.contains("Shares in all: 21"));
        assert!(svg.contains("Clicks &amp; shares") && !svg.contains("<script>"));
        assert!(svg.contains(">20</text>"), "the bars' axis tops out at a round 20: {svg}");
        assert!(svg.contains(">10</text>"), "the line's axis (max 6) at 10: {svg}");
    }

    #[test]
    fn an_empty_period_still_draws_axes() {
        let svg = bars_and_line("Nothing yet", "Clicks", "Shares", &[]);
        assert!(svg.contains(">0</text>") && svg.contains(">4</text>"));
        assert!(!svg.contains("<polyline"), "no line without points");
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_top(0), 4);
        assert_eq!(nice_top(7), 10);
        assert_eq!(nice_top(11), 20);
        assert_eq!(nice_top(51), 100);
        assert_eq!(nice_top(120), 200);
        assert_eq!(nice_top(1000), 1000);
    }

    #[test]
    fn a_radar_has_a_grid_a_polygon_per_series_a_legend_and_escaped_labels() {
        let axes = ["Vision", "Strategy", "Purpose", "Launch", "Guide", "<b>Adapt</b>"];
        let series = [
            ("Latest & greatest", vec![5.0, 4.0, 3.5, 2.0, 1.0, 9.0]),
            ("Previous", vec![1.0, 1.0, 1.0, 1.0, 1.0]),
        ];
        let svg = radar("radar", "Readiness <now>", &axes, &series);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches(r#"class="grid""#).count(), 5, "rings at 1 to 5");
        assert_eq!(svg.matches(r#"class="series""#).count(), 2, "one polygon per series");
        assert_eq!(svg.matches(r#"class="axis""#).count(), 6);
        assert_eq!(svg.matches(r#"class="legend""#).count(), 2);
        assert!(svg.contains(r#"<title id="radar-title">Readiness &lt;now&gt;</title>"#), "{svg}");
        assert!(svg.contains("&lt;b&gt;Adapt&lt;/b&gt;") && !svg.contains("<b>"), "labels are escaped");
        assert!(svg.contains("Latest &amp; greatest: Vision 5, Strategy 4, Purpose 3.5"), "{svg}");
        assert!(svg.contains("&lt;b&gt;Adapt&lt;/b&gt; 5;"), "values are clamped to 5 and described: {svg}");
        assert!(svg.contains("Previous: Vision 1") && svg.contains("&lt;b&gt;Adapt&lt;/b&gt; 0</desc>"));
        // Series keep their own colours; only the first is solid.
        assert!(svg.contains(r##"stroke="#3b6fd8" stroke-width="2">"##), "{svg}");
        assert!(svg.contains(r##"stroke="#e07a1f" stroke-width="2" stroke-dasharray="6 4""##), "{svg}");
        // A 5 on the first axis (straight up) reaches the outer ring: (300, 40).
        assert!(svg.contains(r#"points="300.0,40.0 "#), "{svg}");
        let empty = radar("r", "Nothing yet", &axes, &[]);
        assert_eq!(empty.matches(r#"class="series""#).count(), 0);
        assert!(empty.contains("No values yet."));
    }
}
