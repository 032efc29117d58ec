//! The fast lane of the CSV reader: a line of plain numbers is parsed in one pass, each number
//! read by `fast-float2` straight from the line and its end checked to be a delimiter or the line
//! end, with no separate scan for delimiters and newlines, no trimming and no missing-value test.
//! It only takes a line it is sure of: every field of a numeric column a finite number with no
//! space around it, the right number of fields, and no missing-value marker that is itself a
//! number. Anything else (a blank line, a space, a word, `NA`, `inf`, a short or long row) goes
//! to the general line reader, so both give the same frame and the same errors.

use super::csv_columns::Kind;

/// Reads lines of plain numbers for a layout whose columns are all numeric or skipped.
pub(crate) struct FastLines<'a> {
    kinds: &'a [Kind],
    delimiter: u8,
}

impl<'a> FastLines<'a> {
    /// The fast reader, `None` when the layout has a text column or a missing-value marker is a
    /// number (then every field must be compared with the markers).
    pub fn new(kinds: &'a [Kind], delimiter: u8, missing: &[String]) -> Option<FastLines<'a>> {
        let all_numeric = kinds.iter().all(|k| matches!(k, Kind::Numeric | Kind::Skip));
        let marker_is_number = missing
            .iter()
            .any(|m| fast_float2::parse::<f64, _>(m.as_bytes()).is_ok_and(f64::is_finite));
        let usable = all_numeric && !kinds.is_empty() && !marker_is_number;
        usable.then_some(FastLines { kinds, delimiter })
    }

    /// Parses the line at the start of `rest` into `values` (one per column; skipped columns'
    /// entries are left alone) and returns its length with its line end, or `None` when the line
    /// is not plain numbers (nothing else is changed then but `values`).
    #[inline]
    pub fn line(&self, rest: &[u8], values: &mut [f64]) -> Option<usize> {
        let last = self.kinds.len() - 1;
        let mut at = 0;
        for (j, kind) in self.kinds.iter().enumerate() {
            let field = &rest[at..];
            if *kind == Kind::Numeric {
                let (x, n) = fast_float2::parse_partial::<f64, _>(field).ok()?;
                if !x.is_finite() {
                    return None;
                }
                values[j] = x;
                at += n;
            } else {
                at += memchr::memchr2(self.delimiter, b'\n', field).unwrap_or(field.len());
            }
            let next = rest.get(at).copied();
            if j < last {
                if next != Some(self.delimiter) {
                    return None;
                }
                at += 1;
            } else {
                return match (next, rest.get(at + 1)) {
                    (None, _) => Some(at),
                    (Some(b'\n'), _) => Some(at + 1),
                    (Some(b'\r'), Some(b'\n')) => Some(at + 2),
                    _ => None,
                };
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, kinds: &[Kind]) -> Option<(usize, Vec<f64>)> {
        let fast = FastLines::new(kinds, b',', &["NA".to_owned()]).unwrap();
        let mut values = vec![f64::NAN; kinds.len()];
        fast.line(text.as_bytes(), &mut values).map(|n| (n, values))
    }

    #[test]
    fn plain_numbers_are_read_with_their_line_end() {
        let num = [Kind::Numeric, Kind::Numeric];
        assert_eq!(line("1.5,-2e3\n9", &num), Some((9, vec![1.5, -2e3])));
        assert_eq!(line("1.5,-2e3\r\n9", &num), Some((10, vec![1.5, -2e3])));
        assert_eq!(line("0.1,7", &num), Some((5, vec![0.1, 7.0])));
        let skip = [Kind::Skip, Kind::Numeric];
        assert_eq!(line("abc def,4\n", &skip).map(|(n, v)| (n, v[1])), Some((10, 4.0)));
    }

    #[test]
    fn anything_unusual_goes_to_the_general_reader() {
        let num = [Kind::Numeric, Kind::Numeric];
        for text in [
            "", "\n", "1\n", "1,2,3\n", " 1,2\n", "1 ,2\n", "1,2 \n", "NA,2\n", "1,inf\n",
            "nan,1\n", "1e,2\n", "1,2\rx", "1;2\n", "1,,\n",
        ] {
            assert_eq!(line(text, &num), None, "{text:?}");
        }
    }

    #[test]
    fn a_marker_that_is_a_number_or_a_text_column_turns_the_lane_off() {
        let num = [Kind::Numeric];
        assert!(FastLines::new(&num, b',', &["-999".to_owned()]).is_none());
        assert!(FastLines::new(&[Kind::Text], b',', &[]).is_none());
        assert!(FastLines::new(&num, b',', &["NA".to_owned(), "NaN".to_owned()]).is_some());
    }
}
