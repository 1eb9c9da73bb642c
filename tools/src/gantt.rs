//! The SVG Gantt chart of shard records: one bar per shard on its lane, against a time axis.
//! Only records with times have a bar; the title says how many of all that is.

use crate::result::{Record, Status, Times};
use crate::stats::{self, assign_lanes};
use anyhow::{Result, bail};

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks.
pub fn tick_step(span: f64, target: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

fn fmt_tick(t: f64, step: f64) -> String {
    if step >= 60.0 && (t % 60.0).abs() < 1e-9 {
        format!("{}m", (t / 60.0).round() as i64)
    } else if step >= 1.0 {
        format!("{}s", t.round() as i64)
    } else {
        let digits = (-step.log10().floor()) as usize;
        format!("{t:.digits$}s")
    }
}

/// Where things go on the chart, in SVG units.
struct Layout {
    left: f64,
    top: f64,
    row: f64,
    bar_h: f64,
    chart_w: f64,
    width: f64,
    height: f64,
    /// Seconds the chart spans (at least a tiny positive number).
    span: f64,
    /// The time of the chart's left edge (the first start).
    origin: f64,
    lanes: usize,
}

impl Layout {
    fn new(s: &stats::Summary, lanes: usize) -> Layout {
        let (left, right, top, row, bar_h, chart_w) = (70.0, 20.0, 56.0, 22.0, 18.0, 1000.0);
        Layout {
            left,
            top,
            row,
            bar_h,
            chart_w,
            width: left + chart_w + right,
            height: top + row * lanes.max(1) as f64 + 44.0,
            span: match s.makespan_seconds {
                Some(m) if m > 0.0 => m,
                _ => 1.0,
            },
            origin: s.started_at_unix.unwrap_or(0.0),
            lanes,
        }
    }

    fn x(&self, t: f64) -> f64 {
        self.left + (t - self.origin) / self.span * self.chart_w
    }
}

fn color(status: Status) -> &'static str {
    match status {
        Status::Pass => "#4caf50",
        Status::Fail => "#e53935",
        Status::Timeout => "#fb8c00",
    }
}

/// Renders a Gantt chart of the records with times: one bar per shard on greedily assigned
/// lanes, a time axis in seconds since the first start, and labels on bars wide enough to hold
/// them. An error when no record has times (nothing to draw).
pub fn gantt_svg(records: &[Record]) -> Result<String> {
    let s = stats::summarize(records);
    let timed: Vec<(&Record, Times)> = s
        .shards
        .iter()
        .filter_map(|r| r.times.map(|t| (r, t)))
        .collect();
    if timed.is_empty() {
        bail!(
            "no Gantt chart: none of the {} shards has times (no build log with its \
             rts-shard-timing line was found)",
            s.total
        );
    }
    let intervals: Vec<(f64, f64)> = timed
        .iter()
        .map(|(_, t)| (t.started_at_unix, t.finished_at_unix))
        .collect();
    let (lane_of, lanes) = assign_lanes(&intervals);
    let l = Layout::new(&s, lanes);
    let mut out = heading(&s, &l);
    out.push_str(&lanes_and_axis(&l));
    for ((r, t), lane) in timed.iter().zip(&lane_of) {
        out.push_str(&bar(r, t, *lane, &l));
    }
    out.push_str("</svg>\n");
    Ok(out)
}

/// The opening tag, background, title, figures and legend.
fn heading(s: &stats::Summary, l: &Layout) -> String {
    let (width, height, left) = (l.width, l.height, l.left);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"{width:.0}\" height=\"{height:.0}\" fill=\"white\"/>\n"
    );
    out.push_str(&format!(
        "<text x=\"{left}\" y=\"20\" font-size=\"15\" font-weight=\"bold\">rts shards: {} passed, {} failed, {} timed out</text>\n",
        s.passed, s.failed, s.timeout
    ));
    let untimed = if s.timed < s.total {
        format!(" ({} of {} shards have times)", s.timed, s.total)
    } else {
        String::new()
    };
    out.push_str(&format!(
        "<text x=\"{left}\" y=\"38\" fill=\"#444\">makespan {:.1}s, total shard time {:.1}s, {} lanes (peak concurrency), efficiency {:.0}%{untimed}</text>\n",
        s.makespan_seconds.unwrap_or(0.0),
        s.total_wall_seconds.unwrap_or(0.0),
        l.lanes,
        s.efficiency.unwrap_or(0.0) * 100.0
    ));
    for (i, (label, status)) in [
        ("pass", Status::Pass),
        ("fail", Status::Fail),
        ("timeout", Status::Timeout),
    ]
    .iter()
    .enumerate()
    {
        let lx = left + l.chart_w - 210.0 + 70.0 * i as f64;
        out.push_str(&format!(
            "<rect x=\"{lx:.1}\" y=\"10\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"20\">{label}</text>\n",
            color(*status),
            lx + 16.0
        ));
    }
    out
}

/// Lane backgrounds and labels, the time axis and its ticks.
fn lanes_and_axis(l: &Layout) -> String {
    let (left, top, row, chart_w) = (l.left, l.top, l.row, l.chart_w);
    let mut out = String::new();
    for lane in 0..l.lanes {
        let y = top + row * lane as f64;
        if lane % 2 == 1 {
            out.push_str(&format!(
                "<rect x=\"{left}\" y=\"{y:.1}\" width=\"{chart_w}\" height=\"{row}\" fill=\"#f4f4f4\"/>\n"
            ));
        }
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#444\">lane {}</text>\n",
            left - 6.0,
            y + row / 2.0 + 4.0,
            lane + 1
        ));
    }
    let axis_y = top + row * l.lanes.max(1) as f64 + 4.0;
    out.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{axis_y:.1}\" x2=\"{:.1}\" y2=\"{axis_y:.1}\" stroke=\"#000\"/>\n",
        left + chart_w
    ));
    let step = tick_step(l.span, 10.0);
    let mut t = 0.0;
    while t <= l.span + step * 1e-6 {
        let tx = left + t / l.span * chart_w;
        out.push_str(&format!(
            "<line x1=\"{tx:.1}\" y1=\"{top}\" x2=\"{tx:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\n\
             <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            axis_y + 4.0,
            axis_y + 17.0,
            fmt_tick(t, step)
        ));
        t += step;
    }
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">seconds since the first shard started</text>\n",
        left + chart_w / 2.0,
        axis_y + 34.0
    ));
    out
}

/// One shard's bar, with a tooltip and, when it fits, its name.
fn bar(r: &Record, t: &Times, lane: usize, l: &Layout) -> String {
    let x0 = l.x(t.started_at_unix);
    let w = (l.x(t.finished_at_unix) - x0).max(1.0);
    let y = l.top + l.row * lane as f64 + (l.row - l.bar_h) / 2.0;
    let r = &r.result;
    let name = xml_escape(&r.name);
    let mem = t
        .peak_memory_kib
        .map(|k| format!(", {:.1} MiB", k as f64 / 1024.0))
        .unwrap_or_default();
    let mut out = format!(
        "<g><title>{name}: {:?}, {:.2}s{mem}, seed {}</title>\
         <rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"0.5\"/>",
        r.status,
        t.wall_seconds,
        r.seed,
        l.bar_h,
        color(r.status)
    );
    if (r.name.chars().count() as f64) * 6.3 + 6.0 <= w {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#fff\">{name}</text>",
            x0 + 3.0,
            y + l.bar_h / 2.0 + 4.0
        ));
    }
    out.push_str("</g>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::tests::rec;

    #[test]
    fn ticks() {
        assert_eq!(tick_step(10.0, 10.0), 1.0);
        assert_eq!(tick_step(95.0, 10.0), 10.0);
        assert_eq!(tick_step(0.3, 10.0), 0.05);
        assert_eq!(tick_step(1300.0, 10.0), 200.0);
        assert_eq!(fmt_tick(120.0, 60.0 * 2.0), "2m");
        assert_eq!(fmt_tick(0.15, 0.05), "0.15s");
        assert_eq!(fmt_tick(3.0, 1.0), "3s");
    }

    #[test]
    fn svg_parses_with_bars_lanes_and_escaped_names() {
        let mut rs = vec![
            rec("ni-a", Status::Pass, 0.0, 10.0),
            rec("ni-b<x>", Status::Fail, 0.0, 5.0),
            rec("ni-c", Status::Pass, 5.0, 6.0),
            rec("ni-d", Status::Pass, 0.0, 0.0),
        ];
        rs[3].times = None;
        let svg = gantt_svg(&rs).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let bars: Vec<roxmltree::Node> = root.children().filter(|n| n.has_tag_name("g")).collect();
        assert_eq!(bars.len(), 3);
        let title = |g: &roxmltree::Node| {
            g.children()
                .find(|n| n.has_tag_name("title"))
                .and_then(|t| t.text())
                .unwrap()
                .to_string()
        };
        // Sorted by name; the name with markup characters comes back intact.
        assert!(
            title(&bars[1]).starts_with("ni-b<x>: Fail, 5.00s"),
            "{}",
            title(&bars[1])
        );
        fn rect<'a, 'i>(g: &roxmltree::Node<'a, 'i>) -> roxmltree::Node<'a, 'i> {
            g.children().find(|n| n.has_tag_name("rect")).unwrap()
        }
        assert_eq!(rect(&bars[1]).attribute("fill"), Some("#e53935"));
        // ni-a spans the whole chart (1000 units from x=70); ni-c starts half-way.
        assert_eq!(rect(&bars[0]).attribute("x"), Some("70.0"));
        assert_eq!(rect(&bars[0]).attribute("width"), Some("1000.0"));
        assert_eq!(rect(&bars[2]).attribute("x"), Some("570.0"));
        // Two lanes: ni-a on the first, ni-b then ni-c on the second.
        let y = |g: &roxmltree::Node| rect(g).attribute("y").unwrap().to_string();
        assert_eq!(y(&bars[1]), y(&bars[2]));
        assert_ne!(y(&bars[0]), y(&bars[1]));
        let texts: Vec<&str> = root
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        assert!(texts.contains(&"lane 2") && !texts.contains(&"lane 3"));
        assert!(texts.contains(&"10s") && texts.contains(&"0s"));
        assert!(texts.contains(&"rts shards: 3 passed, 1 failed, 0 timed out"));
        assert!(
            texts
                .iter()
                .any(|t| t.ends_with("(3 of 4 shards have times)"))
        );
        // Nothing to draw without times.
        let e = gantt_svg(&rs[3..]).unwrap_err().to_string();
        assert!(e.contains("none of the 1 shards has times"), "{e}");
    }
}
