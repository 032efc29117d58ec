//! Where the records of CSV bytes end, found at `memchr` speed without parsing the fields, so
//! that data with quoted fields (text that may hold newlines, like e-mails) can be cut into
//! pieces that start at a record and be parsed on all cores, and a block of a stream can end at
//! its last complete record without being parsed twice.
//!
//! The scan follows the `csv` crate's reader exactly as this crate configures it (quote `"`,
//! doubled quotes inside a quoted field, no escape character, no comments, `\n`, `\r` and
//! `\r\n` as terminators): a quote opens a quoted field only at the start of a field; inside one,
//! `""` is a quote and a lone `"` closes it, after which the field goes on unquoted; in an unquoted
//! field a quote is an ordinary byte. A cut just after a terminator that is not inside a quoted
//! field leaves the reader in the state it has at the start of a record, so the records of the
//! two sides are those of the whole.

/// The scanner's place: at the start of a field, or inside an unquoted one.
#[derive(Clone, Copy)]
enum State {
    FieldStart,
    Unquoted,
}

/// The offsets just after each record terminator of `data` outside quoted fields: after a `\n`,
/// or after a `\r` that a byte other than `\n` follows (a `\r` at the very end may be the first
/// half of a `\r\n` still unread, so it is not a cut). Every offset is a place to cut; see the
/// module docs.
pub(crate) struct RecordEnds<'a> {
    data: &'a [u8],
    at: usize,
    delimiter: u8,
}

impl<'a> RecordEnds<'a> {
    pub fn new(data: &'a [u8], delimiter: u8) -> Self {
        RecordEnds { data, at: 0, delimiter }
    }
}

impl Iterator for RecordEnds<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let (data, delimiter) = (self.data, self.delimiter);
        let mut i = self.at;
        let mut state = State::FieldStart;
        // `i` is where the scan goes on; a terminator found at `t` ends a record.
        let end_at = |t: usize| -> Option<usize> {
            match data[t] {
                b'\n' => Some(t + 1),
                _ => data.get(t + 1).filter(|&&b| b != b'\n').map(|_| t + 1),
            }
        };
        loop {
            match state {
                State::FieldStart => {
                    let &b = data.get(i)?;
                    if b == delimiter {
                        i += 1;
                    } else if b == b'\n' || b == b'\r' {
                        i += 1;
                        if let Some(cut) = end_at(i - 1) {
                            self.at = cut;
                            return Some(cut);
                        }
                    } else if b == b'"' {
                        // The closing quote: the first lone `"` after the opening one.
                        i += 1;
                        loop {
                            i += memchr::memchr(b'"', &data[i..])? + 1;
                            if data.get(i) != Some(&b'"') {
                                break;
                            }
                            i += 1;
                        }
                        state = State::Unquoted;
                    } else {
                        state = State::Unquoted;
                    }
                }
                State::Unquoted => {
                    let t = i + memchr::memchr3(delimiter, b'\n', b'\r', &data[i..])?;
                    i = t + 1;
                    state = State::FieldStart;
                    if data[t] != delimiter {
                        if let Some(cut) = end_at(t) {
                            self.at = cut;
                            return Some(cut);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    /// The records the `csv` crate reads from `bytes`, as this crate's reader is set up.
    fn records(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut reader = super::super::csv_chunks::reader(bytes, b',');
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            out.push(record.iter().map(<[u8]>::to_vec).collect());
        }
        out
    }

    /// Random CSV-like bytes built from pieces that stress the quoting rules.
    fn random_csv(rng: &mut Rng, len: usize) -> Vec<u8> {
        const PIECES: [&[u8]; 12] = [
            b"a",
            b"bc",
            b",",
            b"\n",
            b"\r\n",
            b"\r",
            b"\"",
            b"\"\"",
            b"x\"y",
            b"\"q,\n\"",
            b" ",
            b"\n\n",
        ];
        let mut out = Vec::new();
        while out.len() < len {
            out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
        out
    }

    /// Cutting at any offset the scan gives, and reading both sides apart, gives the records of
    /// the whole, on random bytes with quotes, doubled quotes, quotes inside unquoted fields,
    /// quoted newlines and all three terminators.
    #[test]
    fn every_cut_keeps_the_records_of_the_whole() {
        let mut rng = Rng::seed(7);
        let mut cuts_seen = 0;
        for _ in 0..400 {
            let n = 1 + rng.below(60);
            let data = random_csv(&mut rng, n);
            let whole = records(&data);
            let mut last = 0;
            for cut in RecordEnds::new(&data, b',') {
                assert!(cut > last && cut <= data.len(), "{data:?}: cut {cut} after {last}");
                last = cut;
                let mut parts = records(&data[..cut]);
                parts.extend(records(&data[cut..]));
                assert_eq!(parts, whole, "{:?} cut at {cut}", String::from_utf8_lossy(&data));
                cuts_seen += 1;
            }
        }
        assert!(cuts_seen > 1000, "only {cuts_seen} cuts");
    }

    /// Newlines inside quoted fields are not cuts; those between records are.
    #[test]
    fn quoted_newlines_are_not_cuts() {
        let data = b"a,\"x\ny\"\nb,\"\"\"\n\"\"\"\r\nc,d\re,f\r";
        let cuts: Vec<usize> = RecordEnds::new(data, b',').collect();
        assert_eq!(cuts, [8, 19, 23]);
    }
}
