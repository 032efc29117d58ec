//! Counting the n-grams of a corpus by token ids, what a vocabulary is learned from.
//!
//! A corpus of a few thousand e-mails has millions of distinct bigrams, most of which `min_df`
//! then drops; making a string of each, hashing it and merging the strings of parallel blocks
//! was most of the time of a text fit. Here the tokens are interned first (block by block in
//! parallel, then merged: there are few distinct tokens) and numbered in the order of their
//! texts, and an n-gram is then one integer, its tokens' ids packed in a `u64` from the highest
//! bits down, whose order is that of the n-grams' texts (see [`key_of`](super::gram_keys::key_of)). Each block's keys,
//! tagged with their documents, are radix sorted once: runs of one key and document are its
//! counts, runs of one key its number of documents, and the blocks' lists of those are merged
//! (sorted lists, added: the same in any order). The document-frequency bounds are applied to
//! those integers; an n-gram kept is numbered by its place among the kept keys, its column, and
//! each block walks its sorted keys beside the kept ones to make its documents' rows, already
//! in column order. Only the n-grams kept become token-id sequences; their text (tokens joined by
//! one space, unambiguous because tokens hold no spaces) is made on demand. N-grams too long for
//! one integer are interned instead, as sequences of token ids hashed as integers, in blocks
//! merged by hash shards, and sorted by their token ids at the end.
//!
//! Token ids are the ranks of the tokens' texts, and interned n-gram ids are given in a fixed
//! number of hash shards before that sort, so they, and everything computed from them, do not
//! depend on the number of threads.

use std::hash::Hasher;

use hashbrown::HashTable;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};

use super::analyzer::Analyzer;
use super::gram_keys::{
    count_keys, fill_rows, key_columns, merge_df, push_ids, KeyBlock, DOC_BITS,
};
use crate::error::Result;
use crate::sparse::Csr;

/// Documents per parallel block: the blocks' n-grams are merged, and each common n-gram is in
/// every block, so fewer, larger blocks mean less merging (a constant, not a thread count). A
/// power of two: a document's place in its block is the low [`DOC_BITS`] of what is sorted.
const DOCS_PER_BLOCK: usize = 1 << DOC_BITS;

/// Distinct n-grams as sequences of token ids in one arena, found again by their ids.
#[derive(Default)]
struct Grams {
    /// The ids of every n-gram, back to back.
    arena: Vec<u32>,
    /// Where n-gram `g` starts in the arena; it ends where `g + 1` starts.
    starts: Vec<usize>,
    /// The ids of n-grams of three or more tokens, hashed by their token ids.
    table: HashTable<u32>,
    /// The ids of unigrams and bigrams, by [`short_key`]: one integer hash probe, no slice
    /// comparison, for the n-grams most analyzers make.
    short: FxHashMap<u64, u32>,
}

/// A unigram or bigram as one integer: `a` alone, or `(b + 1) · 2³² + a` for `(b, a)`, which
/// cannot equal a unigram's. `None` for longer n-grams (and a first id of `u32::MAX`).
pub(super) fn short_key(key: &[u32]) -> Option<u64> {
    match *key {
        [a] => Some(u64::from(a)),
        [b, a] if b < u32::MAX => Some(((u64::from(b) + 1) << 32) | u64::from(a)),
        _ => None,
    }
}

fn hash(key: &[u32]) -> u64 {
    let mut h = FxHasher::default();
    h.write_usize(key.len());
    key.iter().for_each(|&id| h.write_u32(id));
    h.finish()
}

impl Grams {
    /// Empty, with room for `n` n-grams of `ids` token ids in all: no table grows (rehashing
    /// every entry) while it is filled.
    fn with_capacity(n: usize, ids: usize) -> Grams {
        Grams {
            arena: Vec::with_capacity(ids),
            starts: Vec::with_capacity(n),
            table: HashTable::new(),
            short: FxHashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    /// The n-grams alone, their tables freed: what is merged needs no finding again, and the
    /// memory of the tables goes to the next block's (not one set of tables per block at once).
    fn without_tables(self) -> Grams {
        Grams { arena: self.arena, starts: self.starts, ..Grams::default() }
    }

    fn get(&self, g: u32) -> &[u32] {
        let g = g as usize;
        let end = self.starts.get(g + 1).copied().unwrap_or(self.arena.len());
        &self.arena[self.starts[g]..end]
    }

    /// The id of `key`, a new one if it is not here yet.
    fn intern(&mut self, key: &[u32]) -> u32 {
        if let Some(k) = short_key(key) {
            let next = self.starts.len() as u32;
            let g = *self.short.entry(k).or_insert(next);
            if g == next {
                self.starts.push(self.arena.len());
                self.arena.extend_from_slice(key);
            }
            return g;
        }
        let h = hash(key);
        let Grams { arena, starts, table, .. } = self;
        let slice = |g: u32| {
            let g = g as usize;
            let end = starts.get(g + 1).copied().unwrap_or(arena.len());
            &arena[starts[g]..end]
        };
        if let Some(&g) = table.find(h, |&g| slice(g) == key) {
            return g;
        }
        let g = starts.len() as u32;
        table.insert_unique(h, g, |&other| hash(slice(other)));
        starts.push(arena.len());
        arena.extend_from_slice(key);
        g
    }
}

/// Distinct tokens, numbered in order of first occurrence, their texts back to back in one
/// string: no allocation per token.
#[derive(Default)]
struct Tokens {
    text: String,
    /// Token `t` ends at `ends[t]` in `text` (and starts where `t − 1` ends).
    ends: Vec<usize>,
    /// The ids, hashed by their texts.
    table: HashTable<u32>,
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

impl Tokens {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, t: u32) -> &str {
        token_text(&self.text, &self.ends, t)
    }

    /// The id of `token`, a new one if it is not here yet.
    fn intern(&mut self, token: &str) -> u32 {
        let h = hash_str(token);
        let Tokens { text, ends, table } = self;
        if let Some(&t) = table.find(h, |&t| token_text(text, ends, t) == token) {
            return t;
        }
        let t = ends.len() as u32;
        table.insert_unique(h, t, |&other| hash_str(token_text(text, ends, other)));
        text.push_str(token);
        ends.push(text.len());
        t
    }
}

/// The first eight bytes of `s` as a big-endian integer, zeros after a shorter `s`: integers
/// in the order of the texts, as far as those bytes tell.
fn text_prefix(s: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = s.len().min(8);
    bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

fn token_text<'a>(text: &'a str, ends: &[usize], t: u32) -> &'a str {
    let t = t as usize;
    let start = if t == 0 { 0 } else { ends[t - 1] };
    &text[start..ends[t]]
}

/// One block's documents as ids of the block's own distinct tokens.
struct TokenBlock {
    tokens: Tokens,
    /// Document `i`'s tokens are `ids[ends[i - 1]..ends[i]]`.
    ends: Vec<usize>,
    ids: Vec<u32>,
}

fn tokenize_block<S: AsRef<str>>(analyzer: &Analyzer, docs: &[S]) -> TokenBlock {
    let mut tokens = Tokens::default();
    let (mut ends, mut ids) = (Vec::with_capacity(docs.len()), Vec::new());
    let mut buf = String::new();
    for doc in docs {
        for token in analyzer.tokens(doc.as_ref(), &mut buf) {
            ids.push(tokens.intern(token));
        }
        ends.push(ids.len());
    }
    TokenBlock { tokens, ends, ids }
}

/// The blocks' tokens as one numbering in the order of their texts, and each block's ids
/// renamed to it: the tokens of every block sorted together (by an 8-byte prefix first, the
/// texts compared only where those tie), equal texts given one id. The tokens come back with no
/// hash table: they are only read by id after this.
fn merge_tokens(blocks: &[TokenBlock]) -> (Tokens, Vec<Vec<u32>>) {
    let mut all: Vec<(u64, u32, u32)> = (blocks.par_iter().enumerate())
        .flat_map_iter(|(b, block)| {
            (0..block.tokens.len() as u32)
                .map(move |t| (text_prefix(block.tokens.get(t)), b as u32, t))
        })
        .collect();
    let text = |&(_, b, t): &(u64, u32, u32)| blocks[b as usize].tokens.get(t);
    // Equal prefixes whose eighth byte is zero are equal texts of fewer than eight bytes (a
    // token holds no zero byte): only longer texts are compared.
    let order = |x: &(u64, u32, u32), y: &(u64, u32, u32)| match x.0.cmp(&y.0) {
        std::cmp::Ordering::Equal if x.0 & 0xff != 0 => text(x).cmp(text(y)),
        other => other,
    };
    all.par_sort_unstable_by(order);
    // Where a new text starts, found across threads; then the texts and ids in one pass.
    let new: Vec<bool> = (0..all.len())
        .into_par_iter()
        .map(|i| i == 0 || order(&all[i - 1], &all[i]).is_ne())
        .collect();
    let mut tokens = Tokens::default();
    let mut globals: Vec<Vec<u32>> = blocks.iter().map(|b| vec![0; b.tokens.len()]).collect();
    for (e, &new) in all.iter().zip(&new) {
        if new {
            tokens.text.push_str(text(e));
            tokens.ends.push(tokens.text.len());
        }
        globals[e.1 as usize][e.2 as usize] = tokens.len() as u32 - 1;
    }
    (tokens, globals)
}

/// One block's documents as `(n-gram, count)` rows over the block's own n-gram ids.
struct GramBlock {
    grams: Grams,
    rows: Vec<Vec<(u32, f64)>>,
}

fn count_block(block: &TokenBlock, global: &[u32], ngram_range: (usize, usize)) -> GramBlock {
    let (lo, hi) = ngram_range;
    let mut grams = Grams::default();
    let mut doc: Vec<u32> = Vec::new();
    // Occurrences of each n-gram in the current document, and those seen there, in order.
    let (mut tally, mut seen): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    // The n-gram id of each of the block's tokens as a unigram, once interned: a unigram is
    // then found by index, not by hash.
    let mut unigram = vec![u32::MAX; block.tokens.len()];
    let mut start = 0;
    let rows = block
        .ends
        .iter()
        .map(|&end| {
            let local = &block.ids[start..end];
            doc.clear();
            doc.extend(local.iter().map(|&id| global[id as usize]));
            start = end;
            seen.clear();
            for n in lo..=hi.min(doc.len()) {
                for (k, w) in doc.windows(n).enumerate() {
                    let g = if n == 1 {
                        let u = &mut unigram[local[k] as usize];
                        if *u == u32::MAX {
                            *u = grams.intern(w);
                        }
                        *u as usize
                    } else {
                        grams.intern(w) as usize
                    };
                    if g >= tally.len() {
                        tally.resize(g + 1, 0);
                    }
                    if tally[g] == 0 {
                        seen.push(g as u32);
                    }
                    tally[g] += 1;
                }
            }
            seen.iter()
                .map(|&g| (g, f64::from(std::mem::take(&mut tally[g as usize]))))
                .collect::<Vec<_>>()
        })
        .collect();
    GramBlock { grams: grams.without_tables(), rows }
}

/// Shards of the n-gram merge, by hash: each is merged on its own, in a table small enough to
/// stay in cache. A fixed number, so the ids do not depend on the number of threads.
const SHARDS: usize = 64;

fn shard_of(key: &[u32]) -> usize {
    (hash(key) >> 32) as usize % SHARDS
}

/// The blocks' n-grams merged into one numbering, and each block's ids renamed to it. Each
/// shard takes its n-grams block by block, in block order, and numbers them in order of first
/// occurrence (shards in parallel); an n-gram's id is then its shard's offset (the shards'
/// sizes added in shard order) plus its number within the shard.
fn merge_grams(blocks: &[GramBlock]) -> (Grams, Vec<Vec<u32>>) {
    // Each block's n-grams by shard.
    let parts: Vec<Vec<Vec<u32>>> = blocks
        .par_iter()
        .map(|b| {
            let mut by_shard = vec![Vec::new(); SHARDS];
            (0..b.grams.len() as u32).for_each(|g| by_shard[shard_of(b.grams.get(g))].push(g));
            by_shard
        })
        .collect();
    let shards: Vec<(Grams, Vec<Vec<u32>>)> = (0..SHARDS)
        .into_par_iter()
        .map(|s| {
            let ours = || {
                blocks.iter().zip(&parts).flat_map(|(b, p)| p[s].iter().map(|&g| b.grams.get(g)))
            };
            let mut grams = Grams::with_capacity(ours().count(), ours().map(<[u32]>::len).sum());
            let ids = (blocks.iter().zip(&parts))
                .map(|(b, p)| p[s].iter().map(|&g| grams.intern(b.grams.get(g))).collect())
                .collect();
            (grams.without_tables(), ids)
        })
        .collect();
    let mut offsets = Vec::with_capacity(SHARDS);
    let n = shards.iter().map(|(g, _)| g.len()).sum();
    let mut merged = Grams {
        arena: Vec::with_capacity(shards.iter().map(|(g, _)| g.arena.len()).sum()),
        starts: Vec::with_capacity(n),
        ..Grams::default()
    };
    for (grams, _) in &shards {
        offsets.push(merged.len() as u32);
        for g in 0..grams.len() as u32 {
            merged.starts.push(merged.arena.len());
            merged.arena.extend_from_slice(grams.get(g));
        }
    }
    let globals = (blocks.par_iter().zip(&parts).enumerate())
        .map(|(k, (b, p))| {
            let mut global = vec![0u32; b.grams.len()];
            for (s, ((_, ids), &offset)) in shards.iter().zip(&offsets).enumerate() {
                for (&g, &id) in p[s].iter().zip(&ids[k]) {
                    global[g as usize] = offset + id;
                }
            }
            global
        })
        .collect();
    (merged, globals)
}

/// How many of `n_rows` rows hold each of `n_cols` columns, row `i`'s distinct columns being
/// `columns(i)`: whole numbers, counted over one run of rows per thread and added (the same in
/// any order).
pub(super) fn document_frequencies<I: Iterator<Item = u32>>(
    n_rows: usize,
    n_cols: usize,
    columns: impl Fn(usize) -> I + Sync,
) -> Vec<u32> {
    let per_thread = n_rows.div_ceil(rayon::current_num_threads()).max(1);
    let count = |mut df: Vec<u32>, i: usize| {
        columns(i).for_each(|j| df[j as usize] += 1);
        df
    };
    let add = |mut a: Vec<u32>, b: Vec<u32>| {
        a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        a
    };
    (0..n_rows)
        .into_par_iter()
        .with_min_len(per_thread)
        .fold(|| vec![0; n_cols], count)
        .reduce_with(add)
        .unwrap_or_else(|| vec![0; n_cols])
}

/// The n-grams of a corpus that a document-frequency test keeps (each document's counts of them
/// come beside, as the rows of a design: see [`Counts::of`]).
pub(crate) struct Counts {
    tokens: Tokens,
    /// The n-grams kept, by id.
    grams: Grams,
    /// The number of distinct n-grams before the test.
    pub n_distinct: usize,
}

impl Counts {
    /// Counts the terms `analyzer` makes of `docs`, keeping those whose number of documents
    /// passes `keep`, numbered in the order of their texts; with them, the documents' counts of
    /// them (row `i` document `i`'s, column `g` n-gram `g`'s).
    pub fn of<S: AsRef<str> + Sync>(
        analyzer: &Analyzer,
        docs: &[S],
        keep: impl Fn(u32) -> bool + Sync,
    ) -> Result<(Counts, Csr)> {
        let blocks: Vec<TokenBlock> =
            docs.par_chunks(DOCS_PER_BLOCK).map(|b| tokenize_block(analyzer, b)).collect();
        let (tokens, globals) = merge_tokens(&blocks);
        let bits = usize::BITS - tokens.len().leading_zeros();
        if (bits as usize).saturating_mul(analyzer.ngram_range.1) + DOC_BITS as usize <= 64 {
            Counts::by_keys(tokens, &blocks, &globals, analyzer.ngram_range, bits, keep)
        } else {
            Counts::interned(tokens, &blocks, &globals, analyzer.ngram_range, keep)
        }
    }

    /// The n-grams as integer keys (see [`key_of`](super::gram_keys::key_of)): sorted and counted, not hashed.
    fn by_keys(
        tokens: Tokens,
        blocks: &[TokenBlock],
        globals: &[Vec<u32>],
        ngram_range: (usize, usize),
        bits: u32,
        keep: impl Fn(u32) -> bool + Sync,
    ) -> Result<(Counts, Csr)> {
        // A run of blocks per thread, so each thread's sort buffers are made once.
        let per_thread = blocks.len().div_ceil(rayon::current_num_threads());
        let mut counted: Vec<KeyBlock> = blocks
            .par_iter()
            .zip(globals)
            .with_min_len(per_thread.max(1))
            .map_init(
                || (Vec::new(), Vec::new()),
                |buffers, (b, global)| {
                    count_keys((&b.ids, &b.ends), global, ngram_range, bits, buffers)
                },
            )
            .collect();
        let dfs: Vec<Vec<(u64, u32)>> =
            counted.iter_mut().map(|b| std::mem::take(&mut b.df)).collect();
        let df = dfs.into_par_iter().reduce(Vec::new, merge_df);
        let n_distinct = df.len();
        // Sorted, in the order of the n-grams' texts: an n-gram's id is its place here.
        let kept: Vec<u64> = df.par_iter().filter(|&&(_, d)| keep(d)).map(|e| e.0).collect();
        // The rows written straight into the design's arrays: each block's lengths first, then
        // each block its part, in parallel (each block's entries freed once written).
        let columns: Vec<(Vec<u32>, Vec<usize>)> =
            counted.par_iter().map(|b| key_columns(b, &kept)).collect();
        let mut indptr = Vec::with_capacity(columns.iter().map(|c| c.1.len()).sum::<usize>() + 1);
        indptr.push(0);
        for &n in columns.iter().flat_map(|c| &c.1) {
            indptr.push(indptr[indptr.len() - 1] + n);
        }
        let nnz = indptr[indptr.len() - 1];
        let (mut indices, mut values) = (vec![0u32; nnz], vec![0.0; nnz]);
        let mut parts = Vec::with_capacity(columns.len());
        let (mut rest_i, mut rest_v) = (indices.as_mut_slice(), values.as_mut_slice());
        let mut first_doc = 0;
        for (_, lens) in &columns {
            let starts = &indptr[first_doc..first_doc + lens.len()];
            let base = indptr[first_doc];
            let n = indptr[first_doc + lens.len()] - base;
            let (head_i, tail_i) = rest_i.split_at_mut(n);
            let (head_v, tail_v) = rest_v.split_at_mut(n);
            parts.push((starts.iter().map(|&s| s - base).collect::<Vec<_>>(), head_i, head_v));
            (rest_i, rest_v, first_doc) = (tail_i, tail_v, first_doc + lens.len());
        }
        counted.into_par_iter().zip(columns).zip(parts).for_each(
            |((block, (columns, _)), (starts, indices, values))| {
                fill_rows(&block, &columns, &starts, (indices, values))
            },
        );
        let x = Csr::new(kept.len(), indptr, indices, values)?;
        let mut grams = Grams::default();
        for &key in &kept {
            grams.starts.push(grams.arena.len());
            push_ids(key, bits, ngram_range.1, &mut grams.arena);
        }
        Ok((Counts { tokens, grams, n_distinct }, x))
    }

    /// The n-grams interned by their token ids (n-grams too long for one integer key).
    fn interned(
        tokens: Tokens,
        blocks: &[TokenBlock],
        globals: &[Vec<u32>],
        ngram_range: (usize, usize),
        keep: impl Fn(u32) -> bool + Sync,
    ) -> Result<(Counts, Csr)> {
        let counted: Vec<GramBlock> = blocks
            .par_iter()
            .zip(globals)
            .map(|(b, global)| count_block(b, global, ngram_range))
            .collect();
        let (all, globals) = merge_grams(&counted);
        let rows: Vec<Vec<(u32, f64)>> = counted
            .into_par_iter()
            .zip(globals)
            .flat_map_iter(|(block, global)| {
                block.rows.into_iter().map(move |row| {
                    row.into_iter().map(|(g, c)| (global[g as usize], c)).collect::<Vec<_>>()
                })
            })
            .collect();
        let df = document_frequencies(rows.len(), all.len(), |i| rows[i].iter().map(|e| e.0));
        // The n-grams kept, in the order of their texts: of their token ids (the tokens' ranks),
        // a shorter one first where it is a prefix of a longer one, as in [`key_of`](super::gram_keys::key_of).
        let mut kept: Vec<u32> = (0..all.len() as u32).filter(|&g| keep(df[g as usize])).collect();
        kept.par_sort_unstable_by(|&a, &b| all.get(a).cmp(all.get(b)));
        let mut new_id = vec![u32::MAX; all.len()];
        let mut grams = Grams::default();
        for &g in &kept {
            new_id[g as usize] = grams.len() as u32;
            grams.starts.push(grams.arena.len());
            grams.arena.extend_from_slice(all.get(g));
        }
        let rows: Vec<Vec<(u32, f64)>> = rows
            .into_par_iter()
            .map(|row| {
                let mut row: Vec<(u32, f64)> = row
                    .into_iter()
                    .filter_map(|(g, c)| {
                        let g = new_id[g as usize];
                        (g != u32::MAX).then_some((g, c))
                    })
                    .collect();
                row.sort_unstable_by_key(|e| e.0);
                row
            })
            .collect();
        let x = Csr::from_sorted_rows(grams.len(), &rows)?;
        Ok((Counts { tokens, grams, n_distinct: all.len() }, x))
    }

    /// The number of n-grams kept.
    pub fn n_terms(&self) -> usize {
        self.grams.len()
    }

    /// The text of n-gram `g`: its tokens joined by one space.
    pub fn term(&self, g: u32) -> String {
        let ids = self.grams.get(g);
        let len = ids.iter().map(|&id| self.tokens.get(id).len() + 1).sum::<usize>();
        let mut term = String::with_capacity(len);
        for (i, &id) in ids.iter().enumerate() {
            if i > 0 {
                term.push(' ');
            }
            term.push_str(self.tokens.get(id));
        }
        term
    }
}
