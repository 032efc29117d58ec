//! `axon eval --plot FILE.svg`: a binary model's ROC curve (with its AUC in the legend and the
//! diagonal of a classifier that guesses) beside its precision–recall curve (with the horizontal
//! line of the positive share, the precision of guessing), as one hand-written SVG file: two
//! panels on the unit square with ticks, axis labels and a legend each, one `<polyline>` per
//! curve holding every point the library's `roc_curve` / `precision_recall_curve` give (class
//! `roc` and `pr`, so a test can find them). Text is escaped for XML. Written atomically.

use std::fmt::Write;
use std::path::Path;

use axon::metrics::{PrecisionRecallCurve, RocCurve};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 470.0;
/// The plot area of a panel, relative to the panel's left edge and the top of the image.
const LEFT: f64 = 70.0;
const TOP: f64 = 70.0;
const SIZE: f64 = 340.0;
const BLUE: &str = "#1f77b4";
const ORANGE: &str = "#ff7f0e";
const GREY: &str = "#7f7f7f";

/// What the two panels show.
pub struct Curves<'a> {
    pub title: &'a str,
    pub roc: &'a RocCurve,
    pub auc: f64,
    pub pr: &'a PrecisionRecallCurve,
    /// The share of class 1, the precision of a classifier that guesses.
    pub positive_share: f64,
    /// The name of class 1, for the axis labels.
    pub positive: &'a str,
}

/// The SVG text.
pub fn render(c: &Curves<'_>) -> String {
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"28\" font-size=\"17\" text-anchor=\"middle\">{}</text>\n",
        WIDTH / 2.0,
        escape(c.title)
    );
    let pos = escape(c.positive);
    let roc = Panel { x0: 0.0, caption: "ROC curve" };
    roc.axes(&mut svg, "false positive rate", &format!("true positive rate (class {pos})"));
    roc.dashed(&mut svg, (0.0, 0.0), (1.0, 1.0));
    roc.polyline(&mut svg, "roc", BLUE, c.roc.fpr.iter().zip(&c.roc.tpr));
    let auc = format!("ROC (AUC = {:.4})", c.auc);
    roc.legend(&mut svg, &[(auc.as_str(), BLUE, false), ("chance (AUC = 0.5)", GREY, true)]);
    let pr = Panel { x0: WIDTH / 2.0, caption: "Precision–recall curve" };
    pr.axes(&mut svg, &format!("recall (class {pos})"), "precision");
    let share = c.positive_share;
    pr.dashed(&mut svg, (0.0, share), (1.0, share));
    pr.polyline(&mut svg, "pr", ORANGE, c.pr.recall.iter().zip(&c.pr.precision));
    let guess = format!("guessing (precision = {share:.3})");
    pr.legend(&mut svg, &[("precision–recall", ORANGE, false), (guess.as_str(), GREY, true)]);
    svg + "</svg>\n"
}

/// Writes [`render`]'s SVG to `path`, atomically.
pub fn write(path: &Path, curves: &Curves<'_>) -> anyhow::Result<()> {
    axon::io::write_atomic(path, render(curves).as_bytes())?;
    Ok(())
}

/// `&`, `<`, `>` and `"` as XML entities.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One panel: the unit square from its left edge `x0`.
struct Panel {
    x0: f64,
    caption: &'static str,
}

impl Panel {
    /// Image coordinates of the point `(x, y)` of the unit square.
    fn at(&self, x: f64, y: f64) -> (f64, f64) {
        (self.x0 + LEFT + x * SIZE, TOP + (1.0 - y) * SIZE)
    }

    /// The frame, ticks at 0, 0.2, …, 1 with light grid lines, the caption and axis labels.
    fn axes(&self, svg: &mut String, x_label: &str, y_label: &str) {
        let (left, bottom) = self.at(0.0, 0.0);
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"15\" text-anchor=\"middle\">{}</text>",
            left + SIZE / 2.0,
            TOP - 12.0,
            escape(self.caption)
        );
        for k in 0..=5 {
            let v = f64::from(k) / 5.0;
            let (x, _) = self.at(v, 0.0);
            let (_, y) = self.at(0.0, v);
            let _ = writeln!(
                svg,
                "<line x1=\"{x:.1}\" y1=\"{TOP:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" \
                 stroke=\"#e5e5e5\"/>\n<line x1=\"{left:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" \
                 y2=\"{y:.1}\" stroke=\"#e5e5e5\"/>\n<text x=\"{x:.1}\" y=\"{:.1}\" \
                 font-size=\"11\" text-anchor=\"middle\">{v:.1}</text>\n<text x=\"{:.1}\" \
                 y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{v:.1}</text>",
                left + SIZE,
                bottom + 16.0,
                left - 6.0,
                y + 4.0
            );
        }
        let _ = writeln!(
            svg,
            "<rect x=\"{left:.1}\" y=\"{TOP:.1}\" width=\"{SIZE}\" height=\"{SIZE}\" \
             fill=\"none\" stroke=\"black\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" \
             text-anchor=\"middle\">{}</text>\n<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" \
             text-anchor=\"middle\" transform=\"rotate(-90 {:.1} {:.1})\">{}</text>",
            left + SIZE / 2.0,
            bottom + 38.0,
            escape(x_label),
            left - 40.0,
            TOP + SIZE / 2.0,
            left - 40.0,
            TOP + SIZE / 2.0,
            escape(y_label)
        );
    }

    /// A dashed grey reference line from `a` to `b`.
    fn dashed(&self, svg: &mut String, a: (f64, f64), b: (f64, f64)) {
        let ((x1, y1), (x2, y2)) = (self.at(a.0, a.1), self.at(b.0, b.1));
        let _ = writeln!(
            svg,
            "<line class=\"reference\" x1=\"{x1:.2}\" y1=\"{y1:.2}\" x2=\"{x2:.2}\" \
             y2=\"{y2:.2}\" stroke=\"{GREY}\" stroke-dasharray=\"6 4\"/>"
        );
    }

    /// The curve through `points`, one polyline vertex per point.
    fn polyline<'p>(
        &self,
        svg: &mut String,
        class: &str,
        color: &str,
        points: impl Iterator<Item = (&'p f64, &'p f64)>,
    ) {
        let coords: Vec<String> = points
            .map(|(&x, &y)| {
                let (px, py) = self.at(x, y);
                format!("{px:.2},{py:.2}")
            })
            .collect();
        let _ = writeln!(
            svg,
            "<polyline class=\"{class}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" \
             points=\"{}\"/>",
            coords.join(" ")
        );
    }

    /// A legend in the lower right of the panel: `(text, colour, dashed)` per line.
    fn legend(&self, svg: &mut String, entries: &[(&str, &str, bool)]) {
        let (right, bottom) = self.at(1.0, 0.0);
        let (w, h) = (210.0, 10.0 + 20.0 * entries.len() as f64);
        let (x, y) = (right - w - 8.0, bottom - h - 8.0);
        let _ = writeln!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w}\" height=\"{h}\" fill=\"white\" \
             fill-opacity=\"0.9\" stroke=\"black\"/>"
        );
        for (i, (text, color, dashed)) in entries.iter().enumerate() {
            let ly = y + 15.0 + 20.0 * i as f64;
            let dash = if *dashed { " stroke-dasharray=\"6 4\"" } else { "" };
            let _ = writeln!(
                svg,
                "<line x1=\"{:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{color}\" \
                 stroke-width=\"2\"{dash}/>\n<text x=\"{:.1}\" y=\"{:.1}\" \
                 font-size=\"12\">{}</text>",
                x + 8.0,
                x + 32.0,
                x + 38.0,
                ly + 4.0,
                escape(text)
            );
        }
    }
}
