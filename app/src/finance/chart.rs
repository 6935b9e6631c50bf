//! The dashboard's chart, drawn on the server with plotters as SVG: money invoiced, collected
//! and refunded per local month. Its text is month names, the currency code and numbers,
//! never input.

use super::types::MonthFigures;
use crate::charts::{self, Area, Drawn, compact};
use plotters::prelude::*;

const INVOICED: RGBColor = RGBColor(0x3b, 0x5b, 0xdb);
const COLLECTED: RGBColor = RGBColor(0x2b, 0x8a, 0x3e);
const REFUNDED: RGBColor = RGBColor(0xc9, 0x2a, 0x2a);

/// `months` as an SVG line chart, amounts in `currency`'s major units.
pub fn svg(months: &[MonthFigures], currency: &str) -> String {
    charts::svg((760, 320), |root| draw(root, months, currency))
}

/// A line of the chart: its name, colour and the figure it draws.
type Series = (&'static str, RGBColor, fn(&MonthFigures) -> i64);

fn draw(root: &Area<'_>, months: &[MonthFigures], currency: &str) -> Drawn {
    let scale = 10f64.powi(i32::from(crate::orgs::minor_units(currency)));
    let major = |minor: i64| minor as f64 / scale;
    let top = months.iter().flat_map(|m| [m.invoiced, m.collected, m.refunded]).max().unwrap_or_default();
    let top = major(top).max(1.0) * 1.1;
    let last = months.len().saturating_sub(1).max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Invoiced, collected and refunded per month ({currency})"), ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(0usize..last, 0f64..top)?;
    chart
        .configure_mesh()
        .x_labels(months.len())
        .x_label_formatter(&|i: &usize| months.get(*i).map(|m| m.label.chars().take(3).collect()).unwrap_or_default())
        .y_label_formatter(&|v: &f64| compact(*v))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let series: [Series; 3] = [
        ("Invoiced", INVOICED, |m| m.invoiced),
        ("Collected", COLLECTED, |m| m.collected),
        ("Refunded", REFUNDED, |m| m.refunded),
    ];
    for (name, color, pick) in series {
        chart
            .draw_series(LineSeries::new(
                months.iter().enumerate().map(|(i, m)| (i, major(pick(m)))),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_an_svg_with_its_title_and_legend() {
        let months: Vec<MonthFigures> = (0..12)
            .map(|i| MonthFigures {
                label: format!("M{i:02} 2026"),
                invoiced: i * 100_000,
                collected: i * 80_000,
                refunded: 500,
            })
            .collect();
        let svg = svg(&months, "INR");
        assert!(svg.starts_with("<svg"), "{svg:.80}");
        for text in ["Invoiced, collected and refunded per month (INR)", "Collected", "Refunded", "M11"] {
            assert!(svg.contains(text), "{text} missing");
        }
    }
}
