//! The report folder: the KPI table, `summary.json`, and SVG charts.
//!
//! Charts are written as plain SVG by hand: the browser lays out the text,
//! so no font files or rasteriser are needed (a plotting crate would need a
//! font backend to measure labels). Each chart is a pure function of run
//! results, so the same runs give the same bytes.

use crate::study::{CaseRuns, Summary, table};
use crate::world::World;
use std::fmt::Write as _;
use std::path::Path;

const W: f64 = 900.0;
const H: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 190.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];
/// Level-of-service colours A..F, light to dark, with the letter on the legend.
const LOS: [&str; 6] = [
    "#c7e9c0", "#74c476", "#fed976", "#fd8d3c", "#e31a1c", "#800026",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn header(out: &mut String, title: &str, height: f64) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="{W}" height="{height}" font-family="sans-serif" font-size="12" role="img" aria-label="{t}">
<title>{t}</title>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{x}" y="22" font-size="15" font-weight="bold">{t}</text>
"##,
        t = esc(title),
        x = LEFT
    );
}

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

fn y_axis(out: &mut String, max: f64, plot_h: f64, label: &str) {
    for i in 0..=5 {
        let v = max * f64::from(i) / 5.0;
        let y = TOP + plot_h - plot_h * f64::from(i) / 5.0;
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{v}</text>"##,
            x2 = W - RIGHT,
            tx = LEFT - 6.0,
            ty = y + 4.0,
            v = if max >= 10.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="16" y="{y}" transform="rotate(-90 16 {y})" text-anchor="middle">{l}</text>"#,
        y = TOP + plot_h / 2.0,
        l = esc(label)
    );
}

/// Occupancy of the busiest spaces over the day (first seed), each against
/// its capacity as a dashed line of the same colour.
pub fn occupancy_chart(world: &World, run: &crate::kpi::RunResult, title: &str) -> String {
    let n = world.spaces.len();
    let minutes = run.series.len().checked_div(n).unwrap_or(0);
    let mut out = String::new();
    header(&mut out, title, H);
    if minutes < 2 {
        out.push_str("<text x=\"70\" y=\"80\">no samples</text></svg>\n");
        return out;
    }
    // Busiest: highest peak occupancy relative to capacity.
    let mut peak: Vec<(f64, usize)> = (0..n)
        .map(|s| {
            let p = (0..minutes)
                .map(|m| run.series[m * n + s])
                .max()
                .unwrap_or(0);
            (f64::from(p) / f64::from(world.spaces[s].capacity), s)
        })
        .collect();
    peak.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let chosen: Vec<usize> = peak.iter().take(6).map(|x| x.1).collect();
    let max = chosen
        .iter()
        .map(|&s| {
            let p = (0..minutes)
                .map(|m| run.series[m * n + s])
                .max()
                .unwrap_or(0);
            f64::from(p.max(world.spaces[s].capacity))
        })
        .fold(0.0, f64::max);
    let max = nice_max(max * 1.05);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    y_axis(&mut out, max, plot_h, "people");
    let x = |m: usize| LEFT + plot_w * m as f64 / (minutes - 1) as f64;
    let y = |v: f64| TOP + plot_h - plot_h * v / max;
    // Hour ticks in local time.
    let off = i64::from(world.spec.event.utc_offset_s) * 1000;
    for m in 0..minutes {
        let t = run.minute0 + m as i64 * 60_000 + off;
        if t.rem_euclid(3_600_000) < 60_000 {
            let h = t.rem_euclid(86_400_000) / 3_600_000;
            let _ = writeln!(
                out,
                r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{TOP}" y2="{yb}" stroke="#f0f0f0"/><text x="{xx:.1}" y="{ty}" text-anchor="middle">{h:02}:00</text>"##,
                xx = x(m),
                yb = TOP + plot_h,
                ty = TOP + plot_h + 18.0
            );
        }
    }
    for (i, &s) in chosen.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let cap = f64::from(world.spaces[s].capacity);
        let _ = writeln!(
            out,
            r#"<line x1="{LEFT}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="{c}" stroke-dasharray="6 4" stroke-width="1"/>"#,
            x2 = W - RIGHT,
            yy = y(cap)
        );
        let mut d = String::new();
        for m in 0..minutes {
            let v = f64::from(run.series[m * n + s]);
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if m == 0 { "M" } else { " L" },
                x(m),
                y(v)
            );
        }
        let _ = writeln!(
            out,
            r#"<path d="{d}" fill="none" stroke="{c}" stroke-width="1.6"/>"#
        );
        let ly = TOP + 14.0 + i as f64 * 36.0;
        let _ = writeln!(
            out,
            r##"<line x1="{lx}" x2="{lx2}" y1="{ly}" y2="{ly}" stroke="{c}" stroke-width="2"/><text x="{tx}" y="{ty}">{name}</text><text x="{tx}" y="{ty2}" fill="#555">cap {cap:.0} (dashed)</text>"##,
            lx = W - RIGHT + 10.0,
            lx2 = W - RIGHT + 30.0,
            tx = W - RIGHT + 36.0,
            ty = ly + 4.0,
            ty2 = ly + 18.0,
            name = esc(&world.spaces[s].id)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Minutes each space spends at each level of service (mean over seeds),
/// stacked A to F; the busiest at E and F first.
pub fn los_chart(world: &World, case: &CaseRuns, title: &str) -> String {
    let n = world.spaces.len();
    let runs = case.runs.len().max(1) as f64;
    let mut mean = vec![[0.0f64; 6]; n];
    for r in &case.runs {
        for (s, l) in r.los_minutes.iter().enumerate() {
            for k in 0..6 {
                mean[s][k] += l[k] / runs;
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        (mean[b][4] + mean[b][5])
            .total_cmp(&(mean[a][4] + mean[a][5]))
            .then(a.cmp(&b))
    });
    order.truncate(24);
    let row = 18.0;
    let height = TOP + BOTTOM + row * order.len() as f64 + 20.0;
    let mut out = String::new();
    header(&mut out, title, height);
    let left = 160.0;
    // Room after each bar for its "E/F n min" label.
    let plot_w = W - left - RIGHT - 90.0;
    let total = mean
        .iter()
        .map(|l| l.iter().sum::<f64>())
        .fold(0.0, f64::max)
        .max(1.0);
    for (i, &s) in order.iter().enumerate() {
        let y = TOP + 10.0 + i as f64 * row;
        let _ = writeln!(
            out,
            r#"<text x="{tx}" y="{ty:.1}" text-anchor="end">{name}</text>"#,
            tx = left - 6.0,
            ty = y + 12.0,
            name = esc(&world.spaces[s].id)
        );
        let mut x = left;
        for k in 0..6 {
            let w = plot_w * mean[s][k] / total;
            if w > 0.0 {
                let _ = writeln!(
                    out,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h}" fill="{c}"><title>{name} level {l}: {m:.0} min</title></rect>"#,
                    h = row - 4.0,
                    c = LOS[k],
                    name = esc(&world.spaces[s].id),
                    l = (b'A' + k as u8) as char,
                    m = mean[s][k]
                );
            }
            x += w;
        }
        let ef = mean[s][4] + mean[s][5];
        if ef >= 0.5 {
            let _ = writeln!(
                out,
                r##"<text x="{tx:.1}" y="{ty:.1}" fill="#800026">E/F {ef:.0} min</text>"##,
                tx = x + 6.0,
                ty = y + 12.0
            );
        }
    }
    for (k, colour) in LOS.iter().enumerate() {
        let ly = TOP + 10.0 + k as f64 * 20.0;
        let _ = writeln!(
            out,
            r##"<rect x="{lx}" y="{ly}" width="14" height="14" fill="{c}" stroke="#888"/><text x="{tx}" y="{ty}">level {l}</text>"##,
            lx = W - RIGHT + 60.0,
            c = colour,
            tx = W - RIGHT + 80.0,
            ty = ly + 11.0,
            l = (b'A' + k as u8) as char
        );
    }
    out.push_str("</svg>\n");
    out
}

/// How many notifications attendees received, share of attendees per count,
/// pooled over seeds, one bar per case.
pub fn notifications_chart(cases: &[&CaseRuns], title: &str) -> String {
    let max = cases
        .iter()
        .flat_map(|c| c.runs.iter())
        .flat_map(|r| r.notifications.iter().copied())
        .max()
        .unwrap_or(0)
        .min(20) as usize;
    let mut shares: Vec<Vec<f64>> = Vec::new();
    for c in cases {
        let mut h = vec![0.0f64; max + 1];
        let mut total = 0.0f64;
        for r in &c.runs {
            for &x in &r.notifications {
                h[(x as usize).min(max)] += 1.0;
                total += 1.0;
            }
        }
        for v in &mut h {
            *v /= total.max(1.0);
        }
        shares.push(h);
    }
    let mut out = String::new();
    header(&mut out, title, H);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let top = shares.iter().flatten().copied().fold(0.0, f64::max);
    let ymax = nice_max(top * 100.0);
    y_axis(&mut out, ymax, plot_h, "% of attendees");
    let slot = plot_w / (max + 1) as f64;
    let bar = slot * 0.8 / cases.len().max(1) as f64;
    for k in 0..=max {
        let _ = writeln!(
            out,
            r#"<text x="{x:.1}" y="{y}" text-anchor="middle">{k}{plus}</text>"#,
            x = LEFT + slot * (k as f64 + 0.5),
            y = TOP + plot_h + 18.0,
            plus = if k == max && max == 20 { "+" } else { "" }
        );
        for (i, h) in shares.iter().enumerate() {
            let v = h[k] * 100.0;
            let bh = plot_h * v / ymax;
            let _ = writeln!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" fill="{c}"><title>{name}: {v:.1}% received {k}</title></rect>"#,
                x = LEFT + slot * k as f64 + slot * 0.1 + bar * i as f64,
                y = TOP + plot_h - bh,
                c = PALETTE[i % PALETTE.len()],
                name = esc(&cases[i].name)
            );
        }
    }
    let _ = writeln!(
        out,
        r#"<text x="{x}" y="{y}" text-anchor="middle">notifications received in the day</text>"#,
        x = LEFT + plot_w / 2.0,
        y = H - 12.0
    );
    for (i, c) in cases.iter().enumerate() {
        let ly = TOP + 14.0 + i as f64 * 22.0;
        let _ = writeln!(
            out,
            r#"<rect x="{lx}" y="{ly}" width="14" height="14" fill="{col}"/><text x="{tx}" y="{ty}">{name}</text>"#,
            lx = W - RIGHT + 10.0,
            col = PALETTE[i % PALETTE.len()],
            tx = W - RIGHT + 30.0,
            ty = ly + 11.0,
            name = esc(&c.name)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// A chart with its file name and title, for the report and the API.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Chart {
    pub file: String,
    pub title: String,
    pub svg: String,
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Every chart for a study.
pub fn charts(world: &World, cases: &[CaseRuns]) -> Vec<Chart> {
    let mut out = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        if let Some(first) = c.runs.first() {
            let title = format!("Occupancy of the busiest spaces, {} (first seed)", c.name);
            out.push(Chart {
                file: format!("occupancy-{}-{}.svg", i + 1, slug(&c.name)),
                svg: occupancy_chart(world, first, &title),
                title,
            });
        }
        let title = format!(
            "Level-of-service minutes per space, {} (mean over seeds)",
            c.name
        );
        out.push(Chart {
            file: format!("los-{}-{}.svg", i + 1, slug(&c.name)),
            svg: los_chart(world, c, &title),
            title,
        });
    }
    let refs: Vec<&CaseRuns> = cases.iter().collect();
    let title = "Notifications per attendee".to_string();
    out.push(Chart {
        file: "notifications.svg".into(),
        svg: notifications_chart(&refs, &title),
        title,
    });
    out
}

/// Writes `summary.json`, `kpis.md`, the charts and an `index.html` that shows them.
pub fn write(
    dir: &Path,
    summary: &Summary,
    charts: &[Chart],
    extra_md: &str,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("summary.json"), json)?;
    let md = format!(
        "# {} — simulated KPIs\n\nSeeds {:?}; {} attendees; compliance: notifications {}, signs {}.\nEach cell: mean [95% interval]. Differences are paired per seed; **✔ X** marks a significant difference in favour of X.\n\n{}\n{}",
        summary.event,
        summary.seeds,
        summary.attendees,
        summary.compliance_notification,
        summary.compliance_sign,
        table(summary),
        extra_md
    );
    std::fs::write(dir.join("kpis.md"), &md)?;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{t}</title><body style=\"font-family:sans-serif;max-width:960px;margin:auto\"><h1>{t}</h1><pre style=\"white-space:pre-wrap\">{md}</pre>",
        t = esc(&format!("{} — simulation report", summary.event)),
        md = esc(&md)
    );
    for c in charts {
        std::fs::write(dir.join(&c.file), &c.svg)?;
        let _ = write!(
            html,
            "<figure><img src=\"{f}\" alt=\"{t}\" width=\"900\"><figcaption>{t}</figcaption></figure>",
            f = esc(&c.file),
            t = esc(&c.title)
        );
    }
    html.push_str("</body></html>\n");
    std::fs::write(dir.join("index.html"), html)?;
    Ok(())
}

/// Presence over the day as a Markdown table: people on site at each full
/// hour (local time), from the first seed of `case` (the day's shape does
/// not depend on the policies, so one case shows it).
pub fn presence_table(world: &World, case: &CaseRuns) -> String {
    let Some(run) = case.runs.first() else {
        return String::new();
    };
    let off = i64::from(world.spec.event.utc_offset_s) * 1000;
    let mut rows = String::from("| local time | people on site |\n|---|---|\n");
    let mut any = false;
    for (m, &n) in run.present.iter().enumerate() {
        let t = run.minute0 + m as i64 * 60_000 + off;
        if t.rem_euclid(3_600_000) < 60_000 {
            let h = t.rem_euclid(86_400_000) / 3_600_000;
            let _ = writeln!(rows, "| {h:02}:00 | {n} |");
            any = true;
        }
    }
    if !any {
        return String::new();
    }
    let peak = run.present.iter().copied().max().unwrap_or(0);
    format!(
        "\n## Presence over the day\n\nPeople on site (arrived, not yet gone) on the first seed; peak {peak} of {} who came.\n\n{rows}",
        run.attendees
    )
}

/// The forecast's backtest over a case's seeds (means of the per-seed
/// errors), and the room moves it led to.
pub fn forecast_rows(case: &CaseRuns) -> Vec<crate::kpi::ForecastErrors> {
    let Some(first) = case.runs.first() else {
        return Vec::new();
    };
    let n = case.runs.len() as f64;
    (0..first.backtest.len())
        .map(|k| {
            let mut e = crate::kpi::ForecastErrors {
                minutes_before: first.backtest[k].minutes_before,
                ..Default::default()
            };
            for r in &case.runs {
                let Some(b) = r.backtest.get(k) else { continue };
                e.sessions += b.sessions;
                e.mean_demand += b.mean_demand / n;
                e.mae_forecast += b.mae_forecast / n;
                e.bias_forecast += b.bias_forecast / n;
                e.mae_fill += b.mae_fill / n;
                e.mae_bookmarks += b.mae_bookmarks / n;
                e.coverage80 += b.coverage80 / n;
            }
            e
        })
        .collect()
}

/// `forecast_rows` and the moves as a Markdown section.
pub fn forecast_table(case: &CaseRuns) -> String {
    let rows = forecast_rows(case);
    if rows.iter().all(|r| r.sessions == 0) {
        return String::new();
    }
    let n = case.runs.len().max(1) as f64;
    let moves: f64 = case.runs.iter().map(|r| r.moves as f64).sum::<f64>() / n;
    let walk_on: f64 = case
        .runs
        .iter()
        .map(|r| r.moved_walk_on as f64)
        .sum::<f64>()
        / n;
    let mut t = format!(
        "\n## The session forecast, backtested ({})\n\nMean absolute error against the people who came for each session (seated, or refused at its door), at each horizon before the published start; means over seeds. Naive forecasts: the room's count at that moment, and bookmarks x 2.0. Room moves published: {moves:.1} per day; people who found a moved talk's old door and walked on: {walk_on:.0}.\n\n| minutes before | sessions | mean came | forecast (bias) | room count now | bookmarks x 2 | in 80% interval |\n|---|---|---|---|---|---|---|\n",
        case.name
    );
    for r in rows {
        let _ = writeln!(
            t,
            "| {} | {} | {:.1} | {:.1} ({:+.1}) | {:.1} | {:.1} | {:.0}% |",
            r.minutes_before,
            r.sessions,
            r.mean_demand,
            r.mae_forecast,
            r.bias_forecast,
            r.mae_fill,
            r.mae_bookmarks,
            r.coverage80 * 100.0
        );
    }
    t
}
