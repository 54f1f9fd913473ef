//! The throughput chart, `docs/benchmarks-throughput.svg`: ops/s per client for every cell,
//! one panel per server, azkv's ratio to raw reqwest written over its bar and raw's height
//! drawn across each group. Plain SVG by string formatting (no plotting crate to build).

use std::fmt::Write as _;

use super::throughput::{CONCURRENCY, OPS, TARGETS, Throughput};

/// Bars of a group, in order, with their colours.
const SERIES: &[(&str, &str)] =
    &[("azkv-before", "#b0b0b0"), ("azkv", "#1f77b4"), ("raw", "#2ca02c"), ("microsoft", "#ff7f0e")];

const WIDTH: f64 = 960.0;
const PANEL: f64 = 300.0;
const LEFT: f64 = 70.0;
const TOP: f64 = 50.0;

/// A "nice" axis maximum at or above `v`.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let step = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * step).find(|m| *m >= v).unwrap_or(10.0 * step)
}

/// The chart, as SVG text.
pub(super) fn render(t: &Throughput) -> anyhow::Result<String> {
    let series: Vec<(&str, &str)> = SERIES.iter().copied().filter(|(c, _)| t.cells.keys().any(|k| k.0 == *c)).collect();
    let height = TOP + TARGETS.len() as f64 * (PANEL + 70.0) + 10.0;
    let mut s = String::new();
    writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    )?;
    writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#)?;
    writeln!(
        s,
        r#"<text x="{LEFT}" y="22" font-size="15" font-weight="bold">Operations per second per client (median of {} rounds); azkv / raw (paired, median over rounds) over azkv's bar, raw's height dashed</text>"#,
        t.rounds
    )?;
    for (i, (client, colour)) in series.iter().enumerate() {
        let x = LEFT + i as f64 * 130.0;
        writeln!(s, r#"<rect x="{x}" y="32" width="12" height="12" fill="{colour}"/>"#)?;
        writeln!(s, r#"<text x="{}" y="42">{client}</text>"#, x + 16.0)?;
    }
    let groups = OPS.len() * CONCURRENCY.len();
    let group_w = (WIDTH - LEFT - 20.0) / groups as f64;
    let bar_w = (group_w - 24.0) / series.len().max(1) as f64;
    for (p, &target) in TARGETS.iter().enumerate() {
        let top = TOP + 30.0 + p as f64 * (PANEL + 70.0);
        let bottom = top + PANEL;
        let get = |client: &str, op: &str, c: usize| {
            t.cells.get(&(client.to_owned(), target.to_owned(), op.to_owned(), c)).map(|s| s.ops_per_sec)
        };
        let max = t.cells.iter().filter(|(k, _)| k.1 == target).map(|(_, v)| v.ops_per_sec).fold(0.0, f64::max);
        let max = nice_max(max * 1.08);
        let y = |v: f64| bottom - v / max * PANEL;
        let title = if target == "bare" { "bare fixed-response server" } else { "azkv-emulator" };
        writeln!(
            s,
            r#"<text x="{LEFT}" y="{}" font-size="14" font-weight="bold">against the {title}</text>"#,
            top - 10.0
        )?;
        for tick in 0..=4 {
            let v = max * f64::from(tick) / 4.0;
            let ty = y(v);
            writeln!(s, r##"<line x1="{LEFT}" y1="{ty:.1}" x2="{}" y2="{ty:.1}" stroke="#e0e0e0"/>"##, WIDTH - 20.0)?;
            writeln!(s, r#"<text x="{}" y="{:.1}" text-anchor="end">{v:.0}</text>"#, LEFT - 6.0, ty + 4.0)?;
        }
        for (g, (op, c)) in OPS.iter().flat_map(|op| CONCURRENCY.iter().map(move |c| (*op, *c))).enumerate() {
            let gx = LEFT + g as f64 * group_w + 12.0;
            for (i, (client, colour)) in series.iter().enumerate() {
                let Some(v) = get(client, op, c) else { continue };
                let x = gx + i as f64 * bar_w;
                writeln!(
                    s,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{client} {op} at {c}: {v:.0} ops/s</title></rect>"#,
                    y(v),
                    bar_w - 2.0,
                    bottom - y(v)
                )?;
                let raw_key = ("raw".to_owned(), target.to_owned(), op.to_owned(), c);
                let own_key = ((*client).to_owned(), target.to_owned(), op.to_owned(), c);
                if let Some(r) = client.starts_with("azkv").then(|| t.ratio(&own_key, &raw_key)).flatten() {
                    let fill = if r >= 0.95 { "#1a7f1a" } else { "#c0392b" };
                    writeln!(
                        s,
                        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="{fill}">{r:.2}×</text>"#,
                        x + bar_w / 2.0 - 1.0,
                        y(v) - 4.0
                    )?;
                }
            }
            if let Some(raw) = get("raw", op, c) {
                writeln!(
                    s,
                    r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#2ca02c" stroke-dasharray="4 3"/>"##,
                    gx - 4.0,
                    y(raw),
                    gx + series.len() as f64 * bar_w + 2.0,
                    y(raw)
                )?;
            }
            writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{op}, concurrency {c}</text>"#,
                gx + series.len() as f64 * bar_w / 2.0,
                bottom + 18.0
            )?;
        }
        writeln!(s, r##"<line x1="{LEFT}" y1="{bottom}" x2="{}" y2="{bottom}" stroke="#333"/>"##, WIDTH - 20.0)?;
    }
    writeln!(s, "</svg>")?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(43_000.0), 50_000.0);
        assert_eq!(nice_max(12_000.0), 20_000.0);
        assert_eq!(nice_max(100_000.0), 100_000.0);
    }
}
