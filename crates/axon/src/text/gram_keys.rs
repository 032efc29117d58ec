//! The counting of n-grams as integers, for [`super::counting`]: an n-gram of token ids packed
//! in one `u64` whose order is that of the n-grams' texts, each block's keys tagged with their
//! documents and radix sorted once (runs are counts and document frequencies), the blocks'
//! document-frequency lists merged, and the rows made over the kept keys in column order.

use super::radix;

/// The bits of a document's place in its block of documents (blocks of 512).
pub(super) const DOC_BITS: u32 = 9;

/// An n-gram of at most `hi` tokens as one integer: its tokens' ids plus one, `bits` bits
/// each, the first highest, in `hi` slots (the last empty, zero, for a shorter n-gram). Keys
/// then sort as the n-grams' texts when ids are the ranks of the tokens' texts: token by token,
/// a shorter n-gram first where it is a prefix of a longer one, as its text (a space sorts
/// before every character a token holds) is a prefix or sorts first at that space.
pub(super) fn key_of(ids: &[u64], bits: u32, hi: usize) -> u64 {
    let key = ids.iter().fold(0, |key, &id| (key << bits) | id);
    key << (bits * (hi - ids.len()) as u32)
}

/// Pushes the token ids of the n-gram `key` of `hi` slots onto `out`.
pub(super) fn push_ids(key: u64, bits: u32, hi: usize, out: &mut Vec<u32>) {
    let mask = (1u64 << bits) - 1;
    for slot in (0..hi as u32).rev() {
        match (key >> (slot * bits)) & mask {
            0 => break,
            id => out.push(id as u32 - 1),
        }
    }
}

/// One block's documents' n-grams counted: `(key << DOC_BITS | document, count)` entries sorted
/// by key then document, and the block's distinct keys, sorted, with the number of its
/// documents holding each.
pub(super) struct KeyBlock {
    n_docs: usize,
    entries: Vec<(u64, u32)>,
    pub df: Vec<(u64, u32)>,
}

/// Counts a block's n-grams: every window's key tagged with its document, in document order,
/// sorted stably by key alone (so each key's documents stay in order), then counted by runs.
/// `keys` and `scratch` are reused memory.
pub(super) fn count_keys(
    (ids, ends): (&[u32], &[usize]),
    global: &[u32],
    (lo, hi): (usize, usize),
    bits: u32,
    (keys, scratch): &mut (Vec<u64>, Vec<u64>),
) -> KeyBlock {
    keys.clear();
    keys.reserve(ids.len() * (hi + 1 - lo));
    let mut doc: Vec<u64> = Vec::new();
    let mut start = 0;
    for (d, &end) in ends.iter().enumerate() {
        doc.clear();
        doc.extend(ids[start..end].iter().map(|&id| u64::from(global[id as usize]) + 1));
        start = end;
        for n in lo..=hi.min(doc.len()) {
            keys.extend(doc.windows(n).map(|w| (key_of(w, bits, hi) << DOC_BITS) | d as u64));
        }
    }
    radix::sort_bits(keys, scratch, DOC_BITS, bits * hi as u32);
    let entries: Vec<(u64, u32)> =
        keys.chunk_by(|a, b| a == b).map(|run| (run[0], run.len() as u32)).collect();
    let df = entries
        .chunk_by(|a, b| a.0 >> DOC_BITS == b.0 >> DOC_BITS)
        .map(|run| (run[0].0 >> DOC_BITS, run.len() as u32))
        .collect();
    KeyBlock { n_docs: ends.len(), entries, df }
}

/// A block's entries' columns over the `kept` keys (sorted; a key's column is its place there;
/// `u32::MAX` for a key not kept), found by walking the block's entries, in key order, beside
/// them, and the number of kept entries of each of its documents (its rows' lengths).
pub(super) fn key_columns(block: &KeyBlock, kept: &[u64]) -> (Vec<u32>, Vec<usize>) {
    let doc_mask = (1u64 << DOC_BITS) - 1;
    let mut columns = Vec::with_capacity(block.entries.len());
    let mut lens = vec![0usize; block.n_docs];
    let mut p = 0;
    for &(tagged, _) in &block.entries {
        let key = tagged >> DOC_BITS;
        p = first_at_least(kept, p, key);
        let kept_here = kept.get(p) == Some(&key);
        if kept_here {
            lens[(tagged & doc_mask) as usize] += 1;
        }
        columns.push(if kept_here { p as u32 } else { u32::MAX });
    }
    (columns, lens)
}

/// Writes a block's rows (its entries' `columns` from [`key_columns`]) into its part of a
/// design's arrays, `indices` and `values`, where its document `d`'s row starts at `starts[d]`:
/// the entries come in key order, so each row comes in column order.
pub(super) fn fill_rows(
    block: &KeyBlock,
    columns: &[u32],
    starts: &[usize],
    (indices, values): (&mut [u32], &mut [f64]),
) {
    let doc_mask = (1u64 << DOC_BITS) - 1;
    let mut next = starts.to_vec();
    for (&(tagged, count), &j) in block.entries.iter().zip(columns) {
        if j != u32::MAX {
            let at = &mut next[(tagged & doc_mask) as usize];
            (indices[*at], values[*at]) = (j, f64::from(count));
            *at += 1;
        }
    }
}

/// The first place at or after `p` in the sorted `kept` whose key is at least `key`, found by
/// steps doubling from `p` and then halving: a few reads where the next kept key is near, as it
/// is for the common n-grams, and a logarithm of the gap, not the gap, where it is far (a small
/// block of a large corpus skips most of the kept keys).
pub(super) fn first_at_least(kept: &[u64], p: usize, key: u64) -> usize {
    let (mut lo, mut step) = (p, 1);
    while lo + step <= kept.len() && kept[lo + step - 1] < key {
        lo += step;
        step *= 2;
    }
    let hi = (lo + step).min(kept.len());
    lo + kept[lo..hi].partition_point(|&k| k < key)
}

/// Two sorted `(key, documents)` lists as one, the documents of a key in both added.
pub(super) fn merge_df(a: Vec<(u64, u32)>, b: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    if a.is_empty() || b.is_empty() {
        return if a.is_empty() { b } else { a };
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::first_at_least;

    #[test]
    fn first_at_least_equals_a_binary_search_from_any_start() {
        let kept: Vec<u64> = (0..300u64).map(|i| i * i / 7 + i).collect();
        for p in 0..=kept.len() {
            for key in 0..kept[kept.len() - 1] + 3 {
                let want = p + kept[p..].partition_point(|&k| k < key);
                assert_eq!(first_at_least(&kept, p, key), want, "p {p}, key {key}");
            }
        }
    }
}
