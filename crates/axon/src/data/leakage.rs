//! A check for target leakage before a network is trained: a feature that alone separates the
//! two classes almost perfectly is usually the target in disguise (on `lbw.csv`, `bwt`, the
//! birth weight that defines `low`), and a network trained on it reports an accuracy nothing
//! else would give. For each feature column `x_j` of the training rows of a two-class target:
//!
//! ```text
//! AUC_j = P(x_j of a class-1 row > x_j of a class-0 row) + ½ P(tie)     (the ROC area of x_j)
//! separation_j = max(AUC_j, 1 − AUC_j)      warned about when ≥ LEAKAGE_AUC
//! ```
//!
//! which is 1 exactly when a threshold on `x_j` alone classifies every row. Multi-class targets
//! are not checked (one feature cannot order more than two classes by a threshold).

use crate::metrics::roc_auc;

/// The separation from which a single feature is warned about.
pub const LEAKAGE_AUC: f64 = 0.99;

/// The features (by `names`) of rows `x` `(n, d)` row-major that alone separate the classes
/// `y` (0/1) with `max(AUC, 1 − AUC) ≥ LEAKAGE_AUC`, with that separation, most separating
/// first. Empty for other than two classes, or when a class has no rows.
pub fn separating_features(x: &[f32], y: &[i64], names: &[String]) -> Vec<(String, f64)> {
    let d = names.len();
    if d == 0 || x.len() != y.len() * d || y.iter().any(|&c| c != 0 && c != 1) {
        return Vec::new();
    }
    let labels: Vec<usize> = y.iter().map(|&c| c as usize).collect();
    let mut found: Vec<(String, f64)> = (0..d)
        .filter_map(|j| {
            let column: Vec<f64> = x.iter().skip(j).step_by(d).map(|&v| f64::from(v)).collect();
            let auc = roc_auc(&labels, &column).ok()?;
            let separation = auc.max(1.0 - auc);
            (separation >= LEAKAGE_AUC).then(|| (names[j].clone(), separation))
        })
        .collect();
    found.sort_by(|a, b| b.1.total_cmp(&a.1));
    found
}

/// The warning for `separating_features`' result, naming each feature (at most five).
pub fn leakage_warning(found: &[(String, f64)]) -> Option<String> {
    if found.is_empty() {
        return None;
    }
    let shown: Vec<String> =
        found.iter().take(5).map(|(name, s)| format!("`{name}` (AUC {s:.4})")).collect();
    let more = found.len().saturating_sub(5);
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    let (what, separates, question, it) = if found.len() == 1 {
        ("feature", "separates", "is it", "it")
    } else {
        ("features", "each separate", "are they", "them")
    };
    Some(format!(
        "the {what} {}{more} alone {separates} the classes almost perfectly on the training \
         rows: {question} derived from the target or measured after it? A model using {it} may \
         not work where the target is unknown; leave {it} out with --drop {}",
        shown.join(", "),
        names.join(","),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_feature_that_defines_the_target() {
        // Column 0 is noise, column 1 is the target reversed, column 2 mostly follows it.
        let y = [0i64, 1, 0, 1, 1, 0, 1, 0];
        let x: Vec<f32> = y
            .iter()
            .enumerate()
            .flat_map(|(i, &c)| [(i % 3) as f32, -(c as f32) * 10.0 + i as f32 * 0.1, c as f32])
            .collect();
        let names = ["noise".to_owned(), "neg".to_owned(), "copy".to_owned()];
        let found = separating_features(&x, &y, &names);
        let found_names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(found_names, ["neg", "copy"]);
        assert_eq!(found[0].1, 1.0);
        let warning = leakage_warning(&found).unwrap();
        assert!(warning.contains("`neg` (AUC 1.0000)") && warning.contains("--drop neg"));
        assert!(separating_features(&x, &[0, 1, 2, 1, 1, 0, 1, 0], &names).is_empty());
        assert!(leakage_warning(&[]).is_none());
    }
}
