//! What every chart shares (server only): plotters drawing into an SVG string, and compact
//! axis numbers.

use plotters::prelude::*;

pub type Drawn = Result<(), Box<dyn std::error::Error>>;
pub type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// Draws with `draw` on a fresh SVG of `size`, logging (never showing) a failure.
pub fn svg(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Drawn) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        if let Err(error) = root.fill(&WHITE).map_err(Into::into).and_then(|()| draw(&root)) {
            tracing::error!(%error, "chart: drawing failed");
        }
        if let Err(error) = root.present() {
            tracing::error!(%error, "chart: finishing the SVG failed");
        }
    }
    out
}

/// The attribute `name` of `svg`'s opening tag, as a number.
fn dimension(svg: &str, name: &str) -> Option<u32> {
    let tag = &svg[svg.find("<svg")?..];
    let tag = &tag[..tag.find('>')?];
    let from = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[from..].split('"').next()?.parse().ok()
}

/// `svg` with a line of `text` below it: the chart nested as it is, the line in a band of its
/// own (so it never covers the figures).
pub fn with_footer(svg: &str, text: &str) -> String {
    const BAND: u32 = 24;
    let (Some(width), Some(height)) = (dimension(svg, "width"), dimension(svg, "height")) else {
        tracing::error!("chart: no size on the SVG; footer left out");
        return svg.to_string();
    };
    let total = height + BAND;
    let text = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(
        "<svg width=\"{width}\" height=\"{total}\" viewBox=\"0 0 {width} {total}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect width=\"{width}\" height=\"{total}\" fill=\"#FFFFFF\"/>\n{svg}\n\
         <text x=\"8\" y=\"{}\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#495057\">{text}</text>\n</svg>\n",
        height + 16
    )
}

/// `1234567.0` → `1.2M`; `45000.0` → `45k`.
pub fn compact(value: f64) -> String {
    match value.abs() {
        v if v >= 1e6 => format!("{:.1}M", value / 1e6),
        v if v >= 1e3 => format!("{:.0}k", value / 1e3),
        _ => format!("{value:.0}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_footer_goes_below_the_chart() {
        let chart = svg((200, 100), |_| Ok(()));
        let footed = with_footer(&chart, "Exported by a&b <x>");
        assert!(footed.starts_with("<svg width=\"200\" height=\"124\" viewBox=\"0 0 200 124\""), "{footed}");
        assert!(footed.contains(&chart));
        assert!(footed.contains("y=\"116\""));
        assert!(footed.contains(">Exported by a&amp;b &lt;x&gt;</text>"));
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(compact(1_234_567.0), "1.2M");
        assert_eq!(compact(45_000.0), "45k");
        assert_eq!(compact(12.0), "12");
    }
}
