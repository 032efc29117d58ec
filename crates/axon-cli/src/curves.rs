//! Training curves as an SVG file beside the model (`<out>.curves.svg`, or `axon train --plot
//! FILE`): the mean cross-entropy `L = −(1/n) Σ log p_{y_i}` per epoch (train, and validation
//! when there is a validation set) in the left panel, the accuracy per epoch (train,
//! validation, and the final model's test accuracy as one marker at the epoch whose weights it
//! has) in the right panel, with ticks, axis labels, a legend, and the model and data in the
//! title. When the best epoch's weights were restored, a dashed vertical line marks that epoch.
//!
//! Drawn with `plotters`' SVG backend alone (no default features): text goes into the SVG as
//! `<text>` elements for the viewer to render, and plotters sizes the label areas with its
//! built-in estimate, so no system font is read. The file is written atomically.

use std::path::Path;

use anyhow::anyhow;
use axon::nn::EpochMetrics;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// Colours of train, validation and test.
const TRAIN: RGBColor = RGBColor(31, 119, 180);
const VAL: RGBColor = RGBColor(255, 127, 14);
const TEST: RGBColor = RGBColor(44, 160, 44);
const BEST: RGBColor = RGBColor(120, 120, 120);

/// What the plot shows besides the per-epoch metrics.
pub struct CurveInfo<'a> {
    pub title: &'a str,
    pub test_accuracy: Option<f64>,
    /// The epoch whose weights the model ended with, when that is not the last one.
    pub best_epoch: Option<usize>,
}

/// One curve: its legend name, colour and points `(epoch, value)`.
type Curve = (&'static str, RGBColor, Vec<(f64, f64)>);

/// The SVG text of the curves of `history` (at least one epoch).
pub fn render(history: &[EpochMetrics], info: &CurveInfo<'_>) -> anyhow::Result<String> {
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing the training curves: {e}");
    let points = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| -> Vec<(f64, f64)> {
        history.iter().filter_map(|m| f(m).map(|v| (m.epoch as f64, v))).collect()
    };
    let loss: Vec<Curve> = vec![
        ("train", TRAIN, points(&|m| Some(m.train_loss))),
        ("validation", VAL, points(&|m| m.val_loss)),
    ];
    let accuracy: Vec<Curve> = vec![
        ("train", TRAIN, points(&|m| Some(m.train_accuracy))),
        ("validation", VAL, points(&|m| m.val_accuracy)),
    ];
    let last = history.last().map_or(1, |m| m.epoch) as f64;
    // The test accuracy is the final model's: the best epoch's weights when they were restored.
    let test = info.test_accuracy.map(|a| (info.best_epoch.map_or(last, |b| b as f64), a));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let root = root.titled(info.title, ("sans-serif", 20)).map_err(|e| err(&e))?;
        let (left, right) = root.split_horizontally(500);
        let max_loss = loss.iter().flat_map(|c| c.2.iter().map(|p| p.1)).fold(0.0, f64::max);
        let (y, best) = ((0.0, nice_max(max_loss)), info.best_epoch);
        let panel = Panel { epochs: last, y, best, legend: SeriesLabelPosition::UpperRight };
        panel.draw(&left, "loss", "cross-entropy", &loss, None).map_err(|e| err(&e))?;
        let panel = Panel { y: (0.0, 1.0), legend: SeriesLabelPosition::LowerRight, ..panel };
        panel.draw(&right, "accuracy", "accuracy", &accuracy, test).map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// Writes [`render`]'s SVG to `path`, atomically.
pub fn write(path: &Path, history: &[EpochMetrics], info: &CurveInfo<'_>) -> anyhow::Result<()> {
    let svg = render(history, info)?;
    axon::io::write_atomic(path, svg.as_bytes())?;
    Ok(())
}

/// A round upper bound for an axis that starts at 0.
fn nice_max(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let step = 10f64.powf((max * 1.05).log10().floor()) / 2.0;
    ((max * 1.05) / step).ceil() * step
}

/// One panel's axes.
struct Panel {
    epochs: f64,
    y: (f64, f64),
    best: Option<usize>,
    legend: SeriesLabelPosition,
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type DrawResult<'a> =
    Result<(), DrawingAreaErrorKind<<SVGBackend<'a> as DrawingBackend>::ErrorType>>;

impl Panel {
    /// Draws `curves` (and the `test` marker) with a caption, axis labels and a legend.
    fn draw<'a>(
        &self,
        area: &Area<'a>,
        caption: &str,
        y_label: &str,
        curves: &[Curve],
        test: Option<(f64, f64)>,
    ) -> DrawResult<'a> {
        // One epoch still gets a visible x axis around it.
        let x = (0.5f64.min(self.epochs - 0.5), self.epochs + 0.5);
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(x.0..x.1, self.y.0..self.y.1)?;
        let ticks = (self.epochs as usize).clamp(1, 10);
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(y_label)
            .x_labels(ticks + 1)
            .x_label_formatter(&|v| {
                if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .y_labels(6)
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        if let Some(best) = self.best {
            let b = best as f64;
            let line = DashedLineSeries::new([(b, self.y.0), (b, self.y.1)], 6, 4, BEST.into());
            chart.draw_series(line)?.label(format!("best epoch ({best})")).legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 20, y)], BEST.stroke_width(1))
            });
        }
        for (name, color, points) in curves.iter().filter(|c| !c.2.is_empty()) {
            draw_curve(&mut chart, name, *color, points)?;
        }
        if let Some((epoch, value)) = test {
            let marker = Cross::new((epoch, value), 7, TEST.stroke_width(3));
            chart
                .draw_series([marker])?
                .label(format!("test, final model ({value:.4})"))
                .legend(|(x, y)| Cross::new((x + 10, y), 5, TEST.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(self.legend.clone())
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}

/// One line with a dot at every epoch.
fn draw_curve<'a>(
    chart: &mut ChartContext<'_, SVGBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    name: &str,
    color: RGBColor,
    points: &[(f64, f64)],
) -> DrawResult<'a> {
    let style = color.stroke_width(2);
    let line = LineSeries::new(points.iter().copied(), style).point_size(2);
    let name = name.to_owned();
    chart
        .draw_series(line)?
        .label(name)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
    Ok(())
}
