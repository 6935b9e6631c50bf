//! Analytics charts, drawn on the server with plotters as SVG: revenue per day as a line
//! beside the period before, orders per day as bars, and the best sellers as horizontal bars.
//! Their text is dates, SKUs, numbers and fixed titles; product names stay in the data table.

use super::types::{ProductsSold, Series};
use crate::charts::{compact, svg};
use plotters::prelude::*;

const CURRENT: RGBColor = RGBColor(0x3b, 0x5b, 0xdb);
const PREVIOUS: RGBColor = RGBColor(0x86, 0x8e, 0x96);

/// `2026-11-26` → `26 Nov`-like short labels: the month and day only.
fn short(label: &str) -> String {
    label.get(5..).unwrap_or(label).to_string()
}

/// A daily line chart of `current` beside `previous` (the period before, same length), in
/// `scale` units per shown unit (100 for money in cents).
pub fn line(title: &str, labels: &[String], current: &[i64], previous: &[i64], scale: f64) -> String {
    svg((760, 300), |root| {
        let top = current.iter().chain(previous).copied().max().unwrap_or_default() as f64 / scale;
        let last = labels.len().saturating_sub(1).max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d(0usize..last, 0f64..top.max(1.0) * 1.1)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|i: &usize| labels.get(*i).map(|l| short(l)).unwrap_or_default())
            .y_label_formatter(&|v: &f64| compact(*v))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (name, color, values) in [("Previous period", PREVIOUS, previous), ("This period", CURRENT, current)] {
            chart
                .draw_series(LineSeries::new(
                    values.iter().enumerate().map(|(i, v)| (i, *v as f64 / scale)),
                    color.stroke_width(2),
                ))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        Ok(())
    })
}

/// Daily bars of `values`.
pub fn bars(title: &str, labels: &[String], values: &[i64]) -> String {
    svg((760, 300), |root| {
        let top = values.iter().copied().max().unwrap_or_default().max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d((0usize..labels.len().max(1)).into_segmented(), 0f64..top * 1.1)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|x: &SegmentValue<usize>| match x {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    labels.get(*i).map(|l| short(l)).unwrap_or_default()
                }
                SegmentValue::Last => String::new(),
            })
            .y_label_formatter(&|v: &f64| compact(*v))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart.draw_series(
            Histogram::vertical(&chart)
                .style(CURRENT.filled())
                // A gap between bars while they are wide enough for one (a year's are not).
                .margin(if values.len() > 120 { 0 } else { 1 })
                .data(values.iter().enumerate().map(|(i, v)| (i, *v as f64))),
        )?;
        Ok(())
    })
}

/// Horizontal bars, one per `(label, value)`, the first on top.
pub fn ranking(title: &str, rows: &[(String, i64)]) -> String {
    let height = 60 + 28 * rows.len().max(1) as u32;
    svg((760, height), |root| {
        let top = rows.iter().map(|r| r.1).max().unwrap_or_default().max(1) as f64;
        let n = rows.len().max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(24)
            .y_label_area_size(110)
            .build_cartesian_2d(0f64..top * 1.1, (0usize..n).into_segmented())?;
        chart
            .configure_mesh()
            .y_labels(n)
            .y_label_formatter(&|y: &SegmentValue<usize>| match y {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    n.checked_sub(1 + *i).and_then(|k| rows.get(k)).map(|r| r.0.clone()).unwrap_or_default()
                }
                SegmentValue::Last => String::new(),
            })
            .x_label_formatter(&|v: &f64| compact(*v))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart.draw_series(
            Histogram::horizontal(&chart)
                .style(CURRENT.filled())
                .margin(4)
                .data(rows.iter().enumerate().map(|(i, r)| (n - 1 - i, r.1 as f64))),
        )?;
        Ok(())
    })
}

/// The revenue line of `data` (`revenue` beside `revenue_previous`), in `currency`.
pub fn revenue(currency: &str, data: &Series) -> String {
    let scale = 10f64.powi(i32::from(crate::orgs::minor_units(currency)));
    let title = format!("Revenue per day ({currency})");
    line(&title, &data.labels, data.values("revenue"), data.values("revenue_previous"), scale)
}

/// The paid orders of `data` as daily bars.
pub fn sales(data: &Series) -> String {
    bars("Paid orders per day", &data.labels, data.values("orders"))
}

/// The best sellers of `data` as horizontal bars, by SKU.
pub fn products(data: &ProductsSold) -> String {
    let rows: Vec<(String, i64)> = data.top.iter().map(|p| (p.sku.clone(), p.quantity)).collect();
    ranking("Top products by quantity sold", &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svgs_with_their_titles() {
        let labels: Vec<String> = (1..=30).map(|d| format!("2026-11-{d:02}")).collect();
        let values: Vec<i64> = (0..30).map(|d| d * 1_000).collect();
        let l = line("Revenue per day (INR)", &labels, &values, &values[..], 100.0);
        assert!(l.starts_with("<svg") && l.contains("Revenue per day (INR)") && l.contains("Previous period"));
        let b = bars("Orders per day", &labels, &values);
        assert!(b.starts_with("<svg") && b.contains("Orders per day"), "{b:.300}");
        let ticks: Vec<&str> = labels.iter().map(|l| &l[5..]).filter(|l| b.contains(*l)).collect();
        assert!(ticks.len() >= 4, "day labels on the axis: {ticks:?}");
        // A year of bars still has no negative widths (browsers refuse those).
        let year: Vec<String> = (0..365).map(|d| format!("2026-{:02}-{:02}", 1 + d / 31, 1 + d % 28)).collect();
        let b = bars("Orders per day", &year, &vec![5; 365]);
        assert!(!b.contains("width=\"-"), "negative width");
        let r = ranking("Top products by quantity", &[("SKU-1".into(), 50), ("SKU-2".into(), 20)]);
        assert!(r.contains("SKU-1") && r.contains("SKU-2"));
    }
}
