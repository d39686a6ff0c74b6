//! The statistics' charts, drawn on the server as plain SVG (no script, no third party, within
//! the console's CSP: presentation attributes, no inline style). Each chart has a text
//! alternative, and the same figures are in the tables beside it.

use huifang_core::statistics::Figures;
use maud::{html as markup, Markup};

/// The segments of a month's bar: what became of the revisits issued, in this order.
pub const SEGMENTS: [(&str, &str); 5] = [
    ("电子化回访成功", "#0b5cad"),
    ("电话回访成功", "#1a7f37"),
    ("信函/上门回访成功", "#8250df"),
    ("处理中", "#bf8700"),
    ("均无法联系", "#a40e26"),
];

fn segments(f: &Figures) -> [u64; 5] {
    [
        f.completed_electronic_in_cooling_off + f.completed_electronic_late,
        f.completed_by_phone,
        f.completed_by_letter_or_visit,
        f.not_completed_in_progress,
        f.not_completed_unreachable,
    ]
}

fn legend() -> Markup {
    markup! {
        ul.legend {
            @for (name, colour) in SEGMENTS {
                li {
                    svg width="12" height="12" aria-hidden="true" { rect width="12" height="12" fill=(colour) {} }
                    " " (name)
                }
            }
        }
    }
}

/// A stacked bar per month: the revisits issued and what became of them.
pub fn months(rows: &[(String, Figures)], caption: &str) -> Markup {
    let (w, h, left, bottom, top) = (960.0_f64, 280.0_f64, 56.0_f64, 28.0_f64, 12.0_f64);
    let max = rows.iter().map(|(_, f)| f.issued).max().unwrap_or(0).max(1);
    let slot = (w - left) / rows.len().max(1) as f64;
    let bar = slot * 0.6;
    let scale = (h - bottom - top) / max as f64;
    let described: Vec<String> = rows
        .iter()
        .map(|(p, f)| format!("{p}：应回访 {}", f.issued))
        .collect();
    // Each month's segments stacked from the axis up: (x, y, height, colour).
    let mut rects = Vec::new();
    for (i, (_, f)) in rows.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = h - bottom;
        for (j, n) in segments(f).iter().enumerate() {
            let height = *n as f64 * scale;
            if *n > 0 {
                rects.push((x, y - height, height, SEGMENTS[j].1));
            }
            y -= height;
        }
    }
    markup! {
        figure.chart {
            svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-label={ (caption) "。" (described.join("；")) } {
                line x1=(left) y1=(h - bottom) x2=(w) y2=(h - bottom) stroke="#57606a" {}
                text x=(left - 6.0) y=(top + 4.0) text-anchor="end" font-size="12" fill="#1f2328" { (max) }
                text x=(left - 6.0) y=(h - bottom) text-anchor="end" font-size="12" fill="#1f2328" { "0" }
                @for (x, y, height, colour) in &rects {
                    rect x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(format!("{bar:.1}"))
                         height=(format!("{height:.1}")) fill=(colour) {}
                }
                @for (i, (period, _)) in rows.iter().enumerate() {
                    @let x = left + slot * i as f64 + (slot - bar) / 2.0;
                    text x=(format!("{:.1}", x + bar / 2.0)) y=(h - bottom + 18.0) text-anchor="middle" font-size="12" fill="#1f2328" {
                        (period.get(5..).unwrap_or(period)) "月"
                    }
                }
            }
            figcaption { (caption) }
            (legend())
        }
    }
}

/// A horizontal bar per row: the electronic success rate within the cooling-off period.
pub fn rates(rows: &[(String, Figures)], caption: &str) -> Markup {
    let row_h = 26.0_f64;
    let (w, left) = (960.0_f64, 300.0_f64);
    let h = row_h * rows.len().max(1) as f64 + 8.0;
    let described: Vec<String> = rows
        .iter()
        .map(|(k, f)| format!("{k}：{}", percent(f.electronic_rate_permille())))
        .collect();
    markup! {
        figure.chart {
            svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-label={ (caption) "。" (described.join("；")) } {
                @for (i, (label, f)) in rows.iter().enumerate() {
                    @let y = 4.0 + row_h * i as f64;
                    @let permille = f.electronic_rate_permille().unwrap_or(0) as f64;
                    @let width = (w - left - 70.0) * permille / 1000.0;
                    text x=(left - 8.0) y=(y + 16.0) text-anchor="end" font-size="13" fill="#1f2328" { (label) }
                    rect x=(left) y=(y + 3.0) width=(format!("{width:.1}")) height=(row_h - 8.0) fill="#0b5cad" {}
                    text x=(format!("{:.1}", left + width + 6.0)) y=(y + 16.0) font-size="13" fill="#1f2328" {
                        (percent(f.electronic_rate_permille()))
                    }
                }
            }
            figcaption { (caption) }
        }
    }
}

/// A per-mille rate as a percentage with one decimal (`95.2%`), or a dash.
pub fn percent(permille: Option<u64>) -> String {
    match permille {
        Some(p) => format!("{}.{}%", p / 10, p % 10),
        None => "—".to_string(),
    }
}
