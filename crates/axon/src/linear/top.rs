//! Which features weigh most in a fitted classifier, the summary a text model prints instead of
//! a coefficient table of a quarter of a million rows: per class, the features with the largest
//! coefficients (a logit, a softmax, one-vs-rest) or the largest lift of their log-probability
//! over the other classes' mean (Naive Bayes). [`largest`] is the one selection every such list
//! uses: the `n` largest values, largest first, ties to the lower column, found by a partial
//! selection rather than a sort of every feature.

use std::cmp::Ordering;

/// Per class (by name), its features (by name) with their values, largest first.
pub type ClassFeatures = Vec<(String, Vec<(String, f64)>)>;

/// The `n` largest of the `(column, value)` pairs, largest first, ties to the lower column (a
/// NaN value ranks above every number, as [`f64::total_cmp`] orders it).
pub fn largest(values: impl IntoIterator<Item = (usize, f64)>, n: usize) -> Vec<(usize, f64)> {
    let order = |a: &(usize, f64), b: &(usize, f64)| -> Ordering {
        b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
    };
    let mut all: Vec<(usize, f64)> = values.into_iter().collect();
    if all.len() > n {
        if n == 0 {
            return Vec::new();
        }
        all.select_nth_unstable_by(n - 1, order);
        all.truncate(n);
    }
    all.sort_unstable_by(order);
    all
}

/// Per class `c` of `k`, the `n` features of largest `score(c, j)` among the `p` features for
/// which `keep(c, score)` holds, named by `name(j)`; the class names are `classes`.
pub(crate) fn per_class(
    classes: &[String],
    p: usize,
    n: usize,
    score: impl Fn(usize, usize) -> f64,
    keep: impl Fn(usize, f64) -> bool,
    name: impl Fn(usize) -> String,
) -> ClassFeatures {
    (classes.iter().enumerate())
        .map(|(c, class)| {
            let scored = (0..p).map(|j| (j, score(c, j))).filter(|&(_, v)| keep(c, v));
            let top = largest(scored, n).into_iter().map(|(j, v)| (name(j), v)).collect();
            (class.clone(), top)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_first_ties_to_the_lower_column() {
        let values = [(0, 1.0), (1, 3.0), (2, -2.0), (3, 3.0), (4, 0.5), (5, 3.0)];
        assert_eq!(largest(values, 2), vec![(1, 3.0), (3, 3.0)]);
        assert_eq!(largest(values, 4), vec![(1, 3.0), (3, 3.0), (5, 3.0), (0, 1.0)]);
        let all = largest(values, 10);
        assert_eq!(all.len(), 6);
        assert_eq!(all.last(), Some(&(2, -2.0)));
        assert!(largest(values, 0).is_empty());
        assert!(largest(std::iter::empty(), 3).is_empty());
    }

    #[test]
    fn selection_equals_a_full_sort() {
        // A fixed pseudo-random sequence with many ties.
        let values: Vec<(usize, f64)> =
            (0..500).map(|j| (j, ((j * 7919 + 13) % 37) as f64 - 18.0)).collect();
        let mut sorted = values.clone();
        sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for n in [1, 2, 15, 36, 37, 499, 500, 501] {
            assert_eq!(largest(values.iter().copied(), n), sorted[..n.min(500)], "n = {n}");
        }
    }
}
