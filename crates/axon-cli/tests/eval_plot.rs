//! `axon eval --plot FILE.svg`: the SVG is well-formed (every tag closed in order, one root
//! `<svg>`), holds one `<polyline>` for the ROC curve and one for the precision–recall curve
//! with one vertex per curve point (the distinct predicted probabilities, counted here from
//! `axon predict --proba`, plus the end point), starts and ends where the curves must, shows the
//! AUC that `axon eval` reports, and is refused for a model of more than two classes.

mod common;

use std::collections::BTreeSet;

use common::{axon, data, error, ok_json, ok_stdout, predictions, temp_dir};

/// The tag names in order, checking that every opened tag is closed in order.
fn check_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg "), "{}", &svg[..40.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
    let mut open: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = start + rest[start..].find('>').expect("a tag that ends");
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "a tag inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name.trim()), "closing {name}");
        } else {
            let name = tag.split_whitespace().next().unwrap().trim_end_matches('/');
            if open.is_empty() {
                roots += 1;
            }
            if !tag.ends_with('/') {
                open.push(name);
            }
        }
        // Text between tags holds no raw `&` that is not an entity.
        let text = &rest[end + 1..rest[end + 1..].find('<').map_or(rest.len(), |i| end + 1 + i)];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(["&amp;", "&lt;", "&gt;", "&quot;"].iter().any(|e| entity.starts_with(e)));
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
    assert_eq!(roots, 1, "one root element");
}

/// The `points` of the polyline of class `class`, as (x, y) pairs.
fn polyline(svg: &str, class: &str) -> Vec<(f64, f64)> {
    let marker = format!("<polyline class=\"{class}\"");
    assert_eq!(svg.matches(&marker).count(), 1, "one {class} polyline");
    let tag = &svg[svg.find(&marker).unwrap()..];
    let tag = &tag[..tag.find('>').unwrap()];
    let points = tag.split("points=\"").nth(1).unwrap().split('"').next().unwrap();
    points
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

#[test]
fn eval_plot_draws_both_curves_with_every_point() {
    let dir = temp_dir("eval-plot");
    let chd = data("chd_age.csv");
    let model = dir.join("chd & <1>.axon").display().to_string();
    let svg_path = dir.join("chd.svg");
    let made = axon(&["fit", "--data", &chd, "--target", "chd", "--out", &model]);
    assert!(made.status.success());
    let plot = svg_path.display().to_string();
    let report = ok_json(&["eval", "--model", &model, "--data", &chd, "--plot", &plot, "--json"]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    check_well_formed(&svg);

    let (_, rows) =
        predictions(&ok_stdout(&["predict", "--model", &model, "--data", &chd, "--proba"]));
    let distinct: BTreeSet<u64> = rows.iter().map(|(_, p)| p[1].to_bits()).collect();
    assert!(distinct.len() > 5, "{}", distinct.len());
    let roc = polyline(&svg, "roc");
    let pr = polyline(&svg, "pr");
    assert_eq!(roc.len(), distinct.len() + 1, "(0, 0) and one point per distinct score");
    assert_eq!(pr.len(), distinct.len() + 1, "one point per distinct score and (0, 1)");
    // ROC: from the bottom-left corner to the top-right one, never down or left.
    let (first, last) = (roc[0], roc[roc.len() - 1]);
    assert!(first.0 < last.0 && first.1 > last.1, "{first:?} {last:?}");
    assert!(roc.windows(2).all(|w| w[1].0 >= w[0].0 && w[1].1 <= w[0].1));
    // The ROC square's corners are the PR square's, shifted by one panel: recall 0 ends the PR
    // curve at its left edge, precision 1 at its top edge.
    let pr_end = pr[pr.len() - 1];
    assert_eq!(pr_end.1, last.1, "precision 1 at the top");
    assert!(pr_end.0 > last.0, "the right panel");
    assert!(pr.windows(2).all(|w| w[1].0 <= w[0].0), "recall falls along the curve");
    let auc = report["roc_auc"].as_f64().unwrap();
    assert!(svg.contains(&format!("ROC (AUC = {auc:.4})")), "the legend's AUC");
    assert!(svg.contains("class=\"reference\""), "the diagonal");
    assert!(svg.contains("chd &amp; &lt;1&gt;.axon"), "the title names the model, escaped");
}

#[test]
fn eval_plot_of_a_multiclass_model_is_an_error() {
    let dir = temp_dir("eval-plot-multi");
    let lbw = data("lbw.csv");
    let model = dir.join("race.axon").display().to_string();
    let made = axon(&[
        "fit",
        "--data",
        &lbw,
        "--target",
        "race",
        "--features",
        "age,lwt",
        "--model",
        "softmax",
        "--out",
        &model,
    ]);
    assert!(made.status.success());
    let svg = dir.join("race.svg");
    let plot = svg.display().to_string();
    let err = error(&["eval", "--model", &model, "--data", &lbw, "--plot", &plot]);
    assert!(err.contains("--plot") && err.contains("need a binary model"), "{err}");
    assert!(err.contains("softmax model of 3 classes"), "{err}");
    assert!(!svg.exists(), "no file written");
}
