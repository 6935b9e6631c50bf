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
    fn numbers_are_compact() {
        assert_eq!(compact(1_234_567.0), "1.2M");
        assert_eq!(compact(45_000.0), "45k");
        assert_eq!(compact(12.0), "12");
    }
}
